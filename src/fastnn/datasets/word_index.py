"""Keras's word-index JSON files: word -> frequency rank."""
import json


def read_word_index(file):
    """A word-index JSON file as a dict of str -> int, checked."""
    try:
        with open(file, encoding="utf-8") as stream:
            index = json.load(stream)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file}: not a valid JSON word index ({exc})") from None
    if not isinstance(index, dict):
        raise ValueError(f"{file}: a word index must be a JSON object, found {type(index).__name__}")
    for word, rank in index.items():
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise ValueError(f"{file}: the index of {word!r} is {rank!r}, not an integer")
    return index
