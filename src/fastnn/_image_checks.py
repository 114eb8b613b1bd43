"""Argument checks of the image kernels, shared by the compiled wrappers and their oracles (so that
both refuse the same input with the same message)."""
import numbers

import numpy as np

# Boundary modes of the affine warp, in the order of csrc/fastnn.h's FASTNN_FILL_* codes.
FILL_MODES = ("nearest", "constant", "reflect", "wrap")
# Matrix entries at least this large are refused: the coordinates they make stay far inside the
# range in which the kernel's integer arithmetic is exact.
MATRIX_LIMIT = 2.0 ** 24


def affine_transform_args(images, matrices, flips, order, fill_mode, cval, dtype):
    """(images, matrices, flip codes or None, mode code, cval, dtype), checked.

    images: a real (n, height, width, channels) batch; matrices: n finite 2x3 matrices as a float64
    C-contiguous (n, 2, 3) array; flips: None or (n, 2) booleans (horizontal, vertical), returned as
    n uint8 codes (1: horizontal, 2: vertical); order 0 or 1; fill_mode one of FILL_MODES; cval a real
    number; dtype float32 or float64.
    """
    images = np.asarray(images)
    if images.dtype.kind not in "biuf":
        raise TypeError(f"affine_transform: images have unsupported dtype {images.dtype}")
    if images.ndim != 4:
        raise ValueError(f"affine_transform: images must be a batch of shape (n, height, width, channels), "
                         f"got shape {images.shape}")
    n = images.shape[0]
    matrices = np.asarray(matrices)
    if matrices.dtype.kind not in "biuf":
        raise TypeError(f"affine_transform: matrices have unsupported dtype {matrices.dtype}")
    if matrices.shape != (n, 2, 3):
        raise ValueError(f"affine_transform: matrices must have shape ({n}, 2, 3) for {n} images, "
                         f"got shape {matrices.shape}")
    matrices = np.ascontiguousarray(matrices, dtype=np.float64)
    if not np.all(np.isfinite(matrices)) or (matrices.size and np.abs(matrices).max() >= MATRIX_LIMIT):
        raise ValueError("affine_transform: matrices must be finite, with entries of magnitude below 2**24")
    codes = None
    if flips is not None:
        flips = np.asarray(flips)
        if flips.shape != (n, 2) or flips.dtype.kind not in "biu":
            raise ValueError(f"affine_transform: flips must be ({n}, 2) booleans (horizontal, vertical), got "
                             f"{flips.dtype} of shape {flips.shape}")
        if flips.size and not np.all((flips == 0) | (flips == 1)):
            raise ValueError("affine_transform: flips must hold 0/1 or booleans")
        codes = np.ascontiguousarray(flips[:, 0].astype(np.uint8) + 2 * flips[:, 1].astype(np.uint8))
    if isinstance(order, bool) or order not in (0, 1):
        raise ValueError(f"affine_transform: order must be 0 (nearest) or 1 (bilinear), got {order!r}")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_transform: fill_mode must be one of {', '.join(FILL_MODES)}; got {fill_mode!r}")
    if isinstance(cval, bool) or not isinstance(cval, numbers.Real):
        raise TypeError(f"affine_transform: cval must be a real number, got {cval!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"affine_transform: dtype must be float32 or float64, got {dtype}")
    return images, matrices, codes, FILL_MODES.index(fill_mode), float(cval), dtype
