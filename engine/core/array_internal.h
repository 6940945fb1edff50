/* The inside of em_array and the contract between ops, the evaluator and the
 * backends. Engine-internal. */
#ifndef EMBER_ARRAY_INTERNAL_H
#define EMBER_ARRAY_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "ember/array.h"
#include "error_internal.h"

/* ---- primitives ---- */
typedef enum em_prim_kind {
    EM_KIND_UNARY, EM_KIND_BINARY, EM_KIND_TERNARY, EM_KIND_REDUCE, EM_KIND_VIEW, EM_KIND_OTHER
} em_prim_kind;

typedef enum em_prim_id {
#define EM_PRIM(id, name, kind) EM_P_##id,
#include "prims.def"
#undef EM_PRIM
    EM_P_COUNT
} em_prim_id;

typedef struct em_prim_info {
    const char *name;
    em_prim_kind kind;
} em_prim_info;

extern const em_prim_info em_prims[EM_P_COUNT];

/* Parameters of a node, inline so that compile's CSE can compare them with
 * memcmp. `ext` holds what does not fit: ext_size bytes, copied into the node
 * and freed with it; they take part in comparisons too. */
#define EM_PARAMS_I 40
typedef struct em_params {
    int64_t i[EM_PARAMS_I];
    double f[4];
    void *ext;
    size_t ext_size;
    /* A refcounted object the node holds (a closure of custom_vjp, a compiled
     * tape): retained when the params are copied, released with the node. */
    void *obj;
    void (*obj_retain)(void *obj);
    void (*obj_release)(void *obj);
} em_params;

/* Frees a node's params (ext, obj) and the struct itself. */
void em__params_free(em_params *p);

/* ---- buffers ---- */
typedef struct em_buffer {
    atomic_int refs;
    void *data;
    size_t nbytes;
    em_device_type device;
    /* NULL: the allocator's memory (returned to its cache). */
    void (*release)(void *data, void *ctx);
    void *ctx;
    void *backend; /* backend handle (Vulkan allocation), NULL on CPU */
} em_buffer;

em_buffer *em__buffer_new(size_t nbytes, em_device_type dev); /* NULL + error on OOM */
em_buffer *em__buffer_wrap(void *data, size_t nbytes, void (*release)(void *, void *), void *ctx);
void em__buffer_retain(em_buffer *b);
void em__buffer_release(em_buffer *b);

/* ---- nodes ---- */
enum {
    EM_F_EVALUATED = 1 << 0, /* buf is valid */
    EM_F_WEAK = 1 << 1,      /* a scalar that adopts the other operand's type */
    EM_F_FAILED = 1 << 2,    /* evaluation failed; `error` says why */
    EM_F_PENDING = 1 << 3,   /* scheduled by em_async_eval */
};

typedef struct em_siblings em_siblings;

struct em_array {
    atomic_int refs;
    uint16_t prim;      /* em_prim_id; EM_P_NONE once evaluated or for data */
    uint8_t dtype;
    uint8_t ndim;
    uint32_t flags;
    int32_t n_inputs;
    int64_t size;
    int64_t shape[EM_MAX_DIMS];
    int64_t strides[EM_MAX_DIMS]; /* elements; valid once evaluated */
    int64_t offset;               /* elements into buf */
    em_buffer *buf;
    em_array **inputs;            /* owned references; freed after evaluation */
    em_params *params;            /* owned; NULL if the primitive takes none */
    em_siblings *sibs;            /* other outputs of the same node, or NULL */
    em_stream stream;
    const char *module;           /* interned, never freed */
    char *error;                  /* why evaluation failed */
    uint32_t mark;                /* graph walks */
    uint64_t seq;                 /* creation order: the evaluator's schedule */
    uint16_t orig_prim;           /* prim that made it (kept after evaluation) */
};

/* Outputs of one multi-output node. Each output holds a reference to the group;
 * the group holds weak pointers (cleared when an output dies). */
typedef struct em_out_meta {
    uint8_t dtype, ndim;
    int64_t shape[EM_MAX_DIMS];
} em_out_meta;

struct em_siblings {
    atomic_int refs;
    int n;
    em_array **out;      /* NULL where an output died unevaluated */
    em_out_meta *meta;   /* so a dead output can be recomputed into a temporary */
};

/* Builds a node. Inputs are retained; params are copied (ext too: the caller
 * keeps its own). Returns NULL if an input is NULL (the
 * earlier error stays) or on allocation failure. The node is registered with
 * the current scope. */
em_array *em__node(em_prim_id prim, em_dtype dtype, int ndim, const int64_t *shape,
                   em_array *const *inputs, int n_inputs, const em_params *params);
/* Multi-output node: writes n outputs. 0 or -1. */
int em__node_multi(em_prim_id prim, int n_out, const em_dtype *dtypes, const int *ndims,
                   const int64_t *const *shapes, em_array *const *inputs, int n_inputs,
                   const em_params *params, em_array **out);
