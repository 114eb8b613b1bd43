"""keras.preprocessing.image for fastnn: image files to arrays (Pillow, the optional extra
`pip install "fastnn[image]"`), ImageDataGenerator's augmentation on the affine_transform kernel,
and its iterators over arrays and over folders of image files."""
from .affine import (apply_affine_transform, apply_brightness_shift, apply_channel_shift, flip_axis,
                     transform_matrix)
from .files import array_to_img, img_to_array, load_img, save_img
from .generator import ImageDataGenerator
from .iterators import DirectoryIterator, Iterator, NumpyArrayIterator

__all__ = ["DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator", "apply_affine_transform",
           "apply_brightness_shift", "apply_channel_shift", "array_to_img", "flip_axis", "img_to_array", "load_img",
           "save_img", "transform_matrix"]
