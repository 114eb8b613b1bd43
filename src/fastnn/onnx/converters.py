"""The one table from a fastnn layer class to the function writing its ONNX nodes.

A converter is called as convert(builder, layer, inputs), inputs a list of Values (ONNX name and
fastnn shape, batch axis None), and returns the ONNX names of the layer's outputs in order.
Classes are matched exactly: a subclass may compute something else, so it is refused.
"""
from .. import layers as L
from . import convolutions, core, margins, merging, normalization, pooling, recurrent, sequences

CONVERTERS = {
    L.Dense: core.dense,
    L.Activation: core.activation,
    L.LeakyReLU: core.leaky_relu,
    L.ELU: core.elu,
    L.Dropout: core.identity,
    L.Flatten: core.flatten,
    L.Reshape: core.reshape,
    L.RepeatVector: core.repeat_vector,
    L.Permute: core.permute,
    L.Masking: core.masking,
    L.Conv1D: convolutions.conv1d,
    L.Conv2D: convolutions.conv2d,
    L.Conv2DTranspose: convolutions.conv2d_transpose,
    L.DepthwiseConv2D: convolutions.depthwise_conv2d,
    L.SeparableConv2D: convolutions.separable_conv2d,
    L.MaxPooling1D: pooling.max_pooling,
    L.MaxPooling2D: pooling.max_pooling,
    L.AveragePooling1D: pooling.average_pooling,
    L.AveragePooling2D: pooling.average_pooling,
    L.GlobalMaxPooling1D: pooling.global_max_pooling,
    L.GlobalMaxPooling2D: pooling.global_max_pooling,
    L.GlobalAveragePooling1D: pooling.global_average_pooling,
    L.GlobalAveragePooling2D: pooling.global_average_pooling,
    L.BatchNormalization: normalization.batch_normalization,
    L.ZeroPadding1D: margins.zero_padding1d,
    L.ZeroPadding2D: margins.zero_padding2d,
    L.Cropping1D: margins.cropping1d,
    L.Cropping2D: margins.cropping2d,
    L.UpSampling1D: margins.up_sampling1d,
    L.UpSampling2D: margins.up_sampling2d,
    L.Add: merging.add,
    L.Subtract: merging.subtract,
    L.Multiply: merging.multiply,
    L.Average: merging.average,
    L.Maximum: merging.maximum,
    L.Minimum: merging.minimum,
    L.Concatenate: merging.concatenate,
    L.Dot: merging.dot,
    L.Embedding: sequences.embedding,
    L.SimpleRNN: recurrent.recurrent,
    L.LSTM: recurrent.recurrent,
    L.GRU: recurrent.recurrent,
    L.Bidirectional: recurrent.bidirectional,
    L.TimeDistributed: sequences.time_distributed,
}
