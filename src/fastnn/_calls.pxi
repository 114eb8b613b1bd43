# Every kernel runs as a KernelCall: a record of which C function to call and with what
# pointers, sizes and scalars. Wrappers fill one and hand it to _run, which executes it and,
# while this thread is recording, also appends it to a Tape. A Tape replays its calls later
# with the GIL released and no Python in between: the compiled step plans of fastnn.engine.
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy
from cpython.pythread cimport PyThread_get_thread_ident

cdef extern from "fastnn.h" nogil:
    void fastnn_add_f32(int ndim, const fnn_int *shape, const float *a, const fnn_int *a_strides, const float *b, const fnn_int *b_strides, float *out, const fnn_int *out_strides)
    void fastnn_add_f64(int ndim, const fnn_int *shape, const double *a, const fnn_int *a_strides, const double *b, const fnn_int *b_strides, double *out, const fnn_int *out_strides)
    void fastnn_sum_to_shape_f32(int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, const unsigned char *reduce, float *out)
    void fastnn_sum_to_shape_f64(int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, const unsigned char *reduce, double *out)
    void fastnn_relu_f32(int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, float *out, const fnn_int *out_strides)
    void fastnn_relu_f64(int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, double *out, const fnn_int *out_strides)
    void fastnn_relu_grad_f32(int ndim, const fnn_int *shape, const float *dy, const fnn_int *dy_strides, const float *y, const fnn_int *y_strides, float *out, const fnn_int *out_strides)
    void fastnn_relu_grad_f64(int ndim, const fnn_int *shape, const double *dy, const fnn_int *dy_strides, const double *y, const fnn_int *y_strides, double *out, const fnn_int *out_strides)
    void fastnn_softmax_f32(fnn_int rows, fnn_int k, const float *x, fnn_int x_rs, float *out, fnn_int out_rs)
    void fastnn_softmax_f64(fnn_int rows, fnn_int k, const double *x, fnn_int x_rs, double *out, fnn_int out_rs)
    void fastnn_softmax_grad_f32(fnn_int rows, fnn_int k, const float *dy, fnn_int dy_rs, const float *y, fnn_int y_rs, float *out, fnn_int out_rs)
    void fastnn_softmax_grad_f64(fnn_int rows, fnn_int k, const double *dy, fnn_int dy_rs, const double *y, fnn_int y_rs, double *out, fnn_int out_rs)
    void fastnn_softmax_xent_f32(fnn_int rows, fnn_int k, const float *logits, fnn_int logits_rs, const float *target, fnn_int target_rs, const fnn_int *classes, float *loss, float *probs)
    void fastnn_softmax_xent_f64(fnn_int rows, fnn_int k, const double *logits, fnn_int logits_rs, const double *target, fnn_int target_rs, const fnn_int *classes, double *loss, double *probs)
    void fastnn_softmax_xent_grad_f32(fnn_int rows, fnn_int k, const float *probs, fnn_int probs_rs, const float *target, fnn_int target_rs, const fnn_int *classes, double scale, float *out)
    void fastnn_softmax_xent_grad_f64(fnn_int rows, fnn_int k, const double *probs, fnn_int probs_rs, const double *target, fnn_int target_rs, const fnn_int *classes, double scale, double *out)
    int fastnn_sgemm(fnn_int m, fnn_int n, fnn_int k,
                     const float *a, fnn_int a_rs, fnn_int a_cs,
                     const float *b, fnn_int b_rs, fnn_int b_cs,
                     float *c, fnn_int c_rs,
                     const float *bias, int activation,
                     const float *mask, fnn_int mask_rs)
    int fastnn_dgemm(fnn_int m, fnn_int n, fnn_int k,
                     const double *a, fnn_int a_rs, fnn_int a_cs,
                     const double *b, fnn_int b_rs, fnn_int b_cs,
                     double *c, fnn_int c_rs,
                     const double *bias, int activation,
                     const double *mask, fnn_int mask_rs)
    void fastnn_map1_f32(int op, const double *k, int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, float *out, const fnn_int *out_strides)
    void fastnn_map1_f64(int op, const double *k, int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, double *out, const fnn_int *out_strides)
    void fastnn_map2_f32(int op, const double *k, int ndim, const fnn_int *shape, const float *a, const fnn_int *a_strides, const float *b, const fnn_int *b_strides, float *out, const fnn_int *out_strides)
    void fastnn_map2_f64(int op, const double *k, int ndim, const fnn_int *shape, const double *a, const fnn_int *a_strides, const double *b, const fnn_int *b_strides, double *out, const fnn_int *out_strides)
    void fastnn_dropout_f32(fnn_int n, const float *x, float *out, float *mask, double rate, unsigned long long *state)
    void fastnn_dropout_f64(fnn_int n, const double *x, double *out, double *mask, double rate, unsigned long long *state)


