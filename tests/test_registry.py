"""The shared rules for turning identifiers into objects (fastnn._registry)."""
import pytest

from fastnn import _registry, activations, initializers, losses, optimizers


class Widget(_registry.Configurable):
    def __init__(self, size=1, label="w"):
        self.size, self.label = size, label

    def get_config(self):
        return {"size": self.size, "label": self.label}


class Gadget(Widget):
    pass


TABLE = {"widget": Widget, "gadget_alias": Gadget}
CLASSES = {"Widget": Widget, "Gadget": Gadget}


@pytest.mark.parametrize("kind, expected", [("loss", "losses"), ("activation", "activations"),
                                            ("initializer", "initializers"), ("metric", "metrics")])
def test_plural(kind, expected):
    assert _registry.plural(kind) == expected


def test_lookup_is_case_insensitive_for_table_names():
    assert _registry.lookup("widget", "WIDGET", TABLE) is Widget
    assert _registry.lookup("widget", "Gadget_Alias", TABLE) is Gadget


def test_lookup_falls_back_to_exact_class_names_only():
    assert _registry.lookup("widget", "Gadget", TABLE, exact=CLASSES) is Gadget
    with pytest.raises(ValueError, match="Unknown widget: 'gadget'"):
        _registry.lookup("widget", "gadget", TABLE, exact=CLASSES)


def test_lookup_error_lists_known_names_in_the_given_order():
    with pytest.raises(ValueError) as info:
        _registry.lookup("widget", "nope", TABLE)
    assert str(info.value) == "Unknown widget: 'nope'. Known widgets: widget, gadget_alias"
    with pytest.raises(ValueError) as info:
        _registry.lookup("widget", "nope", TABLE, known=sorted(TABLE))
    assert str(info.value) == "Unknown widget: 'nope'. Known widgets: gadget_alias, widget"


def test_from_class_config_rebuilds_and_rejects_unknown_classes():
    built = _registry.from_class_config("widget", {"class_name": "Gadget", "config": {"size": 3}}, CLASSES)
    assert type(built) is Gadget and built.size == 3 and built.label == "w"
    assert type(_registry.from_class_config("widget", {"class_name": "Widget"}, CLASSES)) is Widget
    with pytest.raises(ValueError, match=r"Unknown widget class in config: \{'class_name': 'Nope'\}"):
        _registry.from_class_config("widget", {"class_name": "Nope"}, CLASSES)


def test_not_understood_names_the_argument_when_given():
    assert str(_registry.not_understood("widget", 3)) == "Could not interpret widget identifier. Received: 3"
    assert str(_registry.not_understood("widget", [1], argument="w")) == (
        "Could not interpret widget identifier. Received: w=[1]"
    )


def test_configurable_round_trip_and_repr():
    widget = Gadget(size=4, label="x")
    assert repr(widget) == "Gadget(size=4, label='x')"
    copy = Gadget.from_config(widget.get_config())
    assert type(copy) is Gadget and copy.get_config() == widget.get_config()
    assert repr(_registry.Configurable()) == "Configurable()"


@pytest.mark.parametrize("module, kind, argument", [
    (activations, "activation", "activation=42"),
    (losses, "loss", "loss=42"),
    (initializers, "initializer", "42"),
    (optimizers, "optimizer", "42"),
])
def test_every_get_rejects_an_uninterpretable_identifier_the_same_way(module, kind, argument):
    with pytest.raises(ValueError) as info:
        module.get(42)
    assert str(info.value) == f"Could not interpret {kind} identifier. Received: {argument}"


def test_initializer_and_optimizer_share_the_config_trio():
    assert isinstance(initializers.Constant(2.0), _registry.Configurable)
    assert isinstance(optimizers.SGD(), _registry.Configurable)
    assert repr(initializers.Constant(2.0)) == "Constant(value=2.0)"
    restored = initializers.Constant.from_config({"value": 5.0})
    assert restored.value == 5.0
