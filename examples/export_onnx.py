"""Trains chapter 2's network and chapter 5's first convnet briefly on MNIST, exports each to ONNX and
runs the exported model in onnxruntime on the whole test set: how often its predicted class is
predict's, and the largest difference of their probabilities.

    python examples/export_onnx.py [--data-dir DIR] [--epochs 1] [--train-samples N]
                                   [--out-dir DIR] [--threads N] [--seed S]

Needs the onnx and onnxruntime packages (pip install "fastnn[onnx]" onnxruntime).
"""
import argparse
import os
import sys
import tempfile

import numpy as np

from fastnn import layers, models
from fastnn.datasets import mnist
from fastnn.utils import to_categorical

import _cli


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=None, help="folder holding the four MNIST IDX files")
    parser.add_argument("--epochs", type=_cli.positive_int, default=1)
    parser.add_argument("--threads", type=_cli.positive_int, default=None, help="kernel threads (default: all CPUs)")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    parser.add_argument("--train-samples", type=_cli.positive_int, default=60000,
                        help="train on the first N training images")
    parser.add_argument("--out-dir", default=None, help="where to write the .onnx files (default: a temporary folder)")
    parser.set_defaults(plot=None)
    return parser.parse_args(argv)


def chapter2_network():
    return models.Sequential([layers.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                              layers.Dense(10, activation="softmax")], name="chapter2_network")


def convnet():
    return models.Sequential([
        layers.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")],
        name="convnet")


def agreement(model, path, test_images):
    """(share of images whose argmax agrees, largest absolute difference) between predict and onnxruntime."""
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    exported = session.run(None, {session.get_inputs()[0].name: test_images})[0]
    predicted = model.predict(test_images, batch_size=256, verbose=0)
    same = np.mean(exported.argmax(axis=1) == predicted.argmax(axis=1))
    return float(same), float(np.abs(exported - predicted).max())


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    with _cli.exit_without_data():
        (train_images, train_labels), (test_images, test_labels) = mnist.load_data(args.data_dir)
    train_images = train_images[:args.train_samples].astype("float32") / 255
    train_labels = to_categorical(train_labels[:args.train_samples])
    test_images = test_images.astype("float32") / 255
    out_dir = args.out_dir or tempfile.mkdtemp(prefix="fastnn_onnx_")
    os.makedirs(out_dir, exist_ok=True)
    results = {}
    for make, shape in ((chapter2_network, (-1, 784)), (convnet, (-1, 28, 28, 1))):
        model = make()
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(train_images.reshape(shape), train_labels, epochs=args.epochs, batch_size=128, verbose=2)
        path = model.export(os.path.join(out_dir, f"{model.name}.onnx"), format="onnx")
        same, largest = agreement(model, path, test_images.reshape(shape))
        results[model.name] = same
        print(f"{model.name}: {path}; argmax agreement with predict on {len(test_images)} test images: "
              f"{same:.2%}; largest probability difference {largest:.2e}")
    return results


if __name__ == "__main__":
    agreements = main()
    sys.exit(0 if min(agreements.values()) >= 0.999 else 1)
