"""TensorBoard: writes training logs as TensorBoard event files (fastnn's own writer, no
TensorFlow), under log_dir/train and log_dir/validation as Keras does."""
import json
import os
import time
import warnings

import numpy as np

from .. import distribution
from .callback import Callback


def _check_frequency(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be an integer >= 0 (0 turns it off). Received: {name}={value!r}")
    return int(value)


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return "epoch"
    if isinstance(update_freq, (int, np.integer)) and not isinstance(update_freq, bool) and update_freq > 0:
        return int(update_freq)
    raise ValueError("TensorBoard: update_freq must be 'batch', 'epoch' or a positive integer (a number of "
                     f"batches). Received: update_freq={update_freq!r}")


def _scalar(value):
    """A logged value as a float, or None when it is not a single number."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return float(array) if array.ndim == 0 else None


class TensorBoard(Callback):
    """Logs for TensorBoard (`tensorboard --logdir=log_dir`).

    - per epoch, every logged metric as the scalar `epoch_<name>` (training ones and the
      learning rate in log_dir/train, `val_` ones without the prefix in log_dir/validation);
    - with update_freq='batch' or an integer N, `batch_<name>` every N training batches (the step
      counts batches from the start of fit);
    - after each evaluation (fit's validation, evaluate) of a compiled model,
      `evaluation_<name>_vs_iterations` in log_dir/validation at the optimizer's iteration count;
    - every histogram_freq epochs, a histogram of each weight (`<layer>/<weight>/histogram`) and,
      with write_images, the 1-D and 2-D weights and 3-D kernels as images (`.../image`);
    - with write_graph, the model's configuration (TensorBoard's conceptual graph, tag `keras`)
      and a GraphDef whose nodes are the model's layers;
    - every embeddings_freq epochs, each Embedding layer's matrix as a TSV file in log_dir,
      named in log_dir/projector_config.pbtxt for TensorBoard's projector, with
      embeddings_metadata (a file name, or a dict from layer name to file name) as labels.

    Files are written on the calling thread and closed at the end of training.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_frequency(histogram_freq, "histogram_freq")
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = _check_update_freq(update_freq)
        if profile_batch not in (0, None, (0, 0), [0, 0]):
            raise ValueError("TensorBoard: fastnn has no profiler to trace batches with; profile_batch must be 0. "
                             f"Received: profile_batch={profile_batch!r}")
        self.embeddings_freq = _check_frequency(embeddings_freq, "embeddings_freq")
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, (str, dict)):
            raise ValueError("TensorBoard: embeddings_metadata must be a file name or a dict from Embedding layer "
                             f"names to file names. Received: embeddings_metadata={embeddings_metadata!r}")
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._training = False
        self._graph_pending = False
        self._embedding_files = {}  # Embedding layer -> TSV file name (in log_dir)
        self._batch_start = self._epoch_start = None
        self._epoch_start_iterations = 0

    # writers ---------------------------------------------------------------------------------
    def _writer(self, kind):
        from ..tensorboard import EventFileWriter

        if kind not in self._writers:
            self._writers[kind] = EventFileWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    @property
    def _train_writer(self):
        return self._writer("train")

    @property
    def _val_writer(self):
        return self._writer("validation")

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # model -----------------------------------------------------------------------------------
    def set_model(self, model):
        super().set_model(model)
        self._close_writers()
        self._graph_pending = False
        if not distribution.is_chief():
            return
        if self.write_graph:
            self._write_model_config()
            self._graph_pending = True
        if self.embeddings_freq:
            self._configure_embeddings()

    def _write_model_config(self):
        """The model's config as Keras's keras_model_summary writes it, which TensorBoard draws as
        the conceptual graph; a model whose config cannot be written is skipped with a warning."""
        try:
            text = json.dumps({"class_name": _class_name(self.model), "config": self.model.get_config()})
        except Exception as error:  # as Keras: a model that cannot be described still trains
            warnings.warn(f"TensorBoard: model {self.model.name!r} could not be written as a config, so it has no "
                          f"conceptual graph: {error}")
            return
        self._train_writer.add_text_tensor("keras", text, 0, plugin_name="graph_keras_model", content=b"1")

    def _write_graph_def(self):
        from ..utils.layer_graph import layer_graph

        try:
            layers, edges = layer_graph(self.model)
        except (ValueError, AttributeError):
            return  # a subclassed model that was never built has no graph of layers
        sources = {}
        for source, target in edges:
            sources.setdefault(id(target), []).append(source.name)
        self._train_writer.add_graph([(layer.name, type(layer).__name__, sources.get(id(layer), []))
                                      for layer in layers])

    def _configure_embeddings(self):
        from ..layers import Embedding

        metadata = dict(self.embeddings_metadata) if isinstance(self.embeddings_metadata, dict) else None
        entries = []
        self._embedding_files = {}
        for layer in self.model.layers:
            if not isinstance(layer, Embedding):
                continue
            file_name = f"{layer.name}_embeddings.tsv"
            self._embedding_files[layer.name] = file_name
            entry = [f'  tensor_name: "{layer.name}/embeddings"', f'  tensor_path: "{file_name}"']
            path = self.embeddings_metadata if isinstance(self.embeddings_metadata, str) else \
                (metadata.pop(layer.name, None) if metadata is not None else None)
            if path is not None:
                entry.append(f"  metadata_path: {json.dumps(os.fspath(path))}")
            entries.append("embeddings {\n" + "\n".join(entry) + "\n}\n")
        if metadata:
            raise ValueError("Unrecognized Embedding layer names passed to TensorBoard's embeddings_metadata "
                             f"argument: {sorted(metadata)} (the model's Embedding layers: "
                             f"{sorted(self._embedding_files) or 'none'})")
        os.makedirs(self.log_dir, exist_ok=True)
        _write_text(os.path.join(self.log_dir, "projector_config.pbtxt"), "".join(entries))

    # hooks -----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if not distribution.is_chief():
            return
        if self._graph_pending:
            self._graph_pending = False
            self._write_graph_def()
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        step = self._global_train_batch
        writer = self._train_writer
        if self.write_steps_per_second and self._batch_start is not None:
            writer.add_scalar("batch_steps_per_second", 1.0 / max(time.perf_counter() - self._batch_start, 1e-9),
                              step)
        for name, value in (logs or {}).items():
            value = _scalar(value)
            if value is not None:
                writer.add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        if not distribution.is_chief():
            return
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and logs:
            for name, value in logs.items():
                value = _scalar(value)
                if value is not None:
                    self._val_writer.add_scalar(f"evaluation_{name}_vs_iterations", value, optimizer.iterations)
        if self._training:
            for writer in self._writers.values():
                writer.flush()
        else:  # evaluate() on its own: nothing follows, so the files end here
            self._close_writers()

    def on_epoch_end(self, epoch, logs=None):
        if not distribution.is_chief():
            return
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings()
        for writer in self._writers.values():
            writer.flush()

    # what is written -------------------------------------------------------------------------
    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        return getattr(optimizer, "iterations", 0) if optimizer is not None else 0

    def _log_epoch_metrics(self, epoch, logs):
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train_logs["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second and self._epoch_start is not None:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            train_logs["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / seconds
        for logs_of, writer_kind in ((train_logs, "train"), (val_logs, "validation")):
            for name, value in logs_of.items():
                value = _scalar(value)
                if value is not None:
                    self._writer(writer_kind).add_scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch):
        writer = self._train_writer
        for layer in self.model.layers:
            for name, weight in zip(layer.weight_names, layer.weights):
                tag = f"{layer.name}/{name}".replace(":", "_")
                writer.add_histogram(f"{tag}/histogram", weight.data, epoch)
                if self.write_images:
                    image = _weight_image(weight.data)
                    if image is not None:
                        for i, picture in enumerate(image[:3]):
                            writer.add_image(f"{tag}/image" if len(image) == 1 else f"{tag}/image/{i}", picture,
                                             epoch)

    def _log_embeddings(self):
        for layer in self.model.layers:
            file_name = self._embedding_files.get(layer.name)
            if file_name is None:
                continue
            matrix = np.asarray(layer.embeddings.data, dtype=np.float32)
            text = "\n".join("\t".join(repr(float(v)) for v in row) for row in matrix) + "\n"
            _write_text(os.path.join(self.log_dir, file_name), text)


def _class_name(model):
    from ..models import Sequential

    return "Sequential" if isinstance(model, Sequential) else "Functional"


def _write_text(path, text):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def _weight_image(weight):
    """The images Keras draws of a weight, as uint8 (count, height, width, 1): a bias as one row,
    a 2-D kernel with its longer axis across, a 3-D kernel one image per channel of its last axis;
    values are clipped to [0, 1] and scaled to 0-255 as tf.summary.image does. None for others."""
    w = np.squeeze(np.asarray(weight, dtype=np.float64))
    if w.ndim == 1:
        w = w.reshape(1, 1, -1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        w = w[np.newaxis]
    elif w.ndim == 3:
        w = np.transpose(w, (2, 0, 1))
    else:
        return None
    if w.size == 0:
        return None
    return (np.clip(w, 0.0, 1.0) * 255.5).astype(np.uint8)[..., np.newaxis]
