"""TensorBoard event files written by fastnn itself: protocol-buffer encoding, TFRecord framing
and the summaries the TensorBoard callback writes."""
from .event_writer import EventFileWriter

__all__ = ["EventFileWriter"]
