"""The command line every example script shares: its flags, the thread and seed setup, pyplot
for --plot, and the message that says where to put missing data."""
import argparse
import contextlib
import sys

import fastnn
from fastnn.datasets import DatasetNotFoundError, DownloadError


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def make_parser(doc, *, epochs, data_help, plot_help, epochs_help=None):
    """--epochs, --threads, --data-dir and --plot (each unless its help is None) and --seed; the
    description is the docstring's first line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--epochs", type=positive_int, default=epochs, help=epochs_help)
    parser.add_argument("--threads", type=positive_int, default=None, help="kernel threads (default: all CPUs)")
    if data_help is not None:
        parser.add_argument("--data-dir", default=None, help=data_help)
    if plot_help is not None:
        parser.add_argument("--plot", metavar="FILE", default=None, help=plot_help)
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    return parser


def load_pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def start(args):
    """Applies --threads and --seed; returns pyplot when --plot asks for it (None without matplotlib)."""
    if args.threads is not None:
        fastnn.set_num_threads(args.threads)
    if args.seed is not None:
        fastnn.utils.set_random_seed(args.seed)
    if not getattr(args, "plot", None):
        return None
    plt = load_pyplot()
    if plt is None:
        print(f"--plot {args.plot}: matplotlib is not installed (pip install matplotlib); "
              "training without plotting.", file=sys.stderr)
    return plt


@contextlib.contextmanager
def exit_without_data(filename=None):
    """Turns a missing, unreadable or undownloadable data set into the loader's message, how to pass
    --data-dir, and exit 1."""
    try:
        yield
    except (DatasetNotFoundError, DownloadError, ValueError) as error:
        holding = f" (the folder holding {filename})" if filename else ""
        sys.exit(f"{error}\nWith this script: python {sys.argv[0]} --data-dir DIR{holding}")


def add_synthetic_flag(parser, what):
    """--synthetic: small generated data in the original format instead of --data-dir."""
    parser.add_argument("--synthetic", action="store_true",
                        help=f"write small generated {what} in its original format to a temporary "
                             "folder and run on it instead of --data-dir")


@contextlib.contextmanager
def data_source(args, writer, **sizes):
    """The path to read: the one --data-dir gives, or, with --synthetic, what `writer` (one of
    _synthetic's) writes into a temporary folder, removed when the block ends."""
    if not args.synthetic:
        yield args.data_dir
        return
    import tempfile

    import numpy as np

    with tempfile.TemporaryDirectory(prefix="fastnn-synthetic-") as folder:
        yield str(writer(folder, np.random.default_rng(args.seed), **sizes))


def weights_file(folder, stem):
    """<folder>/<stem>.h5 as the book names it when h5py is installed, else <stem>.npz (fastnn's own)."""
    import importlib.util
    import os

    if importlib.util.find_spec("h5py") is not None:
        return os.path.join(folder, stem + ".h5")
    print(f"h5py is not installed (pip install \"fastnn[h5]\"): saving {stem}.npz instead of {stem}.h5")
    return os.path.join(folder, stem + ".npz")
