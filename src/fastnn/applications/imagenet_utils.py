"""What every ImageNet architecture shares: the input-shape rules, preprocessing modes, the
class index behind decode_predictions, and loading published weight files."""
import json
import os
import warnings

import numpy as np

from .. import activations, layers
from ..layers import Input
from ..layers.symbolic import SymbolicTensor
from ..models import Model
from ..utils.file_utils import get_file

CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
# Keras publishes the weight files of keras.applications under this folder.
WEIGHTS_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
# ImageNet's per-channel means in BGR order ("caffe" mode) and RGB means/stds ("torch" mode).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)

_class_index = None


def _data_format(data_format):
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("data_format must be 'channels_first' or 'channels_last'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def preprocess_input(x, data_format=None, mode="caffe"):
    """A batch (or one image) of RGB pixels in [0, 255] made ready for a network trained as
    `mode` says: "caffe" (BGR, ImageNet means subtracted, no scaling), "tf" (scaled to [-1, 1])
    or "torch" (scaled to [0, 1], ImageNet means and stds). Float NumPy arrays are changed in
    place and returned, as in Keras; other inputs are converted to float32 first."""
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"mode must be 'caffe', 'tf' or 'torch'. Received: mode={mode!r}")
    data_format = _data_format(data_format)
    from ..tensor import Tensor

    if isinstance(x, Tensor):
        return Tensor(preprocess_input(np.array(x.data), data_format, mode))
    if isinstance(x, SymbolicTensor):
        raise TypeError("preprocess_input takes NumPy arrays of images, not a symbolic tensor: "
                        "preprocess the images before feeding them to the model")
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
    if x.ndim < 3:
        raise ValueError(f"preprocess_input expects an image (3-D) or a batch of images (4-D). "
                         f"Received an array of shape {x.shape}")
    channel_axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if mode != "tf" and x.shape[channel_axis] != 3:
        raise ValueError(f"preprocess_input mode={mode!r} expects 3 color channels on axis {channel_axis} "
                         f"({data_format}). Received an array of shape {x.shape}")
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    shape = [1] * x.ndim
    shape[channel_axis] = 3
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(np.asarray(TORCH_MEAN, x.dtype), shape)
        x /= np.reshape(np.asarray(TORCH_STD, x.dtype), shape)
        return x
    x = np.flip(x, axis=channel_axis)  # RGB -> BGR (a view, as Keras's x[..., ::-1])
    x -= np.reshape(np.asarray(CAFFE_MEAN_BGR, x.dtype), shape)
    return x


def decode_predictions(preds, top=5):
    """[[(class_name, class_description, score)] * top] per sample of a (samples, 1000) batch of
    ImageNet predictions, best first; the class index comes from get_file (cached in
    ~/.fastnn/models)."""
    global _class_index
    preds = np.asarray(getattr(preds, "data", preds))
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("decode_predictions expects a batch of ImageNet predictions (a 2-D array of shape "
                         f"(samples, 1000)). Received an array of shape {preds.shape}")
    if _class_index is None:
        path = get_file("imagenet_class_index.json", CLASS_INDEX_URL, cache_subdir="models",
                        file_hash=CLASS_INDEX_HASH)
        try:
            with open(path, encoding="utf-8") as stream:
                index = json.load(stream)
            missing = [str(i) for i in range(1000) if str(i) not in index]
        except (OSError, ValueError, TypeError) as exc:
            raise ValueError(f"{path} is not ImageNet's class index (a JSON object mapping '0'..'999' to "
                             f"[class_name, description]): {exc}") from None
        if missing:
            raise ValueError(f"{path} is not ImageNet's class index: it lacks the classes {', '.join(missing[:5])}"
                             + (" ..." if len(missing) > 5 else ""))
        _class_index = index
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1] if top > 0 else []
        row = [tuple(_class_index[str(i)]) + (pred[i],) for i in best]
        row.sort(key=lambda item: item[2], reverse=True)
        results.append(row)
    return results


