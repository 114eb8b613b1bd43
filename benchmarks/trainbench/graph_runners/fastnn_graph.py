"""fastnn: the network through the functional API, trained with fit and predicted with predict."""
from .. import graphnets
from .keras_style import KerasStyleTrainer


def version():
    import fastnn
    return fastnn.__version__


class Trainer(KerasStyleTrainer):
    def __init__(self, job, nodes, weights):
        import fastnn
        from fastnn import Input, backend as K, layers, models, optimizers

        fastnn.set_num_threads(job["threads"])
        fastnn.utils.set_random_seed(job["seed"])

        def sampling(name):
            def draw(args):
                mean, log_var = args
                return mean + K.exp(0.5 * log_var) * K.random_normal(shape=(K.shape(mean)[0], graphnets.LATENT))
            return layers.Lambda(draw, name=name)

        self.model = graphnets.build_keras_style(nodes, weights, layers, Input, models.Model, sampling)
        self.compile(job, nodes, optimizers, K)

    def extra(self):
        """How fit's and predict's steps ran (step plans replayed, or eager and why), and the plan's
        memory over the live activations at their peak."""
        def states(function):
            plans = getattr(function, "plans", None)
            return sorted({p.state if p.reason is None else f"{p.state}: {p.reason}" for p in plans.plans.values()}) \
                if plans is not None else []
        memory = [p.memory for p in self.model.train_function.plans.plans.values() if p.memory]
        return {"train_plans": states(self.model.train_function), "predict_plans": states(self.model.predict_function),
                "plan_memory_over_live_peak": max((m["slab_bytes"] / m["peak_live_bytes"] for m in memory
                                                   if m["peak_live_bytes"]), default=None)}
