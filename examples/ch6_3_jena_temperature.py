"""Chapter 6.3 and 6.4.4-6.4.5 (listings 6.28-6.41, 6.44, 6.47-6.49): forecasting the temperature
24 hours ahead from the Jena weather series: the book's generator, the naive baseline, a densely
connected model, GRU, GRU with dropout, stacked GRUs, a bidirectional GRU, a 1D convnet, and
Conv1D + GRU on a finer series.

    python examples/ch6_3_jena_temperature.py [--data-dir DIR | --synthetic] [--epochs N]
           [--models dense,gru,...] [--steps-per-epoch 500] [--validation-steps N]
           [--batch-size 128] [--threads N] [--seed S] [--plot curves.png]

--data-dir is the folder holding jena_climate_2009_2016.csv (unzipped from Keras's
jena_climate_2009_2016.csv.zip); without it the archive is fetched with fastnn.utils.get_file.
--synthetic writes a small CSV with the same header and row format. The book trains each model
for 20 or 40 epochs of 500 steps; --epochs, --steps-per-epoch and --validation-steps override
those for every model. A series shorter than the real one (420,551 rows) is split at the same
fractions as the book's rows 200,000 and 300,000.
"""
import os

import numpy as np

from fastnn import layers
from fastnn.models import Sequential
from fastnn.optimizers import RMSprop

import _cli
import _synthetic

MODELS = ("dense", "gru", "gru_dropout", "stacked_gru", "bidirectional_gru", "conv1d", "conv1d_gru")
BOOK_ROWS = 420551
JENA_ORIGIN = "https://s3.amazonaws.com/keras-datasets/jena_climate_2009_2016.csv.zip"


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=None, epochs_help="epochs of every model (default: the book's 20 or 40)",
                              data_help="folder holding jena_climate_2009_2016.csv",
                              plot_help="save the temperature plots and loss curves to PNGs named after this one")
    _cli.add_synthetic_flag(parser, "weather measurements (jena_climate_2009_2016.csv)")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated models to train, of {', '.join(MODELS)} (default: all)")
    parser.add_argument("--steps-per-epoch", type=_cli.positive_int, default=500)
    parser.add_argument("--validation-steps", type=_cli.positive_int, default=None,
                        help="validation (and naive baseline) batches; default: the book's formula")
    parser.add_argument("--batch-size", type=_cli.positive_int, default=128)
    args = parser.parse_args(argv)
    args.models = [name.strip() for name in args.models.split(",") if name.strip()]
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown:
        parser.error(f"--models: unknown {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    return args


def csv_path(data_dir):
    if data_dir is not None:
        return os.path.join(data_dir, "jena_climate_2009_2016.csv")
    from fastnn.utils import get_file

    folder = get_file("jena_climate_2009_2016.csv.zip", origin=JENA_ORIGIN, extract=True)  # the unzipped folder
    return os.path.join(folder, "jena_climate_2009_2016.csv")


# Listing 6.33: generator yielding timeseries samples and their targets
def generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6):
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while 1:
        if shuffle:
            rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, row in enumerate(rows):
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


