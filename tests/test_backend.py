"""fastnn.backend (the book's K) on eager and symbolic tensors, K.gradients / K.function
(chapter 5.4's filter visualization and Grad-CAM), and fastnn.GradientTape."""
import numpy as np
import pytest

import fastnn
from fastnn import Input, layers, losses, models, optimizers
from fastnn import backend as K
from fastnn.utils import set_random_seed


def _convnet():
    set_random_seed(0)
    inputs = Input(shape=(None, None, 3))
    x = layers.Conv2D(4, 3, activation="tanh", name="block1_conv1")(inputs)
    x = layers.Conv2D(5, 3, activation="tanh", name="block1_conv2")(x)
    return models.Model(inputs, x)


def test_backend_functions_on_tensors_and_on_symbolic_tensors_agree():
    x = np.random.default_rng(0).random((2, 3, 4)).astype(np.float32) + 0.5
    inputs = Input(shape=(3, 4))
    cases = {
        "mean": lambda t: K.mean(t, axis=-1), "sum": lambda t: K.sum(t, axis=(1, 2)), "square": K.square,
        "sqrt": K.sqrt, "exp": K.exp, "log": K.log, "abs": lambda t: K.abs(t - 1.0),
        "maximum": lambda t: K.maximum(t, 1.0), "minimum": lambda t: K.minimum(t, 1.0),
        "concatenate": lambda t: K.concatenate([t, t * 2], axis=-1), "reshape": lambda t: K.reshape(t, (-1, 12)),
        "flatten": K.flatten, "batch_flatten": K.batch_flatten, "var": lambda t: K.var(t, axis=1),
    }
    want = {"mean": x.mean(-1), "sum": x.sum((1, 2)), "square": x ** 2, "sqrt": np.sqrt(x), "exp": np.exp(x),
            "log": np.log(x), "abs": np.abs(x - 1), "maximum": np.maximum(x, 1), "minimum": np.minimum(x, 1),
            "concatenate": np.concatenate([x, 2 * x], -1), "reshape": x.reshape(-1, 12), "flatten": x.reshape(-1),
            "batch_flatten": x.reshape(2, -1), "var": x.var(1)}
    for name, fn in cases.items():
        eager = fn(fastnn.Tensor(x)).data
        np.testing.assert_allclose(eager, want[name], rtol=1e-5, err_msg=name)
        symbolic = fn(inputs)
        assert symbolic.shape[1:] == want[name].shape[1:] or name == "flatten", name
        if name != "flatten":
            np.testing.assert_array_equal(K.function([inputs], [symbolic])([x])[0], eager, err_msg=name)
    assert K.int_shape(inputs) == (None, 3, 4) and K.shape(fastnn.Tensor(x)) == (2, 3, 4)
    assert K.epsilon() == 1e-7 and K.floatx() == "float32" and K.image_data_format() == "channels_last"
    assert K.random_normal((3, 2)).shape == (3, 2)
    v = K.variable(np.ones(3))
    assert v.requires_grad and K.eval(v * 2).tolist() == [2, 2, 2]
    K.set_value(v, [1, 2, 3])
    assert K.get_value(v).tolist() == [1, 2, 3]
    assert K.constant(2.0, shape=(2, 2)).data.tolist() == [[2, 2], [2, 2]]
    with pytest.raises(ValueError, match="known ints"):
        K.random_normal((None, 2))


def test_learning_phase_sets_how_layers_called_without_training_behave():
    layer = layers.Dropout(0.5, seed=1)
    x = np.ones((4, 100), np.float32)
    assert K.learning_phase() == 0 and np.array_equal(layer(x).data, x)
    K.set_learning_phase(1)
    try:
        assert not np.array_equal(layer(x).data, x)
    finally:
        K.set_learning_phase(0)
    with pytest.raises(ValueError):
        K.set_learning_phase(2)


def _numeric_gradient(f, x, eps=1e-3):
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (f(up) - f(down)) / (2 * eps)
    return grad


