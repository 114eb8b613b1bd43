"""Chapter 6.1.3 (listings 6.8-6.18): from raw IMDB text to word embeddings, with pretrained GloVe
vectors frozen in the Embedding layer, and the same model learning its own embeddings.

    python examples/ch6_1_3_glove_imdb.py --data-dir aclImdb --glove glove.6B.100d.txt
                                          [--epochs 10] [--threads N] [--seed S] [--plot curves.png]
    python examples/ch6_1_3_glove_imdb.py --synthetic [--epochs 10]

--data-dir is the aclImdb folder unpacked from http://ai.stanford.edu/~amaas/data/sentiment/
(train/neg, train/pos, test/neg, test/pos, one .txt per review); --glove is a file in GloVe's
text format (a word and its numbers per line, e.g. glove.6B.100d.txt from
https://nlp.stanford.edu/projects/glove/). --synthetic writes a small folder and a small GloVe
file of that format. The trained weights go to --weights (pre_trained_glove_model.h5, as in the
book, in the Keras 2 HDF5 layout; without h5py, fastnn's .npz instead).
"""
import os
import sys
import tempfile

import numpy as np

from fastnn.layers import Dense, Embedding, Flatten
from fastnn.models import Sequential
from fastnn.preprocessing.sequence import pad_sequences
from fastnn.preprocessing.text import Tokenizer

import _cli
import _synthetic


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=10, data_help="the aclImdb folder (train/ and test/ inside)",
                              plot_help="save the accuracy and loss curves to this PNG")
    _cli.add_synthetic_flag(parser, "raw IMDB reviews (aclImdb/) and GloVe vectors")
    parser.add_argument("--glove", default=None, help="GloVe vectors in their text format (glove.6B.100d.txt)")
    parser.add_argument("--weights", default=None,
                        help="where to save the trained weights (default: pre_trained_glove_model.h5 in a temporary folder)")
    return parser.parse_args(argv)


def read_reviews(directory):
    """Listings 6.8 and 6.17: the texts and labels of one split (train/ or test/)."""
    labels = []
    texts = []
    for label_type in ["neg", "pos"]:
        dir_name = os.path.join(directory, label_type)
        for fname in sorted(os.listdir(dir_name)):
            if fname[-4:] == ".txt":
                f = open(os.path.join(dir_name, fname), encoding="utf-8")
                texts.append(f.read())
                f.close()
                if label_type == "neg":
                    labels.append(0)
                else:
                    labels.append(1)
    return texts, labels


def read_glove(path):
    # Listing 6.10: parsing the GloVe word-embeddings file
    embeddings_index = {}
    f = open(path, encoding="utf-8")
    for line in f:
        values = line.split()
        word = values[0]
        coefs = np.asarray(values[1:], dtype="float32")
        embeddings_index[word] = coefs
    f.close()
    print("Found %s word vectors." % len(embeddings_index))
    return embeddings_index


def build_model(max_words, embedding_dim, maxlen):
    # Listing 6.12: model definition
    model = Sequential()
    model.add(Embedding(max_words, embedding_dim, input_length=maxlen))
    model.add(Flatten())
    model.add(Dense(32, activation="relu"))
    model.add(Dense(1, activation="sigmoid"))
    model.summary()
    return model


def plot_history(plt, history, path, title):
    # Listing 6.15: plotting the results
    acc, val_acc = history.history["acc"], history.history["val_acc"]
    loss, val_loss = history.history["loss"], history.history["val_loss"]
    epochs = range(1, len(acc) + 1)
    figure, (acc_axis, loss_axis) = plt.subplots(1, 2, figsize=(10, 4))
    figure.suptitle(title)
    acc_axis.plot(epochs, acc, "bo", label="Training acc")
    acc_axis.plot(epochs, val_acc, "b", label="Validation acc")
    acc_axis.set_title("Training and validation accuracy")
    loss_axis.plot(epochs, loss, "bo", label="Training loss")
    loss_axis.plot(epochs, val_loss, "b", label="Validation loss")
    loss_axis.set_title("Training and validation loss")
    for axis in (acc_axis, loss_axis):
        axis.legend()
    figure.savefig(path)
    print(f"{title}: curves saved to {path}")


