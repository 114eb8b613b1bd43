"""FlatParameters: a model's trainable weights as views of one contiguous float32 buffer.

The optimizer then updates every weight in one call on one array, and the gradients land
in a second buffer of the same layout (backward writes them there directly), so a training
step allocates nothing for them.
"""
import numpy as np


class FlatParameters:
    def __init__(self, tensors):
        self.tensors = list(tensors)
        total = sum(int(t.data.size) for t in self.tensors)
        self.values = np.empty(total, dtype=np.float32)
        self.grads = np.zeros(total, dtype=np.float32)
        self.value_views, self.grad_views = [], []
        offset = 0
        for tensor in self.tensors:
            size, shape = int(tensor.data.size), tensor.data.shape
            view = self.values[offset:offset + size].reshape(shape)
            view[...] = tensor.data
            tensor.data = view
            self.value_views.append(view)
            self.grad_views.append(self.grads[offset:offset + size].reshape(shape))
            offset += size

    def holds(self, tensors):
        """True while these are exactly the tensors, still viewing this buffer."""
        tensors = list(tensors)
        return len(tensors) == len(self.tensors) and all(
            t is mine and t.data is view for t, mine, view in zip(tensors, self.tensors, self.value_views)
        )

    def zero_grads(self):
        """Clears every .grad and points each tensor's grad_buffer at its part of the gradient buffer.

        backward() then writes each gradient straight into the buffer (nothing to zero first);
        gathered_grads() zeroes only the parts no gradient reached.
        """
        for tensor, view in zip(self.tensors, self.grad_views):
            tensor.grad = None
            tensor.grad_buffer = view

    def gathered_grads(self):
        """The gradient buffer, after copying in any .grad that does not live in it (zeros for none).

        Each tensor's grad_buffer is cleared again: a backward outside fit makes new arrays.
        """
        for tensor, view in zip(self.tensors, self.grad_views):
            tensor.grad_buffer = None
            if tensor.grad is not view:
                if tensor.grad is None:
                    view.fill(0)
                else:
                    np.copyto(view, tensor.grad)
                tensor.grad = view
        return self.grads
