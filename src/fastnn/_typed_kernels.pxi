# The C kernels come in float32/float64 pairs (fastnn.h). Each pair is one fused function here,
# named like the pair without its suffix (fastnn_add for fastnn_add_f32/_f64, fastnn_gemm for
# fastnn_sgemm/_dgemm; fastnn_gather_rows also spans its three source types), that picks the C
# function at compile time: a fused `cdef extern` declaration cannot name two C functions.
from cython cimport floating

cdef extern from "fastnn.h" nogil:
    ctypedef struct fnn_step_options:
        double clipvalue
        double clipnorm
        double global_clipnorm
        double decay
        fnn_int n_segments
        const fnn_int *segment_ends
    int fastnn_sgemm(fnn_int m, fnn_int n, fnn_int k, const float *a, fnn_int a_rs, fnn_int a_cs, const float *b, fnn_int b_rs, fnn_int b_cs, float *c, fnn_int c_rs, const float *bias, int activation, const float *mask, fnn_int mask_rs)
    int fastnn_dgemm(fnn_int m, fnn_int n, fnn_int k, const double *a, fnn_int a_rs, fnn_int a_cs, const double *b, fnn_int b_rs, fnn_int b_cs, double *c, fnn_int c_rs, const double *bias, int activation, const double *mask, fnn_int mask_rs)
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
    void fastnn_map1_f32(int op, const double *k, int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, float *out, const fnn_int *out_strides)
    void fastnn_map1_f64(int op, const double *k, int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, double *out, const fnn_int *out_strides)
    void fastnn_map2_f32(int op, const double *k, int ndim, const fnn_int *shape, const float *a, const fnn_int *a_strides, const float *b, const fnn_int *b_strides, float *out, const fnn_int *out_strides)
    void fastnn_map2_f64(int op, const double *k, int ndim, const fnn_int *shape, const double *a, const fnn_int *a_strides, const double *b, const fnn_int *b_strides, double *out, const fnn_int *out_strides)
    void fastnn_dropout_f32(fnn_int n, const float *x, float *out, float *mask, double rate, unsigned long long *state)
    void fastnn_dropout_f64(fnn_int n, const double *x, double *out, double *mask, double rate, unsigned long long *state)
    void fastnn_random_normal_f32(fnn_int n, float *out, double mean, double stddev, unsigned long long *state)
    void fastnn_random_normal_f64(fnn_int n, double *out, double mean, double stddev, unsigned long long *state)
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
    int fastnn_batch_norm_statistics_f32(fnn_int outer, fnn_int channels, fnn_int inner, const float *x, float *mean, float *variance, float *moving_mean, float *moving_variance, double momentum)
    int fastnn_batch_norm_statistics_f64(fnn_int outer, fnn_int channels, fnn_int inner, const double *x, double *mean, double *variance, double *moving_mean, double *moving_variance, double momentum)
    int fastnn_batch_norm_f32(fnn_int outer, fnn_int channels, fnn_int inner, const float *x, const float *mean, const float *variance, const float *gamma, const float *beta, double epsilon, float *y)
    int fastnn_batch_norm_f64(fnn_int outer, fnn_int channels, fnn_int inner, const double *x, const double *mean, const double *variance, const double *gamma, const double *beta, double epsilon, double *y)
    int fastnn_batch_norm_grad_f32(fnn_int outer, fnn_int channels, fnn_int inner, const float *dy, const float *x, const float *mean, const float *variance, const float *gamma, double epsilon, int training, float *dx, float *dgamma, float *dbeta)
    int fastnn_batch_norm_grad_f64(fnn_int outer, fnn_int channels, fnn_int inner, const double *dy, const double *x, const double *mean, const double *variance, const double *gamma, double epsilon, int training, double *dx, double *dgamma, double *dbeta)
    int fastnn_depthwise_conv2d_f32(const fnn_int *geometry, const float *x, const float *kernel, const float *bias, int activation, float *y)
    int fastnn_depthwise_conv2d_f64(const fnn_int *geometry, const double *x, const double *kernel, const double *bias, int activation, double *y)
    int fastnn_depthwise_conv2d_input_grad_f32(const fnn_int *geometry, const float *dy, const float *kernel, float *dx)
    int fastnn_depthwise_conv2d_input_grad_f64(const fnn_int *geometry, const double *dy, const double *kernel, double *dx)
    int fastnn_depthwise_conv2d_kernel_grad_f32(const fnn_int *geometry, const float *x, const float *dy, float *dkernel, float *dbias)
    int fastnn_depthwise_conv2d_kernel_grad_f64(const fnn_int *geometry, const double *x, const double *dy, double *dkernel, double *dbias)
    int fastnn_sgd_step_f32(fnn_int n, float *param, const float *grad, float *velocity, double lr, double momentum, int nesterov, const fnn_step_options *opt)
    int fastnn_sgd_step_f64(fnn_int n, double *param, const double *grad, double *velocity, double lr, double momentum, int nesterov, const fnn_step_options *opt)
    int fastnn_rmsprop_step_f32(fnn_int n, float *param, const float *grad, float *mean_square, float *momentum_buffer, float *average_grad, double lr, double rho, double momentum, double epsilon, const fnn_step_options *opt)
    int fastnn_rmsprop_step_f64(fnn_int n, double *param, const double *grad, double *mean_square, double *momentum_buffer, double *average_grad, double lr, double rho, double momentum, double epsilon, const fnn_step_options *opt)
    int fastnn_adagrad_step_f32(fnn_int n, float *param, const float *grad, float *accumulator, double lr, double epsilon, const fnn_step_options *opt)
    int fastnn_adagrad_step_f64(fnn_int n, double *param, const double *grad, double *accumulator, double lr, double epsilon, const fnn_step_options *opt)
    int fastnn_adam_step_f32(fnn_int n, float *param, const float *grad, float *m, float *v, float *v_max, double alpha, double beta_1, double beta_2, double epsilon, const fnn_step_options *opt)
    int fastnn_adam_step_f64(fnn_int n, double *param, const double *grad, double *m, double *v, double *v_max, double alpha, double beta_1, double beta_2, double epsilon, const fnn_step_options *opt)
    int fastnn_nadam_step_f32(fnn_int n, float *param, const float *grad, float *m, float *v, double lr, const double *coefficients, double epsilon, const fnn_step_options *opt)
    int fastnn_nadam_step_f64(fnn_int n, double *param, const double *grad, double *m, double *v, double lr, const double *coefficients, double epsilon, const fnn_step_options *opt)
    void fastnn_gather_rows_u8_f32(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs)
    void fastnn_gather_rows_u8_f64(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs)
    void fastnn_gather_rows_f32_f32(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs)
    void fastnn_gather_rows_f32_f64(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs)
    void fastnn_gather_rows_f64_f32(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs)
    void fastnn_gather_rows_f64_f64(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs)
    int fastnn_take_rows_f32(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const float *table, fnn_int table_rs, float *out, fnn_int out_rs, double *bad)
    int fastnn_take_rows_f64(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const double *table, fnn_int table_rs, double *out, fnn_int out_rs, double *bad)
    int fastnn_scatter_add_rows_f32(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const float *grad, fnn_int grad_rs, float *out, fnn_int out_rs, double *bad)
    int fastnn_scatter_add_rows_f64(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const double *grad, fnn_int grad_rs, double *out, fnn_int out_rs, double *bad)
    void fastnn_rnn_cell_f32(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const float *xz, fnn_int xz_rs, const float *hz, fnn_int hz_rs, const float *prev, fnn_int prev_rs, const float *mask, fnn_int mask_stride, float *out, fnn_int out_rs)
    void fastnn_rnn_cell_f64(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const double *xz, fnn_int xz_rs, const double *hz, fnn_int hz_rs, const double *prev, fnn_int prev_rs, const double *mask, fnn_int mask_stride, double *out, fnn_int out_rs)
    void fastnn_rnn_cell_grad_f32(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const float *record, fnn_int record_rs, const float *prev, fnn_int prev_rs, const float *dh, fnn_int dh_rs, const float *dy, fnn_int dy_rs, float *carry, fnn_int carry_rs, const float *mask, fnn_int mask_stride, float *dxz, fnn_int dxz_rs, float *dhz, fnn_int dhz_rs)
    void fastnn_rnn_cell_grad_f64(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const double *record, fnn_int record_rs, const double *prev, fnn_int prev_rs, const double *dh, fnn_int dh_rs, const double *dy, fnn_int dy_rs, double *carry, fnn_int carry_rs, const double *mask, fnn_int mask_stride, double *dxz, fnn_int dxz_rs, double *dhz, fnn_int dhz_rs)


