"""utils.plot_model and utils.model_to_dot through pydot and Graphviz."""
import re
import shutil
import sys

import numpy as np
import pytest

from fastnn import layers, models, utils

pydot = pytest.importorskip("pydot")
needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None,
                                    reason="Graphviz's dot is not installed (apt-get install graphviz)")


def node_labels(dot):
    """{node id: label} of a Dot (and its clusters)."""
    found = {node.get_name(): node.get("label") for node in dot.get_nodes() if node.get("label")}
    for sub in dot.get_subgraphs():
        found.update(node_labels(sub))
    return found


def title(label):
    return re.search(r'color="white">(.*?)</font>', label).group(1)


def all_edges(dot):
    return list(dot.get_edges()) + [edge for sub in dot.get_subgraphs() for edge in all_edges(sub)]


def named_edges(dot):
    """{(source name, target name)} of the edges of a Dot and its clusters."""
    names = {node_id: re.sub(r"<.*?>", "", title(label)).split(" ")[0] for node_id, label in node_labels(dot).items()}
    return {(names[e.get_source()], names[e.get_destination()]) for e in all_edges(dot)}


def sequential():
    return models.Sequential([layers.Dense(8, activation="relu", input_shape=(4,), name="hidden"),
                              layers.Dropout(0.5, name="drop"), layers.Dense(2, name="out")], name="stack")


def test_sequential_nodes_edges_and_settings():
    dot = utils.model_to_dot(sequential(), rankdir="LR", dpi=72)
    labels = node_labels(dot)
    assert sorted(title(l) for l in labels.values()) == ["<b>drop</b> (Dropout)", "<b>hidden</b> (Dense)",
                                                          "<b>out</b> (Dense)"]
    assert named_edges(dot) == {("hidden", "drop"), ("drop", "out")}
    text = dot.to_string()
    assert "rankdir=LR" in text and "dpi=72" in text and "Input shape" not in text


def test_shapes_dtype_and_names_in_labels():
    model = sequential()
    labels = list(node_labels(utils.model_to_dot(model, show_shapes=True, show_dtype=True)).values())
    hidden = next(l for l in labels if "hidden" in l)
    assert "Input shape: <b>(None, 4)</b>" in hidden and "Output shape: <b>(None, 8)</b>" in hidden
    assert "Output dtype: <b>float32</b>" in hidden
    assert "Output shape: <b>(None, 2)</b>" in next(l for l in labels if "out</b>" in l)
    unnamed = utils.model_to_dot(model, show_layer_names=False, show_trainable=True, show_layer_activations=True)
    unnamed_labels = list(node_labels(unnamed).values())
    assert all("hidden" not in l for l in unnamed_labels)
    assert sorted(title(l) for l in unnamed_labels) == ["<b>Dense</b>", "<b>Dense</b>", "<b>Dropout</b>"]
    assert sum("Activation: <b>relu</b>" in l for l in unnamed_labels) == 1
    assert sum("<b>Trainable</b>" in l for l in unnamed_labels) == 2  # Dropout has no weights


def branching_model():
    inputs = layers.Input(shape=(6,), name="a")
    other = layers.Input(shape=(6,), name="b")
    shared = layers.Dense(3, name="shared")
    left, right = shared(inputs), shared(other)
    joined = layers.Concatenate(name="join")([left, right])
    outputs = layers.Dense(1, name="score")(layers.Add(name="sum")([joined, layers.Dense(6, name="skip")(inputs)]))
    return models.Model([inputs, other], outputs, name="twin")


def test_functional_branches_and_a_shared_layer():
    dot = utils.model_to_dot(branching_model(), show_shapes=True)
    labels = node_labels(dot)
    assert len(labels) == 7  # the shared layer is one box
    assert named_edges(dot) == {("a", "shared"), ("b", "shared"), ("shared", "join"), ("a", "skip"),
                                ("join", "sum"), ("skip", "sum"), ("sum", "score")}
    join = next(l for l in labels.values() if "join" in l)
    assert "Input shape: <b>[(None, 3), (None, 3)]</b>" in join and "Output shape: <b>(None, 6)</b>" in join
    a = next(l for l in labels.values() if "<b>a</b>" in l)
    assert "Input shape" not in a and "Output shape: <b>(None, 6)</b>" in a


