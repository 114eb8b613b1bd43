/* Compiles a file's typed part twice: with real = float (names ending _f32) and with
 * real = double (_f64). The file defines FNN_TYPED_FILE as its own name, includes this header
 * where its untyped part ends, and writes its typed part after #else of `#ifndef FNN_REAL`. */
#define FNN_REAL float
#define FN(name) name##_f32
#include FNN_TYPED_FILE
#undef FNN_REAL
#undef FN
#define FNN_REAL double
#define FN(name) name##_f64
#include FNN_TYPED_FILE
#undef FNN_REAL
#undef FN
