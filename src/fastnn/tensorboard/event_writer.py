"""EventFileWriter: appends TensorBoard events to one events.out.tfevents.* file of a folder.

Writes happen on the caller's thread (no background thread); flush() pushes them to disk and
close() ends the file."""
import itertools
import os
import socket
import time

from . import records, summaries
from .png import encode_png

_file_numbers = itertools.count()


class EventFileWriter:
    def __init__(self, logdir):
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_file_numbers)}.v2")
        self.path = os.path.join(self.logdir, name)
        self._file = open(self.path, "wb")
        self._write(summaries.event(time.time(), file_version="brain.Event:2"))
        self.flush()

    @property
    def closed(self):
        return self._file is None

    def _write(self, encoded_event):
        if self._file is None:
            raise ValueError(f"The event file {self.path!r} is closed")
        self._file.write(records.record(encoded_event))

    def _add(self, step, *values):
        self._write(summaries.event(time.time(), step=int(step), summary=summaries.summary(*values)))

    def add_scalar(self, tag, value, step):
        self._add(step, summaries.scalar_value(tag, float(value)))

    def add_histogram(self, tag, values, step):
        self._add(step, summaries.histogram_value(tag, values))

    def add_image(self, tag, image, step):
        """image: uint8 (height, width, channels)."""
        height, width, channels = image.shape
        self._add(step, summaries.image_value(tag, height, width, channels, encode_png(image)))

    def add_text_tensor(self, tag, text, step, plugin_name, content=b""):
        self._add(step, summaries.text_tensor_value(tag, text, plugin_name, content))

    def add_graph(self, nodes):
        """nodes: (name, op, [input names]) of a GraphDef."""
        self._write(summaries.event(time.time(), graph_def=summaries.graph_def(nodes)))

    def flush(self):
        if self._file is not None:
            self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None
