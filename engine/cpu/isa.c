/* Picks the widest build of the elementwise rows this CPU runs. */
#include <stdlib.h>
#include <string.h>

#include "isa.h"

typedef enum { ISA_BASE, ISA_AVX2, ISA_AVX512 } isa;

static isa best(void)
{
    static int chosen = -1;
    if (chosen >= 0)
        return (isa)chosen;
    isa r = ISA_BASE;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        r = ISA_AVX2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        r = ISA_AVX512;
#endif
    /* EMBER_CPU_ISA=base|avx2|avx512 caps it (for tests and comparisons) */
    const char *cap = getenv("EMBER_CPU_ISA");
    if (cap && !strcmp(cap, "base"))
        r = ISA_BASE;
    else if (cap && !strcmp(cap, "avx2") && r > ISA_AVX2)
        r = ISA_AVX2;
    chosen = (int)r; /* a race here writes the same value */
    return r;
}

em_unary_row em__cpu_unary_row(em_prim_id prim, em_dtype in, em_dtype out)
{
    switch (best()) {
    case ISA_AVX512: return em__cpu_unary_row_avx512(prim, in, out);
    case ISA_AVX2: return em__cpu_unary_row_avx2(prim, in, out);
    default: return em__cpu_unary_row_base(prim, in, out);
    }
}

em_binary_row em__cpu_binary_row(em_prim_id prim, em_dtype in)
{
    switch (best()) {
    case ISA_AVX512: return em__cpu_binary_row_avx512(prim, in);
    case ISA_AVX2: return em__cpu_binary_row_avx2(prim, in);
    default: return em__cpu_binary_row_base(prim, in);
    }
}

em_ternary_row em__cpu_select_row(size_t elem_size)
{
    switch (best()) {
    case ISA_AVX512: return em__cpu_select_row_avx512(elem_size);
    case ISA_AVX2: return em__cpu_select_row_avx2(elem_size);
    default: return em__cpu_select_row_base(elem_size);
    }
}

const void *em__cpu_reduce_fns(void)
{
    switch (best()) {
    case ISA_AVX512: return em__reduce_fns_avx512();
    case ISA_AVX2: return em__reduce_fns_avx2();
    default: return em__reduce_fns_base();
    }
}

const void *em__cpu_fast_rows(void)
{
    switch (best()) {
    case ISA_AVX512: return em__fast_rows_avx512();
    case ISA_AVX2: return em__fast_rows_avx2();
    default: return em__fast_rows_base();
    }
}
