"""Rewrites of a recorded tape: each finds a pattern wherever it occurs and replaces it by
fewer kernel calls that give the same bits."""


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