class Series:
    """The normalized series with the book's split points (scaled down for a shorter series)."""

    def __init__(self, float_data, batch_size):
        self.float_data = float_data
        self.batch_size = batch_size
        if len(float_data) >= BOOK_ROWS:
            self.train_end, self.val_end = 200000, 300000
        else:
            self.train_end = len(float_data) * 200000 // BOOK_ROWS
            self.val_end = len(float_data) * 300000 // BOOK_ROWS
            print(f"{len(float_data)} rows: training on rows 0-{self.train_end}, validating on "
                  f"{self.train_end + 1}-{self.val_end}, testing on {self.val_end + 1}- "
                  "(the book's 200000 and 300000, scaled)")

    def generators(self, lookback, step, delay):
        # Listings 6.34 and 6.48: preparing the training, validation and test generators
        batch_size = self.batch_size
        train_gen = generator(self.float_data, lookback=lookback, delay=delay, min_index=0,
                              max_index=self.train_end, shuffle=True, step=step, batch_size=batch_size)
        val_gen = generator(self.float_data, lookback=lookback, delay=delay, min_index=self.train_end + 1,
                            max_index=self.val_end, step=step, batch_size=batch_size)
        test_gen = generator(self.float_data, lookback=lookback, delay=delay, min_index=self.val_end + 1,
                             max_index=None, step=step, batch_size=batch_size)
        val_steps = (self.val_end - (self.train_end + 1) - lookback) // batch_size
        test_steps = (len(self.float_data) - (self.val_end + 1) - lookback) // batch_size
        if val_steps < 1 or test_steps < 1:
            raise SystemExit(f"the series of {len(self.float_data)} rows is too short for a lookback of "
                             f"{lookback} rows and batches of {batch_size}: validation and test need "
                             "at least one batch each")
        return train_gen, val_gen, test_gen, val_steps, test_steps


def read_series(path):
    # Listing 6.28: inspecting the data of the Jena weather dataset
    f = open(path)
    data = f.read()
    f.close()
    lines = data.split("\n")
    header = lines[0].split(",")
    lines = lines[1:]
    print(header)
    print(len(lines))

    # Listing 6.29: parsing the data
    float_data = np.zeros((len(lines), len(header) - 1))
    for i, line in enumerate(lines):
        values = [float(x) for x in line.split(",")[1:]]
        float_data[i, :] = values
    return float_data


def plot_temperature(plt, float_data, plot_path):
    # Listings 6.30 and 6.31: the temperature over the whole series and its first 10 days
    temp = float_data[:, 1]
    figure, (whole, days) = plt.subplots(1, 2, figsize=(12, 4))
    whole.plot(range(len(temp)), temp)
    whole.set_title("Temperature (degC)")
    days.plot(range(min(1440, len(temp))), temp[:1440])
    days.set_title("First 10 days")
    path = _named(plot_path, "temperature")
    figure.savefig(path)
    plt.close(figure)
    print(f"temperature plot saved to {path}")


def plot_loss(plt, history, plot_path, name):
    # Listing 6.38: plotting the results
    if plt is None:
        return
    loss = history.history["loss"]
    val_loss = history.history["val_loss"]
    epochs = range(1, len(loss) + 1)
    figure = plt.figure()
    plt.plot(epochs, loss, "bo", label="Training loss")
    plt.plot(epochs, val_loss, "b", label="Validation loss")
    plt.title(f"Training and validation loss ({name})")
    plt.legend()
    path = _named(plot_path, name)
    figure.savefig(path)
    plt.close(figure)
    print(f"{name}: loss curves saved to {path}")


def _named(plot_path, name):
    root, extension = os.path.splitext(plot_path)
    return f"{root}_{name}{extension or '.png'}"


# Listing 6.35: computing the common-sense baseline MAE
def evaluate_naive_method(val_gen, val_steps):
    batch_maes = []
    for step in range(val_steps):
        samples, targets = next(val_gen)
        preds = samples[:, -1, 1]
        mae = np.mean(np.abs(preds - targets))
        batch_maes.append(mae)
    print(np.mean(batch_maes))
    return np.mean(batch_maes)


