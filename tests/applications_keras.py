"""Builds a keras.applications model in a child process (Keras's numpy backend), saves its
weights as a Keras 2 legacy .h5 file and its predictions, for side-by-side checks."""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CHILD = textwrap.dedent('''
    import json, sys
    import h5py, numpy as np, keras
    from keras.src.legacy.saving import legacy_h5_format
    name, kwargs, h5_path, x_path, out_path, info_path = sys.argv[1:]
    model = getattr(keras.applications, name)(weights=None, **json.loads(kwargs))
    rng = np.random.default_rng(0)
    for layer in model.layers:  # inference must use the moving statistics, not ones and zeros
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape) if "variance" in w.path or "gamma" in w.path
                               else rng.normal(0, 0.1, w.shape) for w in layer.weights])
    with h5py.File(h5_path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    np.save(out_path, np.asarray(model.predict(np.load(x_path), verbose=0)))
    json.dump({"layers": [l.name for l in model.layers], "params": int(model.count_params())},
              open(info_path, "w"))
''')


def keras_application(name, kwargs, x, tmp_path):
    """(weights file path, predictions on x, {'layers': names, 'params': count}) from Keras;
    skips the test when Keras is not installed."""
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    paths = [tmp_path / f for f in ("keras.h5", "x.npy", "out.npy", "info.json")]
    np.save(paths[1], x)
    env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", CHILD, name, json.dumps(kwargs)] + [str(p) for p in paths],
                          env=env, capture_output=True, text=True, timeout=900)
    if done.returncode:
        raise AssertionError(f"Keras failed on {name}({kwargs}):\n{done.stderr[-3000:]}")
    return paths[0], np.load(paths[2]), json.loads(paths[3].read_text())
