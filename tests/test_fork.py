"""A process forked after multi-threaded kernels ran still runs the kernels, serially and correctly.

Each child runs under a deadline: a hang fails the test instead of hanging the suite.
"""
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest

import fastnn
from fastnn import kernels, reference

DEADLINE = 60.0


def warm_up_threads():
    """Runs kernels large enough to start the OpenMP thread pool."""
    fastnn.set_num_threads(2)
    x = np.random.default_rng(0).standard_normal((512, 1024)).astype(np.float32)
    kernels.relu(x)
    kernels.softmax(x)
    kernels.add(x, x[0])


def kernels_work():
    """True when large kernels give the oracle's results in this process."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((256, 1024)).astype(np.float32)
    b = rng.standard_normal(1024).astype(np.float32)
    ok = np.array_equal(kernels.add(x, b), reference.add(x, b))
    ok &= np.array_equal(kernels.relu(x), reference.relu(x))
    ok &= np.allclose(kernels.softmax(x), reference.softmax(x), rtol=1e-5, atol=1e-7)
    ok &= np.allclose(kernels.sum_to_shape(x, (1024,)), reference.sum_to_shape(x, (1024,)), rtol=1e-4, atol=1e-4)
    return bool(ok)


def wait_or_kill(pid):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child still running after {DEADLINE:.0f} s: the kernels hang after fork")


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_os_fork_child_runs_kernels(restore_threads):
    warm_up_threads()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            code = 0 if kernels_work() else 2
        finally:
            os._exit(code)
    assert wait_or_kill(pid) == 0
    assert kernels_work()  # and the parent still runs threaded


def _child(queue):
    queue.put(kernels_work())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method")
def test_multiprocessing_fork_children_run_kernels(restore_threads):
    warm_up_threads()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    children = [ctx.Process(target=_child, args=(queue,)) for _ in range(2)]
    for c in children:
        c.start()
    results = []
    for c in children:
        c.join(DEADLINE)
        if c.is_alive():
            c.kill()
            c.join()
            pytest.fail("multiprocessing child hung after fork")
        assert c.exitcode == 0
        results.append(queue.get(timeout=5))
    assert results == [True, True]
