"""MobileNet (Howard et al., 2017) as keras.applications.mobilenet builds it: a strided 3x3
convolution, then thirteen depthwise-separable blocks (3x3 depthwise, 1x1 pointwise, each followed
by BatchNormalization and ReLU(6.)), widths scaled by `alpha`."""
import warnings

from .. import layers
from ..models import Model
from . import imagenet_utils

IMAGENET_SIZES = (128, 160, 192, 224)
IMAGENET_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}
# (pointwise filters, strides) of blocks 1..13
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
          (512, 1), (1024, 2), (1024, 1))


def _conv_block(x, filters, alpha):
    x = layers.Conv2D(int(filters * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(x)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_block(x, filters, alpha, depth_multiplier, strides, block_id):
    if strides != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == 1 else "valid", depth_multiplier=depth_multiplier,
                               strides=(strides, strides), use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False, name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True, weights="imagenet",
              input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax", name=None):
    """The MobileNet model with Keras's layer names (conv1, conv_dw_1 ... conv_pw_13_relu,
    conv_preds, predictions). weights: None, 'imagenet' (alpha 0.25/0.5/0.75/1.0, depth_multiplier 1,
    sides 128/160/192/224) or a weight file's path. Expects inputs from `preprocess_input`."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    default_size = 224
    if input_shape is not None and input_shape[0] == input_shape[1] and input_shape[0] in IMAGENET_SIZES:
        default_size = input_shape[0]
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    require_flatten=include_top, weights=weights)
    rows, cols = input_shape[0], input_shape[1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be 1. "
                             f"Received depth_multiplier={depth_multiplier}")
        if alpha not in IMAGENET_ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.25`, `0.50`, `0.75` or "
                             f"`1.0` only. Received alpha={alpha}")
        if rows != cols or rows not in IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in [128, 160, 192, 224]. "
                          "Weights for input shape (224, 224) will be loaded as the default.", stacklevel=2)
    x, inputs = imagenet_utils.model_input(input_tensor, input_shape)
    x = _conv_block(x, 32, alpha)
    for block_id, (filters, strides) in enumerate(BLOCKS, start=1):
        x = _depthwise_block(x, filters, alpha, depth_multiplier, strides, block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    model = Model(inputs, x, name=name or f"mobilenet_{alpha:0.2f}_{rows}")
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_{IMAGENET_ALPHAS[alpha]}_{rows}_tf{suffix}.h5"
        imagenet_utils.load_weights(model, weights, file_name, "mobilenet/", None)
    else:
        imagenet_utils.load_weights(model, weights, None, "mobilenet/", None)
    return model


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to MobileNet's inputs in [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as (class_name, description, score)."""
    return imagenet_utils.decode_predictions(preds, top=top)
