/* Inside the transformations: rule tables per primitive and a pointer map. */
#ifndef EMBER_TRANSFORMS_INTERNAL_H
#define EMBER_TRANSFORMS_INTERNAL_H

#include "array_internal.h"
#include "ember/fast.h"
#include "ops/ops_internal.h"
#include "ember/ops.h"
#include "ember/random.h"
#include "ember/transforms.h"

/* Rules run inside a private scope that the transformation opens: they build
 * their results with ordinary ops in the chain style and never release them.
 *
 * vjp: cots[k] is the cotangent of output k (NULL: none reached it). Writes a
 * cotangent per input to in_cots (NULL: no gradient flows to that input). */
typedef int (*em_vjp_rule)(em_array *const *outs, int n_out, em_array *const *cots,
                           em_array *const *ins, int n_in, const em_params *p, em_array **in_cots);
/* jvp: in_tans[i] is input i's tangent (NULL: zero). Writes out_tans (NULL: zero). */
typedef int (*em_jvp_rule)(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                           em_array *const *in_tans, const em_params *p, em_array **out_tans);
/* vmap: ins are the batched inputs, axes[i] the batch axis of input i (-1: not
 * batched); `node` is the original node (prim, params, output shape and dtype).
 * Writes the outputs and their batch axes. */
typedef int (*em_vmap_rule)(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                            em_array **outs, int *out_axes);

void em__register_vjp(em_prim_id prim, em_vjp_rule r);
void em__register_jvp(em_prim_id prim, em_jvp_rule r);
void em__register_vmap(em_prim_id prim, em_vmap_rule r);
em_vjp_rule em__vjp_rule(em_prim_id prim);
em_jvp_rule em__jvp_rule(em_prim_id prim);
em_vmap_rule em__vmap_rule(em_prim_id prim);

/* Sums `cot` (shape of a broadcast result) back down to `shape`. */
em_array *em__unbroadcast(em_array *cot, int ndim, const int64_t *shape);
/* zeros shaped like `like`, plus vals (shaped as idx) added at idx along ax; idx
 * matches like's shape on the other axes (rules_index.c). */
em_array *em__add_along_axis(em_array *like, em_array *idx, em_array *vals, int ax);
/* Builds a node like `node` (same primitive and params) on new inputs, with the
 * given output shape (dtype as node's). */
em_array *em__replay(const em_array *node, em_array *const *ins, int n_in, int ndim,
                     const int64_t *shape);

/* ---- pointer -> pointer map (open addressing) ---- */
typedef struct em_ptrmap {
    const void **keys;
    void **values;
    size_t cap, n;
} em_ptrmap;
int em__ptrmap_put(em_ptrmap *m, const void *key, void *value);
void *em__ptrmap_get(const em_ptrmap *m, const void *key);
bool em__ptrmap_has(const em_ptrmap *m, const void *key);
void em__ptrmap_free(em_ptrmap *m);

/* Post-order of the unevaluated graph reachable from roots, not descending
 * below the nodes in `stop` (which are included). Caller frees *order. */
int em__graph_order(em_array *const *roots, int n, const em_ptrmap *stop, em_array ***order,
                    size_t *n_order);

#endif
