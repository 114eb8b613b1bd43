/* Ends one instantiation of the GEMM templates (gemm_kernel_avx2.inc, gemm_kernel_avx512.inc,
 * gemm_pack_x86.inc): undefines every per-dtype parameter they take, so that the next
 * instantiation starts from none. Included after each one, hence no include guard. */
#undef T
#undef SUFFIX
#undef MR
#undef NR
#undef NAME
#undef NV
#undef VT
#undef MASK_T
#undef VLEN
#undef VZERO
#undef VLOAD
#undef VSTORE
#undef VBCAST
#undef VFMA
#undef VADD
#undef VMAX
#undef VAND
#undef VGT
#undef VMASKMOV
#undef VMASKLOAD
#undef VMASKSTORE
#undef VLIVE
#undef VTAIL_MASK_T
#undef VTAIL_MASK
