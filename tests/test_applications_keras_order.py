"""applications._keras_order: recorded layer calls made farthest from the output first, ties in
the order a depth-first walk from the output meets them (Keras's listing of a model's layers)."""
from fastnn import Input, layers
from fastnn.applications._keras_order import later, make, start
from fastnn.models import Model


def _dense(name):
    return layers.Dense(2, name=name)


def test_longer_branches_come_first_and_ties_follow_the_walk_from_the_output():
    inputs = Input((3,))
    x = start(inputs)
    short = later(_dense("short"), x)
    long_a = later(_dense("long_b"), later(_dense("long_a"), x))
    other = later(_dense("other_b"), later(_dense("other_a"), x))
    out = later(layers.Concatenate(name="joined"), [short, long_a, other])
    model = Model(inputs, make(out))
    assert [layer.name for layer in model.layers][1:] == ["long_a", "other_a", "short", "long_b", "other_b", "joined"]


def test_a_shared_input_is_called_once_and_an_existing_tensor_is_not_called_again():
    inputs = Input((3,))
    stem = layers.Dense(3, name="stem")(inputs)
    shared = later(_dense("shared"), start(stem))
    out = later(layers.Add(name="sum"), [later(_dense("left"), shared), shared])
    model = Model(inputs, make(out))
    assert [layer.name for layer in model.layers][1:] == ["stem", "shared", "left", "sum"]
    assert model.output.shape == (None, 2)
