"""Trains a small MLP under DataParallel and checks, after every step, that every process holds
the same weights; process 0 writes the final weights, the history, evaluate's and predict's
results to OUT (.npz).

    mpiexec -n P python train_small.py OUT [--deterministic 0|1] [--fail-on RANK:STEP]
        [--kill RANK:STEP] [--mismatch RANK] [--overlap] [--local] [--batch-norm]
"""
import argparse
import os
import signal
import sys
import zlib

import numpy as np

import fastnn
from fastnn import callbacks, distribution, layers, models
from fastnn.distribution.overlap import OverlappedTape


class SameWeightsEverywhere(callbacks.Callback):
    """Compares a checksum of every process's weights after every step."""

    def __init__(self, fail_on=None, kill=None):
        super().__init__()
        self.fail_on, self.kill, self.steps = fail_on, kill, 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        rank = distribution.process_id()
        if self.fail_on == (rank, self.steps):
            raise RuntimeError(f"deliberate failure on process {rank} at step {self.steps}")
        if self.kill == (rank, self.steps):
            os.kill(os.getpid(), signal.SIGKILL)
        data = distribution.distribution()
        if data is None:
            return
        weights = b"".join(w.tobytes() for w in self.model.get_weights())
        checksums = data.comm.allgather((zlib.crc32(weights), len(weights)))
        if len(set(checksums)) != 1:
            raise AssertionError(f"weights differ across processes after step {self.steps}: {checksums}")


def rank_step(text):
    rank, step = text.split(":")
    return int(rank), int(step)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--deterministic", type=int, default=0)
    parser.add_argument("--overlap", action="store_true", help="bucketed allreduce during backward")
    parser.add_argument("--local", action="store_true", help="no distribution: one process, plain fit")
    parser.add_argument("--fail-on", type=rank_step)
    parser.add_argument("--kill", type=rank_step)
    parser.add_argument("--mismatch", type=int)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batch-norm", action="store_true", help="a BatchNormalization layer after the first")
    args = parser.parse_args()
    if not args.local:
        distribution.set_distribution(distribution.DataParallel(
            deterministic=bool(args.deterministic), overlap=args.overlap, bucket_bytes=256))
    rank = distribution.process_id()

    rng = np.random.default_rng(7)
    x = rng.standard_normal((203, 12)).astype(np.float32)  # 203 rows: a ragged last batch
    labels = (x[:, :3].sum(axis=1) > 0).astype(np.int64) + (x[:, 3] > 1).astype(np.int64)
    y = np.eye(3, dtype=np.float32)[labels]
    x_test = rng.standard_normal((37, 12)).astype(np.float32)
    y_test = np.eye(3, dtype=np.float32)[(x_test[:, :3].sum(axis=1) > 0).astype(np.int64)]

    fastnn.utils.set_random_seed(100 + rank)  # different seeds: the weights must come from process 0
    units = 17 if args.mismatch == rank else 16
    stack = [layers.Dense(units, activation="relu", input_shape=(12,)), layers.Dense(3, activation="softmax")]
    if args.batch_norm:
        stack.insert(1, layers.BatchNormalization(momentum=0.8))
    model = models.Sequential(stack)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    checker = SameWeightsEverywhere(args.fail_on, args.kill)
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0,
                        validation_data=(x_test, y_test), callbacks=[checker])
    evaluated = model.evaluate(x_test, y_test, batch_size=16, verbose=0)
    predicted = model.predict(x_test, batch_size=16, verbose=0)
    overlapped = sum(isinstance(plan.tape, OverlappedTape) for plan in model.train_function.plans.plans.values())
    model.save_weights(f"{args.out}.process{rank}.weights.npz")  # written by process 0 only
    if rank == 0:
        np.savez(args.out, *model.get_weights(), weight_count=np.array(len(model.get_weights())),
                 loss=np.array(history.history["loss"]),
                 val_accuracy=np.array(history.history["val_accuracy"]), evaluated=np.array(evaluated),
                 predicted=predicted, steps=np.array(checker.steps), overlapped=np.array(overlapped))
    print(f"process {rank}: done after {checker.steps} steps", file=sys.stderr)


if __name__ == "__main__":
    main()
