"""Trainer: compile, fit, evaluate and predict for a model made of layers.

train_step, test_step and predict_step are the only places that compute. The make_*_function
factories return them as compiled steps: each batch size's step is recorded once, checked
once against the eager step, then replayed from its kernel calls (fastnn.engine), and made
again whenever the model, its weights' arrays or the loss change. fit, evaluate and predict
are loops over an EpochIterator plus the callbacks.

A model class mixing this in is a Layer and provides `layers`, `call`, `build(input_shape)`,
`built`, `input_shape`, `output_shape`, `_input_names` and `_output_names` (one name per
input and output), and `_pack_inputs` / `_flat_outputs`, which go between the model's own
structure of inputs and outputs and the flat order the trainer keeps them in. One input is one
array; several are a tuple of arrays in the model's order (likewise the targets, None for an
output trained on no loss), given to fit as lists or dicts by name.
"""
import math
import numbers
import threading
import warnings

import numpy as np

from .. import callbacks as callbacks_module
from .. import debug, distribution, engine
from .. import metrics as metrics_module
from .. import optimizers
from ..layers import layer as layer_module
from ..layers import nest
from ..layers.layer import as_float32_inputs, batch_shape
from .. import tensor as tensor_module
from ..tensor import Tensor, is_grad_enabled, no_grad
from ..utils import random
from . import batch_norm_folding, structured_data
from .batch_stream import check_sample_weight, is_batch_source
from .compiled_loss import CompiledLoss, check_metric_identifiers, metric_identifiers
from .data import _buffer as _batch_buffer, as_samples, check_batch_size, check_same_length, prepare_targets
from .data_sources import batches_of, check_steps, sample_weights
from .epoch_iterator import check_shuffle
from .generator_methods import GeneratorMethods
from .parameters import FlatParameters
from .structure_memo import StructureMemo

_NO_LOSS = object()  # compile()'s loss when none is given (loss=None trains on added losses only)


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or not isinstance(verbose, numbers.Integral) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


