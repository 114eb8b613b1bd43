"""Keras 3 in a child process, for checks of whole-model files against Keras itself.

`keras_saves` has Keras build and save the book's models (.keras and .h5) and predict on given
inputs; `keras_loads` has Keras load model files and predict. Keras runs apart so that its
backend never touches the test process; it runs on the numpy backend (quick to start) except
for training, which needs jax.
"""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

SAVE_CHILD = textwrap.dedent('''
    import json, sys
    import numpy as np
    import keras
    from keras import layers as L
    keras.utils.set_random_seed(0)
    out_dir, names = sys.argv[1], sys.argv[2].split(",")

    def chapter():
        m = keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu"), L.Dense(10, activation="softmax")])
        m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
        return m, np.random.default_rng(1).random((6, 784), dtype=np.float32), 10

    def convnet():
        m = keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                              L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
                              L.Conv2D(64, (3, 3), activation="relu"), L.Flatten(), L.Dense(64, activation="relu"),
                              L.Dense(10, activation="softmax")])
        m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
        return m, np.random.default_rng(2).random((4, 28, 28, 1), dtype=np.float32), 10

    def regularized():
        m = keras.Sequential([keras.Input((12,)), L.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.l2(0.001)),
                              L.BatchNormalization(), L.Dropout(0.5), L.Dense(1, activation="sigmoid")])
        m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
        return m, np.random.default_rng(3).normal(size=(6, 12)).astype(np.float32), 1

    def recurrent():
        m = keras.Sequential([keras.Input((7,)), L.Embedding(50, 8, mask_zero=True), L.LSTM(6, return_sequences=True),
                              L.Bidirectional(L.GRU(4)), L.Dense(3, activation="softmax")])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        tokens = np.random.default_rng(4).integers(1, 50, (5, 7))
        tokens[1, 4:] = tokens[3, 2:] = 0  # padding, which the mask hides from the recurrent layers
        return m, tokens.astype(np.float32), "sparse3"

    def two_inputs():
        a, b = keras.Input((6,), name="numbers"), keras.Input((5, 3), name="series")
        x = L.Dense(4, activation="tanh")(a)
        y = L.GlobalAveragePooling1D()(L.Conv1D(4, 2, activation="relu")(b))
        merged = L.Concatenate()([L.Add()([x, y]), L.Multiply()([x, y])])
        block = keras.Sequential([keras.Input((8,)), L.Dense(5), L.Activation("relu")], name="block")
        out = L.Dense(2)(block(merged))
        m = keras.Model([a, b], out)
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        rng = np.random.default_rng(5)
        return m, [rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=(4, 5, 3)).astype(np.float32)], 2

    train = sys.argv[3] == "train"
    for name in names:
        model, x, classes = globals()[name]()
        n = len(x[0]) if isinstance(x, list) else len(x)
        rng = np.random.default_rng(9)
        if classes == "sparse3":
            y = rng.integers(0, 3, n)
        elif classes == 1:
            y = rng.integers(0, 2, (n, 1)).astype(np.float32)
        elif name == "two_inputs":
            y = rng.normal(size=(n, classes)).astype(np.float32)
        else:
            y = np.eye(classes, dtype=np.float32)[rng.integers(0, classes, n)]
        if train:
            model.fit(x, y, epochs=1, batch_size=n, verbose=0)
        else:  # an optimizer state as training would leave it, without training (the numpy backend cannot)
            model.optimizer.build(model.trainable_variables)
            for i, variable in enumerate(model.optimizer.variables):
                if i == 0:
                    variable.assign(3)
                elif i > 1:
                    variable.assign(rng.uniform(0.01, 0.1, variable.shape).astype(np.float32))
        model.save(f"{out_dir}/{name}.keras")
        model.save(f"{out_dir}/{name}.h5")
        xs = x if isinstance(x, list) else [x]
        np.savez(f"{out_dir}/{name}_data.npz", y=y, prediction=np.asarray(model.predict(x, verbose=0)),
                 **{f"x{i}": v for i, v in enumerate(xs)})
        np.savez(f"{out_dir}/{name}_optimizer.npz", *[np.asarray(v) for v in model.optimizer.variables])
        if train:
            model.fit(x, y, epochs=1, batch_size=n, verbose=0)
            np.save(f"{out_dir}/{name}_after_fit.npy", np.asarray(model.predict(x, verbose=0)))
''')

LOAD_CHILD = textwrap.dedent('''
    import json, sys
    import numpy as np
    import keras
    jobs = json.load(open(sys.argv[1]))
    for job in jobs:
        model = keras.models.load_model(job["path"])
        data = np.load(job["inputs"])
        xs = [data[k] for k in sorted(data.files)]
        prediction = np.asarray(model.predict(xs if len(xs) > 1 else xs[0], verbose=0))
        info = {"compiled": bool(getattr(model, "compiled", False)),
                "optimizer": type(model.optimizer).__name__ if getattr(model, "optimizer", None) else None,
                "iterations": int(model.optimizer.iterations.numpy()) if getattr(model, "optimizer", None) else None}
        np.save(job["output"], prediction)
        json.dump(info, open(job["output"] + ".json", "w"))
''')


def _run(code, args, backend="numpy", timeout=900):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    if backend == "jax":
        pytest.importorskip("jax", reason="training in Keras needs a backend with gradients (jax)")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", JAX_PLATFORMS="cpu")
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"the Keras child failed:\n{result.stderr[-3000:]}")


def keras_saves(out_dir, names, train=False):
    """Keras builds each named model, gives its optimizer a state (by training it, on jax, with
    train=True; else by setting it) and saves it into out_dir as <name>.keras and <name>.h5, with
    <name>_data.npz (inputs x0.., targets y, Keras's prediction) and <name>_optimizer.npz."""
    _run(SAVE_CHILD, [str(out_dir), ",".join(names), "train" if train else "set"],
         backend="jax" if train else "numpy")


def keras_loads(jobs, work_dir):
    """jobs: [(model file, {name: input array})]; [(prediction, info)] per job from Keras."""
    specs = []
    for i, (path, inputs) in enumerate(jobs):
        np.savez(work_dir / f"keras_in_{i}.npz", **inputs)
        specs.append({"path": str(path), "inputs": str(work_dir / f"keras_in_{i}.npz"),
                      "output": str(work_dir / f"keras_out_{i}.npy")})
    (work_dir / "keras_jobs.json").write_text(json.dumps(specs))
    _run(LOAD_CHILD, [str(work_dir / "keras_jobs.json")])
    return [(np.load(s["output"]), json.loads(open(s["output"] + ".json").read())) for s in specs]
