"""The convnet family of benchmarks/compare_convnet.py stays valid: every configuration builds from its
description in fastnn, PyTorch and Keras with the same weights and computes the same outputs, trains in
fastnn on replayed plans, and its shapes, FLOPs and goal verdicts are right; the shared child-process
runner reports results, missing frameworks, crashes and time-outs."""
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import compare_convnet  # noqa: E402
from trainbench import childproc, convnets, data, graphnets  # noqa: E402
from trainbench.graph_runners import fastnn_graph  # noqa: E402


def _images(count, seed=1):
    x, labels, _, _ = graphnets.synthetic(count, 0, seed)
    return x.reshape(-1, 28, 28, 1), labels


def _job(config, threads=1):
    return {"threads": threads, "seed": 3, "batch_size": config["batch_size"], "optimizer": config["optimizer"]}


@pytest.mark.parametrize("name", sorted(convnets.CONFIGS))
def test_every_configuration_trains_in_fastnn_on_replayed_plans(name):
    config = convnets.get(name)
    nodes = convnets.as_nodes(config)
    weights = graphnets.initial_weights(nodes, seed=5)
    trainer = fastnn_graph.Trainer(_job(config), nodes, weights)
    x, labels = _images(2 * config["batch_size"] + 5)
    losses = [trainer.train_epoch(x, data.one_hot(labels)) for _ in range(2)]
    assert all(np.isfinite(losses))
    assert trainer.extra()["train_plans"] == ["replay"]
    after = trainer.model.get_layer("conv1").get_weights()[0]
    assert not np.array_equal(after, weights["conv1/0"])


def _fastnn_outputs(name):
    config = convnets.get(name)
    nodes = convnets.as_nodes(config)
    weights = graphnets.initial_weights(nodes, seed=7)
    x, _ = _images(6, seed=2)
    return config, nodes, weights, x, fastnn_graph.Trainer(_job(config), nodes, weights).predict(x, 4)


@pytest.mark.parametrize("name", sorted(convnets.CONFIGS))
def test_torch_computes_what_fastnn_computes_from_the_same_weights(name):
    pytest.importorskip("torch", reason="the PyTorch side of the benchmark needs torch")
    from trainbench.graph_runners import torch_graph
    config, nodes, weights, x, expected = _fastnn_outputs(name)
    assert expected.shape == (6, 10)
    torch_out = torch_graph.Trainer(_job(config), nodes, weights).predict(x, 4)
    np.testing.assert_allclose(torch_out, expected, rtol=1e-4, atol=1e-5)


KERAS_OUTPUTS = """
import sys
import numpy as np
sys.path.insert(0, {benchmarks!r})
from trainbench import convnets, graphnets
from trainbench.graph_runners import keras_graph
config = convnets.get({name!r})
nodes = convnets.as_nodes(config)
job = {{"threads": 1, "seed": 3, "batch_size": config["batch_size"], "optimizer": config["optimizer"]}}
x = np.load({inputs!r})
np.save({outputs!r}, keras_graph.Trainer(job, nodes, graphnets.initial_weights(nodes, seed=7)).predict(x, 4))
"""


def test_keras_computes_what_fastnn_computes_from_the_same_weights(tmp_path):
    """In a child process: Keras fixes its backend (here JAX) when first imported."""
    if importlib.util.find_spec("keras") is None or importlib.util.find_spec("jax") is None:
        pytest.skip("Keras or JAX is not installed")
    env = childproc.child_env(1)
    for name in sorted(convnets.CONFIGS):
        _, _, _, x, expected = _fastnn_outputs(name)
        inputs, outputs = tmp_path / f"{name}.x.npy", tmp_path / f"{name}.out.npy"
        np.save(inputs, x)
        code = KERAS_OUTPUTS.format(benchmarks=str(Path(compare_convnet.__file__).parent), name=name,
                                    inputs=str(inputs), outputs=str(outputs))
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        np.testing.assert_allclose(np.load(outputs), expected, rtol=1e-4, atol=1e-5, err_msg=name)


def test_shapes_and_flops_of_the_stride_2_same_padding_network():
    nodes = convnets.as_nodes(convnets.get("fashion_same_stride2_gap"))
    shapes = graphnets.shapes(nodes)
    assert shapes["conv1"] == (28, 28, 32) and shapes["conv2"] == (14, 14, 64) and shapes["conv3"] == (7, 7, 64)
    assert shapes["gap1"] == (64,) and shapes["dense1"] == (10,)
    first = 2 * 28 * 28 * 32 * 9 * 1
    forward = first + 2 * 14 * 14 * 64 * 9 * 32 + 2 * 7 * 7 * 64 * 9 * 64 + 2 * 64 * 10
    assert graphnets.flops_per_sample(nodes) == (forward, 3 * forward - first)


def test_dilated_and_large_kernel_shapes_and_keras_same_padding():
    shapes = graphnets.shapes(convnets.as_nodes(convnets.get("dilated_2")))
    assert shapes["conv1"] == (26, 26, 32) and shapes["conv2"] == (22, 22, 32)
    assert shapes["maxpool1"] == (11, 11, 32) and shapes["conv3"] == (11, 11, 64) and shapes["flatten1"] == (1600,)
    stride2 = {"kernel": 3, "strides": 2, "padding": "same"}
    assert graphnets.same_padding(28, stride2) == (0, 1) and graphnets.same_padding(27, stride2) == (1, 1)
    assert graphnets.same_padding(11, {"kernel": 3, "dilation": 2, "padding": "same"}) == (2, 2)
    assert graphnets.same_padding(14, {"kernel": 7, "padding": "same"}) == (3, 3)