def check_weights_argument(weights, include_top, classes):
    """Refuses a `weights` value other than None, 'imagenet' or an existing file, and
    imagenet weights with a top of other than 1000 classes, as Keras does."""
    if not (weights is None or weights == "imagenet"
            or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        missing = (f"; there is no file at {os.path.abspath(weights)!r}"
                   if isinstance(weights, (str, os.PathLike)) else "")
        raise ValueError("The `weights` argument should be either None (random initialization), 'imagenet' "
                         f"(pre-training on ImageNet), or the path to the weights file to be loaded{missing}. "
                         f"Received: weights={weights!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000. "
                         f"Received: classes={classes!r}")


def obtain_input_shape(input_shape, default_size, min_size, require_flatten, weights=None):
    """The (rows, cols, channels) input shape a model is built for (channels_last), checked as
    Keras checks it: imagenet weights with a top need the default size, a top needs a fixed size,
    and no side may be below `min_size`."""
    if input_shape is not None:
        try:
            input_shape = tuple(None if d is None else int(d) for d in input_shape)
        except (TypeError, ValueError):
            raise ValueError(f"`input_shape` must be a tuple of three integers. "
                             f"Received: input_shape={input_shape!r}") from None
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in (1, 3):
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {input_shape[-1]} input channels.", stacklevel=3)
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}. Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError(f"`input_shape` must be a tuple of three integers. Received: input_shape={input_shape}")
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(d is not None and d < min_size for d in input_shape[:2]):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; "
                             f"Received: input_shape={input_shape}")
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return input_shape


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only softmax or no activation on the top layer."""
    if weights is None:
        return
    chosen = activations.get(classifier_activation)
    if chosen not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; "
                         f"Received: classifier_activation={classifier_activation!r}")


def pooled(x, pooling, avg_name=None, max_name=None):
    """The features of a model without its top: as they are, or pooled globally ('avg', 'max')."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def pooled_classifier(x, classes, classifier_activation, weights):
    """The top of ResNet50, Inception v3 and Xception: global average pooling ('avg_pool'), then the
    'predictions' Dense layer."""
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def finished_model(inputs, outputs, name, weights, weight_files, include_top, folder):
    """The Model, with `weights` loaded; weight_files: ((file name, hash) with the top, without it)."""
    model = Model(inputs, outputs, name=name)
    file_name, file_hash = weight_files[0 if include_top else 1]
    load_weights(model, weights, file_name, folder, file_hash)
    return model


def model_input(input_tensor, input_shape):
    """(the tensor the layers start from, the model's inputs)."""
    if input_tensor is None:
        tensor = Input(shape=input_shape)
        return tensor, tensor
    if not isinstance(input_tensor, SymbolicTensor):
        raise TypeError("input_tensor must be a symbolic tensor (fastnn.Input(...) or a layer's output on one). "
                        f"Received: {type(input_tensor).__name__}")
    return input_tensor, source_inputs(input_tensor)


def source_inputs(tensor):
    """The Input tensors `tensor` is computed from, in the order they were made."""
    found, pending, seen = [], [tensor], set()
    while pending:
        current = pending.pop()
        node = current.node
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if not node.input_tensors:
            found.append((node.creation, current))
        pending.extend(node.input_tensors)
    inputs = [t for _, t in sorted(found, key=lambda pair: pair[0])]
    return inputs[0] if len(inputs) == 1 else inputs


def load_weights(model, weights, file_name, folder, file_hash):
    """Loads `weights` (a path, or 'imagenet': the published `file_name`, fetched into
    ~/.fastnn/models by get_file and checked against `file_hash`) into `model`."""
    if weights is None:
        return
    if weights == "imagenet":
        weights = get_file(file_name, WEIGHTS_BASE_URL + folder + file_name, cache_subdir="models",
                           file_hash=file_hash)
    model.load_weights(weights)
