"""Chapter 8.3 (listings 8.14-8.22): neural style transfer. VGG19 run on the target picture, the
style reference and the combination image at once; the content loss, the style loss on Gram
matrices and the total variation loss written with the backend (K.permute_dimensions,
K.batch_flatten, K.dot, ...); K.gradients and K.function for the loss and its gradient; the
Evaluator class feeding SciPy's fmin_l_bfgs_b; deprocess_image and save_img of each iteration.

    python examples/ch8_3_style_transfer.py (--target PICTURE --style PICTURE | --synthetic)
           [--weights imagenet|none|FILE] [--height 400] [--iterations 20] [--maxfun 20]
           [--result-prefix my_result] [--threads N] [--seed S]

--weights is VGG19's: 'imagenet' (the book's: the published notop file, from ~/.fastnn/models or
downloaded), 'none' (random weights: the losses and the optimization run, the pictures mean
nothing) or the path of a weight file. --height is the book's img_height (400; the width keeps
the target's proportions). --synthetic draws a target and a style picture in a temporary folder.
Each iteration's picture is saved as <result-prefix>_at_iteration_<i>.png. Needs Pillow
(pip install "fastnn[image]") and SciPy.
"""
import argparse
import os
import sys
import time

import numpy as np

from fastnn.datasets import DownloadError
from fastnn.preprocessing.image import load_img, img_to_array, save_img

import _cli
import _synthetic


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=None, help="the picture to restyle (the book's portrait.jpg)")
    parser.add_argument("--style", default=None, help="the style reference picture")
    _cli.add_synthetic_flag(parser, "target and style pictures")
    parser.add_argument("--weights", default="imagenet", help="VGG19's weights: imagenet, none or a file")
    parser.add_argument("--height", type=_cli.positive_int, default=400,
                        help="height of the generated picture (VGG19 takes 32 and up)")
    parser.add_argument("--iterations", type=_cli.positive_int, default=20, help="rounds of L-BFGS")
    parser.add_argument("--maxfun", type=_cli.positive_int, default=20, help="loss evaluations per round")
    parser.add_argument("--result-prefix", default="my_result", help="path prefix of the saved pictures")
    parser.add_argument("--threads", type=_cli.positive_int, default=None, help="kernel threads (default: all CPUs)")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    return parser.parse_args(argv)


def synthetic_pictures(folder, rng, side=64):
    """A target and a style picture: a cat and a dog as _synthetic draws them."""
    root = _synthetic.write_cats_and_dogs(folder, rng, per_class=1, side=side)
    return os.path.join(root, "train", "cats", "cat.0.jpg"), os.path.join(root, "train", "dogs", "dog.1.jpg")


