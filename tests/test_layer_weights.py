import numpy as np
from fastnn import layers, models


def test_add_weight_trainable_false_is_frozen_and_untouched_by_fit():
    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight("scale", (input_shape[-1],), "ones")
            self.frozen = self.add_weight("frozen", (input_shape[-1],), "ones", trainable=False)

        def call(self, inputs, training=False):
            return inputs * self.scale * self.frozen

    layer = Scaled()
    model = models.Sequential([layer])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3), np.float32), np.full((8, 3), 2.0, np.float32), epochs=2, verbose=0)
    assert [w.shape for w in layer.trainable_weights] == [(3,)]
    assert layer.non_trainable_weights[0] is layer.frozen
    np.testing.assert_array_equal(layer.frozen.data, np.ones(3, np.float32))
    assert not np.array_equal(layer.scale.data, np.ones(3, np.float32))
    assert len(model.get_weights()) == 2


def test_add_weight_default_name_and_scalar_shape():
    layer = layers.Layer()
    weight = layer.add_weight(shape=())
    assert weight.shape == () and layer.weight_names == ["variable"]


def test_targets_shaped_like_the_inputs_keep_their_own_batch_buffer():
    model = models.Sequential([layers.Dense(3, kernel_initializer="zeros", input_shape=(3,))])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 3), np.float32), np.full((8, 3), 2.0, np.float32)
    assert model.evaluate(x, y, verbose=0) == 4.0
    assert model.evaluate(x, y, batch_size=4, verbose=0) == 4.0
