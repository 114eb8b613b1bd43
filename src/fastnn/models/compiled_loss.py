"""What compile() turns loss, loss_weights and metrics into, per output of the model.

One loss applies to every output; a list gives one per output, in order; a dict one per output
name (an output missing from the dict is not trained). loss_weights likewise (list or dict,
default 1). metrics: a list applies to every output, a list of lists or a dict gives each
output its own. The training loss is the sum of each output's mean loss times its weight,
plus the penalties layers add.
"""
import numbers

from .. import metrics as metrics_module
from .objective import Objective


def _per_output(value, names, what, default, is_one):
    """value spread over the outputs: one value for all, a list in order, a dict by name."""
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(
                f"compile(): {what} has key {unknown[0]!r}, which is not the name of an output of the model. "
                f"Its outputs are: {', '.join(repr(n) for n in names)}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)) and not is_one(value):
        if len(value) != len(names):
            raise ValueError(
                f"compile(): {what} is a list of {len(value)}, but the model has {len(names)} outputs "
                f"({', '.join(repr(n) for n in names)}); give one per output, or a dict by output name")
        return list(value)
    return [value] * len(names)


def _check_weight(weight, name):
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        raise ValueError(f"compile(): loss_weights for output {name!r} must be a number. Received: {weight!r}")
    return float(weight)


class CompiledLoss:
    """The objectives (None for an output without a loss) and loss weights of each output."""

    def __init__(self, loss, loss_weights, names):
        self.names = list(names)
        losses = _per_output(loss, self.names, "loss", None, lambda v: False)
        self.objectives = [None if identifier is None else Objective(identifier) for identifier in losses]
        weights = _per_output(1.0 if loss_weights is None else loss_weights, self.names, "loss_weights", 1.0,
                              lambda v: False)
        self.weights = [_check_weight(w, n) for w, n in zip(weights, self.names)]

    @property
    def trains_outputs(self):
        return any(o is not None for o in self.objectives)

    def __call__(self, targets, outputs, sample_weight):
        """(the weighted sum of the outputs' losses or None, each output's loss or None)."""
        total, each = None, []
        for objective, weight, target, output in zip(self.objectives, self.weights, targets, outputs):
            if objective is None or target is None:
                each.append(None)
                continue
            value = objective(target, output, sample_weight)
            each.append(value)
            weighted = value if weight == 1.0 else value * weight
            total = weighted if total is None else total + weighted
        return total, each


def metric_identifiers(metrics, names):
    """The metric identifiers of each output (a list per output)."""
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, (str, bytes)) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, dict):
        unknown = [key for key in metrics if key not in names]
        if unknown:
            raise ValueError(
                f"compile(): metrics has key {unknown[0]!r}, which is not the name of an output of the model. "
                f"Its outputs are: {', '.join(repr(n) for n in names)}")
        per_output = [metrics.get(name) or [] for name in names]
        return [[m] if isinstance(m, str) or callable(m) else list(m) for m in per_output]
    if not isinstance(metrics, (list, tuple)):
        raise ValueError(f"metrics must be a list of metric names or functions. Received: metrics={metrics!r}")
    if metrics and len(names) > 1 and any(isinstance(m, (list, tuple)) for m in metrics):
        if len(metrics) != len(names):
            raise ValueError(f"compile(): metrics is a list of {len(metrics)} lists, but the model has "
                             f"{len(names)} outputs; give one list per output")
        return [[] if m is None else ([m] if isinstance(m, str) or callable(m) else list(m)) for m in metrics]
    return [list(metrics) for _ in names]


def check_metric_identifiers(per_output):
    for identifiers in per_output:
        for identifier in identifiers:
            metrics_module.get(identifier)  # unknown names fail here, not at the first fit
