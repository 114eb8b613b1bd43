"""Checks every compiled kernel against its NumPy oracle: python -m fastnn.selftest.

Prints the build (GEMM micro-kernel, OpenMP, threads) and OK or FAIL per kernel;
exits with status 1 if any kernel fails. Each kernel also runs at one thread and
must give bitwise the same result.
"""
import sys

import numpy as np

from . import kernels, reference
from .threads import get_num_threads, openmp_enabled, set_num_threads

DTYPES = (np.float32, np.float64)


def _elementwise(n_arrays):
    def cases(rng, dtype):
        for shape in [(7,), (33, 101), (128, 512), (5, 0)]:
            yield tuple(rng.standard_normal(shape).astype(dtype) for _ in range(n_arrays)), {}, 1
        x = rng.standard_normal((40, 30)).astype(dtype)
        yield tuple(x[::-1, ::2] for _ in range(n_arrays)), {}, 1
    return cases


def _add(rng, dtype):
    for a_shape, b_shape in [((128, 512), (512,)), ((31, 97), (31, 97)), ((4, 1, 6), (5, 1)), ((), (3,))]:
        yield (rng.standard_normal(a_shape).astype(dtype), rng.standard_normal(b_shape).astype(dtype)), {}, 1


def _sum_to_shape(rng, dtype):
    for shape, target in [((128, 512), (512,)), ((128, 10), (1, 10)), ((6, 7, 8), (7, 1)), ((97,), ())]:
        x = rng.standard_normal(shape).astype(dtype)
        yield (x, target), {}, x.size // max(1, int(np.prod(target)))


def _softmax(rng, dtype):
    for shape in [(128, 10), (3, 101), (2, 4, 17)]:
        yield (rng.standard_normal(shape).astype(dtype) * 5,), {}, shape[-1]


def _softmax_grad(rng, dtype):
    for shape in [(128, 10), (3, 101)]:
        y = reference.softmax(rng.standard_normal(shape).astype(dtype))
        yield (rng.standard_normal(shape).astype(dtype), y), {}, shape[-1]


def _xent(grad):
    def cases(rng, dtype):
        for n, k in [(128, 10), (7, 33)]:
            x = rng.standard_normal((n, k)).astype(dtype)
            if grad:
                x = reference.softmax(x)
            classes = rng.integers(0, k, n)
            kwargs = {"scale": 1.0 / n} if grad else {}
            yield (x, classes), kwargs, k
            yield (x, np.eye(k, dtype=dtype)[classes]), kwargs, k
    return cases


def _optimizer(n_states, hyper):
    def cases(rng, dtype):
        for size in [(1,), (101,), (784, 64)]:
            param = rng.standard_normal(size).astype(dtype)
            grad = rng.standard_normal(size).astype(dtype)
            states = [rng.uniform(0, 1, size).astype(dtype) for _ in range(n_states)]
            yield (param, grad, *states), dict(hyper), 1
    return cases


def _gather_rows(rng, dtype):
    x = rng.integers(0, 256, (300, 28, 28)).astype(np.uint8)
    for src in (np.uint8, np.float32, np.float64):
        yield (x.astype(src), rng.permutation(300)[:128]), {"dtype": dtype}, 1


def _matmul(rng, dtype):
    for m, n, k in [(128, 512, 784), (17, 10, 31), (1, 1, 1)]:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        yield (a, b), {}, k
        yield (a.T.copy(), b), {"trans_a": True, "bias": rng.standard_normal(n).astype(dtype),
                                "activation": "relu"}, k
    # mostly zero, as images are: the k steps zero in whole blocks of rows are skipped
    a = rng.standard_normal((128, 784)).astype(dtype)
    a[:, rng.random(784) < 0.5] = 0
    a[rng.random(a.shape) < 0.6] = 0
    b = rng.standard_normal((784, 512)).astype(dtype)
    yield (a, b), {}, 784
    yield (a, rng.standard_normal((128, 512)).astype(dtype)), {"trans_a": True}, 128


def _map(n_arrays, scalars=(), low=None, high=None):
    def cases(rng, dtype):
        for shape in [(7,), (33, 101), (128, 512), (5, 0)]:
            def values():
                v = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
                return v.astype(dtype)
            yield tuple(values() for _ in range(n_arrays)) + tuple(scalars), {}, 1
    return cases


