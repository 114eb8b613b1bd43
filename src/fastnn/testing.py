"""gradcheck: compares reverse-mode gradients with central finite differences in float64."""
import numpy as np

from .tensor import Tensor, no_grad


def _weighted_output(f, inputs, weights):
    with no_grad():
        out = f(*inputs)
    return float(np.sum(np.asarray(out.data, dtype=np.float64) * weights))


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Checks the gradient of f at inputs; returns True or raises AssertionError with the worst element.

    Floating inputs are copied to float64 Tensors that require grad; other inputs (integer
    class labels, ...) are passed unchanged. A non-scalar output y is reduced to sum(y * w)
    with fixed random weights w, so every output element is checked.
    """
    tensors = []
    for x in inputs:
        data = np.asarray(x.data if isinstance(x, Tensor) else x)
        if data.dtype.kind == "f":
            tensors.append(Tensor(np.array(data, dtype=np.float64), requires_grad=True))
        else:
            tensors.append(x)
    checked = [i for i, t in enumerate(tensors) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no floating-point input to differentiate")

    out = f(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    if out.requires_grad:
        out.backward(weights.astype(out.dtype))

    worst = None  # (excess over tolerance, input index, position, analytic, numeric)
    for i in checked:
        t = tensors[i]
        analytic = np.zeros(t.shape) if t.grad is None else t.grad
        for pos in np.ndindex(t.shape):
            original = t.data[pos]
            t.data[pos] = original + eps
            plus = _weighted_output(f, tensors, weights)
            t.data[pos] = original - eps
            minus = _weighted_output(f, tensors, weights)
            t.data[pos] = original
            numeric = (plus - minus) / (2 * eps)
            excess = abs(analytic[pos] - numeric) - (atol + rtol * abs(numeric))
            if worst is None or excess > worst[0]:
                worst = (excess, i, pos, float(analytic[pos]), numeric)
    if worst is not None and worst[0] > 0:
        _, i, pos, a, n = worst
        raise AssertionError(
            f"gradcheck failed: worst element is input {i} at position {pos}: analytic {a:.8g}, "
            f"numeric {n:.8g}, |difference| {abs(a - n):.3g} > atol + rtol * |numeric| = "
            f"{atol + rtol * abs(n):.3g}"
        )
    return True


def _weighted_sum(outputs, weights):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return float(sum(np.sum(np.asarray(o.data, dtype=np.float64) * w) for o, w in zip(outputs, weights)))


def layer_gradcheck(call, layer, *inputs, check_inputs=True, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Checks a built layer's gradients, for its weights and its floating inputs, against central
    finite differences in float64; returns True or raises AssertionError naming the worst element.

    call(*inputs) runs the layer (e.g. lambda x: layer(x, training=True)) and returns a Tensor or a
    list of them (each output y enters as sum(y * w), w fixed random weights). The layer's weights
    are converted to float64 in place and stay so; call must give the same result on every run
    (reseed dropout inside it, keep stateful layers out).
    """
    tensors = [Tensor(np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64),
                      requires_grad=check_inputs and np.asarray(x.data if isinstance(x, Tensor) else x).dtype.kind == "f")
               for x in inputs]
    params = layer.trainable_weights
    for w in layer.weights:
        w.data = np.array(w.data, dtype=np.float64)
        w.grad = None
    for w in params:
        w.requires_grad = True
    out = call(*tensors)
    outputs = out if isinstance(out, (list, tuple)) else [out]
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(0.5, 1.5, size=o.shape) for o in outputs]
    total = None
    for o, w in zip(outputs, weights):
        if o.requires_grad:
            term = (o * Tensor(w)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    checked = [t for t in tensors if t.requires_grad] + list(params)
    if not checked:
        raise ValueError("layer_gradcheck: nothing to differentiate")
    worst = None
    for i, t in enumerate(checked):
        analytic = np.zeros(t.shape) if t.grad is None else t.grad
        for pos in np.ndindex(t.shape):
            original = t.data[pos]
            t.data[pos] = original + eps
            with no_grad():
                plus = _weighted_sum(call(*tensors), weights)
            t.data[pos] = original - eps
            with no_grad():
                minus = _weighted_sum(call(*tensors), weights)
            t.data[pos] = original
            numeric = (plus - minus) / (2 * eps)
            excess = abs(analytic[pos] - numeric) - (atol + rtol * abs(numeric))
            if worst is None or excess > worst[0]:
                worst = (excess, i, pos, float(analytic[pos]), numeric)
    if worst[0] > 0:
        _, i, pos, a, n = worst
        names = {id(w): name for w, name in zip(layer.weights, layer.weight_names)}
        what = f"weight {names[id(checked[i])]!r}" if id(checked[i]) in names else f"input {i}"
        raise AssertionError(f"layer_gradcheck failed: worst element is {what} at position {pos}: analytic {a:.8g}, "
                             f"numeric {n:.8g}, |difference| {abs(a - n):.3g}")
    return True
