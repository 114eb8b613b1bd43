"""Trainer: compile, fit, evaluate and predict for a model made of layers.

A model class mixing this in provides `layers`, `build(input_shape)`, `built`,
`input_shape`, `output_shape`, `trainable_parameters()` (FlatParameters) and
`get_weights`/`set_weights`.
"""
import math
import numbers

import numpy as np

from .. import callbacks as callbacks_module
from .. import metrics as metrics_module
from .. import optimizers
from ..layers.layer import as_float32_inputs, batch_shape
from ..tensor import Tensor, no_grad
from ..utils.random import generator
from .data import BatchGatherer, as_samples, check_batch_size, check_same_length, prepare_targets
from .dense_stack import DenseStackForward, DenseStackStep
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

    # compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Sets the optimizer, the loss and the metrics reported by fit and evaluate."""
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

    def _loss_and_predictions(self, inputs, targets, training):
        """(scalar loss Tensor, predictions array) for one batch."""
        x = Tensor(inputs)
        *body, last = self.layers
        for layer in body:
            x = layer(x, training=training)
        if self.objective.takes_logits(last):
            if not last.built:
                last.build_for(x.shape)
            last.check_input_shape(x.shape)
            return self.objective.fused(last.call_without_activation(x), targets)
        outputs = last(x, training=training)
        return self.objective(targets, outputs), outputs.data

    def _test_values(self, inputs, targets):
        """(per-sample losses, predictions) for one batch, without recording a graph."""
        with no_grad():
            x = Tensor(inputs)
            *body, last = self.layers
            for layer in body:
                x = layer(x)
            if self.objective.takes_logits(last):
                last.check_input_shape(x.shape)
                return self.objective.fused_values(last.call_without_activation(x).data, targets)
            outputs = last(x)
            return self.objective.values(targets, outputs), outputs.data

    # fit ---------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, initial_epoch=0):
        """Trains for `epochs` passes over (x, y); returns the History of per-epoch logs."""
        self._require_compiled("fit")
        batch_size = check_batch_size(batch_size)
        for arg, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"{arg} must be a non-negative integer. Received: {arg}={value!r}")
        if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be a number in [0, 1). Received: validation_split={validation_split!r}")
        verbose = _verbosity(verbose)
        x, targets = self._check_data(x, y)
        n = len(x)
        if n == 0:
            raise ValueError("fit() received no samples: x is empty")

        validation = None
        train_count = n
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError(
                    "validation_data must be a tuple (x_val, y_val). "
                    f"Received: a {type(validation_data).__name__} of length "
                    f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}"
                )
            x_val, y_val = self._check_data(*validation_data, x_name="x_val", y_name="y_val")
            validation = (x_val, y_val, np.arange(len(x_val), dtype=np.int64))
        elif validation_split:
            train_count = int(math.floor(n * (1.0 - validation_split)))
            if train_count == 0 or train_count == n:
                raise ValueError(
                    f"validation_split={validation_split} of {n} samples leaves "
                    f"{train_count} for training and {n - train_count} for validation; both must be non-empty"
                )
            validation = (x, targets, np.arange(train_count, n, dtype=np.int64))

        steps = math.ceil(train_count / batch_size)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_history=True, add_progbar=verbose != 0,
            verbose=verbose, epochs=epochs, steps=steps,
        )
        metric_fns = self._resolve_metrics(targets)
        trackers = [metrics_module.Mean("loss")] + [metrics_module.Mean(name) for name, _ in metric_fns]
        names = ["loss"] + [name for name, _ in metric_fns]
        gatherer = BatchGatherer(x, targets, min(batch_size, train_count))
        in_order = np.arange(train_count, dtype=np.int64)
        parameters = self.trainable_parameters()
        train_step = self._step_function(parameters, gatherer, metric_fns)

        self.stop_training = False
        callback_list.on_train_begin()
        # only callbacks that do something at a batch are called there (the others' hooks are no-ops)
        batch_begin = callback_list.acting_on("on_train_batch_begin", "on_batch_begin")
        batch_end = callback_list.acting_on("on_train_batch_end", "on_batch_end")
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            for tracker in trackers:
                tracker.reset()
            callback_list.on_epoch_begin(epoch)
            order = generator().permutation(train_count) if shuffle else in_order
            logs = None
            for step in range(steps):
                for callback in batch_begin:
                    callback.on_train_batch_begin(step)
                count, values = train_step(order[step * batch_size:(step + 1) * batch_size])
                for tracker, value in zip(trackers, values):
                    tracker.update(value, weight=count)
                if batch_end:
                    logs = {name: tracker.result() for name, tracker in zip(names, trackers)}
                    for callback in batch_end:
                        callback.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if logs is None:  # nobody saw the batch logs: the epoch's are the trackers' results
                logs = {name: tracker.result() for name, tracker in zip(names, trackers)}
            epoch_logs = dict(logs)
            if validation is not None:
                val_logs = self._test_loop(*validation, batch_size, callback_list)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end(epoch_logs)
        if self.history is None or self.history is not callback_list.history:
            self.history = callback_list.history
        return self.history

    def _step_function(self, parameters, gatherer, metric_fns):
        """indices -> (batch size, [loss, metric values...]): one gradient step on those samples,
        by the fused Dense-stack step when the model allows it, else through the autodiff engine."""
        if DenseStackStep.supports(self, parameters, self.objective):
            for tensor, view in zip(parameters.tensors, parameters.grad_views):
                tensor.grad = view  # the fused step writes every gradient there
            return DenseStackStep(self.layers, parameters, self.optimizer, gatherer, metric_fns)

        def step(indices):
            inputs, batch_targets = gatherer.gather(indices)
            loss, predictions = self._train_step(parameters, inputs, batch_targets)
            values = [loss] + [float(np.mean(fn(batch_targets, predictions))) for _, fn in metric_fns]
            return len(inputs), values

        return step

    def _train_step(self, parameters, inputs, targets):
        """One gradient step on a batch; returns (loss as a float, predictions array)."""
        parameters.zero_grads()
        loss, predictions = self._loss_and_predictions(inputs, targets, training=True)
        if loss.requires_grad:
            loss.backward()
        if parameters.tensors:
            self.optimizer.apply([parameters.gathered_grads()], [parameters.values])
        return float(loss.data), predictions

    # evaluate ----------------------------------------------------------------------------
    def _test_loop(self, x, targets, indices, batch_size, callback_list):
        """{'loss': ..., metric: ...} over the samples of x picked by indices."""
        metric_fns = self._resolve_metrics(targets)
        names = ["loss"] + [name for name, _ in metric_fns]
        trackers = [metrics_module.Mean(name) for name in names]
        gatherer = BatchGatherer(x, targets, max(1, min(batch_size, len(indices))))
        callback_list.on_test_begin()
        logs = {name: 0.0 for name in names}
        for step, start in enumerate(range(0, len(indices), batch_size)):
            callback_list.on_test_batch_begin(step)
            inputs, batch_targets = gatherer.gather(indices[start:start + batch_size])
            losses, predictions = self._test_values(inputs, batch_targets)
            trackers[0].update(float(np.mean(losses)), weight=len(inputs))
            for tracker, (_, fn) in zip(trackers[1:], metric_fns):
                tracker.update(float(np.mean(fn(batch_targets, predictions))), weight=len(inputs))
            logs = {name: tracker.result() for name, tracker in zip(names, trackers)}
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
        n = len(x)
        steps = math.ceil(n / batch_size)
        callback_list = callbacks_module.CallbackList(
            callbacks, model=self, add_progbar=verbose != 0, verbose=verbose, epochs=1, steps=steps
        )
        outputs = np.empty((n,) + tuple(self.output_shape[1:]), dtype=np.float32)
        gatherer = BatchGatherer(x, None, max(1, min(batch_size, n)))
        indices = np.arange(n, dtype=np.int64)
        fused = DenseStackForward(self.layers, max(1, min(batch_size, n))) if DenseStackForward.supports(self) else None
        # x is C-contiguous: aligned float32 batches are views of it
        rows_as_given = fused is not None and x.dtype == np.float32 and x.flags.aligned
        callback_list.on_predict_begin()
        with no_grad():
            for step, start in enumerate(range(0, n, batch_size)):
                callback_list.on_predict_batch_begin(step)
                if rows_as_given:
                    inputs = x[start:start + batch_size]
                else:
                    inputs, _ = gatherer.gather(indices[start:start + batch_size])
                batch_outputs = outputs[start:start + len(inputs)]
                if fused is not None:
                    fused(inputs, batch_outputs)
                else:
                    batch_outputs[...] = self.call(Tensor(inputs)).data
                callback_list.on_predict_batch_end(step, {"outputs": batch_outputs})
        callback_list.on_predict_end()
        return outputs
