/* The CPU device: what BLAS it runs on. */
#ifndef EMBER_CPU_H
#define EMBER_CPU_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct em_cpu_blas {
    char core[64];          /* the kernel family OpenBLAS runs ("Cooperlake", "Haswell") */
    char coretype_env[64];  /* OPENBLAS_CORETYPE as OpenBLAS saw it ("" if unset) */
    bool chosen_by_ember;   /* Ember set it because it was unset */
    int threads;
} em_cpu_blas;

/* Loads OpenBLAS if needed; 0 or -1 with a message. */
int em_cpu_blas_info(em_cpu_blas *info);
/* Threads OpenBLAS uses for GEMM. */
void em_cpu_set_num_threads(int n);

#ifdef __cplusplus
}
#endif
#endif
