"""Trains one graph network (trainbench.graphnets nodes) with one framework in the current (child)
process, or measures NumPy's float32 GEMM rate as the pseudo-framework GEMM.

The job (JSON from the parent): "model" (a label), "nodes", "weights" (an .npz of initial_weights),
"threads", "seed", "batch_size", "optimizer", "epochs", "train_images", "test_images",
"predict_batch_size", "predict_repeats", and the images: "synthetic" or MNIST-format IDX files in
"data_dir".
"""
import os

import numpy as np

from . import data, graph_runners, graphnets
from .childproc import pin_to_cpus
from .timing import gemm_gflops, timed, timed_predicts

GEMM = "numpy-gemm"


def arrays(job):
    """(x_train, y_train, x_test, labels_test) shaped as the network takes them."""
    if job["synthetic"]:
        x, labels, x_test, labels_test = graphnets.synthetic(job["train_images"], job["test_images"], job["seed"])
    else:
        loaded = data.load(job["data_dir"])
        x, labels = loaded["x_train"][:job["train_images"]], loaded["labels_train"][:job["train_images"]]
        x_test, labels_test = loaded["x_test"][:job["test_images"]], loaded["labels_test"][:job["test_images"]]
    nodes = job["nodes"]
    shape = (-1,) + tuple(nodes[0]["shape"])
    x, x_test = np.ascontiguousarray(x.reshape(shape)), np.ascontiguousarray(x_test.reshape(shape))
    y = x if graphnets.is_autoencoder(nodes) else data.one_hot(labels)
    return x, np.ascontiguousarray(y), x_test, labels_test


def test_metric(nodes, outputs, x_test, labels_test):
    """("accuracy", share right) for a classifier; ("loss", mean loss) for the autoencoder."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if not graphnets.is_autoencoder(nodes):
        return "accuracy", float(np.mean(outputs.argmax(axis=1) == labels_test))
    pixels, eps = x_test.shape[1], graphnets.EPSILON
    recon = outputs[:, :pixels]
    mean, log_var = outputs[:, pixels:pixels + graphnets.LATENT], outputs[:, pixels + graphnets.LATENT:]
    xent = -np.sum(x_test * np.log(recon + eps) + (1 - x_test) * np.log(1 - recon + eps), axis=1)
    kl = -0.5 * np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=1)
    return "loss", float(np.mean(xent + kl))


def measure(framework, job):
    pin_to_cpus(job["threads"])
    if framework == GEMM:
        return {"framework": GEMM, "version": f"numpy {np.__version__}", "gemm_gflops": gemm_gflops()}
    nodes = job["nodes"]
    runner = graph_runners.load(framework)
    with np.load(job["weights"]) as saved:
        weights = {key: saved[key] for key in saved.files}
    trainer = runner.Trainer(job, nodes, weights)
    x, y, x_test, labels_test = arrays(job)
    epochs, losses = [], []
    for _ in range(job["epochs"]):
        epochs.append(timed(lambda: losses.append(trainer.train_epoch(x, y))))
    predict, outputs = timed_predicts(trainer, x_test, job["predict_batch_size"], job["predict_repeats"])
    metric, value = test_metric(nodes, outputs, x_test, labels_test)
    return {"framework": framework, "model": job["model"], "version": runner.version(), "epoch_seconds": epochs,
            "train_losses": losses, "predict_seconds": predict, "predict_images": len(x_test),
            "loadavg": os.getloadavg()[0], "test_metric": metric, "test_value": value, **trainer.extra()}
