"""What the chapter-6 IMDB sequence scripts share: their flags, loading imdb.npz (or a synthetic
one) as padded sequences, and the book's accuracy and loss curves."""
import os

from fastnn.datasets import imdb
from fastnn.preprocessing import sequence

import _cli
import _synthetic


def parse_args(doc, argv, epochs=10):
    parser = _cli.make_parser(doc, epochs=epochs, data_help="folder holding imdb.npz",
                              plot_help="save the accuracy and loss curves to PNGs named after this one")
    _cli.add_synthetic_flag(parser, "IMDB reviews (imdb.npz)")
    return parser.parse_args(argv)


def load_imdb(args, num_words):
    """imdb.load_data(num_words=...) from --data-dir, the default locations, or --synthetic data."""
    with _cli.data_source(args, _synthetic.write_imdb_npz) as data_dir, _cli.exit_without_data("imdb.npz"):
        return imdb.load_data(path=data_dir or "imdb.npz", num_words=num_words)


def load_padded(args, max_features, maxlen):
    """Listing 6.22 (and 6.45): the reviews cut or padded to maxlen words."""
    print("Loading data...")
    (input_train, y_train), (input_test, y_test) = load_imdb(args, max_features)
    print(len(input_train), "train sequences")
    print(len(input_test), "test sequences")
    print("Pad sequences (samples x time)")
    input_train = sequence.pad_sequences(input_train, maxlen=maxlen)
    input_test = sequence.pad_sequences(input_test, maxlen=maxlen)
    print("input_train shape:", input_train.shape)
    print("input_test shape:", input_test.shape)
    return (input_train, y_train), (input_test, y_test)


def plot_history(plt, history, plot_path, name):
    """Listing 6.24: training and validation accuracy and loss, saved as <plot>_<name>.png."""
    if plt is None:
        return
    acc, val_acc = history.history["acc"], history.history["val_acc"]
    loss, val_loss = history.history["loss"], history.history["val_loss"]
    epochs = range(1, len(acc) + 1)
    figure, (acc_axis, loss_axis) = plt.subplots(1, 2, figsize=(10, 4))
    figure.suptitle(name)
    acc_axis.plot(epochs, acc, "bo", label="Training acc")
    acc_axis.plot(epochs, val_acc, "b", label="Validation acc")
    acc_axis.set_title("Training and validation accuracy")
    loss_axis.plot(epochs, loss, "bo", label="Training loss")
    loss_axis.plot(epochs, val_loss, "b", label="Validation loss")
    loss_axis.set_title("Training and validation loss")
    for axis in (acc_axis, loss_axis):
        axis.legend()
    root, extension = os.path.splitext(plot_path)
    path = f"{root}_{name}{extension or '.png'}"
    figure.savefig(path)
    plt.close(figure)
    print(f"{name}: curves saved to {path}")
