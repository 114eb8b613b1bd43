/* GEMM internals: the blocking table, the micro-kernel contracts, packing and the
 * instruction sets' kernel tables.
 *
 * The dense driver (gemm_dense.inc) walks C in NC x MC blocks and K in KC slices, packs A
 * into MR-row panels and B into NR-column panels, and calls one MR x NR micro-kernel per
 * tile. The zero-skipping driver (gemm_sparse_driver.inc) packs A once, drops the k steps
 * where a panel is all zero, and calls sparse kernels on what is left. gemm.c picks the
 * instruction set (from the CPU probe, cpu.h) and, per call, the driver. Everything here
 * is per element type: suffix _s for float, _d for double.
 */
#ifndef FASTNN_GEMM_H
#define FASTNN_GEMM_H

#include "fastnn.h"

#include <stdint.h>

/* ---- blocking table: per ISA and dtype ---------------------------------- */
/* MR x NR is the register tile; MC rows of A (MC x KC, per thread) live in L2;
 * a KC x NR panel of B lives in L1; KC x NC of B is shared by all threads.
 * KC fixes the summation order, so it depends only on the ISA and dtype. */
#define GEMM_AVX512_S_MR 14
#define GEMM_AVX512_S_NR 32
#define GEMM_AVX512_S_MC 224
#define GEMM_AVX512_S_KC 256
#define GEMM_AVX512_S_NC 4096

#define GEMM_AVX512_D_MR 14
#define GEMM_AVX512_D_NR 16
#define GEMM_AVX512_D_MC 84
#define GEMM_AVX512_D_KC 256
#define GEMM_AVX512_D_NC 4096

/* For C at most one vector wide: the same KC (so the same bits), a tile one vector wide. */
#define GEMM_AVX512_NARROW_S_MR 8
#define GEMM_AVX512_NARROW_S_NR 16
#define GEMM_AVX512_NARROW_S_MC 128
#define GEMM_AVX512_NARROW_D_MR 8
#define GEMM_AVX512_NARROW_D_NR 8
#define GEMM_AVX512_NARROW_D_MC 128

#define GEMM_AVX2_S_MR 6
#define GEMM_AVX2_S_NR 16
#define GEMM_AVX2_S_MC 96
#define GEMM_AVX2_S_KC 256
#define GEMM_AVX2_S_NC 4080

#define GEMM_AVX2_D_MR 6
#define GEMM_AVX2_D_NR 8
#define GEMM_AVX2_D_MC 72
#define GEMM_AVX2_D_KC 256
#define GEMM_AVX2_D_NC 4080

#define GEMM_PORTABLE_S_MR 4
#define GEMM_PORTABLE_S_NR 8
#define GEMM_PORTABLE_S_MC 128
#define GEMM_PORTABLE_S_KC 256
#define GEMM_PORTABLE_S_NC 4096

#define GEMM_PORTABLE_D_MR 4
#define GEMM_PORTABLE_D_NR 4
#define GEMM_PORTABLE_D_MC 128
#define GEMM_PORTABLE_D_KC 256
#define GEMM_PORTABLE_D_NC 4096

/* C at most this many NR panels wide reads full MR-row panels of A unpacked. */
#define GEMM_A_IN_PLACE_MAX_N 4
/* When all m rows x KC of A fit in this many bytes, A is packed once and shared and each
 * thread packs its own B panels (the few-rows loop); above, B is packed once and shared. */
#define GEMM_SMALL_M_A_BYTES (256 * 1024)
/* Elements of B packed at once (all of k for NC columns); NC shrinks to fit. */
#define GEMM_B_PACK_MAX ((fnn_int)1 << 21)
/* C of at most this many rows with B's columns adjacent goes to the ISA's rows kernel. */
#define GEMM_ROWS_MAX_M 2
/* Columns of C per work unit of the rows kernel, in NR panels. */
#define GEMM_ROWS_UNIT_PANELS 4
/* With several threads, aim for this many work units per thread (taken dynamically, so a thread
 * slowed down by another process holds up only its current units). */
