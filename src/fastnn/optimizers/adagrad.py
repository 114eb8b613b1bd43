"""Adagrad: per-parameter steps shrinking with the accumulated squared gradients."""
from .. import kernels
from .base import DefaultRate, Optimizer, check_number


class Adagrad(Optimizer):
    """accumulator += grad**2; param -= lr * grad / sqrt(accumulator + epsilon)."""

    def __init__(self, learning_rate=DefaultRate(0.001), initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adagrad", **kwargs):
        super().__init__(learning_rate, name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, **kwargs)
        self.initial_accumulator_value = check_number(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0)
        self.epsilon = check_number("Adagrad", "epsilon", epsilon, low=0.0)

    def build(self, params):
        super().build(params)
        self.add_slot(params, "accumulator", self.initial_accumulator_value)

    def update_step(self, grad, param, slots, learning_rate, **options):
        kernels.adagrad_step(param, grad, slots["accumulator"], learning_rate=learning_rate, epsilon=self.epsilon,
                             **options)

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
