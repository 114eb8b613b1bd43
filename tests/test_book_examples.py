"""The book's listings from chapters 5.4, 6, 7 and 8 as examples/ scripts, each run end to end on
the small data in its original format that its --synthetic flag writes, offline."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import fastnn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMMON = ["--synthetic", "--epochs", "1", "--seed", "0", "--threads", "1"]

# script: (its extra flags for a small run, lines its output must hold)
CASES = {
    "ch6_1_word_embeddings.py": ([], ["Found 9 unique tokens.", "embedding_1 (Embedding)", "test accuracy"]),
    "ch6_1_3_glove_imdb.py": ([], ["Found 232 word vectors.", "GloVe embeddings unchanged by training: True",
                                   "test accuracy"]),
    "ch6_2_rnn_imdb.py": ([], ["NumPy RNN output: (6400,)", "SimpleRNN final validation accuracy",
                               "LSTM test loss"]),
    "ch6_3_bidirectional_imdb.py": ([], ["reversed LSTM final validation accuracy", "bidirectional LSTM test loss"]),
    "ch6_3_jena_temperature.py": (["--steps-per-epoch", "2", "--validation-steps", "2", "--batch-size", "32"],
                                  ["naive baseline: MAE", "stacked_gru: final validation MAE",
                                   "conv1d_gru: final validation MAE"]),
}


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    """An empty HOME, no FASTNN_DATASETS, and every download refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    refused = f"http://127.0.0.1:{sock.getsockname()[1]}"
    home = tmp_path_factory.mktemp("home")
    env = {key: value for key, value in os.environ.items()
           if key not in ("FASTNN_DATASETS", "no_proxy", "NO_PROXY")}
    env.update(HOME=str(home), PYTHONPATH=str(Path(fastnn.__file__).resolve().parents[1]), MPLBACKEND="Agg",
               http_proxy=refused, https_proxy=refused, HTTP_PROXY=refused, HTTPS_PROXY=refused)
    yield env
    sock.close()


def run(script, args, env, cwd):
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("script", sorted(CASES))
def test_book_script_runs_on_synthetic_data(script, offline_env, tmp_path):
    flags, expected = CASES[script]
    result = run(script, COMMON + flags + ["--plot", str(tmp_path / "curves.png")], offline_env, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for line in expected:
        assert line in result.stdout, f"{line!r} not in the output of {script}"
    # The synthetic data lives in a temporary folder that is gone afterwards; nothing is left in the
    # working directory but what the script was asked to write.
    assert all(path.name.startswith("curves") for path in tmp_path.iterdir())