#define GEMM_UNITS_PER_THREAD 4
/* A row group of the few-rows and zero-skipping loops holds at least this many row panels. */
#define GEMM_MIN_GROUP_PANELS 4
/* Alignment of packed panels and scratch tiles, in bytes. */
#define GEMM_ALIGN 64

/* ---- epilogue: applied once, when the last KC slice is stored ------------ */
/* v := v + bias[j]; v := (relu && v < 0) ? 0 : v; v := mask[i*mask_rs + j] > 0 ? v : 0.
 * bias and mask point at the tile's origin and may be NULL. */
typedef struct { const float *bias; int relu; const float *mask; fnn_int mask_rs; } gemm_epilogue_s;
typedef struct { const double *bias; int relu; const double *mask; fnn_int mask_rs; } gemm_epilogue_d;

/* ---- micro-kernel contract ----------------------------------------------- */
/* c[i*c_rs + j] for i < rows, j < cols := (accumulate ? c[...] : 0) + acc[i][j], then the
 * epilogue when ep != NULL, where acc[i][j] = sum_{p < kc} a[i*a_rs + p*a_cs] * b[p*NR + j]
 * starts from 0 and adds in order of p (one rounding per step, the same in every kernel of
 * an ISA). 1 <= rows <= MR, 1 <= cols <= NR; the rest of the MR x NR tile is computed but
 * never stored, and c is never read when accumulate is 0. b is a packed panel
 * (GEMM_ALIGN-aligned, zero past its columns); a is a packed panel (a_rs 1, a_cs MR, zero
 * past its rows) or MR rows of A read in place; kc >= 1. */
typedef void (*gemm_kernel_s)(fnn_int kc, const float *a, fnn_int a_rs, fnn_int a_cs, const float *b,
                              float *c, fnn_int c_rs, int rows, int cols, int accumulate,
                              const gemm_epilogue_s *ep);
typedef void (*gemm_kernel_d)(fnn_int kc, const double *a, fnn_int a_rs, fnn_int a_cs, const double *b,
                              double *c, fnn_int c_rs, int rows, int cols, int accumulate,
                              const gemm_epilogue_d *ep);

/* Rows kernel (where an ISA has one, else NULL): the micro-kernel contract for one row of C
 * (rows 1) and any number of columns, with B read in place: acc[j] = sum_{p < kc} a[p*a_cs] *
 * b[p*b_rs + j], the same arithmetic in the same order as the ISA's kernel, so the same bits.
 * It serves C of a few rows, where packing B would cost as much as using it (a matrix-vector
 * product: the weights streamed once, no copy). */
typedef void (*gemm_rows_kernel_s)(fnn_int kc, const float *a, fnn_int a_cs, const float *b, fnn_int b_rs,
                                   float *c, fnn_int cols, int accumulate, const gemm_epilogue_s *ep);
typedef void (*gemm_rows_kernel_d)(fnn_int kc, const double *a, fnn_int a_cs, const double *b, fnn_int b_rs,
                                   double *c, fnn_int cols, int accumulate, const gemm_epilogue_d *ep);

/* Packing of A rows and of one B panel, with the contracts of gemm_pack_a_s/_d and
 * gemm_pack_b_s/_d below. */
typedef void (*gemm_pack_a_fn_s)(int mr, fnn_int rows, fnn_int kc, const float *a, fnn_int rs,
                                 fnn_int cs, float *dst);
typedef void (*gemm_pack_a_fn_d)(int mr, fnn_int rows, fnn_int kc, const double *a, fnn_int rs,
                                 fnn_int cs, double *dst);
typedef int (*gemm_pack_b_fn_s)(int nr, fnn_int cols, fnn_int kc, const float *b, fnn_int rs,
                                fnn_int cs, float *dst);
typedef int (*gemm_pack_b_fn_d)(int nr, fnn_int cols, fnn_int kc, const double *b, fnn_int rs,
                                fnn_int cs, double *dst);

