"""One record per compiled kernel: its name, sample inputs, bad inputs.

The compiled function and its oracle are looked up by name in fastnn.kernels and
fastnn.reference, so adding a kernel to the generic tests means adding one
KernelRecord to RECORDS. Samples are built by functions so every call gets fresh,
identical inputs (the kernels may update some in place).
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import fastnn

SIZES = list(range(1, 32)) + [97, 101]
LAYOUTS = ("C", "F", "strided", "reversed")
DTYPES = (np.float32, np.float64)


@dataclass(frozen=True)
class Sample:
    label: str
    make: Callable[[], tuple]  # () -> (args, kwargs), fresh on every call
    reduction: int = 1  # terms summed into one output element, for the tolerance


@dataclass(frozen=True)
class ErrorCase:
    label: str
    args: tuple
    kwargs: dict
    exception: type
    same_message: bool = True  # compiled and oracle messages must be identical


@dataclass(frozen=True)
class KernelRecord:
    name: str
    samples: Callable[[type], list]  # dtype -> [Sample]
    large: Callable[[type], Sample]  # dtype -> a Sample big enough to use every thread
    errors: Callable[[], list] = lambda: []
    mutates: tuple = ()  # positions of arguments updated in place; they are the outputs
    ulps: float = 8.0  # allowed error in units of eps times the reduction length

    @property
    def compiled(self):
        return getattr(fastnn.kernels, self.name)

    @property
    def oracle(self):
        return getattr(fastnn.reference, self.name)

    def outputs(self, result, args):
        """The arrays to compare: the mutated arguments, then the result (a tuple is flattened)."""
        mutated = [args[i] for i in self.mutates if args[i] is not None]
        if result is None:
            return mutated
        return mutated + (list(result) if isinstance(result, tuple) else [result])

    def tolerance(self, dtype, reduction):
        return self.ulps * np.finfo(dtype).eps * max(1, reduction)


def with_layout(a, layout):
    """a's values laid out C-contiguous, Fortran, strided (every other element) or reversed."""
    if layout == "C" or a.ndim == 0:
        return a
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    if layout == "reversed":
        flip = (slice(None, None, -1),) * a.ndim
        return np.ascontiguousarray(a[flip])[flip]
    raise ValueError(layout)


def layout_array(rng, shape, dtype, layout="C", low=None, high=None):
    """Random values (normal, or uniform in [low, high)) of shape and dtype in the given layout."""
    shape = tuple(shape)
    values = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    return with_layout(np.asarray(values).astype(dtype), layout)


def seeded(build, seed):
    """make() for a Sample: build(rng) with a fresh generator of a fixed seed."""
    return lambda: build(np.random.default_rng(seed))


def shapes_1_to_3d():
    """(shape, layout) pairs: sizes 1-31, 97, 101 in 1-D and 2-D, a few 3-D, the chapter's shapes."""
    for n in SIZES:
        yield (n,), "C"
        yield (3, n), LAYOUTS[n % 4]
        yield (n, 5), LAYOUTS[(n + 1) % 4]
    for layout in LAYOUTS:
        yield (2, 3, 7), layout
        yield (128, 784), layout
    yield (128, 512), "C"


def _label(name, *parts):
    return f"{name}[" + ", ".join(str(p) for p in parts) + "]"


# ---- element-wise ---------------------------------------------------------

def add_samples(dtype):
    out = []
    seed = 0
    for shape, layout in shapes_1_to_3d():
        others = [(shape, layout), (shape[-1:], "C"), ((), "C")]
        if len(shape) >= 2:
            others += [(shape[:-1] + (1,), "C"), ((1,) + shape[1:], "strided")]
        for b_shape, b_layout in others:
            seed += 1

            def build(rng, shape=shape, layout=layout, b_shape=b_shape, b_layout=b_layout):
                return (layout_array(rng, shape, dtype, layout), layout_array(rng, b_shape, dtype, b_layout)), {}

            out.append(Sample(_label("add", shape, layout, b_shape, b_layout), seeded(build, seed)))
    extra = {
        "zero-size": lambda rng: ((np.zeros((0, 3), dtype), np.ones(3, dtype)), {}),
        "zero-size broadcast": lambda rng: ((np.zeros((4, 0), dtype), np.ones((1, 1), dtype)), {}),
        "0-d": lambda rng: ((np.array(1.5, dtype), np.array(-2.0, dtype)), {}),
        "scalar first": lambda rng: ((np.array(3.0, dtype), layout_array(rng, (4, 5), dtype, "F")), {}),
        "4-D": lambda rng: ((layout_array(rng, (2, 1, 3, 5), dtype, "reversed"),
                             layout_array(rng, (4, 1, 5), dtype, "strided")), {}),
        "python floats": lambda rng: (([1.0, 2.0], 0.5), {}),
        "int + float32": lambda rng: ((np.arange(6).reshape(2, 3), np.ones(3, np.float32)), {}),
        "float32 + float64": lambda rng: ((np.ones((2, 3), np.float32), np.full(3, 0.1)), {}),
        "out": lambda rng: ((layout_array(rng, (6, 7), dtype), layout_array(rng, (7,), dtype)),
                            {"out": np.empty((6, 7), dtype)}),
        "strided out": lambda rng: ((layout_array(rng, (6, 7), dtype), layout_array(rng, (7,), dtype)),
                                    {"out": np.empty((6, 14), dtype)[:, ::2]}),
    }
    for i, (label, build) in enumerate(extra.items()):
        out.append(Sample(_label("add", label), seeded(build, 10_000 + i)))
    return out


def add_in_place(rng, dtype):
    a = layout_array(rng, (9, 13), dtype)
    return (a, layout_array(rng, (13,), dtype)), {"out": a}


def add_errors():
    a = np.ones((2, 3))
    ro = np.ones((2, 3))
    ro.flags.writeable = False
    return [
        ErrorCase("object", (np.array([1, None], dtype=object), a), {}, TypeError),
        ErrorCase("complex", (a, np.ones(3, complex)), {}, TypeError),
        ErrorCase("string", (np.array(["a", "b", "c"]), a), {}, TypeError),
        ErrorCase("shapes", (a, np.ones(4)), {}, ValueError),
        ErrorCase("out shape", (a, a), {"out": np.empty((3, 2))}, ValueError),
        ErrorCase("out dtype", (a, a), {"out": np.empty((2, 3), np.float32)}, TypeError),
        ErrorCase("out not array", (a, a), {"out": [[0.0] * 3] * 2}, TypeError),
        ErrorCase("out read-only", (a, a), {"out": ro}, ValueError),
    ]


