"""Layer calls recorded first and made in the order Keras lists a functional model's layers.

A model's layers are listed in the order they were called, and legacy weight files hold one
group per layer in that list. Keras lists them farthest from the output first (the longest path
to the output), ties in the order a depth-first walk from the output, inputs in order, first
meets them. Architectures with parallel branches (Inception's towers, Xception's residual
shortcuts) describe their graph with `later` as the code reads best, creating each layer as Keras
creates it (so unnamed layers take the same numbered names), and `make` calls them in Keras's
order.
"""


class Later:
    """`layer` to be called on `inputs` (a Later or a list of them); with no layer, `tensor`, a
    symbolic tensor that already exists."""

    __slots__ = ("layer", "inputs", "tensor")

    def __init__(self, layer=None, inputs=(), tensor=None):
        self.layer, self.inputs, self.tensor = layer, inputs, tensor

    def parents(self):
        return list(self.inputs) if isinstance(self.inputs, (list, tuple)) else [self.inputs]


def start(tensor):
    """The recorded graph's starting point: an existing symbolic tensor."""
    return Later(tensor=tensor)


def later(layer, inputs):
    return Later(layer, inputs)


def _walk(output):
    """(first-visit index of each node, nodes with every node after all its consumers)."""
    index, seen, stack = {}, set(), [output]
    while stack:  # pre-order, each node numbered when first met
        node = stack.pop()
        if id(node) in index:
            continue
        index[id(node)] = len(index)
        stack.extend(reversed(node.parents()))
    order, stack = [], [(output, False)]
    while stack:  # reversed post-order: consumers before the nodes they read
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in reversed(node.parents()))
    return index, order[::-1]


def make(output):
    """Calls every recorded layer `output` depends on, farthest from `output` first, and returns
    `output`'s symbolic tensor."""
    index, consumers_first = _walk(output)
    depth = {id(output): 0}
    for node in consumers_first:
        for parent in node.parents():
            depth[id(parent)] = max(depth.get(id(parent), 0), depth[id(node)] + 1)
    pending = [node for node in consumers_first if node.tensor is None]
    for node in sorted(pending, key=lambda n: (-depth[id(n)], index[id(n)])):
        inputs = [parent.tensor for parent in node.parents()]
        node.tensor = node.layer(inputs if isinstance(node.inputs, (list, tuple)) else inputs[0])
    return output.tensor
