import json
import math

import numpy as np
import pytest

import fastnn
from fastnn.optimizers import SGD, Adam, schedules


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert [s(t) for t in (0, 5, 10, 20)] == pytest.approx([0.1, 0.1 * 0.5 ** 0.5, 0.05, 0.025])
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(t) for t in (0, 9, 10, 19, 20)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_piecewise_constant_decay():
    s = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(t) for t in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1])


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert [s(t) for t in (0, 2, 4)] == pytest.approx([0.1, 0.1 / 1.25, 0.1 / 1.5])
    stairs = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert [stairs(t) for t in (3, 4, 7, 8)] == pytest.approx([0.1, 0.1 / 1.5, 0.1 / 1.5, 0.05])


def test_cosine_decay():
    s = schedules.CosineDecay(0.2, decay_steps=100, alpha=0.1)
    assert s(0) == pytest.approx(0.2)
    assert s(50) == pytest.approx(0.2 * (0.9 * 0.5 + 0.1))
    assert s(100) == pytest.approx(0.02) and s(1000) == pytest.approx(0.02)


def test_cosine_decay_with_warmup():
    s = schedules.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=5)
    assert [s(t) for t in (0, 1, 4)] == pytest.approx([0.0, 0.2, 0.8])
    assert s(5) == pytest.approx(1.0)
    assert s(10) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert s(15) == pytest.approx(0.0, abs=1e-12) and s(99) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001]),
    schedules.InverseTimeDecay(0.05, 10, 0.5),
    schedules.CosineDecay(0.1, 500, alpha=0.2, warmup_target=0.3, warmup_steps=50),
])
def test_config_round_trip(schedule):
    config = json.loads(json.dumps(schedules.serialize(schedule)))
    again = schedules.deserialize(config)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [again(t) for t in (0, 7, 150, 600)] == [schedule(t) for t in (0, 7, 150, 600)]


@pytest.mark.parametrize("make", [lambda: schedules.ExponentialDecay(0.1, 0, 0.5),
                                  lambda: schedules.InverseTimeDecay(0.1, -1, 0.5),
                                  lambda: schedules.CosineDecay(0.1, 0)])
def test_decay_steps_must_be_positive(make):
    with pytest.raises(ValueError, match="decay_steps` must be > 0"):
        make()


def test_optimizer_evaluates_the_schedule_at_each_step():
    schedule = schedules.PiecewiseConstantDecay([0, 1], [0.5, 0.25, 0.125])
    opt = SGD(learning_rate=schedule)
    param = np.zeros(3)
    assert opt.learning_rate == 0.5
    for _ in range(4):
        opt.apply([np.ones(3)], [param])
    np.testing.assert_array_equal(param, -(0.5 + 0.25 + 0.125 + 0.125))
    assert opt.iterations == 4 and opt.learning_rate == 0.125
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1


def test_optimizer_with_schedule_config_round_trip():
    opt = Adam(learning_rate=schedules.ExponentialDecay(0.01, 10, 0.9))
    config = json.loads(json.dumps(fastnn.optimizers.serialize(opt)))
    again = fastnn.optimizers.deserialize(config)
    assert isinstance(again.learning_rate_schedule, schedules.ExponentialDecay)
    assert again.get_config() == opt.get_config()


def test_fit_with_a_schedule_and_save(tmp_path):
    fastnn.set_seed(0)
    model = fastnn.models.Sequential([fastnn.layers.Dense(3, activation="softmax", input_shape=(4,))])
    opt = fastnn.optimizers.RMSprop(learning_rate=schedules.InverseTimeDecay(0.01, decay_steps=2, decay_rate=1.0))
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)
    model.fit(x, y, batch_size=10, epochs=2, verbose=0)
    assert opt.iterations == 8 and opt.learning_rate == pytest.approx(0.01 / 5)
    model.save(tmp_path / "m.fastnn")
    loaded = fastnn.models.load_model(tmp_path / "m.fastnn")
    assert loaded.optimizer.iterations == 8 and loaded.optimizer.learning_rate == pytest.approx(0.01 / 5)
