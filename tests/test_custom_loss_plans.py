"""A loss function of the user's gets its targets as a Tensor (as in Keras), so that arithmetic on
them such as 1 - y_true runs in the kernels: the step is replayed as a plan, bit for bit like the
eager one (on a NumPy array it would be a constant of the recorded batch, and the step eager)."""
import numpy as np

from fastnn import Input, Tensor, backend as K, layers, models
from fastnn.utils import set_random_seed


def binary_crossentropy_by_hand(y_true, y_pred):
    assert isinstance(y_true, Tensor)
    return -K.mean(y_true * K.log(y_pred + 1e-7) + (1 - y_true) * K.log(1 - y_pred + 1e-7), axis=-1)


def _trained(run_eagerly):
    set_random_seed(3)
    inputs = Input(shape=(12,))
    outputs = layers.Dense(5, activation="sigmoid")(layers.Dense(8, activation="relu")(inputs))
    model = models.Model(inputs, outputs)
    model.compile(optimizer="adam", loss=binary_crossentropy_by_hand, run_eagerly=run_eagerly)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 12)).astype(np.float32)
    y = (rng.random((100, 5)) < 0.3).astype(np.float32)
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    return model, history.history, model.evaluate(x, y, verbose=0)


def test_a_custom_loss_on_the_targets_is_replayed_like_the_eager_step():
    planned, planned_history, planned_eval = _trained(False)
    eager, eager_history, eager_eval = _trained(True)
    states = {p.state for p in planned.train_function.plans.plans.values()}
    assert states == {"replay"}, {k: p.reason for k, p in planned.train_function.plans.plans.items()}
    assert planned_history == eager_history
    assert planned_eval == eager_eval
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8))
