"""Chapter 8.2 (listings 8.8-8.13): DeepDream with InceptionV3. The loss is a weighted sum of the
mean squared activations of mixed2..mixed5; its gradient with respect to the input image
(K.gradients of model.input, through K.function) drives gradient ascent, octave after octave
from a small version of the picture up to its full size, re-injecting the detail lost by
shrinking; each octave's dream and the final one are saved as PNGs.

    python examples/ch8_2_deepdream.py (--image PATH | --synthetic) [--weights imagenet|none|PATH]
           [--size N] [--iterations 20] [--octaves 3] [--step 0.01] [--max-loss 10]
           [--output-dir .] [--threads N] [--seed S]

The book loads InceptionV3 with ImageNet weights; --weights imagenet (the default) downloads them
once into ~/.fastnn/models (offline, the message says which file to put there), PATH loads a
local copy of inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5, and none dreams with
random weights (the mechanics are the same; the dreams are noise). --synthetic writes a
generated picture of --size pixels square (default 150) instead of --image; with --image,
--size scales the picture so that its shorter side has N pixels. The smallest octave must be
at least InceptionV3's 75x75. Resizing uses scipy.ndimage.zoom as the book does, or the same
bilinear interpolation in NumPy without SciPy. Needs Pillow (pip install "fastnn[image]").
"""
import argparse
import contextlib
import os
import sys
import tempfile

import numpy as np

from fastnn.applications import inception_v3
from fastnn import backend as K
from fastnn.datasets import DownloadError
from fastnn.preprocessing import image

import _cli

