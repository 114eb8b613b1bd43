/* GEMM entry points: the micro-kernels of the best instruction set cpu.h allows, the plans
 * both drivers share, and the per-call choice between the dense
 * driver (gemm_dense.inc) and the zero-skipping one (gemm_sparse_driver.inc). */
#include "gemm.h"

#include "cpu.h"

#include <stdlib.h>
#include <string.h>

/* Work units handed to fastnn_threads_for: a GEMM flop costs ~1/16 of the element
 * operation its threshold was set for, so a second thread starts from ~1 MFLOP
 * (about 12 us on one core), where it beats the cost of waking it. */
#define GEMM_WORK(m, n, k) (2.0 * (double)(m) * (double)(n) * (double)(k) / 16.0)
/* The zero-skipping driver packs at most this many bytes of A (one KC slice's worth of row
 * panels, for all of k) at a time. */
#define GEMM_SPARSE_CHUNK_BYTES (512 * 1024)
/* Zero skipping is tried when at least this share of A's sampled values is zero. */
#define GEMM_SPARSE_MIN_ZEROS 0.25
/* Rows of A sampled for that share. */
#define GEMM_SPARSE_SAMPLE_ROWS 32

/* ---- unit grids and block plans (both dtypes) ------------------------------------ */

/* The few-rows and zero-skipping loops share C out in units of a grid: row groups (consecutive
 * row panels) x column units (one or two NR panels); unit u is column unit u / groups, row group
 * u % groups. Row groups are added only while there are too few column units for the threads
 * (each row group packs its own B panels). */
static fnn_int gemm_row_groups(int nt, fnn_int m_panels, fnn_int col_units) {
    if (nt <= 1) return 1;
    fnn_int want = GEMM_UNITS_PER_THREAD * nt;
    if (col_units >= want) return 1;
    fnn_int groups = (want + col_units - 1) / col_units, most = m_panels / GEMM_MIN_GROUP_PANELS;
    if (groups > most) groups = most;
    return groups < 1 ? 1 : groups;
}

/* The row panels [p0, p1) of row groups [g0, g1) of m_panels: group sizes differ by at most one. */
static void gemm_group_panels(fnn_int g0, fnn_int g1, fnn_int groups, fnn_int m_panels, fnn_int *p0, fnn_int *p1) {
    *p0 = m_panels * g0 / groups;
    *p1 = m_panels * g1 / groups;
}

/* The first rectangle of the units [u, end) of a grid: column units [q0, q1) x row groups
 * [g0, g1); returns the unit after it. Whole columns are merged into one rectangle. */
static fnn_int gemm_next_rect(fnn_int u, fnn_int end, fnn_int groups, fnn_int *q0, fnn_int *q1, fnn_int *g0,
                              fnn_int *g1) {
    fnn_int q = u / groups, g = u % groups;
    if (g == 0 && end - u >= groups) {
        fnn_int whole = (end - u) / groups;
        *q0 = q, *q1 = q + whole, *g0 = 0, *g1 = groups;
        return u + whole * groups;
    }
    fnn_int stop = (q + 1) * groups < end ? (q + 1) * groups : end;
    *q0 = q, *q1 = q + 1, *g0 = g, *g1 = g + (stop - u);
    return stop;
}

/* The blocked loop nest's plan: B packed NC columns (all of k) at a time; work units of
 * row_blocks (MC rows at most) x col_groups of NR panels, nt threads. */
typedef struct {
    fnn_int nc, mc, row_blocks, col_groups;
    int nt;
} gemm_block_plan;

static gemm_block_plan gemm_plan_blocks(int mr, int nr, int mc_max, int nc_max, fnn_int m, fnn_int n, fnn_int k,
                                        int nt) {
    gemm_block_plan plan;
    fnn_int m_panels = (m + mr - 1) / mr, n_padded = (n + nr - 1) / nr * nr;
    /* NC shrinks so that the packed B stays within GEMM_B_PACK_MAX elements. */
    plan.nc = nc_max < n_padded ? nc_max : n_padded;
    fnn_int nc_fit = GEMM_B_PACK_MAX / k / nr * nr;
    if (plan.nc > nc_fit) plan.nc = nc_fit > nr ? nc_fit : nr;
    /* Units are taken by the threads in any order (each C element is computed by one unit,
     * the same way whichever thread runs it); more units than threads absorb imbalance. */
    plan.row_blocks = (m + mc_max - 1) / mc_max;
    if (nt > 1) plan.row_blocks = (plan.row_blocks + nt - 1) / nt * nt;
    if (plan.row_blocks > m_panels) plan.row_blocks = m_panels;
    /* Row block b holds MR panels [m_panels * b / row_blocks, m_panels * (b + 1) / row_blocks):
     * sizes differ by at most one panel. */
    plan.mc = (m_panels + plan.row_blocks - 1) / plan.row_blocks * mr;
    plan.col_groups = 1;
    if (nt > 1 && plan.row_blocks < GEMM_UNITS_PER_THREAD * nt)
        plan.col_groups = (GEMM_UNITS_PER_THREAD * nt + plan.row_blocks - 1) / plan.row_blocks;
    if (plan.col_groups > plan.nc / nr) plan.col_groups = plan.nc / nr;
    fnn_int units = plan.row_blocks * plan.col_groups;
    plan.nt = nt > units ? (int)units : nt;
    return plan;
}

