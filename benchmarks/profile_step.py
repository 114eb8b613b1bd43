"""Where one training step of chapter 2's network spends its time.

    PYTHONPATH=src python benchmarks/profile_step.py --data-dir DIR [--threads 2] [--steps 300]

Times, per step (median over the steps): the whole `fit` step as fit runs it, then each compiled kernel
call of the step on its own, called with the same shapes. The difference between the step and the sum
of its kernels is the Python overhead (graph building, wrappers, checks, metrics). Last, each kernel call
timed where fit's step makes it (caches and threads as training leaves them), median and minimum:
the fused step's gather, compiled forward/backward and optimizer update.
Then the per-step overhead alone: fit's and predict's time per batch on a network so small
(8-16-10, batch 8) that its kernels take next to nothing, so what remains is the Python around them.
"""
import argparse
import collections
import contextlib
import io
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fastnn  # noqa: E402
from fastnn import kernels, layers, models  # noqa: E402
from fastnn.models.dense_stack import DenseStackStep  # noqa: E402
from trainbench import data as bench_data  # noqa: E402


def median_us(fn, repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1e6 * float(np.median(samples))


def build_model():
    fastnn.utils.set_random_seed(0)
    model = models.Sequential([
        layers.Dense(512, activation="relu", input_shape=(784,)),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def kernel_calls(model, x, y, batch):
    """(name, thunk) for each compiled call of one training step, in order, on the step's shapes."""
    w1, b1, w2, b2 = (w.data for w in model.weights)
    order = np.random.default_rng(0).permutation(len(x))[:batch]
    # a real batch: matmul skips the zero pixels, so its time depends on the images
    xb = kernels.gather_rows(x, order, out=np.empty((batch, 784), np.float32))
    yb = kernels.gather_rows(y, order, out=np.empty((batch, 10), np.float32))
    h = kernels.matmul(xb, w1, bias=b1, activation="relu")
    logits = kernels.matmul(h, w2, bias=b2)
    _, probs = kernels.softmax_cross_entropy(logits, yb)
    dlogits = kernels.softmax_cross_entropy_grad(probs, yb, scale=1.0 / batch)
    flat = np.zeros(sum(w.size for w in (w1, b1, w2, b2)), np.float32)
    state = np.zeros_like(flat)
    values = flat.copy()
    out_h = np.empty_like(h)
    out_w1 = np.empty_like(w1)
    out_w2 = np.empty_like(w2)
    return [
        ("gather x", lambda: kernels.gather_rows(x, order, out=xb)),
        ("gather y", lambda: kernels.gather_rows(y, order, out=yb)),
        ("dense1 fwd (x.W1+b, relu)", lambda: kernels.matmul(xb, w1, bias=b1, activation="relu", out=out_h)),
        ("dense2 fwd (h.W2+b)", lambda: kernels.matmul(h, w2, bias=b2)),
        ("softmax+xent", lambda: kernels.softmax_cross_entropy(logits, yb)),
        ("xent grad", lambda: kernels.softmax_cross_entropy_grad(probs, yb, scale=1.0 / batch)),
        ("dW2 = h^T.dz", lambda: kernels.matmul(h, dlogits, trans_a=True, out=out_w2)),
        ("db2", lambda: kernels.sum_to_shape(dlogits, (10,))),
        ("dh = dz.W2^T masked", lambda: kernels.matmul(dlogits, w2, trans_b=True, relu_mask=h)),
        ("dW1 = x^T.dh", lambda: kernels.matmul(xb, h, trans_a=True, out=out_w1)),
        ("db1", lambda: kernels.sum_to_shape(h, (512,))),
        ("rmsprop", lambda: kernels.rmsprop_step(values, flat, state, None, learning_rate=1e-3, rho=0.9,
                                                 momentum=0.0, epsilon=1e-7)),
        ("accuracy", lambda: float(np.mean(np.argmax(yb, -1) == np.argmax(probs, -1)))),
    ]


def time_fit_steps(model, x, y, batch, steps):
    """Per-step wall times of fit's own loop, read by a callback."""
    times = []

    class StepTimer(fastnn.callbacks.Callback):
        def on_train_batch_begin(self, step, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, step, logs=None):
            times.append(time.perf_counter() - self.start)

    model.fit(x[:batch * steps], y[:batch * steps], batch_size=batch, epochs=1, verbose=0,
              callbacks=[StepTimer()])
    return 1e6 * float(np.median(times[10:]))


class _Timed:
    """Calls fn, adding its time to samples[(position, name)]; other attributes are fn's."""

    def __init__(self, fn, name, samples, position):
        self.fn, self.name, self.samples, self.position = fn, name, samples, position

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        result = self.fn(*args, **kwargs)
        self.samples[(self.position[0], self.name)].append(time.perf_counter() - start)
        self.position[0] += 1
        return result

    def __getattr__(self, name):
        return getattr(self.fn, name)


def time_kernels_in_fit(model, x, y, batch, steps):
    """{(position in the step, call name): [seconds, ...]} for the compiled calls of fit's steps
    (the batch gather, the fused forward/backward, the optimizer update), each timed where the
    step makes it."""
    samples = collections.defaultdict(list)
    position = [0]
    original_init = DenseStackStep.__init__

    def timed_init(step, *args, **kwargs):
        original_init(step, *args, **kwargs)
        step.gatherer.load = _Timed(step.gatherer.load, "gather x and y", samples, position)
        step.kernels = _Timed(step.kernels, "forward + backward", samples, position)
        step.optimizer.apply_flat = _Timed(step.optimizer.apply_flat, "optimizer.apply_flat", samples, position)

    class StepStart(fastnn.callbacks.Callback):
        def on_train_batch_begin(self, step, logs=None):
            position[0] = 0

    DenseStackStep.__init__ = timed_init
    try:
        model.fit(x[:batch * steps], y[:batch * steps], batch_size=batch, epochs=1, verbose=0,
                  callbacks=[StepStart()])
    finally:
        DenseStackStep.__init__ = original_init
        vars(model.optimizer).pop("apply_flat", None)
    return samples


def time_tiny_steps(verbose=0, with_callback=False, steps=2000, batch=8, repeats=5):
    """Seconds per step of fit on an 8-16(relu)-10(softmax) network: almost all Python overhead."""
    fastnn.utils.set_random_seed(0)
    model = models.Sequential([
        layers.Dense(16, activation="relu", input_shape=(8,)),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((steps * batch, 8), dtype=np.float32)
    y = fastnn.utils.to_categorical(rng.integers(0, 10, steps * batch), 10)
    callbacks = [fastnn.callbacks.Callback()] if with_callback else []
    if with_callback:
        callbacks[0].on_train_batch_end = lambda batch, logs=None: None
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            model.fit(x, y, batch_size=batch, epochs=1, verbose=verbose, callbacks=callbacks)
        samples.append((time.perf_counter() - start) / steps)
    predict = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(x, batch_size=batch, verbose=0)
        predict.append((time.perf_counter() - start) / steps)
    return 1e6 * float(np.median(samples)), 1e6 * float(np.median(predict))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--overhead-only", action="store_true", help="only the small-network overhead figures")
    args = parser.parse_args(argv)
    if args.overhead_only:
        fastnn.set_num_threads(args.threads)
        print_overhead()
        return
    fastnn.set_num_threads(args.threads)
    arrays = bench_data.load(args.data_dir)
    x, y = arrays["x_train"], arrays["y_train"]
    model = build_model()
    model.fit(x[:args.batch_size * 20], y[:args.batch_size * 20], batch_size=args.batch_size, verbose=0)

    step_us = time_fit_steps(model, x, y, args.batch_size, args.steps)
    rows = [(name, median_us(fn, args.steps)) for name, fn in kernel_calls(model, x, y, args.batch_size)]
    step_us_again = time_fit_steps(model, x, y, args.batch_size, args.steps)
    step_us = min(step_us, step_us_again)
    total = sum(t for _, t in rows)
    print(f"threads {fastnn.get_num_threads()}, batch {args.batch_size}, median of {args.steps} steps")
    for name, t in rows:
        print(f"  {name:28s} {t:8.1f} us  {100 * t / step_us:5.1f}%")
    print(f"  {'sum of kernel calls':28s} {total:8.1f} us  {100 * total / step_us:5.1f}%")
    print(f"  {'fit step':28s} {step_us:8.1f} us")
    print(f"  {'overhead (step - kernels)':28s} {step_us - total:8.1f} us  {100 * (step_us - total) / step_us:5.1f}%")

    in_fit = time_kernels_in_fit(model, x, y, args.batch_size, args.steps)
    print("each call timed inside fit's step (median, min):")
    medians = 0.0
    for (position, name), times in sorted(in_fit.items()):
        times = 1e6 * np.asarray(times[10:] if len(times) > 20 else times)
        medians += float(np.median(times))
        print(f"  {position:2d} {name:25s} {np.median(times):8.1f} us {times.min():8.1f} us")
    print(f"  {'sum of medians':28s} {medians:8.1f} us")
    print(f"  {'fit step - sum of medians':28s} {step_us - medians:8.1f} us")
    print_overhead()


def print_overhead():
    print("per-step overhead, 8-16-10 network, batch 8 (median of 5 epochs of 2000 steps):")
    for label, verbose, with_callback in (("fit verbose=0", 0, False), ("fit verbose=1 (not a tty)", 1, False),
                                          ("fit verbose=0 + batch callback", 0, True)):
        fit_us, predict_us = time_tiny_steps(verbose, with_callback)
        print(f"  {label:32s} {fit_us:8.1f} us/step")
    print(f"  {'predict':32s} {predict_us:8.1f} us/batch")


if __name__ == "__main__":
    main()