cdef extern from "fastnn.h" nogil:
    int fastnn_conv2d_f32(const fnn_int *geometry, const float *x, const float *kernel, const float *bias, int activation, float *y, float *scratch)
    int fastnn_conv2d_f64(const fnn_int *geometry, const double *x, const double *kernel, const double *bias, int activation, double *y, double *scratch)
    int fastnn_conv2d_input_grad_f32(const fnn_int *geometry, const float *dy, const float *kernel, const float *mask, float *dx, float *scratch)
    int fastnn_conv2d_input_grad_f64(const fnn_int *geometry, const double *dy, const double *kernel, const double *mask, double *dx, double *scratch)
    int fastnn_conv2d_kernel_grad_f32(const fnn_int *geometry, const float *x, const float *dy, float *dkernel, float *dbias, float *scratch)
    int fastnn_conv2d_kernel_grad_f64(const fnn_int *geometry, const double *x, const double *dy, double *dkernel, double *dbias, double *scratch)
    void fastnn_max_pool2d_f32(const fnn_int *geometry, const float *x, float *y)
    void fastnn_max_pool2d_f64(const fnn_int *geometry, const double *x, double *y)
    void fastnn_max_pool2d_grad_f32(const fnn_int *geometry, const float *x, const float *dy, const float *mask, float *dx)
    void fastnn_max_pool2d_grad_f64(const fnn_int *geometry, const double *x, const double *dy, const double *mask, double *dx)
    void fastnn_avg_pool2d_f32(const fnn_int *geometry, const float *x, float *y)
    void fastnn_avg_pool2d_f64(const fnn_int *geometry, const double *x, double *y)
    void fastnn_avg_pool2d_grad_f32(const fnn_int *geometry, const float *dy, const float *mask, float *dx)
    void fastnn_avg_pool2d_grad_f64(const fnn_int *geometry, const double *dy, const double *mask, double *dx)

cdef enum KernelId:
    K_GEMM
    K_ADD
    K_RELU
    K_RELU_GRAD
    K_SUM_TO_SHAPE
    K_SOFTMAX
    K_SOFTMAX_GRAD
    K_XENT
    K_XENT_GRAD
    K_MAP1
    K_MAP2
    K_DROPOUT
    K_HOST
    K_CONV2D
    K_CONV2D_INPUT_GRAD
    K_CONV2D_KERNEL_GRAD
    K_MAX_POOL2D
    K_AVG_POOL2D
    K_MAX_POOL2D_GRAD
    K_AVG_POOL2D_GRAD

# p: operand pointers; i: sizes and row strides; k: scalars; shape/st: n-d layouts
# (st[j] are the element strides of the j-th n-d operand); reduce: sum_to_shape's axes.
# Convolution and pooling calls keep their geometry (FASTNN_CONV_*) in shape, a gradient's
# relu mask in p[2] and its output in p[3].
ctypedef struct KernelCall:
    int kernel
    int f32
    int op
    int nd
    void *p[6]
    fnn_int i[10]
    double k[2]
    fnn_int shape[FASTNN_MAX_DIMS]
    fnn_int st[3][FASTNN_MAX_DIMS]
    unsigned char reduce[FASTNN_MAX_DIMS]


