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
    for i, layer in enumerate(layers):
        if model.built:
            shape = layer.compute_output_shape(shape)
            params = f"{layer.count_params():,}"
        else:
            params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        lines.append(row([f"{layer.name} ({type(layer).__name__})", _format_shape(shape), params]))
        lines.append("_" * width if i < len(layers) - 1 else "=" * width)
    if not layers:
        lines.append("=" * width)
    trainable = sum(int(w.data.size) for w in model.trainable_weights)
    frozen = sum(int(w.data.size) for w in model.non_trainable_weights)
    lines += [
        f"Total params: {trainable + frozen:,} ({_format_size(4 * (trainable + frozen))})",
        f"Trainable params: {trainable:,} ({_format_size(4 * trainable)})",
        f"Non-trainable params: {frozen:,} ({_format_size(4 * frozen)})",
        "_" * width,
    ]
    return lines


def print_summary(model, line_length=None, print_fn=None):
    print_fn = print_fn or print
    for line in summary_lines(model, line_length):
        print_fn(line)