def nested_model():
    inner = models.Sequential([layers.Dense(5, input_shape=(3,), name="inner_a"), layers.Dense(4, name="inner_b")],
                              name="inner")
    sub_in = layers.Input(shape=(4,), name="sub_in")
    sub = models.Model(sub_in, layers.Dense(2, name="sub_dense")(sub_in), name="sub")
    inputs = layers.Input(shape=(3,), name="x")
    outputs = layers.Dense(1, name="head")(sub(inner(inputs)))
    return models.Model(inputs, outputs, name="outer")


def test_nested_models_as_boxes_or_expanded_clusters():
    model = nested_model()
    flat = utils.model_to_dot(model)
    assert named_edges(flat) == {("x", "inner"), ("inner", "sub"), ("sub", "head")}
    assert flat.get_subgraphs() == []
    expanded = utils.model_to_dot(model, expand_nested=True)
    clusters = {sub.get_name(): sub for sub in expanded.get_subgraphs()}
    assert set(clusters) == {"cluster_inner", "cluster_sub"}
    assert sorted(re.sub(r"<.*?>", "", title(l)) for l in node_labels(clusters["cluster_sub"]).values()) == \
        ["sub_dense (Dense)", "sub_in (InputLayer)"]
    assert named_edges(expanded) == {("x", "inner_a"), ("inner_a", "inner_b"), ("inner_b", "sub_in"),
                                     ("sub_in", "sub_dense"), ("sub_dense", "head")}
    sequential_outer = models.Sequential([layers.Input(shape=(3,)), model.get_layer("inner"),
                                          layers.Dense(1, name="top")], name="wrapper")
    assert named_edges(utils.model_to_dot(sequential_outer, expand_nested=True)) == {
        ("inner_a", "inner_b"), ("inner_b", "top")}


def test_subclassed_model_is_one_box_and_unbuilt_models_are_refused():
    class Tiny(models.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = layers.Dense(2)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    model = Tiny()
    with pytest.raises(ValueError, match="'tiny' has not yet been built"):
        utils.model_to_dot(model)
    model.predict(np.zeros((1, 3), np.float32), verbose=0)
    assert [title(l) for l in node_labels(utils.model_to_dot(model)).values()] == ["<b>tiny</b> (Tiny)"]
    with pytest.raises(ValueError, match="has not yet been built"):
        utils.plot_model(models.Sequential([layers.Dense(2)]))


def test_bad_arguments():
    with pytest.raises(ValueError, match="rankdir"):
        utils.model_to_dot(sequential(), rankdir="UP")
    with pytest.raises(ValueError, match="unrecognized keyword arguments"):
        utils.model_to_dot(sequential(), colour="red")


def test_missing_pydot_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    for function in (utils.plot_model, utils.model_to_dot):
        with pytest.raises(ImportError, match=re.escape("pip install pydot")):
            function(sequential())


def test_missing_graphviz_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on PATH
    with pytest.raises(ImportError, match=re.escape("apt-get install graphviz")):
        utils.plot_model(sequential(), to_file=tmp_path / "m.png")
    assert not (tmp_path / "m.png").exists()


@needs_graphviz
def test_plot_model_writes_a_png(tmp_path):
    from PIL import Image

    path = tmp_path / "plots" / "model.png"
    assert utils.plot_model(branching_model(), show_shapes=True, to_file=path) is None
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        wide, high = image.size
    assert wide > 100 and high > 100


@needs_graphviz
def test_plot_model_format_from_extension(tmp_path):
    utils.plot_model(nested_model(), to_file=tmp_path / "model.svg", expand_nested=True, rankdir="LR")
    svg = (tmp_path / "model.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "sub_dense" in svg and "cluster_inner" in svg
    utils.plot_model(sequential(), to_file=tmp_path / "noext")
    assert (tmp_path / "noext").read_bytes()[:4] == b"\x89PNG"
