"""matmul's exact bits on a few products, pinned per ISA path.

The digests were computed before the GEMM core was restructured; a change of blocking, packing
or driver that changes a single bit fails here. The AVX-512 and AVX2 kernels share KC and add
each product with one fused multiply-add in order of k, so they give the same bits.
"""
import hashlib

import numpy as np
import pytest

from fastnn import kernels


def values(shape, seed, dtype, zeros=0.0):
    """Reproducible values in [-0.5, 0.5) from integer hashing (no random generator, no libm);
    with zeros, about that share of them set to 0."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64) + np.uint64(seed * 1000003)
    bits = (i * np.uint64(2654435761) + np.uint64(12345)) % np.uint64(2**32)
    x = (bits.astype(np.float64) / 2**32 - 0.5).astype(dtype).reshape(shape)
    if zeros:
        x[(bits.reshape(shape) % np.uint64(1000)) < zeros * 1000] = 0
    return x


# (m, n, k), options, share of zeros in A: edge tiles, one and several KC slices, few and many
# rows, transposed operands, epilogues, zero skipping in both drivers.
CASES = [((37, 45, 300), {"activation": "relu"}, 0.0),
         ((128, 512, 784), {}, 0.0),
         ((128, 512, 784), {}, 0.8),
         ((300, 70, 600), {"trans_a": True}, 0.0),
         ((97, 101, 257), {"trans_b": True, "bias": True}, 0.5),
         ((1000, 10, 64), {}, 0.0)]

FMA = {
    np.float32: ["6f8300c6f4acd9ac", "416a52f97eeb37c0", "4eb77b9828498402", "dd90d431080b224c",
                 "a4c81e74e56d4419", "49d2dc3d90b7e5ca"],
    np.float64: ["da9a1dcfa5f1cb69", "64d99fcf60a91e65", "55063ae0e366887a", "7a621f05cfa2d036",
                 "603af2fe53eb7469", "0d35086331188714"],
}
DIGESTS = {
    "avx512": FMA,
    "avx2-fma": FMA,
    "portable": {
        np.float32: ["d3bf6b7be6132f9c", "9c9413f32b0ccc09", "a624feb8d7027bba", "66e951c6d7e9b821",
                     "aeac115270141722", "6c958a077ffb8b93"],
        np.float64: ["e1c3fbf9389c61c8", "0adf31609707ec33", "2dbcf4aecf2031ce", "0b38724a128994c8",
                     "5d2d9c74eaf8cfc1", "618a91934a2b99e4"],
    },
}


@pytest.mark.parametrize("skip_zeros", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pinned_bits(isa, dtype, skip_zeros):
    kernels._skip_zeros_gemm(skip_zeros)
    try:
        got = []
        for (m, n, k), kw, zeros in CASES:
            kw = dict(kw)
            a = values((k, m) if kw.get("trans_a") else (m, k), 1, dtype, zeros)
            b = values((n, k) if kw.get("trans_b") else (k, n), 2, dtype)
            if kw.get("bias"):
                kw["bias"] = values((n,), 3, dtype)
            got.append(hashlib.sha256(kernels.matmul(a, b, **kw).tobytes()).hexdigest()[:16])
    finally:
        kernels._skip_zeros_gemm(True)
    assert got == DIGESTS[isa][dtype]
