"""The book's chapter-3 examples, run as scripts on small data files made here, and their message without data."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnn

from fastnn import metrics, optimizers

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples"


def ragged(rows):
    array = np.empty(len(rows), dtype=object)
    for position, row in enumerate(rows):
        array[position] = list(row)
    return array


def reviews(rng, count):
    return [rng.integers(1, 9000, rng.integers(5, 60)).tolist() for _ in range(count)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """imdb.npz, reuters.npz, boston_housing.npz and the word indices, a few dozen entries each."""
    folder = tmp_path_factory.mktemp("keras-data")
    rng = np.random.default_rng(0)
    np.savez(folder / "imdb.npz", x_train=ragged(reviews(rng, 40)), y_train=rng.integers(0, 2, 40),
             x_test=ragged(reviews(rng, 30)), y_test=rng.integers(0, 2, 30))
    np.savez(folder / "reuters.npz", x=ragged(reviews(rng, 60)), y=rng.integers(0, 46, 60))
    np.savez(folder / "boston_housing.npz", x=rng.normal(20, 5, (60, 13)), y=rng.uniform(5, 50, 60))
    words = {f"word{rank}": rank for rank in range(1, 9000)}
    (folder / "imdb_word_index.json").write_text(json.dumps(words))
    (folder / "reuters_word_index.json").write_text(json.dumps(words))
    return folder


@pytest.fixture
def offline_env(tmp_path):
    """An environment with an empty HOME, no FASTNN_DATASETS, and every download refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    refused = f"http://127.0.0.1:{sock.getsockname()[1]}"
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("FASTNN_DATASETS", "no_proxy", "NO_PROXY")}
    env.update(HOME=str(home), PYTHONPATH=str(Path(fastnn.__file__).resolve().parents[1]), MPLBACKEND="Agg",
               http_proxy=refused, https_proxy=refused, HTTP_PROXY=refused, HTTPS_PROXY=refused)
    yield env
    sock.close()


def run(script, args, env):
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, capture_output=True,
                          text=True, timeout=300)


def _lacks_lr_alias():
    try:
        optimizers.RMSprop(lr=0.001)
    except TypeError:
        return True
    return False


def _lacks_mae_metric():
    try:
        metrics.get("mae")
    except ValueError:
        return True
    return False


def _lacks_regularizers():
    import importlib.util

    return importlib.util.find_spec("fastnn.regularizers") is None


# Features of the book's listings that fastnn may not have yet: (is it missing?, how its absence shows).
BOOK_FEATURES = {
    "RMSprop(lr=...)": (_lacks_lr_alias, "unexpected keyword argument 'lr'"),
    "metrics=['mae']": (_lacks_mae_metric, "Unknown metric 'mae'"),
    "fastnn.regularizers": (_lacks_regularizers, "cannot import name 'regularizers'"),
}

CASES = {
    "imdb.py": (["RMSprop(lr=...)"], ["test accuracy", "First review: ? word"]),
    "reuters.py": ([], ["test accuracy", "random baseline accuracy", "most likely topic", "First newswire: ? word"]),
    "boston_housing.py": (["metrics=['mae']"], ["validation MAE per fold", "test MAE"]),
    "imdb_regularized.py": (["fastnn.regularizers"], ["L2-regularized validation loss", "dropout validation loss"]),
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs_on_small_files(script, data_dir, offline_env, tmp_path):
    needs, expected_lines = CASES[script]
    result = run(script, ["--data-dir", str(data_dir), "--epochs", "1", "--seed", "0", "--threads", "1",
                          "--plot", str(tmp_path / "curves.png")], offline_env)
    if result.returncode != 0:
        for feature in needs:
            missing, symptom = BOOK_FEATURES[feature]
            if missing() and symptom in result.stderr:
                pytest.xfail(f"{script} needs {feature}, which fastnn does not have yet")
    assert result.returncode == 0, result.stderr[-3000:]
    for line in expected_lines:
        assert line in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("script, filename", [("imdb.py", "imdb.npz"), ("reuters.py", "reuters.npz"),
                                              ("boston_housing.py", "boston_housing.npz"),
                                              ("imdb_regularized.py", "imdb.npz"),
                                              ("mnist_mlp.py", "train-images-idx3-ubyte")])
def test_example_without_its_data_says_where_to_put_it(script, filename, offline_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(script, ["--data-dir", str(empty), "--epochs", "1"], offline_env)
    if script == "imdb_regularized.py" and _lacks_regularizers() and "regularizers" in result.stderr:
        pytest.xfail("imdb_regularized.py needs fastnn.regularizers")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(empty) in result.stderr and filename in result.stderr
    assert "--data-dir DIR" in result.stderr


def test_mnist_example_without_any_data_lists_the_folders_and_the_ways_to_point_at_files(offline_env, tmp_path):
    if any(Path(folder, "mnist").exists() for folder in ("/usr/share/datasets",)):
        pytest.skip("this machine has MNIST in /usr/share/datasets")
    result = run("mnist_mlp.py", ["--epochs", "1"], offline_env)
    assert result.returncode == 1
    message = result.stderr
    assert "Traceback" not in message
    home = Path(offline_env["HOME"])
    assert f"{home / '.fastnn' / 'datasets' / 'mnist'} (does not exist)" in message
    assert "/usr/share/datasets/mnist (does not exist)" in message
    assert 'mnist.load_data(path="DIR")' in message
    assert "set FASTNN_DATASETS to its parent folder (the files in $FASTNN_DATASETS/mnist/) or to that folder itself" in message
    assert "--data-dir DIR" in message
    assert len(message.splitlines()) <= 20
    assert not (home / ".fastnn").exists()


def test_mnist_example_finds_files_through_fastnn_datasets(offline_env, tmp_path, mnist_dir):
    # Both spellings of the variable: the parent of mnist/, and the folder itself.
    parent = tmp_path / "datasets"
    parent.mkdir()
    (parent / "mnist").symlink_to(mnist_dir, target_is_directory=True)
    for root in (parent, mnist_dir):
        env = dict(offline_env, FASTNN_DATASETS=str(root))
        probe = subprocess.run([sys.executable, "-c", "from fastnn.datasets import mnist; "
                                "(x, y), _ = mnist.load_data(); print(x.shape, y[:5].tolist())"],
                               env=env, capture_output=True, text=True, timeout=120)
        assert probe.returncode == 0, probe.stderr
        assert probe.stdout.strip() == "(60000, 28, 28) [5, 0, 4, 1, 9]"