/* ---- the drivers, per dtype ------------------------------------------------------ */

#define GEMM_CAT_(a, b) a##_##b
#define GEMM_CAT(a, b) GEMM_CAT_(a, b)
#define TYPED(name) GEMM_CAT(name, SUFFIX)
#define EPILOGUE_T TYPED(gemm_epilogue)
#define CONFIG_T TYPED(gemm_config)
#define SPARSE_CONFIG_T TYPED(gemm_sparse_config)

#define T float
#define SUFFIX s
#include "gemm_common.inc"
#include "gemm_dense.inc"
#include "gemm_sparse_driver.inc"
#include "gemm_entry.inc"
#undef T
#undef SUFFIX

#define T double
#define SUFFIX d
#include "gemm_common.inc"
#include "gemm_dense.inc"
#include "gemm_sparse_driver.inc"
#include "gemm_entry.inc"
#undef T
#undef SUFFIX

/* ---- kernel selection ----------------------------------------------------------- */

static int skip_zeros = 1;

/* The best micro-kernels the instruction-set limit (cpu.h) allows. */
static const gemm_isa *current_isa(void) {
    const fnn_cpu_features *cpu = fnn_cpu();
    if (gemm_isa_avx512 && cpu->avx512) return gemm_isa_avx512;
    if (gemm_isa_avx2 && cpu->avx2_fma) return gemm_isa_avx2;
    return &gemm_isa_portable;
}

void fastnn_gemm_skip_zeros(int skip) { skip_zeros = skip != 0; }

/* The ISA whose kernels skip zeros for `isa`: AVX-512 drops only the steps that are zero in a
 * whole 14-row panel, rare at relu sparsity, so its skipping products run the AVX2 kernels, which
 * drop them per 2-row sliver (an AVX-512 CPU has AVX2 and FMA, cpu.h). Both add one fused
 * multiply-add per step in order of k in KC slices of the same length, so the bits are those of
 * the AVX-512 kernels; products that do not skip stay on AVX-512. */
_Static_assert(GEMM_AVX2_S_KC == GEMM_AVX512_S_KC && GEMM_AVX2_D_KC == GEMM_AVX512_D_KC,
               "AVX-512 skips zeros with the AVX2 kernels, in the same KC slices");
static const gemm_isa *skipping_isa(const gemm_isa *isa) {
    return isa == gemm_isa_avx512 && gemm_isa_avx2 ? gemm_isa_avx2 : isa;
}

/* fastnn_sgemm and fastnn_dgemm: the ISA's narrow kernel when C is at most its width, else
 * the wide one, with zero skipping (skipping_isa's) when it is on. */
#define GEMM_ENTRY(public_name, T, SUFFIX)                                                              \
    int public_name(fnn_int m, fnn_int n, fnn_int k, const T *a, fnn_int a_rs, fnn_int a_cs, const T *b,  \
                    fnn_int b_rs, fnn_int b_cs, T *c, fnn_int c_rs, const T *bias, int activation,       \
                    const T *mask, fnn_int mask_rs) {                                                    \
        const gemm_isa *isa = current_isa(), *skipping = skipping_isa(isa);                              \
        if (isa->narrow_##SUFFIX.kernel && n <= isa->narrow_##SUFFIX.nr)                                 \
            return gemm_##SUFFIX(&isa->narrow_##SUFFIX, NULL, NULL, m, n, k, a, a_rs, a_cs, b, b_rs,     \
                                 b_cs, c, c_rs, bias, activation, mask, mask_rs);                        \
        return gemm_##SUFFIX(&isa->SUFFIX, &skipping->SUFFIX, skip_zeros ? &skipping->sparse_##SUFFIX : NULL, \
                             m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, bias, activation, mask,     \
                             mask_rs);                                                                   \
    }

GEMM_ENTRY(fastnn_sgemm, float, s)
GEMM_ENTRY(fastnn_dgemm, double, d)
#undef GEMM_ENTRY
