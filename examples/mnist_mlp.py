"""Chapter 2's first network: a two-layer MLP classifying MNIST digits.

    python examples/mnist_mlp.py [--epochs 5] [--batch-size 128] [--threads N]
                                 [--data-dir DIR] [--plot curves.png]
    mpirun -n 2 python examples/mnist_mlp.py --distributed     (data-parallel over 2 processes)
"""
import os
import sys

import fastnn
from fastnn import layers, models
from fastnn.datasets import mnist
from fastnn.utils import to_categorical

import _cli
import _mnist


def parse_args(argv=None):
    parser = _mnist.make_parser(__doc__, batch_size=128)
    parser.add_argument("--distributed", action="store_true",
                        help="train data-parallel over the processes of `mpirun -n P` (batch size is global)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.distributed:
        from fastnn import distribution

        distribution.set_distribution(distribution.DataParallel())
        if not distribution.is_chief():  # one copy of the output and of the plot
            sys.stdout, args.plot = open(os.devnull, "w"), None
    plt = _cli.start(args)

    with _cli.exit_without_data():
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data(args.data_dir)

    network = models.Sequential()
    network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    network.summary()

    train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
    test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
    train_labels = to_categorical(train_labels)
    test_labels = to_categorical(test_labels)

    timer = _mnist.EpochTimer()
    print(f"Training on {len(train_images)} images with {fastnn.get_num_threads()} thread(s)")
    history = network.fit(train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size,
                          callbacks=[timer])
    test_loss, test_acc = network.evaluate(test_images, test_labels)
    _mnist.report(timer, test_loss, test_acc, history, plt, args.plot)
    return test_acc


if __name__ == "__main__":
    main()
