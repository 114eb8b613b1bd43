# Every kernel runs as a KernelCall: a record of which C function to call and with what
# pointers, sizes and scalars. Wrappers fill one and hand it to _run, which executes it and,
# while this thread is recording, also appends it to a Tape. A Tape replays its calls later
# with the GIL released and no Python in between: the compiled step plans of fastnn.engine.
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy
from cpython.pythread cimport PyThread_get_thread_ident
import bisect


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
    K_RANDOM_NORMAL
    K_BATCH_NORM_STATISTICS
    K_BATCH_NORM
    K_BATCH_NORM_GRAD
    K_DEPTHWISE_CONV2D
    K_DEPTHWISE_CONV2D_INPUT_GRAD
    K_DEPTHWISE_CONV2D_KERNEL_GRAD
    K_TAKE_ROWS
    K_SCATTER_ADD_ROWS
    K_RNN_CELL
    K_RNN_CELL_GRAD

# p: operand pointers; i: sizes and row strides; k: scalars; shape/st: n-d layouts
# (st[j] are the element strides of the j-th n-d operand); reduce: sum_to_shape's axes.
# Convolution and pooling calls keep their geometry (FASTNN_CONV_*) in shape, a gradient's
# relu mask in p[2] and its output in p[3]; a recurrent cell's activations are in shape[0:2].
ctypedef struct KernelCall:
    int kernel
    int f32
    int op
    int nd
    void *p[8]
    fnn_int i[10]
    double k[2]
    fnn_int shape[FASTNN_MAX_DIMS]
    fnn_int st[3][FASTNN_MAX_DIMS]
    unsigned char reduce[FASTNN_MAX_DIMS]


cdef int _execute(const KernelCall *c) noexcept nogil:
    """Runs one call; returns 0, -1 when a kernel ran out of memory, or FASTNN_BAD_INDEX when
    an index was out of range (the call's failure then says which)."""
    if c.f32:
        return _execute_as(c, <float**>c.p)
    return _execute_as(c, <double**>c.p)