/* What the dense driver needs of an ISA, per dtype. */
typedef struct {
    int mr, nr, mc, kc, nc;
    gemm_kernel_s kernel;
    gemm_pack_a_fn_s pack_a;
    gemm_pack_b_fn_s pack_b;
    gemm_rows_kernel_s rows_kernel;
} gemm_config_s;
typedef struct {
    int mr, nr, mc, kc, nc;
    gemm_kernel_d kernel;
    gemm_pack_a_fn_d pack_a;
    gemm_pack_b_fn_d pack_b;
    gemm_rows_kernel_d rows_kernel;
} gemm_config_d;

/* ---- zero-skipping kernels ------------------------------------------------ */
/* The micro-kernel contract for a compacted A panel: acc[i][j] = sum_{q < kept} a[q*MR + i] *
 * b[steps[q]*NR + j], in order of q. steps is increasing; kept >= 0. */
typedef void (*gemm_sparse_kernel_s)(fnn_int kept, const float *a, const int32_t *steps, const float *b,
                                     float *c, fnn_int c_rs, int rows, int cols, int accumulate,
                                     const gemm_epilogue_s *ep);
typedef void (*gemm_sparse_kernel_d)(fnn_int kept, const double *a, const int32_t *steps, const double *b,
                                     double *c, fnn_int c_rs, int rows, int cols, int accumulate,
                                     const gemm_epilogue_d *ep);

/* Zero skipping in slivers, where an ISA has it (else the two fields are NULL): a packed
 * 6-row panel of A is also compacted as three 2-row slivers, which drop more all-zero
 * steps than the whole panel, and each sliver meets two adjacent B panels at once in a
 * 2 x 2NR sparse kernel (eight accumulators).
 * Wide kernel: the sparse-kernel contract for a 2 x 2NR tile (rows <= 2, cols <= 2NR) whose B
 * row for step p is b0[p*NR ..] in columns 0..NR-1 and b1[p*NR ..] in columns NR..2NR-1;
 * a holds kept x 2.
 * compact_slivers: from the packed panel (kc x 6, left unchanged) writes sliver t's kept
 * steps (kept[t] x 2) at slivers + t * 2 * kc and their indices at steps + t * kc, and
 * returns 1; returns 0 when no sliver has an all-zero step. */
#define GEMM_SLIVER_ROWS 2
#define GEMM_SLIVERS 3
typedef void (*gemm_wide_kernel_s)(fnn_int kept, const float *a, const int32_t *steps, const float *b0,
                                   const float *b1, float *c, fnn_int c_rs, int rows, int cols,
                                   int accumulate, const gemm_epilogue_s *ep);
typedef void (*gemm_wide_kernel_d)(fnn_int kept, const double *a, const int32_t *steps, const double *b0,
                                   const double *b1, double *c, fnn_int c_rs, int rows, int cols,
                                   int accumulate, const gemm_epilogue_d *ep);
typedef int (*gemm_compact_slivers_fn_s)(fnn_int kc, const float *panel, float *slivers, int32_t *steps,
                                         fnn_int kept[GEMM_SLIVERS]);
typedef int (*gemm_compact_slivers_fn_d)(fnn_int kc, const double *panel, double *slivers, int32_t *steps,
                                         fnn_int kept[GEMM_SLIVERS]);
/* Compaction of a packed A panel, with the contract of gemm_compact_a_s/_d below. */
typedef fnn_int (*gemm_compact_a_fn_s)(int mr, fnn_int kc, float *panel, int32_t *steps);
typedef fnn_int (*gemm_compact_a_fn_d)(int mr, fnn_int kc, double *panel, int32_t *steps);