def test_bad_configurations_are_refused_by_name():
    config = convnets.get("book_5_1")
    config["layers"][0]["padding"] = "full"
    with pytest.raises(ValueError, match="book_5_1: layer 0 .conv.: padding"):
        convnets.validate("book_5_1", config)
    config = convnets.get("book_5_1")
    config["layers"] = config["layers"][:-1]
    with pytest.raises(ValueError, match="softmax dense"):
        convnets.validate("book_5_1", config)
    config = convnets.get("book_5_1")
    config["layers"][:0] = [convnets.conv(8, 7), convnets.conv(8, 7), convnets.conv(8, 7), convnets.conv(8, 7)]
    with pytest.raises(ValueError, match="too small"):
        convnets.validate("book_5_1", config)
    with pytest.raises(ValueError, match="unknown convnet configuration"):
        convnets.get("resnet50")


def _fake_run(epochs, loss=0.5, accuracy=0.9):
    return {"epoch_seconds": epochs, "train_losses": [loss], "test_value": accuracy, "predict_seconds": [0.5],
            "predict_images": 100, "version": "v"}


def test_the_goal_is_half_of_pytorch_or_the_floor_where_that_is_below_it():
    config = convnets.get("book_5_1")
    _, training = graphnets.flops_per_sample(convnets.as_nodes(config))
    samples = 1000
    gemm = training * samples / 1e9  # a floor of exactly 1 s
    runs = {"fastnn": [_fake_run([9.0, 1.2, 1.2])], "torch": [_fake_run([9.0, 4.0, 4.0])]}
    summary = compare_convnet.summarise(config, runs, samples, gemm)
    assert summary["floor_s"] == pytest.approx(1.0) and summary["floor_share"] == pytest.approx(1 / 1.2)
    assert summary["ratio_vs_torch"] == pytest.approx(0.3)
    assert summary["target_s"] == pytest.approx(2.0) and summary["verdict"] == "PASS"
    runs["torch"] = [_fake_run([9.0, 1.5, 1.5])]  # 0.5x PyTorch is below the floor: 1.25x the floor counts
    summary = compare_convnet.summarise(config, runs, samples, gemm)
    assert summary["target_s"] == pytest.approx(1.25) and summary["verdict"] == "PASS"
    assert summary["target_rule"].startswith("1.25x the floor")
    runs["fastnn"] = [_fake_run([9.0, 1.3, 1.3])]
    assert compare_convnet.summarise(config, runs, samples, gemm)["verdict"] == "FAIL"
    assert compare_convnet.summarise(config, {"fastnn": runs["fastnn"]}, samples, None)["verdict"] == "n.a."


def test_quick_mode_and_bad_arguments():
    args = compare_convnet.parse_args(["--quick", "--configs", "book_5_1,wide_256"])
    assert (args.rounds, args.epochs, args.samples, args.synthetic) == (1, 2, 256, True)
    assert args.configs == ["book_5_1", "wide_256"] and args.frameworks == ["fastnn", "torch", "keras-jax"]
    assert compare_convnet.parse_args([]).configs == list(convnets.CONFIGS)
    for bad in (["--configs", "resnet50"], ["--frameworks", "mxnet"], ["--samples", "0"]):
        with pytest.raises(SystemExit):
            compare_convnet.parse_args(bad)


def test_fashion_mnist_is_found_beside_mnist_or_not_at_all(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTNN_DATASETS", str(tmp_path / "nowhere"))
    monkeypatch.setenv("FASTNN_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(data, "_candidates", lambda name: [])  # not the machine's own copy (/usr/share/datasets)
    mnist, fashion = tmp_path / "mnist", tmp_path / "fashion-mnist"
    for folder in (mnist, fashion):
        folder.mkdir()
    assert data.locate_fashion(None, mnist) is None
    for stem in data.FILES.values():
        (fashion / (stem + ".gz")).write_bytes(b"")
    assert data.locate_fashion(None, mnist) == fashion
    assert data.locate_fashion(str(fashion)) == fashion
    with pytest.raises(FileNotFoundError, match="--fashion-dir"):
        data.locate_fashion(str(mnist))


WORKER_SCRIPT = """
import argparse, sys, time
sys.path.insert(0, {benchmarks!r})
from trainbench.childproc import add_worker_argument, worker_main

def measure(name, job):
    if name == "missing":
        import no_such_framework_here
    if name == "crash":
        raise RuntimeError("the kernel fell over")
    if name == "slow":
        time.sleep(30)
    return {{"framework": name, "doubled": 2 * job["value"]}}

parser = argparse.ArgumentParser()
add_worker_argument(parser)
sys.exit(worker_main(measure, *parser.parse_args().worker))
"""


def test_the_child_runner_reports_results_missing_frameworks_crashes_and_time_outs(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER_SCRIPT.format(benchmarks=str(Path(compare_convnet.__file__).parent))))
    env = childproc.child_env(1)
    assert env["OMP_NUM_THREADS"] == "1" and env["KERAS_BACKEND"] == "jax"

    def run(name, timeout=60):
        return childproc.run_worker(script, name, {"value": 21}, tmp_path, timeout, env)

    assert run("ok") == {"framework": "ok", "doubled": 42}
    missing = run("missing")
    assert missing["framework"] == "missing" and "no_such_framework_here" in missing["skipped"]
    crashed = run("crash")
    assert crashed["failed"].startswith("exit code 1") and "the kernel fell over" in crashed["failed"]
    assert run("slow", timeout=1) == {"framework": "slow", "failed": "timed out after 1 s"}
