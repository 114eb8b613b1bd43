"""Chapter 6.1 (listings 6.1-6.7): one-hot encoding of words and characters, the Tokenizer, the
hashing trick, and an Embedding layer learnt on IMDB (Embedding + Flatten + Dense).

    python examples/ch6_1_word_embeddings.py [--data-dir DIR | --synthetic] [--epochs 10]
                                             [--threads N] [--seed S] [--plot curves.png]

--data-dir is a folder holding Keras's imdb.npz; without it the file is looked up and
downloaded as fastnn.datasets.imdb.load_data does.
"""
import string

import numpy as np

from fastnn import preprocessing
from fastnn.datasets import imdb
from fastnn.layers import Dense, Embedding, Flatten
from fastnn.models import Sequential
from fastnn.preprocessing.text import Tokenizer

import _cli
import _synthetic


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=10, data_help="folder holding imdb.npz",
                              plot_help="save the accuracy and loss curves to this PNG")
    _cli.add_synthetic_flag(parser, "IMDB reviews (imdb.npz)")
    return parser.parse_args(argv)


def one_hot_encodings():
    samples = ["The cat sat on the mat.", "The dog ate my homework."]

    # Listing 6.1: word-level one-hot encoding (toy example)
    token_index = {}
    for sample in samples:
        for word in sample.split():
            if word not in token_index:
                token_index[word] = len(token_index) + 1
    max_length = 10
    results = np.zeros(shape=(len(samples), max_length, max(token_index.values()) + 1))
    for i, sample in enumerate(samples):
        for j, word in list(enumerate(sample.split()))[:max_length]:
            index = token_index.get(word)
            results[i, j, index] = 1.
    print("word-level one-hot:", results.shape)

    # Listing 6.2: character-level one-hot encoding (toy example). As printed, token_index maps
    # indices to characters, so get(character) is None and NumPy sets the whole row.
    characters = string.printable
    token_index = dict(zip(range(1, len(characters) + 1), characters))
    max_length = 50
    results = np.zeros((len(samples), max_length, max(token_index.keys()) + 1))
    for i, sample in enumerate(samples):
        for j, character in enumerate(sample):
            index = token_index.get(character)
            results[i, j, index] = 1.
    print("character-level one-hot:", results.shape)

    # Listing 6.3: using the Tokenizer for word-level one-hot encoding
    tokenizer = Tokenizer(num_words=1000)
    tokenizer.fit_on_texts(samples)
    sequences = tokenizer.texts_to_sequences(samples)
    one_hot_results = tokenizer.texts_to_matrix(samples, mode="binary")
    word_index = tokenizer.word_index
    print("Found %s unique tokens." % len(word_index))
    print("sequences:", sequences, "binary matrix:", one_hot_results.shape)

    # Listing 6.4: word-level one-hot encoding with the hashing trick (toy example)
    dimensionality = 1000
    max_length = 10
    results = np.zeros((len(samples), max_length, dimensionality))
    for i, sample in enumerate(samples):
        for j, word in list(enumerate(sample.split()))[:max_length]:
            index = abs(hash(word)) % dimensionality
            results[i, j, index] = 1.
    print("hashed one-hot:", results.shape)


def plot_history(plt, history, path):
    acc, val_acc = history.history["acc"], history.history["val_acc"]
    loss, val_loss = history.history["loss"], history.history["val_loss"]
    epochs = range(1, len(acc) + 1)
    figure, (acc_axis, loss_axis) = plt.subplots(1, 2, figsize=(10, 4))
    acc_axis.plot(epochs, acc, "bo", label="Training acc")
    acc_axis.plot(epochs, val_acc, "b", label="Validation acc")
    acc_axis.set_title("Training and validation accuracy")
    loss_axis.plot(epochs, loss, "bo", label="Training loss")
    loss_axis.plot(epochs, val_loss, "b", label="Validation loss")
    loss_axis.set_title("Training and validation loss")
    for axis in (acc_axis, loss_axis):
        axis.legend()
    figure.savefig(path)
    print(f"training curves saved to {path}")


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)
    one_hot_encodings()

    # Listing 6.5: instantiating an Embedding layer
    embedding_layer = Embedding(1000, 64)
    print("Embedding layer:", embedding_layer.input_dim, "x", embedding_layer.output_dim)

    # Listing 6.6: loading the IMDB data for use with an Embedding layer
    max_features = 10000
    maxlen = 20
    with _cli.data_source(args, _synthetic.write_imdb_npz) as data_dir, _cli.exit_without_data("imdb.npz"):
        (x_train, y_train), (x_test, y_test) = imdb.load_data(path=data_dir or "imdb.npz",
                                                              num_words=max_features)
    x_train = preprocessing.sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = preprocessing.sequence.pad_sequences(x_test, maxlen=maxlen)

    # Listing 6.7: using an Embedding layer and classifier on the IMDB data
    model = Sequential()
    model.add(Embedding(10000, 8, input_length=maxlen))
    model.add(Flatten())
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    model.summary()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.2)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")
    if plt is not None:
        plot_history(plt, history, args.plot)
    return history


if __name__ == "__main__":
    main()
