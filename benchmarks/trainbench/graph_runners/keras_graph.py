"""Keras 3 on the JAX backend: the network through the functional API, fit and predict."""
from .. import graphnets
from .keras_style import KerasStyleTrainer


def version():
    import jax
    import keras
    return f"keras {keras.__version__}, jax {jax.__version__}"


class Trainer(KerasStyleTrainer):
    def __init__(self, job, nodes, weights):
        import keras
        from keras import layers, ops

        if keras.backend.backend() != "jax":
            raise ImportError(f"Keras uses the {keras.backend.backend()!r} backend, not 'jax'")
        keras.utils.set_random_seed(job["seed"])

        class Sampling(layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.seeds = keras.random.SeedGenerator(job["seed"])

            def call(self, inputs):
                mean, log_var = inputs
                return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.seeds)

        self.model = graphnets.build_keras_style(nodes, weights, layers, keras.Input, keras.Model,
                                                 lambda name: Sampling(name=name))
        self.compile(job, nodes, keras.optimizers, ops)