cdef int _execute_as(const KernelCall *c, floating **p) noexcept nogil:
    """_execute for the call's dtype; p is c.p with that element type."""
    cdef const fnn_int *i = &c.i[0]
    if c.kernel == K_GEMM:
        return fastnn_gemm(i[0], i[1], i[2], p[0], i[3], i[4], p[1], i[5], i[6], p[2], i[7], p[3], c.op, p[4], i[8])
    if c.kernel == K_ADD:
        fastnn_add(c.nd, c.shape, p[0], c.st[0], p[1], c.st[1], p[2], c.st[2])
    elif c.kernel == K_RELU:
        fastnn_relu(c.nd, c.shape, p[0], c.st[0], p[1], c.st[1])
    elif c.kernel == K_RELU_GRAD:
        fastnn_relu_grad(c.nd, c.shape, p[0], c.st[0], p[1], c.st[1], p[2], c.st[2])
    elif c.kernel == K_SUM_TO_SHAPE:
        fastnn_sum_to_shape(c.nd, c.shape, p[0], c.st[0], c.reduce, p[1])
    elif c.kernel == K_SOFTMAX:
        fastnn_softmax(i[0], i[1], p[0], i[2], p[1], i[3])
    elif c.kernel == K_SOFTMAX_GRAD:
        fastnn_softmax_grad(i[0], i[1], p[0], i[2], p[1], i[3], p[2], i[4])
    elif c.kernel == K_XENT:
        fastnn_softmax_xent(i[0], i[1], p[0], i[2], p[1], i[3], <fnn_int*>c.p[2], p[3], p[4])
    elif c.kernel == K_XENT_GRAD:
        fastnn_softmax_xent_grad(i[0], i[1], p[0], i[2], p[1], i[3], <fnn_int*>c.p[2], c.k[0], p[3])
    elif c.kernel == K_MAP1:
        fastnn_map1(c.op, c.k, c.nd, c.shape, p[0], c.st[0], p[1], c.st[1])
    elif c.kernel == K_MAP2:
        fastnn_map2(c.op, c.k, c.nd, c.shape, p[0], c.st[0], p[1], c.st[1], p[2], c.st[2])
    elif c.kernel == K_DROPOUT:
        fastnn_dropout(i[0], p[0], p[1], p[2], c.k[0], <unsigned long long*>c.p[3])
    elif c.kernel == K_RANDOM_NORMAL:
        fastnn_random_normal(i[0], p[0], c.k[0], c.k[1], <unsigned long long*>c.p[1])
    elif c.kernel == K_CONV2D:
        return fastnn_conv2d(c.shape, p[0], p[1], p[2], c.op, p[3], p[4])
    elif c.kernel == K_CONV2D_INPUT_GRAD:
        return fastnn_conv2d_input_grad(c.shape, p[0], p[1], p[2], p[3], p[4])
    elif c.kernel == K_CONV2D_KERNEL_GRAD:
        return fastnn_conv2d_kernel_grad(c.shape, p[0], p[1], p[2], p[3], p[4])
    elif c.kernel == K_MAX_POOL2D:
        fastnn_max_pool2d(c.shape, p[0], p[3])
    elif c.kernel == K_AVG_POOL2D:
        fastnn_avg_pool2d(c.shape, p[0], p[3])
    elif c.kernel == K_MAX_POOL2D_GRAD:
        fastnn_max_pool2d_grad(c.shape, p[0], p[1], p[2], p[3])
    elif c.kernel == K_AVG_POOL2D_GRAD:
        fastnn_avg_pool2d_grad(c.shape, p[1], p[2], p[3])
    elif c.kernel == K_BATCH_NORM_STATISTICS:
        return fastnn_batch_norm_statistics(i[0], i[1], i[2], p[0], p[1], p[2], p[3], p[4], c.k[0])
    elif c.kernel == K_BATCH_NORM:
        return fastnn_batch_norm(i[0], i[1], i[2], p[0], p[1], p[2], p[3], p[4], c.k[0], p[5])
    elif c.kernel == K_BATCH_NORM_GRAD:
        return fastnn_batch_norm_grad(i[0], i[1], i[2], p[0], p[1], p[2], p[3], p[4], c.k[0], c.op, p[5], p[6], p[7])
    elif c.kernel == K_DEPTHWISE_CONV2D:
        return fastnn_depthwise_conv2d(c.shape, p[0], p[1], p[2], c.op, p[3])
    elif c.kernel == K_DEPTHWISE_CONV2D_INPUT_GRAD:
        return fastnn_depthwise_conv2d_input_grad(c.shape, p[0], p[1], p[3])
    elif c.kernel == K_DEPTHWISE_CONV2D_KERNEL_GRAD:
        return fastnn_depthwise_conv2d_kernel_grad(c.shape, p[0], p[1], p[2], p[3])
    elif c.kernel == K_TAKE_ROWS:
        return fastnn_take_rows(i[0], i[1], c.p[0], c.op, i[2], p[1], i[3], p[2], i[4], <double*>c.p[3])
    elif c.kernel == K_SCATTER_ADD_ROWS:
        return fastnn_scatter_add_rows(i[0], i[1], c.p[0], c.op, i[2], p[1], i[3], p[2], i[4], <double*>c.p[3])
    elif c.kernel == K_RNN_CELL:
        fastnn_rnn_cell(c.op, <int>c.shape[0], <int>c.shape[1], i[0], i[1], p[0], i[2], p[1], i[3], p[2], i[4],
                        p[3], i[5], p[4], i[6])
    elif c.kernel == K_RNN_CELL_GRAD:
        fastnn_rnn_cell_grad(c.op, <int>c.shape[0], <int>c.shape[1], i[0], i[1], p[0], i[2], p[1], i[3], p[2], i[4],
                             p[3], i[5], p[4], i[6], p[5], i[7], p[6], i[8], p[7], i[9])
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
    `states` are arrays a step changes besides its outputs (dropout keys, a stateful layer's
    state), which a plan saves and restores to check a replay. `failures` has, per call, None
    or the function that turns the call's non-zero status into the exception to raise.
    """
    cdef KernelCall *calls
    cdef Py_ssize_t count, capacity
    cdef readonly list arrays
    cdef readonly list reads
    cdef readonly list writes
    cdef readonly list states
    cdef readonly list hosts
    cdef readonly list failures
    cdef public object problem

    def __cinit__(self):
        self.calls = NULL
        self.count = self.capacity = 0
        self.arrays, self.reads, self.writes, self.states, self.hosts = [], [], [], [], []
        self.failures = []
        self.problem = None

    def __dealloc__(self):
        free(self.calls)

    def __len__(self):
        return self.count

    cdef int _append(self, const KernelCall *c, tuple reads, tuple writes, object failure=None) except -1:
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
        self.failures.append(failure)
        if c.kernel == K_DROPOUT:
            self.states.append(reads[1])
        elif c.kernel == K_RANDOM_NORMAL:
            self.states.append(reads[0])
        elif c.kernel == K_BATCH_NORM_STATISTICS and c.p[3] != NULL:
            self.states.extend(writes[2:4])  # the moving statistics, updated in place
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
                _raise_status(status, self.failures[j], "step plan: a kernel ran out of memory")
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
        del self.failures[j]

    def move(self, size_t lo, size_t hi, new_base):
        """Points every operand inside bytes [lo, hi) at the same offset of the array new_base
        instead (which the tape then keeps alive), and updates the calls' byte extents."""
        self.move_many([(lo, hi, new_base)])

    def move_many(self, moves):
        """move(lo, hi, new_base) for each of moves at once: ranges [lo, hi) that do not overlap
        each other, nor any new_base."""
        moves = sorted(moves, key=lambda m: m[0])
        los = [<size_t> m[0] for m in moves]
        his = [<size_t> m[1] for m in moves]
        tos = [<size_t> cnp.PyArray_DATA(<cnp.ndarray> m[2]) for m in moves]
        if not moves:
            return

        def target(size_t address):
            k = bisect.bisect_right(los, address) - 1
            if k >= 0 and address < his[k]:
                return k
            return -1

        cdef Py_ssize_t j
        cdef int o, k
        cdef size_t ptr
        for j in range(self.count):
            for o in range(8):
                ptr = <size_t> self.calls[j].p[o]
                k = target(ptr)
                if k >= 0:
                    self.calls[j].p[o] = <void *> (<size_t> tos[k] + (ptr - <size_t> los[k]))
        for extents in (self.reads, self.writes):
            for j in range(len(extents)):
                updated = None
                for i, e in enumerate(extents[j]):
                    k = target(e[0])
                    if k >= 0:
                        if updated is None:
                            updated = list(extents[j])
                        updated[i] = (tos[k] + e[0] - los[k], tos[k] + e[1] - los[k])
                if updated is not None:
                    extents[j] = updated
        self.arrays.extend(m[2] for m in moves)

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
                 K_AVG_POOL2D_GRAD: "avg_pool2d_grad", K_RANDOM_NORMAL: "random_normal",
                 K_BATCH_NORM_STATISTICS: "batch_norm_statistics",
                 K_BATCH_NORM: "batch_norm", K_BATCH_NORM_GRAD: "batch_norm_grad",
                 K_DEPTHWISE_CONV2D: "depthwise_conv2d", K_DEPTHWISE_CONV2D_INPUT_GRAD: "depthwise_conv2d_input_grad",
                 K_DEPTHWISE_CONV2D_KERNEL_GRAD: "depthwise_conv2d_kernel_grad", K_TAKE_ROWS: "take_rows",
                 K_SCATTER_ADD_ROWS: "scatter_add_rows", K_RNN_CELL: "rnn_cell", K_RNN_CELL_GRAD: "rnn_cell_grad"}

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


def _raise_status(int status, failure, memory_message):
    """Raises the exception for a call's non-zero status: failure(status)'s, or MemoryError."""
    if status != -1 and failure is not None:
        raise failure(status)
    raise MemoryError(memory_message)


cdef int _run(KernelCall *c, tuple reads, tuple writes, object failure=None) except -1:
    """Executes c (recording it first when this thread records); a non-zero status raises
    failure(status)'s exception (for a kernel that reports bad input), else MemoryError."""
    cdef int status
    if _tape is not None and _recording():
        _tape._append(c, reads, writes, failure)
    with nogil:
        status = _execute(c)
    if status != 0:
        _raise_status(status, failure, f"{_KERNEL_NAMES[c.kernel]}: out of memory")
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
