"""VGG16: thirteen 3x3 convolutions in five blocks, as keras.applications.vgg16."""
from . import _vgg, imagenet_utils

WEIGHT_FILES = (("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
                ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"))


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """The VGG16 model, its layers named as Keras's (block1_conv1 ... block5_pool, flatten, fc1,
    fc2, predictions). weights: None, 'imagenet' (downloaded once into ~/.fastnn/models) or the
    path of a weight file (Keras's published .h5 files among them). Without the top,
    pooling=None|'avg'|'max' sets the output. Expects inputs from `preprocess_input`."""
    return _vgg.build((2, 2, 3, 3, 3), name, include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, WEIGHT_FILES)


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to VGG16's inputs: BGR with ImageNet's channel means subtracted."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as (class_name, description, score)."""
    return imagenet_utils.decode_predictions(preds, top=top)