def sum_to_shape_samples(dtype):
    out = []
    seed = 0
    for shape, layout in shapes_1_to_3d():
        targets = [shape[-1:], (), shape, (1,) * len(shape)]
        if len(shape) >= 2:
            targets += [(1,) + shape[1:], shape[:-1] + (1,)]
        if len(shape) == 3:
            targets += [(shape[0], 1, shape[2]), (shape[1], 1)]
        for target in targets:
            seed += 1
            reduction = int(np.prod(shape)) // max(1, int(np.prod(target)))

            def build(rng, shape=shape, layout=layout, target=target):
                return (layout_array(rng, shape, dtype, layout), target), {}

            out.append(Sample(_label("sum_to_shape", shape, layout, target), seeded(build, seed), reduction))
    out += [
        Sample("sum_to_shape[zero-size kept]", lambda: ((np.zeros((0, 4), dtype), (4,)), {})),
        Sample("sum_to_shape[zero-size reduced]", lambda: ((np.zeros((3, 0), dtype), (3, 1)), {})),
        Sample("sum_to_shape[0-d]", lambda: ((np.array(2.5, dtype), ()), {})),
        Sample("sum_to_shape[list shape]", lambda: ((np.ones((4, 3), dtype), [1, 3]), {}), 4),
        Sample("sum_to_shape[out]", seeded(lambda rng: ((layout_array(rng, (9, 5), dtype), (5,)),
                                                        {"out": np.empty(5, dtype)}), 5), 9),
        Sample("sum_to_shape[strided out]", seeded(lambda rng: ((layout_array(rng, (9, 5), dtype), (5,)),
                                                                {"out": np.empty(10, dtype)[::2]}), 6), 9),
    ]
    return out


def sum_to_shape_errors():
    return [
        ErrorCase("not broadcastable", (np.ones((2, 3)), (2,)), {}, ValueError),
        ErrorCase("more axes", (np.ones(3), (2, 3)), {}, ValueError),
        ErrorCase("complex", (np.ones(3, complex), (3,)), {}, TypeError),
    ]


def unary_samples(name, dtype, extra_args=0, positive_second=False):
    """Samples for kernels taking extra_args + 1 same-shape arrays and out=."""
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout):
            arrays = [layout_array(rng, shape, dtype, layout)]
            arrays += [layout_array(rng, shape, dtype, LAYOUTS[(i + 1) % 4]) for i in range(extra_args)]
            return tuple(arrays), {}

        out.append(Sample(_label(name, shape, layout), seeded(build, seed)))
    n = extra_args + 1
    out += [
        Sample(_label(name, "zero-size"), lambda: (tuple(np.zeros((0, 3), dtype) for _ in range(n)), {})),
        Sample(_label(name, "0-d"), lambda: (tuple(np.array(-0.5 + i, dtype) for i in range(n)), {})),
        Sample(_label(name, "zeros"), lambda: (tuple(np.zeros(17, dtype) for _ in range(n)), {})),
        Sample(_label(name, "out"), seeded(lambda rng: (tuple(layout_array(rng, (5, 9), dtype) for _ in range(n)),
                                                        {"out": np.empty((5, 18), dtype)[:, ::2]}), 7)),
        Sample(_label(name, "ints"), lambda: (tuple(np.arange(-3, 3) for _ in range(n)), {})),
    ]
    return out


def map_samples(name, dtype, n_arrays=1, scalars=(), low=None, high=None):
    """Samples for element-wise maps: n_arrays same-shape arrays (values in [low, high) when
    given), then the scalar arguments; plus zero-size, 0-d, out= and broadcast cases."""
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout):
            arrays = [layout_array(rng, shape, dtype, LAYOUTS[(LAYOUTS.index(layout) + i) % 4], low, high)
                      for i in range(n_arrays)]
            return tuple(arrays) + tuple(scalars), {}

        out.append(Sample(_label(name, shape, layout), seeded(build, seed)))
    base = 0.5 if low is None else (low + high) / 2
    out += [
        Sample(_label(name, "zero-size"), lambda: (tuple(np.zeros((0, 3), dtype) for _ in range(n_arrays))
                                                   + tuple(scalars), {})),
        Sample(_label(name, "0-d"), lambda: (tuple(np.array(base, dtype) for _ in range(n_arrays))
                                             + tuple(scalars), {})),
        Sample(_label(name, "out"), seeded(lambda rng: (
            tuple(layout_array(rng, (5, 9), dtype, "C", low, high) for _ in range(n_arrays)) + tuple(scalars),
            {"out": np.empty((5, 18), dtype)[:, ::2]}), 7)),
    ]
    return out


def map_errors(n_arrays, scalars=()):
    cases = [
        ErrorCase("complex", (np.ones(3, complex),) + tuple(np.ones(3) for _ in range(n_arrays - 1)) + scalars,
                  {}, TypeError),
        ErrorCase("out shape", tuple(np.ones(3) for _ in range(n_arrays)) + scalars, {"out": np.empty(4)}, ValueError),
    ]
    if n_arrays == 2:
        cases.append(ErrorCase("shapes", (np.ones((2, 3)), np.ones((3, 2))) + scalars, {}, ValueError))
    return cases


def broadcast_map_samples(name, dtype):
    """add's samples (every broadcast pattern) for another two-operand map."""
    return [Sample(s.label.replace("add[", f"{name}[", 1), s.make) for s in add_samples(dtype)]


def dropout_samples(dtype):
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout, seed=seed):
            return (layout_array(rng, shape, dtype, layout), [0.0, 0.2, 0.5, 0.9][seed % 4],
                    np.array([seed * 7919, seed], np.uint64)), {}

        out.append(Sample(_label("dropout", shape, layout), seeded(build, seed)))
    out += [
        Sample("dropout[zero-size]", lambda: ((np.zeros((0, 3), dtype), 0.5, np.array([1, 0], np.uint64)), {})),
        Sample("dropout[0-d]", lambda: ((np.array(2.0, dtype), 0.5, np.array([3, 4], np.uint64)), {})),
        Sample("dropout[rate 0]", seeded(lambda rng: ((layout_array(rng, (5, 9), dtype), 0.0,
                                                       np.array([5, 6], np.uint64)), {}), 8)),
    ]
    return out


def dropout_errors():
    state = np.zeros(2, np.uint64)
    return [
        ErrorCase("rate 1", (np.ones(3), 1.0, state), {}, ValueError),
        ErrorCase("negative rate", (np.ones(3), -0.1, state), {}, ValueError),
        ErrorCase("state dtype", (np.ones(3), 0.5, np.zeros(2, np.int64)), {}, TypeError),
        ErrorCase("state shape", (np.ones(3), 0.5, np.zeros(3, np.uint64)), {}, TypeError),
        ErrorCase("complex", (np.ones(3, complex), 0.5, state), {}, TypeError),
    ]


