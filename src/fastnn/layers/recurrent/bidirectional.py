"""Bidirectional: a recurrent layer run forwards and a copy of it run backwards, outputs merged."""
from ... import ops
from ..layer import batch_shape
from .rnn import RNN, mask_array
from .wrapper import Wrapper, deserialized, serialized

MERGE_MODES = ("sum", "mul", "concat", "ave", None)


class Bidirectional(Wrapper):
    """Keras's Bidirectional(layer, merge_mode='concat', backward_layer=None).

    The forward layer is a copy of `layer` named forward_<name>, the backward one a copy with
    go_backwards flipped named backward_<name> (or backward_layer); both output zeros at masked
    steps (zero_output_for_mask, as Keras sets it). With return_sequences the
    backward outputs are put back in time order before merging: 'concat' along the features,
    'sum', 'mul', 'ave', or None for the list [forward, backward]. return_state appends the
    forward layer's final states, then the backward layer's. Weights: the forward layer's, then
    the backward layer's, named forward_<name>/kernel, ...
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, RNN):
            raise ValueError(f"Please initialize `Bidirectional` layer with a recurrent layer (an RNN such as LSTM "
                             f"or GRU). Received: {layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, RNN):
            raise ValueError(f"`backward_layer` needs to be a recurrent layer. Received: {backward_layer!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                             "{'sum', 'mul', 'ave', 'concat', None}")
        self.merge_mode = merge_mode
        self.layer = layer
        self.forward_layer = self._copy(layer, "forward_", layer.go_backwards)
        if backward_layer is None:
            self.backward_layer = self._copy(layer, "backward_", not layer.go_backwards)
        else:
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr) != getattr(layer, attr):
                    raise ValueError(f"Forward layer and backward layer should have the same `{attr}`. Received: "
                                     f"{attr}={getattr(layer, attr)} and {getattr(backward_layer, attr)}")
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError("Forward layer and backward layer should have opposite `go_backwards`. Received: "
                                 f"go_backwards={layer.go_backwards} for both")
            self.backward_layer = backward_layer
        self._backward_given = backward_layer is not None
        for inner in (self.forward_layer, self.backward_layer):  # as Keras: masked steps output zeros
            inner.zero_output_for_mask = inner.return_sequences
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = layer.stateful
        self._initial_weights = weights

    @staticmethod
    def _copy(layer, prefix, go_backwards):
        config = serialized(layer)
        name = config["config"]["name"]
        for known in ("forward_", "backward_"):
            name = name[len(known):] if name.startswith(known) else name
        config["config"].update(name=prefix + name, go_backwards=go_backwards)
        config["config"].pop("input_shape", None)
        return deserialized(config)

    def build(self, input_shape):
        self.forward_layer._check_sequences(input_shape, owner=self)
        for layer in (self.forward_layer, self.backward_layer):
            layer.build_for(input_shape)
        self.adopt_weights([self.forward_layer, self.backward_layer],
                           [self.forward_layer.name + "/", self.backward_layer.name + "/"])
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape):
        self.forward_layer._check_sequences(input_shape, owner=self)
        shape = self.forward_layer.compute_output_shape(input_shape)
        output, states = (shape[0], shape[1:]) if self.return_state else (shape, [])
        if self.merge_mode == "concat":
            output = tuple(output[:-1]) + (output[-1] * 2,)
        elif self.merge_mode is None:
            output = [output, output]
        if self.return_state:
            return ([output] if self.merge_mode is not None else output) + list(states) * 2
        return output

    def check_input_shape(self, input_shape):
        self.forward_layer._check_sequences(input_shape, owner=self)
        self.forward_layer.check_input_shape(input_shape)

    def compute_mask(self, inputs, previous_mask):
        if not self.return_sequences or self.return_state or self.merge_mode is None:
            return None
        return previous_mask

    def reset_states(self, states=None):
        half = None if states is None else len(states) // 2
        self.forward_layer.reset_states(None if states is None else states[:half])
        self.backward_layer.reset_states(None if states is None else states[half:])

    reset_state = reset_states

    def call(self, inputs, training=False, initial_state=None, mask=None):
        forward_state = backward_state = None
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            if len(states) != 2 * half or half != len(self.forward_layer.state_size):
                raise ValueError(f"Layer {self.name!r} (Bidirectional) expects {2 * len(self.forward_layer.state_size)} "
                                 f"initial states (the forward layer's, then the backward one's), received "
                                 f"{len(states)}")
            forward_state, backward_state = states[:half], states[half:]
        if mask is not None:
            mask_array(self, inputs, mask)
        y = self.forward_layer(inputs, training=training, initial_state=forward_state, mask=mask)
        y_rev = self.backward_layer(inputs, training=training, initial_state=backward_state, mask=mask)
        states = []
        if self.return_state:
            states = y[1:] + y_rev[1:]
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.slice_axis(y_rev, 1, None, None, -1)
        if self.merge_mode == "concat":
            output = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = [y, y_rev]
        if self.return_state:
            return (output if self.merge_mode is None else [output]) + states
        return output

    def get_config(self):
        config = super().get_config()
        config.update(layer=serialized(self.layer), merge_mode=self.merge_mode)
        if self._backward_given:
            config["backward_layer"] = serialized(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialized(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialized(backward, custom_objects)
        return cls(layer, backward_layer=backward, **config)
