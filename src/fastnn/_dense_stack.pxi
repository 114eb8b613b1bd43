# Fused Dense-stack kernels for fit and predict (models/dense_stack.py), and the batch gather
# fit uses. Every array is checked once, when the object is built; the pointers, shapes and
# strides are kept then (the object keeps the arrays alive), so a step re-checks nothing but
# its batch size. The calls made are exactly those of fastnn.kernels on the same operands.
from libc.math cimport isnan
from libc.string cimport memcpy


cdef bint _is_plain(object a, int type_num, int ndim):
    """a is an aligned, C-contiguous, native ndarray of this type and rank."""
    return (type(a) is np.ndarray and cnp.PyArray_TYPE(<cnp.ndarray> a) == type_num
            and cnp.PyArray_NDIM(<cnp.ndarray> a) == ndim and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray> a)
            and cnp.PyArray_ISALIGNED(<cnp.ndarray> a) and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray> a))


cdef _require(object a, int type_num, tuple shape, str name, bint writable=False):
    if not _is_plain(a, type_num, len(shape)):
        dtype = "float32" if type_num == cnp.NPY_FLOAT32 else "int64"
        raise TypeError(f"{name} must be an aligned C-contiguous {len(shape)}-D {dtype} ndarray, got "
                        f"{type(a).__name__} {getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}")
    if (<object> a).shape != shape:
        raise ValueError(f"{name} has shape {(<object> a).shape}, expected {shape}")
    if writable and not cnp.PyArray_ISWRITEABLE(<cnp.ndarray> a):
        raise ValueError(f"{name} is read-only")


cdef inline Py_ssize_t _argmax_row(const float *row, Py_ssize_t k) noexcept nogil:
    """np.argmax of one row: the first maximum, or the first NaN."""
    cdef float best = row[0]
    cdef Py_ssize_t j, index = 0
    if isnan(best):
        return 0
    for j in range(1, k):
        if not (row[j] <= best):
            best = row[j]
            index = j
            if isnan(best):
                break
    return index


cdef class RowGather:
    """Copies the rows of `source` picked by an index array into the first rows of `buffer`.

    source: (n, ...) uint8, float32 or float64 into a float32 buffer (n_max, row), or
    (n,) int64 class labels into an int64 buffer (n_max,); both checked once, here.
    """
    cdef readonly cnp.ndarray source, buffer
    cdef char *src
    cdef char *dst
    cdef fnn_int rows, row, capacity
    cdef int src_type

    def __init__(self, source, buffer):
        if type(source) is not np.ndarray or not _is_plain(source, cnp.PyArray_TYPE(<cnp.ndarray> source),
                                                            (<cnp.ndarray> source).ndim):
            raise TypeError("RowGather: source must be an aligned C-contiguous ndarray")
        self.src_type = cnp.PyArray_TYPE(<cnp.ndarray> source)
        if (<cnp.ndarray> source).ndim == 0:
            raise ValueError("RowGather: source needs a row axis")
        self.rows = (<cnp.ndarray> source).shape[0]
        if self.src_type == cnp.NPY_INT64 and (<cnp.ndarray> source).ndim == 1:
            self.row = 1
            if type(buffer) is not np.ndarray or buffer.ndim != 1:
                raise TypeError("RowGather: int64 labels gather into a 1-D int64 buffer")
            _require(buffer, cnp.NPY_INT64, (buffer.shape[0],), "buffer", True)
        elif self.src_type in (cnp.NPY_UINT8, cnp.NPY_FLOAT32, cnp.NPY_FLOAT64):
            self.row = math.prod((<object> source).shape[1:])
            if type(buffer) is not np.ndarray or buffer.ndim != 2:
                raise TypeError("RowGather: rows gather into a 2-D float32 buffer")
            _require(buffer, cnp.NPY_FLOAT32, (buffer.shape[0], self.row), "buffer", True)
        else:
            raise TypeError(f"RowGather: unsupported source dtype {source.dtype}")
        if _may_overlap(buffer, source):
            raise ValueError("RowGather: buffer overlaps source")
        self.source, self.buffer = source, buffer
        self.capacity = buffer.shape[0]
        self.src = <char *> cnp.PyArray_DATA(source)
        self.dst = <char *> cnp.PyArray_DATA(buffer)

    def take(self, indices):
        """Fills the buffer's first len(indices) rows and returns that count; or returns -1, copying
        nothing, unless indices is a C-contiguous 1-D intp array of at most capacity values in [0, n)."""
        if not _is_plain(indices, cnp.NPY_INTP, 1):
            return -1
        cdef fnn_int count = (<cnp.ndarray> indices).shape[0], i
        cdef const fnn_int *idx = <const fnn_int *> cnp.PyArray_DATA(<cnp.ndarray> indices)
        if count > self.capacity:
            return -1
        for i in range(count):
            if idx[i] < 0 or idx[i] >= self.rows:
                return -1
        if count == 0 or self.row == 0:
            return count
        cdef fnn_int row = self.row
        cdef float *out = <float *> self.dst
        with nogil:
            if self.src_type == cnp.NPY_INT64:
                for i in range(count):
                    (<long long *> self.dst)[i] = (<const long long *> self.src)[idx[i]]
            elif self.src_type == cnp.NPY_UINT8:
                fastnn_gather_rows_u8_f32(count, row, <unsigned char *> self.src, row, idx, out, row)
            elif self.src_type == cnp.NPY_FLOAT32:
                fastnn_gather_rows_f32_f32(count, row, <float *> self.src, row, idx, out, row)
            else:
                fastnn_gather_rows_f64_f32(count, row, <double *> self.src, row, idx, out, row)
        return count


