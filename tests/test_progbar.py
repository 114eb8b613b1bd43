import re
import sys

import pytest

from fastnn.callbacks import CallbackList
from fastnn.utils import Progbar
from fastnn.utils import progbar as progbar_module

CONTROL = re.compile(r"[\r\b\x1b]")
TIME = r"\d+s \d+(?:s|ms|us)/step"


class FakeStream:
    def __init__(self, tty):
        self.tty = tty
        self.text = ""

    def write(self, s):
        self.text += s

    def flush(self):
        pass

    def isatty(self):
        return self.tty


class FakeClock:
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """A terminal wide enough for the full line (test_redraws_fit_the_terminal_width narrows it)."""
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((200, 24)))


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "_now", fake)
    return fake


def use_stdout(monkeypatch, tty):
    """Replaces sys.stdout for the rest of the test (inside the test: pytest resets it after fixtures run)."""
    stream = FakeStream(tty)
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


def run_epoch(bar, steps, clock=None, dt=0.0022, values=lambda step: [("loss", 0.2583), ("accuracy", 0.9255)]):
    for step in range(1, steps + 1):
        if clock is not None:
            clock.t += dt
        bar.update(step, values(step))


def test_keras_line_format_exact(clock, monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    bar = Progbar(469, stateful_metrics=["loss", "accuracy"])
    run_epoch(bar, 469, clock)
    assert pipe.text == "469/469 [==============================] - 1s 2ms/step - loss: 0.2583 - accuracy: 0.9255\n"


def test_not_a_terminal_writes_one_clean_line_per_epoch(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    for _ in range(2):
        bar = Progbar(469, interval=0)
        run_epoch(bar, 469)
    lines = pipe.text.split("\n")
    assert lines[-1] == "" and len(lines) == 3
    line = rf"469/469 \[={{30}}\] - {TIME} - loss: 0\.2583 - accuracy: 0\.9255"
    assert all(re.fullmatch(line, ln) for ln in lines[:2])
    assert not CONTROL.search(pipe.text)


def test_terminal_redraws_in_place(monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    bar = Progbar(10, interval=0)
    run_epoch(bar, 10)
    frames = terminal.text.split("\r")[1:]
    assert len(frames) == 10 and terminal.text.startswith("\r")
    assert re.fullmatch(r" 5/10 \[==============>\.{15}\] - ETA: \d+s - loss: 0\.2583 - accuracy: 0\.9255\s*",
                        frames[4])
    assert re.fullmatch(rf"10/10 \[={{30}}\] - {TIME} - loss: 0\.2583 - accuracy: 0\.9255\n", frames[-1])
    assert terminal.text.count("\n") == 1


def test_terminal_redraws_are_throttled(clock, monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    bar = Progbar(100, interval=4 / 64)
    run_epoch(bar, 100, clock, dt=1 / 64)
    # Drawn at steps 1, 5, 9, ..., 97 (every 4/64 s) and at the final step.
    assert terminal.text.count("\r") == 26
    assert terminal.text.endswith("\n") and "100/100 [" in terminal.text.split("\r")[-1]


def test_shorter_redraw_erases_previous_text(monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    bar = Progbar(3, interval=0)
    bar.update(1, [("note", "a long status message")])
    bar.update(2, [("note", "x")])
    first, second = terminal.text.split("\r")[1:3]
    assert len(second) >= len(first) and second.rstrip().endswith("note: x")


def test_eta_formats(clock, monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    bar = Progbar(1000, interval=0)
    clock.t += 0.5
    bar.update(1)
    clock.t += 499 / 64
    bar.update(500)  # 1/64 s per step after the first, 500 steps to go: 7.8 s
    assert terminal.text.split("\r")[-1].rstrip().endswith("ETA: 7s")
    clock.t += 100
    bar.update(501)  # (499/64 + 100) / 500 s per step, 499 steps to go: 107.4 s
    assert terminal.text.split("\r")[-1].rstrip().endswith("ETA: 1:47")
    clock.t += 6000
    bar.update(502)  # 12.2 s per step, 498 steps to go: 6071 s
    assert terminal.text.split("\r")[-1].rstrip().endswith("ETA: 1:41:11")


def test_verbose_2_prints_one_line_without_bar(monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    for _ in range(3):
        bar = Progbar(10, verbose=2, interval=0)
        run_epoch(bar, 10, values=lambda s: [("loss", 0.5)])
    lines = terminal.text.split("\n")[:-1]
    assert len(lines) == 3 and not CONTROL.search(terminal.text)
    assert all(re.fullmatch(rf"10/10 - {TIME} - loss: 0\.5000", ln) for ln in lines)


@pytest.mark.parametrize("tty", [True, False])
def test_verbose_0_is_silent(tty, monkeypatch):
    stream = use_stdout(monkeypatch, tty)
    bar = Progbar(10, verbose=0, interval=0)
    run_epoch(bar, 10)
    assert stream.text == ""
    assert bar.averages() == {"loss": pytest.approx(0.2583), "accuracy": pytest.approx(0.9255)}


def test_running_averages_weighted_by_steps(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    bar = Progbar(4, stateful_metrics=["lr"])
    bar.update(1, [("loss", 1.0), ("lr", 0.1)])
    bar.update(3, [("loss", 4.0), ("lr", 0.2)])  # covers 2 steps
    assert bar.averages() == {"loss": 3.0, "lr": 0.2}
    bar.add(1, [("loss", 7.0), ("lr", 0.3)])
    assert bar.averages()["loss"] == pytest.approx((1 + 8 + 7) / 4)
    assert pipe.text.endswith(" - loss: 4.0000 - lr: 0.3000\n")


def test_small_values_use_exponent_format(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    bar = Progbar(1)
    bar.update(1, [("loss", 1.5e-5), ("acc", float("nan"))])
    assert pipe.text.endswith("loss: 1.5000e-05 - acc: nan\n")


def test_unknown_target(monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    bar = Progbar(None, interval=0)
    run_epoch(bar, 12)
    assert re.match(r"\r {6}1/Unknown - " + TIME, terminal.text)
    bar.update(12, finalize=True)
    assert re.search(rf"\r {{5}}12/Unknown - {TIME} - loss: 0\.2583 - accuracy: 0\.9255\n$", terminal.text)


def test_output_goes_to_stdout_at_call_time(monkeypatch):
    bar = Progbar(2)
    late = FakeStream(tty=False)
    monkeypatch.setattr(sys, "stdout", late)
    bar.update(2, [("loss", 1.0)])
    assert late.text.startswith("2/2 [")


@pytest.mark.parametrize("kwargs, received", [
    ({"target": -1}, "target=-1"), ({"target": 5, "verbose": 3}, "verbose=3"),
    ({"target": 5, "width": 0}, "width=0"), ({"target": 5, "interval": -1}, "interval=-1"),
])
def test_bad_arguments(kwargs, received):
    with pytest.raises(ValueError, match=f"Received: {received}"):
        Progbar(**kwargs)


def drive_fit(cbs, epochs, steps, losses):
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_end(batch, {"loss": losses[epoch][batch], "accuracy": 0.5})
        cbs.on_test_begin()
        cbs.on_test_batch_end(0, {"loss": 9.0})
        cbs.on_test_end({"loss": 0.25, "accuracy": 0.75})
        cbs.on_epoch_end(epoch, {"loss": losses[epoch][-1], "accuracy": 0.5, "val_loss": 0.25,
                                 "val_accuracy": 0.75})
    cbs.on_train_end()


def test_progbar_logger_fit_output_not_a_terminal(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    cbs = CallbackList(add_progbar=True, verbose=1, epochs=2, steps=3)
    # Batch logs are already running averages and are shown as given.
    drive_fit(cbs, 2, 3, [[3.0, 2.0, 1.5], [1.0, 0.9, 0.8]])
    lines = pipe.text.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == "" and len(lines) == 5
    tail = r" - loss: {} - accuracy: 0\.5000 - val_loss: 0\.2500 - val_accuracy: 0\.7500"
    assert re.fullmatch(rf"3/3 \[={{30}}\] - {TIME}" + tail.format(r"1\.5000"), lines[1])
    assert re.fullmatch(rf"3/3 \[={{30}}\] - {TIME}" + tail.format(r"0\.8000"), lines[3])


def test_progbar_logger_terminal_and_verbose(monkeypatch):
    terminal = use_stdout(monkeypatch, tty=True)
    drive_fit(CallbackList(add_progbar=True, verbose=1, epochs=1, steps=3), 1, 3, [[3.0, 2.0, 1.0]])
    assert "Epoch" not in terminal.text  # Keras prints no header for a single epoch
    assert terminal.text.count("\n") == 1 and terminal.text.count("\r") >= 2
    terminal.text = ""
    drive_fit(CallbackList(add_progbar=True, verbose=2, epochs=2, steps=3), 2, 3, [[3.0, 2.0, 1.0]] * 2)
    assert not CONTROL.search(terminal.text)
    assert re.fullmatch(rf"Epoch 1/2\n3/3 - {TIME} - loss: 1\.0000 .*\nEpoch 2/2\n3/3 - .*\n", terminal.text)
    terminal.text = ""
    drive_fit(CallbackList(add_progbar=True, verbose=0, epochs=2, steps=3), 2, 3, [[3.0, 2.0, 1.0]] * 2)
    assert terminal.text == ""


def test_progbar_logger_evaluate_and_predict(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    cbs = CallbackList(add_progbar=True, verbose=1, steps=2)
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 0.5})
    cbs.on_test_batch_end(1, {"loss": 0.4})
    cbs.on_test_end({"loss": 0.4, "accuracy": 0.9})
    cbs.on_predict_begin()
    cbs.on_predict_batch_end(0)
    cbs.on_predict_batch_end(1)
    cbs.on_predict_end()
    lines = pipe.text.split("\n")
    assert re.fullmatch(rf"2/2 \[={{30}}\] - {TIME} - loss: 0\.4000 - accuracy: 0\.9000", lines[0])
    assert re.fullmatch(rf"2/2 \[={{30}}\] - {TIME}", lines[1]) and lines[2] == ""


def test_progbar_logger_averages_named_metrics(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    from fastnn.callbacks import ProgbarLogger

    cbs = CallbackList([ProgbarLogger(averaged_metrics=["loss"])], verbose=1, epochs=1, steps=2)
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_train_batch_end(1, {"loss": 3.0})
    cbs.on_epoch_end(0, {})
    assert pipe.text.endswith(" - loss: 2.0000\n")


def test_progbar_logger_shows_steps_done_when_stopped_early(monkeypatch):
    pipe = use_stdout(monkeypatch, tty=False)
    cbs = CallbackList(add_progbar=True, verbose=1, epochs=1, steps=10)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(3):
        cbs.on_train_batch_end(batch, {"loss": 1.0})
    cbs.on_epoch_end(0, {"loss": 1.0})
    assert re.fullmatch(rf" 3/10 \[========>\.{{21}}\] - {TIME} - loss: 1\.0000\n", pipe.text)


@pytest.mark.parametrize("columns", [80, 60, 40])
def test_redraws_fit_the_terminal_width(columns, monkeypatch):
    import os
    import shutil

    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((columns, 24)))
    terminal = use_stdout(monkeypatch, tty=True)
    bar = Progbar(469, interval=0)
    run_epoch(bar, 469, values=lambda step: [("loss", 0.2583), ("accuracy", 0.9255), ("val_accuracy", 0.9)])
    *frames, last = terminal.text.split("\r")[1:]
    assert all(len(frame) < columns for frame in frames)  # no frame wraps onto a second row
    assert " 10/469 [" in "".join(frames) and "loss: 0.2583" in last and last.endswith("\n")
