"""no_grad restores the grad mode exactly, however it is nested, re-entered or shared by threads."""
import threading

import fastnn as fn
from fastnn.tensor import is_grad_enabled

TIMEOUT = 10.0


def test_one_instance_entered_twice():
    block = fn.no_grad()
    with block:
        with block:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_recursive_decorated_function():
    seen = []

    @fn.no_grad()
    def countdown(n):
        seen.append(is_grad_enabled())
        if n:
            countdown(n - 1)
        seen.append(is_grad_enabled())

    countdown(4)
    assert seen == [False] * 10
    assert is_grad_enabled()


def test_exception_inside_nested_blocks_restores_the_mode():
    block = fn.no_grad()

    @block
    def fail():
        with block:
            raise KeyError("inner")

    try:
        fail()
    except KeyError:
        pass
    assert is_grad_enabled()
    assert (fn.Tensor([1.0], requires_grad=True) * 2).requires_grad


def test_decorated_function_shared_by_two_threads():
    """Thread a is inside the function when thread b, itself inside another no_grad, enters it too."""
    a_inside, b_done = threading.Event(), threading.Event()
    modes = {}

    @fn.no_grad()
    def run(step):
        step()

    def thread_a():
        run(lambda: (a_inside.set(), b_done.wait(TIMEOUT)))
        modes["a"] = is_grad_enabled()

    def thread_b():
        a_inside.wait(TIMEOUT)
        with fn.no_grad():
            run(lambda: None)
            modes["b inside"] = is_grad_enabled()
        modes["b"] = is_grad_enabled()
        b_done.set()

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert modes == {"a": True, "b inside": False, "b": True}
    assert is_grad_enabled()


def test_the_mode_is_per_thread():
    seen = []
    with fn.no_grad():
        worker = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        worker.start()
        worker.join(TIMEOUT)
    assert seen == [True]
