"""Stochastic gradient descent with optional (Nesterov) momentum."""
from .. import kernels
from .base import DefaultRate, Optimizer, check_flag, check_number


class SGD(Optimizer):
    """velocity = momentum * velocity - lr * grad; param += velocity
    (Nesterov: param += momentum * velocity - lr * grad). momentum=0: param -= lr * grad.
    """

    def __init__(self, learning_rate=DefaultRate(0.01), momentum=0.0, nesterov=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="SGD", **kwargs):
        super().__init__(learning_rate, name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, **kwargs)
        self.momentum = check_number("SGD", "momentum", momentum, low=0.0, high=1.0)
        self.nesterov = check_flag("SGD", "nesterov", nesterov)

    def build(self, params):
        super().build(params)
        if self.momentum:
            self.add_slot(params, "momentum")

    def update_step(self, grad, param, slots, learning_rate, **options):
        kernels.sgd_step(param, grad, slots.get("momentum"), learning_rate=learning_rate,
                         momentum=self.momentum, nesterov=self.nesterov, **options)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
