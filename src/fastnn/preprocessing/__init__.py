"""Data preprocessing, as keras.preprocessing: `image` (loading image files, augmentation), `text`
(Tokenizer, one_hot, hashing_trick) and `sequence` (pad_sequences, TimeseriesGenerator)."""
from . import sequence, text
