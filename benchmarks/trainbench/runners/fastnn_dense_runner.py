"""fastnn with matmul's zero skipping off: every product is computed, as the other frameworks do.

The weights it trains are the same bits as fastnn_runner's; only the time differs.
"""
from fastnn import kernels

from . import fastnn_runner

version = fastnn_runner.version


class Trainer(fastnn_runner.Trainer):
    def __init__(self, spec, weights):
        kernels._skip_zeros_gemm(False)
        super().__init__(spec, weights)
