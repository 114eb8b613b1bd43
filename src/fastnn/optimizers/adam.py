"""Adam, and AdamW (Adam with decoupled weight decay on by default)."""
from .. import kernels
from .base import DefaultRate, Optimizer, check_flag, check_number


class Adam(Optimizer):
    """m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    param -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon), t = iterations + 1.
    amsgrad: the running maximum of v in place of v.
    """

    def __init__(self, learning_rate=DefaultRate(0.001), beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adam", **kwargs):
        super().__init__(learning_rate, name, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_number(owner, "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_number(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_number(owner, "epsilon", epsilon, low=0.0)
        self.amsgrad = check_flag(owner, "amsgrad", amsgrad)

    def build(self, params):
        super().build(params)
        self.add_slot(params, "momentum")
        self.add_slot(params, "velocity")
        if self.amsgrad:
            self.add_slot(params, "velocity_hat")

    def update_step(self, grad, param, slots, learning_rate, **options):
        kernels.adam_step(param, grad, slots["momentum"], slots["velocity"], slots.get("velocity_hat"),
                          learning_rate=learning_rate, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                          step=self.iterations + 1, amsgrad=self.amsgrad, **options)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay: param -= lr * weight_decay * param before each Adam step."""

    def __init__(self, learning_rate=DefaultRate(0.001), weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamw",
                 **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number >= 0. Received: weight_decay=None")
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
