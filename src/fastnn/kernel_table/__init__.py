"""The kernel table: one record per compiled kernel, read by fastnn.selftest, the generic kernel
tests and the fuzz suite.

A record names the kernel (the compiled function is fastnn.kernels.<name>, its oracle
fastnn.reference.<name>) and holds its sample inputs, a large sample that uses every thread, bad
inputs, the arguments it writes, its tolerance and its fuzz strategy. Samples are built by
functions so every call gets fresh, identical inputs (the kernels may update some in place).
Each family of kernels has its module here; adding a kernel means adding its record to one.
"""
from . import batch_norm, conv, conv_variants, elementwise, gather, image, maps, matmul, optimizers, recurrent, rows, softmax
from .layout import DTYPES, LAYOUTS, SIZES
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

RECORDS = [
    *matmul.RECORDS,
    *elementwise.RECORDS,
    *softmax.RECORDS,
    *optimizers.RECORDS,
    *gather.RECORDS,
    *maps.RECORDS,
    *conv.RECORDS,
    *image.RECORDS,
    *conv_variants.RECORDS,
    *batch_norm.RECORDS,
    *rows.RECORDS,
    *recurrent.RECORDS,
]

RECORDS_BY_NAME = {r.name: r for r in RECORDS}

__all__ = ["DTYPES", "LAYOUTS", "RECORDS", "RECORDS_BY_NAME", "SIZES", "ErrorCase", "FuzzCase", "KernelRecord",
           "Sample"]
