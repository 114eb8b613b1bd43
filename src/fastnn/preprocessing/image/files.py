"""Image files to arrays and back through Pillow: load_img, img_to_array, array_to_img, save_img.

Pillow is an optional dependency (`pip install "fastnn[image]"`), imported by the functions that
need it. Decoding errors name the file: a file Pillow cannot identify, or one that ends before its
image does (a truncated JPEG), raises ValueError.
"""
import io
import numbers
import os
import pathlib
import warnings

import numpy as np

COLOR_MODES = ("grayscale", "rgb", "rgba")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pillow():
    """PIL.Image, or ImportError saying how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('Reading and writing images needs Pillow: pip install "fastnn[image]" '
                          "(or pip install Pillow)") from None
    return Image


def check_color_mode(color_mode):
    if color_mode not in COLOR_MODES:
        raise ValueError(f'color_mode must be "grayscale", "rgb" or "rgba". Received: color_mode={color_mode!r}')
    return color_mode


def check_interpolation(interpolation):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)}. "
                         f"Received: interpolation={interpolation!r}")
    return interpolation


def check_size(size, name="target_size"):
    """size as a (height, width) tuple of positive integers."""
    if isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0 for v in size):
        raise ValueError(f"{name} must be two positive integers (height, width). Received: {name}={size!r}")
    return int(size[0]), int(size[1])


def check_data_format(data_format):
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f'data_format must be "channels_last" or "channels_first". '
                         f"Received: data_format={data_format!r}")
    return data_format


def _describe(path):
    return repr(path) if not isinstance(path, io.IOBase) else "the given file object"


def open_image(path):
    """The decoded Pillow image of a path (str, bytes, pathlib.Path) or binary file object."""
    Image = pillow()
    if isinstance(path, pathlib.Path):
        path = str(path.resolve())
    if isinstance(path, (str, bytes)):
        with open(path, "rb") as f:
            source = io.BytesIO(f.read())
    elif hasattr(path, "read"):
        source = path
    else:
        raise TypeError(f"path must be a file path or a binary file object. Received: {type(path).__name__}")
    try:
        img = Image.open(source)
        img.load()
    except Image.UnidentifiedImageError:
        raise ValueError(f"{_describe(path)} is not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as err:  # truncated or corrupt image data
        raise ValueError(f"{_describe(path)} could not be decoded ({err}); the file is truncated or corrupt") \
            from None
    return img


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """The image at `path` as a Pillow image in `color_mode`, resized to target_size=(height, width)
    when given (with keep_aspect_ratio, the largest centred crop of the target's aspect ratio first)."""
    check_color_mode(color_mode)
    check_interpolation(interpolation)
    if target_size is not None:
        target_size = check_size(target_size)
    img = open_image(path)
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif img.mode != color_mode.upper():
        img = img.convert(color_mode.upper())
    if target_size is None:
        return img
    height, width = target_size
    if img.size == (width, height):
        return img
    Image = pillow()
    resample = getattr(Image, "Resampling", Image)
    method = getattr(resample, interpolation.upper())
    box = None
    if keep_aspect_ratio:
        w, h = img.size
        crop_h, crop_w = min(h, (w * height) // width), min(w, (h * width) // height)
        top, left = (h - crop_h) // 2, (w - crop_w) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize((width, height), method, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image as a float32 (or dtype) array (height, width, channels), or channels first."""
    data_format = check_data_format(data_format)
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A (height, width, 1|3|4) array as a Pillow image (L, RGB, RGBA; 'I' for a single channel above
    255). With scale=True the values are first stretched to span [0, 255]."""
    Image = pillow()
    data_format = check_data_format(data_format)
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects a single image of rank 3. Received an array of shape {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x /= top
        x *= 255
    channels = x.shape[2]
    if channels == 1 and np.max(x) > 255:
        return Image.fromarray(x[:, :, 0].astype("int32"), "I")
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if channels not in modes:
        raise ValueError(f"array_to_img: images have 1, 3 or 4 channels. Received {channels} channels "
                         f"(shape {x.shape})")
    pixels = np.clip(x, 0, 255).astype("uint8")
    return Image.fromarray(pixels[:, :, 0] if channels == 1 else pixels, modes[channels])


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Writes an image array to `path` (format from its extension unless file_format is given);
    further keyword arguments go to Pillow's Image.save."""
    if file_format is None and isinstance(path, (str, os.PathLike)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: JPEG has no alpha channel; the image is saved as RGB", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_batch(paths, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """The images at paths decoded into one (n, height, width, channels) array: uint8, or float32
    when one of them has more than 8 bits (16- or 32-bit grayscale). They must share one size
    (give target_size unless they do)."""
    arrays = []
    for path in paths:
        img = load_img(path, color_mode=color_mode, target_size=target_size, interpolation=interpolation,
                       keep_aspect_ratio=keep_aspect_ratio)
        a = np.asarray(img)
        img.close()
        arrays.append(a[:, :, None] if a.ndim == 2 else a)
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"images of different sizes {sorted(shapes)} cannot share a batch: give target_size")
    if all(a.dtype == np.uint8 for a in arrays):
        return np.stack(arrays)
    return np.stack([a.astype(np.float32) for a in arrays])
