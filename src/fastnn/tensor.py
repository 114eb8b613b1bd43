"""Tensor: an ndarray that records the operations applied to it, and the reverse-mode engine."""
import operator
import threading
from contextlib import ContextDecorator

import numpy as np

from . import _C, debug, kernels

_GRAD_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_state = threading.local()
# Counts every assignment to a Tensor's .data, in any thread: the version a tensor gets when
# modified, and what an op records in its forward pass to tell later modifications apart.
_modifications = [0]


def is_grad_enabled():
    """True unless inside a `no_grad()` block (per thread)."""
    return getattr(_state, "enabled", True)


def _saved_modes():
    """This thread's stack of grad modes to restore, one per `no_grad` block it is inside."""
    try:
        return _state.saved
    except AttributeError:
        _state.saved = []
        return _state.saved


class no_grad(ContextDecorator):
    """Context manager and decorator: operations inside it record no graph.

    The mode to restore is kept per thread, not on the instance, so one instance may be
    nested, re-entered (a recursive decorated function) and shared by threads.
    """

    def __enter__(self):
        _saved_modes().append(is_grad_enabled())
        _state.enabled = False
        return self

    def __exit__(self, *exc):
        _state.enabled = _saved_modes().pop()
        return False


class Function:
    """A primitive operation: `forward` on arrays, `backward` from the output's gradient.

    Subclasses implement forward(*arrays, **options) -> ndarray, saving on `self` what
    backward needs, and backward(grad) -> one gradient (or None) per parent. A gradient may
    have the broadcast shape of the output: the engine sums it back to the parent's shape.
    """

    # True for ops whose forward and backward compute only through fastnn.kernels calls (which a
    # step plan records and replays); any other op makes a step being recorded unreplayable.
    replayable = False

    # Set by the engine just before backward: per parent, an array backward may write that
    # parent's gradient into (and return), or None. Only ever offered for a leaf's grad_buffer.
    grad_out = None
    # What backward reads besides the gradient: the inputs' values, the output's values. The
    # engine refuses to run backward once one of them has been modified since the forward pass.
    reads_inputs = True
    reads_output = False
    # True when the output is a view of the first input: both then share one version.
    output_is_view = False

    def __init__(self, parents):
        self.parents = parents
        self.needs_grad = tuple(p.requires_grad for p in parents)

    def grad_target(self, index):
        """The array to write parent `index`'s gradient into, or None to return a new one."""
        out = self.grad_out
        return None if out is None else out[index]

    def forward(self, *arrays, **options):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        """Runs the op on Tensors (or array-likes) and records it when a gradient is needed."""
        fn = cls(tuple(as_tensor(x) for x in inputs))
        return fn.output(fn.forward(*(p._data for p in fn.parents), **options))

    def output(self, data):
        """The Tensor holding this op's result, linked to the op when a gradient is needed."""
        if debug.enabled:
            debug.check_forward(self, data)
        if not self.replayable:
            _C._unreplayable(f"{type(self).__name__} is not built on kernels")
        if is_grad_enabled() and any(self.needs_grad):
            out = Tensor._result(data, self)
            self.recorded_at = _modifications[0]
        else:
            out = Tensor(data)
        if self.output_is_view:
            out._version = self.parents[0]._shared_version()
        return out


def data_assignments():
    """How many times any tensor's .data has been assigned: step plans, which hold the arrays
    they were recorded with, are made again when it changes."""
    return _modifications[0]


def _assign_data(tensor, value):
    """Tensor.data's setter: `t.data = other`, and in-place arithmetic through the attribute
    (`t.data -= step`, which Python ends with an assignment), are modifications. Each raises
    the tensor's version, shared with its views and detached copies, to a new count."""
    tensor._data = value
    _C._unreplayable("a tensor's .data was assigned (NumPy work that a step plan cannot replay)")
    _modifications[0] += 1
    if tensor._version is None:
        tensor._version = [_modifications[0]]
    else:
        tensor._version[0] = _modifications[0]