cdef inline int fastnn_gemm(fnn_int m, fnn_int n, fnn_int k, const floating *a, fnn_int a_rs, fnn_int a_cs, const floating *b, fnn_int b_rs, fnn_int b_cs, floating *c, fnn_int c_rs, const floating *bias, int activation, const floating *mask, fnn_int mask_rs) noexcept nogil:
    if floating is float:
        return fastnn_sgemm(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, activation, mask, mask_rs)
    else:
        return fastnn_dgemm(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, activation, mask, mask_rs)

cdef inline void fastnn_add(int ndim, const fnn_int *shape, const floating *a, const fnn_int *a_strides, const floating *b, const fnn_int *b_strides, floating *out, const fnn_int *out_strides) noexcept nogil:
    if floating is float:
        fastnn_add_f32(ndim, shape, a, a_strides, b, b_strides, out, out_strides)
    else:
        fastnn_add_f64(ndim, shape, a, a_strides, b, b_strides, out, out_strides)

cdef inline void fastnn_sum_to_shape(int ndim, const fnn_int *shape, const floating *x, const fnn_int *x_strides, const unsigned char *reduce, floating *out) noexcept nogil:
    if floating is float:
        fastnn_sum_to_shape_f32(ndim, shape, x, x_strides, reduce, out)
    else:
        fastnn_sum_to_shape_f64(ndim, shape, x, x_strides, reduce, out)