cdef class _DenseLayer:
    cdef object arrays          # keeps every array below alive
    cdef float *kernel
    cdef float *bias
    cdef float *kernel_grad
    cdef float *bias_grad
    cdef float *output          # (capacity, units): the activation; NULL for the last layer
    cdef float *output_grad     # (capacity, units): d loss / d output; NULL for the last layer
    cdef fnn_int inputs, units
    cdef int relu


cdef list _dense_layers(list kernels, list biases, list relu, fnn_int features):
    """_DenseLayer per kernel, its input width chained from `features`; kernels/biases checked."""
    cdef list result = []
    cdef _DenseLayer layer
    cdef fnn_int inputs = features
    if not (len(kernels) == len(biases) == len(relu)) or not kernels:
        raise ValueError("DenseStack: kernels, biases and activations must be equally long, and not empty")
    for i, (kernel, bias) in enumerate(zip(kernels, biases)):
        if type(kernel) is not np.ndarray or kernel.ndim != 2:
            raise TypeError(f"DenseStack: kernel {i} must be a 2-D float32 ndarray")
        _require(kernel, cnp.NPY_FLOAT32, (inputs, kernel.shape[1]), f"kernel {i}")
        layer = _DenseLayer()
        layer.inputs, layer.units = inputs, kernel.shape[1]
        layer.kernel = <float *> cnp.PyArray_DATA(kernel)
        layer.bias = NULL
        if bias is not None:
            _require(bias, cnp.NPY_FLOAT32, (layer.units,), f"bias {i}")
            layer.bias = <float *> cnp.PyArray_DATA(bias)
        layer.relu = 1 if relu[i] else 0
        layer.arrays = [kernel, bias]
        layer.output = layer.output_grad = layer.kernel_grad = layer.bias_grad = NULL
        result.append(layer)
        inputs = layer.units
    return result


cdef float *_buffer(_DenseLayer layer, fnn_int rows, fnn_int units):
    a = np.empty((rows, units), dtype=np.float32)
    layer.arrays.append(a)
    return <float *> cnp.PyArray_DATA(<cnp.ndarray> a)


