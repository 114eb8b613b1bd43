"""ImageNet architectures with Keras's layer names and weight layouts (keras.applications)."""
from . import imagenet_utils, mobilenet, vgg16, vgg19
from .mobilenet import MobileNet
from .vgg16 import VGG16
from .vgg19 import VGG19

__all__ = ["MobileNet", "VGG16", "VGG19", "imagenet_utils", "mobilenet", "vgg16", "vgg19"]
