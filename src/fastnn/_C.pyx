# Compiled kernels: nogil C cores (csrc/) behind thin wrappers that check
# shapes and dtypes first. Public names are re-exported by fastnn.kernels.
cimport numpy as cnp

cnp.import_array()

include "_threads.pxi"
include "_layout.pxi"
include "_typed_kernels.pxi"
include "_calls.pxi"
include "_matmul.pxi"
include "_isa.pxi"
include "_elementwise.pxi"
include "_softmax.pxi"
include "_maps.pxi"
include "_optim.pxi"
include "_gather.pxi"
include "_conv.pxi"
include "_image.pxi"
include "_conv2d_variants.pxi"
include "_batch_norm.pxi"
include "_rows.pxi"
include "_recurrent.pxi"
