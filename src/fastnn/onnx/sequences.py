"""Converters of Embedding and TimeDistributed."""
from .builder import Value
from .errors import refuse


def embedding(b, layer, xs):
    if layer.mask_zero:
        refuse(layer, "mask_zero=True: masks have no ONNX form in fastnn's exporter")
    table = b.weight(layer, "embeddings", lambda: layer.embeddings.data)
    indices = b.op("Cast", [xs[0].name], layer.name, to=b.onnx.TensorProto.INT64)
    return [b.op("Gather", [table, indices], layer.name, axis=0)]



def time_distributed(b, layer, xs):
    """The wrapped layer on (batch * steps, ...) samples, then the steps axis given back."""
    from .converters import CONVERTERS

    x = xs[0]
    inner = layer.layer
    converter = CONVERTERS.get(type(inner))
    if converter is None:
        refuse(layer, f"the wrapped layer {inner.name!r} ({type(inner).__name__}) has no ONNX converter")
    sample, out_sample = tuple(x.shape[2:]), tuple(inner.compute_output_shape((None,) + tuple(x.shape[2:]))[1:])
    if None in sample or None in out_sample:
        refuse(layer, f"the shapes of each step must be known (input {x.shape})")
    merged = b.reshape(x.name, [-1] + list(sample), layer.name)
    outputs = converter(b, inner, [Value(merged, (None,) + sample)])
    if len(outputs) != 1:
        refuse(layer, f"the wrapped layer {inner.name!r} returns {len(outputs)} tensors")
    batch_and_steps = b.op("Slice", [b.op("Shape", [x.name], layer.name), b.ints([0], f"{layer.name}/starts"),
                                     b.ints([2], f"{layer.name}/ends")], layer.name)
    shape = b.op("Concat", [batch_and_steps, b.ints(out_sample, f"{layer.name}/sample_shape")], layer.name, axis=0)
    return [b.op("Reshape", [outputs[0], shape], layer.name)]
