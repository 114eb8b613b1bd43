"""The geometry of augmentation: Keras's rotation, shift, shear and zoom as the 2x3 matrices the
affine_transform kernel takes, and the single-image transforms of keras.preprocessing.image.

A matrix maps an output pixel (row, column, 1) to the input coordinate it reads. It is composed as
Keras composes it, rotation @ shift @ shear @ zoom about the image centre, and then has its two
axes swapped when the column axis follows the row axis (Keras builds it in (x, y) order), so that
the warp reads the same input coordinates as Keras's scipy.ndimage call: the same images, bit for
bit. One consequence is Keras's own: `tx` (drawn from height_shift_range, in rows) moves the image
along its columns, and `ty` along its rows.
"""
import numpy as np

from ... import kernels


def transform_matrix(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, h=1, w=1, swap_axes=True):
    """The 2x3 matrix of a rotation by theta degrees, a shift (tx, ty), a shear of `shear` degrees
    and a zoom (zx, zy) about the centre of an h x w image, or None for no transform."""
    matrix = None

    def then(step):
        return step if matrix is None else np.dot(matrix, step)

    if theta != 0:
        angle = np.deg2rad(theta)
        matrix = then(np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]))
    if tx != 0 or ty != 0:
        matrix = then(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        angle = np.deg2rad(shear)
        matrix = then(np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        matrix = then(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if matrix is None:
        return None
    o_x, o_y = float(h) / 2 - 0.5, float(w) / 2 - 0.5
    to_centre = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    from_centre = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    matrix = np.dot(np.dot(to_centre, matrix), from_centre)
    if swap_axes:
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    return matrix[:2]


def _image_axes(x, row_axis, col_axis, channel_axis):
    if len({row_axis, col_axis, channel_axis}) != 3 or {row_axis, col_axis, channel_axis} != {0, 1, 2}:
        raise ValueError(f"row_axis, col_axis and channel_axis must be 0, 1 and 2 in some order. Received: "
                         f"{row_axis}, {col_axis}, {channel_axis}")
    if x.ndim != 3:
        raise ValueError(f"apply_affine_transform takes one image of rank 3. Received an array of shape {x.shape}")
    if channel_axis not in (0, 2):
        raise ValueError(f"channel_axis must be the first (0) or last (2) axis. Received: channel_axis={channel_axis}")


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, row_axis=1, col_axis=2, channel_axis=0,
                           fill_mode="nearest", cval=0.0, order=1):
    """One image (rank 3) rotated by theta degrees, shifted by (tx, ty), sheared by `shear` degrees
    and zoomed by (zx, zy) about its centre, interpolated with order 0 (nearest) or 1 (bilinear)."""
    x = np.asarray(x)
    _image_axes(x, row_axis, col_axis, channel_axis)
    matrix = transform_matrix(theta, tx, ty, shear, zx, zy, x.shape[row_axis], x.shape[col_axis],
                              swap_axes=col_axis > row_axis)
    if matrix is None:
        return x
    channels_last = np.moveaxis(x, channel_axis, 2)  # the other two axes keep their order
    dtype = np.float64 if x.dtype == np.float64 else np.float32
    warped = kernels.affine_transform(channels_last[None], matrix[None], order=order, fill_mode=fill_mode, cval=cval,
                                      dtype=dtype)[0]
    return np.moveaxis(warped, 2, channel_axis)


def flip_axis(x, axis):
    """x reversed along axis."""
    return np.flip(np.asarray(x), axis)


def apply_channel_shift(x, intensity, channel_axis=0):
    """x + intensity, clipped to x's own range (its minimum and maximum over all channels)."""
    x = np.asarray(x)
    return np.clip(x + intensity, np.min(x), np.max(x))


def apply_brightness_shift(x, brightness, scale=True):
    """x with its brightness scaled by `brightness` as Pillow's ImageEnhance.Brightness does (on the
    image as 8 bits; values outside [0, 255] are stretched into it and back)."""
    from .files import array_to_img, img_to_array, pillow

    pillow()
    from PIL import ImageEnhance

    x = np.asarray(x)
    x_min, x_max = np.min(x), np.max(x)
    local_scale = bool(x_min < 0 or x_max > 255)
    img = ImageEnhance.Brightness(array_to_img(x, scale=local_scale or scale)).enhance(brightness)
    out = img_to_array(img)
    if not scale and local_scale:
        out = out / 255 * (x_max - x_min) + x_min
    return out