def shape_mismatch_errors(name):
    return [
        ErrorCase("shapes", (np.ones((2, 3)), np.ones((3, 2))), {}, ValueError),
        ErrorCase("complex", (np.ones(3, complex), np.ones(3)), {}, TypeError),
        ErrorCase("object", (np.array([1, None], dtype=object), np.ones(2)), {}, TypeError),
        ErrorCase("out shape", (np.ones(3), np.ones(3)), {"out": np.empty(4)}, ValueError),
    ]


def relu_errors():
    return [
        ErrorCase("complex", (np.ones(3, complex),), {}, TypeError),
        ErrorCase("string", (np.array(["x"]),), {}, TypeError),
        ErrorCase("out shape", (np.ones((2, 3)),), {"out": np.empty((3, 2))}, ValueError),
        ErrorCase("out dtype", (np.ones(3),), {"out": np.empty(3, np.float32)}, TypeError),
    ]


def large_elementwise(name, n_arrays, dtype):
    def build(rng):
        return tuple(layout_array(rng, (384, 700), dtype) for _ in range(n_arrays)), {}

    return Sample(_label(name, "large"), seeded(build, 99))


# ---- softmax family ---------------------------------------------------------

def row_shapes():
    for n in SIZES:
        yield (3, n), LAYOUTS[n % 4]
        yield (n,), "C"
    for layout in LAYOUTS:
        yield (2, 3, 11), layout
        yield (128, 784), layout
    yield (128, 10), "C"
    yield (128, 512), "C"


def softmax_samples(dtype, grad=False):
    name = "softmax_grad" if grad else "softmax"
    out = []
    for seed, (shape, layout) in enumerate(row_shapes()):
        def build(rng, shape=shape, layout=layout):
            x = layout_array(rng, shape, dtype, layout) * 3
            if not grad:
                return (x,), {}
            y = fastnn.reference.softmax(layout_array(rng, shape, dtype, "C"))
            return (x, y), {}

        out.append(Sample(_label(name, shape, layout), seeded(build, seed), shape[-1]))
    n = 2 if grad else 1
    if grad:
        out.append(Sample(_label(name, "0-d"), lambda: ((np.array(0.7, dtype), np.array(0.4, dtype)), {})))
    out += [
        Sample(_label(name, "zero rows"), lambda: (tuple(np.zeros((0, 4), dtype) for _ in range(n)), {})),
        Sample(_label(name, "zero columns"), lambda: (tuple(np.zeros((4, 0), dtype) for _ in range(n)), {})),
        Sample(_label(name, "out"), seeded(lambda rng: (tuple(layout_array(rng, (6, 9), dtype) for _ in range(n)),
                                                        {"out": np.empty((6, 9), dtype)}), 5), 9),
        Sample(_label(name, "strided out"), seeded(lambda rng: (
            tuple(layout_array(rng, (6, 9), dtype) for _ in range(n)), {"out": np.empty((9, 6), dtype).T}), 6), 9),
        Sample(_label(name, "large values"), seeded(lambda rng: (
            tuple(layout_array(rng, (4, 33), dtype, low=-1e4, high=1e4) for _ in range(n)), {}), 8), 33),
    ]
    return out


def softmax_errors():
    return [
        ErrorCase("0-d", (np.array(1.0),), {}, ValueError),
        ErrorCase("object", (np.array([1, None], dtype=object),), {}, TypeError),
        ErrorCase("out shape", (np.ones((2, 3)),), {"out": np.empty((2, 4))}, ValueError),
    ]


def softmax_grad_errors():
    return shape_mismatch_errors("softmax_grad")


def xent_samples(dtype, grad=False):
    name = "softmax_cross_entropy_grad" if grad else "softmax_cross_entropy"
    out = []
    shapes = [((n, 10), LAYOUTS[n % 4]) for n in SIZES] + [((3, n), LAYOUTS[n % 4]) for n in SIZES]
    shapes += [((128, 10), "C"), ((128, 784), "reversed"), ((128, 512), "strided")]
    seed = 0
    for (n, k), layout in shapes:
        for target_kind in ("classes", "onehot", "probabilities"):
            seed += 1

            def build(rng, n=n, k=k, layout=layout, target_kind=target_kind):
                x = layout_array(rng, (n, k), dtype, layout) * 4
                if grad:
                    x = np.abs(x) / np.abs(x).sum(axis=1, keepdims=True)
                classes = rng.integers(0, k, n)
                if target_kind == "classes":
                    target = classes
                elif target_kind == "onehot":
                    target = np.eye(k, dtype=dtype)[classes]
                else:
                    target = fastnn.reference.softmax(layout_array(rng, (n, k), dtype, "F"))
                kwargs = {"scale": 1.0 / n} if grad else {}
                return (x, target), kwargs

            out.append(Sample(_label(name, (n, k), layout, target_kind), seeded(build, seed), k))
    out += [
        Sample(_label(name, "zero rows"), lambda: ((np.zeros((0, 5), dtype), np.zeros(0, np.int64)), {})),
        Sample(_label(name, "zero classes"), lambda: ((np.zeros((3, 0), dtype), np.zeros((3, 0), dtype)), {})),
        Sample(_label(name, "int32 classes"), seeded(lambda rng: (
            (layout_array(rng, (7, 4), dtype), np.array([0, 1, 2, 3, 3, 2, 1], np.int32)), {}), 3), 4),
        Sample(_label(name, "large logits"), seeded(lambda rng: (
            (layout_array(rng, (5, 40), dtype, low=-1e4, high=1e4), np.arange(5) * 7), {}), 4), 40),
    ]
    return out


def xent_errors(name):
    logits = np.zeros((4, 3))
    return [
        ErrorCase("1-D logits", (np.zeros(3), np.zeros(3, np.int64)), {}, ValueError),
        ErrorCase("float classes", (logits, np.zeros(4)), {}, TypeError),
        ErrorCase("class too large", (logits, np.array([0, 1, 3, 2])), {}, ValueError),
        ErrorCase("negative class", (logits, np.array([0, -1, 2, 2])), {}, ValueError),
        ErrorCase("classes length", (logits, np.array([0, 1, 2])), {}, ValueError),
        ErrorCase("target shape", (logits, np.zeros((4, 2))), {}, ValueError),
        ErrorCase("complex logits", (np.zeros((4, 3), complex), np.zeros(4, np.int64)), {}, TypeError),
    ]


