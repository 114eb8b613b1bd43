"""Runs one framework in the current (child) process and records its figures.

The parent has already set the thread environment variables; this module imports the framework, loads the
data with the shared loader, trains epoch by epoch, then measures predict throughput and test accuracy.
"""
import os
import time

import numpy as np

from . import data, memory, runners
from .childproc import pin_to_cpus, worker_main
from .timing import timed_predicts
from .workload import Spec


def train_epochs(trainer, x, y, epochs):
    """Trains `epochs` epochs with trainer.train_epoch(x, y, epoch): (wall seconds, CPU seconds, RSS MB
    after each epoch)."""
    seconds, cpu_seconds, rss = [], [], []
    for epoch in range(epochs):
        start, start_cpu = time.perf_counter(), time.process_time()
        trainer.train_epoch(x, y, epoch)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - start_cpu)
        rss.append(memory.rss_mb())
    return seconds, cpu_seconds, rss


def measured_training(make_trainer, x_train, y_train, x_test, epochs, predict_batch_size, predict_repeats):
    """Builds the trainer with make_trainer(), trains it epoch by epoch and times predict (when the
    trainer has one): (trainer, predict's last outputs or None, the figures as a dict: the memory from
    here on, the epochs' times and RSS, predict's times, the sizes)."""
    rss_before_training = memory.rss_mb()
    peak_reset = memory.reset_peak()
    trainer = make_trainer()
    epoch_seconds, epoch_cpu_seconds, rss_after_epoch = train_epochs(trainer, x_train, y_train, epochs)
    peak_training = memory.peak_rss_mb()
    predict_seconds, outputs = [], None
    if trainer.predict is not None:
        predict_seconds, outputs = timed_predicts(trainer, x_test, predict_batch_size, predict_repeats)
    return trainer, outputs, {
        "epoch_seconds": epoch_seconds,
        "epoch_cpu_seconds": epoch_cpu_seconds,
        "rss_before_training_mb": rss_before_training,
        "rss_after_epoch_mb": rss_after_epoch,
        "peak_training_rss_mb": peak_training,
        "peak_includes_data_loading": not peak_reset,
        "predict_seconds": predict_seconds,
        "predict_samples": int(len(x_test)),
        "train_bytes": int(x_train.nbytes + y_train.nbytes),
    }


def measure(framework, spec):
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cpus = pin_to_cpus(spec.threads)
    runner = runners.load(framework)  # the framework is imported before the data, as a user's script does
    rss_after_import = memory.rss_mb()
    arrays = data.load(spec.data_dir)
    x_train, y_train, x_test = arrays["x_train"], arrays["y_train"], arrays["x_test"]
    with np.load(spec.weights_file) as saved:
        weights = [saved[key] for key in saved.files]
    trainer, probs, figures = measured_training(lambda: runner.Trainer(spec, weights), x_train, y_train, x_test,
                                                spec.epochs, spec.predict_batch_size, spec.predict_repeats)
    accuracy = float(np.mean(np.argmax(np.asarray(probs), axis=1) == arrays["labels_test"]))
    if spec.save_weights_file:
        np.savez(spec.save_weights_file, *[np.asarray(w) for w in trainer.get_weights()])
    return {"framework": framework, "version": runner.version(), "threads": spec.threads, "cpus": cpus,
            "loadavg_at_start": load, "rss_after_import_mb": rss_after_import, **figures,
            "test_accuracy": accuracy}


def main(framework, spec_file, out_file):
    return worker_main(lambda name, job: measure(name, Spec(**job)), framework, spec_file, out_file)
