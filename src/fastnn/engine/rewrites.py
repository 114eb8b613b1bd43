"""Rewrites of a recorded tape: each finds a pattern wherever it occurs and replaces it by
fewer kernel calls, or less memory, giving the same bits."""
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


def share_buffers(tape, kept):
    """Intermediate arrays whose lifetimes do not overlap share memory: each array the tape
    writes in whole before any read, that is not among `kept` and not read or written after
    another's last use, moves into a slab freed by an earlier one (best fit), else a new one.
    Only arrays the tape writes whole first are moved, so no value survives from one to the next."""
    spans = {}
    for base in {id(_base(a)): _base(a) for a in tape.arrays if isinstance(a, np.ndarray)}.values():
        start = base.__array_interface__["data"][0]
        extent = (start, start + base.nbytes)
        if base.nbytes == 0 or _overlaps(kept, extent):
            continue
        touched = [i for i in range(len(tape)) if _overlaps(tape.reads[i], extent) or _overlaps(tape.writes[i], extent)]
        if not touched or not _writes_whole(tape, touched[0], extent) or _overlaps(tape.reads[touched[0]], extent):
            continue
        spans[extent] = (touched[0], touched[-1], base)
    free, slabs = [], []  # free: (size, last use, slab)
    for extent, (first, last, base) in sorted(spans.items(), key=lambda item: item[1][0]):
        fits = [f for f in free if f[0] >= base.nbytes and f[1] < first]
        if fits:
            chosen = min(fits, key=lambda f: f[0])
            free.remove(chosen)
            slab = chosen[2]
        else:
            slab = np.empty(base.nbytes, dtype=np.uint8)
            slabs.append(slab)
        tape.move(extent[0], extent[1], slab)
        free.append((slab.nbytes, last, slab))
    moved = {id(base) for _, _, base in spans.values()}
    tape.release(lambda a: id(_base(a)) not in moved)
    return tape


def _writes_whole(tape, i, extent):
    return any(lo <= extent[0] and extent[1] <= hi for lo, hi in tape.writes[i])