def test_gradients_of_a_filters_mean_with_respect_to_the_input_filter_visualization():
    model = _convnet()
    layer_output = model.get_layer("block1_conv2").output
    loss = K.mean(layer_output[:, :, :, 2])
    grads = K.gradients(loss, model.input)[0]
    normalized = grads / (K.sqrt(K.mean(K.square(grads))) + 1e-5)
    iterate = K.function([model.input], [loss, grads, normalized])
    image = np.random.default_rng(1).random((1, 7, 7, 3)).astype(np.float32)
    loss_value, grads_value, normalized_value = iterate([image])
    assert grads_value.shape == image.shape
    np.testing.assert_allclose(loss_value, model.predict(image, verbose=0)[..., 2].mean(), rtol=1e-6)
    numeric = _numeric_gradient(lambda z: float(model.predict(z.astype(np.float32), verbose=0)[..., 2].mean()),
                                image.astype(np.float64))
    np.testing.assert_allclose(grads_value, numeric, atol=2e-4)
    np.testing.assert_allclose(normalized_value, grads_value / (np.sqrt(np.mean(grads_value ** 2)) + 1e-5),
                               rtol=1e-5)
    input_img_data = image.copy()
    for _ in range(5):  # gradient ascent raises the filter's mean activation
        loss_value, grads_value, _ = iterate([input_img_data])
        input_img_data += grads_value * 0.5
    assert iterate([input_img_data])[0] > iterate([image])[0]


def test_gradients_with_respect_to_an_intermediate_layer_output_grad_cam():
    model = _convnet()
    class_output = model.output[:, 1, 1, 3]
    last_conv_layer = model.get_layer("block1_conv1")
    grads = K.gradients(class_output, last_conv_layer.output)[0]
    pooled_grads = K.mean(grads, axis=(0, 1, 2))
    iterate = K.function([model.input], [pooled_grads, last_conv_layer.output[0]])
    image = np.random.default_rng(2).random((1, 6, 6, 3)).astype(np.float32)
    pooled_grads_value, conv_layer_output_value = iterate([image])
    assert pooled_grads_value.shape == (4,) and conv_layer_output_value.shape == (4, 4, 4)
    features = last_conv_layer(image).data
    head = model.get_layer("block1_conv2")
    numeric = _numeric_gradient(lambda f: float(head(f.astype(np.float32)).data[0, 1, 1, 3]), features.astype(np.float64))
    np.testing.assert_allclose(pooled_grads_value, numeric.mean(axis=(0, 1, 2)), atol=1e-4)
    np.testing.assert_array_equal(conv_layer_output_value, features[0])
    before = [w.grad for w in model.weights]
    assert all(g is None for g in before)  # the weights' gradients are not touched


def test_gradients_and_function_errors():
    inputs = Input(shape=(3,))
    with pytest.raises(TypeError, match="symbolic tensors"):
        K.gradients(fastnn.Tensor(np.ones(3)), inputs)
    other = Input(shape=(3,))
    out = layers.Dense(2)(other)
    with pytest.raises(ValueError, match="Graph disconnected"):
        K.function([inputs], [out])
    f = K.function([other], [out])
    with pytest.raises(ValueError, match="takes 1 input arrays"):
        f([np.ones((1, 3)), np.ones((1, 3))])


def test_placeholders_are_function_inputs():
    x = K.placeholder(shape=(None, 4))
    y = K.placeholder(ndim=2)
    f = K.function([x, y], K.sum(x * 2, axis=1) + K.mean(y))
    np.testing.assert_allclose(f([np.ones((2, 4)), np.full((3, 3), 2.0)]), [10.0, 10.0])


