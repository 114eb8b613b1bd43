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

/* tanh(x) in float, within 2.5 ulps: below |x| = 0.4 its odd Taylor polynomial through x^15
 * (the first omitted term is below 1e-9 relative there); above, (1 - e) / (1 + e) with
 * e = exp(-2|x|) < 0.45, where 1 - e does not cancel. Both are computed and one kept, so that
 * loops over it vectorise; below 2^-12 tanh(x) rounds to x. */
FNN_INLINE float tanh_f32(float x) {
    float ax = x < 0 ? -x : x;
    float e = exp_nonpositive_f32(-2.0f * ax);
    float far = (1.0f - e) / (1.0f + e);
    float s = ax * ax;
    float p = -1.45583438705131827e-3f; /* -929569 / 638512875 */
    p = p * s + 3.59212803657248102e-3f; /* 21844 / 6081075 */
    p = p * s - 8.86323552990219657e-3f; /* 1382 / 155925 */
    p = p * s + 2.18694885361552028e-2f; /* 62 / 2835 */
    p = p * s - 5.39682539682539683e-2f; /* 17 / 315 */
    p = p * s + 1.33333333333333333e-1f; /* 2 / 15 */
    p = p * s - 3.33333333333333333e-1f;
    float near = ax + ax * s * p;
    float t = ax < 0.4f ? near : far;
    t = x < 0 ? -t : t;
    return ax < 0x1p-12f ? x : t; /* keeps -0 */
}

#endif
