"""GraphBuilder: the nodes, weights and names of an ONNX graph as it is written.

Values are referred to by name. Every name is unique in the graph; a hint (usually the layer's
name) makes them readable. The builder knows the opset, so that ops whose inputs changed between
opsets (reductions taking their axes as an attribute or as an input) are written the right way.
"""
from collections import namedtuple

import numpy as np

Value = namedtuple("Value", "name shape")  # an ONNX value name and the fastnn shape it has (batch axis None)


class GraphBuilder:
    def __init__(self, onnx, opset, dtype):
        self.onnx = onnx
        self.opset = opset
        self.dtype = np.dtype(dtype)
        self.nodes = []
        self.initializers = []
        self._used = set()
        self._weights = {}  # (id(layer), key) -> initializer name, so a shared layer's weights are stored once

    def fresh(self, hint):
        """A name not used yet, hint itself when free."""
        name, count = hint, 0
        while name in self._used:
            count += 1
            name = f"{hint}_{count}"
        self._used.add(name)
        return name

    def reserve(self, name):
        """Claims an exact name (a graph input or output); ValueError if taken."""
        if name in self._used:
            raise ValueError(f"ONNX export: the name {name!r} is used twice in the graph")
        self._used.add(name)
        return name

    def constant(self, array, hint, dtype=None):
        """An initializer holding array (cast to the model's dtype unless dtype is given)."""
        array = np.ascontiguousarray(np.asarray(array, dtype=self.dtype if dtype is None else dtype))
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint):
        """An int64 initializer (shapes, axes, pads)."""
        return self.constant(np.asarray(values, dtype=np.int64).reshape(-1), hint, dtype=np.int64)

    def weight(self, layer, key, make):
        """The initializer for one weight of a layer, make() computing its array the first time."""
        cache_key = (id(layer), key)
        if cache_key not in self._weights:
            self._weights[cache_key] = self.constant(make(), f"{layer.name}/{key}")
        return self._weights[cache_key]

    def op(self, op_type, inputs, hint, outputs=1, **attributes):
        """Appends a node; returns its output name (or a list of `outputs` names when outputs > 1)."""
        names = [self.fresh(f"{hint}/{op_type}" if outputs == 1 else f"{hint}/{op_type}_{i}") for i in range(outputs)]
        node_name = self.fresh(f"{hint}/{op_type}_node")
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names, name=node_name, **attributes))
        return names[0] if outputs == 1 else names

    def reduce(self, op_type, x, axes, hint, keepdims=True):
        """ReduceMean/ReduceMax/ReduceSum... over axes: an attribute before opset 18 (13 for
        ReduceSum), an input from then on."""
        takes_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        if takes_input:
            return self.op(op_type, [x, self.ints(axes, f"{hint}/axes")], hint, keepdims=int(keepdims))
        return self.op(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))

    def unsqueeze(self, x, axes, hint):
        return self.op("Unsqueeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def squeeze(self, x, axes, hint):
        return self.op("Squeeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def transpose(self, x, perm, hint):
        return self.op("Transpose", [x], hint, perm=list(perm))

    def reshape(self, x, shape, hint):
        """Reshape to shape, where 0 keeps that axis (the batch) and -1 is inferred."""
        return self.op("Reshape", [x, self.ints(shape, f"{hint}/shape")], hint)

    def scalar(self, value, hint):
        return self.constant(np.asarray(value), hint)