def large_xent(dtype, grad=False):
    def build(rng):
        x = layout_array(rng, (512, 300), dtype)
        if grad:
            x = np.abs(x)
        kwargs = {"scale": 0.5} if grad else {}
        return (x, rng.integers(0, 300, 512)), kwargs

    return Sample("xent[large]", seeded(build, 11), 300)


# ---- optimizers -------------------------------------------------------------

OPTIMIZERS = {
    # name: (number of state arrays, [hyperparameter sets]); the last set is also used with the
    # optional states left out, for the large sample and for the error cases
    "sgd_step": (1, [dict(learning_rate=0.01), dict(learning_rate=0.05, momentum=0.9),
                     dict(learning_rate=0.05, momentum=0.9, clipvalue=0.3, weight_decay=0.1),
                     dict(learning_rate=0.05, clipnorm=0.5, weight_decay=0.004),
                     dict(learning_rate=0.05, momentum=0.9, nesterov=True)]),
    "rmsprop_step": (3, [dict(learning_rate=0.001, rho=0.9, epsilon=1e-7),
                         dict(learning_rate=0.01, rho=0.8, epsilon=1e-3, centered=True),
                         dict(learning_rate=0.01, rho=0.8, momentum=0.5, epsilon=1e-3, centered=True,
                              global_clipnorm=0.8),
                         dict(learning_rate=0.01, rho=0.8, momentum=0.5, epsilon=1e-6)]),
    "adagrad_step": (1, [dict(learning_rate=0.01, epsilon=1e-7, clipvalue=0.25, weight_decay=0.01),
                         dict(learning_rate=0.01, epsilon=1e-7)]),
    "adam_step": (3, [dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1),
                      dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=3, amsgrad=True),
                      dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, step=5, amsgrad=True,
                           weight_decay=0.004, global_clipnorm=2.0),
                      dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, step=7)]),
    "nadam_step": (2, [dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=1, u_product=1.0),
                       dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, step=4, u_product=0.35,
                            clipvalue=0.5, weight_decay=0.01),
                       dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6, step=7, u_product=0.05)]),
}


def optimizer_arrays(rng, name, shape, dtype, layout):
    n_states = OPTIMIZERS[name][0]
    param = layout_array(rng, shape, dtype, layout)
    grad = layout_array(rng, shape, dtype, LAYOUTS[(LAYOUTS.index(layout) + 1) % 4])
    states = [layout_array(rng, shape, dtype, layout, low=0.0, high=1.0) for _ in range(n_states)]
    if name == "sgd_step":
        states[0] -= 0.5  # a velocity has either sign
    if name == "rmsprop_step":  # an average gradient of either sign, below the root mean square
        states[2] -= 0.5
        states[0] += states[2] * states[2] + 0.1
    return [param, grad] + states


def optimizer_samples(name, dtype):
    out = []
    hypers = OPTIMIZERS[name][1]
    seed = 0
    shapes = [((n,), "C") for n in SIZES] + [((3, n), LAYOUTS[n % 4]) for n in (5, 31, 101)]
    shapes += [((128, 784), "C"), ((128, 784), "strided"), ((512,), "reversed"), ((0, 4), "C"), ((), "C")]
    for shape, layout in shapes:
        for kwargs in hypers:
            seed += 1

            def build(rng, shape=shape, layout=layout, kwargs=kwargs):
                return tuple(optimizer_arrays(rng, name, shape, dtype, layout)), dict(kwargs)

            out.append(Sample(_label(name, shape, layout, kwargs), seeded(build, seed)))
    if name in OPTIONAL_STATES:
        def without_state(rng):
            arrays = optimizer_arrays(rng, name, (40,), dtype, "C")
            for i in range(len(arrays) - OPTIONAL_STATES[name], len(arrays)):
                arrays[i] = None  # no velocity / momentum buffer / average gradient / v_max
            return tuple(arrays), dict(hypers[-1])

        out.append(Sample(_label(name, "no optional state"), seeded(without_state, 77)))

    def float16_grad(rng):
        arrays = optimizer_arrays(rng, name, (33,), dtype, "C")
        arrays[1] = arrays[1].astype(np.float16)
        return tuple(arrays), dict(hypers[-1])

    out.append(Sample(_label(name, "float16 grad"), seeded(float16_grad, 78)))
    out += clipped_samples(name, dtype)
    return out


OPTIONAL_STATES = {"sgd_step": 1, "rmsprop_step": 2, "adam_step": 1}


def clipped_samples(name, dtype):
    """Gradients clipped by norm per segment (clipping most segments, leaving small ones) and
    globally, on buffers holding several variables end to end, up to one that spans threads."""
    clipping = ("clipvalue", "clipnorm", "global_clipnorm")
    hyper = {k: v for k, v in OPTIMIZERS[name][1][0].items() if k not in clipping}
    out = []
    cases = [((97,), "C", [40, 0, 50, 7], dict(clipnorm=1.0)),
             ((3, 101), "strided", [1, 101, 200, 1], dict(clipnorm=2.5)),
             ((128, 784), "C", [100_000, 252, 100], dict(clipnorm=50.0, weight_decay=0.01)),
             ((128, 784), "reversed", None, dict(global_clipnorm=3.0)),
             ((407_050,), "C", [401_408, 512, 5_120, 10], dict(clipnorm=100.0)),
             ((407_050,), "C", [401_408, 512, 5_120, 10], dict(global_clipnorm=100.0))]
    for seed, (shape, layout, segments, options) in enumerate(cases, 90):
        kwargs = {**hyper, **options, "segments": segments}

        def build(rng, shape=shape, layout=layout, kwargs=kwargs):
            return tuple(optimizer_arrays(rng, name, shape, dtype, layout)), dict(kwargs)

        out.append(Sample(_label(name, shape, layout, "segments", *options), seeded(build, seed)))
    return out


