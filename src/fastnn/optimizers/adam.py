"""Adam: bias-corrected running averages of the gradient and its square."""
from .. import kernels
from .base import Optimizer, check_number


class Adam(Optimizer):
    """m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    param -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon), t = iterations + 1.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, name="adam"):
        super().__init__(learning_rate, name)
        self.beta_1 = check_number("Adam", "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_number("Adam", "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number("Adam", "epsilon", epsilon, low=0.0)

    def build(self, params):
        super().build(params)
        self.add_slot(params, "momentum")
        self.add_slot(params, "velocity")

    def update_step(self, grad, param, slots, learning_rate):
        kernels.adam_step(param, grad, slots["momentum"], slots["velocity"], learning_rate=learning_rate,
                          beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, step=self.iterations + 1)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
