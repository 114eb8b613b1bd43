"""Chapter 7.2 (listings 7.7-7.9 and section 7.2.1's snippets): callbacks and TensorBoard on the
IMDB 1D convnet. EarlyStopping with ModelCheckpoint, ReduceLROnPlateau, a custom callback saving
a layer's activations every epoch, TensorBoard with histograms and embeddings every epoch, and
plot_model.

    python examples/ch7_2_callbacks.py [--data-dir DIR | --synthetic] [--epochs 20]
                                       [--output-dir .] [--threads N] [--seed S]

--data-dir is a folder holding Keras's imdb.npz; without it the file is looked up and
downloaded as fastnn.datasets.imdb.load_data does. Everything the callbacks write (my_model.h5,
activations_at_epoch_N.npz, my_log_dir/ for `tensorboard --logdir my_log_dir`, model.png) goes to
--output-dir, the current folder by default as in the book.
"""
import os

import numpy as np

import fastnn
from fastnn import layers
from fastnn.preprocessing import sequence
from fastnn.utils import plot_model

import _cli
import _imdb_sequences


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=20, data_help="folder holding imdb.npz", plot_help=None)
    _cli.add_synthetic_flag(parser, "IMDB reviews (imdb.npz)")
    parser.add_argument("--output-dir", default=".", help="where the callbacks write their files")
    return parser.parse_args(argv)


class ActivationLogger(fastnn.callbacks.Callback):
    """Section 7.2.1's custom callback: every layer's activations on one validation sample, saved
    to disk after each epoch. Keras 2 gave callbacks self.validation_data; Keras 3 (and fastnn)
    do not, so the sample is passed in."""

    def __init__(self, validation_sample, output_dir):
        super().__init__()
        self.validation_sample = validation_sample
        self.output_dir = output_dir

    def set_model(self, model):
        self.model = model
        layer_outputs = [layer.output for layer in model.layers]
        self.activations_model = fastnn.models.Model(model.input, layer_outputs)

    def on_epoch_end(self, epoch, logs=None):
        activations = self.activations_model.predict(self.validation_sample, verbose=0)
        f = open(os.path.join(self.output_dir, "activations_at_epoch_" + str(epoch) + ".npz"), "wb")
        np.savez(f, *activations)
        f.close()


def build_model(max_features, max_len):
    # Listing 7.7: text-classification model to use with TensorBoard
    model = fastnn.models.Sequential()
    model.add(layers.Embedding(max_features, 128, input_length=max_len, name="embed"))
    model.add(layers.Conv1D(32, 7, activation="relu"))
    model.add(layers.MaxPooling1D(5))
    model.add(layers.Conv1D(32, 7, activation="relu"))
    model.add(layers.GlobalMaxPooling1D())
    model.add(layers.Dense(1))
    model.summary()
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    return model


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    out = args.output_dir
    os.makedirs(out, exist_ok=True)

    max_features = 2000
    max_len = 500
    (x_train, y_train), (x_test, y_test) = _imdb_sequences.load_imdb(args, max_features)
    x_train = sequence.pad_sequences(x_train, maxlen=max_len)
    x_test = sequence.pad_sequences(x_test, maxlen=max_len)
    x, y, x_val, y_val = x_train, y_train, x_test, y_test

    # Section 7.2.1: EarlyStopping and ModelCheckpoint
    model = build_model(max_features, max_len)
    callbacks_list = [
        fastnn.callbacks.EarlyStopping(monitor="acc", patience=1),
        fastnn.callbacks.ModelCheckpoint(filepath=os.path.join(out, "my_model.h5"), monitor="val_loss",
                                         save_best_only=True),
    ]
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=args.epochs, batch_size=32, callbacks=callbacks_list,
                        validation_data=(x_val, y_val))
    print(f"EarlyStopping: trained {len(history.epoch)} of {args.epochs} epochs; best model in "
          f"{os.path.join(out, 'my_model.h5')}")
    best = fastnn.models.load_model(os.path.join(out, "my_model.h5"))
    print("best checkpoint validation loss: %.4f" % best.evaluate(x_val, y_val, verbose=0)[0])

    # Section 7.2.1: ReduceLROnPlateau, and the activation-logging callback
    callbacks_list = [
        fastnn.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10),
        ActivationLogger(x_val[0:1], out),
    ]
    model.fit(x, y, epochs=args.epochs, batch_size=32, callbacks=callbacks_list, validation_data=(x_val, y_val))
    with np.load(os.path.join(out, "activations_at_epoch_0.npz")) as saved:
        print("activations at epoch 0:", [saved[name].shape for name in saved.files])

    # Listings 7.8-7.9: training the model with a TensorBoard callback (into my_log_dir)
    model = build_model(max_features, max_len)
    log_dir = os.path.join(out, "my_log_dir")
    os.makedirs(log_dir, exist_ok=True)
    callbacks = [fastnn.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1, embeddings_freq=1)]
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2,
                        callbacks=callbacks)
    print(f"TensorBoard logs in {log_dir}: {sorted(os.listdir(log_dir))}")

    # Section 7.2.2: the model's graph as an image
    try:
        plot_model(model, to_file=os.path.join(out, "model.png"))
        plot_model(model, show_shapes=True, to_file=os.path.join(out, "model_shapes.png"))
        print(f"model graph saved to {os.path.join(out, 'model.png')}")
    except ImportError as error:
        print(f"not drawing the model: {error}")
    return history


if __name__ == "__main__":
    main()