def optimizer_errors(name):
    hyper = dict(OPTIMIZERS[name][1][-1])
    n_states = OPTIMIZERS[name][0]

    def case(label, param, grad, exc, states=None, same_message=True, **over):
        states = states if states is not None else [np.zeros(3) for _ in range(n_states)]
        return ErrorCase(label, (param, grad, *states), {**hyper, **over}, exc, same_message)

    ro = np.zeros(3)
    ro.flags.writeable = False
    cases = [
        case("param list", [0.0, 0.0, 0.0], np.zeros(3), TypeError),
        case("param int", np.zeros(3, np.int64), np.zeros(3), TypeError),
        case("param read-only", ro, np.zeros(3), ValueError),
        case("grad shape", np.zeros(3), np.zeros(4), ValueError),
        case("grad list", np.zeros(3), [0.0, 0.0, 0.0], TypeError),
        case("state shape", np.zeros(3), np.zeros(3), ValueError, states=[np.zeros(2)] * n_states),
    ]
    if name in ("adam_step", "nadam_step"):
        cases.append(case("step 0", np.zeros(3), np.zeros(3), ValueError, step=0))
    shared, buffer = np.zeros(3), np.zeros(5)
    cases += [
        case("param is a state", shared, np.zeros(3), ValueError, states=[shared] + [np.zeros(3)] * (n_states - 1)),
        case("grad is a state", np.zeros(3), shared, ValueError, states=[np.zeros(3)] * (n_states - 1) + [shared]),
        case("overlapping state and param", buffer[:3], np.zeros(3), ValueError,
             states=[buffer[2:]] + [np.zeros(3) for _ in range(n_states - 1)]),
        case("negative clipnorm", np.zeros(3), np.zeros(3), ValueError, clipnorm=-1.0),
        case("two clipping options", np.zeros(3), np.zeros(3), ValueError, clipnorm=1.0, clipvalue=1.0),
        case("negative weight_decay", np.zeros(3), np.zeros(3), ValueError, weight_decay=-0.1),
        case("segments too short", np.zeros(3), np.zeros(3), ValueError, segments=[1, 1]),
        case("negative segment", np.zeros(3), np.zeros(3), ValueError, segments=[4, -1]),
    ]
    if n_states >= 2:
        cases.append(case("m is v", np.zeros(3), np.zeros(3), ValueError, states=[shared, shared] +
                          [np.zeros(3)] * (n_states - 2)))
    if name != "sgd_step":
        cases.append(case("required state missing", np.zeros(3), np.zeros(3), TypeError,
                          states=[None] * n_states, same_message=False))
    return cases


def large_optimizer(name, dtype):
    def build(rng):
        return tuple(optimizer_arrays(rng, name, (407_050,), dtype, "C")), dict(OPTIMIZERS[name][1][-1])

    return Sample(_label(name, "large"), seeded(build, 12))


# ---- gather -----------------------------------------------------------------

def gather_samples(dtype):
    out = []
    seed = 0
    sources = [np.uint8, np.float32, np.float64, np.int16, bool]
    for src in sources:
        for n_rows, inner, layout in [(5, (3,), "C"), (60, (28, 28), "C"), (60, (28, 28), "reversed"),
                                      (31, (7, 2), "strided"), (97, (), "C"), (200, (784,), "F")]:
            seed += 1

            def build(rng, src=src, n_rows=n_rows, inner=inner, layout=layout):
                x = with_layout(rng.uniform(0, 255, (n_rows,) + inner).astype(src), layout)
                idx = rng.integers(-n_rows, n_rows, size=min(n_rows, 128))
                return (x, idx), {"dtype": dtype}

            out.append(Sample(_label("gather_rows", np.dtype(src).name, n_rows, inner, layout), seeded(build, seed)))
    out += [
        Sample("gather_rows[no indices]", lambda: ((np.zeros((4, 3), np.uint8), np.zeros(0, np.int64)), {"dtype": dtype})),
        Sample("gather_rows[no rows, no indices]",
               lambda: ((np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)), {"dtype": dtype})),
        Sample("gather_rows[empty rows]", lambda: ((np.zeros((4, 0), np.uint8), np.array([1, 2])), {"dtype": dtype})),
        Sample("gather_rows[uint32 indices, out]", seeded(lambda rng: (
            (rng.integers(0, 255, (9, 4, 4)).astype(np.uint8), np.array([8, 0, 3], np.uint32)),
            {"dtype": dtype, "out": np.empty((3, 32), dtype)[:, ::2]}), 9)),
        Sample("gather_rows[strided indices]", seeded(lambda rng: (
            (rng.standard_normal((20, 3)), (np.arange(40) % 20)[::-3]), {"dtype": dtype}), 10)),
        Sample("gather_rows[1-D x]", lambda: ((np.arange(6, dtype=np.float32), np.array([5, -1, 0])), {"dtype": dtype})),
    ]
    return out


def gather_errors():
    x = np.zeros((4, 3), np.uint8)
    return [
        ErrorCase("object x", (np.array([[None]], dtype=object), np.array([0])), {}, TypeError),
        ErrorCase("0-d x", (np.array(1.0), np.array([0])), {}, ValueError),
        ErrorCase("float indices", (x, np.array([0.0])), {}, TypeError),
        ErrorCase("2-D indices", (x, np.zeros((1, 1), np.int64)), {}, TypeError),
        ErrorCase("index too large", (x, np.array([0, 4])), {}, IndexError),
        ErrorCase("index too small", (x, np.array([-5])), {}, IndexError),
        ErrorCase("out shape", (x, np.array([0])), {"out": np.empty((2, 3), np.float32)}, ValueError),
        ErrorCase("out dtype", (x, np.array([0])), {"out": np.empty((1, 3), np.float64)}, TypeError),
    ]


def large_gather(dtype):
    def build(rng):
        x = rng.integers(0, 255, (6000, 784)).astype(np.uint8)
        return (x, rng.permutation(6000)[:512]), {"dtype": dtype}

    return Sample("gather_rows[large]", seeded(build, 13))


# ---- matmul -------------------------------------------------------------------

MATMUL_SHAPES = [(m, 7, 5) for m in SIZES] + [(6, n, 9) for n in SIZES] + [(5, 6, k) for k in SIZES] + [
    (128, 784, 512), (128, 512, 10), (97, 101, 33), (0, 4, 3), (3, 0, 4), (3, 4, 0)]


def matmul_samples(dtype):
    out = []
    for seed, (m, n, k) in enumerate(MATMUL_SHAPES):
        trans_a, trans_b = seed % 2 == 1, seed % 3 == 1
        layout = LAYOUTS[seed % 4]
        epilogue = [{}, {"activation": "relu"}, {"bias": True}, {"bias": True, "activation": "relu"}][seed % 4]

        def build(rng, m=m, n=n, k=k, trans_a=trans_a, trans_b=trans_b, layout=layout, epilogue=epilogue):
            a = layout_array(rng, (k, m) if trans_a else (m, k), dtype, layout)
            b = layout_array(rng, (n, k) if trans_b else (k, n), dtype, LAYOUTS[(LAYOUTS.index(layout) + 1) % 4])
            kwargs = {"trans_a": trans_a, "trans_b": trans_b, **epilogue}
            if kwargs.pop("bias", False):
                kwargs["bias"] = layout_array(rng, (n,), dtype)
            return (a, b), kwargs

        label = _label("matmul", (m, n, k), layout, f"trans_a={trans_a}", f"trans_b={trans_b}", *epilogue)
        out.append(Sample(label, seeded(build, 20_000 + seed), reduction=k))
    out.append(Sample("matmul[relu_mask, out]", seeded(lambda rng: (
        (layout_array(rng, (31, 17), dtype), layout_array(rng, (17, 29), dtype)),
        {"relu_mask": layout_array(rng, (31, 29), dtype), "out": np.empty((31, 29), dtype)}), 20_999), reduction=17))
    return out


