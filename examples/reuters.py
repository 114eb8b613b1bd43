"""Chapter 3.5: classifying newswires (Reuters) into 46 topics.

    python examples/reuters.py [--epochs 20] [--threads N] [--seed S] [--data-dir DIR] [--plot curves.png]

--data-dir is a folder holding Keras's reuters.npz (and reuters_word_index.json
to decode a newswire); without it the files are looked up and downloaded as
fastnn.datasets.reuters.load_data does.
"""
import copy

import numpy as np

from fastnn import layers, models
from fastnn.datasets import DatasetNotFoundError, reuters
from fastnn.utils.np_utils import to_categorical

import _cli


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=20, epochs_help="epochs of the validation run",
                              data_help="folder holding reuters.npz",
                              plot_help="save the loss and accuracy curves to this PNG")
    return parser.parse_args(argv)


# Listing 3.14: encoding the data
def vectorize_sequences(sequences, dimension=10000):
    results = np.zeros((len(sequences), dimension), dtype="float32")
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.
    return results


def to_one_hot(labels, dimension=46):
    results = np.zeros((len(labels), dimension))
    for i, label in enumerate(labels):
        results[i, label] = 1.
    return results


# Listing 3.13: decoding newswires back to text
def decode_newswire(sequence, data_dir):
    word_index = reuters.get_word_index(data_dir or "reuters_word_index.json")
    reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])
    return " ".join([reverse_word_index.get(i - 3, "?") for i in sequence])


# Listing 3.15: model definition
def build_model():
    model = models.Sequential()
    model.add(layers.Dense(64, activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(46, activation="softmax"))
    return model


# Listings 3.19 and 3.20: plotting the training and validation loss and accuracy
def plot_history(plt, history, path):
    loss = history.history["loss"]
    val_loss = history.history["val_loss"]
    acc = history.history["acc"]
    val_acc = history.history["val_acc"]
    epochs = range(1, len(loss) + 1)
    figure, (loss_axis, acc_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, loss, "bo", label="Training loss")
    loss_axis.plot(epochs, val_loss, "b", label="Validation loss")
    loss_axis.set_title("Training and validation loss")
    acc_axis.plot(epochs, acc, "bo", label="Training acc")
    acc_axis.plot(epochs, val_acc, "b", label="Validation acc")
    acc_axis.set_title("Training and validation accuracy")
    for axis in (loss_axis, acc_axis):
        axis.set_xlabel("Epochs")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)

    # Listing 3.12: loading the Reuters dataset
    with _cli.exit_without_data("reuters.npz"):
        (train_data, train_labels), (test_data, test_labels) = reuters.load_data(
            path=args.data_dir or "reuters.npz", num_words=10000)
    print(f"{len(train_data)} training and {len(test_data)} test newswires; "
          f"first topic {train_labels[0]} ({reuters.get_label_names()[train_labels[0]]})")
    try:
        print("First newswire:", decode_newswire(train_data[0], args.data_dir))
    except DatasetNotFoundError as error:
        print(f"(not decoding a newswire: {error.args[0].splitlines()[0]})")

    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    one_hot_train_labels = to_one_hot(train_labels)
    one_hot_test_labels = to_one_hot(test_labels)
    # The same with the library function (num_classes: a small sample may lack the last topics)
    one_hot_train_labels = to_categorical(train_labels, num_classes=46)
    one_hot_test_labels = to_categorical(test_labels, num_classes=46)

    # Listings 3.16 to 3.18: compiling, a validation set (the book's 1,000; at most half of a
    # smaller set) and training
    model = build_model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    validation_count = min(1000, len(x_train) // 2)
    x_val = x_train[:validation_count]
    partial_x_train = x_train[validation_count:]
    y_val = one_hot_train_labels[:validation_count]
    partial_y_train = one_hot_train_labels[validation_count:]
    history = model.fit(partial_x_train, partial_y_train, epochs=args.epochs, batch_size=512,
                        validation_data=(x_val, y_val))
    if plt is not None:
        plot_history(plt, history, args.plot)
        print(f"training curves saved to {args.plot}")

    # Listing 3.21: retraining a model from scratch (9 epochs)
    model = build_model()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(partial_x_train, partial_y_train, epochs=min(9, args.epochs), batch_size=512,
              validation_data=(x_val, y_val))
    results = model.evaluate(x_test, one_hot_test_labels)
    print(f"test loss {results[0]:.4f}, test accuracy {results[1]:.4f}")

    # A random classifier's accuracy, for comparison
    test_labels_copy = copy.copy(test_labels)
    np.random.shuffle(test_labels_copy)
    hits_array = np.array(test_labels) == np.array(test_labels_copy)
    print(f"random baseline accuracy {float(np.sum(hits_array)) / len(test_labels):.4f}")

    # Listing 3.22: generating predictions on new data
    predictions = model.predict(x_test)
    print(f"prediction shape {predictions[0].shape}, sum {np.sum(predictions[0]):.4f}, "
          f"most likely topic {np.argmax(predictions[0])}")

    # Integer labels with sparse_categorical_crossentropy
    y_train = np.array(train_labels)
    model = build_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["acc"])
    model.fit(x_train, y_train, epochs=1, batch_size=512, verbose=0)
    sparse_results = model.evaluate(x_test, np.array(test_labels), verbose=0)
    print(f"sparse labels, one epoch: test accuracy {sparse_results[1]:.4f}")
    return results


if __name__ == "__main__":
    main()
