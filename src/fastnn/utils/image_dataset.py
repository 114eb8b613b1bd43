"""image_dataset_from_directory: Keras's dataset of images from class folders, as NumPy batches.

Keras returns a tf.data.Dataset; fastnn returns an ImageDataset, a Sequence that fit, evaluate
and predict take directly and that yields (images, labels) NumPy batches: images float32
(batch, height, width, channels) with values 0-255, labels as label_mode asks. The files are
listed, shuffled (with seed) and split as Keras does, so the same files land in the same subset;
images are resized with Pillow, whose resampling differs slightly from TensorFlow's.
"""
import math
import numbers
import os

import numpy as np

from ..preprocessing.image.files import CHANNELS, check_color_mode, check_size, load_img, pillow
from ..preprocessing.image.folders import image_files, index_class_folders, no_images_error
from .sequence import Sequence

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# Keras's interpolation names, as Pillow's resampling filters (None: Pillow has no such filter).
RESAMPLING = {"bilinear": "BILINEAR", "nearest": "NEAREST", "bicubic": "BICUBIC", "area": "BOX",
              "lanczos3": "LANCZOS", "lanczos5": "LANCZOS", "gaussian": None, "mitchellcubic": None}


def _check_split(validation_split, subset, shuffle, seed):
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be between 0 and 1. Received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If subset is set, validation_split must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'subset must be "training", "validation" or "both". Received: subset={subset!r}')
    if validation_split and shuffle and seed is None:
        raise ValueError("With validation_split and shuffle=True, give a seed: it makes the training and "
                         "validation subsets the same split of the files (no overlap)")


def _split(paths, labels, validation_split, subset):
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - count} files for training.")
        part = slice(None, len(paths) - count)
    else:
        print(f"Using {count} files for validation.")
        part = slice(len(paths) - count, None)
    return paths[part], None if labels is None else labels[part]


