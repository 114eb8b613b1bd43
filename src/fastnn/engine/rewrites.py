"""Rewrites of a recorded tape: each finds a pattern wherever it occurs and replaces it by
fewer kernel calls, or less memory, giving the same bits."""
import bisect
import heapq
import itertools

import numpy as np


def _overlaps(ranges, extent):
    lo, hi = extent
    return any(a < hi and lo < b for a, b in ranges)


def fold_relu_grads(tape, kept):
    """relu_grad(dy, y) after the call that made dy (a GEMM, or a convolution's or pooling's
    input gradient) becomes that call's mask epilogue (mask > 0 ? v : 0 is relu_grad's rule),
    when nothing else reads dy and dy is not among `kept` (byte extents of arrays the caller
    reads after the step)."""
    j = 0
    while j < len(tape):
        operands = tape.relu_grad_operands(j)
        producer = _last_writer(tape, j, operands[0]) if operands else None
        if producer is not None and _foldable(tape, producer, j, operands, kept):
            tape.fold_relu_grad(producer, j)
            continue
        j += 1
    return tape


def _last_writer(tape, j, address):
    for i in range(j - 1, -1, -1):
        if any(lo <= address < hi for lo, hi in tape.writes[i]):
            return i
    return None


def _foldable(tape, producer, j, operands, kept):
    dy, y, out, elements = operands
    if tape.maskable_output(producer) != (dy, elements):
        return False
    dy_extent = tape.writes[producer][0]
    if _overlaps(kept, dy_extent):
        return False
    for i in range(len(tape)):
        if i != j and i != producer and _overlaps(tape.reads[i], dy_extent):
            return False
    out_extent = tape.writes[j][0]
    return not _overlaps(tape.reads[producer], out_extent) and not _overlaps(tape.reads[j][1:], out_extent)


def _base(array):
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def share_buffers(tape, kept, report=None):
    """Intermediate arrays whose lifetimes do not overlap share memory: each array the tape
    writes in whole before any read, that is not among `kept` and not read or written after
    another's last use, moves into a slab shared with arrays whose lifetimes do not overlap its
    own; of two placements (in call order, best fit; largest first, first fit) the one needing
    fewer bytes is taken. Only arrays the tape writes whole first are moved, so no value survives from one to the next.
    A `report` dict receives the bytes of the slabs and the most bytes of those arrays alive at
    one call (what no sharing could go below)."""
    candidates = {}
    for base in {id(_base(a)): _base(a) for a in tape.arrays if isinstance(a, np.ndarray)}.values():
        start = base.__array_interface__["data"][0]
        extent = (start, start + base.nbytes)
        if base.nbytes and not _overlaps(kept, extent):
            candidates[extent] = base
    spans = {}
    for extent, (first, last) in _first_and_last_touch(tape, list(candidates)).items():
        if _writes_whole(tape, first, extent) and not _overlaps(tape.reads[first], extent):
            spans[extent] = (first, last, candidates[extent])
    sizes, placed = min(_in_call_order(spans), _largest_first(spans), key=lambda plan: sum(plan[0]))
    slabs = [np.empty(size, dtype=np.uint8) for size in sizes]
    moves = [(lo, hi, slabs[slab]) for (lo, hi), slab in placed]
    tape.move_many(moves)
    if report is not None:
        report.update(slab_bytes=sum(sizes),
                      peak_live_bytes=_peak_live_bytes(spans.values()), shared_arrays=len(moves))
    moved = {id(base) for _, _, base in spans.values()}
    tape.release(lambda a: id(_base(a)) not in moved)
    return tape


def _in_call_order(spans):
    """(slab sizes, [(extent, slab)]): the arrays in the order they are first written, each in the
    smallest free slab that fits, else the largest free one grown (a new slab would cost its
    whole size), else a new one."""
    sizes, in_use, free, placed = [], [], [], []  # in_use: heap of (last use, order, slab); free: sorted (size, order, slab)
    order = itertools.count()
    for extent, (first, last, base) in sorted(spans.items(), key=lambda item: item[1][0]):
        while in_use and in_use[0][0] < first:  # slabs whose last use is over
            _, seq, slab = heapq.heappop(in_use)
            bisect.insort(free, (sizes[slab], seq, slab), key=lambda f: f[:2])
        k = bisect.bisect_left(free, base.nbytes, key=lambda f: f[0])  # the smallest that fits
        if k < len(free):
            slab = free.pop(k)[2]
        elif free:
            slab = free.pop()[2]
            sizes[slab] = base.nbytes
        else:
            slab = len(sizes)
            sizes.append(base.nbytes)
        placed.append((extent, slab))
        heapq.heappush(in_use, (last, next(order), slab))
    return sizes, placed


def _largest_first(spans):
    """(slab sizes, [(extent, slab)]): the largest arrays first, each in the first slab none of
    whose arrays' lifetimes overlaps its own (every slab is at least as large), else a new one."""
    sizes, lifetimes, placed = [], [], []
    for extent, (first, last, base) in sorted(spans.items(), key=lambda item: (-item[1][2].nbytes, item[1][0])):
        for slab, taken in enumerate(lifetimes):
            if all(last < lo or hi < first for lo, hi in taken):
                break
        else:
            slab = len(sizes)
            sizes.append(base.nbytes)
            lifetimes.append([])
        lifetimes[slab].append((first, last))
        placed.append((extent, slab))
    return sizes, placed


def _peak_live_bytes(spans):
    """The largest sum of the sizes of the arrays alive at one call, given (first, last, array)."""
    events = sorted([(first, 0, base.nbytes) for first, _, base in spans] +
                    [(last, 1, -base.nbytes) for _, last, base in spans])  # a call's arrays count before frees
    live = peak = 0
    for _, _, change in events:
        live += change
        peak = max(peak, live)
    return peak


def _first_and_last_touch(tape, extents):
    """{extent: (first call, last call)} of the calls whose reads or writes overlap each extent
    (extents of distinct arrays, which do not overlap each other), for the extents some call touches."""
    extents = sorted(extents)
    starts = [lo for lo, _ in extents]
    ends = [hi for _, hi in extents]
    touches = {}
    for i in range(len(tape)):
        for lo, hi in itertools.chain(tape.reads[i], tape.writes[i]):
            k = bisect.bisect_right(ends, lo)  # the first extent ending after lo
            while k < len(extents) and starts[k] < hi:
                seen = touches.get(extents[k])
                touches[extents[k]] = (i, i) if seen is None else (seen[0], i)
                k += 1
    return touches


def _writes_whole(tape, i, extent):
    return any(lo <= extent[0] and extent[1] <= hi for lo, hi in tape.writes[i])