def matmul_errors():
    return [
        ErrorCase("inner dims", (np.ones((3, 4)), np.ones((5, 6))), {}, ValueError),
        ErrorCase("1-D", (np.ones(3), np.ones((3, 2))), {}, ValueError),
        ErrorCase("3-D", (np.ones((2, 3, 4)), np.ones((4, 2))), {}, ValueError),
        ErrorCase("complex", (np.ones((2, 2), complex), np.ones((2, 2))), {}, TypeError),
        ErrorCase("object", (np.array([[None]], dtype=object), np.ones((1, 1))), {}, TypeError),
        ErrorCase("bias shape", (np.ones((2, 3)), np.ones((3, 4))), {"bias": np.ones(3)}, ValueError),
        ErrorCase("activation", (np.ones((2, 3)), np.ones((3, 4))), {"activation": "tanh"}, ValueError),
    ]


def large_matmul(dtype):
    def build(rng):
        return (layout_array(rng, (128, 784), dtype), layout_array(rng, (784, 512), dtype)), {"bias": layout_array(rng, (512,), dtype), "activation": "relu"}

    return Sample("matmul[large]", seeded(build, 15), reduction=784)


# (n_arrays, scalars, low, high) of each map, and its tolerance in ulps
MAPS = [
    ("copy", (1, ()), 1.0),
    ("tanh", (1, ()), 8.0),
    ("sigmoid", (1, ()), 8.0),
    ("exp", (1, ()), 8.0),
    ("log", (1, (), 0.05, 4.0), 8.0),
    ("power", (1, (2.0,)), 8.0),
    ("clip", (1, (-0.5, 0.75)), 1.0),
    ("divide", (2, (), 0.5, 2.0), 8.0),
    ("tanh_grad", (2, ()), 8.0),
    ("sigmoid_grad", (2, ()), 8.0),
    ("power_grad", (2, (2.5,), 0.05, 4.0), 8.0),
    ("clip_grad", (2, (-0.5, 0.75)), 1.0),
    ("elu", (1, (1.3,)), 4.0),
    ("elu_grad", (2, (1.3,)), 4.0),
    ("selu", (1, ()), 4.0),
    ("selu_grad", (2, ()), 4.0),
    ("leaky_relu", (1, (0.3,)), 1.0),
    ("leaky_relu_grad", (2, (0.3,)), 1.0),
    ("softplus", (1, (), -20.0, 20.0), 4.0),
    ("softplus_grad", (2, (), -20.0, 20.0), 4.0),
    ("softsign", (1, ()), 4.0),
    ("softsign_grad", (2, ()), 4.0),
    ("gelu", (1, (), -8.0, 8.0), 4.0),
    ("gelu_grad", (2, (), -8.0, 8.0), 4.0),
    ("gelu_approximate", (1, (), -8.0, 8.0), 4.0),
    ("gelu_approximate_grad", (2, (), -8.0, 8.0), 4.0),
    ("silu", (1, (), -20.0, 20.0), 4.0),
    ("silu_grad", (2, (), -20.0, 20.0), 4.0),
    ("hard_sigmoid", (1, (), -4.0, 4.0), 1.0),
    ("hard_sigmoid_grad", (2, (), -4.0, 4.0), 1.0),
]

# ---- convolution and pooling ---------------------------------------------------------

# (x shape, window (KH, KW), filters, strides, padding, dilation_rate): every size of SIZES along
# height, width, channels and filters, the book's three layers, strides, dilation, both paddings.
WINDOW_CASES = (
    [((2, n, 5, 2), (3, 3), 3, (1, 1), "same", (1, 1)) for n in SIZES]
    + [((1, 6, n, 3), (2, 3), 2, (1, 2), "same" if n < 3 else "valid", (1, 1)) for n in SIZES]
    + [((2, 5, 4, n), (3, 2), 4, (1, 1), "valid", (1, 1)) for n in SIZES]
    + [((1, 4, 5, 3), (1, 3), n, (2, 1), "same", (1, 1)) for n in SIZES]
    + [((3, 28, 28, 1), (3, 3), 32, (1, 1), "valid", (1, 1)), ((2, 13, 13, 32), (3, 3), 64, (1, 1), "valid", (1, 1)),
       ((2, 5, 5, 64), (3, 3), 64, (1, 1), "valid", (1, 1)), ((1, 9, 11, 3), (3, 3), 5, (2, 3), "same", (2, 1)),
       ((2, 12, 10, 2), (2, 3), 3, (3, 2), "valid", (2, 3)), ((1, 7, 7, 5), (1, 1), 6, (1, 1), "valid", (1, 1)),
       ((2, 6, 6, 4), (1, 1), 3, (2, 2), "same", (1, 1)), ((1, 1, 1, 3), (1, 1), 2, (1, 1), "valid", (1, 1)),
       ((1, 1, 1, 3), (3, 3), 2, (1, 1), "same", (1, 1)), ((1, 4, 4, 2), (4, 4), 3, (1, 1), "valid", (1, 1)),
       ((0, 5, 5, 2), (3, 3), 3, (1, 1), "valid", (1, 1)), ((0, 5, 5, 2), (2, 2), 3, (2, 2), "same", (1, 1))]
)


def _window_geometry(x_shape, window, filters, strides, padding, dilation):
    from fastnn import _windows

    kernel_shape = tuple(window) + (x_shape[3], filters)
    return _windows.conv_args("records", x_shape, kernel_shape, strides, padding, dilation)


def _conv_kwargs(strides, padding, dilation):
    return {"strides": strides, "padding": padding, "dilation_rate": dilation}


