"""Recurrent layers: the RNN wrapper, the SimpleRNN, LSTM and GRU layers and cells, and the
wrappers that run a layer both ways (Bidirectional) or on every step (TimeDistributed)."""
from .bidirectional import Bidirectional
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell
from .time_distributed import TimeDistributed

__all__ = ["Bidirectional", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNN", "SimpleRNNCell", "TimeDistributed"]
