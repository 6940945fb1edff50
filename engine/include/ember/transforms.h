/* Function transformations: vjp, jvp, grad, value_and_grad, vmap, compile,
 * custom_vjp, checkpoint. Composable, as in MLX: gradients are built from
 * ordinary lazy ops, so grad of grad works.
 *
 * A function is a closure over arrays. It must not evaluate the arrays it is
 * given or makes (evaluation detaches the graph the transformation walks). */
#ifndef EMBER_TRANSFORMS_H
#define EMBER_TRANSFORMS_H

#include "ember/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes up to max_out outputs (new references the caller owns) to out and
 * returns how many, or -1 with an error. */
typedef int (*em_fn)(void *payload, em_array *const *in, int n_in, em_array **out, int max_out);

typedef struct em_closure {
    em_fn fn;
    void *payload;
    /* Frees payload when a transformation that took ownership is done with it
     * (em_custom_vjp, em_checkpoint, em_compile); may be NULL. */
    void (*free_payload)(void *payload);
} em_closure;

#define EM_MAX_FN_OUTPUTS 32

/* outputs = f(primals); vjps[i] = sum over outputs of cotangent · d out / d primal_i.
 * n_cot must equal the number of outputs. Writes n_primals vjps and the
 * outputs (max_out at most). Returns the number of outputs or -1. */
int em_vjp(em_closure f, em_array *const *primals, int n_primals, em_array *const *cotangents,
           int n_cot, em_array **outputs, int max_out, em_array **vjps);
/* outputs = f(primals); jvps[j] = sum over primals of d out_j / d primal_i · tangent_i. */
int em_jvp(em_closure f, em_array *const *primals, int n_primals, em_array *const *tangents,
           em_array **outputs, int max_out, em_array **jvps);
/* f's first output must be a scalar. Writes it to *value (may be NULL) and the
 * gradients with respect to args[argnums[k]] to grads[k] (argnums NULL: all). */
int em_value_and_grad(em_closure f, em_array *const *args, int n_args, const int *argnums,
                      int n_argnums, em_array **value, em_array **grads);

/* ---- parameter trees: named arrays (dotted names, as safetensors keys) ---- */
typedef struct em_tree em_tree;
em_tree *em_tree_new(void);
void em_tree_free(em_tree *t);
/* Retains a; replaces an existing entry of that name. 0 or -1. */
int em_tree_set(em_tree *t, const char *name, em_array *a);
/* Borrowed (the tree keeps its reference); NULL with an error if missing. */
em_array *em_get(const em_tree *t, const char *name);
/* The entry's index, or -1 (no error) if the tree has no such name. */
int em_tree_index(const em_tree *t, const char *name);
int em_tree_size(const em_tree *t);
const char *em_tree_name(const em_tree *t, int i);
em_array *em_tree_at(const em_tree *t, int i);
em_tree *em_tree_copy(const em_tree *t);
/* Evaluates every array of the tree. */
int em_eval_tree(const em_tree *t);

typedef em_array *(*em_tree_loss_fn)(void *payload, const em_tree *params, em_array *const *args,
                                     int n_args);
/* Loss and gradients of a loss over a parameter tree: returns a tree of the
 * same names holding d loss / d param (the caller frees it); *loss gets the
 * loss value (a new reference) when not NULL. */
em_tree *em_value_and_grad_tree(em_tree_loss_fn fn, void *payload, const em_tree *params,
                                em_array *const *args, int n_args, em_array **loss);

/* ---- custom gradients and rematerialisation ---- */
/* vjp(payload, primals, n, outputs, n_out, cotangents, out_vjps): writes n
 * vjps. Returns 0 or -1. */
typedef int (*em_vjp_fn)(void *payload, em_array *const *primals, int n_primals,
                         em_array *const *outputs, int n_out, em_array *const *cotangents,
                         em_array **vjps);
typedef struct em_custom_vjp_closure {
    em_vjp_fn fn;
    void *payload;
    void (*free_payload)(void *payload);
} em_custom_vjp_closure;
/* A function computed as f, differentiated with vjp. Takes ownership of both
 * payloads; the result is a closure usable everywhere (free it with
 * em_closure_free). */
em_closure em_custom_vjp(em_closure f, em_custom_vjp_closure vjp);
/* A function computed as f whose backward pass recomputes f instead of keeping
 * its intermediates: less memory for more compute. Takes ownership of f. */
em_closure em_checkpoint(em_closure f);
void em_closure_free(em_closure c);

/* ---- vmap ---- */
/* Maps f over axis in_axes[i] of input i (-1: not mapped, broadcast to every
 * call), stacking outputs along out_axes[j] (NULL: all 0). Returns the number
 * of outputs or -1. */
int em_vmap(em_closure f, em_array *const *in, int n_in, const int *in_axes, const int *out_axes,
            em_array **out, int max_out);

/* ---- compile ---- */
typedef struct em_compiled em_compiled;
enum { EM_COMPILE_SHAPELESS = 1 << 0 };
/* Traces f once per input signature (shapes and dtypes; with
 * EM_COMPILE_SHAPELESS, once per dtypes and ranks), simplifies the graph
 * (scalar constants folded, common subexpressions merged, no-ops dropped) and
 * fuses chains of elementwise ops into one kernel each. Takes ownership of f. */
em_compiled *em_compile(em_closure f, unsigned flags);
int em_compiled_call(em_compiled *c, em_array *const *in, int n_in, em_array **out, int max_out);
void em_compiled_free(em_compiled *c);

#ifdef __cplusplus
}
#endif
#endif
