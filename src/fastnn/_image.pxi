# affine_transform (csrc/image.c): the warp of image augmentation, a batch per call.
from ._image_checks import affine_transform_args

cdef extern from "fastnn.h":
    void fastnn_affine_transform_u8_f32(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const unsigned char *x, const fnn_int *xs, const double *m, const unsigned char *flips, int order, int mode, double cval, float *out) nogil
    void fastnn_affine_transform_u8_f64(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const unsigned char *x, const fnn_int *xs, const double *m, const unsigned char *flips, int order, int mode, double cval, double *out) nogil
    void fastnn_affine_transform_f32_f32(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const float *x, const fnn_int *xs, const double *m, const unsigned char *flips, int order, int mode, double cval, float *out) nogil
    void fastnn_affine_transform_f32_f64(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const float *x, const fnn_int *xs, const double *m, const unsigned char *flips, int order, int mode, double cval, double *out) nogil
    void fastnn_affine_transform_f64_f32(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const double *x, const fnn_int *xs, const double *m, const unsigned char *flips, int order, int mode, double cval, float *out) nogil
    void fastnn_affine_transform_f64_f64(fnn_int n, fnn_int h, fnn_int w, fnn_int c, const double *x, const fnn_int *xs, const double *m, const unsigned char *flips, int order, int mode, double cval, double *out) nogil
    void fastnn_cap_this_thread(int n) nogil
    int fastnn_threads_for(double work) nogil

_WARP_SOURCES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


def _cap_this_thread(int n):
    """Caps the threads of the kernels this thread calls (n >= 1), or lifts the cap (n = 0)."""
    fastnn_cap_this_thread(n)


cdef void _warp(cnp.ndarray x, const fnn_int *xs, const double *m, const unsigned char *flips, int order,
                int mode, double cval, cnp.ndarray out):
    cdef fnn_int n = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3]
    cdef int src = cnp.PyArray_TYPE(x)
    cdef bint f32 = _is_f32(out)
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    with nogil:
        if src == cnp.NPY_UINT8:
            if f32:
                fastnn_affine_transform_u8_f32(n, h, w, c, <const unsigned char *>px, xs, m, flips, order, mode, cval, <float *>po)
            else:
                fastnn_affine_transform_u8_f64(n, h, w, c, <const unsigned char *>px, xs, m, flips, order, mode, cval, <double *>po)
        elif src == cnp.NPY_FLOAT32:
            if f32:
                fastnn_affine_transform_f32_f32(n, h, w, c, <const float *>px, xs, m, flips, order, mode, cval, <float *>po)
            else:
                fastnn_affine_transform_f32_f64(n, h, w, c, <const float *>px, xs, m, flips, order, mode, cval, <double *>po)
        else:
            if f32:
                fastnn_affine_transform_f64_f32(n, h, w, c, <const double *>px, xs, m, flips, order, mode, cval, <float *>po)
            else:
                fastnn_affine_transform_f64_f64(n, h, w, c, <const double *>px, xs, m, flips, order, mode, cval, <double *>po)


def affine_transform(images, matrices, flips=None, order=1, fill_mode="nearest", cval=0.0, out=None,
                     dtype=np.float32):
    """out[b, i, j, ch] = images[b, :, :, ch] interpolated at (row, col) = matrices[b] @ (i', j', 1).

    As scipy.ndimage.affine_transform(images[b, :, :, ch], matrices[b, :, :2], matrices[b, :, 2],
    order=order, mode=fill_mode, cval=cval) per image and channel, then flipped: flips[b] = (horizontal,
    vertical) reads (i', j') = (h-1-i if vertical else i, w-1-j if horizontal else j). images is a real
    (n, h, w, c) batch (uint8, float32 and float64 are read as they are, other dtypes as float64);
    order 0 is nearest, 1 bilinear; fill_mode 'nearest', 'constant' (cval), 'reflect' or 'wrap'. The
    result has dtype float32 (default) or float64. Rows of the batch run in parallel, GIL released.
    """
    images, m, codes, mode, cval, dtype = affine_transform_args(images, matrices, flips, order, fill_mode, cval,
                                                                dtype)
    out = check_out(out, images.shape, dtype)
    if out.size == 0:
        return out
    x = images if images.dtype in _WARP_SOURCES else images.astype(np.float64)
    if not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))
    x = _addressable(x)
    work = out if _kernel_ready(out) and not _may_overlap(out, x) else np.empty(images.shape, dtype)
    cdef fnn_int xs[4]
    cdef int d
    for d in range(4):
        xs[d] = x.strides[d] // x.itemsize
    cdef cnp.ndarray mats = m
    cdef cnp.ndarray flip_codes = codes
    cdef const unsigned char *pf = NULL if codes is None else <const unsigned char *> _data(flip_codes)
    _warp(x, xs, <const double *> _data(mats), pf, order, mode, cval, work)
    _copy_back(work, out)
    return out


def _threads_granted(double work):
    """How many threads a kernel called now from this thread would use for `work` units."""
    cdef int n
    with nogil:
        n = fastnn_threads_for(work)
    return n
