"""Chapter 3.4: classifying movie reviews (IMDB) as positive or negative.

    python examples/imdb.py [--epochs 20] [--threads N] [--seed S] [--data-dir DIR] [--plot curves.png]

--data-dir is a folder holding Keras's imdb.npz (and imdb_word_index.json to
decode a review); without it the files are looked up and downloaded as
fastnn.datasets.imdb.load_data does.
"""
import numpy as np

from fastnn import layers, models, optimizers
from fastnn.datasets import DatasetNotFoundError, imdb

import _cli


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=20, epochs_help="epochs of the validation run",
                              data_help="folder holding imdb.npz",
                              plot_help="save the loss and accuracy curves to this PNG")
    return parser.parse_args(argv)


# Listing 3.2: encoding the integer sequences into a binary matrix
def vectorize_sequences(sequences, dimension=10000):
    results = np.zeros((len(sequences), dimension), dtype="float32")  # float64 would take 2 GB per set
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.
    return results


def decode_review(sequence, data_dir):
    word_index = imdb.get_word_index(data_dir or "imdb_word_index.json")
    reverse_word_index = dict([(value, key) for (key, value) in word_index.items()])
    return " ".join([reverse_word_index.get(i - 3, "?") for i in sequence])


# Listing 3.3: the model definition
def build_model():
    model = models.Sequential()
    model.add(layers.Dense(16, activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


# Listings 3.9 and 3.10: plotting the training and validation loss and accuracy
def plot_history(plt, history_dict, path):
    loss_values = history_dict["loss"]
    val_loss_values = history_dict["val_loss"]
    acc = history_dict["acc"]
    val_acc = history_dict["val_acc"]
    epochs = range(1, len(acc) + 1)
    figure, (loss_axis, acc_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, loss_values, "bo", label="Training loss")
    loss_axis.plot(epochs, val_loss_values, "b", label="Validation loss")
    loss_axis.set_title("Training and validation loss")
    loss_axis.set_ylabel("Loss")
    acc_axis.plot(epochs, acc, "bo", label="Training acc")
    acc_axis.plot(epochs, val_acc, "b", label="Validation acc")
    acc_axis.set_title("Training and validation accuracy")
    acc_axis.set_ylabel("Accuracy")
    for axis in (loss_axis, acc_axis):
        axis.set_xlabel("Epochs")
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)

    # Listing 3.1: loading the IMDB dataset
    with _cli.exit_without_data("imdb.npz"):
        (train_data, train_labels), (test_data, test_labels) = imdb.load_data(
            path=args.data_dir or "imdb.npz", num_words=10000)
    print(f"{len(train_data)} training and {len(test_data)} test reviews; first label {train_labels[0]}, "
          f"largest word index {max([max(sequence) for sequence in train_data])}")
    try:
        print("First review:", decode_review(train_data[0], args.data_dir))
    except DatasetNotFoundError as error:
        print(f"(not decoding a review: {error.args[0].splitlines()[0]})")

    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")

    # Listing 3.7: setting aside a validation set (the book's 10,000; at most half of a smaller set)
    validation_count = min(10000, len(x_train) // 2)
    x_val = x_train[:validation_count]
    partial_x_train = x_train[validation_count:]
    y_val = y_train[:validation_count]
    partial_y_train = y_train[validation_count:]

    # Listings 3.5 and 3.8: training the model, with the optimizer configured
    model = build_model()
    model.compile(optimizer=optimizers.RMSprop(lr=0.001), loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(partial_x_train, partial_y_train, epochs=args.epochs, batch_size=512,
                        validation_data=(x_val, y_val))
    history_dict = history.history
    print("History keys:", sorted(history_dict.keys()))
    if plt is not None:
        plot_history(plt, history_dict, args.plot)
        print(f"training curves saved to {args.plot}")

    # Listing 3.11: retraining a model from scratch (4 epochs, where the validation loss bottoms out)
    model = build_model()
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=min(4, args.epochs), batch_size=512)
    results = model.evaluate(x_test, y_test)
    print(f"test loss {results[0]:.4f}, test accuracy {results[1]:.4f}")
    print("Predictions for the first test reviews:", model.predict(x_test[:5]).ravel())
    return results


if __name__ == "__main__":
    main()