class Tensor:
    """An n-dimensional array that can take part in reverse-mode differentiation."""

    data = property(operator.attrgetter("_data"), _assign_data)

    __array_ufunc__ = None  # make NumPy defer `array + tensor` to Tensor.__radd__
    # Optional preallocated array of this leaf's shape and dtype: when .grad is None, backward
    # stores the gradient there (written in place by the op when it can) instead of a new array.
    grad_buffer = None
    # [the modification count at this tensor's last modification], shared with its views; None
    # until it is modified or viewed.
    _version = None

    def __init__(self, data, requires_grad=False):
        resolve = getattr(data, "_resolved_tensor", None)  # a symbolic tensor, while its graph runs
        if resolve is not None:
            data = resolve()
        if isinstance(data, Tensor):
            self._version = data._shared_version()  # the same array: one version
            data = data.data
        else:
            data = np.asarray(data)
        if data.dtype.kind not in "biuf":
            raise TypeError(f"Tensor data must be real numbers, got dtype {data.dtype}")
        if requires_grad and data.dtype not in _GRAD_DTYPES:
            raise TypeError(
                f"only float32 and float64 tensors can require gradients, got dtype {data.dtype}"
            )
        self._data = data
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._fn = None  # the Function that produced this tensor; None for leaves
        self._released = False  # set once backward has freed the graph behind this tensor

    def _shared_version(self):
        """This tensor's version, made shareable (with a view or a copy of the same array)."""
        if self._version is None:
            self._version = [0]
        return self._version

    @classmethod
    def _result(cls, data, fn):
        out = cls(data)
        out.requires_grad = True
        out._fn = fn
        return out

    # -- array protocol and attributes --------------------------------------------
    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    dtype = property(lambda self: self._data.dtype)
    size = property(lambda self: self._data.size)
    T = property(lambda self: self.transpose())
    is_leaf = property(lambda self: self._fn is None)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self.data, dtype=dtype, copy=True)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def numpy(self):
        return self.data

    def item(self):
        return self.data.item()

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.data)

    def __int__(self):
        return int(self.data)

    def detach(self):
        """A tensor sharing this data (and its version), cut off from the graph."""
        return Tensor(self)

    def zero_grad(self):
        self.grad = None

    def __repr__(self):
        prefix = "Tensor("
        body = np.array2string(self.data, separator=", ", prefix=prefix)
        extra = ""
        if self.data.dtype not in (np.dtype(np.float64), np.dtype(np.int64), np.dtype(bool)):
            extra += f", dtype={self.data.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"{prefix}{body}{extra})"

    __hash__ = object.__hash__

    # -- reverse mode ----------------------------------------------------------------
    def backward(self, grad=None):
        """Accumulates d(self)/d(leaf) into `.grad` of every leaf that requires a gradient.

        `grad` is the gradient flowing into self (default 1 for a single-element tensor).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (and has no graph)")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {self.shape} needs a gradient argument "
                    "of the same shape; only single-element tensors get the implicit gradient 1"
                )
            grad = np.ones(self.shape, dtype=self.dtype)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): gradient has shape {grad.shape} but the tensor has shape {self.shape}")
            grad = grad.astype(self.dtype, copy=False)
        _run_backward(self, grad)

    # -- operators and methods (defined in functional) ------------------------------
    # With a symbolic operand (it has _resolved_tensor) the result is symbolic: NotImplemented
    # lets its reflected operator record the operation in its graph.
    def __add__(self, other):
        if hasattr(other, "_resolved_tensor"):
            return NotImplemented
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        if hasattr(other, "_resolved_tensor"):
            return NotImplemented
        return F.subtract(self, other)

    def __rsub__(self, other):
        return F.subtract(other, self)

    def __mul__(self, other):
        if hasattr(other, "_resolved_tensor"):
            return NotImplemented
        return F.multiply(self, other)

    def __rmul__(self, other):
        return F.multiply(other, self)

    def __truediv__(self, other):
        if hasattr(other, "_resolved_tensor"):
            return NotImplemented
        return F.divide(self, other)

    def __rtruediv__(self, other):
        return F.divide(other, self)

    def __pow__(self, exponent):
        return F.power(self, exponent)

    def __neg__(self):
        return F.negative(self)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __getitem__(self, index):
        return F.getitem(self, index)

    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    def __eq__(self, other):
        return self.data == _data(other)

    def __ne__(self, other):
        return self.data != _data(other)

    def sum(self, axis=None, keepdims=False):
        return F.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return F.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return F.max(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        return F.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], int)):
            axes = axes[0]
        return F.transpose(self, axes or None)

    def relu(self):
        return F.relu(self)

    def exp(self):
        return F.exp(self)

    def log(self):
        return F.log(self)

    def dot(self, other):
        return F.dot(self, other)


def as_tensor(x):
    """x itself if it is a Tensor, else a constant Tensor wrapping it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def zero_grad(tensors):
    """Sets `.grad = None` on every tensor of an iterable."""
    for t in tensors:
        t.grad = None


