"""Xception (Chollet, 2016) as keras.applications.xception builds it: two plain 3x3
convolutions, then blocks of depthwise-separable convolutions with residual connections: three
entry blocks that halve the size (their shortcuts a strided 1x1 convolution), eight middle
blocks of 728 channels, an exit block, and two wide separable convolutions. The shortcut
convolutions and their batch normalizations are unnamed, so they take Keras's numbered names
(conv2d, batch_normalization, add, ...)."""
from .. import layers
from . import imagenet_utils
from ._keras_order import later, make, start

WEIGHT_FILES = (("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
                ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"))


def _conv_bn_relu(x, filters, strides, name):
    x = later(layers.Conv2D(filters, (3, 3), strides=strides, use_bias=False, name=name), x)
    x = later(layers.BatchNormalization(name=f"{name}_bn"), x)
    return later(layers.Activation("relu", name=f"{name}_act"), x)


def _separable_bn(x, filters, name):
    x = later(layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name), x)
    return later(layers.BatchNormalization(name=f"{name}_bn"), x)


def _shortcut(x, filters):
    x = later(layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False), x)
    return later(layers.BatchNormalization(), x)


def _downsampling_block(x, filters, block, relu_first=True):
    """Two separable convolutions (`filters` = (first, second)) and a strided 3x3 max pooling,
    added to a strided 1x1 convolution of the block's input."""
    residual = _shortcut(x, filters[1])
    prefix = f"block{block}"
    if relu_first:
        x = later(layers.Activation("relu", name=f"{prefix}_sepconv1_act"), x)
    x = _separable_bn(x, filters[0], f"{prefix}_sepconv1")
    x = later(layers.Activation("relu", name=f"{prefix}_sepconv2_act"), x)
    x = _separable_bn(x, filters[1], f"{prefix}_sepconv2")
    x = later(layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"{prefix}_pool"), x)
    return later(layers.Add(), [x, residual])


def _middle_block(x, block):
    residual = x
    for conv in (1, 2, 3):
        name = f"block{block}_sepconv{conv}"
        x = later(layers.Activation("relu", name=f"{name}_act"), x)
        x = _separable_bn(x, 728, name)
    return later(layers.Add(), [x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="xception"):
    """The Xception model with Keras's layer names (block1_conv1 ... block14_sepconv2_act, avg_pool,
    predictions). Inputs are 299x299 by default and at least 71x71. weights: None, 'imagenet'
    (downloaded once into ~/.fastnn/models) or a weight file's path. Expects inputs from
    `preprocess_input`."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=71,
                                                    require_flatten=include_top, weights=weights)
    tensor, inputs = imagenet_utils.model_input(input_tensor, input_shape)
    x = _conv_bn_relu(start(tensor), 32, (2, 2), "block1_conv1")
    x = _conv_bn_relu(x, 64, (1, 1), "block1_conv2")
    x = _downsampling_block(x, (128, 128), 2, relu_first=False)
    x = _downsampling_block(x, (256, 256), 3)
    x = _downsampling_block(x, (728, 728), 4)
    for block in range(5, 13):
        x = _middle_block(x, block)
    x = _downsampling_block(x, (728, 1024), 13)
    for conv, filters in ((1, 1536), (2, 2048)):
        x = _separable_bn(x, filters, f"block14_sepconv{conv}")
        x = later(layers.Activation("relu", name=f"block14_sepconv{conv}_act"), x)
    x = make(x)
    if include_top:
        x = imagenet_utils.pooled_classifier(x, classes, classifier_activation, weights)
    else:
        x = imagenet_utils.pooled(x, pooling)
    return imagenet_utils.finished_model(inputs, x, name, weights, WEIGHT_FILES, include_top, "xception/")


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to Xception's inputs in [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as (class_name, description, score)."""
    return imagenet_utils.decode_predictions(preds, top=top)
