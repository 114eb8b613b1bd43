"""plot_model and model_to_dot: a model's layers drawn through pydot and Graphviz, as Keras does."""
import html
import os
import sys

from . import layer_graph as graph

PYDOT_MISSING = ("You must install pydot (`pip install pydot`, or `pip install \"fastnn[pydot]\"`) for "
                 "{what} to work.")
GRAPHVIZ_MISSING = ("You must install Graphviz, whose `dot` program draws the plot (`apt-get install graphviz`, "
                    "`brew install graphviz`, or see https://graphviz.org/download/), for plot_model to work.")


def _pydot(what):
    try:
        import pydot
    except ImportError:
        raise ImportError(PYDOT_MISSING.format(what=what)) from None
    return pydot


def check_graphviz(pydot):
    """Raises ImportError naming Graphviz when pydot cannot run Graphviz's `dot`."""
    try:
        pydot.Dot.create(pydot.Dot())
    except Exception as error:  # pydot reports a missing program as OSError or its own exception
        raise ImportError(f"{GRAPHVIZ_MISSING} ({type(error).__name__}: {error})") from None


def _shape_text(shapes):
    if shapes is None:
        return "?"
    return str(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(str(s) for s in shapes) + "]"


def _cell(text):
    return f'<td bgcolor="white"><font point-size="14">{text}</font></td>'


def _label(layer, nodes, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable):
    """An HTML-like Graphviz label: a black title row (name and class), then the shapes, dtype and
    trainable state asked for."""
    class_name = html.escape(type(layer).__name__)
    title = f"<b>{html.escape(layer.name)}</b> ({class_name})" if show_layer_names else f"<b>{class_name}</b>"
    cells = []
    node = nodes[0] if nodes else None
    if show_shapes:
        if type(layer).__name__ != "InputLayer":
            inputs = None if node is None else [t.shape for t in node.input_tensors]
            cells.append(_cell(f"Input shape: <b>{html.escape(_shape_text(inputs or None))}</b>"))
        outputs = None if node is None else [t.shape for t in node.output_tensors]
        if outputs is None and getattr(layer, "output_shape", None) is not None:
            outputs = [layer.output_shape]
        cells.append(_cell(f"Output shape: <b>{html.escape(_shape_text(outputs))}</b>"))
    if show_dtype:
        dtypes = None if node is None else [t.dtype for t in node.output_tensors]
        cells.append(_cell(f"Output dtype: <b>{html.escape(_shape_text(dtypes) if dtypes else '?')}</b>"))
    if show_trainable and layer.weights:
        colour, text = ("forestgreen", "Trainable") if layer.trainable else ("firebrick", "Non-trainable")
        cells.append(f'<td bgcolor="{colour}"><font point-size="14" color="white"><b>{text}</b></font></td>')
    span = max(1, len(cells))
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">{title}</font></td></tr>']
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        name = getattr(activation, "__name__", None) or str(activation)
        rows.append(f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">Activation: '
                    f"<b>{html.escape(name)}</b></font></td></tr>")
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">' + "".join(rows) + "</table>>"


def _add_edge(pydot, dot, source, target):
    source_id, target_id = str(id(source)), str(id(target))
    if not dot.get_edge(source_id, target_id):
        edge = pydot.Edge(source_id, target_id)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=96, subgraph=False, show_layer_activations=False, show_trainable=False,
                 splines="ortho", **kwargs):
    """A pydot.Dot of the model's layers (a pydot.Cluster with subgraph=True): one box per layer,
    an edge for each tensor a layer reads. A subclassed model is one box; with expand_nested,
    nested Sequential and functional models are drawn as dashed clusters of their own layers."""
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("model_to_dot: the argument layer_range is not supported")
    if kwargs:
        raise ValueError(f"model_to_dot: unrecognized keyword arguments: {sorted(kwargs)}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"model_to_dot: rankdir must be 'TB', 'LR', 'BT' or 'RL'. Received: rankdir={rankdir!r}")
    graph.check_built(model, "model_to_dot")
    pydot = _pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    for layer, nodes in graph.layer_nodes(model):
        if expand_nested and layer is not model and graph._is_graph_model(layer):
            dot.add_subgraph(model_to_dot(layer, rankdir=rankdir, expand_nested=True, dpi=dpi, subgraph=True,
                                          splines=splines, **options))
            continue
        node = pydot.Node(str(id(layer)), label=_label(layer, nodes, **options))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        dot.add_node(node)
    for source, output_index, target, position in graph.connections(model):
        if expand_nested:
            source = graph.last_layer_for_output(source, output_index)
            target = graph.first_layer_for_input(target, position)
        _add_edge(pydot, dot, source, target)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
               expand_nested=False, dpi=96, show_layer_activations=False, show_trainable=False, splines="ortho",
               **kwargs):
    """Draws the model (see model_to_dot) to `to_file`, in the format its extension names (png when it
    has none). Needs pydot and Graphviz; returns an IPython Image when IPython is in use."""
    graph.check_built(model, "plot_model")
    pydot = _pydot("plot_model")
    check_graphviz(pydot)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable,
                       splines=splines, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    folder = os.path.dirname(to_file)
    if folder:
        os.makedirs(folder, exist_ok=True)
    dot.write(to_file, format=extension)
    if extension != "pdf" and "IPython" in sys.modules:
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
