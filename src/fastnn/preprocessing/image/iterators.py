"""The iterators of ImageDataGenerator.flow and flow_from_directory.

Each is a Sequence (batch i by index, len batches a pass, a new shuffle after each pass) and an
endless iterator as Keras's are (`next(it)` walks the passes one after another). A batch depends
only on the iterator's seed, its pass and its index: batch i of pass p is the same whichever
thread makes it and in whatever order, so fit's background workers change no result.
"""
import numbers
import os
import threading
import warnings

import numpy as np

from ...utils.random import generator
from ...utils.sequence import Sequence
from .files import CHANNELS, array_to_img, check_color_mode, check_interpolation, check_size, load_batch
from .folders import index_class_folders, no_images_error

WHITE_LIST_FORMATS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


class Iterator(Sequence):
    """n samples in batches of batch_size, shuffled anew each pass when shuffle (from seed; without
    a seed, from one drawn from fastnn's generator, so set_random_seed makes runs repeat).
    Subclasses define _get_batches_of_transformed_samples(index_array, rng)."""

    white_list_formats = WHITE_LIST_FORMATS

    def __init__(self, n, batch_size, shuffle, seed, workers=1, max_queue_size=10):
        super().__init__(workers=workers, max_queue_size=max_queue_size)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None. Received: seed={seed!r}")
        self.n = n
        self.batch_size = _check_batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self._seed = int(seed) if seed is not None else int(generator().integers(2**32))
        self.epoch = 0  # passes completed (on_epoch_end calls, or ends of passes of next())
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None

    def _set_index_array(self):
        self.index_array = (np.random.RandomState([self._seed % 2**32, self.epoch, 0]).permutation(self.n)
                            if self.shuffle else np.arange(self.n))

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def _batch_rng(self, epoch, index):
        return np.random.RandomState([self._seed % 2**32, epoch, index + 1])

    def __getitem__(self, idx):
        if isinstance(idx, bool) or not isinstance(idx, numbers.Integral) or not 0 <= idx < len(self):
            raise ValueError(f"Asked to retrieve element {idx!r}, but the Sequence has length {len(self)}")
        with self.lock:
            if self.index_array is None:
                self._set_index_array()
            indices, epoch = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)], self.epoch
            self.total_batches_seen += 1
        return self._get_batches_of_transformed_samples(indices, self._batch_rng(epoch, idx))

    def on_epoch_end(self):
        with self.lock:
            self.epoch += 1
            self._set_index_array()

    def reset(self):
        """Makes next() start a pass from its first batch."""
        self.batch_index = 0

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            if self.batch_index == 0:
                if self.total_batches_seen:
                    self.epoch += 1
                self._set_index_array()
            idx, epoch = self.batch_index, self.epoch
            indices = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
            self.batch_index = idx + 1 if self.batch_size * (idx + 1) < self.n else 0
            self.total_batches_seen += 1
        return self._get_batches_of_transformed_samples(indices, self._batch_rng(epoch, idx))

    def _get_batches_of_transformed_samples(self, index_array, rng):
        raise NotImplementedError

    def _save(self, batch_x, index_array, rng):
        """Writes the batch's images to save_to_dir (viewable, scaled to [0, 255])."""
        for image, j in zip(batch_x, index_array):
            name = f"{self.save_prefix}_{j}_{rng.randint(10**7)}.{self.save_format}"
            array_to_img(image, scale=True).save(os.path.join(self.save_to_dir, name))


