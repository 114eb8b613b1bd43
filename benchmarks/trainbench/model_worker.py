"""Trains one model configuration with one framework in the current (child) process.

The parent has set the thread environment variables. The framework is imported first, then the data
is loaded with the shared loader and shaped for the configuration; the epochs are timed one at a time,
then predict on the test images and the test accuracy.
"""
import os

import numpy as np

from . import data, memory, model_runners, modelspec
from .childproc import pin_to_cpus, worker_main
from .worker import measured_training


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
    trainer, outputs, figures = measured_training(lambda: runner.Trainer(spec, weights, job["seed"], threads),
                                                  x_train, y_train, x_test, job["epochs"], job["predict_batch_size"],
                                                  job["predict_repeats"])
    accuracy = None if outputs is None else modelspec.accuracy(spec, outputs, arrays["labels_test"])
    return {"framework": framework, "model": job["model"], "version": runner.version(), "threads": threads,
            "cpus": cpus, "loadavg_at_start": load, "samples": int(samples), "rss_after_import_mb": rss_after_import,
            **figures, "test_accuracy": accuracy, "notes": trainer.notes()}


def main(framework, job_file, out_file):
    return worker_main(measure, framework, job_file, out_file, copied=("model",))
