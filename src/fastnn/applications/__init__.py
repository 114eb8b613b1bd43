"""ImageNet architectures with Keras's layer names and weight layouts (keras.applications)."""
from . import imagenet_utils, mobilenet, resnet50, vgg16, vgg19
from .mobilenet import MobileNet
from .resnet50 import ResNet50
from .vgg16 import VGG16
from .vgg19 import VGG19

__all__ = ["MobileNet", "ResNet50", "VGG16", "VGG19", "imagenet_utils", "mobilenet", "resnet50", "vgg16", "vgg19"]