def build(name, float_data, lookback, step):
    """Listings 6.37, 6.39, 6.40, 6.41, 6.44, 6.47 and 6.49, and the epochs the book trains each for."""
    model = Sequential()
    if name == "dense":
        model.add(layers.Flatten(input_shape=(lookback // step, float_data.shape[-1])))
        model.add(layers.Dense(32, activation="relu"))
        model.add(layers.Dense(1))
        return model, 20
    if name == "gru":
        model.add(layers.GRU(32, input_shape=(None, float_data.shape[-1])))
        model.add(layers.Dense(1))
        return model, 20
    if name == "gru_dropout":
        model.add(layers.GRU(32, dropout=0.2, recurrent_dropout=0.2, input_shape=(None, float_data.shape[-1])))
        model.add(layers.Dense(1))
        return model, 40
    if name == "stacked_gru":
        model.add(layers.GRU(32, dropout=0.1, recurrent_dropout=0.5, return_sequences=True,
                             input_shape=(None, float_data.shape[-1])))
        model.add(layers.GRU(64, activation="relu", dropout=0.1, recurrent_dropout=0.5))
        model.add(layers.Dense(1))
        return model, 40
    if name == "bidirectional_gru":
        model.add(layers.Bidirectional(layers.GRU(32), input_shape=(None, float_data.shape[-1])))
        model.add(layers.Dense(1))
        return model, 40
    if name == "conv1d":
        model.add(layers.Conv1D(32, 5, activation="relu", input_shape=(None, float_data.shape[-1])))
        model.add(layers.MaxPooling1D(3))
        model.add(layers.Conv1D(32, 5, activation="relu"))
        model.add(layers.MaxPooling1D(3))
        model.add(layers.Conv1D(32, 5, activation="relu"))
        model.add(layers.GlobalMaxPooling1D())
        model.add(layers.Dense(1))
        return model, 20
    assert name == "conv1d_gru"
    model.add(layers.Conv1D(32, 5, activation="relu", input_shape=(None, float_data.shape[-1])))
    model.add(layers.MaxPooling1D(3))
    model.add(layers.Conv1D(32, 5, activation="relu"))
    model.add(layers.GRU(32, dropout=0.1, recurrent_dropout=0.5))
    model.add(layers.Dense(1))
    model.summary()
    return model, 20


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)
    with _cli.data_source(args, _synthetic.write_jena_csv) as data_dir, \
            _cli.exit_without_data("jena_climate_2009_2016.csv"):
        path = csv_path(data_dir)
        if not os.path.isfile(path):
            raise SystemExit(f"{path} does not exist: pass --data-dir DIR, the folder holding "
                             "jena_climate_2009_2016.csv (unzipped from jena_climate_2009_2016.csv.zip), "
                             "or --synthetic")
        float_data = read_series(path)
    if plt is not None:
        plot_temperature(plt, float_data, args.plot)

    series = Series(float_data, args.batch_size)
    # Listing 6.32: normalizing the data (statistics of the training rows only)
    mean = float_data[:series.train_end].mean(axis=0)
    float_data -= mean
    std = float_data[:series.train_end].std(axis=0)
    float_data /= std

    lookback = 1440
    step = 6
    delay = 144
    train_gen, val_gen, test_gen, val_steps, test_steps = series.generators(lookback, step, delay)
    val_steps = args.validation_steps or val_steps

    naive_mae = evaluate_naive_method(val_gen, val_steps)
    # Listing 6.36: converting the MAE back to a Celsius error
    celsius_mae = naive_mae * std[1]
    print(f"naive baseline: MAE {naive_mae:.4f}, {celsius_mae:.2f} degC")

    results = {"naive": naive_mae}
    for name in args.models:
        if name == "conv1d_gru":
            # Listing 6.48: higher-resolution data generators (step 3, half the lookback)
            step = 3
            lookback = 720
            delay = 144
            train_gen, val_gen, test_gen, val_steps, test_steps = series.generators(lookback, step, delay)
            val_steps = args.validation_steps or val_steps
        model, epochs = build(name, float_data, lookback, step)
        model.compile(optimizer=RMSprop(), loss="mae")
        print(f"--- {name}")
        history = model.fit_generator(train_gen, steps_per_epoch=args.steps_per_epoch, epochs=args.epochs or epochs,
                                      validation_data=val_gen, validation_steps=val_steps)
        plot_loss(plt, history, args.plot, name)
        results[name] = history.history["val_loss"][-1]
        print(f"{name}: final validation MAE {results[name]:.4f} ({results[name] * std[1]:.2f} degC)")
    print("validation MAE:", ", ".join(f"{name} {value:.4f}" for name, value in results.items()))
    return results


if __name__ == "__main__":
    main()
