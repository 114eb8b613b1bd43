"""Chapter 8.5 (listings 8.29-8.32): a deep convolutional GAN generating CIFAR-10 frogs. The
discriminator is frozen inside the combined model (discriminator.trainable = False after its own
compile) and the two train in turn with train_on_batch; every --save-every steps the weights are
saved and a generated and a real frog are written as PNGs with array_to_img.

    python examples/ch8_5_gan.py [--data-dir DIR | --synthetic] [--iterations 10000 | --epochs N]
                                 [--save-every 100] [--batch-size 20] [--save-dir gan_images]
                                 [--threads N] [--seed S]

--data-dir is cifar-10-python.tar.gz (Keras's archive), the folder holding it, or the folder
cifar-10-batches-py unpacked from it; without it the archive is looked up and downloaded as
fastnn.datasets.cifar10.load_data does. --synthetic writes a small archive of the same format.
--epochs N runs N passes over the frog images instead of --iterations steps. Saving the images
needs Pillow (pip install "fastnn[image]"); without it they are skipped.
"""
import importlib.util
import os

import numpy as np

import fastnn
from fastnn import layers
from fastnn.datasets import cifar10
from fastnn.preprocessing import image

import _cli
import _synthetic


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=None, data_help="cifar-10-python.tar.gz or its folder", plot_help=None,
                              epochs_help="passes over the frog images (default: --iterations steps)")
    _cli.add_synthetic_flag(parser, "CIFAR-10 images (cifar-10-python.tar.gz)")
    parser.add_argument("--iterations", type=_cli.positive_int, default=10000)
    parser.add_argument("--save-every", type=_cli.positive_int, default=100)
    parser.add_argument("--batch-size", type=_cli.positive_int, default=20,
                        help="generated and real images per step, each (the book's 20)")
    parser.add_argument("--save-dir", default="gan_images", help="where images and gan weights go (the book's 'your_dir')")
    return parser.parse_args(argv)


def build_gan():
    latent_dim = 32
    height = 32
    width = 32
    channels = 3

    # Listing 8.29: GAN generator network
    generator_input = fastnn.Input(shape=(latent_dim,))
    x = layers.Dense(128 * 16 * 16)(generator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((16, 16, 128))(x)
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2DTranspose(256, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(channels, 7, activation="tanh", padding="same")(x)
    generator = fastnn.models.Model(generator_input, x)
    generator.summary()

    # Listing 8.30: the GAN discriminator network
    discriminator_input = layers.Input(shape=(height, width, channels))
    x = layers.Conv2D(128, 3)(discriminator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    x = layers.Dense(1, activation="sigmoid")(x)
    discriminator = fastnn.models.Model(discriminator_input, x)
    discriminator.summary()
    discriminator_optimizer = fastnn.optimizers.RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8)
    discriminator.compile(optimizer=discriminator_optimizer, loss="binary_crossentropy")

    # Listing 8.31: adversarial network
    discriminator.trainable = False
    gan_input = fastnn.Input(shape=(latent_dim,))
    gan_output = discriminator(generator(gan_input))
    gan = fastnn.models.Model(gan_input, gan_output)
    gan_optimizer = fastnn.optimizers.RMSprop(lr=0.0004, clipvalue=1.0, decay=1e-8)
    gan.compile(optimizer=gan_optimizer, loss="binary_crossentropy")
    return generator, discriminator, gan, latent_dim, (height, width, channels)


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    generator, discriminator, gan, latent_dim, (height, width, channels) = build_gan()

    # Listing 8.32: implementing GAN training
    with _cli.data_source(args, _synthetic.write_cifar10) as data_dir, _cli.exit_without_data("cifar-10-python.tar.gz"):
        (x_train, y_train), (_, _) = cifar10.load_data(data_dir)
    x_train = x_train[y_train.flatten() == 6]
    x_train = x_train.reshape((x_train.shape[0],) + (height, width, channels)).astype("float32") / 255.
    batch_size = args.batch_size
    if len(x_train) < batch_size:
        raise SystemExit(f"only {len(x_train)} frog images (class 6): the training loop takes batches of {batch_size}")
    iterations = args.iterations if args.epochs is None else args.epochs * (len(x_train) // batch_size)
    save_dir = args.save_dir
    os.makedirs(save_dir, exist_ok=True)
    can_save_images = importlib.util.find_spec("PIL") is not None
    if not can_save_images:
        print('Pillow is not installed (pip install "fastnn[image]"): not saving the frog images')
    weights_path = _cli.weights_file(save_dir, "gan")
    print(f"{len(x_train)} frog images, {iterations} steps")

    start = 0
    for step in range(iterations):
        random_latent_vectors = np.random.normal(size=(batch_size, latent_dim))
        generated_images = generator.predict(random_latent_vectors, verbose=0)
        stop = start + batch_size
        real_images = x_train[start: stop]
        combined_images = np.concatenate([generated_images, real_images])
        labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))])
        labels += 0.05 * np.random.random(labels.shape)
        d_loss = discriminator.train_on_batch(combined_images, labels)

        random_latent_vectors = np.random.normal(size=(batch_size, latent_dim))
        misleading_targets = np.zeros((batch_size, 1))
        a_loss = gan.train_on_batch(random_latent_vectors, misleading_targets)

        start += batch_size
        if start > len(x_train) - batch_size:
            start = 0
        if step % args.save_every == 0:
            gan.save_weights(weights_path)  # the book: gan.save_weights('gan.h5')
            print("discriminator loss:", d_loss)
            print("adversarial loss:", a_loss)
            if can_save_images:
                img = image.array_to_img(generated_images[0] * 255., scale=False)
                img.save(os.path.join(save_dir, "generated_frog" + str(step) + ".png"))
                img = image.array_to_img(real_images[0] * 255., scale=False)
                img.save(os.path.join(save_dir, "real_frog" + str(step) + ".png"))
    print(f"done: {iterations} steps; images and weights in {save_dir}")
    return d_loss, a_loss


if __name__ == "__main__":
    main()
