"""Chapter 5.4 (listings 5.25-5.44): visualizing what convnets learn, on the cats-vs-dogs convnet
of chapter 5.2: intermediate activations through Model(inputs=model.input, outputs=layer_outputs),
filter patterns by gradient ascent with K.gradients and K.function, and a Grad-CAM heatmap of
the class activation on a test picture.

    python examples/ch5_4_visualizing_convnets.py [--data-dir DIR | --synthetic]
           [--model cats_and_dogs_small_2.h5 | --weights FILE]
           [--epochs 1] [--steps-per-epoch 100] [--filters 64] [--ascent-steps 40]
           [--output-dir .] [--threads N] [--seed S]

--data-dir is the cats_and_dogs_small folder of listing 5.4 (train/, validation/, test/, each
with cats/ and dogs/ of JPEGs); --synthetic writes a small one. The book loads the model it
saved in 5.2 (cats_and_dogs_small_2.h5): --model loads it with load_model as printed (the file
examples/ch5_2_cats_and_dogs.py writes, or one Keras saved); --weights loads weights written by
save_weights into the same convnet; with neither, the convnet is first trained on train/ for
--epochs. The book
runs filter visualization and Grad-CAM on VGG16 with ImageNet weights; here they run on this
convnet (its four Conv2D layers, its single sigmoid output). Images go to --output-dir.
Needs Pillow (pip install "fastnn[image]").
"""
import os
import sys

import numpy as np

from fastnn import backend as K
from fastnn import layers, models, optimizers
from fastnn.preprocessing import image
from fastnn.preprocessing.image import ImageDataGenerator

import _cli
import _synthetic


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=1, data_help="the cats_and_dogs_small folder", plot_help=None,
                              epochs_help="epochs of training when no --weights are given")
    _cli.add_synthetic_flag(parser, "cat and dog pictures (cats_and_dogs_small/)")
    parser.add_argument("--model", default=None, help="chapter 5.2's saved model (cats_and_dogs_small_2.h5)")
    parser.add_argument("--weights", default=None, help="weights of chapter 5.2's convnet, from save_weights")
    parser.add_argument("--steps-per-epoch", type=_cli.positive_int, default=100)
    parser.add_argument("--filters", type=_cli.positive_int, default=64,
                        help="filter patterns drawn per layer (the book's 8x8 grid: 64)")
    parser.add_argument("--ascent-steps", type=_cli.positive_int, default=40, help="gradient-ascent steps per pattern")
    parser.add_argument("--output-dir", default=".", help="where the pictures are written")
    return parser.parse_args(argv)


def build_convnet():
    # Chapter 5.2's convnet with dropout (the model saved as cats_and_dogs_small_2.h5)
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation="relu", input_shape=(150, 150, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(lr=1e-4), metrics=["acc"])
    return model


def train(model, base_dir, args):
    train_datagen = ImageDataGenerator(rescale=1. / 255)
    train_generator = train_datagen.flow_from_directory(os.path.join(base_dir, "train"), target_size=(150, 150),
                                                        batch_size=20, class_mode="binary")
    steps = min(args.steps_per_epoch, len(train_generator))
    model.fit_generator(train_generator, steps_per_epoch=steps, epochs=args.epochs)


def save_picture(array, path):
    image.save_img(path, array, scale=False)
    print(f"saved {path}")


def intermediate_activations(model, img_tensor, out):
    # Listing 5.27: instantiating a model from an input tensor and a list of output tensors
    layer_outputs = [layer.output for layer in model.layers[:8]]
    activation_model = models.Model(inputs=model.input, outputs=layer_outputs)

    # Listing 5.28: running the model in predict mode
    activations = activation_model.predict(img_tensor)
    first_layer_activation = activations[0]
    print("first layer activation:", first_layer_activation.shape)

    # Listing 5.31: visualizing every channel in every intermediate activation (saved, not shown;
    # a channel that is zero everywhere has no spread and is drawn flat)
    layer_names = []
    for layer in model.layers[:8]:
        layer_names.append(layer.name)
    images_per_row = 16
    for layer_name, layer_activation in zip(layer_names, activations):
        n_features = layer_activation.shape[-1]
        size = layer_activation.shape[1]
        n_cols = n_features // images_per_row
        display_grid = np.zeros((size * n_cols, images_per_row * size))
        for col in range(n_cols):
            for row in range(images_per_row):
                channel_image = layer_activation[0, :, :, col * images_per_row + row]
                channel_image -= channel_image.mean()
                channel_image /= channel_image.std() or 1.0
                channel_image *= 64
                channel_image += 128
                channel_image = np.clip(channel_image, 0, 255).astype("uint8")
                display_grid[col * size: (col + 1) * size, row * size: (row + 1) * size] = channel_image
        save_picture(display_grid[:, :, None], os.path.join(out, f"activations_{layer_name}.png"))
    return activations


# Listing 5.37: utility function to convert a tensor into a valid image
def deprocess_image(x):
    x -= x.mean()
    x /= (x.std() + 1e-5)
    x *= 0.1
    x += 0.5
    x = np.clip(x, 0, 1)
    x *= 255
    x = np.clip(x, 0, 255).astype("uint8")
    return x