cdef inline void fastnn_relu(int ndim, const fnn_int *shape, const floating *x, const fnn_int *x_strides, floating *out, const fnn_int *out_strides) noexcept nogil:
    if floating is float:
        fastnn_relu_f32(ndim, shape, x, x_strides, out, out_strides)
    else:
        fastnn_relu_f64(ndim, shape, x, x_strides, out, out_strides)

cdef inline void fastnn_relu_grad(int ndim, const fnn_int *shape, const floating *dy, const fnn_int *dy_strides, const floating *y, const fnn_int *y_strides, floating *out, const fnn_int *out_strides) noexcept nogil:
    if floating is float:
        fastnn_relu_grad_f32(ndim, shape, dy, dy_strides, y, y_strides, out, out_strides)
    else:
        fastnn_relu_grad_f64(ndim, shape, dy, dy_strides, y, y_strides, out, out_strides)

cdef inline void fastnn_softmax(fnn_int rows, fnn_int k, const floating *x, fnn_int x_rs, floating *out, fnn_int out_rs) noexcept nogil:
    if floating is float:
        fastnn_softmax_f32(rows, k, x, x_rs, out, out_rs)
    else:
        fastnn_softmax_f64(rows, k, x, x_rs, out, out_rs)

cdef inline void fastnn_softmax_grad(fnn_int rows, fnn_int k, const floating *dy, fnn_int dy_rs, const floating *y, fnn_int y_rs, floating *out, fnn_int out_rs) noexcept nogil:
    if floating is float:
        fastnn_softmax_grad_f32(rows, k, dy, dy_rs, y, y_rs, out, out_rs)
    else:
        fastnn_softmax_grad_f64(rows, k, dy, dy_rs, y, y_rs, out, out_rs)

cdef inline void fastnn_softmax_xent(fnn_int rows, fnn_int k, const floating *logits, fnn_int logits_rs, const floating *target, fnn_int target_rs, const fnn_int *classes, floating *loss, floating *probs) noexcept nogil:
    if floating is float:
        fastnn_softmax_xent_f32(rows, k, logits, logits_rs, target, target_rs, classes, loss, probs)
    else:
        fastnn_softmax_xent_f64(rows, k, logits, logits_rs, target, target_rs, classes, loss, probs)

cdef inline void fastnn_softmax_xent_grad(fnn_int rows, fnn_int k, const floating *probs, fnn_int probs_rs, const floating *target, fnn_int target_rs, const fnn_int *classes, double scale, floating *out) noexcept nogil:
    if floating is float:
        fastnn_softmax_xent_grad_f32(rows, k, probs, probs_rs, target, target_rs, classes, scale, out)
    else:
        fastnn_softmax_xent_grad_f64(rows, k, probs, probs_rs, target, target_rs, classes, scale, out)

cdef inline void fastnn_map1(int op, const double *k, int ndim, const fnn_int *shape, const floating *x, const fnn_int *x_strides, floating *out, const fnn_int *out_strides) noexcept nogil:
    if floating is float:
        fastnn_map1_f32(op, k, ndim, shape, x, x_strides, out, out_strides)
    else:
        fastnn_map1_f64(op, k, ndim, shape, x, x_strides, out, out_strides)

