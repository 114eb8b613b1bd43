"""ImageDataGenerator: Keras's real-time image augmentation, batch by batch.

A batch's random parameters are drawn in Python (from one random state per batch, so a batch is
the same whichever thread makes it and in whatever order), then the whole batch is warped and
flipped in one call of the affine_transform kernel (GIL released), and standardized with NumPy.
Arguments, defaults and the single-image methods (get_random_transform, apply_transform,
random_transform, standardize, fit) are Keras's; random_transform(x, seed) gives Keras's image.
"""
import numbers
import warnings

import numpy as np

from ... import kernels
from .affine import apply_brightness_shift, transform_matrix
from .files import check_data_format

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _range_pair(value, name):
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{name} must be a tuple or list of two floats. Received: {name}={value!r}")
    return [float(value[0]), float(value[1])]


def _shift_spec(value, name):
    if isinstance(value, bool) or not (isinstance(value, numbers.Real) or (
            isinstance(value, (list, tuple, np.ndarray)) and len(value) and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value))):
        raise ValueError(f"{name} must be a float, an int or a list of numbers. Received: {name}={value!r}")
    if isinstance(value, numbers.Real):
        _spread(value, name, "shifts")
    elif not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
        raise ValueError(f"{name} must hold finite numbers. Received: {name}={value!r}")
    return value


def _spread(value, name, drawn):
    """A symmetric range's half-width (rotation_range=10 draws angles in [-10, 10]): a finite number >= 0."""
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0 (the {drawn} are drawn from [-{name}, {name}]). "
                         f"Received: {name}={value!r}")


def _factor_pair(value, name):
    """[lower, upper] factors (zoom, brightness): two finite numbers, zoom's above 0, brightness's >= 0."""
    pair = _range_pair(value, name)
    positive = name == "zoom_range"
    if not all(np.isfinite(pair)) or min(pair) < 0 or (positive and min(pair) == 0):
        raise ValueError(f"{name} must be two finite factors {'> 0' if positive else '>= 0'} [lower, upper]. "
                         f"Received: {name}={value!r}")
    return pair