def conv_samples(name, dtype):
    """Samples for conv2d, conv2d_input_grad and conv2d_kernel_grad over WINDOW_CASES."""
    out = []
    for seed, (x_shape, window, filters, strides, padding, dilation) in enumerate(WINDOW_CASES):
        layout = LAYOUTS[seed % 4]
        geom = _window_geometry(x_shape, window, filters, strides, padding, dilation)
        y_shape = (geom[0], geom[7], geom[8], filters)
        kernel_shape = tuple(window) + (x_shape[3], filters)

        def build(rng, x_shape=x_shape, kernel_shape=kernel_shape, y_shape=y_shape, layout=layout, seed=seed,
                  kwargs=_conv_kwargs(strides, padding, dilation)):
            kwargs = dict(kwargs)
            if name == "conv2d":
                x = layout_array(rng, x_shape, dtype, layout)
                kernel = layout_array(rng, kernel_shape, dtype, LAYOUTS[(seed + 1) % 4])
                if seed % 3 == 0:
                    x = np.maximum(x, 0)  # zeros, as after a relu
                if seed % 2 == 0:
                    kwargs["activation"] = "relu"
                if seed % 4 != 3:
                    return (x, kernel, layout_array(rng, kernel_shape[3:], dtype)), kwargs
                return (x, kernel), kwargs
            dy = layout_array(rng, y_shape, dtype, layout)
            if name == "conv2d_input_grad":
                return (dy, layout_array(rng, kernel_shape, dtype, LAYOUTS[(seed + 1) % 4]), x_shape), kwargs
            return (layout_array(rng, x_shape, dtype, LAYOUTS[(seed + 1) % 4]), dy, kernel_shape[:2]), kwargs

        if name == "conv2d":
            reduction = window[0] * window[1] * x_shape[3]
        elif name == "conv2d_input_grad":
            reduction = window[0] * window[1] * filters
        else:
            reduction = y_shape[0] * y_shape[1] * y_shape[2]
        label = _label(name, x_shape, window, filters, strides, padding, dilation, layout)
        out.append(Sample(label, seeded(build, 30_000 + seed), reduction))
    if name == "conv2d":
        out += [
            Sample(_label(name, "int inputs"), lambda: ((np.arange(50).reshape(1, 5, 5, 2), np.ones((2, 2, 2, 1))), {}), 8),
            Sample(_label(name, "int strides, out"), seeded(lambda rng: (
                (layout_array(rng, (2, 7, 7, 3), dtype), layout_array(rng, (3, 3, 3, 4), dtype)),
                {"strides": 2, "padding": "SAME", "out": np.empty((2, 4, 4, 8), dtype)[..., ::2]}), 31_000), 27),
        ]
    return out


def conv_errors(name):
    x, kernel, dy = np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 4)), np.ones((1, 3, 3, 4))
    if name == "conv2d":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, kernel), kwargs, exc)
    elif name == "conv2d_input_grad":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (dy, kernel, np.shape(x)), kwargs, exc)
    else:
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, dy, np.shape(kernel)[:2]), kwargs, exc)
    cases = [
        case("3-D images", ValueError, x=np.ones((5, 5, 2))),
        case("kernel larger than image", ValueError, x=np.ones((1, 2, 5, 2))),
        case("padding full", ValueError, padding="full"),
        case("zero stride", ValueError, strides=(0, 1)),
        case("three strides", ValueError, strides=(1, 1, 1)),
        case("negative dilation", ValueError, dilation_rate=-1),
        case("dilated kernel larger than image", ValueError, dilation_rate=3),
    ]
    if name == "conv2d":
        cases += [
            case("channels", ValueError, x=np.ones((1, 5, 5, 3))),
            case("channels first", ValueError, x=np.ones((1, 2, 5, 5))),
            case("3-D kernel", ValueError, kernel=np.ones((3, 3, 2))),
            case("complex", TypeError, x=np.ones((1, 5, 5, 2), complex)),
            ErrorCase("bias shape", (x, kernel, np.ones(3)), {}, ValueError),
            ErrorCase("activation", (x, kernel), {"activation": "tanh"}, ValueError),
            ErrorCase("out shape", (x, kernel), {"out": np.empty((1, 3, 3, 5))}, ValueError),
        ]
    elif name == "conv2d_input_grad":
        cases += [
            ErrorCase("dy shape", (np.ones((1, 4, 3, 4)), kernel, (1, 5, 5, 2)), {}, ValueError),
            ErrorCase("input_shape", (dy, kernel, (5, 5, 2)), {}, ValueError),
            ErrorCase("negative input_shape", (dy, kernel, (1, -5, 5, 2)), {}, ValueError),
        ]
    else:
        cases += [
            ErrorCase("dy shape", (x, np.ones((1, 3, 2, 4))), {"kernel_size": 3}, ValueError),
            ErrorCase("kernel_size", (x, dy, (3, 0)), {}, ValueError),
            ErrorCase("3-D dy", (x, np.ones((3, 3, 4)), 3), {}, ValueError),
        ]
    return cases


def large_conv(name, dtype):
    def build(rng):
        x = np.maximum(layout_array(rng, (16, 13, 13, 32), dtype), 0)
        kernel = layout_array(rng, (3, 3, 32, 64), dtype)
        dy = layout_array(rng, (16, 11, 11, 64), dtype)
        if name == "conv2d":
            return (x, kernel, layout_array(rng, (64,), dtype)), {"activation": "relu"}
        if name == "conv2d_input_grad":
            return (dy, kernel, x.shape), {}
        return (x, dy, (3, 3)), {}

    reduction = {"conv2d": 288, "conv2d_input_grad": 576, "conv2d_kernel_grad": 16 * 121}[name]
    return Sample(_label(name, "large"), seeded(build, 32_000), reduction)