cdef int _execute(const KernelCall *c) noexcept nogil:
    """Runs one call; returns 0, or -1 when a kernel ran out of memory."""
    cdef const fnn_int *i = c.i
    if c.kernel == K_GEMM:
        if c.f32:
            return fastnn_sgemm(i[0], i[1], i[2], <float*>c.p[0], i[3], i[4], <float*>c.p[1], i[5], i[6],
                                <float*>c.p[2], i[7], <float*>c.p[3], c.op, <float*>c.p[4], i[8])
        return fastnn_dgemm(i[0], i[1], i[2], <double*>c.p[0], i[3], i[4], <double*>c.p[1], i[5], i[6],
                            <double*>c.p[2], i[7], <double*>c.p[3], c.op, <double*>c.p[4], i[8])
    if c.kernel == K_ADD:
        if c.f32:
            fastnn_add_f32(c.nd, c.shape, <float*>c.p[0], c.st[0], <float*>c.p[1], c.st[1], <float*>c.p[2], c.st[2])
        else:
            fastnn_add_f64(c.nd, c.shape, <double*>c.p[0], c.st[0], <double*>c.p[1], c.st[1], <double*>c.p[2], c.st[2])
    elif c.kernel == K_RELU:
        if c.f32:
            fastnn_relu_f32(c.nd, c.shape, <float*>c.p[0], c.st[0], <float*>c.p[1], c.st[1])
        else:
            fastnn_relu_f64(c.nd, c.shape, <double*>c.p[0], c.st[0], <double*>c.p[1], c.st[1])
    elif c.kernel == K_RELU_GRAD:
        if c.f32:
            fastnn_relu_grad_f32(c.nd, c.shape, <float*>c.p[0], c.st[0], <float*>c.p[1], c.st[1], <float*>c.p[2], c.st[2])
        else:
            fastnn_relu_grad_f64(c.nd, c.shape, <double*>c.p[0], c.st[0], <double*>c.p[1], c.st[1], <double*>c.p[2], c.st[2])
    elif c.kernel == K_SUM_TO_SHAPE:
        if c.f32:
            fastnn_sum_to_shape_f32(c.nd, c.shape, <float*>c.p[0], c.st[0], c.reduce, <float*>c.p[1])
        else:
            fastnn_sum_to_shape_f64(c.nd, c.shape, <double*>c.p[0], c.st[0], c.reduce, <double*>c.p[1])
    elif c.kernel == K_SOFTMAX:
        if c.f32:
            fastnn_softmax_f32(i[0], i[1], <float*>c.p[0], i[2], <float*>c.p[1], i[3])
        else:
            fastnn_softmax_f64(i[0], i[1], <double*>c.p[0], i[2], <double*>c.p[1], i[3])
    elif c.kernel == K_SOFTMAX_GRAD:
        if c.f32:
            fastnn_softmax_grad_f32(i[0], i[1], <float*>c.p[0], i[2], <float*>c.p[1], i[3], <float*>c.p[2], i[4])
        else:
            fastnn_softmax_grad_f64(i[0], i[1], <double*>c.p[0], i[2], <double*>c.p[1], i[3], <double*>c.p[2], i[4])
    elif c.kernel == K_XENT:
        if c.f32:
            fastnn_softmax_xent_f32(i[0], i[1], <float*>c.p[0], i[2], <float*>c.p[1], i[3], <fnn_int*>c.p[2],
                                    <float*>c.p[3], <float*>c.p[4])
        else:
            fastnn_softmax_xent_f64(i[0], i[1], <double*>c.p[0], i[2], <double*>c.p[1], i[3], <fnn_int*>c.p[2],
                                    <double*>c.p[3], <double*>c.p[4])
    elif c.kernel == K_XENT_GRAD:
        if c.f32:
            fastnn_softmax_xent_grad_f32(i[0], i[1], <float*>c.p[0], i[2], <float*>c.p[1], i[3], <fnn_int*>c.p[2],
                                         c.k[0], <float*>c.p[3])
        else:
            fastnn_softmax_xent_grad_f64(i[0], i[1], <double*>c.p[0], i[2], <double*>c.p[1], i[3], <fnn_int*>c.p[2],
                                         c.k[0], <double*>c.p[3])
    elif c.kernel == K_MAP1:
        if c.f32:
            fastnn_map1_f32(c.op, c.k, c.nd, c.shape, <float*>c.p[0], c.st[0], <float*>c.p[1], c.st[1])
        else:
            fastnn_map1_f64(c.op, c.k, c.nd, c.shape, <double*>c.p[0], c.st[0], <double*>c.p[1], c.st[1])
    elif c.kernel == K_MAP2:
        if c.f32:
            fastnn_map2_f32(c.op, c.k, c.nd, c.shape, <float*>c.p[0], c.st[0], <float*>c.p[1], c.st[1],
                            <float*>c.p[2], c.st[2])
        else:
            fastnn_map2_f64(c.op, c.k, c.nd, c.shape, <double*>c.p[0], c.st[0], <double*>c.p[1], c.st[1],
                            <double*>c.p[2], c.st[2])
    elif c.kernel == K_DROPOUT:
        if c.f32:
            fastnn_dropout_f32(i[0], <float*>c.p[0], <float*>c.p[1], <float*>c.p[2], c.k[0],
                               <unsigned long long*>c.p[3])
        else:
            fastnn_dropout_f64(i[0], <double*>c.p[0], <double*>c.p[1], <double*>c.p[2], c.k[0],
                               <unsigned long long*>c.p[3])
    elif c.kernel == K_CONV2D:
        if c.f32:
            return fastnn_conv2d_f32(c.shape, <float*>c.p[0], <float*>c.p[1], <float*>c.p[2], c.op, <float*>c.p[3],
                                     <float*>c.p[4])
        return fastnn_conv2d_f64(c.shape, <double*>c.p[0], <double*>c.p[1], <double*>c.p[2], c.op, <double*>c.p[3],
                                 <double*>c.p[4])
    elif c.kernel == K_CONV2D_INPUT_GRAD:
        if c.f32:
            return fastnn_conv2d_input_grad_f32(c.shape, <float*>c.p[0], <float*>c.p[1], <float*>c.p[2],
                                                <float*>c.p[3], <float*>c.p[4])
        return fastnn_conv2d_input_grad_f64(c.shape, <double*>c.p[0], <double*>c.p[1], <double*>c.p[2],
                                            <double*>c.p[3], <double*>c.p[4])
    elif c.kernel == K_CONV2D_KERNEL_GRAD:
        if c.f32:
            return fastnn_conv2d_kernel_grad_f32(c.shape, <float*>c.p[0], <float*>c.p[1], <float*>c.p[2],
                                                 <float*>c.p[3], <float*>c.p[4])
        return fastnn_conv2d_kernel_grad_f64(c.shape, <double*>c.p[0], <double*>c.p[1], <double*>c.p[2],
                                             <double*>c.p[3], <double*>c.p[4])
    elif c.kernel == K_MAX_POOL2D:
        if c.f32:
            fastnn_max_pool2d_f32(c.shape, <float*>c.p[0], <float*>c.p[3])
        else:
            fastnn_max_pool2d_f64(c.shape, <double*>c.p[0], <double*>c.p[3])
    elif c.kernel == K_AVG_POOL2D:
        if c.f32:
            fastnn_avg_pool2d_f32(c.shape, <float*>c.p[0], <float*>c.p[3])
        else:
            fastnn_avg_pool2d_f64(c.shape, <double*>c.p[0], <double*>c.p[3])
    elif c.kernel == K_MAX_POOL2D_GRAD:
        if c.f32:
            fastnn_max_pool2d_grad_f32(c.shape, <float*>c.p[0], <float*>c.p[1], <float*>c.p[2], <float*>c.p[3])
        else:
            fastnn_max_pool2d_grad_f64(c.shape, <double*>c.p[0], <double*>c.p[1], <double*>c.p[2], <double*>c.p[3])
    elif c.kernel == K_AVG_POOL2D_GRAD:
        if c.f32:
            fastnn_avg_pool2d_grad_f32(c.shape, <float*>c.p[1], <float*>c.p[2], <float*>c.p[3])
        else:
            fastnn_avg_pool2d_grad_f64(c.shape, <double*>c.p[1], <double*>c.p[2], <double*>c.p[3])
    return 0


