/* Parity tests: numpy writes inputs and expected outputs (cases_*.py), this
 * runner computes each case with Ember and compares.
 *
 * A family file defines a table of ops:
 *   static int run_add(em_array **in, int n_in, const parity_args *args, em_array **out)
 *   { out[0] = em_add(in[0], in[1]); return out[0] ? 0 : -1; }
 *   const parity_op parity_ops_elementwise[] = { {"add", run_add}, {NULL, NULL} };
 * and is listed in runner.c's table of families. */
#ifndef EMBER_PARITY_H
#define EMBER_PARITY_H

#include <stdbool.h>
#include <stdint.h>

#include <ember/ember.h>

#define PARITY_MAX_ARGS 16

typedef struct parity_args {
    int n;
    const char *key[PARITY_MAX_ARGS];
    const char *value[PARITY_MAX_ARGS];
} parity_args;

/* The value of key=, or def. Lists are comma-separated ("0,2"); "none" gives
 * has = false. */
const char *parity_arg(const parity_args *a, const char *key);
int64_t parity_int(const parity_args *a, const char *key, int64_t def);
double parity_f64(const parity_args *a, const char *key, double def);
bool parity_bool(const parity_args *a, const char *key, bool def);
/* Parses a list into out (max n); returns the count, or -1 when the key is
 * missing or "none". */
int parity_ints(const parity_args *a, const char *key, int *out, int n);
int parity_i64s(const parity_args *a, const char *key, int64_t *out, int n);
/* A dtype named by numpy's name ("float32", "bfloat16"). */
em_dtype parity_dtype(const parity_args *a, const char *key, em_dtype def);

/* Runs one case: writes up to 8 outputs; returns 0, or -1 (an expected error
 * when the case says error=1). */
typedef int (*parity_fn)(em_array **in, int n_in, const parity_args *args, em_array **out);

typedef struct parity_op {
    const char *name;
    parity_fn run;
} parity_op;

#endif