cdef class DenseStackTrainStep:
    """The compiled calls of one training step of a Dense stack ending in softmax cross-entropy.

    x (capacity, features) float32 and targets (capacity, classes) float32 or (capacity,) int64
    are the buffers the batch is gathered into; kernels/biases the weights (float32, biases may
    be None), kernel_grads/bias_grads where the gradients go; relu[i] whether layer i (not the
    last) applies relu. All are checked here; hidden activations and gradients, logits, losses
    and probabilities are buffers of this object.
    """
    cdef list layers
    cdef object x, targets
    cdef readonly cnp.ndarray losses, probs
    cdef cnp.ndarray logits, dlogits
    cdef fnn_int capacity, features, classes
    cdef bint sparse

    def __init__(self, x, targets, list kernels, list biases, list kernel_grads, list bias_grads, list relu):
        if type(x) is not np.ndarray or x.ndim != 2:
            raise TypeError("DenseStackTrainStep: x must be a 2-D float32 ndarray")
        if not kernels or len(relu) != len(kernels):
            raise ValueError("DenseStackTrainStep: one relu flag per kernel, and at least one kernel")
        _require(x, cnp.NPY_FLOAT32, x.shape, "x")
        self.capacity, self.features = x.shape[0], x.shape[1]
        self.layers = _dense_layers(kernels, biases, relu[:len(relu) - 1] + [False], self.features)
        if len(kernel_grads) != len(self.layers) or len(bias_grads) != len(self.layers):
            raise ValueError("DenseStackTrainStep: one kernel and bias gradient per layer")
        cdef _DenseLayer layer
        grads = []
        for i, layer in enumerate(self.layers):
            _require(kernel_grads[i], cnp.NPY_FLOAT32, (layer.inputs, layer.units), f"kernel_grads[{i}]", True)
            layer.kernel_grad = <float *> cnp.PyArray_DATA(<cnp.ndarray> kernel_grads[i])
            grads.append(kernel_grads[i])
            if (bias_grads[i] is None) != (layer.bias == NULL):
                raise ValueError(f"DenseStackTrainStep: layer {i} needs a bias gradient exactly when it has a bias")
            if bias_grads[i] is not None:
                _require(bias_grads[i], cnp.NPY_FLOAT32, (layer.units,), f"bias_grads[{i}]", True)
                layer.bias_grad = <float *> cnp.PyArray_DATA(<cnp.ndarray> bias_grads[i])
                grads.append(bias_grads[i])
            layer.arrays.extend([kernel_grads[i], bias_grads[i]])
            if i < len(self.layers) - 1:
                layer.output = _buffer(layer, self.capacity, layer.units)
                layer.output_grad = _buffer(layer, self.capacity, layer.units)
        # gradients are written while the weights, x and targets are read: none may overlap those
        reads = [x, targets] + [w for w in kernels + biases if w is not None]
        for i, grad in enumerate(grads):
            for other in reads + grads[i + 1:]:
                if _may_overlap(grad, other):
                    raise ValueError("DenseStackTrainStep: a gradient buffer overlaps another operand")
        self.classes = (<_DenseLayer> self.layers[len(self.layers) - 1]).units
        self.sparse = type(targets) is np.ndarray and targets.ndim == 1
        if self.sparse:
            _require(targets, cnp.NPY_INTP, (self.capacity,), "targets")
        else:
            _require(targets, cnp.NPY_FLOAT32, (self.capacity, self.classes), "targets")
        self.x, self.targets = x, targets
        self.logits = np.empty((self.capacity, self.classes), dtype=np.float32)
        self.dlogits = np.empty((self.capacity, self.classes), dtype=np.float32)
        self.probs = np.empty((self.capacity, self.classes), dtype=np.float32)
        self.losses = np.empty(self.capacity, dtype=np.float32)

    def __call__(self, fnn_int n):
        """One step on the first n rows of x and targets: forward, cross-entropy (into losses and
        probs), every gradient; returns how many rows' argmax of probs matches the target's."""
        if n < 1 or n > self.capacity:
            raise ValueError(f"DenseStackTrainStep: batch of {n} rows for buffers of {self.capacity}")
        cdef fnn_int k = self.classes, i, last = len(self.layers) - 1
        cdef const fnn_int *classes = NULL
        cdef const float *target = NULL
        cdef fnn_int target_rs = 0
        if self.sparse:
            classes = <const fnn_int *> cnp.PyArray_DATA(<cnp.ndarray> self.targets)
            for i in range(n):
                if classes[i] < 0 or classes[i] >= k:
                    raise ValueError(f"DenseStackTrainStep: class index {classes[i]} is not in [0, {k})")
        else:
            target = <const float *> cnp.PyArray_DATA(<cnp.ndarray> self.targets)
            target_rs = k
        cdef _DenseLayer layer, below
        cdef const float *x = <const float *> cnp.PyArray_DATA(<cnp.ndarray> self.x)
        cdef float *logits = <float *> cnp.PyArray_DATA(self.logits)
        cdef float *dlogits = <float *> cnp.PyArray_DATA(self.dlogits)
        cdef float *probs = <float *> cnp.PyArray_DATA(self.probs)
        cdef float *losses = <float *> cnp.PyArray_DATA(self.losses)
        cdef int status = 0
        cdef fnn_int hits = 0, r
        cdef fnn_int shape[2]
        cdef fnn_int strides[2]
        cdef const unsigned char *reduce_rows = b"\x01\x00"
        # forward: layer i reads the output of layer i - 1 (x for the first)
        cdef const float *a = x
        for i in range(last + 1):
            layer = <_DenseLayer> self.layers[i]
            with nogil:
                status |= fastnn_sgemm(n, layer.units, layer.inputs, a, layer.inputs, 1,
                                       layer.kernel, layer.units, 1,
                                       layer.output if i < last else logits, layer.units,
                                       layer.bias, layer.relu, NULL, 0)
            a = layer.output
        with nogil:
            fastnn_softmax_xent_f32(n, k, logits, k, target, target_rs, classes, losses, probs)
            fastnn_softmax_xent_grad_f32(n, k, probs, k, target, target_rs, classes, 1.0 / n, dlogits)
        # backward: grad is d loss / d (output of layer i)
        cdef const float *grad = dlogits
        for i in range(last, -1, -1):
            layer = <_DenseLayer> self.layers[i]
            a = x if i == 0 else (<_DenseLayer> self.layers[i - 1]).output
            shape[0], shape[1] = n, layer.units
            strides[0] = 0 if n == 1 else layer.units
            strides[1] = 0 if layer.units == 1 else 1
            with nogil:
                status |= fastnn_sgemm(layer.inputs, layer.units, n, a, 1, layer.inputs,
                                       grad, layer.units, 1, layer.kernel_grad, layer.units, NULL, 0, NULL, 0)
                if layer.bias_grad != NULL:
                    fastnn_sum_to_shape_f32(2, shape, grad, strides, reduce_rows, layer.bias_grad)
            if i:
                below = <_DenseLayer> self.layers[i - 1]
                with nogil:
                    status |= fastnn_sgemm(n, layer.inputs, layer.units, grad, layer.units, 1,
                                           layer.kernel, 1, layer.units, below.output_grad, layer.inputs,
                                           NULL, 0, below.output if below.relu else NULL,
                                           layer.inputs if below.relu else 0)
                grad = below.output_grad
        if status != 0:
            raise MemoryError("DenseStackTrainStep: out of memory for packing buffers")
        if self.sparse:
            for r in range(n):
                hits += _argmax_row(probs + r * k, k) == classes[r]
        else:
            for r in range(n):
                hits += _argmax_row(probs + r * k, k) == _argmax_row(target + r * k, k)
        return hits


