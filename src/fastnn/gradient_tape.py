"""GradientTape: the gradients of a computation on eager Tensors, as a Keras-3-era custom
training loop takes them.

    with fastnn.GradientTape() as tape:
        predictions = model(x, training=True)
        loss = loss_fn(y, predictions)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

fastnn's tensors record their operations whenever gradients are enabled; the tape makes sure
they are inside its block, lets `watch` make a constant tensor differentiable, and computes
the gradients with the autodiff engine without leaving them in the tensors' `.grad`.
"""
import numpy as np

from . import tensor as _tensor
from .tensor import Tensor


class GradientTape:
    def __init__(self, persistent=False, watch_accessed_variables=True):
        if persistent:
            raise ValueError("GradientTape(persistent=True) is not supported: fastnn frees the graph when it "
                             "computes the gradients; run the forward pass again for a second gradient")
        self._used = False
        self._entered = False

    def __enter__(self):
        modes = _tensor._saved_modes()
        modes.append(_tensor.is_grad_enabled())
        _tensor._state.enabled = True
        self._entered = True
        return self

    def __exit__(self, *exc):
        _tensor._state.enabled = _tensor._saved_modes().pop()
        self._entered = False
        return False

    def watch(self, tensor):
        """Makes a leaf Tensor (or each of a list) take gradients in what the block computes next."""
        for t in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch takes fastnn Tensors. Received: {type(t).__name__}")
            if t.dtype.kind != "f":
                raise TypeError(f"GradientTape.watch: only float32 and float64 tensors take gradients, got {t.dtype}")
            if not t.requires_grad:
                if not t.is_leaf:
                    raise ValueError("GradientTape.watch: watch a tensor before computing with it")
                t.requires_grad = True

    def gradient(self, target, sources, output_gradients=None):
        """d sum(target) / d source for each source (None for a source target does not depend on),
        in the structure of sources. Each tape gives one gradient computation."""
        if self._used:
            raise RuntimeError("GradientTape.gradient can only be called once on a tape (it is not persistent)")
        self._used = True
        single = isinstance(sources, Tensor)
        flat = [sources] if single else list(sources)
        for s in flat:
            if not isinstance(s, Tensor):
                raise TypeError(f"GradientTape.gradient: sources must be fastnn Tensors. Received: {type(s).__name__}")
            if not s.is_leaf:
                raise ValueError("GradientTape.gradient: sources must be leaf tensors (weights, or inputs the tape "
                                 "watched), not intermediate results")
        saved = [(s.grad, s.grad_buffer) for s in flat]
        for s in flat:
            s.grad, s.grad_buffer = None, None
        try:
            if isinstance(target, Tensor) and target.requires_grad:
                grad = output_gradients if output_gradients is not None else np.ones(target.shape, target.dtype)
                target.backward(grad)
            grads = [None if s.grad is None else np.array(s.grad) for s in flat]
        finally:
            for s, (grad, buffer) in zip(flat, saved):
                s.grad, s.grad_buffer = grad, buffer
        grads = [None if g is None else Tensor(g) for g in grads]
        return grads[0] if single else grads
