/* em_array: a refcounted handle to a node of the lazy graph.
 *
 * Ops only build nodes; em_eval runs the graph. Every function that returns an
 * em_array returns a new reference: owned by the innermost open scope when one
 * is open (see EM_SCOPE), else by the caller, who drops it with em_release.
 * Inputs are never consumed. A NULL input gives a NULL result (the first
 * error's message stays in em_error_message()). */
#ifndef EMBER_ARRAY_H
#define EMBER_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember/dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EM_MAX_DIMS 8

typedef struct em_array em_array;

/* ---- devices and streams ---- */
typedef enum em_device_type { EM_CPU = 0, EM_GPU = 1 } em_device_type;

typedef struct em_device {
    em_device_type type;
    int index;
} em_device;

/* A queue of work on one device. Index 0 of each device is its default stream. */
typedef struct em_stream {
    em_device device;
    int index;
} em_stream;

em_device em_cpu(void);
em_device em_gpu(void);
/* The default device of this thread (initially cpu; EMBER_DEVICE=gpu changes the
 * process default). */
em_device em_default_device(void);
void em_set_default_device(em_device d);
/* true if the device can run work (the gpu needs a Vulkan device). */
bool em_device_available(em_device d);
em_stream em_default_stream(em_device d);
/* A new stream on a device; work on different streams may run concurrently,
 * dependencies between them are respected. */
em_stream em_new_stream(em_device d);
/* The stream new ops of this thread go to (the default device's default stream
 * unless set). */
em_stream em_current_stream(void);
void em_set_current_stream(em_stream s);

/* ---- construction ---- */
/* Copies `data` (row-major, ndim dims) into a new evaluated array. */
em_array *em_array_from_data(const void *data, int ndim, const int64_t *shape, em_dtype dtype);
/* Wraps `data` without copying; free_fn(data, ctx) is called when the last user
 * is gone. data must stay valid and unchanged until then. */
em_array *em_array_from_buffer(void *data, int ndim, const int64_t *shape, em_dtype dtype,
                               void (*free_fn)(void *data, void *ctx), void *ctx);
/* Scalars (0-d). Made by these, an array is "weak": in a binary op it takes the
 * other side's type when that keeps its kind (a float scalar times an f16 array
 * is f16), as Python scalars do in MLX. */
em_array *em_scalar_f(double v);   /* float32 */
em_array *em_scalar_i(int64_t v);  /* int32 */
em_array *em_scalar_b(bool v);
em_array *em_scalar(double v, em_dtype dtype);  /* not weak */

/* ---- references ---- */
em_array *em_retain(em_array *a);
void em_release(em_array *a);

/* ---- properties (never evaluate) ---- */
em_dtype em_array_dtype(const em_array *a);
int em_array_ndim(const em_array *a);
const int64_t *em_array_shape(const em_array *a);
int64_t em_array_dim(const em_array *a, int axis);  /* negative axes count from the end */
int64_t em_array_size(const em_array *a);
size_t em_array_nbytes(const em_array *a);
em_stream em_array_stream(const em_array *a);
bool em_array_is_evaluated(const em_array *a);
/* Strides in elements (valid after evaluation). */
const int64_t *em_array_strides(const em_array *a);
bool em_array_is_contiguous(const em_array *a);  /* row-major, no gaps */

/* ---- evaluation ---- */
/* Evaluates arrays (and what they need). 0 on success, -1 with a message. */
int em_eval(em_array *a);
int em_eval_many(em_array *const *arrays, int n);
/* Starts evaluation and returns at once; em_eval or a read waits for it. */
int em_async_eval(em_array *const *arrays, int n);
/* Waits for all work started by em_async_eval. */
int em_synchronize(void);

/* ---- reading back (evaluate first, implicitly) ---- */
/* Scalars or size-1 arrays, converted to the asked type; on error returns 0 and
 * sets the error (check em_error_pending()). */
float em_item_f32(em_array *a);
double em_item_f64(em_array *a);
int64_t em_item_i64(em_array *a);
bool em_item_bool(em_array *a);
/* Pointer to the first element after evaluation (strided: see em_array_strides;
 * call em_contiguous first for a dense copy). NULL on error. */
const void *em_array_data(em_array *a);
/* Copies the array, converted to `dtype`, row-major into out (n elements max).
 * Returns the number of elements written or -1. */
int64_t em_array_read(em_array *a, em_dtype dtype, void *out, int64_t n);
/* Short text form, for debugging ("array([[1, 2], [3, 4]], dtype=int32)"). The
 * caller frees it. */
char *em_array_to_string(em_array *a);

/* ---- scopes: temporaries made inside are released at the end ---- */
typedef struct em_scope em_scope;
em_scope *em_scope_begin(void);
void em_scope_end(em_scope *s);
/* Moves `a` out of the innermost scope to its parent (or to the caller when
 * there is none): what escapes a scope must be kept. Returns a. */
em_array *em_keep(em_array *a);

/* EM_SCOPE { ... }: the scope ends however the block is left (end, break,
 * return, goto); what is returned out of it must be em_keep()'d first. */
static inline void em__scope_cleanup(em_scope **s) { em_scope_end(*s); }
#define EM_SCOPE                                                                   \
    for (em_scope *em__scope_ __attribute__((cleanup(em__scope_cleanup))) = em_scope_begin(), \
                  *em__scope_once_ = em__scope_;                                   \
         em__scope_once_; em__scope_once_ = NULL)

/* A label for the nodes made while it is set (graph inspection groups by it):
 * em_set_module("layers.0.attn"); ...; em_set_module(NULL); */
void em_set_module(const char *name);
const char *em_current_module(void);

/* ---- memory ---- */
typedef struct em_memory_stats {
    size_t active;   /* bytes held by live arrays */
    size_t peak;     /* highest `active` since start or the last reset */
    size_t cache;    /* bytes freed but kept for reuse */
    size_t limit;    /* 0: none */
    size_t gpu_active;
} em_memory_stats;

em_memory_stats em_memory_stats_get(void);
void em_memory_reset_peak(void);
/* An allocation that would take `active` past the limit first empties the cache,
 * then fails with an "out of memory" error. 0 removes the limit. */
void em_memory_set_limit(size_t bytes);
/* Bytes the cache may hold (default: 1/4 of the limit or 1 GiB). */
void em_memory_set_cache_limit(size_t bytes);
void em_memory_clear_cache(void);

#ifdef __cplusplus
}
#endif
#endif