cdef class DenseStackForwardPass:
    """A Dense stack's output for batches: kernels/biases float32 (biases may be None), relu per
    layer, softmax after the last when `softmax`; hidden outputs go to buffers of `capacity` rows."""
    cdef list layers
    cdef cnp.ndarray logits
    cdef fnn_int capacity, features, units
    cdef bint softmax

    def __init__(self, list kernels, list biases, list relu, bint softmax, fnn_int capacity):
        if capacity < 1:
            raise ValueError(f"DenseStackForwardPass: capacity must be positive, got {capacity}")
        if not kernels or type(kernels[0]) is not np.ndarray or kernels[0].ndim != 2:
            raise TypeError("DenseStackForwardPass: kernels must be 2-D float32 ndarrays")
        self.features = kernels[0].shape[0]
        self.layers = _dense_layers(kernels, biases, relu, self.features)
        self.capacity, self.softmax = capacity, softmax
        cdef _DenseLayer layer
        for layer in self.layers[:len(self.layers) - 1]:
            layer.output = _buffer(layer, capacity, layer.units)
        self.units = (<_DenseLayer> self.layers[len(self.layers) - 1]).units
        self.logits = np.empty((capacity, self.units), dtype=np.float32)

    def __call__(self, x, out):
        """out := the stack's output for x, (n, features) float32 C-contiguous, n <= capacity."""
        if not _is_plain(x, cnp.NPY_FLOAT32, 2) or (<cnp.ndarray> x).shape[1] != self.features:
            raise TypeError(f"DenseStackForwardPass: x must be a C-contiguous (n, {self.features}) float32 array")
        cdef fnn_int n = (<cnp.ndarray> x).shape[0], i, last = len(self.layers) - 1
        if n > self.capacity:
            raise ValueError(f"DenseStackForwardPass: {n} rows for buffers of {self.capacity}")
        _require(out, cnp.NPY_FLOAT32, (n, self.units), "out", True)
        if _may_overlap(out, x):
            raise ValueError("DenseStackForwardPass: out overlaps x")
        for layer in self.layers:  # out is written before the last layer reads its weights
            if any(w is not None and _may_overlap(out, w) for w in (<_DenseLayer> layer).arrays[:2]):
                raise ValueError("DenseStackForwardPass: out overlaps a weight")
        if n == 0:
            return out
        cdef _DenseLayer layer_i
        cdef const float *a = <const float *> cnp.PyArray_DATA(<cnp.ndarray> x)
        cdef float *dst = <float *> cnp.PyArray_DATA(<cnp.ndarray> out)
        cdef float *logits = <float *> cnp.PyArray_DATA(self.logits)
        cdef int status = 0
        for i in range(last + 1):
            layer_i = <_DenseLayer> self.layers[i]
            with nogil:
                status |= fastnn_sgemm(n, layer_i.units, layer_i.inputs, a, layer_i.inputs, 1,
                                       layer_i.kernel, layer_i.units, 1,
                                       layer_i.output if i < last else (logits if self.softmax else dst),
                                       layer_i.units, layer_i.bias, layer_i.relu, NULL, 0)
            a = layer_i.output
        if status != 0:
            raise MemoryError("DenseStackForwardPass: out of memory for packing buffers")
        if self.softmax:
            with nogil:
                fastnn_softmax_f32(n, self.units, logits, self.units, dst, self.units)
        return out
