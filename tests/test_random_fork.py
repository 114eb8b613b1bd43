"""Forked children do not inherit fastnn's random state: each draws its own numbers.

Children run under a deadline: a hang fails the test instead of hanging the suite.
"""
import multiprocessing
import os
import signal
import time

import numpy as np
import pytest

import fastnn
from fastnn.utils.random import generator

DEADLINE = 30.0
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def _draw():
    return generator().random(4)


def _fork_and_draw():
    """What one os.fork child draws first."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.write(write, _draw().tobytes())
        finally:
            os._exit(0)
    os.close(write)
    try:
        end, data = time.monotonic() + DEADLINE, b""
        while len(data) < 32 and time.monotonic() < end:
            chunk = os.read(read, 32 - len(data))
            if not chunk:
                break
            data += chunk
    finally:
        os.close(read)
        _reap(pid, end)
    assert len(data) == 32, "the child sent no numbers"
    return np.frombuffer(data, np.float64)


def _reap(pid, end):
    while time.monotonic() < end:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child still running after {DEADLINE:.0f} s")


def _seeded_run():
    fastnn.set_seed(7)
    children = [_fork_and_draw() for _ in range(3)]
    return children, _draw()


def test_forked_children_draw_different_numbers_and_the_parent_is_unchanged():
    children, parent = _seeded_run()
    fastnn.set_seed(7)
    assert np.array_equal(parent, _draw()), "forking changed the parent's random sequence"
    values = [tuple(c) for c in children] + [tuple(parent)]
    assert len(set(values)) == len(values), "two processes drew the same numbers"


def test_forked_children_are_reproducible_after_set_seed():
    first, _ = _seeded_run()
    second, _ = _seeded_run()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def _child(queue):
    queue.put(_draw())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method")
def test_multiprocessing_fork_workers_draw_different_numbers():
    fastnn.set_seed(0)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_child, args=(queue,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        draws = [queue.get(timeout=DEADLINE) for _ in workers]
    finally:
        for worker in workers:
            worker.join(DEADLINE)
            if worker.is_alive():
                worker.kill()
    assert not np.array_equal(draws[0], draws[1])
    assert not any(np.array_equal(draw, _draw()) for draw in draws)
