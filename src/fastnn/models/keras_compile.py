"""A model's compile settings and optimizer state as Keras 3 saves them, and back.

Keras's compile_config: {'optimizer': serialized optimizer, 'loss', 'loss_weights', 'metrics', ...};
its optimizer state: [iterations, learning_rate (unless a schedule sets it), then each
optimizer slot of each trainable variable, variable by variable] in the order of the model's
trainable variables as Keras lists them (the layers in Keras's order).
"""
import numpy as np

from .. import losses, optimizers
from ..optimizers import schedules
from .keras_config import fit_arguments
from .keras_weight_layout import snake_case, weight_groups

_OPTIMIZER_DEFAULTS = {"use_ema": False, "ema_momentum": 0.99}
_LOSS_DEFAULTS = {"reduction": "sum_over_batch_size", "label_smoothing": 0.0, "axis": -1}


def _with_module(value, module):
    return {"module": module, "class_name": value["class_name"], "config": value["config"], "registered_name": None}


def compile_to_keras(saved):
    """Keras's compile_config from fastnn's (saving.compile_config), or None when there is none."""
    if saved is None:
        return None
    optimizer = dict(saved["optimizer"])
    config = dict(optimizer["config"])
    if isinstance(config.get("learning_rate"), dict):
        config["learning_rate"] = _with_module(config["learning_rate"], "keras.optimizers.schedules")
    optimizer = _with_module({"class_name": optimizer["class_name"], "config": config}, "keras.optimizers")

    def loss(value):
        if isinstance(value, list):
            return [loss(v) for v in value]
        if isinstance(value, dict) and "class_name" not in value:
            return {k: loss(v) for k, v in value.items()}
        return _with_module(value, "keras.losses") if isinstance(value, dict) else value

    return {"optimizer": optimizer, "loss": loss(saved["loss"]), "loss_weights": saved.get("loss_weights"),
            "metrics": saved["metrics"], "weighted_metrics": None, "run_eagerly": False,
            "steps_per_execution": 1, "jit_compile": False}


def compile_from_keras(config, where):
    """model.compile's keyword arguments from Keras's compile_config."""
    optimizer = _optimizer_from_keras(config.get("optimizer"), where)
    metrics = config.get("metrics")
    if config.get("weighted_metrics"):
        raise ValueError(f"{where}: compile_config has weighted_metrics, which fastnn does not have; load with "
                         "compile=False and compile again")
    return {"optimizer": optimizer, "loss": _loss_from_keras(config.get("loss"), where),
            "metrics": _metrics_from_keras(metrics, where), "loss_weights": config.get("loss_weights")}


def _optimizer_from_keras(value, where):
    if isinstance(value, str):
        return optimizers.get(value)
    if not isinstance(value, dict) or "class_name" not in value:
        raise ValueError(f"{where}: compile_config's optimizer must be a serialized optimizer, found {value!r:.80}")
    cls = optimizers._BY_NAME.get(str(value["class_name"]).lower())
    if cls is None:
        raise ValueError(f"{where}: the Keras optimizer {value['class_name']} has no fastnn equivalent "
                         f"(fastnn's: {', '.join(sorted(c.__name__ for c in optimizers._BY_NAME.values()))})")
    config = {k: v for k, v in (value.get("config") or {}).items()
              if not (k in _OPTIMIZER_DEFAULTS and v == _OPTIMIZER_DEFAULTS[k])}
    rate = config.get("learning_rate")
    if isinstance(rate, dict):
        schedule = schedules.CLASSES.get(rate.get("class_name"))
        if schedule is None:
            raise ValueError(f"{where}: the learning rate schedule {rate.get('class_name')!r} has no fastnn "
                             f"equivalent (fastnn's: {', '.join(sorted(schedules.CLASSES))})")
        config["learning_rate"] = schedule(**fit_arguments(rate.get("config") or {}, schedule,
                                                           f"{where}, schedule {rate['class_name']}"))
    config = fit_arguments(config, cls, f"{where}, optimizer {value['class_name']}")
    try:
        return cls(**config)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: optimizer {value['class_name']}: {err}") from None


def _loss_from_keras(value, where):
    if isinstance(value, list):
        return [_loss_from_keras(v, where) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _loss_from_keras(v, where) for k, v in value.items()}
    if isinstance(value, dict):
        cls = losses.CLASSES.get(value["class_name"])
        if cls is None:
            raise ValueError(f"{where}: the Keras loss {value['class_name']} has no fastnn equivalent "
                             f"(fastnn's: {', '.join(sorted(losses.CLASSES))})")
        config = dict(value.get("config") or {})
        config.pop("name", None)
        config = {k: v for k, v in config.items() if not (k in _LOSS_DEFAULTS and v == _LOSS_DEFAULTS[k])}
        return cls(**fit_arguments(config, cls, f"{where}, loss {value['class_name']}"))
    if value is not None:
        losses.get(value)  # an unknown name fails here, naming the known ones
    return value


