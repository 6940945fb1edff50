/* Gradient checks: each case is a function of float64 arrays; the runner
 * checks its vjp against central finite differences, its jvp against its vjp
 * (<jvp(t), r> == <t, vjp(r)>), and its vmap against a loop of calls.
 *
 * A family file defines
 *   const grad_case grad_cases_NAME[] = { {"exp", 1, {{2, {3, 4}}}, -2, 2, fn_exp}, ..., {0} };
 * and is listed in families.def. */
#ifndef EMBER_GRAD_H
#define EMBER_GRAD_H

#include <ember/ember.h>

enum {
    GRAD_NO_VMAP = 1 << 0,   /* no batching rule expected (say why in the case) */
    GRAD_NO_JVP = 1 << 1,
    GRAD_POSITIVE_DEF = 1 << 2, /* inputs made symmetric positive definite (n x n) */
};

typedef struct {
    int ndim;
    int64_t shape[4];
} grad_shape;

typedef struct grad_case {
    const char *name;
    int n_in;
    grad_shape in[4];
    double lo, hi;               /* inputs drawn uniformly from [lo, hi] */
    em_array *(*fn)(em_array *const *in);
    unsigned flags;
    double tol;                  /* relative; 0: 1e-5 */
} grad_case;

#endif
