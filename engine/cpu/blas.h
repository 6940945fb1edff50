/* OpenBLAS and LAPACKE, loaded at first use.
 *
 * OpenBLAS 0.3.21 reads OPENBLAS_CORETYPE once, when it is loaded, and misdetects
 * some newer CPUs as an old core (a fifth of the GEMM speed). libember therefore
 * does not link it: before loading it, when the variable is unset, Ember sets it
 * to the newest kernel family the CPU supports. A value already set is kept. */
#ifndef EMBER_BLAS_H
#define EMBER_BLAS_H

enum { EM_CBLAS_ROW_MAJOR = 101, EM_CBLAS_NO_TRANS = 111, EM_CBLAS_TRANS = 112 };
enum { EM_LAPACK_ROW_MAJOR = 101, EM_LAPACK_COL_MAJOR = 102 };

typedef struct em_blas {
    void (*sgemm)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                  int lda, const float *b, int ldb, float beta, float *c, int ldc);
    void (*dgemm)(int order, int ta, int tb, int m, int n, int k, double alpha, const double *a,
                  int lda, const double *b, int ldb, double beta, double *c, int ldc);
    void (*set_num_threads)(int n);
    int (*get_num_threads)(void);
    char *(*get_corename)(void);
    /* LAPACKE (NULL when liblapacke is missing) */
    int (*sgetrf)(int, int, int, float *, int, int *);
    int (*dgetrf)(int, int, int, double *, int, int *);
    int (*sgetri)(int, int, float *, int, const int *);
    int (*dgetri)(int, int, double *, int, const int *);
    int (*sgesv)(int, int, int, float *, int, int *, float *, int);
    int (*dgesv)(int, int, int, double *, int, int *, double *, int);
    int (*spotrf)(int, char, int, float *, int);
    int (*dpotrf)(int, char, int, double *, int);
    int (*sgeqrf)(int, int, int, float *, int, float *);
    int (*dgeqrf)(int, int, int, double *, int, double *);
    int (*sorgqr)(int, int, int, int, float *, int, const float *);
    int (*dorgqr)(int, int, int, int, double *, int, const double *);
    int (*sgesdd)(int, char, int, int, float *, int, float *, float *, int, float *, int);
    int (*dgesdd)(int, char, int, int, double *, int, double *, double *, int, double *, int);
    int (*ssyevd)(int, char, char, int, float *, int, float *);
    int (*dsyevd)(int, char, char, int, double *, int, double *);
} em_blas;

/* The loaded library, or NULL with an error. */
const em_blas *em__blas(void);
/* The LAPACKE part, or NULL with an error naming what is missing. */
const em_blas *em__lapack(void);

#endif
