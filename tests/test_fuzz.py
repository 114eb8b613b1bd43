"""Opt-in fuzzing (pytest -m fuzz): Hypothesis drives every kernel with random shapes, strides,
dtypes and arguments, on each instruction set this CPU can run, against its oracle, and the IDX reader with corrupted files.

Each kernel's strategy is the `fuzz` function of its record in fastnn.kernel_table, written
against a small source of choices; here every choice is a Hypothesis draw, so failures shrink.
A kernel must give the oracle's result, or raise the oracle's exception type when the oracle
raises. The IDX reader must return an array or raise ValueError, whatever the bytes.
FASTNN_FUZZ_EXAMPLES sets the number of cases per test (default 2000).
"""
import gzip
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastnn import kernels
from fastnn.datasets.idx import IDX_DTYPES, read_idx
from fastnn.kernel_table import RECORDS
from fastnn.kernel_table.choices import RandomChoices
from fastnn.kernel_table.fuzzing import finite_max, largest_input
from fastnn.kernel_table.isa import on_isa

EXAMPLES = int(os.environ.get("FASTNN_FUZZ_EXAMPLES", "2000"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COUNTS = {}  # cases run per kernel
RAISED = {}  # of which the oracle (and so the kernel) raised


class DrawnChoices:
    """The kernel table's source of choices (fastnn.kernel_table.choices), each choice a draw."""

    def __init__(self, data):
        self.draw = data.draw

    def integers(self, lo, hi):
        return self.draw(st.integers(lo, hi))

    def choice(self, seq):
        return self.draw(st.sampled_from(seq))

    def boolean(self):
        return self.draw(st.booleans())

    def floats(self, lo, hi):
        return self.draw(st.floats(lo, hi))

    def seed(self):
        return self.draw(st.integers(0, 2**32 - 1))

    def permutation(self, n):
        return self.draw(st.permutations(range(n)))


def copy_args(args, kwargs):
    """Independent copies (same values) for the oracle, so in-place kernels do not interfere."""
    def copy(v):
        return v.copy() if isinstance(v, np.ndarray) else v
    return tuple(copy(a) for a in args), {k: copy(v) for k, v in kwargs.items()}


def against_oracle(record, case):
    """Runs the kernel and its oracle on equal inputs; they must agree on the result or the error.

    Results are compared within the record's tolerance, scaled by the larger of the expected
    values and the case's magnitude (default: the largest input).
    """
    args, kwargs = case.args, case.kwargs
    COUNTS[record.name] = COUNTS.get(record.name, 0) + 1
    oracle_args, oracle_kwargs = copy_args(args, kwargs)
    try:
        with np.errstate(all="ignore"):
            want_result = record.oracle(*oracle_args, **oracle_kwargs)
    except Exception as err:  # noqa: BLE001
        RAISED[record.name] = RAISED.get(record.name, 0) + 1
        with pytest.raises(type(err)):
            record.compiled(*args, **kwargs)
        return
    before = record.outputs(None, copy_args(args, {})[0]) if record.mutates else None
    result = record.compiled(*args, **kwargs)
    got = record.outputs(result, args)
    want = record.outputs(want_result, oracle_args)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if g.dtype.kind != "f":
            np.testing.assert_array_equal(g, w)
            continue
        tol = float(record.tolerance(g.dtype, case.reduction))
        scale = max(1.0, finite_max(w), largest_input(args) if case.magnitude is None else case.magnitude)
        if before is not None and i < len(before):  # an in-place update: errors scale with the step taken
            scale = max(scale, finite_max(w.astype(np.float64) - before[i]))
        with np.errstate(over="ignore"):  # a tolerance beyond float32's range compares as infinite
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale)


def run_case(record, choices):
    """One case of the record's strategy, on one of the instruction sets this CPU can run."""
    case = record.fuzz(choices)
    with on_isa(choices.choice(kernels.isas_available())):
        against_oracle(record, case)


@pytest.mark.fuzz
@pytest.mark.parametrize("record", RECORDS, ids=[r.name for r in RECORDS])
@FUZZ
@given(data=st.data())
def test_kernel_against_oracle(record, data):
    run_case(record, DrawnChoices(data))


def test_every_kernel_is_fuzzed():
    """Every record has a strategy (and every kernel a record: test_kernels.py checks that)."""
    assert [r.name for r in RECORDS if r.fuzz is None] == []


@pytest.mark.parametrize("record", RECORDS, ids=[r.name for r in RECORDS])
def test_strategies_run_from_a_plain_random_source(record):
    """A few cases per kernel in the default run, so a broken strategy shows before a fuzz run."""
    choices = RandomChoices(seed=len(record.name))
    for _ in range(8):
        run_case(record, choices)


# ---- IDX files --------------------------------------------------------------------------------------------
@st.composite
def idx_files(draw):
    code = draw(st.sampled_from(sorted(IDX_DTYPES)))
    shape = tuple(draw(st.integers(0, 6)) for _ in range(draw(st.integers(1, 3))))
    payload = draw(st.binary(min_size=0, max_size=0)) + bytes(
        np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, 256, int(np.prod(shape))
                                                                         * IDX_DTYPES[code].itemsize, np.uint8))
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, code, len(shape), *shape) + payload


@st.composite
def corrupted(draw, data):
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        damage = draw(st.sampled_from(["flip", "truncate", "append", "header", "random", "dims"]))
        if damage == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
        elif damage == "truncate":
            del data[draw(st.integers(0, len(data))):]
        elif damage == "append":
            data += draw(st.binary(min_size=1, max_size=20))
        elif damage == "header":
            data[:4] = draw(st.binary(min_size=0, max_size=6))
        elif damage == "dims" and len(data) >= 8:
            data[4:8] = struct.pack(">I", draw(st.sampled_from([0, 1, 255, 2**16, 2**31, 2**32 - 1])))
        else:
            data = bytearray(draw(st.binary(max_size=64)))
    return bytes(data)


@pytest.mark.fuzz
@FUZZ
@given(st.data(), idx_files(), st.sampled_from(["plain", "gzip then corrupt", "corrupt then gzip"]))
def test_idx_reader_on_corrupt_files(tmp_path_factory, data, good, packing):
    draw = data.draw
    if packing == "gzip then corrupt":
        blob = draw(corrupted(gzip.compress(good)))
    elif packing == "corrupt then gzip":
        blob = gzip.compress(draw(corrupted(good)))
    else:
        blob = draw(corrupted(good))
    COUNTS["read_idx"] = COUNTS.get("read_idx", 0) + 1
    path = tmp_path_factory.mktemp("idx") / "file"
    path.write_bytes(blob)
    try:
        array = read_idx(path)
    except ValueError as err:
        RAISED["read_idx"] = RAISED.get("read_idx", 0) + 1
        assert str(path) in str(err) or "dimension" in str(err), err
    else:
        assert isinstance(array, np.ndarray) and array.dtype.isnative


@pytest.mark.fuzz
def test_report_counts():
    """Prints how many cases each fuzz test ran (when the fuzz tests ran first in this session)."""
    print("\nfuzz cases (of which raised):",
          ", ".join(f"{name} {count} ({RAISED.get(name, 0)})" for name, count in sorted(COUNTS.items())))
