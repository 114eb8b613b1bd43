"""Chapter 2's first network: a two-layer MLP classifying MNIST digits.

    python examples/mnist_mlp.py [--epochs 5] [--batch-size 128] [--threads N]
                                 [--data-dir DIR] [--plot curves.png]
    mpirun -n 2 python examples/mnist_mlp.py --distributed     (data-parallel over 2 processes)
"""
import argparse
import os
import sys
import time

import fastnn
from fastnn import callbacks, layers, models
from fastnn.datasets import DatasetNotFoundError, mnist
from fastnn.utils import to_categorical


class EpochTimer(callbacks.Callback):
    """Records the wall-clock time of every epoch."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=5)
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument("--threads", type=positive_int, default=None, help="kernel threads (default: all CPUs)")
    parser.add_argument("--data-dir", default=None, help="folder holding the four MNIST IDX files")
    parser.add_argument("--plot", metavar="FILE", default=None, help="save training curves to this PNG")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    parser.add_argument("--distributed", action="store_true",
                        help="train data-parallel over the processes of `mpirun -n P` (batch size is global)")
    return parser.parse_args(argv)


def load_pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


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


def main(argv=None):
    args = parse_args(argv)
    if args.distributed:
        from fastnn import distribution

        distribution.set_distribution(distribution.DataParallel())
        if not distribution.is_chief():  # one copy of the output and of the plot
            sys.stdout, args.plot = open(os.devnull, "w"), None
    if args.threads is not None:
        fastnn.set_num_threads(args.threads)
    if args.seed is not None:
        fastnn.utils.set_random_seed(args.seed)
    plt = None
    if args.plot:
        plt = load_pyplot()
        if plt is None:
            print(f"--plot {args.plot}: matplotlib is not installed (pip install matplotlib); "
                  "training without plotting.", file=sys.stderr)

    try:
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data(args.data_dir)
    except (DatasetNotFoundError, ValueError) as error:
        sys.exit(f"{error}\nWith this script: python {sys.argv[0]} --data-dir DIR")

    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    network.summary()

    train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
    train_labels = to_categorical(train_labels)
    test_labels = to_categorical(test_labels)

    timer = EpochTimer()
    print(f"Training on {len(train_images)} images with {fastnn.get_num_threads()} thread(s)")
    history = network.fit(train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size,
                          callbacks=[timer])
    test_loss, test_acc = network.evaluate(test_images, test_labels)
    seconds = sorted(timer.seconds)
    print(f"epoch time: median {seconds[len(seconds) // 2]:.2f}s, total {sum(seconds):.2f}s")
    print(f"test_loss: {test_loss:.4f}")
    print(f"test_acc: {test_acc:.4f}")
    if plt is not None:
        plot_history(plt, history.history, args.plot)
        print(f"training curves saved to {args.plot}")
    return test_acc


if __name__ == "__main__":
    main()