class ImageDataset(Sequence):
    """Batches of the images at file_paths with their labels, shuffled anew each pass when
    shuffle. class_names and file_paths are Keras's attributes."""

    def __init__(self, file_paths, labels, label_mode, class_names, color_mode, batch_size, image_size, shuffle,
                 seed, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, workers=1, max_queue_size=10):
        super().__init__(workers=workers, max_queue_size=max_queue_size)
        self.file_paths, self.labels, self.label_mode = list(file_paths), labels, label_mode
        self.class_names, self.color_mode = class_names, color_mode
        self.batch_size, self.image_size, self.shuffle, self.seed = batch_size, image_size, shuffle, seed
        self.interpolation = interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.epoch = 0
        self._order = self._pass_order()

    def _pass_order(self):
        n = len(self.file_paths)
        return np.random.RandomState([self.seed, self.epoch]).permutation(n) if self.shuffle else np.arange(n)

    def __len__(self):
        return len(self.file_paths) if self.batch_size is None else math.ceil(len(self.file_paths) / self.batch_size)

    def on_epoch_end(self):
        self.epoch += 1
        self._order = self._pass_order()

    def _image(self, path):
        img = load_img(path, color_mode=self.color_mode)
        height, width = self.image_size
        resample = getattr(getattr(pillow(), "Resampling", pillow()), RESAMPLING[self.interpolation])
        w, h = img.size
        if self.crop_to_aspect_ratio:  # the largest centred window of the target's aspect ratio
            crop_h = max(min(h, int(float(w * height) / width)), 1)
            crop_w = max(min(w, int(float(h * width) / height)), 1)
            top, left = int(float(h - crop_h) / 2), int(float(w - crop_w) / 2)
            img = img.resize((width, height), resample, box=(left, top, left + crop_w, top + crop_h))
        elif self.pad_to_aspect_ratio:  # the whole image, scaled to fit, centred on black
            scale = min(width / w, height / h)
            inner_w, inner_h = max(1, round(w * scale)), max(1, round(h * scale))
            canvas = pillow().new(img.mode, (width, height))
            canvas.paste(img.resize((inner_w, inner_h), resample), ((width - inner_w) // 2, (height - inner_h) // 2))
            img = canvas
        elif img.size != (width, height):
            img = img.resize((width, height), resample)
        a = np.asarray(img, dtype=np.float32)
        img.close()
        return a[:, :, None] if a.ndim == 2 else a

    def _labels(self, picked):
        labels = self.labels[picked]
        if self.label_mode == "int":
            return labels.astype(np.int32)
        if self.label_mode == "binary":
            return labels.astype(np.float32).reshape(-1, 1)
        one_hot = np.zeros((len(picked), len(self.class_names)), np.float32)
        one_hot[np.arange(len(picked)), labels] = 1.0
        return one_hot

    def __getitem__(self, index):
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < len(self):
            raise IndexError(f"ImageDataset has {len(self)} batches; index {index!r} is out of range")
        if self.batch_size is None:
            picked = self._order[index:index + 1]
        else:
            picked = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        images = np.stack([self._image(self.file_paths[j]) for j in picked])
        if self.label_mode is None:
            return images[0] if self.batch_size is None else images
        labels = self._labels(picked)
        return (images[0], labels[0]) if self.batch_size is None else (images, labels)


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False, data_format=None,
                                 verbose=True):
    """An ImageDataset of the image files in directory (.bmp, .gif, .jpeg, .jpg, .png): labels
    'inferred' from the class subfolders (or a list, one per file in sorted order, or None),
    label_mode 'int', 'categorical', 'binary' or None. With subset='both', a (training,
    validation) pair."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f'labels must be "inferred", None, or a list/tuple of integer labels, one per image '
                             f"file. Received: labels={labels!r}")
        if class_names:
            raise ValueError(f'class_names can only be given with labels="inferred". Received: labels={labels!r}, '
                             f"class_names={class_names!r}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'label_mode must be "int", "categorical", "binary" or None. '
                         f"Received: label_mode={label_mode!r}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    check_color_mode(color_mode)
    if isinstance(image_size, numbers.Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    image_size = check_size(image_size, "image_size")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                   or batch_size <= 0):
        raise ValueError(f"batch_size must be a positive integer or None. Received: batch_size={batch_size!r}")
    interpolation = interpolation.lower() if isinstance(interpolation, str) else interpolation
    if interpolation not in RESAMPLING:
        raise ValueError(f"interpolation must be one of {', '.join(RESAMPLING)}. Received: {interpolation!r}")
    if RESAMPLING[interpolation] is None:
        raise ValueError(f"interpolation={interpolation!r} has no Pillow filter in fastnn; use bilinear, nearest, "
                         "bicubic, area or lanczos3")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of pad_to_aspect_ratio and crop_to_aspect_ratio can be True.")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"fastnn's images are channels_last. Received: data_format={data_format!r}")
    _check_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1e6))
    by_class = isinstance(labels, str) and labels == "inferred"
    if by_class:
        class_names, filenames, found = index_class_folders(directory, class_names, ALLOWLIST_FORMATS, follow_links,
                                                            skip_hidden=True, argument="class_names")
        labels = np.array(found, dtype=np.int32)
    else:
        filenames = image_files(directory, ALLOWLIST_FORMATS, follow_links)
        if labels is not None:
            if len(labels) != len(filenames):
                raise ValueError(f"Expected the lengths of labels to match the number of files in the target "
                                 f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files "
                                 f"in directory {os.fspath(directory)!r}.")
            class_names = [str(label) for label in sorted(set(labels))]
            labels = np.asarray(labels)
        else:
            class_names = None
    if verbose:
        print(f"Found {len(filenames)} files." if labels is None
              else f"Found {len(filenames)} files belonging to {len(class_names)} classes.")
    if not filenames:
        raise no_images_error(directory, ALLOWLIST_FORMATS, "image files", follow_links, by_class)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f'label_mode="binary" needs exactly 2 classes. Received: class_names={class_names}')
    paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)

    def dataset(part_paths, part_labels, part_shuffle):
        if not part_paths:
            raise ValueError(f"No images found in directory {os.fspath(directory)!r} for this subset "
                             f"(validation_split={validation_split})")
        return ImageDataset(part_paths, part_labels, label_mode, class_names, color_mode, batch_size, image_size,
                            part_shuffle, seed, interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio)

    if subset == "both":
        train = dataset(*_split(paths, labels, validation_split, "training"), shuffle)
        validation = dataset(*_split(paths, labels, validation_split, "validation"), False)
        return train, validation
    return dataset(*_split(paths, labels, validation_split, subset), shuffle)
