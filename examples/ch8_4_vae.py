"""Chapter 8.4 (listings 8.23-8.28): a variational autoencoder on MNIST. A Lambda layer samples
the latent point, a custom layer adds the VAE loss with add_loss, the model compiles with
loss=None and trains with fit(x=x_train, y=None); then a grid of digits decoded from the latent
plane.

    python examples/ch8_4_vae.py [--data-dir DIR | --synthetic] [--epochs 10] [--grid 15]
                                 [--threads N] [--seed S] [--plot grid.png]

--data-dir is the folder holding the four MNIST IDX files (e.g. ~/.fastnn/datasets/mnist);
without it they are looked up and downloaded as fastnn.datasets.mnist.load_data does.
--synthetic writes small IDX files. --plot saves the decoded grid as an image (with matplotlib
as the book shows it, else through Pillow's fastnn.preprocessing.image.save_img).
"""
import sys

import numpy as np

import fastnn
from fastnn import backend as K
from fastnn import layers
from fastnn.datasets import mnist
from fastnn.models import Model

import _cli
import _synthetic


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=10, data_help="folder holding the four MNIST IDX files",
                              plot_help="save the grid of decoded digits to this PNG")
    _cli.add_synthetic_flag(parser, "MNIST digits (the four IDX files)")
    parser.add_argument("--grid", type=_cli.positive_int, default=15, help="digits per side of the grid (the book's 15)")
    return parser.parse_args(argv)


def normal_quantiles(probabilities):
    """scipy.stats.norm.ppf, as the book uses, or the standard library's when SciPy is absent."""
    try:
        from scipy.stats import norm

        return norm.ppf(probabilities)
    except ImportError:
        from statistics import NormalDist

        return np.array([NormalDist().inv_cdf(p) for p in probabilities])


def build_vae():
    # Listing 8.23: VAE encoder network
    img_shape = (28, 28, 1)
    latent_dim = 2
    input_img = fastnn.Input(shape=img_shape)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(input_img)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", strides=(2, 2))(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    shape_before_flattening = K.int_shape(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    z_mean = layers.Dense(latent_dim)(x)
    z_log_var = layers.Dense(latent_dim)(x)

    # Listing 8.24: latent-space-sampling function
    def sampling(args):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0., stddev=1.)
        return z_mean + K.exp(z_log_var) * epsilon

    z = layers.Lambda(sampling)([z_mean, z_log_var])

    # Listing 8.25: VAE decoder network, mapping latent space points to images
    decoder_input = layers.Input(K.int_shape(z)[1:])
    x = layers.Dense(np.prod(shape_before_flattening[1:]), activation="relu")(decoder_input)
    x = layers.Reshape(shape_before_flattening[1:])(x)
    x = layers.Conv2DTranspose(32, 3, padding="same", activation="relu", strides=(2, 2))(x)
    x = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    decoder = Model(decoder_input, x)
    z_decoded = decoder(z)

    # Listing 8.26: custom layer used to compute the VAE loss
    class CustomVariationalLayer(fastnn.layers.Layer):

        def vae_loss(self, x, z_decoded):
            x = K.flatten(x)
            z_decoded = K.flatten(z_decoded)
            xent_loss = fastnn.metrics.binary_crossentropy(x, z_decoded)
            kl_loss = -5e-4 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            return K.mean(xent_loss + kl_loss)

        def call(self, inputs):
            x = inputs[0]
            z_decoded = inputs[1]
            loss = self.vae_loss(x, z_decoded)
            self.add_loss(loss, inputs=inputs)
            return x

    y = CustomVariationalLayer()([input_img, z_decoded])
    return input_img, y, decoder


def save_grid(figure, path):
    plt = _cli.load_pyplot()
    if plt is not None:
        plt.figure(figsize=(10, 10))
        plt.imshow(figure, cmap="Greys_r")
        plt.savefig(path)
        plt.close()
    else:
        from fastnn.preprocessing.image import save_img

        save_img(path, figure[:, :, None], scale=False)
    print(f"decoded grid saved to {path}")


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    batch_size = 16
    input_img, y, decoder = build_vae()

    # Listing 8.27: training the VAE
    vae = Model(input_img, y)
    vae.compile(optimizer="rmsprop", loss=None)
    vae.summary()
    with _cli.data_source(args, _synthetic.write_mnist) as data_dir, _cli.exit_without_data():
        (x_train, _), (x_test, y_test) = mnist.load_data(data_dir)
    x_train = x_train.astype("float32") / 255.
    x_train = x_train.reshape(x_train.shape + (1,))
    x_test = x_test.astype("float32") / 255.
    x_test = x_test.reshape(x_test.shape + (1,))
    history = vae.fit(x=x_train, y=None, shuffle=True, epochs=args.epochs, batch_size=batch_size,
                      validation_data=(x_test, None))
    print("VAE loss: %.4f, validation loss: %.4f" % (history.history["loss"][-1], history.history["val_loss"][-1]))

    # Listing 8.28: sampling a grid of points from the 2D latent space and decoding them to images
    n = args.grid
    digit_size = 28
    figure = np.zeros((digit_size * n, digit_size * n))
    grid_x = normal_quantiles(np.linspace(0.05, 0.95, n))
    grid_y = normal_quantiles(np.linspace(0.05, 0.95, n))
    for i, yi in enumerate(grid_x):
        for j, xi in enumerate(grid_y):
            z_sample = np.array([[xi, yi]])
            z_sample = np.tile(z_sample, batch_size).reshape(batch_size, 2)
            x_decoded = decoder.predict(z_sample, batch_size=batch_size, verbose=0)
            digit = x_decoded[0].reshape(digit_size, digit_size)
            figure[i * digit_size: (i + 1) * digit_size, j * digit_size: (j + 1) * digit_size] = digit
    print(f"decoded a {n}x{n} grid of digits, pixel range {figure.min():.3f}-{figure.max():.3f}")
    if args.plot:
        try:
            save_grid(figure, args.plot)
        except ImportError as error:
            print(f"not saving the grid: {error}", file=sys.stderr)
    return history


if __name__ == "__main__":
    main()