def filter_patterns(model, args):
    # Listing 5.38: function to generate filter visualizations
    def generate_pattern(layer_name, filter_index, size=150):
        layer_output = model.get_layer(layer_name).output
        loss = K.mean(layer_output[:, :, :, filter_index])
        grads = K.gradients(loss, model.input)[0]
        grads /= (K.sqrt(K.mean(K.square(grads))) + 1e-5)
        iterate = K.function([model.input], [loss, grads])
        input_img_data = np.random.random((1, size, size, 3)) * 20 + 128.
        step = 1.
        for i in range(args.ascent_steps):
            loss_value, grads_value = iterate([input_img_data])
            input_img_data += grads_value * step
        img = input_img_data[0]
        return deprocess_image(img), loss_value

    conv_names = [layer.name for layer in model.layers if isinstance(layer, layers.Conv2D)]
    # Listings 5.32-5.36, one by one: the loss, its gradient, the normalization, K.function, ascent
    pattern, loss_value = generate_pattern(conv_names[2], 0)
    print(f"pattern of filter 0 of {conv_names[2]}: {pattern.shape}, mean activation {float(loss_value):.4f}")

    # Listing 5.39: a grid of all filter response patterns in a layer (every convolution here; the
    # book's 64-pixel patterns need an input of any size, and this model takes 150x150)
    size = 150
    margin = 5
    per_row = min(8, args.filters)
    rows = -(-args.filters // per_row)
    grids = {}
    for layer_name in conv_names:
        results = np.zeros((rows * size + (rows - 1) * margin, per_row * size + (per_row - 1) * margin, 3))
        for index in range(args.filters):
            i, j = index % per_row, index // per_row
            filter_img, _ = generate_pattern(layer_name, index, size=size)
            horizontal_start = i * size + i * margin
            vertical_start = j * size + j * margin
            results[vertical_start: vertical_start + size, horizontal_start: horizontal_start + size, :] = filter_img
        grids[layer_name] = results
        save_picture(results, os.path.join(args.output_dir, f"filters_{layer_name}.png"))
    return grids


def jet(values):
    """A 0-255 heatmap as RGB in the jet colormap (what cv2.COLORMAP_JET gives the book)."""
    v = values / 255.0
    return 255 * np.clip(np.stack([1.5 - np.abs(4 * v - 3), 1.5 - np.abs(4 * v - 2), 1.5 - np.abs(4 * v - 1)],
                                  axis=-1), 0, 1)


def grad_cam(model, img_path, x, out):
    # Listing 5.40-5.42: the prediction and the Grad-CAM algorithm. The book takes VGG16's output
    # for 'African elephant' (index 386) and block5_conv3; here the one sigmoid output ("dog")
    # and this convnet's last convolution.
    preds = model.predict(x)
    print("Predicted probability of a dog:", float(preds[0, 0]))
    class_output = model.output[:, 0]
    last_conv_layer = [layer for layer in model.layers if isinstance(layer, layers.Conv2D)][-1]
    grads = K.gradients(class_output, last_conv_layer.output)[0]
    pooled_grads = K.mean(grads, axis=(0, 1, 2))
    iterate = K.function([model.input], [pooled_grads, last_conv_layer.output[0]])
    pooled_grads_value, conv_layer_output_value = iterate([x])
    for i in range(last_conv_layer.filters):
        conv_layer_output_value[:, :, i] *= pooled_grads_value[i]
    heatmap = np.mean(conv_layer_output_value, axis=-1)

    # Listing 5.43: heatmap post-processing (a heatmap that is zero everywhere stays zero)
    heatmap = np.maximum(heatmap, 0)
    heatmap /= np.max(heatmap) or 1.0
    print("Grad-CAM heatmap:", heatmap.shape)

    # Listing 5.44: superimposing the heatmap on the original picture (Pillow in place of cv2)
    img = image.img_to_array(image.load_img(img_path))
    resized = image.array_to_img(np.uint8(255 * heatmap)[:, :, None], scale=False).resize(
        (img.shape[1], img.shape[0]), resample=2)
    heatmap = jet(np.asarray(resized, dtype="float64"))
    superimposed_img = np.clip(heatmap * 0.4 + img, 0, 255)
    save_picture(superimposed_img, os.path.join(out, "cat_cam.jpg"))
    return heatmap


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    os.makedirs(args.output_dir, exist_ok=True)
    if args.model and args.weights:
        sys.exit("--model and --weights both give the convnet: pass one of them")
    model = models.load_model(args.model) if args.model else build_convnet()
    model.summary()
    with _cli.data_source(args, _synthetic.write_cats_and_dogs) as base_dir:
        if base_dir is None or not os.path.isdir(os.path.join(base_dir, "test", "cats")):
            sys.exit(f"no cats_and_dogs_small folder at {base_dir!r}: pass --data-dir DIR (holding train/, "
                     "validation/ and test/, each with cats/ and dogs/), or --synthetic")
        if args.weights:
            model.load_weights(args.weights)
        elif not args.model:
            train(model, base_dir, args)

        # Listing 5.25: preprocessing a single image (the book's test/cats/cat.1700.jpg: the first here)
        cats = os.path.join(base_dir, "test", "cats")
        img_path = os.path.join(cats, sorted(os.listdir(cats))[0])
        img = image.load_img(img_path, target_size=(150, 150))
        img_tensor = image.img_to_array(img)
        img_tensor = np.expand_dims(img_tensor, axis=0)
        img_tensor /= 255.
        print("image tensor:", img_tensor.shape)

        intermediate_activations(model, img_tensor, args.output_dir)
        filter_patterns(model, args)
        grad_cam(model, img_path, img_tensor, args.output_dir)


if __name__ == "__main__":
    main()
