"""Batches made ahead of the training step by background threads.

prefetched(produce, count, workers, ahead) yields produce(0), produce(1), ... in that order while
`workers` threads make the next ones, at most `ahead` finished batches waiting (a bounded queue:
memory stays bounded and a slow step never lets the loaders run away). produce(i) raising
StopIteration ends the stream there. An exception in a worker is raised in the consumer, the
same exception object with its traceback from the worker. When the consumer stops (the end, an
exception, KeyboardInterrupt, a generator closed early) every worker is told to stop and joined
before control returns: no thread outlives the iteration.

Cores: a worker runs the kernels it calls (the augmentation warp) on itself alone
(fastnn_cap_this_thread), so the loaders take at most `workers` cores next to the kernels'
fastnn.get_num_threads() threads. Decoding (Pillow) and the warp release the GIL. On a machine
with C cores, fastnn.set_num_threads(C - workers) gives the loaders cores of their own; by default
the step's kernels use every core and the loaders share them while they have batches to make.
"""
import threading

from .. import _C

_END = object()


class _Failed:
    def __init__(self, error):
        self.error = error


class _Pipeline:
    """The shared state of one prefetched stream: claimed indices, finished results, the bound."""

    def __init__(self, count, ahead):
        self.cond = threading.Condition()
        self.results = {}
        self.claimed = 0  # the next index a worker will make
        self.taken = 0  # results the consumer has taken
        self.end = count  # no index at or past this is made (None: until produce stops)
        self.ahead = ahead
        self.stopped = False

    def claim(self):
        """The next index to make, or None when the stream is over or stopped."""
        with self.cond:
            while not self.stopped and self.claimed - self.taken >= self.ahead and self._open():
                self.cond.wait()
            if self.stopped or not self._open():
                return None
            self.claimed += 1
            return self.claimed - 1

    def _open(self):
        return self.end is None or self.claimed < self.end

    def put(self, index, result):
        with self.cond:
            self.results[index] = result
            if result is _END or isinstance(result, _Failed):
                self.end = index + 1 if self.end is None else min(self.end, index + 1)
            self.cond.notify_all()

    def take(self, index):
        """Result `index` once it is made (waiting in short slices, so that Ctrl-C gets through)."""
        with self.cond:
            while index not in self.results:
                self.cond.wait(0.1)
            result = self.results.pop(index)
            self.taken += 1
            self.cond.notify_all()
        return result

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()


def _work(pipeline, produce):
    _C._cap_this_thread(1)
    while True:
        index = pipeline.claim()
        if index is None:
            return
        try:
            result = produce(index)
        except StopIteration:
            result = _END
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            result = _Failed(error)
        pipeline.put(index, result)
        if result is _END or isinstance(result, _Failed):
            return


def prefetched(produce, count, workers=1, ahead=10):
    """produce(i) for i = 0 .. count - 1 (count None: until produce raises StopIteration), in order,
    made by `workers` background threads at most `ahead` results ahead (workers 0: made here, when
    asked for)."""
    if workers <= 0:
        index = 0
        while count is None or index < count:
            try:
                item = produce(index)
            except StopIteration:
                return
            yield item
            index += 1
        return
    pipeline = _Pipeline(count, max(1, ahead))
    threads = [threading.Thread(target=_work, args=(pipeline, produce), name=f"fastnn-batches-{k}", daemon=True)
               for k in range(workers if count is None else max(1, min(workers, count)))]
    for thread in threads:
        thread.start()
    try:
        index = 0
        while count is None or index < count:
            result = pipeline.take(index)
            if result is _END:
                return
            if isinstance(result, _Failed):
                error = result.error
                if hasattr(error, "add_note"):
                    error.add_note(f"(raised while making batch {index} in a background loading thread)")
                raise error
            yield result
            index += 1
    finally:
        pipeline.stop()
        for thread in threads:
            thread.join()