class Trainer(GeneratorMethods):
    def _init_training(self):
        self.optimizer = None
        self.objective = None
        self.compiled_loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_identifiers = []
        self._output_metric_identifiers = []
        self._compile_config = None
        self._per_thread = threading.local()  # each thread's compiled steps and batch buffers
        self.run_eagerly = False
        self._initial_epoch = None  # where a restoring callback (BackupAndRestore) makes fit start
        self._parameters = None
        self._compiled_at = 0
        self._trainable_snapshot = {}
        self._eager_warnings = set()
        self._structure_memo = StructureMemo()

    # compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=_NO_LOSS, metrics=None, loss_weights=None, run_eagerly=False,
                **kwargs):
        """Sets the optimizer, the loss and the metrics reported by fit and evaluate.

        For several outputs, loss and loss_weights take one value for all, a list (one per output)
        or a dict by output name, and metrics a list for every output, a list of lists or a dict.
        loss=None trains on the losses the layers add (add_loss) alone. What is trainable is
        fixed here (Keras 1st-edition semantics): setting `trainable` later changes the models
        compiled later, not this one once another model holding the layer has been compiled.
        With run_eagerly=True every step runs through the autodiff engine op by op instead of
        replaying its recorded kernel calls (the same results, more slowly).
        """
        for key in kwargs:
            if key not in ("weighted_metrics", "sample_weight_mode", "target_tensors", "jit_compile", "steps_per_execution"):
                raise TypeError(f"compile() got an unexpected keyword argument {key!r}")
        if loss is _NO_LOSS:
            raise ValueError("compile() needs a loss, e.g. loss='categorical_crossentropy' (or loss=None to train "
                             "only on the losses the layers add with add_loss)")
        names = self._output_names
        per_output_metrics = metric_identifiers(metrics, names)
        check_metric_identifiers(per_output_metrics)
        self.optimizer = optimizers.get(optimizer)
        # a subclassed model's outputs are known once it is built: its losses are resolved then
        self.compiled_loss = None if self._outputs_unknown() else CompiledLoss(loss, loss_weights, names)
        self.objective = self.compiled_loss.objectives[0] if len(names) == 1 and self.compiled_loss else None
        self._output_metric_identifiers = per_output_metrics
        self._metric_identifiers = per_output_metrics[0] if len(names) == 1 else []
        self._compile_config = {"optimizer": optimizer, "loss": loss,
                                "metrics": list(self._metric_identifiers) if len(names) == 1 else metrics}
        if loss_weights is not None:
            self._compile_config["loss_weights"] = loss_weights
        self.compiled = True
        self.run_eagerly = bool(run_eagerly)
        self._per_thread = threading.local()
        self._snapshot_trainable()

    # Compiled steps replay kernels on fixed buffers, so each thread has its own steps and the
    # batch buffers they read, reused from call to call.
    train_function = property(lambda self: getattr(self._per_thread, "train_function", None),
                              lambda self, f: setattr(self._per_thread, "train_function", f))
    test_function = property(lambda self: getattr(self._per_thread, "test_function", None),
                             lambda self, f: setattr(self._per_thread, "test_function", f))
    predict_function = property(lambda self: getattr(self._per_thread, "predict_function", None),
                                lambda self, f: setattr(self._per_thread, "predict_function", f))

    def _batch_buffers(self):
        if not hasattr(self._per_thread, "buffers"):
            self._per_thread.buffers = {}
        return self._per_thread.buffers

    def _require_compiled(self, method):
        if not self.compiled:
            raise ValueError(
                f"You must call compile() before {method}(), e.g. "
                "model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])"
            )

    def _outputs_unknown(self):
        return False

    # inputs and outputs by name -----------------------------------------------------------------
    @property
    def _single_output(self):
        return len(self._output_names) == 1

    @property
    def _single_input(self):
        return len(self._input_names) == 1

    def _flat_output_shapes(self):
        return [self.output_shape] if self._single_output else list(self.output_shape)

    def _flat_input_shapes(self):
        return [self.input_shape] if self._single_input else list(self.input_shape)

    # metrics -----------------------------------------------------------------------------
    def _output_label(self, index, what):
        return what if self._single_output else f"{self._output_names[index]}_{what}"

    @property
    def metrics_names(self):
        names = ["loss"]
        if not self._single_output and self.compiled_loss is not None:
            names += [self._output_label(i, "loss") for i, o in enumerate(self.compiled_loss.objectives)
                      if o is not None]
        for i, identifiers in enumerate(self._output_metric_identifiers):
            names += [self._output_label(i, metrics_module.get(identifier)[0]) for identifier in identifiers]
        return names

    def _resolve_metrics(self, targets):
        """[(display name, output index, fn)] for the compiled metrics, given targets like these."""
        targets = [targets] if self._single_output else list(targets or [None] * len(self._output_names))
        shapes = self._flat_output_shapes()
        resolved = []
        for i, identifiers in enumerate(self._output_metric_identifiers):
            objective = self.compiled_loss.objectives[i]
            for identifier in identifiers:
                if targets[i] is None:
                    continue
                name, fn = metrics_module.get(identifier, loss_name=None if objective is None else objective.name,
                                              y_true_shape=targets[i].shape, y_pred_shape=shapes[i])
                resolved.append((self._output_label(i, name), i, fn))
        return resolved

    # inputs ------------------------------------------------------------------------------
    def _check_inputs(self, x, name="x"):
        """x as the model takes it (an array, or a tuple of arrays for several inputs), building
        the model from its shape if needed."""
        if not self._single_input:
            if not self.built:
                self.build()
            return structured_data.checked_inputs(x, self._input_names, self._flat_input_shapes(), name, self.name)
        x = as_samples(structured_data.unwrap_single(x, self._input_names, name, "input"), name)
        if not self.built:
            self.build((None,) + x.shape[1:])
        self._check_input_array(x, name)
        return x

    def _check_input_array(self, x, name):
        expected = tuple(self.input_shape[1:])
        if len(x.shape[1:]) != len(expected) or any(e is not None and d != e for d, e in zip(x.shape[1:], expected)):
            first = self.layers[0]
            raise ValueError(
                f"Input of layer {first.name!r} ({type(first).__name__}) is incompatible with the layer: "
                f"expected shape {batch_shape(self.input_shape)}, but {name} has shape {batch_shape(x.shape)}"
            )

    def _check_targets(self, y, y_name):
        """y as the losses take it: an array, or a tuple (None for an output without a loss)."""
        objectives, shapes = self.compiled_loss.objectives, self._flat_output_shapes()
        if self._single_output:
            y = as_samples(structured_data.unwrap_single(y, self._output_names, y_name, "output"), y_name)
            return y if objectives[0] is None else prepare_targets(y, objectives[0].fn, shapes[0], y_name)
        arrays = structured_data.arrays_by_name(y, self._output_names, y_name, "outputs", allow_missing=True)
        targets = []
        for i, (array, objective, shape, output) in enumerate(zip(arrays, objectives, shapes, self._output_names)):
            label = f"{y_name}[{output!r}]" if isinstance(y, dict) else f"{y_name}[{i}]"
            if array is None or objective is None:
                if objective is not None:
                    raise ValueError(f"{label} is missing: output {output!r} is trained on loss {objective.name!r}; "
                                     f"pass its targets (or compile without a loss for it)")
                targets.append(None)
                continue
            targets.append(prepare_targets(as_samples(array, label), objective.fn, shape, label))
        return tuple(targets)

    def _check_data(self, x, y, x_name="x", y_name="y"):
        x = self._check_inputs(x, x_name)
        if y is None:
            if self.compiled_loss.trains_outputs:
                raise ValueError(f"{y_name} is required: pass the targets for {x_name}")
            return x, None
        targets = self._check_targets(y, y_name)
        first_x = structured_data.first(x)
        for i, target in enumerate(targets if isinstance(targets, tuple) else (targets,)):
            if target is not None:
                label = y_name if not isinstance(targets, tuple) else f"{y_name}[{self._output_names[i]!r}]"
                check_same_length(first_x, target, x_name, label)
        return x, targets

    def _class_count(self):
        return self.output_shape[-1] if self._single_output else None

    def _sample_weights(self, sample_weight, class_weight, targets, n):
        if class_weight is not None and not self._single_output:
            raise ValueError("class_weight is supported for models with one output; give sample_weight instead")
        if targets is None or isinstance(targets, tuple):
            return check_sample_weight(sample_weight, n)
        return sample_weights(sample_weight, class_weight, targets, self.output_shape[-1])

    # forward -----------------------------------------------------------------------------
    def _input_owner(self):
        return f"Model {self.name!r}"

    def call(self, inputs, training=False):
        """The model's output Tensor for an input Tensor or array."""
        x = inputs if isinstance(inputs, Tensor) else Tensor(as_float32_inputs(inputs, f"Model {self.name!r}"))
        if not self.built:
            self.build((None,) + x.shape[1:])
        layers = self.layers
        folds = batch_norm_folding.chain_folds(layers) if batch_norm_folding.active(training) else {}
        i = 0
        while i < len(layers):
            fold = folds.get(i)
            value = fold[0](x) if fold is not None else None
            if value is not None:
                x, i = value, fold[1] + 1
                continue
            x = layers[i](x, training=training)
            i += 1
        return x

    def _forward(self, x, training):
        """(flat output Tensors, the penalties of this call) for x as the trainer holds it."""
        tensors = tuple(Tensor(a) for a in x) if isinstance(x, tuple) else Tensor(x)
        with layer_module.calling(training) as generation:
            outputs = self._invoke_call(self._pack_inputs(tensors), (), {}, training)
        return self._flat_outputs(outputs), self._losses_of_call(generation)

    def _pack_inputs(self, tensors):
        return tensors

    def _flat_outputs(self, outputs):
        return [outputs]

    # the steps ---------------------------------------------------------------------------
    def _sublayers(self):
        return self.layers

    def _loss(self, y, outputs, sample_weight, penalties):
        """The training loss (the outputs' weighted mean losses plus the penalties) and each output's loss."""
        targets = [y] if not isinstance(y, tuple) else list(y)
        if y is None:
            targets = [None] * len(outputs)
        loss, each = self.compiled_loss(targets, outputs, sample_weight)
        for penalty in penalties:
            loss = penalty if loss is None else loss + penalty
        if loss is None:
            raise ValueError(f"Model {self.name!r} has nothing to train on: it was compiled with loss=None and "
                             "no layer added a loss (add_loss) in this call")
        return loss, each

    def _packed_predictions(self, outputs):
        return outputs[0].data if self._single_output else tuple(o.data for o in outputs)

    def compute_gradients(self, x, y, sample_weight=None):
        """Forward and backward on one batch: the gradients land in the trainable parameters'
        flat gradient buffer. Returns (loss, predictions, gradient buffer, parameter buffer), and
        for several outputs each output's loss after them."""
        parameters = self.trainable_parameters()
        parameters.zero_grads()
        outputs, penalties = self._forward(x, training=True)
        loss, each = self._loss(y, outputs, sample_weight, penalties)
        if loss.requires_grad:
            loss.backward()
        result = (loss.data, self._packed_predictions(outputs), parameters.gathered_grads(), parameters.values)
        if self._single_output:
            return result
        return result + (tuple(_loss_array(value) for value in each),)

    def train_step(self, x, y, sample_weight=None):
        """One gradient step on a batch; returns (loss, predictions) as arrays."""
        loss, predictions, grads, values = self.compute_gradients(x, y, sample_weight)[:4]
        self._apply_gradients(grads, values)
        return loss, predictions

    def _apply_gradients(self, grads, values):
        if not values.size:
            return
        if self.optimizer.needs_segments:  # per-variable clipping needs the variables' sizes
            sizes = [t.data.size for t in self.trainable_parameters().tensors]
            self.optimizer.apply([grads], [values], segments=sizes)
        else:
            self.optimizer.apply([grads], [values])

    def test_step(self, x, y, sample_weight=None):
        """(per-sample losses with the penalties, predictions) for one batch, as arrays; for several
        outputs each output's per-sample losses after them."""
        n = structured_data.length(x)
        with no_grad():
            outputs, penalties = self._forward(x, training=False)
            targets = [y] if not isinstance(y, tuple) else list(y)
            if y is None:
                targets = [None] * len(outputs)
            losses, each = None, []
            for objective, weight, target, output in zip(self.compiled_loss.objectives, self.compiled_loss.weights,
                                                         targets, outputs):
                if objective is None or target is None:
                    each.append(None)
                    continue
                values = objective.values(target, output)
                if sample_weight is not None and values.ndim:
                    values = values * sample_weight
                each.append(values)
                weighted = values if weight == 1.0 else values * weight
                losses = weighted if losses is None else losses + weighted
            for penalty in penalties:
                losses = penalty if losses is None else losses + penalty
            if losses is None:
                losses = Tensor(np.zeros((), np.float32))
        result = (np.broadcast_to(losses.data, (n,)), self._packed_predictions(outputs))
        if self._single_output:
            return result
        return result + (tuple(None if v is None else np.broadcast_to(v.data, (n,)) for v in each),)

    def predict_step(self, x):
        """The model's outputs for one batch, as an array (a tuple of arrays for several outputs)."""
        with no_grad(), batch_norm_folding.folding():
            outputs, _ = self._forward(x, training=False)
            return self._packed_predictions(outputs)

    # what is trained ---------------------------------------------------------------------------
    def _snapshot_trainable(self):
        """compile(): records every layer's trainable flag, and that this model was compiled now."""
        self._compiled_at = layer_module.trainable_tick()
        self._trainable_snapshot = {}
        for layer in self._all_sublayers(include_self=True):
            self._trainable_snapshot[id(layer)] = layer.trainable
            layer._last_compiled_at = self._compiled_at

    def _trains_layer(self, layer):
        """layer's trainable flag as this model sees it: the flag at compile() when it changed since
        and another model holding the layer was compiled after the change, else the flag now."""
        changed = layer._trainable_changed_at
        if self.compiled and changed > self._compiled_at and layer._last_compiled_at > changed:
            return self._trainable_snapshot.get(id(layer), layer.trainable)
        return layer.trainable

    def _trained_weights(self):
        """The weights this model's training steps update, each once: the trainable weights of
        every layer this model trains (a layer's own `trainable_weights`, which a layer holding
        others may define), through nested models."""
        trained, seen = [], set()

        def add(weights):
            for weight in weights:
                if id(weight) not in seen:
                    seen.add(id(weight))
                    trained.append(weight)

        def visit(layer, path):
            if not self._trains_layer(layer):
                return
            if isinstance(layer, Trainer):
                add(w for w in layer._weights if id(w) not in layer._frozen_weights)
                for sublayer in layer.layers:
                    if id(sublayer) not in path:
                        visit(sublayer, path | {id(sublayer)})
            elif layer.trainable:
                add(layer.trainable_weights)
            else:  # trained by the flag this model was compiled with, not by the flag now
                add(w for w in layer.weights if id(w) not in layer._frozen_weights)

        visit(self, {id(self)})
        return trained

    def _structure(self):
        """The model's sublayers, weights and trained weights, memoized while its structure holds."""
        return self._structure_memo.get(self)

    def trainable_parameters(self):
        """The trained weights gathered in one FlatParameters buffer (made again when they change)."""
        structure = self._structure()
        trainable = structure.trained
        trained = {id(w) for w in trainable}
        for weight in structure.weights:
            if id(weight) not in trained:
                weight.requires_grad = False
                weight.grad = None
        for weight in trainable:
            weight.requires_grad = True
        if self._parameters is None or not self._parameters.holds(trainable):
            before = self._parameters
            self._parameters = FlatParameters(trainable)
            if before is not None and self.optimizer is not None and self.optimizer.built \
                    and [t.shape for t in before.tensors] != [t.shape for t in trainable]:
                raise ValueError(
                    f"The weights model {self.name!r} trains changed after its optimizer started (a layer's "
                    f"`trainable` was set): {len(before.tensors)} weight arrays before, {len(trainable)} now. "
                    "Call compile() again after changing `trainable`.")
        return self._parameters

    # export ------------------------------------------------------------------------------
    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, opset_version=None):
        """Writes the model's inference graph to filepath in `format`, as Keras 3 does; fastnn
        writes format="onnx" only (fastnn.onnx.export_model, through the onnx package:
        pip install "fastnn[onnx]"), opset_version defaulting to fastnn.onnx.DEFAULT_OPSET."""
        from .. import onnx as onnx_export

        if format != "onnx":
            raise ValueError(f"Model {self.name!r}: fastnn exports format='onnx' only (it writes no TensorFlow "
                             f"SavedModel, TFLite or OpenVINO files). Received: format={format!r}")
        if input_signature is not None:
            raise ValueError(f"Model {self.name!r}: export takes its input signature from the model's Input layers; "
                             f"input_signature is not supported. Received: input_signature={input_signature!r}")
        opset = onnx_export.DEFAULT_OPSET if opset_version is None else opset_version
        path = onnx_export.export_model(self, filepath, opset=opset)
        if verbose:
            print(f"Saved the ONNX model of {self.name!r} to {path}")
        return path

    # weights -----------------------------------------------------------------------------
    def count_params(self):
        return sum(int(w.data.size) for w in self.weights)

    def get_weights(self):
        """Copies of every weight array, layer by layer."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        """Copies arrays (in get_weights order) into the model's weights."""
        weights = list(weights)
        expected = len(self.weights)
        if len(weights) != expected:
            raise ValueError(
                f"Model {self.name!r} has {expected} weight arrays, received a list of {len(weights)}"
            )
        checked, start, seen = [], 0, set()
        for layer in self.layers:  # every layer's arrays are checked before any is written
            count = len([w for w in layer.weights if id(w) not in seen])
            if count != len(layer.weights):  # a layer sharing weights with an earlier one
                continue
            seen.update(id(w) for w in layer.weights)
            checked.extend(layer.checked_weights(weights[start:start + count]))
            start += count
        for weight, value in zip(self.weights, checked):
            np.copyto(weight.data, value)

    # compiled steps ------------------------------------------------------------------------
    def _plan_signature(self):
        """What a step plan depends on besides its batch: the layers, what is trained, the arrays
        holding the weights (any assignment to a tensor's .data counts), the loss, whether NaN
        debugging (eager only) is on, and the global seeding (dropout keys are drawn from it)."""
        return (self._structure().key, tensor_module.data_assignments(), id(self.compiled_loss), debug.enabled,
                random.seedings())

    def _compiled(self, step):
        """step(x, y, sample_weight) -> arrays, as a function of the same arguments that runs it
        as a step plan per batch shape (eagerly with run_eagerly or while NaN debugging is on)."""
        plans = engine.PlanCache(self._plan_signature)
        last = _LastBatch()

        def run(x, y=None, sample_weight=None):
            if debug.enabled or self.run_eagerly:
                return step(x, y, sample_weight)
            key = last.key(x, y, sample_weight)
            plan = plans.get(key, lambda: _FlatStep(lambda: step(x, y, sample_weight)))
            # (a replaying plan stays so: only a plan being recorded or checked can turn eager)
            was_eager = plan.state == engine.plan.EAGER
            assignments = None if plan.state == engine.plan.REPLAY else tensor_module.data_assignments()
            result = plan.step.pack(plan())
            # (a step that assigned weight arrays, gathering them into their buffer, makes the
            # plans again at the next step: its staying eager is not worth a warning)
            if plan.state == engine.plan.EAGER and not was_eager and assignments == tensor_module.data_assignments():
                self._warn_eager(plan.reason, layer_module.unreplayable_layer())
            return result

        run.plans = plans
        return run

    def _warn_eager(self, reason, layer):
        """Says once per layer (or once for the model) that its steps run eagerly, and why."""
        if layer is not None:
            key, culprit = layer.name, f"layer {layer.name!r} ({type(layer).__name__}) computes outside fastnn's kernels"
        else:
            own = [l for l in self._all_sublayers() if not type(l).__module__.startswith("fastnn.")]
            key = None
            culprit = "the step computes outside fastnn's kernels" + (
                f" (layers with calls of their own: {', '.join(repr(l.name) for l in own)})" if own else "")
        if key in self._eager_warnings:
            return
        self._eager_warnings.add(key)
        warnings.warn(f"Model {self.name!r}: {culprit}, so its steps cannot be replayed as step plans "
                      f"({reason}); they run eagerly: the same results, more slowly. Compute with fastnn's "
                      "functions and ops (not NumPy on tensor data) to make them replayable.",
                      engine.EagerStepWarning, stacklevel=4)

    def make_train_function(self):
        """batch -> (loss, predictions): the gradients as a step plan, then the optimizer's update
        (outside the plan, so that callbacks may change the learning rate between steps). For
        several outputs, each output's loss follows."""
        gradients = self._compiled(self.compute_gradients)

        def train_function(x, y, sample_weight=None):
            result = distribution.compute_gradients(self, gradients, x, y, sample_weight)
            loss, predictions, grads, values = result[:4]
            self._apply_gradients(grads, values)
            return (loss, predictions) + tuple(result[4:])

        train_function.plans = gradients.plans
        self.train_function = train_function
        return train_function

    def make_test_function(self):
        self.test_function = self._compiled(self.test_step)
        return self.test_function

    def make_predict_function(self):
        compiled = self._compiled(lambda x, y, sample_weight: (self.predict_step(x),))
        self.predict_function = lambda x: compiled(x)[0]
        self.predict_function.plans = compiled.plans
        return self.predict_function

    # fit ---------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1, **kwargs):
        """Trains for `epochs` passes over (x, y) (or `steps_per_epoch` batches of a generator of
        (x, y[, sample_weight]) tuples); returns the History of per-epoch logs."""
        for key in kwargs:
            if key not in ("max_queue_size", "workers", "use_multiprocessing"):
                raise TypeError(f"fit() got an unexpected keyword argument {key!r}")
        self._require_compiled("fit")
        if not is_grad_enabled():
            raise RuntimeError("fit() cannot train while gradients are disabled (inside fastnn.no_grad())")
        batch_size, verbose, shuffle = check_batch_size(batch_size), _verbosity(verbose), check_shuffle(shuffle)
        _check_epochs(epochs, initial_epoch)
        batches, validation, metric_fns = self._training_data(
            x, y, batch_size, shuffle, sample_weight, class_weight, validation_split, validation_data,
            check_steps(steps_per_epoch, "steps_per_epoch"), check_steps(validation_steps, "validation_steps"))
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_history=True, add_progbar=verbose != 0, verbose=verbose,
            epochs=epochs, steps=batches.steps)
        self.trainable_parameters()  # gathered into their flat buffers now, not inside a recorded step
        train_function = self.train_function or self.make_train_function()
        self._check_distribution()
        distribution.begin_fit(self, batches, epochs)
        batch_begin = callback_list.acting_on("on_train_batch_begin", "on_batch_begin")
        batch_end = callback_list.acting_on("on_train_batch_end", "on_batch_end")
        self.stop_training, self._initial_epoch, epoch_logs = False, None, {}
        callback_list.on_train_begin()
        for epoch in range(initial_epoch if self._initial_epoch is None else self._initial_epoch, epochs):
            trackers = self._trackers(metric_fns)
            callback_list.on_epoch_begin(epoch)
            for step, xb, yb, swb in batches:
                for callback in batch_begin:
                    callback.on_train_batch_begin(step)
                result = train_function(xb, yb, swb)
                self._track(trackers, metric_fns, result, xb, yb, training=True)
                for callback in batch_end:
                    callback.on_train_batch_end(step, _results(trackers))
                if self.stop_training:
                    break
            if _ran_out(batches, trackers):
                break
            epoch_logs = _results(trackers)
            if validation is not None:
                val_logs = self._test_loop(validation, callback_list)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end(epoch_logs)
        self.history = callback_list.history
        return self.history

    def _check_distribution(self):
        if distribution.distribution() is not None and (not self._single_input or not self._single_output):
            raise ValueError(f"DataParallel trains models with one input and one output; model {self.name!r} has "
                             f"{len(self._input_names)} inputs and {len(self._output_names)} outputs")

    def _trackers(self, metric_fns):
        names = ["loss"]
        if not self._single_output:
            names += [self._output_label(i, "loss") for i, o in enumerate(self.compiled_loss.objectives)
                      if o is not None]
        return [metrics_module.Mean(name) for name in names + [name for name, _, _ in metric_fns]]

    def _track(self, trackers, metric_fns, result, x, targets, training):
        """Adds one batch's losses and metric values to the running means, weighted by its size."""
        count = len(x) if type(x) is np.ndarray else structured_data.length(x)
        if count == 0:  # a process's empty share of a small last batch
            return
        loss, predictions = result[0], result[1]
        trackers[0].update(float(loss) if training else _mean(loss), weight=count)
        position, single = 1, self._single_output
        if not single:
            for value in result[2]:
                if value is not None:
                    trackers[position].update(_mean(value), weight=count)
                    position += 1
        flat_predictions = [predictions] if single else list(predictions)
        flat_targets = [targets] if single else list(targets)
        for tracker, (_, index, fn) in zip(trackers[position:], metric_fns):
            tracker.update(_mean(fn(flat_targets[index], flat_predictions[index])), weight=count)

    def _prepare_batch(self, x, y, sample_weight, where):
        """One batch of a generator, checked like whole data: (x, targets, weights)."""
        x = self._check_inputs(x, f"x of {where}")
        if y is None:
            return x, None, None
        x, targets = self._check_data(x, y, f"x of {where}", f"y of {where}")
        return x, targets, check_sample_weight(sample_weight, structured_data.length(x), f"sample_weight of {where}")

    def _training_data(self, x, y, batch_size, shuffle, sample_weight, class_weight, validation_split,
                       validation_data, steps, validation_steps):
        """(training batches, validation batches or None, metric functions) for fit."""
        if is_batch_source(x):
            if sample_weight is not None or class_weight is not None or validation_split:
                raise ValueError("sample_weight, class_weight and validation_split take arrays; a generator "
                                 "yields (x, y, sample_weight) batches itself")
            batches = batches_of(self, x, y, batch_size, steps=steps, prepare=self._prepare_batch)
            first = batches.peek()
            if first is None:
                raise ValueError("fit() received a generator that yields no batches")
            targets = first[1]
        else:
            x, targets = self._check_data(x, y)
            n = structured_data.length(x)
            weights = self._sample_weights(sample_weight, class_weight, targets, n)
            train, validation_indices = self._split(n, validation_split, validation_data)
            batches = batches_of(self, x, targets, batch_size, indices=train, shuffle=shuffle, weights=weights)
            if validation_indices is not None:  # the last samples, unweighted as in Keras
                validation = ((x, targets, validation_indices, None), batch_size)
                return batches, validation, self._resolve_metrics(targets)
        return batches, self._validation(validation_data, batch_size, validation_steps), self._resolve_metrics(targets)

    def _validation(self, validation_data, batch_size, steps):
        """The validation batches' source: (x, targets, indices), or a generator with its steps."""
        if validation_data is None:
            return None
        if is_batch_source(validation_data):
            return (validation_data, steps)
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val). "
                f"Received: a {type(validation_data).__name__} of length "
                f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}"
            )
        x_val, y_val = self._check_data(*validation_data[:2], x_name="x_val", y_name="y_val")
        return _array_source(x_val, y_val, validation_data[2] if len(validation_data) == 3 else None, batch_size,
                             "sample_weight_val")

    def _split(self, n, validation_split, validation_data):
        """(training indices, validation indices or None), as Keras splits the last samples off."""
        if n == 0:
            raise ValueError("fit() received no samples: x is empty")
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a number in [0, 1). Received: validation_split={validation_split!r}")
        if validation_data is not None or not validation_split:
            return np.arange(n, dtype=np.int64), None
        train_count = int(math.floor(n * (1.0 - validation_split)))
        if train_count == 0 or train_count == n:
            raise ValueError(
                f"validation_split={validation_split} of {n} samples leaves "
                f"{train_count} for training and {n - train_count} for validation; both must be non-empty"
            )
        return np.arange(train_count, dtype=np.int64), np.arange(train_count, n, dtype=np.int64)

    # evaluate ----------------------------------------------------------------------------
    def _test_batches(self, validation):
        """Batches and their metric functions for a validation/evaluation source made by _validation."""
        source, size = validation
        if is_batch_source(source):
            batches = batches_of(self, source, None, None, steps=size, prepare=self._prepare_batch)
            first = batches.peek()
            if first is None:
                raise ValueError("received a generator that yields no batches")
            return batches, self._resolve_metrics(first[1])
        x, targets, indices, weights = source
        return batches_of(self, x, targets, size, indices=indices, weights=weights), self._resolve_metrics(targets)

    def _test_loop(self, validation, callback_list):
        """{'loss': ..., metric: ...} over the batches of a source made by _validation."""
        batches, metric_fns = self._test_batches(validation)
        trackers = self._trackers(metric_fns)
        test_function = self.test_function or self.make_test_function()
        callback_list.on_test_begin()
        batch_begin = callback_list.acting_on("on_test_batch_begin")
        batch_end = callback_list.acting_on("on_test_batch_end")
        # the running means are made into logs after each batch only for a callback taking them (and
        # on every process of a distribution, whose means are combined by all processes together)
        batch_logs = bool(batch_end) or distribution.num_processes() > 1
        logs = _results(trackers)
        for step, xb, yb, swb in batches:
            for callback in batch_begin:
                callback.on_test_batch_begin(step)
            result = test_function(xb, yb, swb)
            self._track(trackers, metric_fns, result, xb, yb, training=False)
            if batch_logs:
                logs = _results(trackers)
                for callback in batch_end:
                    callback.on_test_batch_end(step, logs)
        if not batch_logs:
            logs = _results(trackers)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The loss and metrics on (x, y) (or `steps` batches of a generator): [loss, metric...],
        a scalar loss without metrics, or a dict with return_dict=True."""
        for key in kwargs:
            if key not in ("max_queue_size", "workers", "use_multiprocessing"):
                raise TypeError(f"evaluate() got an unexpected keyword argument {key!r}")
        self._require_compiled("evaluate")
        batch_size, verbose, steps = check_batch_size(batch_size), _verbosity(verbose), check_steps(steps, "steps")
        if is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("y and sample_weight must not be given when x is a generator of batches")
            source = (x, steps)
        else:
            x, targets = self._check_data(x, y)
            n = structured_data.length(x)
            if n == 0:
                raise ValueError("evaluate() received no samples: x is empty")
            source = _array_source(x, targets, sample_weight, batch_size)
            steps = math.ceil(n / batch_size)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=steps
        )
        return _returned(self._test_loop(source, callback_list), return_dict)

    # predict -----------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """The model's outputs for x (or for `steps` batches of a generator), batch by batch, as a
        float32 array (for several outputs, arrays in the structure of the model's outputs)."""
        for key in kwargs:
            if key not in ("max_queue_size", "workers", "use_multiprocessing"):
                raise TypeError(f"predict() got an unexpected keyword argument {key!r}")
        if verbose == 0 and steps is None and callbacks is None:
            outputs = self._predict_one_batch(x, batch_size)
            if outputs is not None:
                return outputs
        batch_size, verbose, steps = check_batch_size(batch_size), _verbosity(verbose), check_steps(steps, "steps")
        if not is_batch_source(x):
            x = self._check_inputs(x)
        batches = batches_of(self, x, None, batch_size, steps=steps, with_targets=False, prepare=self._prepare_batch)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=batches.steps
        )
        predict_function = self.predict_function or self.make_predict_function()
        # an array's predictions go straight into arrays of its length (this process's rows first);
        # a generator's are gathered batch by batch and joined
        rows = None if is_batch_source(x) else structured_data.length(x)
        parts, results, written = [], None, 0
        single = self._single_output
        callback_list.on_predict_begin()
        batch_begin = callback_list.acting_on("on_predict_batch_begin")
        batch_end = callback_list.acting_on("on_predict_batch_end")
        for step, xb, _, _ in batches:
            for callback in batch_begin:
                callback.on_predict_batch_begin(step)
            batch_outputs = predict_function(xb)
            pieces = [batch_outputs] if single else list(batch_outputs)
            if rows is None:
                pieces = [np.array(o, dtype=np.float32) for o in pieces]
                parts.append(pieces)
            else:
                if results is None:
                    results = [np.empty((rows,) + np.shape(o)[1:], np.float32) for o in pieces]
                count = len(pieces[0])
                for result, piece in zip(results, pieces):
                    result[written:written + count] = piece
                if batch_end:
                    pieces = [result[written:written + count] for result in results]
                written += count
            if batch_end:
                logs = {"outputs": pieces[0] if single else tuple(pieces)}
                for callback in batch_end:
                    callback.on_predict_batch_end(step, logs)
        callback_list.on_predict_end()
        flat = []
        for index, shape in enumerate(self._flat_output_shapes()):
            empty = (0,) + tuple(d or 0 for d in shape[1:])
            if rows is None:
                pieces = [p[index] for p in parts]
                flat.append(np.concatenate(pieces) if pieces else np.empty(empty, np.float32))
            else:
                outputs = results[index] if results is not None else np.empty((rows,) + empty[1:], np.float32)
                flat.append(distribution.gather_predictions(outputs, written, batch_size))
        return flat[0] if self._single_output else self._pack_outputs(flat)

    def _pack_outputs(self, arrays):
        return list(arrays)

    def _predict_one_batch(self, x, batch_size):
        """predict's result for an array that fits in one batch of a built model on one process
        (a sampling loop's x[None]), or None to take the general path. It copies x into the batch
        buffer predict's step plan reads and runs that plan: the same buffer, plan and bits as the
        general path, without its per-call set-up (checks, iterator, callbacks)."""
        if type(x) is not np.ndarray or not self.built or distribution.num_processes() != 1 \
                or x.dtype.kind not in "biuf" or not isinstance(batch_size, (type(None), int)):
            return None
        expected = self.input_shape
        if not self._single_output or not isinstance(expected, tuple) \
                or not all(d is None or isinstance(d, int) for d in expected):
            return None
        if x.ndim != len(expected) or not 0 < len(x) <= (batch_size or 32) \
                or any(e is not None and e != d for e, d in zip(expected[1:], x.shape[1:])):
            return None
        buffer = _batch_buffer(self._batch_buffers(), "x", (len(x), x[0].size), np.float32)
        rows = buffer.reshape(x.shape)
        rows[...] = x
        predict_function = self.predict_function or self.make_predict_function()
        return np.array(predict_function(rows), dtype=np.float32)

    # one batch ---------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on exactly this batch; returns its loss and metrics."""
        self._require_compiled("train_on_batch")
        x, targets = self._check_data(x, y)
        n = structured_data.length(x)
        weights = self._sample_weights(sample_weight, class_weight, targets, n)
        metric_fns = self._resolve_metrics(targets)
        _, xb, yb, swb = next(iter(batches_of(self, x, targets, max(1, n), weights=weights)))
        self.trainable_parameters()
        result = (self.train_function or self.make_train_function())(xb, yb, swb)
        trackers = self._trackers(metric_fns)
        self._track(trackers, metric_fns, result, xb, yb, training=True)
        return _returned(_results(trackers), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss and metrics on exactly this batch."""
        self._require_compiled("test_on_batch")
        x, targets = self._check_data(x, y)
        source = _array_source(x, targets, sample_weight, max(1, structured_data.length(x)))
        return _returned(self._test_loop(source, callbacks_module.CallbackList()), return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for exactly this batch."""
        x = self._check_inputs(x)
        _, xb, _, _ = next(iter(batches_of(self, x, None, max(1, structured_data.length(x)))))
        outputs = (self.predict_function or self.make_predict_function())(xb)
        if self._single_output:
            return np.array(outputs, dtype=np.float32)
        return self._pack_outputs([np.array(o, dtype=np.float32) for o in outputs])


class _LastBatch:
    """The plan key of a batch (the shape and address of each array) and the last batch's arrays:
    the batch loops hand a step the same buffer views step after step, whose key is known."""

    def __init__(self):
        self._arrays, self._shapes, self._key = (), (), None

    def key(self, x, y, sample_weight):
        last = self._arrays
        shapes = (getattr(x, "shape", None), getattr(y, "shape", None), getattr(sample_weight, "shape", None))
        if last and x is last[0] and y is last[1] and sample_weight is last[2] and shapes == self._shapes:
            return self._key
        arrays = (x, y, sample_weight)
        key = tuple(None if a is None else (a.shape, a.__array_interface__["data"][0]) for a in nest.flatten(arrays))
        # (lists and dicts can change in place: a batch holding one is looked at again next time)
        held = () if any(isinstance(a, (list, dict)) for a in arrays) else arrays
        self._arrays, self._shapes, self._key = held, shapes, key
        return key


class _FlatStep:
    """A step whose result (a structure of arrays) a StepPlan sees as a flat list of arrays; the
    structure is kept to pack the plan's outputs again."""

    def __init__(self, step):
        self._step = step
        self.structure = None
        self._flat_tuple = False  # the structure is a tuple of arrays (packing it is making the tuple)

    def __call__(self):
        result = self._step()
        self.structure = result
        leaves = nest.flatten(result)
        self._flat_tuple = type(result) is tuple and all(type(leaf) is np.ndarray for leaf in result)
        return [leaf for leaf in leaves if leaf is not None]

    def pack(self, arrays):
        if self._flat_tuple:
            return tuple(arrays)
        arrays = iter(arrays)
        return nest.pack_as(self.structure, [None if leaf is None else next(arrays)
                                             for leaf in nest.flatten(self.structure)])


def _loss_array(value):
    return None if value is None else value.data


def _array_source(x, targets, sample_weight, batch_size, weight_name="sample_weight"):
    """An evaluation source over all of (x, targets), as _test_batches takes it, with checked weights."""
    return (x, targets, None, check_sample_weight(sample_weight, structured_data.length(x), weight_name)), batch_size


def _check_epochs(epochs, initial_epoch):
    for arg, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{arg} must be a non-negative integer. Received: {arg}={value!r}")


def _mean(values):
    """float(np.mean(values)), the same bits, without most of NumPy's per-call work for the float
    arrays of one batch: NumPy's sum, divided by the count in float64 (rounded to float32 for a
    float32 sum, as np.mean rounds its quotient)."""
    if type(values) is np.ndarray and values.size and values.dtype.char in "fd":
        mean = float(np.add.reduce(values, None)) / values.size
        return float(np.float32(mean)) if values.dtype.char == "f" else mean
    return float(np.mean(values))


def _results(trackers):
    return {tracker.name: tracker.result() for tracker in distribution.global_trackers(trackers)}


def _ran_out(batches, trackers):
    """True when a generator had no batch left for this epoch (fit then stops, as Keras does)."""
    if trackers[0].count or not getattr(batches, "exhausted", False):
        return False
    warnings.warn("fit(): the generator ran out of batches; stopping training. Give steps_per_epoch and a "
                  "generator that yields steps_per_epoch * epochs batches.", stacklevel=3)
    return True


def _returned(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