cdef inline void fastnn_map2(int op, const double *k, int ndim, const fnn_int *shape, const floating *a, const fnn_int *a_strides, const floating *b, const fnn_int *b_strides, floating *out, const fnn_int *out_strides) noexcept nogil:
    if floating is float:
        fastnn_map2_f32(op, k, ndim, shape, a, a_strides, b, b_strides, out, out_strides)
    else:
        fastnn_map2_f64(op, k, ndim, shape, a, a_strides, b, b_strides, out, out_strides)

cdef inline void fastnn_dropout(fnn_int n, const floating *x, floating *out, floating *mask, double rate, unsigned long long *state) noexcept nogil:
    if floating is float:
        fastnn_dropout_f32(n, x, out, mask, rate, state)
    else:
        fastnn_dropout_f64(n, x, out, mask, rate, state)

cdef inline void fastnn_random_normal(fnn_int n, floating *out, double mean, double stddev, unsigned long long *state) noexcept nogil:
    if floating is float:
        fastnn_random_normal_f32(n, out, mean, stddev, state)
    else:
        fastnn_random_normal_f64(n, out, mean, stddev, state)

cdef inline int fastnn_conv2d(const fnn_int *geometry, const floating *x, const floating *kernel, const floating *bias, int activation, floating *y, floating *scratch) noexcept nogil:
    if floating is float:
        return fastnn_conv2d_f32(geometry, x, kernel, bias, activation, y, scratch)
    else:
        return fastnn_conv2d_f64(geometry, x, kernel, bias, activation, y, scratch)

cdef inline int fastnn_conv2d_input_grad(const fnn_int *geometry, const floating *dy, const floating *kernel, const floating *mask, floating *dx, floating *scratch) noexcept nogil:
    if floating is float:
        return fastnn_conv2d_input_grad_f32(geometry, dy, kernel, mask, dx, scratch)
    else:
        return fastnn_conv2d_input_grad_f64(geometry, dy, kernel, mask, dx, scratch)

cdef inline int fastnn_conv2d_kernel_grad(const fnn_int *geometry, const floating *x, const floating *dy, floating *dkernel, floating *dbias, floating *scratch) noexcept nogil:
    if floating is float:
        return fastnn_conv2d_kernel_grad_f32(geometry, x, dy, dkernel, dbias, scratch)
    else:
        return fastnn_conv2d_kernel_grad_f64(geometry, x, dy, dkernel, dbias, scratch)

cdef inline void fastnn_max_pool2d(const fnn_int *geometry, const floating *x, floating *y) noexcept nogil:
    if floating is float:
        fastnn_max_pool2d_f32(geometry, x, y)
    else:
        fastnn_max_pool2d_f64(geometry, x, y)

cdef inline void fastnn_max_pool2d_grad(const fnn_int *geometry, const floating *x, const floating *dy, const floating *mask, floating *dx) noexcept nogil:
    if floating is float:
        fastnn_max_pool2d_grad_f32(geometry, x, dy, mask, dx)
    else:
        fastnn_max_pool2d_grad_f64(geometry, x, dy, mask, dx)

cdef inline void fastnn_avg_pool2d(const fnn_int *geometry, const floating *x, floating *y) noexcept nogil:
    if floating is float:
        fastnn_avg_pool2d_f32(geometry, x, y)
    else:
        fastnn_avg_pool2d_f64(geometry, x, y)

cdef inline void fastnn_avg_pool2d_grad(const fnn_int *geometry, const floating *dy, const floating *mask, floating *dx) noexcept nogil:
    if floating is float:
        fastnn_avg_pool2d_grad_f32(geometry, dy, mask, dx)
    else:
        fastnn_avg_pool2d_grad_f64(geometry, dy, mask, dx)

cdef inline int fastnn_sgd_step(fnn_int n, floating *param, const floating *grad, floating *velocity, double lr, double momentum, int nesterov, const fnn_step_options *opt) noexcept nogil:
    if floating is float:
        return fastnn_sgd_step_f32(n, param, grad, velocity, lr, momentum, nesterov, opt)
    else:
        return fastnn_sgd_step_f64(n, param, grad, velocity, lr, momentum, nesterov, opt)

