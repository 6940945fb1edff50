/* Helpers shared by the op constructors. */
#ifndef EMBER_OPS_INTERNAL_H
#define EMBER_OPS_INTERNAL_H

#include "array_internal.h"
#include "ember/ops.h"

/* Converts a to dtype (a no-op reference when it already is). */
em_array *em__cast(em_array *a, em_dtype dtype);
/* Broadcasts a to shape (a no-op reference when it already has it). */
em_array *em__broadcast(em_array *a, int ndim, const int64_t *shape);
/* Result type of a binary op, honouring weak scalars. */
em_dtype em__result_type(const em_array *a, const em_array *b);
/* Normalises and checks a list of axes (sorted, unique) into out; returns the
 * count or -1. axes NULL means all. */
int em__norm_axes(const char *op, const int *axes, int n_axes, int ndim, int *out);
/* A float type for ops that need one (integers and bool become float32). */
static inline em_dtype em__float_type(em_dtype t)
{
    return em_dtype_is_float(t) ? t : EM_FLOAT32;
}

/* Resolves Python-style start/stop/step per axis into p->i[d] (start) and
 * p->i[EM_MAX_DIMS + d] (step), and the sliced shape. */
int em__slice_params(const char *op, const em_array *a, const int64_t *start, const int64_t *stop,
                     const int64_t *step, em_params *p, int64_t *shape);

#endif
