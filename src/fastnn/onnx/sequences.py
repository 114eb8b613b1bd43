"""Converters of the sequence layers."""
from .errors import refuse


def embedding(b, layer, xs):
    if layer.mask_zero:
        refuse(layer, "mask_zero=True: masks have no ONNX form in fastnn's exporter")
    table = b.weight(layer, "embeddings", lambda: layer.embeddings.data)
    indices = b.op("Cast", [xs[0].name], layer.name, to=b.onnx.TensorProto.INT64)
    return [b.op("Gather", [table, indices], layer.name, axis=0)]