def pool_samples(name, dtype):
    """Samples for the pooling kernels and their gradients over WINDOW_CASES' image shapes."""
    out = []
    for seed, (x_shape, window, _, strides, padding, _) in enumerate(WINDOW_CASES):
        layout = LAYOUTS[seed % 4]
        if seed % 5 == 4:
            strides = None  # Keras's default: the pool size
        geom = _window_geometry(x_shape, window, x_shape[3], strides or window, padding, (1, 1))
        y_shape = (geom[0], geom[7], geom[8], x_shape[3])

        def build(rng, x_shape=x_shape, y_shape=y_shape, layout=layout, seed=seed,
                  kwargs={"pool_size": window, "strides": strides, "padding": padding}):
            if seed % 3 == 0:  # small integers: ties in most windows
                x = with_layout(rng.integers(-2, 3, x_shape).astype(dtype), layout)
            else:
                x = layout_array(rng, x_shape, dtype, layout)
            dy = layout_array(rng, y_shape, dtype, LAYOUTS[(seed + 1) % 4])
            if name in ("max_pool2d", "avg_pool2d"):
                return (x,), dict(kwargs)
            if name == "max_pool2d_grad":
                return (x, dy), dict(kwargs)
            return (dy, x_shape), dict(kwargs)

        label = _label(name, x_shape, window, strides, padding, layout)
        out.append(Sample(label, seeded(build, 33_000 + seed), window[0] * window[1]))
    if name == "max_pool2d":
        out += [
            Sample(_label(name, "NaN"), lambda: ((np.array([1, np.nan, 3, 2, np.nan, np.nan, 0, -1], dtype)
                                                  .reshape(1, 2, 4, 1),), {}), 4),
            Sample(_label(name, "infinities"), lambda: ((np.array([-np.inf, -np.inf, 3, np.inf], dtype)
                                                         .reshape(1, 2, 2, 1),), {"pool_size": 2}), 4),
        ]
    if name == "max_pool2d_grad":
        out.append(Sample(_label(name, "all tied, overlapping"), lambda: (
            (np.zeros((2, 5, 5, 3), dtype), np.ones((2, 4, 4, 3), dtype)), {"pool_size": 2, "strides": 1}), 4))
    if name in ("max_pool2d", "avg_pool2d"):
        out.append(Sample(_label(name, "out"), seeded(lambda rng: (
            (layout_array(rng, (2, 6, 6, 3), dtype),), {"out": np.empty((2, 3, 3, 6), dtype)[..., ::2]}), 34_000), 4))
    return out


def pool_errors(name):
    x, dy = np.ones((1, 4, 4, 2)), np.ones((1, 2, 2, 2))
    if name in ("max_pool2d", "avg_pool2d"):
        def case(label, exc, x=x, **kwargs):
            return ErrorCase(label, (x,), kwargs, exc)
    elif name == "max_pool2d_grad":
        def case(label, exc, x=x, **kwargs):
            return ErrorCase(label, (x, dy), kwargs, exc)
    else:
        def case(label, exc, x=x, **kwargs):
            return ErrorCase(label, (dy, np.shape(x)), kwargs, exc)
    cases = [
        case("3-D images", ValueError, x=np.ones((4, 4, 2))),
        case("pool larger than image", ValueError, x=np.ones((1, 1, 4, 2))),
        case("padding full", ValueError, padding="full"),
        case("zero pool size", ValueError, pool_size=(0, 2)),
        case("negative stride", ValueError, strides=-2),
        case("float pool size", ValueError, pool_size=2.0),
    ]
    if name != "avg_pool2d_grad":
        cases.append(case("complex", TypeError, x=np.ones((1, 4, 4, 2), complex)))
    if name.endswith("grad"):
        cases.append(case("dy for other strides", ValueError, strides=1))
    return cases


def large_pool(name, dtype):
    def build(rng):
        x = layout_array(rng, (32, 26, 26, 32), dtype)
        dy = layout_array(rng, (32, 13, 13, 32), dtype)
        if name in ("max_pool2d", "avg_pool2d"):
            return (x,), {}
        if name == "max_pool2d_grad":
            return (x, dy), {}
        return (dy, x.shape), {}

    return Sample(_label(name, "large"), seeded(build, 35_000), 4)


CONV_KERNELS = ("conv2d", "conv2d_input_grad", "conv2d_kernel_grad")
POOL_KERNELS = ("max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad")


# ---- the records --------------------------------------------------------------

RECORDS = [
    KernelRecord("matmul", matmul_samples, large_matmul, matmul_errors),
    KernelRecord("add", add_samples, lambda d: large_elementwise("add", 2, d), add_errors),
    KernelRecord("sum_to_shape", sum_to_shape_samples,
                 lambda d: Sample("sum_to_shape[large]", seeded(lambda rng: (
                     (layout_array(rng, (300, 1000), d), (1000,)), {}), 14), 300),
                 sum_to_shape_errors),
    KernelRecord("relu", lambda d: unary_samples("relu", d), lambda d: large_elementwise("relu", 1, d), relu_errors),
    KernelRecord("relu_grad", lambda d: unary_samples("relu_grad", d, extra_args=1),
                 lambda d: large_elementwise("relu_grad", 2, d), lambda: shape_mismatch_errors("relu_grad")),
    KernelRecord("softmax", softmax_samples, lambda d: large_elementwise("softmax", 1, d), softmax_errors),
    KernelRecord("softmax_grad", lambda d: softmax_samples(d, grad=True),
                 lambda d: large_elementwise("softmax_grad", 2, d), softmax_grad_errors),
    KernelRecord("softmax_cross_entropy", xent_samples, large_xent,
                 lambda: xent_errors("softmax_cross_entropy")),
    KernelRecord("softmax_cross_entropy_grad", lambda d: xent_samples(d, grad=True),
                 lambda d: large_xent(d, grad=True), lambda: xent_errors("softmax_cross_entropy_grad")),
    *[KernelRecord(name, lambda d, name=name: optimizer_samples(name, d),
                   lambda d, name=name: large_optimizer(name, d),
                   lambda name=name: optimizer_errors(name),
                   mutates=tuple(range(0, 2 + OPTIMIZERS[name][0])), ulps=16.0)
      for name in OPTIMIZERS],
    KernelRecord("gather_rows", gather_samples, large_gather, gather_errors),
    *[KernelRecord(name, lambda d, name=name, a=args: map_samples(name, d, *a), lambda d, name=name, a=args: Sample(
          _label(name, "large"), seeded(lambda rng: (tuple(layout_array(rng, (384, 700), d, "C", *a[2:])
                                                           for _ in range(a[0])) + tuple(a[1]), {}), 99)),
                   lambda a=args: map_errors(a[0], tuple(a[1])), ulps=ulps)
      for name, args, ulps in MAPS],
    *[KernelRecord(name, lambda d, name=name: broadcast_map_samples(name, d),
                   lambda d, name=name: large_elementwise(name, 2, d), lambda: map_errors(2))
      for name in ("multiply", "subtract")],
    KernelRecord("dropout", dropout_samples, lambda d: Sample("dropout[large]", seeded(lambda rng: (
        (layout_array(rng, (384, 700), d), 0.4, np.array([12345, 67], np.uint64)), {}), 99)), dropout_errors,
                 mutates=(2,)),

    *[KernelRecord(name, lambda d, name=name: conv_samples(name, d), lambda d, name=name: large_conv(name, d),
                   lambda name=name: conv_errors(name)) for name in CONV_KERNELS],
    *[KernelRecord(name, lambda d, name=name: pool_samples(name, d), lambda d, name=name: large_pool(name, d),
                   lambda name=name: pool_errors(name)) for name in POOL_KERNELS],
]

RECORDS_BY_NAME = {r.name: r for r in RECORDS}