/* A fresh, unregistered leaf with no buffer (used by backends and transforms). */
em_array *em__alloc_array(em_dtype dtype, int ndim, const int64_t *shape);
/* Hands a (new) reference to the current scope, if any; returns a. Inside an
 * op that composes other ops (between em__internal_begin and _end) nothing is
 * tracked: the op owns its temporaries and releases them itself. */
em_array *em__track(em_array *a);
void em__internal_begin(void);
/* Ends the internal section and tracks `result` (the op's return value). */
em_array *em__internal_end(em_array *result);
/* Ops written as chains of other ops open a private scope instead:
 *   em_scope *s = em_scope_begin(); ...chain...; return em__composite_end(s, r);
 * which releases the chain's temporaries and tracks r for the caller. Never
 * em_release what a private scope holds. */
em_array *em__composite_end(em_scope *s, em_array *result);
/* The int-returning form, for ops that write several outputs. */
int em__internal_end_many(int rc, em_array **out, int n);

/* Checks for ops: true if any input is NULL (then the op returns NULL). */
static inline int em__any_null(em_array *const *a, int n)
{
    for (int i = 0; i < n; i++)
        if (!a[i])
            return 1;
    return 0;
}

/* "float32[2,3]" into buf. */
const char *em__describe(const em_array *a, char *buf, size_t n);
/* Normalises an axis; -1 with an error naming `op` when out of range. */
int em__norm_axis(const char *op, int axis, int ndim);
/* Row-major strides for a shape. */
void em__row_strides(int ndim, const int64_t *shape, int64_t *strides);
int64_t em__shape_size(int ndim, const int64_t *shape);
/* Numpy broadcasting of two shapes; -1 with error naming op. */
int em__broadcast_shapes(const char *op, int nda, const int64_t *sa, int ndb, const int64_t *sb,
                         int *nd_out, int64_t *out);

/* ---- kernels ---- */
/* A backend kernel evaluates one node: inputs are evaluated; it must give each
 * output a buffer (em__alloc_output, em__donate_or_alloc) or make it a view of
 * an input (em__set_view). Returns 0, or -1 with em__error(). */
typedef int (*em_kernel_fn)(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                            const em_params *p);

typedef struct em_backend {
    const char *name;
    em_device_type device;
    em_kernel_fn kernels[EM_P_COUNT];
    /* Called before reading a buffer on the host (waits for the device). */
    int (*synchronize)(void);
    /* Starts what is recorded without waiting for it (async_eval); NULL: none. */
    int (*flush)(void);
    /* Copies n bytes at byte off of one of its buffers to host memory, where
     * that is faster than host loads from the buffer (device memory seen
     * through the bus); 1: read it in place instead. NULL: always in place. */
    int (*read)(const em_buffer *b, size_t off, size_t n, void *dst);
} em_backend;

extern em_backend em_cpu_backend;
/* NULL until a GPU backend registers (engine/vulkan/). */
extern em_backend *em_gpu_backend;

/* Registers a CPU kernel (called from the cpu/ files' constructors). */
void em__cpu_register(em_prim_id prim, em_kernel_fn fn);

/* Allocates a row-major buffer for out (strides set). */
int em__alloc_output(em_array *out);
/* Reuses in's buffer for out when in is row-contiguous, the only user of its
 * buffer, and of the same byte size; else allocates. */
int em__donate_or_alloc(em_array *out, em_array *in);
/* Makes out a view of in's buffer. */
void em__set_view(em_array *out, em_array *in, int64_t offset, const int64_t *strides);
bool em__is_row_contiguous(const em_array *a);
static inline void *em__data(const em_array *a)
{
    return (char *)a->buf->data + a->offset * (int64_t)em_dtype_size((em_dtype)a->dtype);
}

/* ---- thread pool ---- */
typedef void (*em_range_fn)(void *ctx, int64_t begin, int64_t end);
/* Runs fn over [0, n) split in chunks of at least `grain` on the worker threads
 * (inline when small). */
void em__parallel_for(int64_t n, int64_t grain, em_range_fn fn, void *ctx);
/* Runs fn over [0, n) in one contiguous part per thread: for streaming
 * kernels, where each thread's reads then stay one sequential stream that its
 * prefetches can run ahead of. The first part (the caller's, as it starts
 * first) is em__parallel_split_first(n, lead) long, lead (>= 0; 0 when n
 * leaves no room) units more than the others (the workers start about a
 * microsecond later), which are
 * em__parallel_split_size(n, lead) each (the last shorter). A part goes to
 * whichever thread is free, so the ranges need not map to fixed threads. */
void em__parallel_split(int64_t n, int64_t lead, em_range_fn fn, void *ctx);
int64_t em__parallel_split_size(int64_t n, int64_t lead);
int64_t em__parallel_split_first(int64_t n, int64_t lead);
int em__num_threads(void);

/* ---- memory accounting (allocator.c) ---- */
void *em__host_alloc(size_t nbytes);        /* accounted; NULL + error on OOM */
void em__host_free(void *p, size_t nbytes);
void em__account(em_device_type dev, ptrdiff_t delta); /* other backends' memory */

#endif
