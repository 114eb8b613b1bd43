"""The optimizer steps: each updates its parameter and state arrays in place."""
import numpy as np

from .fuzzing import array, float_dtype, shape as fuzz_shape
from .layout import LAYOUTS, SIZES, layout_array, sample_label, seeded
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

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

            out.append(Sample(sample_label(name, shape, layout, kwargs), seeded(build, seed)))
    if name in OPTIONAL_STATES:
        def without_state(rng):
            arrays = optimizer_arrays(rng, name, (40,), dtype, "C")
            for i in range(len(arrays) - OPTIONAL_STATES[name], len(arrays)):
                arrays[i] = None  # no velocity / momentum buffer / average gradient / v_max
            return tuple(arrays), dict(hypers[-1])

        out.append(Sample(sample_label(name, "no optional state"), seeded(without_state, 77)))

    def float16_grad(rng):
        arrays = optimizer_arrays(rng, name, (33,), dtype, "C")
        arrays[1] = arrays[1].astype(np.float16)
        return tuple(arrays), dict(hypers[-1])

    out.append(Sample(sample_label(name, "float16 grad"), seeded(float16_grad, 78)))
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

        out.append(Sample(sample_label(name, shape, layout, "segments", *options), seeded(build, seed)))
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

    return Sample(sample_label(name, "large"), seeded(build, 12))


# Fuzzed hyper-parameters. Decay rates stay in [0.5, 1): with beta or rho near 0 the state update
# m + (g - m) * (1 - beta) cancels almost completely in float32, and kernel and oracle
# legitimately round it apart.
def _decay(choices):
    return choices.floats(0.5, 0.999)


def _epsilon(choices):
    return choices.choice([1e-7, 1e-3])


FUZZ_HYPERS = {
    "sgd_step": lambda c: dict(learning_rate=c.floats(0, 1), momentum=c.floats(0, 1), nesterov=c.boolean()),
    "rmsprop_step": lambda c: dict(learning_rate=c.floats(0, 1), rho=_decay(c), momentum=c.floats(0, 0.99),
                                   epsilon=_epsilon(c)),
    "adagrad_step": lambda c: dict(learning_rate=c.floats(0, 1), epsilon=_epsilon(c)),
    "adam_step": lambda c: dict(learning_rate=c.floats(0, 1), beta_1=_decay(c), beta_2=c.floats(0.5, 0.9999),
                                epsilon=_epsilon(c), step=c.integers(1, 10_000)),
    "nadam_step": lambda c: dict(learning_rate=c.floats(0, 1), beta_1=_decay(c), beta_2=c.floats(0.5, 0.9999),
                                 epsilon=_epsilon(c), step=c.integers(1, 10_000), u_product=c.floats(0.01, 1.0)),
}
# State arrays passed when fuzzing (the optional ones past these stay out); of sgd and rmsprop
# the last is left out half the time.
FUZZ_STATES = {"sgd_step": 1, "rmsprop_step": 2, "adagrad_step": 1, "adam_step": 2, "nadam_step": 2}


def optimizer_case(choices, name):
    """A parameter, a gradient of its or a wider dtype (now and then of the wrong shape), states
    in [0, 1) and random hyper-parameters."""
    shape, dtype = fuzz_shape(choices, max_rank=2), float_dtype(choices)
    param = array(choices, shape, dtype)
    grad_dtype = choices.choice([dtype, dtype, np.float16, np.float64])
    grad_shape = shape if choices.integers(0, 19) else shape + (2,)
    grad = array(choices, grad_shape, grad_dtype)
    states = [array(choices, shape, dtype, 0.0, 1.0) for _ in range(FUZZ_STATES[name])]
    if name in ("sgd_step", "rmsprop_step") and choices.boolean():
        states[-1] = None
    return FuzzCase((param, grad, *states), FUZZ_HYPERS[name](choices))


RECORDS = [
    KernelRecord(name, lambda d, name=name: optimizer_samples(name, d), lambda d, name=name: large_optimizer(name, d),
                 lambda name=name: optimizer_errors(name), mutates=tuple(range(0, 2 + OPTIMIZERS[name][0])),
                 ulps=16.0, fuzz=lambda choices, name=name: optimizer_case(choices, name))
    for name in OPTIMIZERS
]
