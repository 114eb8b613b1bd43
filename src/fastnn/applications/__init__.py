"""ImageNet architectures with Keras's layer names and weight layouts (keras.applications)."""
from . import imagenet_utils, inception_v3, mobilenet, resnet50, vgg16, vgg19, xception
from .inception_v3 import InceptionV3
from .mobilenet import MobileNet
from .resnet50 import ResNet50
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception

__all__ = ["InceptionV3", "MobileNet", "ResNet50", "VGG16", "VGG19", "Xception", "imagenet_utils", "inception_v3",
           "mobilenet", "resnet50", "vgg16", "vgg19", "xception"]
