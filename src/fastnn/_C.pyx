# Compiled kernels: nogil C cores (csrc/) behind thin wrappers that check
# shapes and dtypes first. Public names are re-exported by fastnn.kernels.
cimport numpy as cnp

cnp.import_array()

include "_threads.pxi"
include "_matmul.pxi"
