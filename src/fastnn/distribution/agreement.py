"""Checking that every process is about to train the same model the same way."""


def _without_name(config):
    return {key: value for key, value in config.items() if key != "name"}


def training_description(model, batches, epochs):
    """(what, value) pairs every process must agree on before training starts: each layer's
    class, settings (but its name and initializers) and weight shapes, the compile settings, the optimizer and its state, and
    the data and loop settings."""
    items = []
    for i, layer in enumerate(model.layers):
        label = f"layer {i} ({layer.name!r})"
        items.append((f"{label} class", type(layer).__name__))
        for key, value in sorted(layer.get_config().items()):
            if key != "name" and not key.endswith("_initializer"):  # the weights come from process 0
                items.append((f"{label} {key}", repr(value)))
        items.append((f"{label} weight shapes", repr([tuple(w.data.shape) for w in layer.weights])))
    items.append(("number of layers", len(model.layers)))
    optimizer = model.optimizer
    items.append(("optimizer", f"{type(optimizer).__name__}({_without_name(optimizer.get_config())})"))
    items.append(("optimizer state built", optimizer.built))
    config = model._compile_config
    items.append(("loss", repr(config["loss"])))
    items.append(("metrics", repr(config["metrics"])))
    items.append(("run_eagerly", model.run_eagerly))
    items.append(("number of training samples", len(batches.indices)))
    items.append(("batch_size", batches.batch_size))
    items.append(("shuffle", batches.shuffle))
    items.append(("epochs", epochs))
    return items


def first_difference(descriptions):
    """None when every process's description equals process 0's, else a message naming the first
    item (in process 0's order) on which some process differs, and both values."""
    reference = descriptions[0]
    for index, (what, value) in enumerate(reference):
        for rank, description in enumerate(descriptions[1:], start=1):
            other = description[index] if index < len(description) else (what, "(missing)")
            if other != (what, value):
                other_value = other[1] if other[0] == what else f"{other[0]} = {other[1]}"
                return f"process {rank} has {what} = {other_value}, but process 0 has {value}"
    for rank, description in enumerate(descriptions[1:], start=1):
        if len(description) > len(reference):
            what, value = description[len(reference)]
            return f"process {rank} has {what} = {value}, which process 0 does not have"
    return None
