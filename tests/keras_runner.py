"""Runs Keras (numpy backend) in a child process on cases a test describes, for side-by-side checks.

The child builds each case's Keras layer, calls it on the case's inputs and saves the layer's
weights and outputs; the test then loads the same weights into fastnn's layer and compares.
Keras runs apart so that its backend choice never touches this process.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CHILD = textwrap.dedent('''
    import json, sys
    import numpy as np
    import keras
    cases = json.load(open(sys.argv[1]))
    inputs = np.load(sys.argv[2])
    saved = {}
    for i, case in enumerate(cases):
        def build(spec):
            cls = getattr(keras.layers, spec["class"])
            kwargs = dict(spec.get("kwargs", {}))
            if "layer" in spec:
                return cls(build(spec["layer"]), **kwargs)
            return cls(*spec.get("args", []), **kwargs)
        layer = build(case["layer"])
        x = inputs[case["input"]]
        call = {}
        if case.get("mask"):
            call["mask"] = keras.ops.convert_to_tensor(inputs[case["mask"]].astype(bool))
        out = layer(x, **call)
        outs = out if isinstance(out, (list, tuple)) else [out]
        for j, o in enumerate(outs):
            saved[f"{i}/out{j}"] = np.asarray(o)
        for j, w in enumerate(layer.get_weights()):
            saved[f"{i}/w{j}"] = np.asarray(w)
    np.savez(sys.argv[3], **saved)
''')


def keras_results(cases, inputs, tmp_path):
    """[(weights, outputs)] per case from Keras; skips the test when Keras is not installed."""
    import importlib.util

    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    np.savez(tmp_path / "inputs.npz", **inputs)
    env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "cases.json"), str(tmp_path / "inputs.npz"),
                    str(tmp_path / "out.npz")], check=True, env=env, capture_output=True, timeout=600)
    saved = np.load(tmp_path / "out.npz")
    results = []
    for i in range(len(cases)):
        weights = [saved[f"{i}/w{j}"] for j in range(len(saved.files)) if f"{i}/w{j}" in saved.files]
        outputs = [saved[f"{i}/out{j}"] for j in range(len(saved.files)) if f"{i}/out{j}" in saved.files]
        results.append((weights, outputs))
    return results
