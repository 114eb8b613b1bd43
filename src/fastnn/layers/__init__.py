"""Keras-style layers."""
from .activation import Activation
from .average_pooling2d import AveragePooling2D
from .batch_normalization import BatchNormalization
from .conv2d import Conv2D
from .conv2d_transpose import Conv2DTranspose
from .cropping2d import Cropping2D
from .depthwise_conv2d import DepthwiseConv2D
from .dense import Dense
from .dropout import Dropout
from .elu import ELU
from .flatten import Flatten
from .global_average_pooling2d import GlobalAveragePooling2D
from .global_max_pooling2d import GlobalMaxPooling2D
from .input_layer import Input, InputLayer
from .lambda_layer import Lambda
from .layer import Layer
from .leaky_relu import LeakyReLU
from .relu import ReLU
from .max_pooling2d import MaxPooling2D
from .permute import Permute
from .repeat_vector import RepeatVector
from .reshape import Reshape
from .merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average,
                      concatenate, dot, maximum, minimum, multiply, subtract)
from .separable_conv2d import SeparableConv2D
from .up_sampling2d import UpSampling2D
from .zero_padding2d import ZeroPadding2D
from .average_pooling1d import AveragePooling1D
from .conv1d import Conv1D
from .cropping1d import Cropping1D
from .embedding import Embedding
from .global_average_pooling1d import GlobalAveragePooling1D
from .global_max_pooling1d import GlobalMaxPooling1D
from .masking import Masking
from .max_pooling1d import MaxPooling1D
from .up_sampling1d import UpSampling1D
from .zero_padding1d import ZeroPadding1D
from .recurrent import GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell, TimeDistributed

BUILT_IN = {cls.__name__: cls for cls in (
    Activation, AveragePooling2D, Conv2D, Dense, Dropout, ELU, Flatten, GlobalAveragePooling2D, GlobalMaxPooling2D,
    InputLayer, LeakyReLU, MaxPooling2D, Reshape,
    BatchNormalization, Conv2DTranspose, Cropping2D, DepthwiseConv2D, Permute, RepeatVector, SeparableConv2D,
    UpSampling2D, ZeroPadding2D)}
BUILT_IN.update({cls.__name__: cls for cls in (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract)})
BUILT_IN.update({cls.__name__: cls for cls in (
    AveragePooling1D, Conv1D, Cropping1D, Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D, Masking,
    MaxPooling1D, UpSampling1D, ZeroPadding1D, GRU, GRUCell, LSTM, LSTMCell, RNN, SimpleRNN, SimpleRNNCell,
    Bidirectional, TimeDistributed)})
BUILT_IN.update({cls.__name__: cls for cls in (ReLU,)})


def serialize(layer):
    """{'class_name', 'config'} for a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A new layer from serialize()'s dict; only built-in classes and custom_objects are known."""
    from ..models import Model, Sequential  # models are layers too (nested in a model's config)

    known = dict(BUILT_IN, Sequential=Sequential, Model=Model, Functional=Model, **(custom_objects or {}))
    class_name = config.get("class_name") if isinstance(config, dict) else None
    cls = known.get(class_name)
    if cls in (Model, Sequential) or (isinstance(cls, type) and issubclass(cls, (Model, Sequential))):
        return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown layer class {class_name!r}; known layers: {', '.join(sorted(known))}. "
            "Pass custom layer classes through custom_objects={'Name': cls}."
        )
    return cls.from_config(dict(config.get("config", {})))