def test_gradient_tape_in_a_keras_3_custom_training_loop():
    set_random_seed(3)
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)), layers.Dense(1)])
    optimizer = optimizers.Adam(0.01)
    loss_fn = losses.MeanSquaredError()
    rng = np.random.default_rng(0)
    x = rng.random((64, 4)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    first = None
    for _ in range(60):
        with fastnn.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        first = float(loss.data) if first is None else first
    assert float(loss.data) < first / 4
    assert all(w.grad is None for w in model.trainable_weights)


def test_gradient_tape_watch_and_its_errors():
    x = fastnn.Tensor(np.array([1.0, 2.0, 3.0]))
    with fastnn.GradientTape() as tape:
        tape.watch(x)
        y = (x * x).sum()
    np.testing.assert_array_equal(tape.gradient(y, x).data, [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match="once"):
        tape.gradient(y, x)
    unrelated = fastnn.Tensor(np.ones(2), requires_grad=True)
    with fastnn.GradientTape() as tape:
        tape.watch(x)
        y = (x * 3).sum()
    assert tape.gradient(y, [x, unrelated])[1] is None
    with pytest.raises(ValueError, match="persistent"):
        fastnn.GradientTape(persistent=True)
    with fastnn.no_grad():
        with fastnn.GradientTape() as tape:  # the tape records even inside no_grad
            tape.watch(x)
            y = (x * 2).sum()
    np.testing.assert_array_equal(tape.gradient(y, x).data, [2.0, 2.0, 2.0])


def test_deepdream_loss_scaled_by_the_runtime_shape_accumulated_into_a_variable():
    # chapter 8.2's loss: a K.variable plus symbolic terms, each divided by K.prod of K.shape
    model = _convnet()
    activation = model.get_layer("block1_conv1").output
    scaling = K.prod(K.cast(K.shape(activation), "float32"))
    loss = K.variable(0.)
    loss += 2.0 * K.sum(K.square(activation[:, 1:-1, 1:-1, :])) / scaling
    assert K.shape(activation).shape == (4,) and K.shape(activation).dtype == "int32"
    grads = K.gradients(loss, model.input)[0]
    fetch = K.function([model.input], [K.shape(activation), scaling, loss, grads])
    for side in (7, 9):  # the same function on two image sizes: the shape is read when it runs
        image = np.random.default_rng(side).random((1, side, side, 3)).astype(np.float32)
        shape, scale, loss_value, grad_value = fetch([image])
        features = model.get_layer("block1_conv1")(image).data
        assert shape.tolist() == [1, side - 2, side - 2, 4] and scale == features.size
        np.testing.assert_allclose(loss_value, 2 * np.sum(features[:, 1:-1, 1:-1] ** 2) / features.size, rtol=1e-5)
        numeric = _numeric_gradient(
            lambda x: float(2 * np.sum(model.get_layer("block1_conv1")(x.astype(np.float32)).data[:, 1:-1, 1:-1] ** 2)
                            / features.size), image.astype(np.float64))
        np.testing.assert_allclose(grad_value, numeric, rtol=1e-2, atol=1e-4)


def test_prod_on_tensors_symbolic_tensors_and_its_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0], [1.0, 4.0, 0.5]], np.float32)
    assert K.prod(fastnn.Tensor(x), axis=1).data.tolist() == [0.0, 2.0]
    inputs = Input(shape=(3,))
    np.testing.assert_array_equal(K.function([inputs], [K.prod(inputs, axis=-1)])([x])[0], [0.0, 2.0])
    t = fastnn.Tensor(x, requires_grad=True)
    fastnn.sum(fastnn.prod(t, axis=1)).backward()
    np.testing.assert_array_equal(t.grad, [[0.0, 6.0, 0.0], [2.0, 0.5, 4.0]])  # products of the others
    t = fastnn.Tensor(x, requires_grad=True)
    fastnn.prod(t).backward()  # one zero: only its own gradient is not zero
    np.testing.assert_array_equal(t.grad, [[0.0, 12.0, 0.0], [0.0, 0.0, 0.0]])


def test_a_tensor_with_a_symbolic_operand_gives_a_symbolic_result():
    inputs = Input(shape=(2,))
    v = K.variable([1.0, 2.0])
    results = [v + inputs, v - inputs, v * inputs, v / inputs]
    assert all(type(r).__name__ == "SymbolicTensor" for r in results)
    values = K.function([inputs], results)([np.array([[4.0, 8.0]], np.float32)])
    np.testing.assert_allclose(values, [[[5, 10]], [[-3, -6]], [[4, 16]], [[0.25, 0.25]]])
