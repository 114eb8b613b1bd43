"""Step plans: a step's kernel calls recorded once, checked once, then replayed in compiled code."""
from .function import function
from .plan import PlanCache, StepPlan

__all__ = ["PlanCache", "StepPlan", "function"]