cdef tuple _extent(cnp.ndarray a):
    """(first byte, one past the last byte) that a's elements span."""
    cdef char *lo
    cdef char *hi
    _byte_extent(a, &lo, &hi)
    return (<size_t>lo, <size_t>hi)


cdef class Tape:
    """The kernel calls one run of a step made, in order, ready to be replayed.

    Holds every array the calls point into, so the pointers stay valid as long as the tape.
    `problem` is None, or why replaying the tape would not repeat that run (a computation
    that was not a kernel call, such as a temporary copy); such a tape must not be run.
    """
    cdef KernelCall *calls
    cdef Py_ssize_t count, capacity
    cdef readonly list arrays
    cdef readonly list reads
    cdef readonly list writes
    cdef readonly list states
    cdef readonly list hosts
    cdef public object problem

    def __cinit__(self):
        self.calls = NULL
        self.count = self.capacity = 0
        self.arrays, self.reads, self.writes, self.states, self.hosts = [], [], [], [], []
        self.problem = None

    def __dealloc__(self):
        free(self.calls)

    def __len__(self):
        return self.count

    cdef int _append(self, const KernelCall *c, tuple reads, tuple writes) except -1:
        cdef KernelCall *grown
        if self.count == self.capacity:
            self.capacity = 16 if self.capacity == 0 else 2 * self.capacity
            grown = <KernelCall*>realloc(self.calls, self.capacity * sizeof(KernelCall))
            if grown == NULL:
                raise MemoryError("step plan: out of memory for its call list")
            self.calls = grown
        memcpy(&self.calls[self.count], c, sizeof(KernelCall))
        self.count += 1
        self.arrays.extend(reads)
        self.arrays.extend(writes)
        self.reads.append([_extent(a) for a in reads if a is not None])
        self.writes.append([_extent(a) for a in writes if a is not None])
        if c.kernel == K_DROPOUT:
            self.states.append(reads[1])
        return 0

    def add_host(self, action):
        """Appends a call back into Python: replays run `action()` at this point (with the GIL),
        e.g. an optimizer's update, whose hyper-parameters are read when it runs."""
        cdef KernelCall c
        c.kernel = K_HOST
        c.i[0] = len(self.hosts)
        self.hosts.append(action)
        self._append(&c, (), ())

    def kinds(self):
        """The kernel of each call, by name."""
        return [_KERNEL_NAMES[self.calls[j].kernel] for j in range(self.count)]

    def run(self, Py_ssize_t start=0, stop=None):
        """Replays calls start..stop-1 (all by default) in order, without the GIL."""
        if self.problem is not None:
            raise RuntimeError(f"this step plan cannot be replayed: {self.problem}")
        cdef Py_ssize_t j = start, n = self.count if stop is None else min(<Py_ssize_t>stop, self.count)
        cdef int status = 0
        while j < n:
            with nogil:
                while j < n and self.calls[j].kernel != K_HOST:
                    status = _execute(&self.calls[j])
                    if status != 0:
                        break
                    j += 1
            if status != 0:
                raise MemoryError("step plan: a kernel ran out of memory")
            if j < n:
                self.hosts[self.calls[j].i[0]]()
                j += 1

    def remove(self, Py_ssize_t j):
        """Drops call j."""
        if not 0 <= j < self.count:
            raise IndexError(j)
        cdef Py_ssize_t t
        for t in range(j, self.count - 1):
            memcpy(&self.calls[t], &self.calls[t + 1], sizeof(KernelCall))
        self.count -= 1
        del self.reads[j]
        del self.writes[j]

    def move(self, size_t lo, size_t hi, new_base):
        """Points every operand inside bytes [lo, hi) at the same offset of the array new_base
        instead (which the tape then keeps alive), and updates the calls' byte extents."""
        cdef size_t to = <size_t> cnp.PyArray_DATA(<cnp.ndarray> new_base)
        cdef Py_ssize_t j
        cdef int o
        cdef size_t ptr
        for j in range(self.count):
            for o in range(6):
                ptr = <size_t> self.calls[j].p[o]
                if lo <= ptr < hi:
                    self.calls[j].p[o] = <void *> (to + (ptr - lo))
        moved = lambda e: (to + e[0] - lo, to + e[1] - lo) if lo <= e[0] < hi else e
        for extents in (self.reads, self.writes):
            for j in range(len(extents)):
                extents[j] = [moved(e) for e in extents[j]]
        self.arrays.append(new_base)

    def release(self, keep):
        """Drops the tape's references to arrays for which keep(array) is false."""
        self.arrays[:] = [a for a in self.arrays if a is None or keep(a)]

    def relu_grad_operands(self, Py_ssize_t j):
        """(dy, y, out, elements) addresses of relu_grad call j when all three are dense
        row-major arrays of one layout, else None."""
        cdef KernelCall *c = &self.calls[j]
        if c.kernel != K_RELU_GRAD:
            return None
        cdef fnn_int expected = 1, total = 1
        cdef int d, op
        for d in range(c.nd - 1, -1, -1):
            if c.shape[d] != 1:
                for op in range(3):
                    if c.st[op][d] != expected:
                        return None
                expected *= c.shape[d]
            total *= c.shape[d]
        return (<size_t>c.p[0], <size_t>c.p[1], <size_t>c.p[2], total)

    def gemm_output(self, Py_ssize_t j):
        """(c address, m, n) of GEMM call j when it has no mask and dense rows (c_rs == n), else None."""
        cdef KernelCall *c = &self.calls[j]
        if c.kernel != K_GEMM or c.p[4] != NULL or c.i[7] != c.i[1]:
            return None
        return (<size_t>c.p[2], c.i[0], c.i[1])

    def maskable_output(self, Py_ssize_t j):
        """(output address, elements) of call j when it can take relu_grad's mask as its epilogue:
        a GEMM as gemm_output says, or a convolution's or pooling's input gradient without a mask."""
        cdef KernelCall *c = &self.calls[j]
        if c.kernel == K_GEMM:
            output = self.gemm_output(j)
            return None if output is None else (output[0], output[1] * output[2])
        if c.kernel in (K_CONV2D_INPUT_GRAD, K_MAX_POOL2D_GRAD, K_AVG_POOL2D_GRAD) and c.p[2] == NULL:
            return (<size_t>c.p[3], c.shape[0] * c.shape[1] * c.shape[2] * c.shape[3])
        return None

    def fold_relu_grad(self, Py_ssize_t producer, Py_ssize_t relu_grad):
        """Makes call `producer` (see maskable_output) apply relu_grad call `relu_grad`'s mask and
        write its output, then drops the relu_grad call. The caller checks that nothing else reads
        the producer's output."""
        cdef KernelCall *g = &self.calls[producer]
        cdef KernelCall *r = &self.calls[relu_grad]
        if g.kernel == K_GEMM:
            g.p[4] = r.p[1]
            g.i[8] = g.i[1]
            g.p[2] = r.p[2]
        else:
            g.p[2] = r.p[1]
            g.p[3] = r.p[2]
        self.writes[producer] = self.writes[relu_grad][:1] + self.writes[producer][1:]
        self.reads[producer] = self.reads[producer] + [e for e in self.reads[relu_grad][1:]]
        self.remove(relu_grad)


