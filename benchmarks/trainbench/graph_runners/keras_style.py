"""What the fastnn and Keras trainers share: both compile and fit the same way through the same API,
with that framework's optimizers module and its ops (fastnn.backend, keras.ops) for the VAE's loss."""
from .. import graphnets
from . import optimizer


class KerasStyleTrainer:
    """Subclasses set self.model (built by graphnets.build_keras_style) and call compile()."""

    def compile(self, job, nodes, optimizers, ops):
        name, config = optimizer(job)
        chosen = {"adam": optimizers.Adam, "rmsprop": optimizers.RMSprop}[name](**config)
        if graphnets.is_autoencoder(nodes):
            def vae_loss(y_true, y_pred):
                pixels, eps = y_true.shape[-1], graphnets.EPSILON
                recon, mean, log_var = y_pred[:, :pixels], y_pred[:, pixels:pixels + graphnets.LATENT], \
                    y_pred[:, pixels + graphnets.LATENT:]
                xent = -ops.sum(y_true * ops.log(recon + eps) + (1 - y_true) * ops.log(1 - recon + eps), axis=-1)
                return xent - 0.5 * ops.sum(1 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
            self.model.compile(optimizer=chosen, loss=vae_loss)
        else:
            self.model.compile(optimizer=chosen, loss="categorical_crossentropy", metrics=["accuracy"])
        self.batch_size = job["batch_size"]

    def train_epoch(self, x, y):
        history = self.model.fit(x, y, epochs=1, batch_size=self.batch_size, shuffle=True, verbose=0)
        return float(history.history["loss"][-1])

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def extra(self):
        return {}