/* What the zero-skipping driver needs of an ISA on top of its dense config, per dtype. */
typedef struct {
    gemm_sparse_kernel_s sparse_kernel;
    gemm_compact_a_fn_s compact_a;
    gemm_wide_kernel_s wide_kernel;
    gemm_compact_slivers_fn_s compact_slivers;
} gemm_sparse_config_s;
typedef struct {
    gemm_sparse_kernel_d sparse_kernel;
    gemm_compact_a_fn_d compact_a;
    gemm_wide_kernel_d wide_kernel;
    gemm_compact_slivers_fn_d compact_slivers;
} gemm_sparse_config_d;

/* ---- instruction sets ----------------------------------------------------- */
/* One instruction set's kernels and blocking for both dtypes. narrow_s/_d (kernel NULL where
 * an ISA has none) serve C no wider than their NR, with the KC of s/d: a narrower tile that
 * wastes less on padding and gives the same bits; they have no zero skipping. */
typedef struct {
    const char *name;
    gemm_config_s s;
    gemm_config_d d;
    gemm_sparse_config_s sparse_s;
    gemm_sparse_config_d sparse_d;
    gemm_config_s narrow_s;
    gemm_config_d narrow_d;
} gemm_isa;

extern const gemm_isa gemm_isa_portable;
/* NULL when not compiled in (only GCC/Clang on x86 build them); use only on a CPU that has
 * the instruction set (cpu.h). */
extern const gemm_isa *const gemm_isa_avx2;
extern const gemm_isa *const gemm_isa_avx512;

/* ---- packing (gemm_pack.c) ------------------------------------------------ */
/* dst := the rows x kc block at a (strides rs, cs) as ceil(rows/mr) panels of
 * kc x mr (panel q holds rows q*mr.., element (i, p) at q*mr*kc + p*mr + i),
 * rows past `rows` zero-filled. */
void gemm_pack_a_s(int mr, fnn_int rows, fnn_int kc, const float *a, fnn_int rs, fnn_int cs, float *dst);
void gemm_pack_a_d(int mr, fnn_int rows, fnn_int kc, const double *a, fnn_int rs, fnn_int cs, double *dst);
/* dst := the kc x cols block at b (strides rs, cs), cols <= nr, as one kc x nr
 * panel (element (p, j) at p*nr + j), columns past `cols` zero-filled; returns 1
 * when every value packed is finite (see gemm_all_finite), else 0. */
int gemm_pack_b_s(int nr, fnn_int cols, fnn_int kc, const float *b, fnn_int rs, fnn_int cs, float *dst);
int gemm_pack_b_d(int nr, fnn_int cols, fnn_int kc, const double *b, fnn_int rs, fnn_int cs, double *dst);

/* ---- zero skipping helpers (gemm_sparse.c) -------------------------------- */
/* A product a*b with a == 0 adds nothing to a sum when b is finite, so a packed A panel whose
 * k step p is zero in all its rows may drop p, as long as the B panel it meets is finite.
 * gemm_compact_a: when some of the kc steps of the packed panel (kc x mr) are zero in all
 * mr rows, moves the other steps to the front, in order, writes their indices to steps
 * and returns how many there are; otherwise leaves the panel as it is and returns -1. */
fnn_int gemm_compact_a_s(int mr, fnn_int kc, float *panel, int32_t *steps);
fnn_int gemm_compact_a_d(int mr, fnn_int kc, double *panel, int32_t *steps);
/* 1 when none of the n values is an infinity or a NaN. */
int gemm_all_finite_s(const float *x, fnn_int n);
int gemm_all_finite_d(const double *x, fnn_int n);

/* ---- tile store (gemm.c) --------------------------------------------------- */
/* The scalar store of the micro-kernel contract for the top-left rows x cols of an
 * accumulator tile (row stride t_rs): what a micro-kernel does, element by element. */
void gemm_store_tile_s(const float *tile, fnn_int t_rs, float *c, fnn_int c_rs, fnn_int rows, fnn_int cols,
                       int accumulate, const gemm_epilogue_s *ep);
void gemm_store_tile_d(const double *tile, fnn_int t_rs, double *c, fnn_int c_rs, fnn_int rows, fnn_int cols,
                       int accumulate, const gemm_epilogue_d *ep);

#endif