_KERNEL_NAMES = {K_GEMM: "gemm", K_ADD: "add", K_RELU: "relu", K_RELU_GRAD: "relu_grad",
                 K_SUM_TO_SHAPE: "sum_to_shape", K_SOFTMAX: "softmax", K_SOFTMAX_GRAD: "softmax_grad",
                 K_XENT: "softmax_cross_entropy", K_XENT_GRAD: "softmax_cross_entropy_grad",
                 K_MAP1: "map1", K_MAP2: "map2", K_DROPOUT: "dropout", K_HOST: "host", K_CONV2D: "conv2d",
                 K_CONV2D_INPUT_GRAD: "conv2d_input_grad", K_CONV2D_KERNEL_GRAD: "conv2d_kernel_grad",
                 K_MAX_POOL2D: "max_pool2d", K_AVG_POOL2D: "avg_pool2d", K_MAX_POOL2D_GRAD: "max_pool2d_grad",
                 K_AVG_POOL2D_GRAD: "avg_pool2d_grad"}

cdef Tape _tape = None
cdef unsigned long _tape_thread = 0


def _begin_recording(Tape tape):
    """From now on, kernel calls made by this thread are appended to tape."""
    global _tape, _tape_thread
    if _tape is not None:
        raise RuntimeError("a step plan is already being recorded")
    _tape_thread = PyThread_get_thread_ident()
    _tape = tape