def _dropout(rng, dtype):
    for shape, rate in [(7,), 0.5], [(128, 512), 0.2], [(33, 101), 0.9]:
        yield (rng.standard_normal(shape).astype(dtype), rate, np.array([17, 3], np.uint64)), {}, 1

# The book's convnet: its three convolutions (a small batch) and its pools, plus strides, 'same'
# padding and dilation.
_CONV_LAYERS = [((4, 28, 28, 1), (3, 3, 1, 32), {}), ((4, 13, 13, 32), (3, 3, 32, 64), {}),
                ((4, 5, 5, 64), (3, 3, 64, 64), {}),
                ((2, 9, 10, 3), (3, 2, 3, 5), {"strides": (2, 1), "padding": "same", "dilation_rate": (1, 2)})]


def _conv(name):
    def cases(rng, dtype):
        for x_shape, kernel_shape, kwargs in _CONV_LAYERS:
            x = np.maximum(rng.standard_normal(x_shape), 0).astype(dtype)
            kernel = rng.standard_normal(kernel_shape).astype(dtype)
            y = reference.conv2d(x, kernel, **kwargs)
            dy = rng.standard_normal(y.shape).astype(dtype)
            if name == "conv2d":
                bias = rng.standard_normal(kernel_shape[3]).astype(dtype)
                yield (x, kernel, bias), dict(kwargs, activation="relu"), x.shape[3] * 9
            elif name == "conv2d_input_grad":
                yield (dy, kernel, x.shape), kwargs, kernel_shape[3] * 9
            else:
                yield (x, dy, kernel_shape[:2]), kwargs, y.shape[0] * y.shape[1] * y.shape[2]
    return cases


def _pool(name):
    def cases(rng, dtype):
        for x_shape, kwargs in [((8, 26, 26, 32), {}), ((8, 11, 11, 64), {}),
                                ((3, 7, 9, 5), {"pool_size": 3, "strides": 2, "padding": "same"})]:
            x = rng.integers(-3, 4, x_shape).astype(dtype)  # ties in many windows
            y = reference.max_pool2d(x, **kwargs)
            dy = rng.standard_normal(y.shape).astype(dtype)
            args = {"max_pool2d": (x,), "avg_pool2d": (x,), "max_pool2d_grad": (x, dy),
                    "avg_pool2d_grad": (dy, x.shape)}[name]
            yield args, kwargs, 9
    return cases


# name -> (case generator, positions of arguments updated in place)
CASES = {
    "matmul": (_matmul, ()),
    "add": (_add, ()),
    "sum_to_shape": (_sum_to_shape, ()),
    "relu": (_elementwise(1), ()),
    "relu_grad": (_elementwise(2), ()),
    "softmax": (_softmax, ()),
    "softmax_grad": (_softmax_grad, ()),
    "softmax_cross_entropy": (_xent(False), ()),
    "softmax_cross_entropy_grad": (_xent(True), ()),
    "sgd_step": (_optimizer(1, dict(learning_rate=0.01, momentum=0.9, nesterov=True)), (0, 2)),
    "rmsprop_step": (_optimizer(1, dict(learning_rate=0.001, rho=0.9, epsilon=1e-7)), (0, 2)),
    "adagrad_step": (_optimizer(1, dict(learning_rate=0.01, epsilon=1e-7)), (0, 2)),
    "adam_step": (_optimizer(2, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=3)),
                  (0, 2, 3)),
    "nadam_step": (_optimizer(2, dict(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=3,
                                      u_product=0.8)), (0, 2, 3)),
    "gather_rows": (_gather_rows, ()),
    "copy": (_map(1), ()),
    "tanh": (_map(1), ()),
    "sigmoid": (_map(1), ()),
    "exp": (_map(1), ()),
    "log": (_map(1, (), 0.05, 4.0), ()),
    "power": (_map(1, (3.0,)), ()),
    "clip": (_map(1, (-0.5, 0.5)), ()),
    "multiply": (_map(2), ()),
    "divide": (_map(2, (), 0.5, 2.0), ()),
    "subtract": (_map(2), ()),
    "tanh_grad": (_map(2), ()),
    "sigmoid_grad": (_map(2), ()),
    "power_grad": (_map(2, (2.5,), 0.05, 4.0), ()),
    "clip_grad": (_map(2, (-0.5, 0.5)), ()),
    "elu": (_map(1, (1.0,)), ()),
    "elu_grad": (_map(2, (1.0,)), ()),
    "selu": (_map(1), ()),
    "selu_grad": (_map(2), ()),
    "leaky_relu": (_map(1, (0.2,)), ()),
    "leaky_relu_grad": (_map(2, (0.2,)), ()),
    "softplus": (_map(1, (), -20.0, 20.0), ()),
    "softplus_grad": (_map(2, (), -20.0, 20.0), ()),
    "softsign": (_map(1), ()),
    "softsign_grad": (_map(2), ()),
    "gelu": (_map(1, (), -6.0, 6.0), ()),
    "gelu_grad": (_map(2, (), -6.0, 6.0), ()),
    "gelu_approximate": (_map(1, (), -6.0, 6.0), ()),
    "gelu_approximate_grad": (_map(2, (), -6.0, 6.0), ()),
    "silu": (_map(1, (), -20.0, 20.0), ()),
    "silu_grad": (_map(2, (), -20.0, 20.0), ()),
    "hard_sigmoid": (_map(1, (), -4.0, 4.0), ()),
    "hard_sigmoid_grad": (_map(2, (), -4.0, 4.0), ()),
    "dropout": (_dropout, (2,)),

    **{name: (_conv(name), ()) for name in ("conv2d", "conv2d_input_grad", "conv2d_kernel_grad")},
    **{name: (_pool(name), ()) for name in ("max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad")},
}


