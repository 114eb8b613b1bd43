"""The book's listings from chapters 5.4, 6, 7 and 8 as examples/ scripts, each run end to end on
the small data in its original format that its --synthetic flag writes, offline."""
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import fastnn

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMMON = ["--epochs", "1", "--seed", "0", "--threads", "1"]
NO_DATA_FILES = ("ch7_1_functional_api.py", "ch7_3_separable_conv_bn.py")  # the book trains them on random arrays

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
    "ch6_4_conv1d_imdb.py": ([], ["1D convnet test loss"]),
    "ch7_1_functional_api.py": (["--samples", "32", "--image-size", "71", "--plot-model", "graph.png"],
                                ["Disconnected graph refused: Graph disconnected",
                                 "question answering, inputs by name: loss",
                                 "multi-output history keys: ['age_loss', 'gender_loss', 'income_loss', 'loss']",
                                 "Inception module output: (None, 9, 9, 512)",
                                 "residual outputs: [(2, 16, 16, 128), (2, 8, 8, 128)]",
                                 "shared LSTM: one set of weights, 3 arrays",
                                 "model as a layer: "]),
    "ch7_2_callbacks.py": (["--output-dir", "out"], ["best checkpoint validation loss",
                                                     "activations at epoch 0: [(1, 500, 128), (1, 494, 32)",
                                                     "TensorBoard logs in"]),
    "ch7_3_separable_conv_bn.py": (["--samples", "32"], ["BatchNormalization moving mean after training",
                                                         "separable convnet loss", "ensemble predictions: (8, 10)"]),
    "ch8_1_text_generation.py": (["--generate", "20"], ["Corpus length: ", "Unique characters:",
                                                        "------ temperature: 1.2"]),
    "ch8_4_vae.py": (["--grid", "3"], ["VAE loss: ", "decoded a 3x3 grid of digits"]),
    "ch8_5_gan.py": (["--iterations", "2", "--batch-size", "2", "--save-every", "1", "--save-dir", "frogs"],
                     ["discriminator loss:", "adversarial loss:", "done: 2 steps"]),
    "ch5_4_visualizing_convnets.py": (["--steps-per-epoch", "1", "--filters", "1", "--ascent-steps", "2",
                                       "--output-dir", "pictures"],
                                      ["Found 24 images belonging to 2 classes.",
                                       "first layer activation: (1, 148, 148, 32)",
                                       "pattern of filter 0 of conv2d", "Grad-CAM heatmap: (15, 15)"]),
}
# Scripts whose --plot saves curves (matplotlib) or, for the VAE, the decoded grid.
PLOTS = {"ch6_1_word_embeddings.py", "ch6_1_3_glove_imdb.py", "ch6_2_rnn_imdb.py", "ch6_3_bidirectional_imdb.py",
         "ch6_3_jena_temperature.py", "ch6_4_conv1d_imdb.py", "ch8_4_vae.py"}
# What a script writes besides its --plot curves, when asked to (paths relative to its working
# folder); a "name:" prefix names the optional package the file needs.
WRITES = {
    "ch7_1_functional_api.py": ["pydot:graph_question_answering.png"],
    "ch7_2_callbacks.py": ["out/my_model.h5", "out/activations_at_epoch_0.npz", "out/my_log_dir/train",
                           "out/my_log_dir/validation"],
    "ch8_4_vae.py": ["PIL:curves.png"],
    "ch8_5_gan.py": ["PIL:frogs/generated_frog0.png", "PIL:frogs/real_frog1.png", "h5py:frogs/gan.h5"],
    "ch5_4_visualizing_convnets.py": ["pictures/activations_conv2d.png", "pictures/filters_conv2d_3.png",
                                      "pictures/cat_cam.jpg"],
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
    if script == "ch5_4_visualizing_convnets.py":
        pytest.importorskip("PIL", reason="chapter 5.4 reads JPEGs through Pillow")
    if script == "ch7_2_callbacks.py":
        pytest.importorskip("h5py", reason="chapter 7.2's ModelCheckpoint writes my_model.h5 (Keras's HDF5 file)")
    if script in PLOTS:
        flags = flags + ["--plot", str(tmp_path / "curves.png")]
    if script not in NO_DATA_FILES:
        flags = ["--synthetic"] + flags
    common = COMMON[2:] if "--iterations" in flags else COMMON  # the GAN counts steps, not epochs
    result = run(script, common + flags, offline_env, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    for line in expected:
        assert line in result.stdout, f"{line!r} not in the output of {script}"
    for entry in WRITES.get(script, []):
        needed, _, written = entry.rpartition(":")
        if not needed or importlib.util.find_spec(needed) is not None:
            assert (tmp_path / written).exists(), written
    # The synthetic data lives in a temporary folder that is gone afterwards; nothing is left in the
    # working directory but what the script was asked to write.
    asked = {Path(entry.rpartition(":")[2]).parts[0] for entry in WRITES.get(script, [])}
    assert all(path.name.startswith(("curves", "graph")) or path.name in asked for path in tmp_path.iterdir())


@pytest.mark.parametrize("script, filename", [
    ("ch6_1_word_embeddings.py", "imdb.npz"), ("ch6_1_3_glove_imdb.py", "aclImdb"), ("ch6_2_rnn_imdb.py", "imdb.npz"),
    ("ch6_3_bidirectional_imdb.py", "imdb.npz"), ("ch6_3_jena_temperature.py", "jena_climate_2009_2016.csv"),
    ("ch6_4_conv1d_imdb.py", "imdb.npz"), ("ch7_2_callbacks.py", "imdb.npz"), ("ch8_1_text_generation.py", "nietzsche.txt"),
    ("ch8_4_vae.py", "train-images-idx3-ubyte"), ("ch8_5_gan.py", "cifar-10-python.tar.gz"),
    ("ch5_4_visualizing_convnets.py", "cats_and_dogs_small")])
def test_book_script_without_its_data_says_what_to_pass(script, filename, offline_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(script, ["--data-dir", str(empty), "--epochs", "1", "--output-dir", str(tmp_path / "out")]
                 if script in ("ch7_2_callbacks.py", "ch5_4_visualizing_convnets.py")
                 else ["--data-dir", str(empty), "--epochs", "1"], offline_env, tmp_path)
    assert result.returncode == 1, result.stdout[-1000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert str(empty) in result.stderr and filename in result.stderr
    assert "--data-dir" in result.stderr


def test_jena_script_unzips_keras_archive_from_the_cache(offline_env, tmp_path):
    # Without --data-dir the script takes the zip through get_file, as the book's readers download
    # it; an archive already in the cache is unpacked and read, with no network.
    import zipfile

    import numpy as np

    sys.path.insert(0, str(EXAMPLES))
    try:
        import _synthetic
    finally:
        sys.path.remove(str(EXAMPLES))
    source = tmp_path / "source"
    source.mkdir()
    _synthetic.write_jena_csv(source, np.random.default_rng(0), rows=9000)
    cache = Path(offline_env["HOME"]) / ".fastnn" / "datasets"
    cache.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(cache / "jena_climate_2009_2016.csv.zip", "w") as archive:
        archive.write(source / "jena_climate_2009_2016.csv", "jena_climate_2009_2016.csv")
    result = run("ch6_3_jena_temperature.py", COMMON + ["--models", "dense", "--steps-per-epoch", "1",
                                                        "--validation-steps", "1", "--batch-size", "8"],
                 offline_env, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "9000 rows: training on rows 0-4280," in result.stdout
    assert "dense: final validation MAE" in result.stdout
