"""Trains one model configuration with one framework in the current (child) process.

The parent has set the thread environment variables. The framework is imported first, then the data
is loaded with the shared loader and shaped for the configuration; the epochs are timed one at a time,
then predict on the test images and the test accuracy.
"""
import os
import time

import numpy as np

from . import data, memory, model_runners, modelspec
from .childproc import pin_to_cpus, worker_main


def measure(framework, job):
    spec, threads = job["spec"], job["threads"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cpus = pin_to_cpus(threads)
    runner = model_runners.load(framework)
    why_not = runner.unsupported(job["model"], spec)
    if why_not:
        return {"framework": framework, "model": job["model"], "skipped": why_not, "unsupported": True}
    rss_after_import = memory.rss_mb()
    arrays = data.load(job["data_dir"])
    samples = job["samples"] or len(arrays["x_train"])
    x_train = modelspec.inputs(spec, arrays["x_train"][:samples])
    y_train = modelspec.targets(spec, arrays["labels_train"][:samples])
    x_test = modelspec.inputs(spec, arrays["x_test"])
    with np.load(job["weights_file"]) as saved:
        weights = [saved[key] for key in saved.files]
    rss_before_training = memory.rss_mb()
    peak_reset = memory.reset_peak()

    trainer = runner.Trainer(spec, weights, job["seed"], threads)
    epoch_seconds, epoch_cpu_seconds, rss_after_epoch = [], [], []
    for epoch in range(job["epochs"]):
        start, start_cpu = time.perf_counter(), time.process_time()
        trainer.train_epoch(x_train, y_train, epoch)
        epoch_seconds.append(time.perf_counter() - start)
        epoch_cpu_seconds.append(time.process_time() - start_cpu)
        rss_after_epoch.append(memory.rss_mb())
    peak_training = memory.peak_rss_mb()

    predict_seconds, accuracy = [], None
    if trainer.predict is not None:
        outputs = None
        for _ in range(job["predict_repeats"] + 1):  # the first call warms up and is not counted
            start = time.perf_counter()
            outputs = trainer.predict(x_test, job["predict_batch_size"])
            predict_seconds.append(time.perf_counter() - start)
        accuracy = modelspec.accuracy(spec, outputs, arrays["labels_test"])
        predict_seconds = predict_seconds[1:]
    return {
        "framework": framework,
        "model": job["model"],
        "version": runner.version(),
        "threads": threads,
        "cpus": cpus,
        "loadavg_at_start": load,
        "samples": int(samples),
        "epoch_seconds": epoch_seconds,
        "epoch_cpu_seconds": epoch_cpu_seconds,
        "rss_after_import_mb": rss_after_import,
        "rss_before_training_mb": rss_before_training,
        "rss_after_epoch_mb": rss_after_epoch,
        "peak_training_rss_mb": peak_training,
        "peak_includes_data_loading": not peak_reset,
        "predict_seconds": predict_seconds,
        "predict_samples": int(len(x_test)),
        "test_accuracy": accuracy,
        "train_bytes": int(x_train.nbytes + y_train.nbytes),
        "notes": trainer.notes(),
    }


def main(framework, job_file, out_file):
    return worker_main(measure, framework, job_file, out_file, copied=("model",))
