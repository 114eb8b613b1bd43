"""Inception v3 (Szegedy et al., 2015) as keras.applications.inception_v3 builds it: a stem of
unpadded 3x3 convolutions and max poolings, then eleven "mixed" blocks of parallel towers
(1x1, 5x5 or factorized 7x7 and 3x3 convolutions, and a pooling branch) joined along the
channels. Every convolution is conv2d_bn: Conv2D without bias, BatchNormalization without scale,
ReLU; those layers are unnamed, so they take Keras's numbered names (conv2d, conv2d_1, ...)."""
from .. import layers
from . import imagenet_utils
from ._keras_order import later, make, start

WEIGHT_FILES = (("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
                ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", "bcbd6486424b2319ff4ef7d526e38f63"))


def conv2d_bn(x, filters, rows, cols, padding="same", strides=(1, 1), name=None):
    """Conv2D (no bias) -> BatchNormalization (no scale) -> ReLU, named name_conv, name_bn, name."""
    x = later(layers.Conv2D(filters, (rows, cols), strides=strides, padding=padding, use_bias=False,
                            name=None if name is None else f"{name}_conv"), x)
    x = later(layers.BatchNormalization(scale=False, name=None if name is None else f"{name}_bn"), x)
    return later(layers.Activation("relu", name=name), x)


def _pool_branch(x, filters):
    x = later(layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same"), x)
    return conv2d_bn(x, filters, 1, 1)


def _mixed_35(x, pool_filters, name):
    """35x35 block: 1x1, 5x5 and double-3x3 towers and an average-pooling branch."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _pool_branch(x, pool_filters)
    return later(layers.Concatenate(name=name), [branch1x1, branch5x5, branch3x3dbl, branch_pool])


def _reduction_35_to_17(x):
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = later(layers.MaxPooling2D((3, 3), strides=(2, 2)), x)
    return later(layers.Concatenate(name="mixed3"), [branch3x3, branch3x3dbl, branch_pool])


def _mixed_17(x, width, name):
    """17x17 block: 1x1, factorized 7x7 (1x7 then 7x1) and double-7x7 towers of `width`
    channels inside, and an average-pooling branch."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(conv2d_bn(conv2d_bn(x, width, 1, 1), width, 1, 7), 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, width, 1, 1)
    for rows, cols in ((7, 1), (1, 7), (7, 1)):
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, rows, cols)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _pool_branch(x, 192)
    return later(layers.Concatenate(name=name), [branch1x1, branch7x7, branch7x7dbl, branch_pool])


def _reduction_17_to_8(x):
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(conv2d_bn(conv2d_bn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = later(layers.MaxPooling2D((3, 3), strides=(2, 2)), x)
    return later(layers.Concatenate(name="mixed8"), [branch3x3, branch7x7x3, branch_pool])


def _mixed_8(x, i):
    """8x8 block: 1x1, a 3x3 tower split into 1x3 and 3x1, the same after a 3x3, and pooling."""
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3 = later(layers.Concatenate(name=f"mixed9_{i}"),
                      [conv2d_bn(branch3x3, 384, 1, 3), conv2d_bn(branch3x3, 384, 3, 1)])
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = later(layers.Concatenate(),
                         [conv2d_bn(branch3x3dbl, 384, 1, 3), conv2d_bn(branch3x3dbl, 384, 3, 1)])
    branch_pool = _pool_branch(x, 192)
    return later(layers.Concatenate(name=f"mixed{9 + i}"), [branch1x1, branch3x3, branch3x3dbl, branch_pool])


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                classes=1000, classifier_activation="softmax", name="inception_v3"):
    """The Inception v3 model with Keras's layer names (mixed0 ... mixed10 for the blocks, avg_pool,
    predictions, numbered conv2d / batch_normalization / activation layers inside). Inputs are
    299x299 by default and at least 75x75. weights: None, 'imagenet' (downloaded once into
    ~/.fastnn/models) or a weight file's path. Expects inputs from `preprocess_input`."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=299, min_size=75,
                                                    require_flatten=include_top, weights=weights)
    tensor, inputs = imagenet_utils.model_input(input_tensor, input_shape)
    x = conv2d_bn(start(tensor), 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = later(layers.MaxPooling2D((3, 3), strides=(2, 2)), x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = later(layers.MaxPooling2D((3, 3), strides=(2, 2)), x)
    for i, pool_filters in enumerate((32, 64, 64)):
        x = _mixed_35(x, pool_filters, f"mixed{i}")
    x = _reduction_35_to_17(x)
    for i, width in enumerate((128, 160, 160, 192), start=4):
        x = _mixed_17(x, width, f"mixed{i}")
    x = _reduction_17_to_8(x)
    for i in range(2):
        x = _mixed_8(x, i)
    x = make(x)
    if include_top:
        x = imagenet_utils.pooled_classifier(x, classes, classifier_activation, weights)
    else:
        x = imagenet_utils.pooled(x, pooling)
    return imagenet_utils.finished_model(inputs, x, name, weights, WEIGHT_FILES, include_top, "inception_v3/")


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to Inception v3's inputs in [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as (class_name, description, score)."""
    return imagenet_utils.decode_predictions(preds, top=top)