def _end_recording():
    global _tape
    _tape = None


cdef inline bint _recording() noexcept:
    return _tape is not None and PyThread_get_thread_ident() == _tape_thread


def recording_tape():
    """The Tape this thread is recording into, or None."""
    return _tape if _recording() else None


def _unreplayable(reason):
    """Marks the tape being recorded (if any) as one that must not be replayed, saying why."""
    if _recording() and _tape.problem is None:
        _tape.problem = reason


cdef int _run(KernelCall *c, tuple reads, tuple writes) except -1:
    """Executes c (recording it first when this thread records)."""
    cdef int status
    if _tape is not None and _recording():
        _tape._append(c, reads, writes)
    with nogil:
        status = _execute(c)
    if status != 0:
        raise MemoryError(f"{_KERNEL_NAMES[c.kernel]}: out of memory")
    return 0


cdef void _fill_layout(KernelCall *c, cnp.ndarray out, cnp.ndarray a, cnp.ndarray b):
    """c's n-d layout: out's shape, a's strides in st[0] (b's in st[1]), out's after them."""
    c.nd = cnp.PyArray_NDIM(out)
    _fill_shape(out, c.shape)
    _fill_strides(a, c.nd, c.st[0])
    if b is None:
        _fill_strides(out, c.nd, c.st[1])
    else:
        _fill_strides(b, c.nd, c.st[1])
        _fill_strides(out, c.nd, c.st[2])
