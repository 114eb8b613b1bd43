"""TerminateOnNaN: stops training at a non-finite loss."""
import math

from .callback import Callback, print_line


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print_line(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
