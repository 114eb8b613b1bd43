"""Chapter 4.4: fighting overfitting on IMDB with L2 weight regularization and dropout.

    python examples/imdb_regularized.py [--epochs 20] [--threads N] [--seed S] [--data-dir DIR] [--plot val_loss.png]

Trains the chapter-3 model, the same with L2 regularization (listing 4.6) and
with dropout (listing 4.8), each validated on the test reviews, and compares
their validation loss.
"""
import numpy as np

from fastnn import layers, models, regularizers
from fastnn.datasets import imdb

import _cli
from imdb import vectorize_sequences  # listing 3.2, as chapter 3 wrote it


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=20, data_help="folder holding imdb.npz",
                              plot_help="save the validation loss curves to this PNG")
    return parser.parse_args(argv)


# Listing 4.3: the original model
def original_model():
    model = models.Sequential()
    model.add(layers.Dense(16, activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


# Listing 4.6: adding L2 weight regularization to the model
def l2_model():
    model = models.Sequential()
    model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001),
                           activation="relu", input_shape=(10000,)))
    model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001), activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


# Listing 4.8: adding dropout to the IMDB network
def dpt_model():
    model = models.Sequential()
    model.add(layers.Dense(16, activation="relu", input_shape=(10000,)))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)

    with _cli.exit_without_data("imdb.npz"):
        (train_data, train_labels), (test_data, test_labels) = imdb.load_data(
            path=args.data_dir or "imdb.npz", num_words=10000)
    x_train = vectorize_sequences(train_data)
    x_test = vectorize_sequences(test_data)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")

    val_losses = {}
    for name, build in (("original", original_model), ("L2-regularized", l2_model), ("dropout", dpt_model)):
        print(f"{name} model")
        model = build()
        model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
        history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=512,
                            validation_data=(x_test, y_test))
        val_losses[name] = history.history["val_loss"]
    for name, losses in val_losses.items():
        print(f"{name:>15} validation loss: lowest {min(losses):.4f}, last {losses[-1]:.4f}")

    if plt is not None:
        # Figures 4.7 and 4.9: validation loss of each model per epoch
        epochs = range(1, args.epochs + 1)
        figure, axis = plt.subplots(figsize=(6, 4))
        for (name, losses), style in zip(val_losses.items(), ("b+", "bo", "b-")):
            axis.plot(epochs, losses, style, label=f"{name} model")
        axis.set_xlabel("Epochs")
        axis.set_ylabel("Validation loss")
        axis.legend()
        figure.tight_layout()
        figure.savefig(args.plot)
        print(f"validation loss curves saved to {args.plot}")
    return val_losses


if __name__ == "__main__":
    main()