def _metrics_from_keras(metrics, where):
    def name(metric):
        if isinstance(metric, str):
            return metric
        if isinstance(metric, list):
            return [name(m) for m in metric]
        if isinstance(metric, dict) and "class_name" in metric:
            return snake_case(metric["class_name"])
        raise ValueError(f"{where}: compile_config holds a metric fastnn cannot read: {metric!r:.80}")

    if metrics is None:
        return None
    if isinstance(metrics, dict):
        return {k: name(v) for k, v in metrics.items()}
    return [name(m) for m in metrics]


# optimizer state -------------------------------------------------------------------------------------------
def _keras_order(model):
    """Positions, in fastnn's trained weights, of Keras's trainable variables in its order."""
    trained = model._trained_weights()
    position = {id(w): i for i, w in enumerate(trained)}
    order = [position[id(w)] for _, _, weights in weight_groups(model) for w in weights if id(w) in position]
    if sorted(order) != list(range(len(trained))):
        raise ValueError(f"Model {model.name!r}: its trained weights do not match its layers' weights")
    return order


# Keras creates an optimizer's slots in blocks: within a block, the slots of one variable side by
# side, variable after variable; block after block. Slots missing from an optimizer's options
# (momentum=0, centered=False, amsgrad=False) are skipped.
_BLOCKS = {"Adam": [("momentum", "velocity"), ("velocity_hat",)], "AdamW": [("momentum", "velocity"), ("velocity_hat",)],
           "Nadam": [("momentum", "velocity")], "RMSprop": [("velocity",), ("momentum",), ("average_gradient",)],
           "SGD": [("momentum",)], "Adagrad": [("accumulator",)]}


def _blocks(optimizer):
    names = list(optimizer._slot_names)
    blocks = [tuple(n for n in block if n in names) for block in _BLOCKS.get(type(optimizer).__name__, [names])]
    blocks = [block for block in blocks if block]
    if sorted(n for block in blocks for n in block) != sorted(names):
        raise ValueError(f"Optimizer {optimizer.name!r} ({type(optimizer).__name__}) has slots {names} that fastnn "
                         "cannot place in Keras's order")
    return blocks


def _offsets(trained):
    offsets, start = [], 0
    for weight in trained:
        offsets.append((start, weight.data.size, weight.data.shape))
        start += weight.data.size
    return offsets, start


def optimizer_state_to_keras(model):
    """The optimizer's state in Keras's order, or None when the optimizer has none yet.

    fastnn's optimizer keeps each slot as one array over all trained weights (in the layout of
    model.trainable_parameters()), then any scalars of its own; Keras keeps one array per slot
    and variable."""
    optimizer = model.optimizer
    if optimizer is None or not optimizer.built:
        return None
    names = list(optimizer._slot_names)
    state = optimizer.variables()
    flat = dict(zip(names, state[1:1 + len(names)]))
    extras = state[1 + len(names):]
    offsets, _ = _offsets(model._trained_weights())
    head = [np.asarray(optimizer.iterations, dtype=np.int64)]
    if optimizer._schedule is None:
        head.append(np.asarray(optimizer.learning_rate, dtype=np.float32))
    body = []
    order = _keras_order(model)
    for block in _blocks(optimizer):
        for i in order:
            start, size, shape = offsets[i]
            body += [flat[name].reshape(-1)[start:start + size].reshape(shape) for name in block]
    return head + body + [np.asarray(e, dtype=np.float32) for e in extras]


def optimizer_state_from_keras(model, arrays, where):
    """Builds model's optimizer and loads Keras's saved state `arrays` into it."""
    optimizer = model.optimizer
    optimizer.build([model.trainable_parameters().values])
    names = list(optimizer._slot_names)
    current = optimizer.variables()
    extras = current[1 + len(names):]
    order = _keras_order(model)
    has_rate = optimizer._schedule is None
    expected = 1 + int(has_rate) + len(names) * len(order) + len(extras)
    if len(arrays) != expected:
        raise ValueError(f"{where}: the optimizer state holds {len(arrays)} variables, but {optimizer.name!r} "
                         f"({type(optimizer).__name__}) of this model has {expected}; load with compile=False "
                         "to skip it")
    trained = model._trained_weights()
    offsets, total = _offsets(trained)
    flat = {name: np.zeros(total, dtype=np.float32) for name in names}
    body = iter(arrays[1 + int(has_rate):])
    for block in _blocks(optimizer):
        for i in order:
            start, size, shape = offsets[i]
            for name in block:
                value = np.asarray(next(body))
                if value.shape != tuple(shape):
                    raise ValueError(f"{where}: optimizer slot {name!r} of weight {getattr(trained[i], 'name', i)!r} "
                                     f"has shape {value.shape} in the file, the weight has {tuple(shape)}")
                flat[name][start:start + size] = value.reshape(-1)
    values = [np.asarray(arrays[0]).astype(np.int64)]
    values += [flat[name].reshape(c.shape).astype(c.dtype) for name, c in zip(names, current[1:])]
    values += [np.asarray(next(body)).astype(c.dtype).reshape(np.shape(c)) for c in extras]
    try:
        optimizer.set_variables(values)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: the optimizer state does not fit {optimizer.name!r}: {err}") from None
    if has_rate:
        optimizer.learning_rate = float(np.asarray(arrays[1]))