cdef inline int fastnn_rmsprop_step(fnn_int n, floating *param, const floating *grad, floating *mean_square, floating *momentum_buffer, floating *average_grad, double lr, double rho, double momentum, double epsilon, const fnn_step_options *opt) noexcept nogil:
    if floating is float:
        return fastnn_rmsprop_step_f32(n, param, grad, mean_square, momentum_buffer, average_grad, lr, rho, momentum, epsilon, opt)
    else:
        return fastnn_rmsprop_step_f64(n, param, grad, mean_square, momentum_buffer, average_grad, lr, rho, momentum, epsilon, opt)

cdef inline int fastnn_adagrad_step(fnn_int n, floating *param, const floating *grad, floating *accumulator, double lr, double epsilon, const fnn_step_options *opt) noexcept nogil:
    if floating is float:
        return fastnn_adagrad_step_f32(n, param, grad, accumulator, lr, epsilon, opt)
    else:
        return fastnn_adagrad_step_f64(n, param, grad, accumulator, lr, epsilon, opt)

cdef inline int fastnn_adam_step(fnn_int n, floating *param, const floating *grad, floating *m, floating *v, floating *v_max, double alpha, double beta_1, double beta_2, double epsilon, const fnn_step_options *opt) noexcept nogil:
    if floating is float:
        return fastnn_adam_step_f32(n, param, grad, m, v, v_max, alpha, beta_1, beta_2, epsilon, opt)
    else:
        return fastnn_adam_step_f64(n, param, grad, m, v, v_max, alpha, beta_1, beta_2, epsilon, opt)

cdef inline int fastnn_nadam_step(fnn_int n, floating *param, const floating *grad, floating *m, floating *v, double lr, const double *coefficients, double epsilon, const fnn_step_options *opt) noexcept nogil:
    if floating is float:
        return fastnn_nadam_step_f32(n, param, grad, m, v, lr, coefficients, epsilon, opt)
    else:
        return fastnn_nadam_step_f64(n, param, grad, m, v, lr, coefficients, epsilon, opt)

ctypedef fused row_source:
    unsigned char
    float
    double

cdef inline void fastnn_gather_rows(fnn_int count, fnn_int row, const row_source *x, fnn_int x_rs, const fnn_int *idx, floating *out, fnn_int out_rs) noexcept nogil:
    if row_source is float and floating is float:
        fastnn_gather_rows_f32_f32(count, row, x, x_rs, idx, out, out_rs)
    elif row_source is float:
        fastnn_gather_rows_f32_f64(count, row, x, x_rs, idx, out, out_rs)
    elif row_source is double and floating is float:
        fastnn_gather_rows_f64_f32(count, row, x, x_rs, idx, out, out_rs)
    elif row_source is double:
        fastnn_gather_rows_f64_f64(count, row, x, x_rs, idx, out, out_rs)
    elif floating is float:
        fastnn_gather_rows_u8_f32(count, row, x, x_rs, idx, out, out_rs)
    else:
        fastnn_gather_rows_u8_f64(count, row, x, x_rs, idx, out, out_rs)

cdef inline int fastnn_batch_norm_statistics(fnn_int outer, fnn_int channels, fnn_int inner, const floating *x, floating *mean, floating *variance, floating *moving_mean, floating *moving_variance, double momentum) noexcept nogil:
    if floating is float:
        return fastnn_batch_norm_statistics_f32(outer, channels, inner, x, mean, variance, moving_mean, moving_variance, momentum)
    else:
        return fastnn_batch_norm_statistics_f64(outer, channels, inner, x, mean, variance, moving_mean, moving_variance, momentum)

cdef inline int fastnn_batch_norm(fnn_int outer, fnn_int channels, fnn_int inner, const floating *x, const floating *mean, const floating *variance, const floating *gamma, const floating *beta, double epsilon, floating *y) noexcept nogil:
    if floating is float:
        return fastnn_batch_norm_f32(outer, channels, inner, x, mean, variance, gamma, beta, epsilon, y)
    else:
        return fastnn_batch_norm_f64(outer, channels, inner, x, mean, variance, gamma, beta, epsilon, y)

