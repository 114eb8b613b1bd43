"""The error a layer without an ONNX form raises."""


class NotExportable(ValueError):
    """A layer, activation or option the ONNX exporter has no form for."""


def refuse(layer, why):
    raise NotExportable(f"ONNX export: layer {layer.name!r} ({type(layer).__name__}) cannot be exported: {why}")
