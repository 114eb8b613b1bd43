"""The text table printed by model.summary()."""


def _format_size(n_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024


def _format_shape(shape):
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _fit(text, width):
    return text if len(text) < width else text[: width - 4] + "... "


def summary_lines(model, line_length=None):
    """The summary as a list of lines."""
    if getattr(model, "_graph", None) is not None:
        return graph_summary_lines(model, line_length)
    width = line_length or 65
    columns = [int(width * 0.45), int(width * 0.30)]
    columns.append(width - sum(columns))

    def row(fields):
        return "".join(_fit(f, w).ljust(w) for f, w in zip(fields[:-1], columns[:-1])) + fields[-1].rjust(
            columns[-1] - 1
        )

    lines = [f'Model: "{model.name}"', "_" * width, row(["Layer (type)", "Output Shape", "Param #"]), "=" * width]
    shape = model.input_shape if model.built else None
    layers = model.layers
    nodes = getattr(model, "_graph_nodes", [])
    for i, layer in enumerate(layers):
        if model.built:
            shape = nodes[i].output_tensors[0].shape if len(nodes) == len(layers) else layer.compute_output_shape(shape)
            params = f"{layer.count_params():,}"
        else:
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        lines.append(row([f"{layer.name} ({type(layer).__name__})", _format_shape(shape), params]))
        lines.append("_" * width if i < len(layers) - 1 else "=" * width)
    if not layers:
        lines.append("=" * width)
    return lines + _totals(model, width)


def _totals(model, width):
    trainable = sum(int(w.data.size) for w in model.trainable_weights)
    frozen = sum(int(w.data.size) for w in model.non_trainable_weights)
    return [
        f"Total params: {trainable + frozen:,} ({_format_size(4 * (trainable + frozen))})",
        f"Trainable params: {trainable:,} ({_format_size(4 * trainable)})",
        f"Non-trainable params: {frozen:,} ({_format_size(4 * frozen)})",
        "_" * width,
    ]


def graph_summary_lines(model, line_length=None):
    """A functional model's summary: each layer (and operation on symbolic tensors) once, with the
    output shape of its calls, its parameters and the tensors it reads, as `layer[node][tensor]`."""
    width = line_length or 98
    columns = [int(width * 0.33), int(width * 0.22), int(width * 0.12)]
    columns.append(width - sum(columns))

    def row(fields):
        name, shape, params, connected = fields
        return (_fit(name, columns[0]).ljust(columns[0]) + _fit(shape, columns[1]).ljust(columns[1])
                + _fit(params, columns[2]).ljust(columns[2]) + connected).rstrip()

    _, _, flat_inputs, _, nodes = model._graph
    entries = []  # (layer, [nodes of it in this graph])
    positions = {}
    for tensor in flat_inputs:
        layer = tensor.node.layer
        if id(layer) not in positions:
            positions[id(layer)] = len(entries)
            entries.append((layer, []))
    for node in nodes:
        if id(node.layer) not in positions:
            positions[id(node.layer)] = len(entries)
            entries.append((node.layer, []))
        entries[positions[id(node.layer)]][1].append(node)
    lines = [f'Model: "{model.name}"', "_" * width, row(["Layer (type)", "Output Shape", "Param #", "Connected to"]),
             "=" * width]
    for i, (layer, layer_nodes) in enumerate(entries):
        shapes = {_output_text(node) for node in layer_nodes} or {_format_shape(layer.output.shape)}
        connections = [f"{t.node.layer.name}[{t.node.index}][{t.index}]" for node in layer_nodes
                       for t in node.input_tensors]
        lines.append(row([f"{layer.name} ({type(layer).__name__})", shapes.pop() if len(shapes) == 1 else "multiple",
                          f"{layer.count_params():,}", connections[0] if connections else ""]))
        lines.extend(row(["", "", "", extra]) for extra in connections[1:])
        lines.append("_" * width if i < len(entries) - 1 else "=" * width)
    return lines + _totals(model, width)


def _output_text(node):
    shapes = [_format_shape(t.shape) for t in node.output_tensors]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def print_summary(model, line_length=None, print_fn=None):
    print_fn = print_fn or print
    for line in summary_lines(model, line_length):
        print_fn(line)