def _graph_order(root):
    """Every tensor that requires grad and reaches root, parents before children (no recursion)."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        if node._released:
            raise RuntimeError(
                "backward() through a graph that was already freed by an earlier backward(); "
                "recompute the forward pass to differentiate again"
            )
        seen.add(id(node))
        stack.append((node, True))
        if node._fn is not None:
            if node._fn.recorded_at != _modifications[0]:
                _check_unmodified(node)
            stack.extend((p, False) for p in node._fn.parents if p.requires_grad and id(p) not in seen)
    return order


def _check_unmodified(node):
    """Raises when the op that made node would read a tensor modified since its forward pass."""
    fn = node._fn
    if fn.reads_output and _modified_since(node, fn.recorded_at):
        _refuse_modified(fn, "its output", node)
    if fn.reads_inputs:
        for i, parent in enumerate(fn.parents):
            if _modified_since(parent, fn.recorded_at):
                _refuse_modified(fn, f"its input {i}", parent)


def _modified_since(tensor, count):
    return tensor._version is not None and tensor._version[0] > count


def _refuse_modified(fn, which, tensor):
    raise RuntimeError(
        f"backward(): {type(fn).__name__} needs the values of {which}, a {tensor.dtype} tensor of shape "
        f"{tensor.shape}, but its .data was modified after the forward pass, so the gradient would be "
        "wrong. Modify tensors after backward(), or run the forward pass again."
    )


def _leaf_targets(fn, grads):
    """fn's grad_out: each leaf parent's grad_buffer when its gradient starts there, else None."""
    targets = None
    for i, parent in enumerate(fn.parents):
        buffer = parent.grad_buffer
        if buffer is None or parent._fn is not None or parent.grad is not None or not fn.needs_grad[i] \
                or id(parent) in grads:
            continue
        if targets is None:
            targets = [None] * len(fn.parents)
        elif any(t is buffer for t in targets):
            continue  # the same leaf twice among the inputs: one of them may start in the buffer
        targets[i] = buffer
    return targets


def _store_leaf_grad(node, grad):
    if node.grad is not None:
        kernels.add(node.grad, grad, out=node.grad)
    elif grad is node.grad_buffer:
        node.grad = grad
    elif node.grad_buffer is not None:
        node.grad = kernels.copy(grad, out=node.grad_buffer)
    else:
        node.grad = kernels.copy(grad)


def _run_backward(root, grad):
    order = _graph_order(root)
    grads = {id(root): grad}
    for node in reversed(order):
        grad = grads.pop(id(node), None)
        fn = node._fn
        if fn is None:
            if grad is not None:
                _store_leaf_grad(node, grad)
            continue
        node._fn, node._released = None, True
        if grad is None:
            continue
        fn.grad_out = _leaf_targets(fn, grads)
        parent_grads = fn.backward(grad)
        fn.grad_out = None
        if debug.enabled:
            debug.check_backward(fn, parent_grads)
        for parent, needed, pgrad in zip(fn.parents, fn.needs_grad, parent_grads):
            if not needed or pgrad is None:
                continue
            pgrad = np.asarray(pgrad)
            if pgrad.shape != parent.shape:
                pgrad = kernels.sum_to_shape(pgrad, parent.shape)
            if pgrad.dtype != parent.dtype:
                _C._unreplayable("a gradient changed dtype")
                pgrad = pgrad.astype(parent.dtype)
            assert pgrad.shape == parent.shape, (type(fn).__name__, pgrad.shape, parent.shape)
            previous = grads.get(id(parent))
            grads[id(parent)] = pgrad if previous is None else kernels.add(previous, pgrad)


from . import functional as F  # noqa: E402  (functional needs Tensor defined first)
