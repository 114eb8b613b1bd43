"""Chapter 6.2 (listings 6.21-6.27): a recurrent layer written in NumPy, SimpleRNN's outputs and
stacking, then SimpleRNN and LSTM classifying IMDB reviews of 500 words.

    python examples/ch6_2_rnn_imdb.py [--data-dir DIR | --synthetic] [--epochs 10]
                                      [--threads N] [--seed S] [--plot curves.png]

--data-dir is a folder holding Keras's imdb.npz; without it the file is looked up and
downloaded as fastnn.datasets.imdb.load_data does.
"""
import numpy as np

from fastnn.layers import LSTM, Dense, Embedding, SimpleRNN
from fastnn.models import Sequential

import _cli
import _imdb_sequences


def numpy_rnn():
    # Listing 6.21: NumPy implementation of a simple RNN
    timesteps = 100
    input_features = 32
    output_features = 64
    inputs = np.random.random((timesteps, input_features))
    state_t = np.zeros((output_features,))
    W = np.random.random((output_features, input_features))
    U = np.random.random((output_features, output_features))
    b = np.random.random((output_features,))
    successive_outputs = []
    for input_t in inputs:
        output_t = np.tanh(np.dot(W, input_t) + np.dot(U, state_t) + b)
        successive_outputs.append(output_t)
        state_t = output_t
    final_output_sequence = np.concatenate(successive_outputs, axis=0)
    print("NumPy RNN output:", final_output_sequence.shape)


def simple_rnn_shapes():
    # Section 6.2.1: SimpleRNN returning its last output, its full sequence, and stacked
    model = Sequential()
    model.add(Embedding(10000, 32))
    model.add(SimpleRNN(32))
    model.summary()

    model = Sequential()
    model.add(Embedding(10000, 32))
    model.add(SimpleRNN(32, return_sequences=True))
    model.summary()

    model = Sequential()
    model.add(Embedding(10000, 32))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32))
    model.summary()


def main(argv=None):
    args = _imdb_sequences.parse_args(__doc__, argv)
    plt = _cli.start(args)
    numpy_rnn()
    simple_rnn_shapes()

    # Listing 6.22: preparing the IMDB data
    max_features = 10000
    maxlen = 500
    batch_size = 32
    (input_train, y_train), (input_test, y_test) = _imdb_sequences.load_padded(args, max_features, maxlen)

    # Listing 6.23: training the model with Embedding and SimpleRNN layers
    model = Sequential()
    model.add(Embedding(max_features, 32))
    model.add(SimpleRNN(32))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(input_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2)
    _imdb_sequences.plot_history(plt, history, args.plot, "simple_rnn")
    print("SimpleRNN final validation accuracy: %.4f" % history.history["val_acc"][-1])

    # Listing 6.27: using the LSTM layer in Keras
    model = Sequential()
    model.add(Embedding(max_features, 32))
    model.add(LSTM(32))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(input_train, y_train, epochs=args.epochs, batch_size=128, validation_split=0.2)
    _imdb_sequences.plot_history(plt, history, args.plot, "lstm")
    print("LSTM final validation accuracy: %.4f" % history.history["val_acc"][-1])
    test_loss, test_acc = model.evaluate(input_test, y_test, batch_size=batch_size, verbose=0)
    print(f"LSTM test loss {test_loss:.4f}, test accuracy {test_acc:.4f}")
    return history


if __name__ == "__main__":
    main()
