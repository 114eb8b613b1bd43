"""Step plans: a step's kernel calls recorded once, checked once, then replayed in compiled code."""
from . import plan
from .function import function
from .plan import PlanCache, StepPlan


class EagerStepWarning(UserWarning):
    """A model's steps run eagerly because something in them cannot be replayed from a plan."""


__all__ = ["EagerStepWarning", "PlanCache", "StepPlan", "function"]
