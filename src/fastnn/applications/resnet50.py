"""ResNet50 (He et al., 2015) as keras.applications.resnet builds it: a 7x7 strided stem, then
four stacks of bottleneck residual blocks (1x1, 3x3, 1x1 convolutions with BatchNormalization,
added to the block's input or to a 1x1 projection of it)."""
from .. import layers
from . import imagenet_utils

WEIGHT_FILES = (("resnet50_weights_tf_dim_ordering_tf_kernels.h5", "2cb95161c43110f7111970584f804107"),
                ("resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626"))
EPSILON = 1.001e-5
STACKS = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))  # (bottleneck filters, blocks, first stride)


def _block(x, filters, stride, projection, name):
    # layers are made in the order Keras's model lists them (its weight files follow that order)
    y = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    y = layers.BatchNormalization(epsilon=EPSILON, name=f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(epsilon=EPSILON, name=f"{name}_2_bn")(y)
    y = layers.Activation("relu", name=f"{name}_2_relu")(y)
    shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x) if projection else x
    y = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(y)
    if projection:
        shortcut = layers.BatchNormalization(epsilon=EPSILON, name=f"{name}_0_bn")(shortcut)
    y = layers.BatchNormalization(epsilon=EPSILON, name=f"{name}_3_bn")(y)
    y = layers.Add(name=f"{name}_add")([shortcut, y])
    return layers.Activation("relu", name=f"{name}_out")(y)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", name="resnet50"):
    """The ResNet50 model with Keras's layer names (conv1_conv ... conv5_block3_out, avg_pool,
    predictions). weights: None, 'imagenet' (downloaded once into ~/.fastnn/models) or a weight
    file's path. Expects inputs from `preprocess_input`."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    require_flatten=include_top, weights=weights)
    x, inputs = imagenet_utils.model_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(x)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(epsilon=EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stack, (filters, blocks, stride) in enumerate(STACKS, start=2):
        for block in range(1, blocks + 1):
            x = _block(x, filters, stride if block == 1 else 1, block == 1, f"conv{stack}_block{block}")
    if include_top:
        x = imagenet_utils.pooled_classifier(x, classes, classifier_activation, weights)
    else:
        x = imagenet_utils.pooled(x, pooling, avg_name="avg_pool", max_name="max_pool")
    return imagenet_utils.finished_model(inputs, x, name, weights, WEIGHT_FILES, include_top, "resnet/")


def preprocess_input(x, data_format=None):
    """RGB images in [0, 255] to ResNet50's inputs: BGR with ImageNet's channel means subtracted."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, as (class_name, description, score)."""
    return imagenet_utils.decode_predictions(preds, top=top)
