"""Every compiled kernel against its NumPy oracle, driven by the kernel table (fastnn.kernel_table),
on each instruction set this CPU can run."""
import numpy as np
import pytest

from fastnn import kernels, reference
from fastnn.kernel_table import DTYPES, RECORDS

RECORD_IDS = [r.name for r in RECORDS]


def read_only(value):
    """A read-only view of an input array (the kernels must not need to write it)."""
    if isinstance(value, np.ndarray):
        value = value.view()
        value.flags.writeable = False
    return value


def call(record, fn, sample, freeze_inputs):
    args, kwargs = sample.make()
    if freeze_inputs:
        args = tuple(a if i in record.mutates else read_only(a) for i, a in enumerate(args))
    result = fn(*args, **kwargs)
    return result, args, kwargs


def assert_outputs_match(record, sample, got, want, dtype):
    assert len(got) == len(want), sample.label
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray), f"{sample.label}: returned {type(g).__name__}"
        assert g.shape == w.shape, f"{sample.label}: shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"{sample.label}: dtype {g.dtype} != {w.dtype}"
        tol = record.tolerance(g.dtype if g.dtype.kind == "f" else dtype, sample.reduction)
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=sample.label)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_matches_oracle(record, dtype, isa):
    samples = record.samples(dtype) + [record.large(dtype)]
    assert len(samples) >= 10
    for sample in samples:
        result, args, kwargs = call(record, record.compiled, sample, freeze_inputs=True)
        with np.errstate(all="ignore"):
            want_result, want_args, _ = call(record, record.oracle, sample, freeze_inputs=False)
        got = record.outputs(result, args)
        want = record.outputs(want_result, want_args)
        assert_outputs_match(record, sample, got, want, dtype)
        if "out" in kwargs:
            assert result is kwargs["out"], f"{sample.label}: out= was not returned"


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_inputs_left_unchanged(record):
    for sample in record.samples(np.float32)[::7]:
        args, kwargs = sample.make()
        before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        record.compiled(*args, **kwargs)
        for i, (a, b) in enumerate(zip(args, before)):
            if i not in record.mutates and isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=f"{sample.label}: argument {i} changed")


@pytest.mark.parametrize("record", RECORDS, ids=RECORD_IDS)
def test_bad_input_raises_like_the_oracle(record):
    cases = record.errors()
    assert cases, f"{record.name} has no error inputs"
    for case in cases:
        with pytest.raises(case.exception) as got:
            record.compiled(*case.args, **case.kwargs)
        with pytest.raises(case.exception) as want:
            record.oracle(*case.args, **case.kwargs)
        if case.same_message:
            assert str(got.value) == str(want.value), case.label


# Public callables of fastnn.kernels that are not kernels: they name the instruction sets.
NOT_KERNELS = {"isa_name", "isas_available"}


def test_every_exported_kernel_has_an_oracle_and_exactly_one_record():
    exported = {name for name in dir(kernels) if not name.startswith("_") and callable(getattr(kernels, name))}
    assert {name for name in exported if not hasattr(reference, name)} == NOT_KERNELS
    names = [r.name for r in RECORDS]
    assert len(names) == len(set(names)), "a kernel with two records"
    assert set(names) == exported - NOT_KERNELS


def test_every_compiled_function_with_an_oracle_is_in_the_table():
    from fastnn import _C

    compiled = {name for name in dir(_C) if not name.startswith("_") and callable(getattr(_C, name))}
    twins = {name for name in compiled if getattr(reference, name, None) not in (None, getattr(_C, name))}
    assert twins == {r.name for r in RECORDS}  # shared argument checks are the same object on both sides
