"""Runs one framework in the current (child) process and records its figures.

The parent has already set the thread environment variables; this module imports the framework, loads the
data with the shared loader, trains epoch by epoch, then measures predict throughput and test accuracy.
"""
import os
import time

import numpy as np

from . import data, memory, runners
from .childproc import pin_to_cpus, worker_main
from .workload import Spec


def measure(framework, spec):
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cpus = pin_to_cpus(spec.threads)
    runner = runners.load(framework)  # the framework is imported before the data, as a user's script does
    rss_after_import = memory.rss_mb()
    arrays = data.load(spec.data_dir)
    x_train, y_train, x_test = arrays["x_train"], arrays["y_train"], arrays["x_test"]
    with np.load(spec.weights_file) as saved:
        weights = [saved[key] for key in saved.files]
    rss_before_training = memory.rss_mb()
    peak_reset = memory.reset_peak()

    trainer = runner.Trainer(spec, weights)
    epoch_seconds, epoch_cpu_seconds, rss_after_epoch = [], [], []
    for epoch in range(spec.epochs):
        start, start_cpu = time.perf_counter(), time.process_time()
        trainer.train_epoch(x_train, y_train, epoch)
        epoch_seconds.append(time.perf_counter() - start)
        epoch_cpu_seconds.append(time.process_time() - start_cpu)
        rss_after_epoch.append(memory.rss_mb())
    peak_training = memory.peak_rss_mb()

    predict_seconds, probs = [], None
    for _ in range(spec.predict_repeats + 1):  # the first call warms up and is not counted
        start = time.perf_counter()
        probs = trainer.predict(x_test, spec.predict_batch_size)
        predict_seconds.append(time.perf_counter() - start)
    probs = np.asarray(probs)
    accuracy = float(np.mean(np.argmax(probs, axis=1) == arrays["labels_test"]))

    if spec.save_weights_file:
        np.savez(spec.save_weights_file, *[np.asarray(w) for w in trainer.get_weights()])
    return {
        "framework": framework,
        "version": runner.version(),
        "threads": spec.threads,
        "cpus": cpus,
        "loadavg_at_start": load,
        "epoch_seconds": epoch_seconds,
        "epoch_cpu_seconds": epoch_cpu_seconds,
        "rss_after_import_mb": rss_after_import,
        "rss_before_training_mb": rss_before_training,
        "rss_after_epoch_mb": rss_after_epoch,
        "peak_training_rss_mb": peak_training,
        "peak_includes_data_loading": not peak_reset,
        "predict_seconds": predict_seconds[1:],
        "predict_samples": int(len(x_test)),
        "test_accuracy": accuracy,
        "train_bytes": int(x_train.nbytes + y_train.nbytes),
    }


def main(framework, spec_file, out_file):
    return worker_main(lambda name, job: measure(name, Spec(**job)), framework, spec_file, out_file)
