/* Keras's activation functions and their derivatives, one element at a time.
 *
 * Built on expmath.h so that loops over them vectorise; only the exact GELU calls libm
 * (erfc). float32 versions compute in double where a subtraction would otherwise cancel,
 * then round once. NaN stays NaN.
 */
#ifndef FASTNN_ACTIVATION_MATH_H
#define FASTNN_ACTIVATION_MATH_H

#include <math.h>

#include "expmath.h"

/* expm1(y) for y <= 0: a Taylor polynomial for -ln2/2 < y <= 0, exp(y) - 1 below, where
 * exp(y) <= 1/sqrt(2) keeps the subtraction within two bits. */
FNN_INLINE double expm1_nonpositive_f64(double y) {
    double p = 1.0 / 6227020800; /* 1 / 13! */
    p = p * y + 1.0 / 479001600;
    p = p * y + 1.0 / 39916800;
    p = p * y + 1.0 / 3628800;
    p = p * y + 1.0 / 362880;
    p = p * y + 1.0 / 40320;
    p = p * y + 1.0 / 5040;
    p = p * y + 1.0 / 720;
    p = p * y + 1.0 / 120;
    p = p * y + 1.0 / 24;
    p = p * y + 1.0 / 6;
    p = p * y + 0.5;
    p = p * y + 1.0;
    double near_zero = p * y, far = exp_nonpositive_f64(y) - 1.0;
    return y > -0.34657359027997264 ? near_zero : far;
}

/* log(1 + e) for 0 <= e <= 1: 2 atanh(z), z = e / (2 + e) <= 1/3, by its odd series
 * (the first omitted term is below 2e-18 relative). */
FNN_INLINE double log1p_unit_f64(double e) {
    double z = e / (2.0 + e), z2 = z * z;
    double p = 1.0 / 35;
    p = p * z2 + 1.0 / 33;
    p = p * z2 + 1.0 / 31;
    p = p * z2 + 1.0 / 29;
    p = p * z2 + 1.0 / 27;
    p = p * z2 + 1.0 / 25;
    p = p * z2 + 1.0 / 23;
    p = p * z2 + 1.0 / 21;
    p = p * z2 + 1.0 / 19;
    p = p * z2 + 1.0 / 17;
    p = p * z2 + 1.0 / 15;
    p = p * z2 + 1.0 / 13;
    p = p * z2 + 1.0 / 11;
    p = p * z2 + 1.0 / 9;
    p = p * z2 + 1.0 / 7;
    p = p * z2 + 1.0 / 5;
    p = p * z2 + 1.0 / 3;
    p = p * z2 + 1.0;
    return 2.0 * z * p;
}

/* scale * (x >= 0 ? x : alpha * (exp(x) - 1)): ELU, and SELU with Keras's constants. */
FNN_INLINE float elu_f32(float x, float alpha, float scale) {
    float negative = alpha * (float)expm1_nonpositive_f64(x > 0 ? 0.0 : (double)x);
    return scale * (x >= 0 ? x : negative);
}

FNN_INLINE double elu_f64(double x, double alpha, double scale) {
    double negative = alpha * expm1_nonpositive_f64(x > 0 ? 0.0 : x);
    return scale * (x >= 0 ? x : negative);
}

/* d elu / dx: scale for x >= 0, scale * alpha * exp(x) below. */
FNN_INLINE float elu_slope_f32(float x, float alpha, float scale) {
    return x >= 0 ? scale : scale * alpha * exp_nonpositive_f32(x > 0 ? 0.0f : x);
}

FNN_INLINE double elu_slope_f64(double x, double alpha, double scale) {
    return x >= 0 ? scale : scale * alpha * exp_nonpositive_f64(x > 0 ? 0.0 : x);
}

/* log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), never overflowing. */
FNN_INLINE float softplus_f32(float x) {
    double e = exp_nonpositive_f64(x < 0 ? (double)x : -(double)x);
    return (float)((x > 0 ? (double)x : 0.0) + log1p_unit_f64(e));
}

