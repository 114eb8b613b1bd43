"""What the MNIST scripts share: the time of every epoch, and the report and curves of a run."""
import time

from fastnn import callbacks

import _cli


class EpochTimer(callbacks.Callback):
    """Records the wall-clock time of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def make_parser(doc, batch_size):
    """The shared flags with the MNIST scripts' defaults, and --batch-size."""
    parser = _cli.make_parser(doc, epochs=5, data_help="folder holding the four MNIST IDX files",
                              plot_help="save training curves to this PNG")
    parser.add_argument("--batch-size", type=_cli.positive_int, default=batch_size)
    return parser


def plot_history(plt, history, path):
    epochs = range(1, len(history["loss"]) + 1)
    figure, (loss_axis, acc_axis) = plt.subplots(1, 2, figsize=(10, 4))
    loss_axis.plot(epochs, history["loss"], "o-", label="training loss")
    acc_axis.plot(epochs, history["accuracy"], "o-", label="training accuracy")
    for axis, title in ((loss_axis, "Loss"), (acc_axis, "Accuracy")):
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.set_xticks(list(epochs))
        axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def report(timer, test_loss, test_acc, history, plt, plot_path):
    """Prints the epoch times and the test scores; saves the training curves when plt is given."""
    seconds = sorted(timer.seconds)
    print(f"epoch time: median {seconds[len(seconds) // 2]:.2f}s, total {sum(seconds):.2f}s")
    print(f"test_loss: {test_loss:.4f}")
    print(f"test_acc: {test_acc:.4f}")
    if plt is not None:
        plot_history(plt, history.history, plot_path)
        print(f"training curves saved to {plot_path}")
