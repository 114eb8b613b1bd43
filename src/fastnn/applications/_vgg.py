"""The VGG network (Simonyan & Zisserman, 2014) as Keras builds it: blocks of 3x3 "same" ReLU
convolutions, each ending in a 2x2 max pooling, then two 4096-unit layers and the classifier."""
from .. import layers
from . import imagenet_utils

FILTERS = (64, 128, 256, 512, 512)


def build(convs_per_block, name, include_top, weights, input_tensor, input_shape, pooling, classes,
          classifier_activation, weight_files):
    """weight_files: (with top, without top), each (file name, MD5 hash) under vgg16/ or vgg19/."""
    imagenet_utils.check_weights_argument(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    require_flatten=include_top, weights=weights)
    x, inputs = imagenet_utils.model_input(input_tensor, input_shape)
    for block, (filters, convs) in enumerate(zip(FILTERS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooled(x, pooling)
    return imagenet_utils.finished_model(inputs, x, name, weights, weight_files, include_top, f"{name}/")
