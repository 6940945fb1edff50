#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "blas.h"
#include "ember/cpu.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static em_blas blas;
static bool blas_ok, lapack_ok;
static char load_error[512];
static char chosen[64];
static bool chosen_by_ember;

/* The newest OpenBLAS 0.3.21 kernel family this CPU can run. */
static const char *best_core(void)
{
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512cd"))
        return __builtin_cpu_supports("avx512bf16") ? "Cooperlake" : "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
#endif
    return NULL;
}

#define SYM(lib, field, name) (*(void **)&blas.field = dlsym(lib, name))

static void load(void)
{
    const char *set = getenv("OPENBLAS_CORETYPE");
    void *already = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
    if (set && *set) {
        snprintf(chosen, sizeof chosen, "%s", set);
    } else if (!already) {
        const char *core = best_core();
        if (core) {
            setenv("OPENBLAS_CORETYPE", core, 0);
            snprintf(chosen, sizeof chosen, "%s", core);
            chosen_by_ember = true;
        }
    }
    /* OpenBLAS's idle threads call sched_yield in a loop for 2^28 cycles
     * (about 80 ms) after each call before they sleep. On a machine with few
     * cores they take turns with Ember's own threads in the work between
     * calls: three 128-token prompts and 48-token generations made 7.8
     * million such calls on the 2-core machine, and the GPT training ran at
     * 5500-5900 tokens/s against 6700-6800 with 2^4 (asleep at once; waking
     * costs some microseconds, nothing beside a GEMM worth a thread). A
     * value the user set is kept. */
    if (!already)
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    if (already)
        dlclose(already);
    void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
        snprintf(load_error, sizeof load_error,
                 "cannot load OpenBLAS (libopenblas.so.0, Debian package libopenblas0): %s",
                 dlerror());
        return;
    }
    SYM(lib, sgemm, "cblas_sgemm");
    SYM(lib, dgemm, "cblas_dgemm");
    SYM(lib, set_num_threads, "openblas_set_num_threads");
    SYM(lib, get_num_threads, "openblas_get_num_threads");
    SYM(lib, get_corename, "openblas_get_corename");
    blas_ok = blas.sgemm && blas.dgemm;
    if (!blas_ok) {
        snprintf(load_error, sizeof load_error, "OpenBLAS lacks cblas_sgemm/cblas_dgemm");
        return;
    }
    void *lap = dlopen("liblapacke.so.3", RTLD_NOW | RTLD_GLOBAL);
    if (!lap) {
        snprintf(load_error, sizeof load_error,
                 "cannot load LAPACKE (liblapacke.so.3, Debian package liblapacke): %s", dlerror());
        return;
    }
    SYM(lap, sgetrf, "LAPACKE_sgetrf");
    SYM(lap, dgetrf, "LAPACKE_dgetrf");
    SYM(lap, sgetri, "LAPACKE_sgetri");
    SYM(lap, dgetri, "LAPACKE_dgetri");
    SYM(lap, sgesv, "LAPACKE_sgesv");
    SYM(lap, dgesv, "LAPACKE_dgesv");
    SYM(lap, spotrf, "LAPACKE_spotrf");
    SYM(lap, dpotrf, "LAPACKE_dpotrf");
    SYM(lap, sgeqrf, "LAPACKE_sgeqrf");
    SYM(lap, dgeqrf, "LAPACKE_dgeqrf");
    SYM(lap, sorgqr, "LAPACKE_sorgqr");
    SYM(lap, dorgqr, "LAPACKE_dorgqr");
    SYM(lap, sgesdd, "LAPACKE_sgesdd");
    SYM(lap, dgesdd, "LAPACKE_dgesdd");
    SYM(lap, ssyevd, "LAPACKE_ssyevd");
    SYM(lap, dsyevd, "LAPACKE_dsyevd");
    lapack_ok = blas.sgetrf && blas.dgetrf && blas.sgetri && blas.dgetri && blas.sgesv &&
                blas.dgesv && blas.spotrf && blas.dpotrf && blas.sgeqrf && blas.dgeqrf &&
                blas.sorgqr && blas.dorgqr && blas.sgesdd && blas.dgesdd && blas.ssyevd &&
                blas.dsyevd;
    if (!lapack_ok)
        snprintf(load_error, sizeof load_error, "LAPACKE lacks a needed routine");
}

const em_blas *em__blas(void)
{
    pthread_once(&once, load);
    if (!blas_ok) {
        em__error("%s", load_error);
        return NULL;
    }
    return &blas;
}

const em_blas *em__lapack(void)
{
    if (!em__blas())
        return NULL;
    if (!lapack_ok) {
        em__error("%s", load_error);
        return NULL;
    }
    return &blas;
}

int em_cpu_blas_info(em_cpu_blas *info)
{
    memset(info, 0, sizeof *info);
    const em_blas *b = em__blas();
    if (!b)
        return -1;
    snprintf(info->core, sizeof info->core, "%s",
             b->get_corename ? b->get_corename() : "unknown");
    snprintf(info->coretype_env, sizeof info->coretype_env, "%s", chosen);
    info->chosen_by_ember = chosen_by_ember;
    info->threads = b->get_num_threads ? b->get_num_threads() : 1;
    return 0;
}

void em_cpu_set_num_threads(int n)
{
    const em_blas *b = em__blas();
    if (b && b->set_num_threads)
        b->set_num_threads(n);
}
