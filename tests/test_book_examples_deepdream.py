"""examples/ch8_2_deepdream.py, the book's DeepDream listings (8.8-8.13), run end to end on small
pictures offline: random weights, a local weight file, the offline ImageNet message, and its
NumPy stand-in for scipy.ndimage.zoom."""
import importlib.util
import re
import sys

import numpy as np
import pytest

pytest.importorskip("PIL", reason="the DeepDream script reads and writes pictures through Pillow")



import test_book_examples as _book  # noqa: E402
offline_env, EXAMPLES = _book.offline_env, _book.EXAMPLES
SCRIPT = "ch8_2_deepdream.py"


def run(args, env, cwd):
    return _book.run(SCRIPT, ["--threads", "1", "--seed", "0", *args], env, cwd)


def losses_by_octave(stdout):
    octaves = re.split(r"Processing image shape ", stdout)[1:]
    return [(block.splitlines()[0], [float(v) for v in re.findall(r"\.\.\.Loss value at \d+ : (\S+)", block)])
            for block in octaves]


def test_dreams_on_a_synthetic_picture_with_random_weights(offline_env, tmp_path):
    result = run(["--synthetic", "--weights", "none", "--size", "150", "--iterations", "3", "--output-dir", "out"],
                 offline_env, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    octaves = losses_by_octave(result.stdout)
    assert [shape for shape, _ in octaves] == ["(76, 76)", "(107, 107)", "(150, 150)"]
    for _, values in octaves:  # gradient ascent: the loss grows step after step
        assert len(values) == 3 and values[0] < values[1] < values[2]
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["dream_at_scale_(107, 107).png", "dream_at_scale_(150, 150).png",
                       "dream_at_scale_(76, 76).png", "final_dream.png"]
    from PIL import Image

    with Image.open(tmp_path / "out" / "final_dream.png") as final:
        assert final.size == (150, 150) and final.mode == "RGB"
    assert "final dream: (150, 150)" in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # the generated picture is gone


def test_dreams_on_a_picture_with_a_local_weight_file(offline_env, tmp_path):
    pytest.importorskip("h5py")
    from fastnn.applications import InceptionV3
    from fastnn.preprocessing import image

    InceptionV3(weights=None, include_top=False).save_weights(tmp_path / "notop.h5")
    picture = np.random.default_rng(3).uniform(0, 255, (90, 120, 3)).astype("uint8")
    image.save_img(tmp_path / "picture.png", picture, scale=False)
    result = run(["--image", "picture.png", "--weights", "notop.h5", "--size", "110", "--octaves", "2",
                  "--iterations", "1"], offline_env, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert [shape for shape, _ in losses_by_octave(result.stdout)] == ["(78, 105)", "(110, 147)"]
    assert (tmp_path / "final_dream.png").exists() and (tmp_path / "dream_at_scale_(78, 105).png").exists()


def test_refusals_name_what_to_change(offline_env, tmp_path):
    offline = run(["--synthetic", "--iterations", "1"], offline_env, tmp_path)
    assert offline.returncode == 1 and "Traceback" not in offline.stderr
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in offline.stderr
    assert "--weights none" in offline.stderr
    small = run(["--synthetic", "--weights", "none", "--size", "100"], offline_env, tmp_path)
    assert small.returncode == 1 and "Traceback" not in small.stderr
    assert "(51, 51), is below InceptionV3's 75x75" in small.stderr and "--size" in small.stderr
    (tmp_path / "junk.h5").write_bytes(b"not hdf5")
    junk = run(["--synthetic", "--weights", "junk.h5"], offline_env, tmp_path)
    assert junk.returncode == 1 and "junk.h5" in junk.stderr and "not an HDF5 file" in junk.stderr
    missing = run(["--image", "nowhere.png", "--weights", "none"], offline_env, tmp_path)
    assert missing.returncode == 1 and "nowhere.png" in missing.stderr


def test_numpy_zoom_matches_scipy_ndimage_zoom():
    scipy_ndimage = pytest.importorskip("scipy.ndimage")
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location("_deepdream", EXAMPLES / SCRIPT)
        deepdream = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(deepdream)
    finally:
        sys.path.remove(str(EXAMPLES))
    rng = np.random.default_rng(0)
    for shape, size in [((1, 76, 76, 3), (107, 107)), ((1, 150, 120, 3), (76, 61)), ((1, 10, 7, 3), (14, 9))]:
        x = rng.random(shape).astype(np.float32)
        factors = (1, size[0] / shape[1], size[1] / shape[2], 1)
        np.testing.assert_allclose(deepdream.bilinear_zoom(x, factors), scipy_ndimage.zoom(x, factors, order=1),
                                   atol=1e-6)
