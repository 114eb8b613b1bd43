"""Nadam: Adam with Nesterov momentum (Keras's momentum schedule u_t = beta_1 * (1 - 0.5 * 0.96**t))."""
import numpy as np

from .. import kernels
from .._step_checks import nadam_momentum_cache
from .base import DefaultRate, Optimizer, check_number


class Nadam(Optimizer):
    """m, v as in Adam; param -= lr * m_hat / (sqrt(v / (1 - beta_2**t)) + epsilon) with
    m_hat = u_(t+1) * m / (1 - prod u_1..u_(t+1)) + (1 - u_t) * grad / (1 - prod u_1..u_t).
    """

    def __init__(self, learning_rate=DefaultRate(0.001), beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="nadam", **kwargs):
        super().__init__(learning_rate, name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, **kwargs)
        self.beta_1 = check_number("Nadam", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_number("Nadam", "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number("Nadam", "epsilon", epsilon, low=0.0)
        self.u_product = 1.0  # prod of u_1 .. u_iterations

    def build(self, params):
        super().build(params)
        self.add_slot(params, "momentum")
        self.add_slot(params, "velocity")

    def update_step(self, grad, param, slots, learning_rate, **options):
        kernels.nadam_step(param, grad, slots["momentum"], slots["velocity"], learning_rate=learning_rate,
                           beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, step=self.iterations + 1,
                           u_product=self.u_product, **options)

    def finish_step(self):
        self.u_product *= nadam_momentum_cache(self.beta_1, self.iterations + 1)

    def variables(self):
        """Optimizer.variables() and the momentum-schedule product last."""
        return super().variables() + [np.array(self.u_product, dtype=np.float64)]

    def set_variables(self, values):
        values = list(values)
        super().set_variables(values)
        self.u_product = float(values[-1])

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
