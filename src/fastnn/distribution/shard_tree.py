"""A fixed summation tree over a batch's shards, so that a sum of shard gradients has the same
bits however many processes computed the shards.

The tree halves the leaves [0, num_shards) recursively: node (lo, hi) is the sum of its halves
(lo, mid) and (mid, hi), mid = (lo + hi) // 2. A process holding the leaves of a consecutive
block sums the largest nodes inside its block (its cover), sends those, and every process
completes the same tree from everyone's covers. A single process walks the same tree alone.
"""
import numpy as np


def _mid(lo, hi):
    return (lo + hi) // 2


def cover(first, stop, lo=0, hi=None, num_shards=None):
    """The largest tree nodes lying inside leaves [first, stop), left to right."""
    if hi is None:
        hi = num_shards
    if first <= lo and hi <= stop:
        return [(lo, hi)]
    if hi - lo <= 1 or stop <= lo or hi <= first:
        return []
    mid = _mid(lo, hi)
    return cover(first, stop, lo, mid) + cover(first, stop, mid, hi)


def tree_sum(known, lo, hi, out=None):
    """Node (lo, hi) of the tree, given `known`: a dict from nodes to arrays that covers it.

    Writes into `out` when given (it may be one of the known arrays); returns the node's array.
    """
    if (lo, hi) in known:
        value = known[(lo, hi)]
        if out is not None and out is not value:
            np.copyto(out, value)
            return out
        return value
    if hi - lo <= 1:
        raise KeyError(f"shard tree: leaf {lo} is not known")
    mid = _mid(lo, hi)
    left = tree_sum(known, lo, mid)
    right = tree_sum(known, mid, hi)
    return np.add(left, right, out=out if out is not None else np.empty_like(left))