class NumpyArrayIterator(Iterator):
    """Batches of images x (n, height, width, channels) augmented by image_data_generator, with y
    and sample_weight as given. x may be a tuple (images, other array or list of arrays): the other
    arrays are passed along, batch by batch, unchanged."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False, sample_weight=None, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png", subset=None,
                 ignore_class_split=False, dtype=None, workers=1, max_queue_size=10):
        self.x_misc = []
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError("flow: a tuple x is (images, other arrays). Received a tuple of length "
                                 f"{len(x)}")
            self.x_misc = [np.asarray(a) for a in (x[1] if isinstance(x[1], list) else [x[1]])]
            x = x[0]
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"flow: x must be images of rank 4 (n, height, width, channels). "
                             f"Received an array with shape {x.shape}")
        if x.dtype.kind not in "biuf":
            raise TypeError(f"flow: x must hold numbers. Received dtype {x.dtype}")
        if len(x) == 0:
            raise ValueError("flow: x holds no images")
        for name, other in (("y", y), ("sample_weight", sample_weight)):
            if other is not None and len(other) != len(x):
                raise ValueError(f"flow: x (images) and {name} should have the same length. Found: "
                                 f"x.shape = {x.shape}, {name}.shape = {np.shape(other)}")
        for other in self.x_misc:
            if len(other) != len(x):
                raise ValueError(f"flow: all the arrays in x should have the same length. Found {len(x)} images "
                                 f"and an array of length {len(other)}")
        y = None if y is None else np.asarray(y)
        sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f'Invalid subset name: {subset!r}; expected "training" or "validation"')
            split = int(len(x) * image_data_generator._validation_split)
            if y is not None and not ignore_class_split and not np.array_equal(np.unique(y[:split]),
                                                                              np.unique(y[split:])):
                raise ValueError("Training and validation subsets have different classes after the split. "
                                 "If your arrays are sorted by label, shuffle them first "
                                 "(or pass ignore_class_split=True).")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            total, x, self.x_misc = len(x), x[part], [a[part] for a in self.x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
            if len(x) == 0:
                raise ValueError(f"flow: the {subset} subset of {total} images is empty "
                                 f"(validation_split={image_data_generator._validation_split})")
        if x.shape[3] not in (1, 3, 4):
            warnings.warn(f"flow: expected images with 1, 3 or 4 channels on axis 3; received shape {x.shape}",
                          stacklevel=3)
        self.dtype = image_data_generator.dtype if dtype is None else np.dtype(dtype)
        self.x = x if x.dtype in (np.uint8, np.float32, np.float64) else x.astype(self.dtype)
        self.y, self.sample_weight = y, sample_weight
        self.image_data_generator = image_data_generator
        self.data_format = "channels_last"
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(len(x), batch_size, shuffle, seed, workers, max_queue_size)

    def _get_batches_of_transformed_samples(self, index_array, rng):
        batch_x = self.image_data_generator.transform_batch(self.x[index_array], rng)
        if self.save_to_dir:
            self._save(batch_x, index_array, rng)
        misc = [a[index_array] for a in self.x_misc]
        inputs = batch_x if not misc else [batch_x] + misc
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


class DirectoryIterator(Iterator):
    """Batches of the images in directory's class folders (one subfolder per class), loaded with
    Pillow at target_size and augmented by image_data_generator. Labels by class_mode: 'categorical'
    (one-hot), 'binary' and 'sparse' (the class index, as a float), 'input' (the images themselves)
    or None (images only).

    Files are listed by extension; a listed file that is not a readable image (or is truncated)
    raises ValueError naming it when its batch is loaded."""

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb", classes=None,
                 class_mode="categorical", batch_size=32, shuffle=True, seed=None, data_format=None,
                 save_to_dir=None, save_prefix="", save_format="png", follow_links=False, subset=None,
                 interpolation="nearest", keep_aspect_ratio=False, dtype=None, workers=1, max_queue_size=10):
        self.target_size = check_size(target_size)
        self.color_mode = check_color_mode(color_mode)
        self.interpolation = check_interpolation(interpolation)
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {class_mode!r}; expected one of: "
                             f"{', '.join(repr(m) for m in self.allowed_class_modes)}")
        split = None
        if subset is not None:
            fraction = image_data_generator._validation_split if image_data_generator is not None else 0
            if subset not in ("training", "validation"):
                raise ValueError(f'Invalid subset name: {subset!r}; expected "training" or "validation"')
            if not fraction:
                raise ValueError(f"subset={subset!r} needs an ImageDataGenerator with a validation_split")
            split = (0, fraction) if subset == "validation" else (fraction, 1)
        self.directory, self.class_mode, self.keep_aspect_ratio = directory, class_mode, keep_aspect_ratio
        self.image_data_generator = image_data_generator
        self.dtype = np.dtype(dtype) if dtype is not None else (
            image_data_generator.dtype if image_data_generator is not None else np.dtype(np.float32))
        self.data_format, self.subset, self.split = "channels_last", subset, split
        self.image_shape = self.target_size + (CHANNELS[self.color_mode],)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        extensions = tuple("." + e for e in self.white_list_formats)
        names, self.filenames, labels = index_class_folders(directory, classes, extensions, follow_links, split)
        self.class_indices = {name: i for i, name in enumerate(names)}
        self.num_classes = len(names)
        self.classes = np.array(labels, dtype=np.int32)
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        if self.samples == 0:
            raise no_images_error(directory, extensions, follow_links=follow_links)
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed, workers, max_queue_size)

    @property
    def filepaths(self):
        return self._filepaths

    @property
    def labels(self):
        return self.classes

    @property
    def sample_weight(self):
        return None

    def _get_batches_of_transformed_samples(self, index_array, rng):
        images = load_batch([self._filepaths[j] for j in index_array], self.color_mode, self.target_size,
                            self.interpolation, self.keep_aspect_ratio)
        if self.image_data_generator is not None:
            batch_x = self.image_data_generator.transform_batch(images, rng)
        else:
            batch_x = images.astype(self.dtype)
        if self.save_to_dir:
            self._save(batch_x, index_array, rng)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(index_array), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(index_array)), self.classes[index_array]] = 1.0
            return batch_x, batch_y
        return batch_x
