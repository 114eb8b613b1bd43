"""Averaging gradients while backward still runs: the replayed step is cut after the call that
finishes each bucket of the flat gradient buffer, and each bucket's allreduce starts there.

A bucket is a run of consecutive parameters' gradients (at least `bucket_bytes`, except the
last); it is final after the last tape call that writes into it.
"""
import numpy as np


def _extent(array):
    start = array.__array_interface__["data"][0]
    return start, start + array.nbytes


def _buckets(grad_views, bucket_bytes):
    """[(start, stop)] element ranges of the flat buffer, parameter boundaries respected."""
    buckets, start, size = [], 0, 0
    for view in grad_views:
        size += view.size
        if (size - start) * view.itemsize >= bucket_bytes:
            buckets.append((start, size))
            start = size
    if size > start:
        buckets.append((start, size))
    return buckets


class OverlappedTape:
    """Stands in for a replayed step's tape: run() replays it in segments and starts a
    non-blocking allreduce of each gradient bucket as soon as its last writer has run."""

    def __init__(self, tape, grads, grad_views, comm, mpi, bucket_bytes):
        self.tape, self.grads, self.comm, self.mpi = tape, grads, comm, mpi
        base = _extent(grads)[0]
        itemsize = grads.itemsize
        ready = []
        for start, stop in _buckets(grad_views, bucket_bytes):
            lo, hi = base + start * itemsize, base + stop * itemsize
            last = max((i for i in range(len(tape)) if any(a < hi and lo < b for a, b in tape.writes[i])),
                       default=-1)
            ready.append((last, start, stop))
        self.schedule = sorted(ready)
        self.scale = np.float32(1)
        self.requests = []

    def __getattr__(self, name):  # states, writes... as the wrapped tape has them
        return getattr(self.tape, name)

    def __len__(self):
        return len(self.tape)

    def run(self, start=0, stop=None):
        if start != 0 or stop is not None:
            return self.tape.run(start, stop)
        done = 0
        for last, lo, hi in self.schedule:
            if last + 1 > done:
                self.tape.run(done, last + 1)
                done = last + 1
            bucket = self.grads[lo:hi]
            if self.scale != 1:
                bucket *= self.scale
            self.requests.append(self.comm.Iallreduce(self.mpi.IN_PLACE, bucket, op=self.mpi.SUM))
            self.mpi.Request.Testall(self.requests)  # MPI moves messages only inside its calls
        self.tape.run(done, None)

    def wait(self):
        """Waits for every allreduce started by the last run(); True when there were any."""
        if not self.requests:
            return False
        self.mpi.Request.Waitall(self.requests)
        self.requests = []
        return True
