"""Chapter 5's first convnet (listings 5.1-5.3): a small stack of Conv2D and MaxPooling2D layers
classifying MNIST digits.

    python examples/mnist_convnet.py [--epochs 5] [--batch-size 64] [--threads N]
                                     [--data-dir DIR] [--seed S] [--plot curves.png]
"""
import fastnn
from fastnn import layers, models
from fastnn.datasets import mnist
from fastnn.utils import to_categorical

import _cli
import _mnist


def parse_args(argv=None):
    return _mnist.make_parser(__doc__, batch_size=64).parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)

    # Listing 5.1: the convolutional base
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))

    # Listing 5.2: a densely connected classifier on top
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.summary()

    # Listing 5.3: training on MNIST images
    with _cli.exit_without_data():
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data(args.data_dir)
    train_images = train_images.reshape((60000, 28, 28, 1)).astype("float32") / 255
    test_images = test_images.reshape((10000, 28, 28, 1)).astype("float32") / 255
    train_labels = to_categorical(train_labels)
    test_labels = to_categorical(test_labels)

    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    timer = _mnist.EpochTimer()
    print(f"Training on {len(train_images)} images with {fastnn.get_num_threads()} thread(s)")
    history = model.fit(train_images, train_labels, epochs=args.epochs, batch_size=args.batch_size,
                        callbacks=[timer])
    test_loss, test_acc = model.evaluate(test_images, test_labels)
    _mnist.report(timer, test_loss, test_acc, history, plt, args.plot)
    return test_acc


if __name__ == "__main__":
    main()
