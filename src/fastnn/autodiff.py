"""gradient(f): the derivative of a scalar function of one tensor, as the book writes it."""
import numpy as np

from .tensor import Tensor


def gradient(f):
    """Returns g with g(W0) = d f(W) / dW at W0, an array of W0's shape.

    f maps a Tensor to a single-element Tensor; W0 is an array-like (integers become float64).
    """

    def grad_f(w0):
        w0 = np.asarray(w0.data if isinstance(w0, Tensor) else w0)
        if w0.dtype.kind != "f":
            w0 = w0.astype(np.float64)
        w = Tensor(w0.copy(), requires_grad=True)
        out = f(w)
        if not isinstance(out, Tensor) or out.size != 1:
            raise ValueError(
                "gradient(f): f must return a single-element Tensor. Received: "
                f"{type(out).__name__} of shape {np.shape(out)}"
            )
        if not out.requires_grad:
            return np.zeros_like(w0)
        out.backward()
        return w.grad if w.grad is not None else np.zeros_like(w0)

    return grad_f