FNN_INLINE double softplus_f64(double x) {
    return (x > 0 ? x : 0.0) + log1p_unit_f64(exp_nonpositive_f64(x < 0 ? x : -x));
}

/* 0.5 x (1 + erf(x / sqrt(2))), written with erfc so that it keeps its precision for x < 0. */
FNN_INLINE double gelu_f64(double x) { return 0.5 * x * erfc(-x * 0.70710678118654752440); }

FNN_INLINE float gelu_f32(float x) { return (float)gelu_f64((double)x); }

/* Phi(x) + x phi(x): the standard normal's distribution plus x times its density. */
FNN_INLINE double gelu_slope_f64(double x) {
    return 0.5 * erfc(-x * 0.70710678118654752440) +
           x * (0.39894228040143267794 * exp_nonpositive_f64(-0.5 * x * x));
}

FNN_INLINE float gelu_slope_f32(float x) { return (float)gelu_slope_f64((double)x); }

/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) = x sigmoid(v), v twice tanh's argument. */
#define GELU_TANH_V 1.59576912160573071176 /* 2 sqrt(2 / pi) */
#define GELU_TANH_CUBIC 0.044715

FNN_INLINE double gelu_approximate_f64(double x) {
    double v = GELU_TANH_V * x * (1.0 + GELU_TANH_CUBIC * x * x);
    return x * sigmoid_f64(v);
}

FNN_INLINE float gelu_approximate_f32(float x) { return (float)gelu_approximate_f64((double)x); }

/* s + x s (1 - s) v', s = sigmoid(v); s (1 - s) from e = exp(-|v|) without cancelling and
 * taken as 0 where it underflows (so that x v' overflowing cannot make a NaN). */
FNN_INLINE double gelu_approximate_slope_f64(double x) {
    double v = GELU_TANH_V * x * (1.0 + GELU_TANH_CUBIC * x * x);
    double dv = GELU_TANH_V * (1.0 + 3 * GELU_TANH_CUBIC * x * x);
    double e = exp_nonpositive_f64(v < 0 ? v : -v), r = 1.0 / (1.0 + e);
    double s = v >= 0 ? r : e * r, s_times_rest = e * r * r;
    double curvature = s_times_rest > 0 ? x * s_times_rest * dv : 0.0;
    return s + curvature;
}

FNN_INLINE float gelu_approximate_slope_f32(float x) { return (float)gelu_approximate_slope_f64((double)x); }

/* d (x sigmoid(x)) / dx = s (1 + x (1 - s)), s and 1 - s from one e = exp(-|x|). */
FNN_INLINE float silu_slope_f32(float x) {
    float e = exp_nonpositive_f32(x < 0 ? x : -x), r = 1.0f / (1.0f + e);
    float s = x >= 0 ? r : e * r, rest = x >= 0 ? e * r : r;
    return s * (1.0f + x * rest);
}

FNN_INLINE double silu_slope_f64(double x) {
    double e = exp_nonpositive_f64(x < 0 ? x : -x), r = 1.0 / (1.0 + e);
    double s = x >= 0 ? r : e * r, rest = x >= 0 ? e * r : r;
    return s * (1.0 + x * rest);
}

/* relu6(x + 3) / 6; its slope is 1/6 where x + 3 lies strictly between 0 and 6, else 0. */
FNN_INLINE float hard_sigmoid_f32(float x) {
    float t = x + 3.0f;
    return (t < 0 ? 0.0f : (t > 6 ? 6.0f : t)) / 6.0f;
}

FNN_INLINE double hard_sigmoid_f64(double x) {
    double t = x + 3.0;
    return (t < 0 ? 0.0 : (t > 6 ? 6.0 : t)) / 6.0;
}

FNN_INLINE int hard_sigmoid_passes_f32(float x) { return x + 3.0f > 0 && x + 3.0f < 6; }

FNN_INLINE int hard_sigmoid_passes_f64(double x) { return x + 3.0 > 0 && x + 3.0 < 6; }

#endif
