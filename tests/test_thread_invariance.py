"""Every kernel gives bitwise identical results at 1 and 2 threads on each instruction set this CPU can run,
and the count can change between calls."""
import numpy as np
import pytest

import fastnn
from fastnn.kernel_table import DTYPES, RECORDS

pytestmark = pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


def run_with_threads(record, sample, n):
    fastnn.set_num_threads(n)
    args, kwargs = sample.make()
    result = record.compiled(*args, **kwargs)
    return [np.ascontiguousarray(o).view(np.uint8) for o in record.outputs(result, args)]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("record", RECORDS, ids=[r.name for r in RECORDS])
def test_bitwise_identical_at_1_and_2_threads(record, dtype, isa, restore_threads):
    samples = [record.large(dtype)] + record.samples(dtype)[-12:]
    for sample in samples:
        one = run_with_threads(record, sample, 1)
        two = run_with_threads(record, sample, 2)
        three = run_with_threads(record, sample, 3)
        for a, b, c in zip(one, two, three):
            assert np.array_equal(a, b) and np.array_equal(a, c), sample.label


def test_large_samples_are_large_enough_to_use_threads():
    """Each record's large sample has >= 2 * 32768 elements in some input, so threads are used."""
    for record in RECORDS:
        args, _ = record.large(np.float32).make()
        assert max(np.size(a) for a in args if a is not None) >= 65536, record.name


def test_changing_the_thread_count_between_calls(restore_threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 700)).astype(np.float32)
    want = fastnn.reference.softmax(x)
    for n in (2, 1, 4, 2, 1, 2):
        fastnn.set_num_threads(n)
        np.testing.assert_allclose(fastnn.kernels.softmax(x), want, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(fastnn.kernels.relu(x), np.maximum(x, 0))
