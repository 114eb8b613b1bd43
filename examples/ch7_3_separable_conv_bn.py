"""Chapter 7.3 (section 7.3.1's snippets and listing 7.10's model): BatchNormalization after a
convolution and after a Dense layer, a lightweight depthwise-separable convnet, and a weighted
ensemble of two models' predictions (section 7.3.3).

    python examples/ch7_3_separable_conv_bn.py [--epochs 10] [--samples 256] [--threads N] [--seed S]

The book gives these models no data; they train here on random images of their input shape
(64x64x3, 10 classes) and random targets. --samples sets how many.
"""
import numpy as np

from fastnn import layers
from fastnn.models import Sequential
from fastnn.utils import to_categorical

import _cli


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=10, data_help=None, plot_help=None)
    parser.add_argument("--samples", type=_cli.positive_int, default=256)
    return parser.parse_args(argv)


def batch_normalized_models(args):
    # Section 7.3.1: BatchNormalization after a convolution, and after a Dense layer
    conv_model = Sequential()
    conv_model.add(layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)))
    conv_model.add(layers.BatchNormalization())
    conv_model.add(layers.Flatten())
    conv_model.add(layers.Dense(10, activation="softmax"))

    dense_model = Sequential()
    dense_model.add(layers.Dense(32, activation="relu", input_shape=(784,)))
    dense_model.add(layers.BatchNormalization())
    dense_model.add(layers.Dense(10, activation="softmax"))

    images = np.random.random((args.samples, 28, 28, 1)).astype("float32")
    labels = to_categorical(np.random.randint(10, size=args.samples), 10)
    for model, x in ((conv_model, images), (dense_model, images.reshape(-1, 784))):
        model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
        model.fit(x, labels, epochs=args.epochs, batch_size=32, verbose=0)
        batch_norm = next(layer for layer in model.layers if isinstance(layer, layers.BatchNormalization))
        moving_mean = batch_norm.get_weights()[2]
        print(f"{model.name}: BatchNormalization moving mean after training, first values "
              f"{', '.join(f'{value:.4f}' for value in moving_mean[:3])}, non-trainable weights "
              f"{len(batch_norm.non_trainable_weights)}")


def separable_convnet(args):
    # Listing 7.10 (section 7.3.2): a lightweight depthwise-separable convnet
    height = 64
    width = 64
    channels = 3
    num_classes = 10
    model = Sequential()
    model.add(layers.SeparableConv2D(32, 3, activation="relu", input_shape=(height, width, channels,)))
    model.add(layers.SeparableConv2D(64, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.SeparableConv2D(64, 3, activation="relu"))
    model.add(layers.SeparableConv2D(128, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.SeparableConv2D(64, 3, activation="relu"))
    model.add(layers.SeparableConv2D(128, 3, activation="relu"))
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(num_classes, activation="softmax"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.summary()

    x = np.random.random((args.samples, height, width, channels)).astype("float32")
    y = to_categorical(np.random.randint(num_classes, size=args.samples), num_classes)
    history = model.fit(x, y, epochs=args.epochs, batch_size=32)
    print("separable convnet loss: %.4f" % history.history["loss"][-1])
    return model, x


def ensemble(model, x, args):
    # Section 7.3.3: a weighted average of several models' predictions (here two models of
    # listing 7.10's shape, the second freshly trained)
    other = Sequential.from_config(model.get_config())
    other.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    other.fit(x, np.eye(10)[np.random.randint(10, size=len(x))], epochs=1, batch_size=32, verbose=0)
    x_val = x[:8]
    preds_a = model.predict(x_val, verbose=0)
    preds_b = other.predict(x_val, verbose=0)
    final_preds = 0.75 * preds_a + 0.25 * preds_b
    print("ensemble predictions:", final_preds.shape)


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    batch_normalized_models(args)
    model, x = separable_convnet(args)
    ensemble(model, x, args)


if __name__ == "__main__":
    main()
