"""Trainer: compile, fit, evaluate and predict for a model made of layers.

train_step, test_step and predict_step are the only places that compute. The make_*_function
factories return them as compiled steps: each batch size's step is recorded once, checked
once against the eager step, then replayed from its kernel calls (fastnn.engine), and made
again whenever the model, its weights' arrays or the loss change. fit, evaluate and predict
are loops over an EpochIterator plus the callbacks.

A model class mixing this in provides `layers`, `build(input_shape)`, `built`,
`input_shape`, `output_shape`, `trainable_parameters()` (FlatParameters) and
`get_weights`/`set_weights`.
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
from ..layers.layer import as_float32_inputs, batch_shape
from .. import tensor as tensor_module
from ..tensor import Tensor, is_grad_enabled, no_grad
from ..utils import random
from .batch_stream import check_sample_weight, is_batch_source
from .data import as_samples, check_batch_size, check_same_length, prepare_targets
from .data_sources import batches_of, check_steps, sample_weights
from .epoch_iterator import check_shuffle
from .generator_methods import GeneratorMethods
from .objective import Objective


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
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._metric_identifiers = []
        self._compile_config = None
        self._per_thread = threading.local()  # each thread's compiled steps and batch buffers
        self.run_eagerly = False
        self._initial_epoch = None  # where a restoring callback (BackupAndRestore) makes fit start

    # compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, run_eagerly=False):
        """Sets the optimizer, the loss and the metrics reported by fit and evaluate.

        With run_eagerly=True every step runs through the autodiff engine op by op instead of
        replaying its recorded kernel calls (the same results, more slowly).
        """
        if isinstance(metrics, (str, bytes)) or (metrics is not None and callable(metrics)):
            metrics = [metrics]
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list of metric names or functions. Received: metrics={metrics!r}")
        for identifier in metrics or []:
            metrics_module.get(identifier)  # unknown names fail here, not at the first fit
        self.optimizer = optimizers.get(optimizer)
        self.objective = Objective(loss)
        self._metric_identifiers = list(metrics or [])
        self._compile_config = {"optimizer": optimizer, "loss": loss, "metrics": list(metrics or [])}
        self.compiled = True
        self.run_eagerly = bool(run_eagerly)
        self._per_thread = threading.local()

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

    @property
    def metrics_names(self):
        names = ["loss"]
        for identifier in self._metric_identifiers:
            names.append(metrics_module.get(identifier)[0])
        return names

    def _resolve_metrics(self, targets):
        return [
            metrics_module.get(identifier, loss_name=self.objective.name, y_true_shape=targets.shape,
                               y_pred_shape=self.output_shape)
            for identifier in self._metric_identifiers
        ]

    # inputs ------------------------------------------------------------------------------
    def _check_inputs(self, x, name="x"):
        """x as an array the model can take, building the model from its shape if needed."""
        x = as_samples(x, name)
        if not self.built:
            self.build((None,) + x.shape[1:])
        expected = tuple(self.input_shape[1:])
        if tuple(x.shape[1:]) != expected:
            first = self.layers[0]
            raise ValueError(
                f"Input of layer {first.name!r} ({type(first).__name__}) is incompatible with the layer: "
                f"expected shape {batch_shape(self.input_shape)}, but {name} has shape {batch_shape(x.shape)}"
            )
        return x

    def _check_data(self, x, y, x_name="x", y_name="y"):
        x = self._check_inputs(x, x_name)
        if y is None:
            raise ValueError(f"{y_name} is required: pass the targets for {x_name}")
        y = as_samples(y, y_name)
        check_same_length(x, y, x_name, y_name)
        return x, prepare_targets(y, self.objective.fn, self.output_shape, y_name)

    # forward -----------------------------------------------------------------------------
    def call(self, inputs, training=False):
        """The model's output Tensor for an input Tensor or array."""
        x = inputs if isinstance(inputs, Tensor) else Tensor(as_float32_inputs(inputs, f"Model {self.name!r}"))
        if not self.built:
            self.build((None,) + x.shape[1:])
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def __call__(self, inputs, training=False):
        return self.call(inputs, training=training)

    # the steps ---------------------------------------------------------------------------
    @property
    def losses(self):
        """The regularization penalties as scalar Tensors: every layer's weights' and outputs'."""
        return [loss for layer in self.layers for loss in layer.losses]

    def _loss(self, y, outputs, sample_weight):
        """The training loss: the objective's (weighted) mean plus the regularization penalties."""
        loss = self.objective(y, outputs, sample_weight)
        for penalty in self.losses:
            loss = loss + penalty
        return loss

    def compute_gradients(self, x, y, sample_weight=None):
        """Forward and backward on one batch: the gradients land in the trainable parameters'
        flat gradient buffer. Returns (loss, predictions, gradient buffer, parameter buffer)."""
        parameters = self.trainable_parameters()
        parameters.zero_grads()
        outputs = self.call(Tensor(x), training=True)
        loss = self._loss(y, outputs, sample_weight)
        if loss.requires_grad:
            loss.backward()
        return loss.data, outputs.data, parameters.gathered_grads(), parameters.values

    def train_step(self, x, y, sample_weight=None):
        """One gradient step on a batch; returns (loss, predictions) as arrays."""
        loss, predictions, grads, values = self.compute_gradients(x, y, sample_weight)
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
        """(per-sample losses with the penalties, predictions) for one batch, as arrays."""
        with no_grad():
            outputs = self.call(Tensor(x))
            losses = self.objective.values(y, outputs)
            if sample_weight is not None and losses.ndim:
                losses = losses * sample_weight
            for penalty in self.losses:
                losses = losses + penalty
        return np.broadcast_to(losses.data, (len(x),)), outputs.data

    def predict_step(self, x):
        """The model's outputs for one batch, as an array."""
        with no_grad():
            return self.call(Tensor(x)).data

    # compiled steps ------------------------------------------------------------------------
    def _plan_signature(self):
        """What a step plan depends on besides its batch: the layers, their trainable flags, the
        arrays holding the weights (any assignment to a tensor's .data counts), the loss, whether
        NaN debugging (eager only) is on, and the global seeding (dropout keys are drawn from it)."""
        layers = self._layers
        return (tuple(map(id, layers)), tuple(layer.trainable for layer in layers), tensor_module.data_assignments(),
                id(self.objective), debug.enabled, random.seedings())

    def _compiled(self, step):
        """step(x, y, sample_weight) -> arrays, as a function of the same arguments that runs it
        as a step plan per batch shape (eagerly with run_eagerly or while NaN debugging is on)."""
        plans = engine.PlanCache(self._plan_signature)

        def run(x, y=None, sample_weight=None):
            if debug.enabled or self.run_eagerly:
                return step(x, y, sample_weight)
            key = tuple(None if a is None else (a.shape, a.__array_interface__["data"][0])
                        for a in (x, y, sample_weight))
            return plans.get(key, lambda: lambda: step(x, y, sample_weight))()

        run.plans = plans
        return run

    def make_train_function(self):
        """batch -> (loss, predictions): the gradients as a step plan, then the optimizer's update
        (outside the plan, so that callbacks may change the learning rate between steps)."""
        gradients = self._compiled(self.compute_gradients)

        def train_function(x, y, sample_weight=None):
            loss, predictions, grads, values = distribution.compute_gradients(self, gradients, x, y, sample_weight)
            self._apply_gradients(grads, values)
            return loss, predictions

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
            initial_epoch=0, steps_per_epoch=None, validation_steps=None):
        """Trains for `epochs` passes over (x, y) (or `steps_per_epoch` batches of a generator of
        (x, y[, sample_weight]) tuples); returns the History of per-epoch logs."""
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
        distribution.begin_fit(self, batches, epochs)
        batch_begin = callback_list.acting_on("on_train_batch_begin", "on_batch_begin")
        batch_end = callback_list.acting_on("on_train_batch_end", "on_batch_end")
        self.stop_training, self._initial_epoch, epoch_logs = False, None, {}
        callback_list.on_train_begin()
        for epoch in range(initial_epoch if self._initial_epoch is None else self._initial_epoch, epochs):
            trackers = _trackers(metric_fns)
            callback_list.on_epoch_begin(epoch)
            for step, xb, yb, swb in batches:
                for callback in batch_begin:
                    callback.on_train_batch_begin(step)
                loss, predictions = train_function(xb, yb, swb)
                _track(trackers, metric_fns, float(loss), yb, predictions)
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

    def _prepare_batch(self, x, y, sample_weight, where):
        """One batch of a generator, checked like whole data: (x, targets, weights)."""
        x = self._check_inputs(x, f"x of {where}")
        if y is None:
            return x, None, None
        x, targets = self._check_data(x, y, f"x of {where}", f"y of {where}")
        return x, targets, check_sample_weight(sample_weight, len(x), f"sample_weight of {where}")

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
            weights = sample_weights(sample_weight, class_weight, targets, self.output_shape[-1])
            train, validation_indices = self._split(len(x), validation_split, validation_data)
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
        trackers = _trackers(metric_fns)
        test_function = self.test_function or self.make_test_function()
        callback_list.on_test_begin()
        logs = _results(trackers)
        for step, xb, yb, swb in batches:
            callback_list.on_test_batch_begin(step)
            losses, predictions = test_function(xb, yb, swb)
            _track(trackers, metric_fns, float(np.mean(losses)), yb, predictions)
            logs = _results(trackers)
            callback_list.on_test_batch_end(step, logs)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics on (x, y) (or `steps` batches of a generator): [loss, metric...],
        a scalar loss without metrics, or a dict with return_dict=True."""
        self._require_compiled("evaluate")
        batch_size, verbose, steps = check_batch_size(batch_size), _verbosity(verbose), check_steps(steps, "steps")
        if is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("y and sample_weight must not be given when x is a generator of batches")
            source = (x, steps)
        else:
            x, targets = self._check_data(x, y)
            if len(x) == 0:
                raise ValueError("evaluate() received no samples: x is empty")
            source = _array_source(x, targets, sample_weight, batch_size)
            steps = math.ceil(len(x) / batch_size)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=steps
        )
        return _returned(self._test_loop(source, callback_list), return_dict)

    # predict -----------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for x (or for `steps` batches of a generator), batch by batch, as a
        float32 array."""
        batch_size, verbose, steps = check_batch_size(batch_size), _verbosity(verbose), check_steps(steps, "steps")
        if not is_batch_source(x):
            x = self._check_inputs(x)
        batches = batches_of(self, x, None, batch_size, steps=steps, with_targets=False, prepare=self._prepare_batch)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=batches.steps
        )
        predict_function = self.predict_function or self.make_predict_function()
        parts = []
        callback_list.on_predict_begin()
        for step, xb, _, _ in batches:
            callback_list.on_predict_batch_begin(step)
            batch_outputs = np.array(predict_function(xb), dtype=np.float32)
            parts.append(batch_outputs)
            callback_list.on_predict_batch_end(step, {"outputs": batch_outputs})
        callback_list.on_predict_end()
        local = np.concatenate(parts) if parts else np.empty((0,) + tuple(self.output_shape[1:]), np.float32)
        if is_batch_source(x):
            return local
        outputs = np.empty((len(x),) + local.shape[1:], np.float32)  # this process's rows first
        outputs[:len(local)] = local
        return distribution.gather_predictions(outputs, len(local), batch_size)

    # one batch ---------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on exactly this batch; returns its loss and metrics."""
        self._require_compiled("train_on_batch")
        x, targets = self._check_data(x, y)
        weights = sample_weights(sample_weight, class_weight, targets, self.output_shape[-1])
        metric_fns = self._resolve_metrics(targets)
        _, xb, yb, swb = next(iter(batches_of(self, x, targets, max(1, len(x)), weights=weights)))
        loss, predictions = (self.train_function or self.make_train_function())(xb, yb, swb)
        trackers = _trackers(metric_fns)
        _track(trackers, metric_fns, float(loss), yb, predictions)
        return _returned(_results(trackers), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss and metrics on exactly this batch."""
        self._require_compiled("test_on_batch")
        x, targets = self._check_data(x, y)
        source = _array_source(x, targets, sample_weight, max(1, len(x)))
        return _returned(self._test_loop(source, callbacks_module.CallbackList()), return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for exactly this batch."""
        x = self._check_inputs(x)
        _, xb, _, _ = next(iter(batches_of(self, x, None, max(1, len(x)))))
        return np.array((self.predict_function or self.make_predict_function())(xb), dtype=np.float32)


def _array_source(x, targets, sample_weight, batch_size, weight_name="sample_weight"):
    """An evaluation source over all of (x, targets), as _test_batches takes it, with checked weights."""
    return (x, targets, None, check_sample_weight(sample_weight, len(x), weight_name)), batch_size


def _check_epochs(epochs, initial_epoch):
    for arg, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{arg} must be a non-negative integer. Received: {arg}={value!r}")


def _trackers(metric_fns):
    return [metrics_module.Mean(name) for name in ["loss"] + [name for name, _ in metric_fns]]


def _track(trackers, metric_fns, loss, targets, predictions):
    """Adds one batch's loss and metric values to the running means, weighted by its size."""
    count = len(targets)
    if count == 0:  # a process's empty share of a small last batch
        return
    trackers[0].update(loss, weight=count)
    for tracker, (_, fn) in zip(trackers[1:], metric_fns):
        tracker.update(float(np.mean(fn(targets, predictions))), weight=count)


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
