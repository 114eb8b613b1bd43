"""RMSprop: scales each step by a running root mean square of the gradients."""
from .. import kernels
from .base import Optimizer, check_number


class RMSprop(Optimizer):
    """mean_square = rho * mean_square + (1 - rho) * grad**2
    param -= lr * grad / sqrt(mean_square + epsilon), through a momentum buffer if momentum > 0.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, name="rmsprop"):
        super().__init__(learning_rate, name)
        self.rho = check_number("RMSprop", "rho", rho, low=0.0, high=1.0, high_open=True)
        self.momentum = check_number("RMSprop", "momentum", momentum, low=0.0, high=1.0)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low=0.0)

    def build(self, params):
        super().build(params)
        self.add_slot(params, "velocity")
        if self.momentum:
            self.add_slot(params, "momentum")

    def update_step(self, grad, param, slots, learning_rate):
        kernels.rmsprop_step(param, grad, slots["velocity"], slots.get("momentum"), learning_rate=learning_rate,
                             rho=self.rho, momentum=self.momentum, epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}
