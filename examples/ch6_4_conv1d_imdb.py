"""Chapter 6.4.3 (listings 6.45-6.46): a 1D convnet classifying IMDB reviews of 500 words.
The Jena 1D convnets (listings 6.47-6.49) are in ch6_3_jena_temperature.py.

    python examples/ch6_4_conv1d_imdb.py [--data-dir DIR | --synthetic] [--epochs 10]
                                         [--threads N] [--seed S] [--plot curves.png]

--data-dir is a folder holding Keras's imdb.npz; without it the file is looked up and
downloaded as fastnn.datasets.imdb.load_data does.
"""
from fastnn import layers
from fastnn.models import Sequential
from fastnn.optimizers import RMSprop

import _cli
import _imdb_sequences


def main(argv=None):
    args = _imdb_sequences.parse_args(__doc__, argv)
    plt = _cli.start(args)

    # Listing 6.45: preparing the IMDB data
    max_features = 10000
    max_len = 500
    (x_train, y_train), (x_test, y_test) = _imdb_sequences.load_padded(args, max_features, max_len)

    # Listing 6.46: training and evaluating a simple 1D convnet on the IMDB data
    model = Sequential()
    model.add(layers.Embedding(max_features, 128, input_length=max_len))
    model.add(layers.Conv1D(32, 7, activation="relu"))
    model.add(layers.MaxPooling1D(5))
    model.add(layers.Conv1D(32, 7, activation="relu"))
    model.add(layers.GlobalMaxPooling1D())
    model.add(layers.Dense(1))
    model.summary()
    model.compile(optimizer=RMSprop(lr=1e-4), loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2)
    _imdb_sequences.plot_history(plt, history, args.plot, "conv1d")
    print("1D convnet final validation accuracy: %.4f" % history.history["val_acc"][-1])
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"1D convnet test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")
    return history


if __name__ == "__main__":
    main()
