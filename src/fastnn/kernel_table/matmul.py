"""matmul: C = op(A) . op(B) with an optional bias, relu epilogue or relu mask, on every GEMM
micro-kernel this CPU can run."""

import numpy as np

from .fuzzing import array, float_dtype, largest_input, maybe_out, size
from .layout import LAYOUTS, SIZES, layout_array, sample_label, seeded
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

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

        label = sample_label("matmul", (m, n, k), layout, f"trans_a={trans_a}", f"trans_b={trans_b}", *epilogue)
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
        a, b = layout_array(rng, (128, 784), dtype), layout_array(rng, (784, 512), dtype)
        return (a, b), {"bias": layout_array(rng, (512,), dtype), "activation": "relu"}

    return Sample("matmul[large]", seeded(build, 15), reduction=784)




def matmul_case(choices):
    """Mostly small, now and then large operands, half the time zero-heavy A; a B of a wider
    dtype or (now and then) a wrong inner size; bias, relu or relu_mask, out=."""
    m, n, k = size(choices, 12), size(choices, 12), size(choices, 12)
    dtype, trans_a, trans_b = float_dtype(choices), choices.boolean(), choices.boolean()
    if choices.integers(0, 9) == 0:
        m, n, k = (choices.integers(60, 300) for _ in range(3))
    a = array(choices, (k, m) if trans_a else (m, k), dtype)
    if a.size and choices.boolean():
        # zeros, some in whole k steps: what matmul's zero skipping drops
        rng = np.random.default_rng(choices.seed())
        density = choices.choice([0.0, 0.1, 0.5])
        a[rng.random(a.shape) >= density] = 0
        k_axis = 0 if trans_a else 1
        steps = rng.random(k) < 0.5
        a[(slice(None),) * k_axis + (steps,)] = 0
    b_k = k if choices.integers(0, 19) else k + 1
    b = array(choices, (n, b_k) if trans_b else (b_k, n), choices.choice([dtype, dtype, np.float64]))
    kwargs = {"trans_a": trans_a, "trans_b": trans_b}
    out_dtype = np.result_type(a, b)
    if choices.boolean():
        kwargs["bias"] = array(choices, (n,), out_dtype)
    if choices.boolean():
        kwargs["activation"] = "relu"
    elif choices.integers(0, 3) == 0:
        kwargs["relu_mask"] = array(choices, (m, n), out_dtype)
    kwargs.update(maybe_out(choices, (m, n), out_dtype))
    magnitude = largest_input([a]) * largest_input([b]) + largest_input([kwargs.get("bias", np.zeros(0))])
    return FuzzCase((a, b), kwargs, reduction=max(k, 1), magnitude=magnitude)


RECORDS = [KernelRecord("matmul", matmul_samples, large_matmul, matmul_errors, fuzz=matmul_case)]
