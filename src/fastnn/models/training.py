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

import numpy as np

from .. import callbacks as callbacks_module
from .. import debug, distribution, engine
from .. import metrics as metrics_module
from .. import optimizers
from ..layers.layer import as_float32_inputs, batch_shape
from ..tensor import Tensor, is_grad_enabled, no_grad
from ..utils import random
from .data import as_samples, check_batch_size, check_same_length, prepare_targets
from .epoch_iterator import EpochIterator, check_shuffle
from .objective import Objective


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or not isinstance(verbose, numbers.Integral) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    return int(verbose)


class Trainer:
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
    def compute_gradients(self, x, y):
        """Forward and backward on one batch: the gradients land in the trainable parameters'
        flat gradient buffer. Returns (loss, predictions, gradient buffer, parameter buffer)."""
        parameters = self.trainable_parameters()
        parameters.zero_grads()
        outputs = self.call(Tensor(x), training=True)
        loss = self.objective(y, outputs)
        if loss.requires_grad:
            loss.backward()
        return loss.data, outputs.data, parameters.gathered_grads(), parameters.values

    def train_step(self, x, y):
        """One gradient step on a batch; returns (loss, predictions) as arrays."""
        loss, predictions, grads, values = self.compute_gradients(x, y)
        self._apply_gradients(grads, values)
        return loss, predictions

    def _apply_gradients(self, grads, values):
        if values.size:
            self.optimizer.apply([grads], [values])

    def test_step(self, x, y):
        """(per-sample losses, predictions) for one batch, as arrays, without gradients."""
        with no_grad():
            outputs = self.call(Tensor(x))
            losses = self.objective.values(y, outputs)
        return np.broadcast_to(losses.data, (len(x),)), outputs.data

    def predict_step(self, x):
        """The model's outputs for one batch, as an array."""
        with no_grad():
            return self.call(Tensor(x)).data

    # compiled steps ------------------------------------------------------------------------
    def _plan_signature(self):
        """What a step plan depends on besides its batch: the layers, their trainable flags, the
        arrays holding the weights, the loss, whether NaN debugging (eager only) is on, and the
        global seeding (which dropout layers draw their keys from again)."""
        layers = self._layers
        return (tuple(map(id, layers)), tuple(layer.trainable for layer in layers),
                tuple(id(w.data) for layer in layers for w in layer._weights), id(self.objective), debug.enabled,
                random.seedings())

    def _compiled(self, step):
        """step(x, y) -> arrays, as a function of the same arguments that runs it as a step plan
        per batch shape (eagerly with run_eagerly or while NaN debugging is on)."""
        plans = engine.PlanCache(self._plan_signature)

        def run(x, y=None):
            if debug.enabled or self.run_eagerly:
                return step(x, y)
            key = (x.shape, x.__array_interface__["data"][0],
                   None if y is None else (y.shape, y.__array_interface__["data"][0]))
            return plans.get(key, lambda: lambda: step(x, y))()

        run.plans = plans
        return run

    def make_train_function(self):
        """batch -> (loss, predictions): the gradients as a step plan, then the optimizer's update
        (outside the plan, so that callbacks may change the learning rate between steps)."""
        gradients = self._compiled(self.compute_gradients)

        def train_function(x, y):
            loss, predictions, grads, values = distribution.compute_gradients(self, gradients, x, y)
            self._apply_gradients(grads, values)
            return loss, predictions

        train_function.plans = gradients.plans
        self.train_function = train_function
        return train_function

    def make_test_function(self):
        self.test_function = self._compiled(self.test_step)
        return self.test_function

    def make_predict_function(self):
        compiled = self._compiled(lambda x, y: (self.predict_step(x),))
        self.predict_function = lambda x: compiled(x)[0]
        self.predict_function.plans = compiled.plans
        return self.predict_function

    # fit ---------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0):
        """Trains for `epochs` passes over (x, y); returns the History of per-epoch logs."""
        self._require_compiled("fit")
        if not is_grad_enabled():
            raise RuntimeError("fit() cannot train while gradients are disabled (inside fastnn.no_grad())")
        batch_size, verbose, shuffle = check_batch_size(batch_size), _verbosity(verbose), check_shuffle(shuffle)
        _check_epochs(epochs, initial_epoch)
        x, targets = self._check_data(x, y)
        train, validation = self._split(x, targets, validation_split, validation_data)
        batches = EpochIterator(x, targets, batch_size, train, shuffle, self._batch_buffers())
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_history=True, add_progbar=verbose != 0, verbose=verbose,
            epochs=epochs, steps=batches.steps)
        metric_fns = self._resolve_metrics(targets)
        names = ["loss"] + [name for name, _ in metric_fns]
        train_function = self.train_function or self.make_train_function()
        distribution.begin_fit(self, batches, epochs)
        batch_begin = callback_list.acting_on("on_train_batch_begin", "on_batch_begin")
        batch_end = callback_list.acting_on("on_train_batch_end", "on_batch_end")
        self.stop_training, epoch_logs = False, {}
        callback_list.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            trackers = [metrics_module.Mean(name) for name in names]
            callback_list.on_epoch_begin(epoch)
            for step, xb, yb in batches:
                for callback in batch_begin:
                    callback.on_train_batch_begin(step)
                loss, predictions = train_function(xb, yb)
                _track(trackers, metric_fns, float(loss), yb, predictions)
                if batch_end:
                    logs = _results(trackers)
                    for callback in batch_end:
                        callback.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = _results(trackers)
            if validation is not None:
                val_logs = self._test_loop(*validation, batch_size, callback_list)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end(epoch_logs)
        self.history = callback_list.history
        return self.history

    def _split(self, x, targets, validation_split, validation_data):
        """(training indices, validation (x, y, indices) or None), as Keras splits them."""
        n = len(x)
        if n == 0:
            raise ValueError("fit() received no samples: x is empty")
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a number in [0, 1). Received: validation_split={validation_split!r}")
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError(
                    "validation_data must be a tuple (x_val, y_val). "
                    f"Received: a {type(validation_data).__name__} of length "
                    f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}"
                )
            x_val, y_val = self._check_data(*validation_data, x_name="x_val", y_name="y_val")
            return np.arange(n, dtype=np.int64), (x_val, y_val, np.arange(len(x_val), dtype=np.int64))
        if not validation_split:
            return np.arange(n, dtype=np.int64), None
        train_count = int(math.floor(n * (1.0 - validation_split)))
        if train_count == 0 or train_count == n:
            raise ValueError(
                f"validation_split={validation_split} of {n} samples leaves "
                f"{train_count} for training and {n - train_count} for validation; both must be non-empty"
            )
        return np.arange(train_count, dtype=np.int64), (x, targets, np.arange(train_count, n, dtype=np.int64))

    # evaluate ----------------------------------------------------------------------------
    def _test_loop(self, x, targets, indices, batch_size, callback_list):
        """{'loss': ..., metric: ...} over the samples of x picked by indices."""
        metric_fns = self._resolve_metrics(targets)
        trackers = [metrics_module.Mean(name) for name in ["loss"] + [name for name, _ in metric_fns]]
        test_function = self.test_function or self.make_test_function()
        callback_list.on_test_begin()
        logs = _results(trackers)
        for step, xb, yb in EpochIterator(x, targets, batch_size, indices, buffers=self._batch_buffers()):
            callback_list.on_test_batch_begin(step)
            losses, predictions = test_function(xb, yb)
            _track(trackers, metric_fns, float(np.mean(losses)), yb, predictions)
            logs = _results(trackers)
            callback_list.on_test_batch_end(step, logs)
        callback_list.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", callbacks=None, return_dict=False):
        """The loss and metrics on (x, y): [loss, metric...], a scalar loss without metrics,
        or a dict with return_dict=True."""
        self._require_compiled("evaluate")
        batch_size = check_batch_size(batch_size)
        verbose = _verbosity(verbose)
        x, targets = self._check_data(x, y)
        if len(x) == 0:
            raise ValueError("evaluate() received no samples: x is empty")
        steps = math.ceil(len(x) / batch_size)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=steps
        )
        logs = self._test_loop(x, targets, np.arange(len(x), dtype=np.int64), batch_size, callback_list)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # predict -----------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", callbacks=None):
        """The model's outputs for x, computed batch by batch, as a float32 array."""
        batch_size = check_batch_size(batch_size)
        verbose = _verbosity(verbose)
        x = self._check_inputs(x)
        batches = EpochIterator(x, None, batch_size, buffers=self._batch_buffers())
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=batches.steps
        )
        outputs = np.empty((len(x),) + tuple(self.output_shape[1:]), dtype=np.float32)
        predict_function = self.predict_function or self.make_predict_function()
        callback_list.on_predict_begin()
        done = 0
        for step, xb, _ in batches:
            callback_list.on_predict_batch_begin(step)
            batch_outputs = outputs[done:done + len(xb)]
            done += len(xb)
            batch_outputs[...] = predict_function(xb)
            callback_list.on_predict_batch_end(step, {"outputs": batch_outputs})
        callback_list.on_predict_end()
        return distribution.gather_predictions(outputs, done, batch_size)


def _check_epochs(epochs, initial_epoch):
    for arg, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"{arg} must be a non-negative integer. Received: {arg}={value!r}")


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