def transfer(args, target_image_path, style_reference_image_path):
    try:
        from scipy.optimize import fmin_l_bfgs_b
    except ImportError:
        sys.exit("chapter 8.3 minimizes the loss with SciPy's fmin_l_bfgs_b: pip install scipy")

    from fastnn import backend as K
    from fastnn.applications import vgg19

    # Listing 8.14: defining initial variables
    width, height = load_img(target_image_path).size
    img_height = args.height
    img_width = int(width * img_height / height)

    # Listing 8.15: auxiliary functions
    def preprocess_image(image_path):
        img = load_img(image_path, target_size=(img_height, img_width))
        img = img_to_array(img)
        img = np.expand_dims(img, axis=0)
        img = vgg19.preprocess_input(img)
        return img

    def deprocess_image(x):
        x[:, :, 0] += 103.939
        x[:, :, 1] += 116.779
        x[:, :, 2] += 123.68
        x = x[:, :, ::-1]
        x = np.clip(x, 0, 255).astype('uint8')
        return x

    # Listing 8.16: loading the pretrained VGG19 network and applying it to the three images
    target_image = K.constant(preprocess_image(target_image_path))
    style_reference_image = K.constant(preprocess_image(style_reference_image_path))
    combination_image = K.placeholder((1, img_height, img_width, 3))

    input_tensor = K.concatenate([target_image,
                                  style_reference_image,
                                  combination_image], axis=0)
    weights = None if args.weights.lower() == "none" else args.weights
    try:
        model = vgg19.VGG19(input_tensor=input_tensor,
                            weights=weights,
                            include_top=False)
    except (DownloadError, OSError, ValueError) as error:
        sys.exit(f"{error}\nWith this script: --weights none (random weights) or --weights FILE "
                 "(vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5)")
    print('Model loaded.')

    # Listing 8.17: content loss
    def content_loss(base, combination):
        return K.sum(K.square(combination - base))

    # Listing 8.18: style loss
    def gram_matrix(x):
        features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
        gram = K.dot(features, K.transpose(features))
        return gram

    def style_loss(style, combination):
        S = gram_matrix(style)
        C = gram_matrix(combination)
        channels = 3
        size = img_height * img_width
        return K.sum(K.square(S - C)) / (4. * (channels ** 2) * (size ** 2))

    # Listing 8.19: total variation loss
    def total_variation_loss(x):
        a = K.square(
            x[:, :img_height - 1, :img_width - 1, :] -
            x[:, 1:, :img_width - 1, :])
        b = K.square(
            x[:, :img_height - 1, :img_width - 1, :] -
            x[:, :img_height - 1, 1:, :])
        return K.sum(K.pow(a + b, 1.25))

    # Listing 8.20: defining the final loss that you'll minimize
    outputs_dict = dict([(layer.name, layer.output) for layer in model.layers])
    content_layer = 'block5_conv2'
    style_layers = ['block1_conv1',
                    'block2_conv1',
                    'block3_conv1',
                    'block4_conv1',
                    'block5_conv1']
    total_variation_weight = 1e-4
    style_weight = 1.
    content_weight = 0.025

    loss = K.variable(0.)
    layer_features = outputs_dict[content_layer]
    target_image_features = layer_features[0, :, :, :]
    combination_features = layer_features[2, :, :, :]
    loss += content_weight * content_loss(target_image_features,
                                          combination_features)
    for layer_name in style_layers:
        layer_features = outputs_dict[layer_name]
        style_reference_features = layer_features[1, :, :, :]
        combination_features = layer_features[2, :, :, :]
        sl = style_loss(style_reference_features, combination_features)
        loss += (style_weight / len(style_layers)) * sl
    loss += total_variation_weight * total_variation_loss(combination_image)

    # Listing 8.21: setting up the gradient-descent process
    grads = K.gradients(loss, combination_image)[0]

    fetch_loss_and_grads = K.function([combination_image], [loss, grads])

    class Evaluator(object):

        def __init__(self):
            self.loss_value = None
            self.grads_values = None

        def loss(self, x):
            assert self.loss_value is None
            x = x.reshape((1, img_height, img_width, 3))
            outs = fetch_loss_and_grads([x])
            loss_value = outs[0]
            grad_values = outs[1].flatten().astype('float64')
            self.loss_value = loss_value
            self.grad_values = grad_values
            return self.loss_value

        def grads(self, x):
            assert self.loss_value is not None
            grad_values = np.copy(self.grad_values)
            self.loss_value = None
            self.grad_values = None
            return grad_values

    evaluator = Evaluator()

    # Listing 8.22: style-transfer loop
    result_prefix = args.result_prefix
    iterations = args.iterations

    x = preprocess_image(target_image_path)
    x = x.flatten()
    losses = []
    for i in range(iterations):
        print('Start of iteration', i)
        start_time = time.time()
        x, min_val, info = fmin_l_bfgs_b(evaluator.loss, x,
                                         fprime=evaluator.grads, maxfun=args.maxfun)
        print('Current loss value:', min_val)
        losses.append(float(min_val))
        img = x.copy().reshape((img_height, img_width, 3))
        img = deprocess_image(img)
        fname = result_prefix + '_at_iteration_%d.png' % i
        save_img(fname, img)
        print('Image saved as', fname)
        end_time = time.time()
        print('Iteration %d completed in %ds' % (i, end_time - start_time))
    return losses


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    if args.synthetic:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="fastnn-synthetic-") as folder:
            return transfer(args, *synthetic_pictures(folder, np.random.default_rng(args.seed)))
    for flag, path in (("--target", args.target), ("--style", args.style)):
        if path is None or not os.path.isfile(path):
            sys.exit(f"{flag} {path}: no such picture. Pass --target PICTURE --style PICTURE, or --synthetic")
    return transfer(args, args.target, args.style)


if __name__ == "__main__":
    main()
