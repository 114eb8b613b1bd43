"""A Keras-style text progress bar.

    469/469 [==============================] - 1s 2ms/step - loss: 0.2583 - accuracy: 0.9255

On a terminal the line is redrawn in place with '\\r', at most once per `interval`
seconds, narrowed to the terminal's width (a line that wrapped would leave a trail of
stale lines); elsewhere (files, pipes, logs) only the finished line is written, with no
control characters.
"""
import numbers
import shutil
import sys
import time

import numpy as np

_now = time.monotonic  # the clock; a module global so tests can substitute a fake one


def _format_duration(seconds):
    """ETA as 1:02:03, 2:03 or 3s."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _format_rate(seconds, unit_name):
    """Time per unit in s, ms or us: '2ms/step'."""
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit_name}"
    return f"{seconds * 1e6:.0f}us/{unit_name}"


def _format_value(value):
    if isinstance(value, numbers.Real):
        value = float(value)
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


class Progbar:
    """Progress of a loop over `target` units (None when unknown), with running metric averages.

    verbose: 0 silent, 1 bar, 2 one line when finished. Values not named in
    stateful_metrics are averaged over the units seen so far; stateful ones are shown as given.
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step"):
        if target is not None and (isinstance(target, bool) or not isinstance(target, numbers.Integral) or target < 0):
            raise ValueError(f"Progbar: target must be a non-negative integer or None. Received: target={target!r}")
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"Progbar: width must be a positive integer. Received: width={width!r}")
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: verbose must be 0, 1 or 2. Received: verbose={verbose!r}")
        if not isinstance(interval, numbers.Real) or not interval >= 0:
            raise ValueError(f"Progbar: interval must be a non-negative number. Received: interval={interval!r}")
        self.target = None if target is None else int(target)
        self.width = int(width)
        self.verbose = verbose
        self.interval = float(interval)
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._sums = {}  # name -> [weighted sum, weight] or [value, None] for stateful metrics
        self._seen_so_far = 0
        self._start = _now()
        self._last_draw = None
        self._first_unit = None  # (units, time) at the first update: excludes start-up cost from the rate
        self._drawn_width = 0
        self._finalized = False
        self._stream, self._stream_is_terminal = None, False

    def update(self, current, values=None, finalize=None):
        """Records that `current` units are done, with (name, value) pairs for this stretch."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values or ())
        now = _now()
        if self._first_unit is None and current > 0:
            self._first_unit = (current, now)
        if self.verbose == 0 or self._finalized:
            return
        stream = sys.stdout
        if stream is not self._stream:  # asked once per stream, not at every update
            self._stream, self._stream_is_terminal = stream, _is_terminal(stream)
        dynamic = self.verbose == 1 and self._stream_is_terminal
        if finalize:
            self._finalized = True
        elif not dynamic:
            return
        elif self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        if self.verbose == 1:
            line = self._bar(current) + self._timing(current, now, finalize) + self._metrics()
            if dynamic and not finalize:
                line = self._fitted(line, current)
        else:
            line = self._count(current) + self._timing(current, now, finalize=True) + self._metrics()
        if dynamic:
            padding = " " * max(self._drawn_width - len(line), 0)
            self._drawn_width = len(line)
            stream.write("\r" + line + padding + ("\n" if finalize else ""))
        else:
            stream.write(line + "\n")
        stream.flush()

    def _fitted(self, line, current):
        """line within the terminal's width: the bar narrowed first, then the end cut."""
        columns = shutil.get_terminal_size(fallback=(80, 24)).columns - 1
        excess = len(line) - columns
        if excess <= 0:
            return line
        narrower = max(self.width - excess, 0)
        if narrower != self.width:
            width, self.width = self.width, narrower
            line = self._bar(current) + line[len(self._bar(current)) + (width - narrower):]
            self.width = width
        return line[:columns]

    def add(self, n, values=None):
        """Advances by n units."""
        self.update(self._seen_so_far + n, values)

    def _accumulate(self, current, values):
        steps = max(current - self._seen_so_far, 1)
        for name, value in values:
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value.item()
            if name in self.stateful_metrics or not isinstance(value, numbers.Real):
                self._sums[name] = [value, None]
            elif name in self._sums and self._sums[name][1] is not None:
                self._sums[name][0] += float(value) * steps
                self._sums[name][1] += steps
            else:
                self._sums[name] = [float(value) * steps, steps]
        self._seen_so_far = current

    def averages(self):
        """The current value of every metric: running averages, or as given for stateful ones."""
        return {name: total if weight is None else total / weight for name, (total, weight) in self._sums.items()}

    def _count(self, current):
        if self.target is None:
            return f"{current}"
        digits = len(str(self.target))
        return f"{current:{digits}d}/{self.target}"

    def _bar(self, current):
        if self.target is None:
            return f"{current:7d}/Unknown"
        done = min(current / self.target, 1.0) if self.target else 1.0
        filled = int(self.width * done)
        if filled:
            arrow = ">" if current < self.target else "="
            bar = "=" * (filled - 1) + arrow
        else:
            bar = ""
        return f"{self._count(current)} [{bar}{'.' * (self.width - filled)}]"

    def _time_per_unit(self, current, now):
        if self._first_unit is not None and current > self._first_unit[0]:
            first, then = self._first_unit
            return (now - then) / (current - first)
        return (now - self._start) / current if current else 0.0

    def _timing(self, current, now, finalize):
        per_unit = self._time_per_unit(current, now)
        if finalize or self.target is None:
            return f" - {now - self._start:.0f}s {_format_rate(per_unit, self.unit_name)}"
        return f" - ETA: {_format_duration(per_unit * (self.target - current))}"

    def _metrics(self):
        return "".join(f" - {name}: {_format_value(value)}" for name, value in self.averages().items())


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False
