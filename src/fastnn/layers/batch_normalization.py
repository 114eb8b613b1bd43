"""BatchNormalization: normalizes each channel by the batch's statistics while training, by moving
averages of them at inference."""
import math
import numbers

import numpy as np

from .. import initializers, ops, regularizers
from .image_layers import label
from .layer import Layer, batch_shape


class BatchNormalization(Layer):
    """y = (x - mean) / sqrt(variance + epsilon) * gamma + beta for each channel along `axis`.

    Keras's arguments, defaults and weights (gamma, beta, moving_mean, moving_variance; the moving
    ones are not trainable). Called with training=True the layer uses the batch's mean and biased
    variance over every axis but `axis` and updates moving = moving * momentum + batch * (1 -
    momentum); otherwise, and always once `trainable` is False (a frozen layer runs in inference
    mode, as in Keras 3), it uses the moving statistics.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        owner = label(self)
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"{owner}: axis must be an integer (the channels' axis). Received: axis={axis!r}")
        for name, value in (("momentum", momentum), ("epsilon", epsilon)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"{owner}: {name} must be a finite number. Received: {name}={value!r}")
        if epsilon < 0:
            raise ValueError(f"{owner}: epsilon must not be negative. Received: epsilon={epsilon!r}")
        for name, value in (("beta_constraint", beta_constraint), ("gamma_constraint", gamma_constraint)):
            if value is not None:
                raise ValueError(f"{owner}: fastnn has no weight constraints; {name} must be None. "
                                 f"Received: {name}={value!r}")
        if renorm:
            raise ValueError(f"{owner}: batch renormalization (renorm=True) is not supported by fastnn")
        if synchronized:
            raise ValueError(f"{owner}: synchronized=True is only supported with Keras's TensorFlow backend; "
                             "fastnn's data-parallel processes each use their own batch statistics")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def _channels_axis(self, input_shape):
        """The axis as an index into input_shape; ValueError naming the layer when out of range."""
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"{label(self)}: axis {self.axis} is out of bounds for inputs of shape "
                             f"{batch_shape(input_shape)} (rank {rank}). Received: axis={self.axis}")
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"{label(self)}: axis {self.axis} is the batch axis of inputs of shape "
                             f"{batch_shape(input_shape)}; normalize along a feature axis")
        return axis

    def build(self, input_shape):
        axis = self._channels_axis(input_shape)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"{label(self)} needs a known size along axis {self.axis}. "
                             f"Received: input_shape={input_shape}")
        shape = (channels,)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, self.moving_variance_initializer,
                                               trainable=False)

    def compute_output_shape(self, input_shape):
        self._channels_axis(input_shape)
        return tuple(input_shape)

    def check_input_shape(self, input_shape):
        if self.input_shape is not None and len(input_shape) != len(self.input_shape):
            raise ValueError(
                f"Input of {label(self, 'layer')} is incompatible with the layer: expected ndim="
                f"{len(self.input_shape)}, found ndim={len(input_shape)}. Full shape received: "
                f"{batch_shape(input_shape)}")
        axis = self._channels_axis(input_shape)
        channels = self.moving_mean.shape[0]
        if input_shape[axis] != channels:
            raise ValueError(
                f"Input of {label(self, 'layer')} is incompatible with the layer: expected axis {self.axis} of the "
                f"input to have value {channels}, received input with shape {batch_shape(input_shape)}")

    def call(self, inputs, training=False):
        mask = getattr(inputs, "_keras_mask", None)
        use_batch = bool(training) and self.trainable
        if use_batch and mask is not None:
            raise NotImplementedError(f"{label(self)}: batch statistics over masked inputs are not supported by "
                                      "fastnn yet (Keras leaves the masked positions out of the mean and variance)")
        outputs = ops.batch_normalization(inputs, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                                          training=use_batch, axis=self.axis, momentum=self.momentum,
                                          epsilon=self.epsilon)
        if mask is not None:
            outputs._keras_mask = mask
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update(
            axis=self.axis,
            momentum=self.momentum,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            beta_constraint=None,
            gamma_constraint=None,
            synchronized=False,
            renorm=False,
            renorm_clipping=self.renorm_clipping,
            renorm_momentum=self.renorm_momentum,
        )
        config.update(self._regularizer_config("beta_regularizer", "gamma_regularizer"))
        return config
