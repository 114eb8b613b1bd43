"""VGG19: sixteen 3x3 convolutions in five blocks, as keras.applications.vgg19."""
from . import _vgg, imagenet_utils

WEIGHT_FILES = (("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
                ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"))


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19"):
    """The VGG19 model, its layers named as Keras's (block1_conv1 ... block5_pool, flatten, fc1,
    fc2, predictions). weights: None, 'imagenet' (downloaded once into ~/.fastnn/models) or the
    path of a weight file (Keras's published .h5 files among them). Without the top,
    pooling=None|'avg'|'max' sets the output. Expects inputs from `preprocess_input`."""
    return _vgg.build((2, 2, 4, 4, 4), name, include_top, weights, input_tensor, input_shape, pooling, classes,
                      classifier_activation, WEIGHT_FILES)


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to VGG19's inputs: BGR with ImageNet's channel means subtracted."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as (class_name, description, score)."""
    return imagenet_utils.decode_predictions(preds, top=top)
