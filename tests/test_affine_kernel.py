"""kernels.affine_transform (csrc/image.c) against scipy.ndimage.affine_transform, an oracle written
independently of fastnn's: the same matrix, every boundary mode, both orders, bit for bit. The
kernel table (tests/test_kernels.py, test_thread_invariance.py, test_fuzz.py) checks it against
fastnn.reference.affine_transform on its samples."""
import threading

import numpy as np
import pytest

import fastnn
from fastnn import _C, kernels, reference
from fastnn.kernel_table.image import augmentation_matrix

ndimage = pytest.importorskip("scipy.ndimage")

MODES = ("nearest", "constant", "reflect", "wrap")


def scipy_warp(x, matrices, flips, order, mode, cval):
    """The batch warped channel by channel by scipy, then flipped: what the kernel computes."""
    out = np.empty(x.shape, np.float64)
    for b in range(x.shape[0]):
        for ch in range(x.shape[3]):
            y = ndimage.affine_transform(x[b, :, :, ch].astype(np.float64), matrices[b, :, :2], matrices[b, :, 2],
                                         order=order, mode=mode, cval=cval)
            if flips is not None and flips[b, 0]:
                y = y[:, ::-1]
            if flips is not None and flips[b, 1]:
                y = y[::-1]
            out[b, :, :, ch] = y
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("order", [0, 1])
def test_equals_scipy_bit_for_bit(mode, order):
    rng = np.random.default_rng(MODES.index(mode) * 2 + order)
    for trial in range(40):
        h, w, c = (int(v) for v in rng.integers(1, 14, 3))
        x = rng.standard_normal((2, h, w, c)) * 20
        scale = (1.0, 4.0, 40.0)[trial % 3]
        matrices = np.stack([augmentation_matrix(rng, h, w, scale) for _ in range(2)])
        flips = rng.integers(0, 2, (2, 2)).astype(bool)
        want = scipy_warp(x, matrices, flips, order, mode, 1.25)
        got = kernels.affine_transform(x, matrices, flips, order=order, fill_mode=mode, cval=1.25, dtype=np.float64)
        np.testing.assert_array_equal(got, want, err_msg=f"{mode} order {order} {(h, w, c)} scale {scale}")
        got32 = kernels.affine_transform(x.astype(np.float32), matrices, flips, order=order, fill_mode=mode,
                                         cval=1.25)
        want32 = scipy_warp(x.astype(np.float32), matrices, flips, order, mode, 1.25).astype(np.float32)
        np.testing.assert_array_equal(got32, want32)


def test_uint8_images_read_as_their_float_values():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (3, 17, 23, 3)).astype(np.uint8)
    matrices = np.stack([augmentation_matrix(rng, 17, 23) for _ in range(3)])
    got = kernels.affine_transform(x, matrices, fill_mode="reflect")
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, kernels.affine_transform(x.astype(np.float32), matrices, fill_mode="reflect"))
    np.testing.assert_array_equal(got, scipy_warp(x, matrices, None, 1, "reflect", 0.0).astype(np.float32))


def test_identity_and_flips_move_pixels_exactly():
    x = np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2)
    identity = np.tile([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], (2, 1, 1))
    np.testing.assert_array_equal(kernels.affine_transform(x, identity), x)
    flipped = kernels.affine_transform(x, identity, [[True, False], [True, True]])
    np.testing.assert_array_equal(flipped[0], x[0, :, ::-1])
    np.testing.assert_array_equal(flipped[1], x[1, ::-1, ::-1])


def test_constant_fill_and_shift():
    x = np.ones((1, 4, 5, 1), np.float32)
    shift_right = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, -2.0]]])  # output column j reads input column j - 2
    got = kernels.affine_transform(x, shift_right, fill_mode="constant", cval=-7.0)[0, :, :, 0]
    np.testing.assert_array_equal(got[:, :2], -7.0)
    np.testing.assert_array_equal(got[:, 2:], 1.0)


def test_strided_and_reversed_inputs_and_out():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((4, 9, 11, 6)).astype(np.float32)
    x = base[::-2, :, ::-1, ::2]
    matrices = np.stack([augmentation_matrix(rng, 9, 11) for _ in range(2)])
    out = np.full((2, 9, 11, 6), np.nan, np.float32)[..., ::2]
    result = kernels.affine_transform(x, matrices, order=1, fill_mode="wrap", out=out)
    assert result is out
    np.testing.assert_array_equal(out, reference.affine_transform(np.ascontiguousarray(x), matrices, fill_mode="wrap"))


def test_same_result_at_any_thread_count_and_from_many_threads():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 256, (16, 40, 40, 3)).astype(np.uint8)
    matrices = np.stack([augmentation_matrix(rng, 40, 40) for _ in range(16)])
    before = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        one = kernels.affine_transform(x, matrices)
        fastnn.set_num_threads(2)
        two = kernels.affine_transform(x, matrices)
    finally:
        fastnn.set_num_threads(before)
    np.testing.assert_array_equal(one, two)
    results = [None] * 4

    def warp(k):
        results[k] = kernels.affine_transform(x, matrices)

    threads = [threading.Thread(target=warp, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, one)


def test_a_capped_thread_runs_its_kernels_alone():
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(4)
    granted = {}

    def loader():
        _C._cap_this_thread(1)
        granted["capped"] = _C._threads_granted(1e9)
        _C._cap_this_thread(0)
        granted["lifted"] = _C._threads_granted(1e9)

    try:
        t = threading.Thread(target=loader)
        t.start()
        t.join()
        expected = 4 if fastnn.openmp_enabled() else 1
        assert granted == {"capped": 1, "lifted": expected}
        assert _C._threads_granted(1e9) == expected  # the cap belongs to the thread that set it
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"images": np.zeros((4, 4, 3))}, ValueError, "batch of shape"),
    ({"matrices": np.zeros((2, 3, 3))}, ValueError, r"\(2, 2, 3\)"),
    ({"matrices": np.full((2, 2, 3), np.inf)}, ValueError, "finite"),
    ({"order": 3}, ValueError, "order"),
    ({"fill_mode": "mirror"}, ValueError, "nearest, constant, reflect, wrap"),
    ({"flips": np.zeros((2, 3), bool)}, ValueError, "flips"),
    ({"dtype": np.float16}, TypeError, "float32 or float64"),
])
def test_bad_arguments_name_what_is_wrong(kwargs, error, match):
    args = {"images": np.zeros((2, 4, 4, 3), np.float32), "matrices": np.zeros((2, 2, 3))}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        kernels.affine_transform(**args)
