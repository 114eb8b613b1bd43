"""The graph networks of benchmarks/compare_residual.py stay valid: each builds in fastnn from its
description with the given weights, trains on replayed step plans, and its FLOP count is right."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import compare_residual  # noqa: E402
from trainbench import data, graph_worker, graphnets  # noqa: E402
from trainbench.graph_runners import fastnn_graph  # noqa: E402


@pytest.mark.parametrize("name", sorted(graphnets.NETWORKS))
def test_every_network_trains_in_fastnn_on_replayed_plans(name):
    nodes = graphnets.get(name)
    weights = graphnets.initial_weights(nodes, seed=5)
    spec = {"threads": 1, "seed": 3, "batch_size": 16}
    trainer = fastnn_graph.Trainer(spec, nodes, weights)
    assert trainer.model.get_layer(nodes[1]["name"]).get_weights()[0].tolist() == \
        weights[f"{nodes[1]['name']}/0"].tolist()
    x, labels, x_test, labels_test = graphnets.synthetic(48, 10, seed=1)
    x = x.reshape((-1,) + tuple(nodes[0]["shape"]))
    y = x if graphnets.is_autoencoder(nodes) else data.one_hot(labels)
    losses = [trainer.train_epoch(x, y) for _ in range(2)]
    assert all(np.isfinite(losses))
    assert trainer.extra()["train_plans"] == ["replay"]
    x_test = x_test.reshape((-1,) + tuple(nodes[0]["shape"]))
    metric, value = graph_worker.test_metric(nodes, trainer.predict(x_test, 4), x_test, labels_test)
    assert np.isfinite(value) and (metric == "loss" or 0 <= value <= 1)


def test_shapes_and_flops_of_the_residual_network():
    nodes = graphnets.residual()
    shapes = graphnets.shapes(nodes)
    assert shapes["block1_out"] == (28, 28, 32) and shapes["pool"] == (14, 14, 32) and shapes["gap"] == (32,)
    stem = 2 * 28 * 28 * 32 * 9 * 1
    block1 = 2 * (2 * 28 * 28 * 32 * 9 * 32)
    block2 = 2 * (2 * 14 * 14 * 32 * 9 * 32)
    dense = 2 * 32 * 10
    forward = stem + block1 + block2 + dense
    assert graphnets.flops_per_sample(nodes) == (forward, 3 * forward - stem)


def test_inception_branches_concatenate_to_64_channels():
    shapes = graphnets.shapes(graphnets.inception())
    assert shapes["stem_pool"] == (13, 13, 32) and shapes["c_pool"] == (13, 13, 32)
    assert shapes["mixed"] == (13, 13, 64) and shapes["pool"] == (6, 6, 64)


def test_quick_mode_and_bad_arguments():
    args = compare_residual.parse_args(["--quick", "--models", "residual,vae"])
    assert (args.rounds, args.epochs, args.train_images, args.synthetic) == (1, 2, 256, True)
    assert args.models == ["residual", "vae"]
    with pytest.raises(SystemExit):
        compare_residual.parse_args(["--models", "resnet50"])


def test_the_step_profile_runs_on_a_tiny_size(capsys):
    import profile_graph_step

    assert profile_graph_step.main(["--models", "residual,vae", "--steps", "2", "--repeats", "1",
                                    "--batch-size", "8"]) == 0
    out = capsys.readouterr().out
    assert "residual: fit epoch of 2 steps" in out and "replaying the tape" in out
    assert "conv2d_kernel_grad" in out and "gemm" in out
