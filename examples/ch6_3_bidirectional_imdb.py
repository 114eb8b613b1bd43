"""Chapter 6.3.7-6.3.8 (listings 6.42-6.43): an LSTM reading IMDB reviews backwards, and a
bidirectional LSTM.

    python examples/ch6_3_bidirectional_imdb.py [--data-dir DIR | --synthetic] [--epochs 10]
                                                [--threads N] [--seed S] [--plot curves.png]

--data-dir is a folder holding Keras's imdb.npz; without it the file is looked up and
downloaded as fastnn.datasets.imdb.load_data does.
"""
from fastnn import layers
from fastnn.models import Sequential
from fastnn.preprocessing import sequence

import _cli
import _imdb_sequences


def main(argv=None):
    args = _imdb_sequences.parse_args(__doc__, argv)
    plt = _cli.start(args)

    # Listing 6.42: training and evaluating an LSTM using reversed sequences
    max_features = 10000
    maxlen = 500
    (x_train, y_train), (x_test, y_test) = _imdb_sequences.load_imdb(args, max_features)
    x_train = [x[::-1] for x in x_train]
    x_test = [x[::-1] for x in x_test]
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
    model = Sequential()
    model.add(layers.Embedding(max_features, 128))
    model.add(layers.LSTM(32))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2)
    _imdb_sequences.plot_history(plt, history, args.plot, "reversed_lstm")
    print("reversed LSTM final validation accuracy: %.4f" % history.history["val_acc"][-1])

    # Listing 6.43: training and evaluating a bidirectional LSTM (on the reviews in their order)
    (x_train, y_train), (x_test, y_test) = _imdb_sequences.load_imdb(args, max_features)
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
    model = Sequential()
    model.add(layers.Embedding(max_features, 32))
    model.add(layers.Bidirectional(layers.LSTM(32)))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2)
    _imdb_sequences.plot_history(plt, history, args.plot, "bidirectional_lstm")
    print("bidirectional LSTM final validation accuracy: %.4f" % history.history["val_acc"][-1])
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"bidirectional LSTM test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")
    return history


if __name__ == "__main__":
    main()
