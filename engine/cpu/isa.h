/* Elementwise rows are compiled three times (baseline x86-64, AVX2+FMA,
 * AVX-512) from the same source; EM_ISA names the build and suffixes the
 * exported getters. em__cpu_unary_row and friends (isa.c) pick the best build
 * the CPU runs, once. */
#ifndef EMBER_CPU_ISA_H
#define EMBER_CPU_ISA_H

#include "elementwise.h"

#ifndef EM_ISA
#define EM_ISA base
#define EM_ISA_IS_BASE 1
#else
#define EM_ISA_IS_BASE 0
#endif
#define EM_ISA_CAT2(a, b) a##_##b
#define EM_ISA_CAT(a, b) EM_ISA_CAT2(a, b)
#define EM_ISA_FN(name) EM_ISA_CAT(name, EM_ISA)

#define EM_ISA_DECLARE(isa)                                                        \
    em_unary_row em__cpu_unary_row_##isa(em_prim_id prim, em_dtype in, em_dtype out); \
    em_binary_row em__cpu_binary_row_##isa(em_prim_id prim, em_dtype in);          \
    em_ternary_row em__cpu_select_row_##isa(size_t elem_size);
EM_ISA_DECLARE(base)
EM_ISA_DECLARE(avx2)
EM_ISA_DECLARE(avx512)

/* The reductions' per-dtype tables (reduce.c) and the fused row functions
 * (fast.c), one per build; em__cpu_reduce_fns / em__cpu_fast_rows pick. */
#define EM_ISA_DECLARE_ROWS(isa)                                                   \
    const void *em__reduce_fns_##isa(void);                                        \
    const void *em__fast_rows_##isa(void);
EM_ISA_DECLARE_ROWS(base)
EM_ISA_DECLARE_ROWS(avx2)
EM_ISA_DECLARE_ROWS(avx512)
const void *em__cpu_reduce_fns(void);
const void *em__cpu_fast_rows(void);

#endif
