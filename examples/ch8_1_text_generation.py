"""Chapter 8.1 (listings 8.1-8.7): character-level text generation with an LSTM trained on
Nietzsche's writings, sampled at several temperatures.

    python examples/ch8_1_text_generation.py [--data-dir DIR | --synthetic] [--epochs 59]
                                             [--generate 400] [--threads N] [--seed S]

--data-dir is nietzsche.txt or the folder holding it; without it the file is fetched with
fastnn.utils.get_file (from the book's address, into ~/.keras/datasets) as the book does.
--synthetic writes a small text of the same kind. Each epoch ends by generating --generate
characters (the book's 400) at temperatures 0.2, 0.5, 1.0 and 1.2.
"""
import os
import random
import sys

import numpy as np

import fastnn
from fastnn import layers

import _cli
import _synthetic


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=59, data_help="nietzsche.txt, or the folder holding it",
                              plot_help=None, epochs_help="training epochs (the book's loop runs 59)")
    _cli.add_synthetic_flag(parser, "text (nietzsche.txt)")
    parser.add_argument("--generate", type=_cli.positive_int, default=400,
                        help="characters generated per temperature after each epoch")
    return parser.parse_args(argv)


# Listing 8.1: reweighting a probability distribution to a different temperature
def reweight_distribution(original_distribution, temperature=0.5):
    distribution = np.log(original_distribution) / temperature
    distribution = np.exp(distribution)
    return distribution / np.sum(distribution)


# Listing 8.6: function to sample the next character given the model's predictions
def sample(preds, temperature=1.0):
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


def text_path(data_dir):
    if data_dir is None:
        # Listing 8.2: downloading and parsing the initial text file
        return fastnn.utils.get_file("nietzsche.txt", origin="https://s3.amazonaws.com/text-datasets/nietzsche.txt")
    if os.path.isdir(data_dir):
        return os.path.join(data_dir, "nietzsche.txt")
    return data_dir


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    print("reweighted [0.5, 0.3, 0.2] at temperature 0.5:",
          np.round(reweight_distribution(np.array([0.5, 0.3, 0.2])), 3).tolist())

    with _cli.data_source(args, _synthetic.write_nietzsche, characters=4000) as data_dir, \
            _cli.exit_without_data("nietzsche.txt"):
        path = text_path(data_dir)
        if not os.path.isfile(path):
            sys.exit(f"{path} does not exist: pass --data-dir with nietzsche.txt or its folder, or --synthetic")
        text = open(path, encoding="utf-8").read().lower()
    print("Corpus length:", len(text))

    # Listing 8.3: vectorizing sequences of characters (the book's np.bool is NumPy's bool, gone
    # from NumPy 1.24 on)
    maxlen = 60
    step = 3
    sentences = []
    next_chars = []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i: i + maxlen])
        next_chars.append(text[i + maxlen])
    print("Number of sequences:", len(sentences))
    chars = sorted(list(set(text)))
    print("Unique characters:", len(chars))
    char_indices = dict((char, chars.index(char)) for char in chars)
    print("Vectorization...")
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)
    y = np.zeros((len(sentences), len(chars)), dtype=bool)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1

    # Listing 8.4: single-layer LSTM model for next-character prediction
    model = fastnn.models.Sequential()
    model.add(layers.LSTM(128, input_shape=(maxlen, len(chars))))
    model.add(layers.Dense(len(chars), activation="softmax"))

    # Listing 8.5: model compilation configuration
    optimizer = fastnn.optimizers.RMSprop(lr=0.01)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)

    # Listing 8.7: text-generation loop
    for epoch in range(1, args.epochs + 1):
        print("epoch", epoch)
        model.fit(x, y, batch_size=128, epochs=1)
        start_index = random.randint(0, len(text) - maxlen - 1)
        generated_text = text[start_index: start_index + maxlen]
        print('--- Generating with seed: "' + generated_text + '"')
        for temperature in [0.2, 0.5, 1.0, 1.2]:
            print("------ temperature:", temperature)
            sys.stdout.write(generated_text)
            for i in range(args.generate):
                sampled = np.zeros((1, maxlen, len(chars)))
                for t, char in enumerate(generated_text):
                    sampled[0, t, char_indices[char]] = 1.
                preds = model.predict(sampled, verbose=0)[0]
                next_index = sample(preds, temperature)
                next_char = chars[next_index]
                generated_text += next_char
                generated_text = generated_text[1:]
                sys.stdout.write(next_char)
            sys.stdout.write("\n")
            sys.stdout.flush()
    return model


if __name__ == "__main__":
    main()