def run(args, imdb_dir, glove_path, plt, weights_path):
    train_dir = os.path.join(imdb_dir, "train")
    texts, labels = read_reviews(train_dir)

    # Listing 6.9: tokenizing the text of the raw IMDB data. The book keeps 200 training samples
    # and 10,000 for validation; a smaller folder keeps 200 (at most half) and validates on the rest.
    maxlen = 100
    training_samples = min(200, len(texts) // 2)
    validation_samples = 10000
    max_words = 10000
    tokenizer = Tokenizer(num_words=max_words)
    tokenizer.fit_on_texts(texts)
    sequences = tokenizer.texts_to_sequences(texts)
    word_index = tokenizer.word_index
    print("Found %s unique tokens." % len(word_index))
    data = pad_sequences(sequences, maxlen=maxlen)
    labels = np.asarray(labels)
    print("Shape of data tensor:", data.shape)
    print("Shape of label tensor:", labels.shape)
    indices = np.arange(data.shape[0])
    np.random.shuffle(indices)
    data = data[indices]
    labels = labels[indices]
    x_train = data[:training_samples]
    y_train = labels[:training_samples]
    x_val = data[training_samples: training_samples + validation_samples]
    y_val = labels[training_samples: training_samples + validation_samples]

    embeddings_index = read_glove(glove_path)

    # Listing 6.11: preparing the GloVe word-embeddings matrix
    embedding_dim = len(next(iter(embeddings_index.values()))) if embeddings_index else 100
    embedding_matrix = np.zeros((max_words, embedding_dim))
    for word, i in word_index.items():
        if i < max_words:
            embedding_vector = embeddings_index.get(word)
            if embedding_vector is not None:
                embedding_matrix[i] = embedding_vector

    model = build_model(max_words, embedding_dim, maxlen)

    # Listing 6.13: loading pretrained word embeddings into the Embedding layer
    model.layers[0].set_weights([embedding_matrix])
    model.layers[0].trainable = False

    # Listing 6.14: training and evaluation
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_data=(x_val, y_val))
    model.save_weights(weights_path)
    print(f"weights saved to {weights_path}")
    frozen = np.array_equal(model.layers[0].get_weights()[0], embedding_matrix.astype("float32"))
    print("GloVe embeddings unchanged by training:", frozen)
    if plt is not None:
        plot_history(plt, history, args.plot, "Pretrained GloVe embeddings")

    # Listing 6.16: training the same model without pretrained word embeddings
    model = build_model(max_words, embedding_dim, maxlen)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_data=(x_val, y_val))
    if plt is not None:
        root, extension = os.path.splitext(args.plot)
        plot_history(plt, history, f"{root}_no_glove{extension or '.png'}", "Embeddings learnt from scratch")

    # Listing 6.17: tokenizing the data of the test set
    test_dir = os.path.join(imdb_dir, "test")
    texts, labels = read_reviews(test_dir)
    sequences = tokenizer.texts_to_sequences(texts)
    x_test = pad_sequences(sequences, maxlen=maxlen)
    y_test = np.asarray(labels)

    # Listing 6.18: evaluating the model on the test set (the weights of listing 6.14)
    model = build_model(max_words, embedding_dim, maxlen)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    model.load_weights(weights_path)
    test_loss, test_acc = model.evaluate(x_test, y_test)
    print(f"test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")
    return test_acc


def _missing(imdb_dir, glove_path):
    if imdb_dir is None or not os.path.isdir(os.path.join(imdb_dir, "train", "neg")):
        return (f"no aclImdb folder at {imdb_dir!r}: pass --data-dir DIR, the folder unpacked from "
                "aclImdb_v1.tar.gz (holding train/neg, train/pos, test/neg, test/pos), or --synthetic")
    if glove_path is None or not os.path.isfile(glove_path):
        return (f"no GloVe file at {glove_path!r}: pass --glove FILE (e.g. glove.6B.100d.txt from "
                "glove.6B.zip), or --synthetic")
    return None


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)
    with tempfile.TemporaryDirectory(prefix="fastnn-glove-") as scratch, \
            _cli.data_source(args, _synthetic.write_aclimdb) as imdb_dir:
        glove_path = args.glove
        if args.synthetic:
            glove_path = str(_synthetic.write_glove(scratch, np.random.default_rng(args.seed)))
        problem = _missing(imdb_dir, glove_path)
        if problem:
            sys.exit(problem)
        return run(args, imdb_dir, glove_path, plt, args.weights or _cli.weights_file(scratch, "pre_trained_glove_model"))


if __name__ == "__main__":
    main()
