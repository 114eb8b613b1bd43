"""The weights layers update themselves in a training step (BatchNormalization's moving
statistics), averaged over a data-parallel step's processes or shards so that every process keeps
the same model. Keras aggregates such weights by their mean over the replicas; here the mean is
weighted by each part's rows, so a moving mean follows the mean of the whole global batch.

A part contributes flags (1 for each array it changed) and rows * values; the parts' sums give
the arrays back as sum(rows * values) / sum(rows), for the arrays some part changed only (an
array no part changed keeps its bits).
"""
import numpy as np


def updated_arrays(model):
    """The arrays a training step may update outside the gradients: the non-trainable weights of
    trainable layers (a frozen layer updates nothing)."""
    return [w.data for layer in model.layers if layer.trainable for w in layer.non_trainable_weights]


class LayerState:
    def __init__(self, model):
        self.arrays = updated_arrays(model)
        self.start = [a.copy() for a in self.arrays]
        self.size = len(self.arrays) + 1 + sum(a.size for a in self.arrays)

    def __bool__(self):
        return bool(self.arrays)

    def restore(self):
        """Puts back the values the arrays had when this state was taken."""
        for array, value in zip(self.arrays, self.start):
            np.copyto(array, value)

    def contribution(self, rows, out=None):
        """This part's float32 vector: a flag per array it changed, its rows, then rows * values."""
        out = np.empty(self.size, np.float32) if out is None else out
        n = len(self.arrays)
        out[:n] = [0.0 if np.array_equal(a, s) else 1.0 for a, s in zip(self.arrays, self.start)]
        out[n] = rows
        offset = n + 1
        for array in self.arrays:
            out[offset:offset + array.size] = array.ravel()
            out[offset:offset + array.size] *= np.float32(rows)
            offset += array.size
        return out

    def assign(self, total):
        """Sets each array some part changed to the rows-weighted mean of the summed contributions."""
        n = len(self.arrays)
        rows = float(total[n])
        offset = n + 1
        for flag, array, start in zip(total[:n], self.arrays, self.start):
            part = total[offset:offset + array.size]
            offset += array.size
            if flag > 0 and rows > 0:
                np.copyto(array, (part / np.float32(rows)).reshape(array.shape).astype(array.dtype))
            else:
                np.copyto(array, start)
