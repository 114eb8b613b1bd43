"""Chapter 3.6: predicting house prices (Boston housing) with K-fold validation.

    python examples/boston_housing.py [--epochs 100] [--threads N] [--seed S] [--data-dir DIR] [--plot mae.png]

--epochs sets the scoring run; the run recording validation MAE per epoch takes
five times as many (500) and the final model 80 % as many (80), as in the book.
--data-dir is a folder holding Keras's boston_housing.npz.
"""
import numpy as np

from fastnn import layers, models
from fastnn.datasets import boston_housing

import _cli


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=100, epochs_help="epochs per fold of the scoring run",
                              data_help="folder holding boston_housing.npz",
                              plot_help="save the validation MAE curve to this PNG")
    return parser.parse_args(argv)


# Listing 3.26: model definition
def build_model(input_size):
    model = models.Sequential()
    model.add(layers.Dense(64, activation="relu", input_shape=(input_size,)))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(1))
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


# Listings 3.27 and 3.28: K-fold validation; with history=True, each fold's validation MAE per epoch
def k_fold(train_data, train_targets, k, num_epochs, batch_size, history=False):
    num_val_samples = len(train_data) // k
    results = []
    for i in range(k):
        print("processing fold #", i)
        val_data = train_data[i * num_val_samples: (i + 1) * num_val_samples]
        val_targets = train_targets[i * num_val_samples: (i + 1) * num_val_samples]
        partial_train_data = np.concatenate(
            [train_data[:i * num_val_samples], train_data[(i + 1) * num_val_samples:]], axis=0)
        partial_train_targets = np.concatenate(
            [train_targets[:i * num_val_samples], train_targets[(i + 1) * num_val_samples:]], axis=0)
        model = build_model(train_data.shape[1])
        if history:
            fit = model.fit(partial_train_data, partial_train_targets,
                            validation_data=(val_data, val_targets),
                            epochs=num_epochs, batch_size=batch_size, verbose=0)
            results.append(fit.history["val_mean_absolute_error"])
        else:
            model.fit(partial_train_data, partial_train_targets,
                      epochs=num_epochs, batch_size=batch_size, verbose=0)
            val_mse, val_mae = model.evaluate(val_data, val_targets, verbose=0)
            results.append(val_mae)
    return results


# Listing 3.30: an exponential moving average of the points
def smooth_curve(points, factor=0.9):
    smoothed_points = []
    for point in points:
        if smoothed_points:
            previous = smoothed_points[-1]
            smoothed_points.append(previous * factor + point * (1 - factor))
        else:
            smoothed_points.append(point)
    return smoothed_points


def plot_mae(plt, average_mae_history, path):
    figure, (raw_axis, smooth_axis) = plt.subplots(1, 2, figsize=(10, 4))
    # Listing 3.29: validation MAE per epoch
    raw_axis.plot(range(1, len(average_mae_history) + 1), average_mae_history)
    # Listing 3.30: without the first 10 points, smoothed
    smooth_mae_history = smooth_curve(average_mae_history[10:])
    smooth_axis.plot(range(11, len(smooth_mae_history) + 11), smooth_mae_history)
    for axis in (raw_axis, smooth_axis):
        axis.set_xlabel("Epochs")
        axis.set_ylabel("Validation MAE")
    figure.tight_layout()
    figure.savefig(path)


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)

    # Listing 3.24: loading the Boston housing dataset
    with _cli.exit_without_data("boston_housing.npz"):
        (train_data, train_targets), (test_data, test_targets) = boston_housing.load_data(
            path=args.data_dir or "boston_housing.npz")
    print(f"training data {train_data.shape}, test data {test_data.shape}")

    # Listing 3.25: normalizing the data with the training set's statistics
    mean = train_data.mean(axis=0)
    train_data -= mean
    std = train_data.std(axis=0)
    train_data /= std
    test_data -= mean
    test_data /= std

    k = 4
    all_scores = k_fold(train_data, train_targets, k, args.epochs, batch_size=1)
    print("validation MAE per fold:", all_scores, "mean:", np.mean(all_scores))

    all_mae_histories = k_fold(train_data, train_targets, k, 5 * args.epochs, batch_size=1, history=True)
    # Listing 3.29: the average of the per-epoch validation MAE over all folds
    average_mae_history = [np.mean([x[i] for x in all_mae_histories]) for i in range(5 * args.epochs)]
    print(f"best mean validation MAE {min(average_mae_history):.3f} "
          f"at epoch {int(np.argmin(average_mae_history)) + 1}")
    if plt is not None:
        plot_mae(plt, average_mae_history, args.plot)
        print(f"validation MAE curve saved to {args.plot}")

    # Listing 3.31: training the final model
    model = build_model(train_data.shape[1])
    model.fit(train_data, train_targets, epochs=max(1, round(0.8 * args.epochs)), batch_size=16, verbose=0)
    test_mse_score, test_mae_score = model.evaluate(test_data, test_targets)
    print(f"test MAE {test_mae_score:.3f} (thousands of dollars)")
    return test_mae_score


if __name__ == "__main__":
    main()