def compiled_kernels():
    """Names of the compiled kernels: public callables of fastnn.kernels that have an oracle."""
    return [name for name in dir(kernels)
            if not name.startswith("_") and callable(getattr(kernels, name)) and hasattr(reference, name)]


def _outputs(result, args, mutated):
    arrays = [args[i] for i in mutated]
    if result is None:
        return arrays
    return arrays + (list(result) if isinstance(result, tuple) else [result])


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def check_kernel(name, threads):
    """None when the kernel matches its oracle on every case, else what went wrong."""
    if name not in CASES:
        return "no self-test case"
    make_cases, mutated = CASES[name]
    fn, oracle = getattr(kernels, name), getattr(reference, name)
    rng = np.random.default_rng(0)
    for dtype in DTYPES:
        for args, kwargs, reduction in make_cases(rng, dtype):
            results = []
            for n in (threads, 1):
                set_num_threads(n)
                call_args = _copy(args)
                results.append(_outputs(fn(*call_args, **kwargs), call_args, mutated))
            oracle_args = _copy(args)
            want = _outputs(oracle(*oracle_args, **kwargs), oracle_args, mutated)
            shapes = [np.shape(a) for a in args if isinstance(a, np.ndarray)]
            tol = 16 * np.finfo(dtype).eps * max(1, reduction)
            for got, got_1, w in zip(*results, want):
                if got.shape != w.shape or got.dtype != w.dtype:
                    return f"{np.dtype(dtype).name} {shapes}: got {got.dtype}{got.shape}, expected {w.dtype}{w.shape}"
                if not np.array_equal(got, got_1, equal_nan=True):
                    return f"{np.dtype(dtype).name} {shapes}: results differ between {threads} and 1 threads"
                scale = max(1.0, float(np.abs(w).max())) if w.size else 1.0
                if not np.allclose(got, w, rtol=tol, atol=tol * scale):
                    err = float(np.abs(got.astype(np.float64) - w).max())
                    return f"{np.dtype(dtype).name} {shapes}: max error {err:.3g} (tolerance {tol * scale:.3g})"
    return None


def main():
    threads = get_num_threads()
    gemm_name = getattr(kernels, "gemm_kernel_name", None)
    print("fastnn self-test")
    if gemm_name:
        runnable = ", ".join(kernels.gemm_kernels_available())
        print(f"GEMM micro-kernel: {gemm_name()} (this CPU can run: {runnable}; FASTNN_GEMM_KERNEL chooses)")
    else:
        print("GEMM micro-kernel: none (no matmul kernel in this build)")
    print(f"OpenMP: {'on' if openmp_enabled() else 'off'}, threads: {threads}")
    names = compiled_kernels()
    failed = []
    try:
        for name in names:
            try:
                problem = check_kernel(name, threads)
            except Exception as exc:  # a crash in one kernel must not hide the others
                problem = f"raised {type(exc).__name__}: {exc}"
            print(f"  {name:<28} {'OK' if problem is None else 'FAIL: ' + problem}")
            if problem is not None:
                failed.append(name)
    finally:
        set_num_threads(threads)
    print(f"{len(names) - len(failed)} of {len(names)} kernels OK" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