MIN_SIDE = 75  # InceptionV3's smallest input


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", help="the picture to dream on (the book's base_image_path)")
    source.add_argument("--synthetic", action="store_true",
                        help="write a generated picture to a temporary folder and dream on it")
    parser.add_argument("--weights", default="imagenet",
                        help="imagenet (downloaded), none (random), or the path of InceptionV3's notop weight file")
    parser.add_argument("--size", type=_cli.positive_int, default=None,
                        help="the shorter side in pixels (the generated picture's side; default 150)")
    parser.add_argument("--iterations", type=_cli.positive_int, default=20, help="ascent steps per octave")
    parser.add_argument("--octaves", type=_cli.positive_int, default=3, help="scales processed (num_octave)")
    parser.add_argument("--step", type=float, default=0.01, help="gradient ascent step size")
    parser.add_argument("--max-loss", type=float, default=10.0, help="stop an octave's ascent above this loss")
    parser.add_argument("--output-dir", default=".", help="where the dreams are written")
    parser.add_argument("--threads", type=_cli.positive_int, default=None, help="kernel threads (default: all CPUs)")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    return parser.parse_args(argv)


def write_synthetic_picture(folder, rng, side):
    """A smooth colourful picture (waves and blobs) as a PNG."""
    rows, cols = np.mgrid[0:side, 0:side] / side
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(1, 6, 2).tolist() + [rng.uniform(0, 2 * np.pi)]
        wave = np.sin(2 * np.pi * (fx * rows + fy * cols) + phase)
        cy, cx = rng.uniform(0.2, 0.8, 2)
        blob = np.exp(-((rows - cy) ** 2 + (cols - cx) ** 2) / 0.05)
        channels.append(127.5 + 80 * wave * (1 - blob) + 40 * blob)
    picture = np.clip(np.stack(channels, axis=-1) + rng.normal(0, 6, (side, side, 3)), 0, 255)
    path = os.path.join(folder, "synthetic_picture.png")
    image.save_img(path, picture.astype("uint8"), scale=False)
    return path


def bilinear_zoom(img, factors):
    """scipy.ndimage.zoom(img, factors, order=1) for a (1, rows, cols, channels) batch: each output
    pixel interpolated between the input's, the corners aligned."""
    out = img
    for axis in (1, 2):
        size = img.shape[axis]
        new_size = int(round(size * factors[axis]))
        positions = np.linspace(0, size - 1, new_size) if new_size > 1 else np.zeros(new_size)
        low = np.floor(positions).astype(int)
        high = np.minimum(low + 1, size - 1)
        shape = [1, 1, 1, 1]
        shape[axis] = new_size
        weight = (positions - low).reshape(shape).astype(img.dtype)
        out = np.take(out, low, axis=axis) * (1 - weight) + np.take(out, high, axis=axis) * weight
    return out


def load_model(weights):
    # Listing 8.8: loading the pretrained InceptionV3 model
    K.set_learning_phase(0)  # the model is not trained: layers run in inference mode
    try:
        return inception_v3.InceptionV3(weights=None if weights == "none" else weights, include_top=False)
    except DownloadError as error:
        sys.exit(f"{error}\nOr run this script with --weights PATH (a local copy of the file) or --weights none "
                 "(random weights).")
    except (OSError, ValueError) as error:
        sys.exit(f"--weights {weights}: {error}")


def dream(model, base_image_path, args):
    # Listing 8.9: setting up the DeepDream configuration
    layer_contributions = {
        'mixed2': 0.2,
        'mixed3': 3.,
        'mixed4': 2.,
        'mixed5': 1.5,
    }

    # Listing 8.10: defining the loss to be maximized
    layer_dict = dict([(layer.name, layer) for layer in model.layers])

    loss = K.variable(0.)
    for layer_name in layer_contributions:
        coeff = layer_contributions[layer_name]
        activation = layer_dict[layer_name].output

        scaling = K.prod(K.cast(K.shape(activation), 'float32'))
        loss += coeff * K.sum(K.square(activation[:, 2: -2, 2: -2, :])) / scaling

    # Listing 8.11: gradient-ascent process
    dream = model.input

    grads = K.gradients(loss, dream)[0]

    grads /= K.maximum(K.mean(K.abs(grads)), 1e-7)

    outputs = [loss, grads]
    fetch_loss_and_grads = K.function([dream], outputs)

    def eval_loss_and_grads(x):
        outs = fetch_loss_and_grads([x])
        loss_value = outs[0]
        grad_values = outs[1]
        return loss_value, grad_values

    def gradient_ascent(x, iterations, step, max_loss=None):
        for i in range(iterations):
            loss_value, grad_values = eval_loss_and_grads(x)
            if max_loss is not None and loss_value > max_loss:
                break
            print('...Loss value at', i, ':', loss_value)
            x += step * grad_values
        return x

    # Listing 8.12: running gradient ascent over different successive scales
    step = args.step
    num_octave = args.octaves
    octave_scale = 1.4
    iterations = args.iterations

    max_loss = args.max_loss

    img = preprocess_image(base_image_path, args.size)

    original_shape = img.shape[1:3]
    successive_shapes = [original_shape]
    for i in range(1, num_octave):
        shape = tuple([int(dim / (octave_scale ** i))
                       for dim in original_shape])
        successive_shapes.append(shape)

    successive_shapes = successive_shapes[::-1]
    if min(successive_shapes[0]) < MIN_SIDE:
        sys.exit(f"The smallest octave, {successive_shapes[0]}, is below InceptionV3's {MIN_SIDE}x{MIN_SIDE} "
                 f"minimum (the picture is {original_shape}): use a larger --size or fewer --octaves.")

    original_img = np.copy(img)
    shrunk_original_img = resize_img(img, successive_shapes[0])

    for shape in successive_shapes:
        print('Processing image shape', shape)
        img = resize_img(img, shape)
        img = gradient_ascent(img,
                              iterations=iterations,
                              step=step,
                              max_loss=max_loss)
        upscaled_shrunk_original_img = resize_img(shrunk_original_img, shape)
        same_size_original = resize_img(original_img, shape)
        lost_detail = same_size_original - upscaled_shrunk_original_img

        img += lost_detail
        shrunk_original_img = resize_img(original_img, shape)
        save_img(img, fname=os.path.join(args.output_dir, 'dream_at_scale_' + str(shape) + '.png'))

    save_img(img, fname=os.path.join(args.output_dir, 'final_dream.png'))
    return img


# Listing 8.13: auxiliary functions (Pillow through fastnn's save_img in place of scipy.misc.imsave,
# which SciPy no longer has)
def resize_img(img, size):
    img = np.copy(img)
    factors = (1,
               float(size[0]) / img.shape[1],
               float(size[1]) / img.shape[2],
               1)
    try:
        import scipy.ndimage
    except ImportError:
        return bilinear_zoom(img, factors)
    return scipy.ndimage.zoom(img, factors, order=1)


def save_img(img, fname):
    pil_img = deprocess_image(np.copy(img))
    image.save_img(fname, pil_img, scale=False)
    print(f"saved {fname}")


def preprocess_image(image_path, shorter_side=None):
    img = image.load_img(image_path)
    if shorter_side is not None:  # --size: scaled so that the shorter side has that many pixels
        scale = shorter_side / min(img.size)
        img = image.load_img(image_path, target_size=(round(img.size[1] * scale), round(img.size[0] * scale)),
                             interpolation="bilinear")
    img = image.img_to_array(img)
    img = np.expand_dims(img, axis=0)
    img = inception_v3.preprocess_input(img)
    return img


def deprocess_image(x):
    if K.image_data_format() == 'channels_first':
        x = x.reshape((3, x.shape[2], x.shape[3]))
        x = x.transpose((1, 2, 0))
    else:
        x = x.reshape((x.shape[1], x.shape[2], 3))
    x /= 2.
    x += 0.5
    x *= 255.
    x = np.clip(x, 0, 255).astype('uint8')
    return x


@contextlib.contextmanager
def picture_source(args):
    """The picture to dream on: --image, or a generated one in a temporary folder."""
    if not args.synthetic:
        if not os.path.isfile(args.image):
            sys.exit(f"--image {args.image}: no such file")
        yield args.image
        return
    with tempfile.TemporaryDirectory(prefix="fastnn-synthetic-") as folder:
        yield write_synthetic_picture(folder, np.random.default_rng(args.seed), args.size or 150)


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    os.makedirs(args.output_dir, exist_ok=True)
    model = load_model(args.weights)
    with picture_source(args) as path:
        img = dream(model, path, args)
    print("final dream:", img.shape[1:3])


if __name__ == "__main__":
    main()