class ImageDataGenerator:
    """Augments and standardizes batches of images (channels last): see Keras's documentation for
    every argument. zca_whitening is computed by fit from an SVD of the whole (flattened) sample,
    which only small images afford. interpolation_order is 0 (nearest) or 1 (bilinear, default)."""

    def __init__(self, featurewise_center=False, samplewise_center=False, featurewise_std_normalization=False,
                 samplewise_std_normalization=False, zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None, shear_range=0.0,
                 zoom_range=0.0, channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype=None):
        if check_data_format(data_format) != "channels_last":
            raise ValueError("fastnn's image pipeline is channels_last (images (height, width, channels)). "
                             f"Received: data_format={data_format!r}")
        self.data_format = "channels_last"
        self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.dtype = np.dtype("float32" if dtype is None else dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64. Received: dtype={dtype!r}")
        if fill_mode not in ("nearest", "constant", "reflect", "wrap"):
            raise ValueError(f'fill_mode must be "nearest", "constant", "reflect" or "wrap". '
                             f"Received: fill_mode={fill_mode!r}")
        if isinstance(interpolation_order, bool) or interpolation_order not in (0, 1):
            raise ValueError("interpolation_order must be 0 (nearest) or 1 (bilinear): fastnn's warp has no "
                             f"higher-order splines. Received: interpolation_order={interpolation_order!r}")
        for name, value in (("rotation_range", rotation_range), ("shear_range", shear_range),
                            ("channel_shift_range", channel_shift_range), ("cval", cval)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ValueError(f"{name} must be a number. Received: {name}={value!r}")
        _spread(rotation_range, "rotation_range", "angles (degrees)")
        _spread(shear_range, "shear_range", "shear angles (degrees)")
        _spread(channel_shift_range, "channel_shift_range", "channel shifts")
        if rescale is not None and (isinstance(rescale, bool) or not isinstance(rescale, numbers.Real)
                                    or not np.isfinite(rescale)):
            raise ValueError(f"rescale must be a finite number or None. Received: rescale={rescale!r}")
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be strictly between 0 and 1. Received: {validation_split}")
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise ValueError(f"preprocessing_function must be callable. Received: {preprocessing_function!r}")
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = _shift_spec(width_shift_range, "width_shift_range")
        self.height_shift_range = _shift_spec(height_shift_range, "height_shift_range")
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.interpolation_order = interpolation_order
        self._validation_split = validation_split
        self.mean = self.std = self.zca_whitening_matrix = None
        if isinstance(zoom_range, numbers.Real) and not isinstance(zoom_range, bool):
            if not 0 <= zoom_range < 1:
                raise ValueError(f"zoom_range as a float must be in [0, 1): zoom factors are drawn from "
                                 f"[1 - zoom_range, 1 + zoom_range], which must stay above 0; for other factors "
                                 f"give a pair [lower, upper]. Received: zoom_range={zoom_range!r}")
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        else:
            self.zoom_range = _factor_pair(zoom_range, "zoom_range")
        self.brightness_range = None if brightness_range is None else _factor_pair(brightness_range,
                                                                                   "brightness_range")
        self._implied("zca_whitening", zca_whitening, featurewise_center, featurewise_std_normalization)
        if featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("ImageDataGenerator: featurewise_std_normalization sets featurewise_center", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("ImageDataGenerator: samplewise_std_normalization sets samplewise_center", stacklevel=2)
        self._warned_unfit = set()

    def _implied(self, name, on, featurewise_center, featurewise_std_normalization):
        if not on:
            return
        if not featurewise_center:
            self.featurewise_center = True
            warnings.warn(f"ImageDataGenerator: {name} sets featurewise_center", stacklevel=3)
        if featurewise_std_normalization:
            self.featurewise_std_normalization = False
            warnings.warn(f"ImageDataGenerator: {name} turns featurewise_std_normalization off", stacklevel=3)

    # iterators ---------------------------------------------------------------------------
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None, save_to_dir=None,
             save_prefix="", save_format="png", ignore_class_split=False, subset=None):
        """An iterator (and Sequence) of augmented batches of the images x (n, height, width, channels)
        with their labels y (and sample_weight)."""
        from .iterators import NumpyArrayIterator

        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                  save_format=save_format, ignore_class_split=ignore_class_split, subset=subset)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            save_prefix="", save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """An iterator (and Sequence) of augmented batches of the images in directory's class folders."""
        from .iterators import DirectoryIterator

        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format,
                                 follow_links=follow_links, subset=subset, interpolation=interpolation,
                                 keep_aspect_ratio=keep_aspect_ratio)

    # random parameters -------------------------------------------------------------------
    def _draw(self, rng, n, img_shape):
        """n images' random parameters as arrays, drawn from rng (np.random or a RandomState) in
        Keras's order; for n = 1 the very draws of Keras's get_random_transform."""
        rows, cols = img_shape[0], img_shape[1]
        zeros = np.zeros(n)
        params = {"theta": rng.uniform(-self.rotation_range, self.rotation_range, n) if self.rotation_range else zeros,
                  "tx": self._shift(rng, self.height_shift_range, n, rows),
                  "ty": self._shift(rng, self.width_shift_range, n, cols),
                  "shear": rng.uniform(-self.shear_range, self.shear_range, n) if self.shear_range else zeros}
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            params["zx"] = params["zy"] = np.ones(n)
        else:
            zoom = rng.uniform(self.zoom_range[0], self.zoom_range[1], (n, 2))
            params["zx"], params["zy"] = zoom[:, 0], zoom[:, 1]
        params["flip_horizontal"] = (rng.random(n) < 0.5) & bool(self.horizontal_flip)
        params["flip_vertical"] = (rng.random(n) < 0.5) & bool(self.vertical_flip)
        params["channel_shift_intensity"] = (rng.uniform(-self.channel_shift_range, self.channel_shift_range, n)
                                             if self.channel_shift_range != 0 else None)
        params["brightness"] = (rng.uniform(self.brightness_range[0], self.brightness_range[1], n)
                                if self.brightness_range is not None else None)
        return params

    @staticmethod
    def _shift(rng, spec, n, size):
        """Shifts in pixels: a fraction of the size (spec < 1), pixels (spec >= 1), or values picked from
        a list (or from range(spec) for an int) with a random sign."""
        if not np.any(spec):
            return np.zeros(n)
        try:
            shifts = rng.choice(spec, n) * rng.choice([-1, 1], n)
        except ValueError:  # a float: uniform in (-spec, spec)
            shifts = rng.uniform(-spec, spec, n)
        if np.max(spec) < 1:
            shifts = shifts * size
        return shifts

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image (a dict of theta, tx, ty, shear, zx, zy, flip_horizontal,
        flip_vertical, channel_shift_intensity, brightness), drawn from NumPy's global random state,
        or from RandomState(seed) when seed is given."""
        rng = np.random if seed is None else np.random.RandomState(seed)
        return {name: None if value is None else value[0].item() for name, value in
                self._draw(rng, 1, img_shape).items()}

    # applying them -----------------------------------------------------------------------
    def _matrices(self, params, h, w):
        """(n, 2, 3) matrices and whether any image is warped at all."""
        n = len(params["theta"])
        matrices, warped = np.empty((n, 2, 3)), False
        for k in range(n):
            m = transform_matrix(params["theta"][k], params["tx"][k], params["ty"][k], params["shear"][k],
                                 params["zx"][k], params["zy"][k], h, w)
            warped = warped or m is not None
            matrices[k] = IDENTITY if m is None else m
        return matrices, warped

    def _apply_batch(self, images, params, dtype=None):
        """The images (n, h, w, c) transformed by params (as _draw makes them), as dtype (default
        self.dtype)."""
        dtype = self.dtype if dtype is None else dtype
        images = np.asarray(images)
        if images.ndim != 4:
            raise ValueError(f"ImageDataGenerator: expected a batch of images (n, height, width, channels). "
                             f"Received shape {images.shape}")
        n, h, w, _ = images.shape
        matrices, warped = self._matrices(params, h, w)
        flips = np.stack([params["flip_horizontal"], params["flip_vertical"]], axis=1).astype(bool)
        if warped or flips.any():
            out = kernels.affine_transform(images, matrices, flips, order=self.interpolation_order,
                                           fill_mode=self.fill_mode, cval=self.cval, dtype=dtype)
        else:
            out = images.astype(dtype)
        if params["channel_shift_intensity"] is not None:
            for k in range(n):
                out[k] = np.clip(out[k] + float(params["channel_shift_intensity"][k]), out[k].min(), out[k].max())
        if params["brightness"] is not None:
            for k in range(n):
                out[k] = apply_brightness_shift(out[k], float(params["brightness"][k]), False)
        return out

    def apply_transform(self, x, transform_parameters):
        """One image (height, width, channels) transformed by a dict of parameters (those of
        get_random_transform; missing ones mean no change)."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"apply_transform takes one image (height, width, channels). Received shape {x.shape}")
        defaults = {"theta": 0, "tx": 0, "ty": 0, "shear": 0, "zx": 1, "zy": 1, "flip_horizontal": False,
                    "flip_vertical": False, "channel_shift_intensity": None, "brightness": None}
        given = {**defaults, **transform_parameters}
        params = {k: (None if v is None else np.array([v])) for k, v in given.items() if k in defaults}
        matrices, warped = self._matrices(params, x.shape[0], x.shape[1])
        if not warped and not given["flip_horizontal"] and not given["flip_vertical"] \
                and given["channel_shift_intensity"] is None and given["brightness"] is None:
            return x
        return self._apply_batch(x[None], params, np.float64 if x.dtype == np.float64 else np.float32)[0]

    def random_transform(self, x, seed=None):
        """One image with random augmentation (Keras's result for the same seed)."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    # standardization ---------------------------------------------------------------------
    def _unfit(self, name):
        if name not in self._warned_unfit:
            self._warned_unfit.add(name)
            warnings.warn(f"This ImageDataGenerator specifies {name}, but it has not been fit on any training "
                          "data: call .fit(numpy_data) first", stacklevel=4)

    def _normalize(self, x, sample_axes):
        """x rescaled and normalized in place (Keras's order); samplewise statistics over sample_axes."""
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, axis=sample_axes, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=sample_axes, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is None:
                self._unfit("featurewise_center")
            else:
                x -= self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                self._unfit("featurewise_std_normalization")
            else:
                x /= self.std + 1e-6
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                self._unfit("zca_whitening")
            else:
                flat = x.reshape(-1, int(np.prod(x.shape[-3:])))
                x = (flat @ self.zca_whitening_matrix).reshape(x.shape).astype(x.dtype, copy=False)
        return x

    def standardize(self, x):
        """x (an image or a batch) through preprocessing_function, rescale and the normalizations, as
        Keras applies them: in place where x is a float array, the samplewise statistics over all of x."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        return self._normalize(x, None)

    def _standardize_batch(self, batch):
        """A batch standardized image by image (preprocessing_function gets one image at a time)."""
        if self.preprocessing_function:
            for k in range(len(batch)):
                image = np.asarray(self.preprocessing_function(batch[k]))
                if image.shape != batch.shape[1:]:
                    raise ValueError(f"preprocessing_function must return an image of the shape it was given, "
                                     f"{batch.shape[1:]}. It returned shape {image.shape}")
                batch[k] = image
        return self._normalize(batch, (1, 2, 3))

    def transform_batch(self, images, rng):
        """Augmented and standardized copies of a batch of images, its random parameters from rng."""
        return self._standardize_batch(self._apply_batch(images, self._draw(rng, len(images), np.shape(images)[1:])))

    # statistics --------------------------------------------------------------------------
    def fit(self, x, augment=False, rounds=1, seed=None):
        """Computes the featurewise mean and std (and the ZCA matrix) of sample images x (n, height,
        width, channels), after rescale (and augmentation, `rounds` times, with augment=True)."""
        x = np.array(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to .fit() should have rank 4. Got array with shape: {x.shape}")
        if x.shape[3] not in (1, 3, 4):
            warnings.warn(f"ImageDataGenerator.fit: expected images with 1, 3 or 4 channels on axis 3; received "
                          f"shape {x.shape} ({x.shape[3]} channels)", stacklevel=2)
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = np.random if seed is None else np.random.RandomState(seed)
            x = np.concatenate([self._apply_batch(x, self._draw(rng, len(x), x.shape[1:])) for _ in range(rounds)])
        if self.featurewise_center:
            self.mean = np.mean(x, axis=(0, 1, 2)).reshape(1, 1, x.shape[3])
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=(0, 1, 2)).reshape(1, 1, x.shape[3])
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = x.reshape(len(x), -1)
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            scale = np.sqrt(len(x)) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * scale).dot(u.T)
