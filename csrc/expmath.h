/* Exp-based math written so that loops over it vectorise (no libm calls). */
#ifndef FASTNN_EXPMATH_H
#define FASTNN_EXPMATH_H

#include <stdint.h>

#include "dispatch.h"

/* exp(y) for y <= 0, branch-free so loops over it vectorise: y = n ln2 + r with
 * |r| <= ln2/2, exp(r) by its Taylor polynomial, 2^n built in the exponent bits.
 * Results that would be below the smallest normal number are returned as 0; a
 * NaN stays NaN. Relative error about 1 ulp. */
FNN_INLINE float exp_nonpositive_f32(float y) {
    const float lowest = -87.0f, shifter = 12582912.0f; /* 1.5 * 2^23 */
    float yc = y < lowest ? lowest : y;
    float t = yc * 1.44269504088896341f + shifter;
    float n = t - shifter;
    float r = yc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { float f; uint32_t u; } scale = {.f = t};
    scale.u = (scale.u + 127u) << 23;
    return y < lowest ? 0.0f : p * scale.f;
}

FNN_INLINE double exp_nonpositive_f64(double y) {
    const double lowest = -708.0, shifter = 6755399441055744.0; /* 1.5 * 2^52 */
    double yc = y < lowest ? lowest : y;
    double t = yc * 1.4426950408889634 + shifter;
    double n = t - shifter;
    double r = yc - n * 6.93147180369123816490e-01;
    r = r - n * 1.90821492927058770002e-10;
    double p = 1.0 / 479001600;
    p = p * r + 1.0 / 39916800;
    p = p * r + 1.0 / 3628800;
    p = p * r + 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    union { double f; uint64_t u; } scale = {.f = t};
    scale.u = (scale.u + 1023u) << 52;
    return y < lowest ? 0.0 : p * scale.f;
}

/* 1 / (1 + exp(-x)) from e = exp(-|x|), which never overflows. */
FNN_INLINE float sigmoid_f32(float x) {
    float e = exp_nonpositive_f32(x < 0 ? x : -x);
    return x >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

FNN_INLINE double sigmoid_f64(double x) {
    double e = exp_nonpositive_f64(x < 0 ? x : -x);
    return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* tanh(x) = (1 - e) / (1 + e), e = exp(-2|x|), in double so that 1 - e keeps float's
 * precision for |x| >= 2^-12; below that tanh(x) rounds to x in float. */
FNN_INLINE float tanh_f32(float x) {
    double ax = x < 0 ? -(double)x : (double)x;
    double e = exp_nonpositive_f64(-2.0 * ax);
    float t = (float)((1.0 - e) / (1.0 + e));
    t = x < 0 ? -t : t;
    return ax < 0x1p-12 ? x : t;
}

#endif
