"""One time step of the recurrent cells (SimpleRNN, LSTM, GRU) and its backward."""
import numpy as np

from .._op_checks import CELL_ACTIVATIONS, CELL_LAYOUTS
from .fuzzing import array, float_dtype, size
from .layout import LAYOUTS, SIZES, layout_array, sample_label, seeded, with_layout
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

CELLS = {"simple_rnn_cell": "simple", "lstm_cell": "lstm", "gru_cell": "gru"}


def _cell_of(name):
    return CELLS[name.replace("_grad", "")]


def _options(name, seed):
    """The activations of sample `seed`: the default pair first, then every other one in turn."""
    act = "tanh" if seed % 3 == 0 else CELL_ACTIVATIONS[seed % len(CELL_ACTIVATIONS)]
    options = {"activation": act}
    if _cell_of(name) != "simple":
        options["recurrent_activation"] = "sigmoid" if seed % 3 == 0 else CELL_ACTIVATIONS[(seed // 2) % 5]
    return options


def _mask(rng, n, seed, dtype):
    """None, or 0/1 values (some rows skipped) in a contiguous, strided or reversed layout."""
    if seed % 4 == 0:
        return None
    values = (rng.uniform(size=n) < 0.7).astype(dtype)
    return with_layout(values, LAYOUTS[seed % 4])


def cell_args(name, rng, n, u, dtype, seed, layout="C"):
    """The arguments of the step (name without _grad) or of its backward, of plausible values:
    gates in (0, 1) where a record holds them, as a forward step would have written."""
    cell = _cell_of(name)
    gates, blocks, carried = CELL_LAYOUTS[cell]
    lay = lambda i: LAYOUTS[(LAYOUTS.index(layout) + i) % 4]
    mask = _mask(rng, n, seed, dtype)
    if not name.endswith("_grad"):
        return (layout_array(rng, (n, gates * u), dtype, lay(0)), layout_array(rng, (n, gates * u), dtype, lay(1)),
                layout_array(rng, (n, blocks * u), dtype, lay(2)), mask)
    record = rng.uniform(0.02, 0.98, (n, blocks * u))
    if cell == "lstm":
        record[:, 4 * u:] = rng.standard_normal((n, 2 * u))
    if cell == "gru":
        record[:, 2 * u:4 * u] = rng.uniform(-1, 1, (n, 2 * u))
    record = with_layout(record.astype(dtype), lay(0))
    carry = layout_array(rng, (n, carried * u), dtype, lay(1))
    dh = layout_array(rng, (n, u), dtype, lay(2)) if seed % 3 != 1 else None
    dy = layout_array(rng, (n, u), dtype, lay(3)) if seed % 3 != 2 else None
    if cell == "simple":
        return (record, carry, dh, dy, mask)
    return (record, layout_array(rng, (n, blocks * u), dtype, lay(3)), carry, dh, dy, mask)


def cell_samples(name, dtype):
    """Every size of SIZES as the batch and as the units, the four layouts, every activation,
    masks that skip rows, absent dh and dy; zero-size and out= cases."""
    out = []
    cases = [(2, u) for u in SIZES] + [(n, 3) for n in SIZES] + [(128, 32), (1, 1)]
    for seed, (n, u) in enumerate(cases):
        layout = LAYOUTS[seed % 4]

        def build(rng, n=n, u=u, layout=layout, seed=seed):
            return cell_args(name, rng, n, u, dtype, seed, layout), _options(name, seed)

        out.append(Sample(sample_label(name, n, u, layout, *_options(name, seed).values()), seeded(build, 50_000 + seed)))
    gates = CELL_LAYOUTS[_cell_of(name)][0]
    width = gates * 4 if name.endswith("_grad") else CELL_LAYOUTS[_cell_of(name)][1] * 4
    out_name = "recurrent_out" if name == "gru_cell_grad" else "out"  # gru_cell_grad returns a pair
    out += [
        Sample(sample_label(name, "zero rows"), lambda: (cell_args(name, np.random.default_rng(1), 0, 4, dtype, 1),
                                                           {})),
        Sample(sample_label(name, "zero units"), lambda: (cell_args(name, np.random.default_rng(1), 3, 0, dtype, 2),
                                                            {})),
        Sample(sample_label(name, out_name), seeded(lambda rng: (
            cell_args(name, rng, 5, 4, dtype, 3), {out_name: np.empty((5, 2 * width), dtype)[:, ::2]}), 51_000)),
    ]
    return out


def cell_errors(name):
    cell = _cell_of(name)
    rng = np.random.default_rng(0)
    args = cell_args(name, rng, 3, 2, np.float64, 1)
    errors = [
        ErrorCase("activation", args, {"activation": "softmax"}, ValueError),
        ErrorCase("mask shape", args[:-1] + (np.ones(4),), {}, ValueError),
        ErrorCase("complex", (args[0].astype(complex),) + args[1:], {}, TypeError),
        ErrorCase("out shape", args, {"out": np.empty((3, 1))}, ValueError),
    ]
    if cell != "simple":
        errors.append(ErrorCase("recurrent_activation", args, {"recurrent_activation": "elu"}, ValueError))
    if name.endswith("_grad"):
        carry_at = 1 if cell == "simple" else 2
        frozen = args[carry_at].copy()
        frozen.flags.writeable = False
        errors += [
            ErrorCase("record width", (np.ones((3, 7)),) + args[1:], {}, ValueError),
            ErrorCase("carry dtype", args[:carry_at] + (args[carry_at].astype(np.float32),) + args[carry_at + 1:], {},
                      TypeError),
            ErrorCase("read-only carry", args[:carry_at] + (frozen,) + args[carry_at + 1:], {}, ValueError),
            ErrorCase("dy shape", args[:carry_at + 2] + (np.ones((3, 5)),) + args[carry_at + 3:], {}, ValueError),
        ]
    else:
        errors += [
            ErrorCase("xz width", (np.ones((3, CELL_LAYOUTS[cell][0] * 2 + 1)),) + args[1:], {}, ValueError),
            ErrorCase("hz shape", (args[0], np.ones((2, args[1].shape[1])), args[2], args[3]), {}, ValueError),
            ErrorCase("previous shape", args[:2] + (np.ones((3, 1)), args[3]), {}, ValueError),
        ]
    return errors


def large_cell(name, dtype):
    def build(rng):
        return cell_args(name, rng, 512, 128, dtype, 5), {}

    return Sample(sample_label(name, "large"), seeded(build, 52_000))


def cell_case(choices, name):
    """Any batch and units, layouts, masks and activations, now and then a bad shape."""
    n, u, dtype = size(choices), size(choices), float_dtype(choices)
    rng = np.random.default_rng(choices.seed())
    args = list(cell_args(name, rng, n, u, dtype, choices.integers(0, 11)))
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.ndim == 2 and choices.integers(0, 4) == 0:
            args[i] = array(choices, a.shape, dtype, -1.0, 1.0) if not name.endswith("_grad") else a
    if choices.integers(0, 19) == 0:
        args[0] = np.ones((n, 1 + args[0].shape[1]), dtype)
    options = {"activation": choices.choice(CELL_ACTIVATIONS)}
    if _cell_of(name) != "simple":
        options["recurrent_activation"] = choices.choice(CELL_ACTIVATIONS)
    return FuzzCase(tuple(args), options)


RECORDS = [KernelRecord(name, lambda d, name=name: cell_samples(name, d), lambda d, name=name: large_cell(name, d),
                        lambda name=name: cell_errors(name), ulps=64.0,
                        mutates=(((1,) if CELLS[name.replace("_grad", "")] == "simple" else (2,))
                                 if name.endswith("_grad") else ()),
                        fuzz=lambda choices, name=name: cell_case(choices, name))
           for base in CELLS for name in (base, base + "_grad")]
