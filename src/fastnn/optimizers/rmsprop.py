"""RMSprop: scales each step by a running root mean square of the gradients."""
from .. import kernels
from .base import DefaultRate, Optimizer, check_flag, check_number


class RMSprop(Optimizer):
    """mean_square = rho * mean_square + (1 - rho) * grad**2
    param -= lr * grad / sqrt(mean_square + epsilon), through a momentum buffer if momentum > 0.
    centered: mean_square - average_grad**2 in place of mean_square, average_grad the running mean gradient.
    """

    def __init__(self, learning_rate=DefaultRate(0.001), rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate, name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, **kwargs)
        self.rho = check_number("RMSprop", "rho", rho, low=0.0, high=1.0, high_open=True)
        self.momentum = check_number("RMSprop", "momentum", momentum, low=0.0, high=1.0)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low=0.0)
        self.centered = check_flag("RMSprop", "centered", centered)

    def build(self, params):
        super().build(params)
        self.add_slot(params, "velocity")
        if self.momentum:
            self.add_slot(params, "momentum")
        if self.centered:
            self.add_slot(params, "average_gradient")

    def update_step(self, grad, param, slots, learning_rate, **options):
        kernels.rmsprop_step(param, grad, slots["velocity"], slots.get("momentum"), slots.get("average_gradient"),
                             learning_rate=learning_rate, rho=self.rho, momentum=self.momentum,
                             epsilon=self.epsilon, centered=self.centered, **options)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
