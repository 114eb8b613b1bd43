"""Recurrent layers: the RNN wrapper, the SimpleRNN, LSTM and GRU layers and cells, and the
wrappers that run a layer both ways (Bidirectional) or on every step (TimeDistributed)."""
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell"]