cdef inline int fastnn_batch_norm_grad(fnn_int outer, fnn_int channels, fnn_int inner, const floating *dy, const floating *x, const floating *mean, const floating *variance, const floating *gamma, double epsilon, int training, floating *dx, floating *dgamma, floating *dbeta) noexcept nogil:
    if floating is float:
        return fastnn_batch_norm_grad_f32(outer, channels, inner, dy, x, mean, variance, gamma, epsilon, training, dx, dgamma, dbeta)
    else:
        return fastnn_batch_norm_grad_f64(outer, channels, inner, dy, x, mean, variance, gamma, epsilon, training, dx, dgamma, dbeta)

cdef inline int fastnn_depthwise_conv2d(const fnn_int *geometry, const floating *x, const floating *kernel, const floating *bias, int activation, floating *y) noexcept nogil:
    if floating is float:
        return fastnn_depthwise_conv2d_f32(geometry, x, kernel, bias, activation, y)
    else:
        return fastnn_depthwise_conv2d_f64(geometry, x, kernel, bias, activation, y)

cdef inline int fastnn_depthwise_conv2d_input_grad(const fnn_int *geometry, const floating *dy, const floating *kernel, floating *dx) noexcept nogil:
    if floating is float:
        return fastnn_depthwise_conv2d_input_grad_f32(geometry, dy, kernel, dx)
    else:
        return fastnn_depthwise_conv2d_input_grad_f64(geometry, dy, kernel, dx)

cdef inline int fastnn_depthwise_conv2d_kernel_grad(const fnn_int *geometry, const floating *x, const floating *dy, floating *dkernel, floating *dbias) noexcept nogil:
    if floating is float:
        return fastnn_depthwise_conv2d_kernel_grad_f32(geometry, x, dy, dkernel, dbias)
    else:
        return fastnn_depthwise_conv2d_kernel_grad_f64(geometry, x, dy, dkernel, dbias)


cdef inline int fastnn_take_rows(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const floating *table, fnn_int table_rs, floating *out, fnn_int out_rs, double *bad) noexcept nogil:
    if floating is float:
        return fastnn_take_rows_f32(count, dim, indices, index_type, rows, table, table_rs, out, out_rs, bad)
    else:
        return fastnn_take_rows_f64(count, dim, indices, index_type, rows, table, table_rs, out, out_rs, bad)

cdef inline int fastnn_scatter_add_rows(fnn_int count, fnn_int dim, const void *indices, int index_type, fnn_int rows, const floating *grad, fnn_int grad_rs, floating *out, fnn_int out_rs, double *bad) noexcept nogil:
    if floating is float:
        return fastnn_scatter_add_rows_f32(count, dim, indices, index_type, rows, grad, grad_rs, out, out_rs, bad)
    else:
        return fastnn_scatter_add_rows_f64(count, dim, indices, index_type, rows, grad, grad_rs, out, out_rs, bad)

cdef inline void fastnn_rnn_cell(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const floating *xz, fnn_int xz_rs, const floating *hz, fnn_int hz_rs, const floating *prev, fnn_int prev_rs, const floating *mask, fnn_int mask_stride, floating *out, fnn_int out_rs) noexcept nogil:
    if floating is float:
        fastnn_rnn_cell_f32(cell, activation, recurrent_activation, n, u, xz, xz_rs, hz, hz_rs, prev, prev_rs, mask, mask_stride, out, out_rs)
    else:
        fastnn_rnn_cell_f64(cell, activation, recurrent_activation, n, u, xz, xz_rs, hz, hz_rs, prev, prev_rs, mask, mask_stride, out, out_rs)

cdef inline void fastnn_rnn_cell_grad(int cell, int activation, int recurrent_activation, fnn_int n, fnn_int u, const floating *record, fnn_int record_rs, const floating *prev, fnn_int prev_rs, const floating *dh, fnn_int dh_rs, const floating *dy, fnn_int dy_rs, floating *carry, fnn_int carry_rs, const floating *mask, fnn_int mask_stride, floating *dxz, fnn_int dxz_rs, floating *dhz, fnn_int dhz_rs) noexcept nogil:
    if floating is float:
        fastnn_rnn_cell_grad_f32(cell, activation, recurrent_activation, n, u, record, record_rs, prev, prev_rs, dh, dh_rs, dy, dy_rs, carry, carry_rs, mask, mask_stride, dxz, dxz_rs, dhz, dhz_rs)
    else:
        fastnn_rnn_cell_grad_f64(cell, activation, recurrent_activation, n, u, record, record_rs, prev, prev_rs, dh, dh_rs, dy, dy_rs, carry, carry_rs, mask, mask_stride, dxz, dxz_rs, dhz, dhz_rs)
