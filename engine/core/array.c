/* Nodes: creation, references, properties, reading back. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array_internal.h"
#include "convert.h"
#include "scope_internal.h"

const em_prim_info em_prims[EM_P_COUNT] = {
#define EM_PRIM(id, name, kind) [EM_P_##id] = {name, EM_KIND_##kind},
#include "prims.def"
#undef EM_PRIM
};

static _Thread_local const char *current_module;
static atomic_uint_fast64_t next_seq;

void em__row_strides(int ndim, const int64_t *shape, int64_t *strides)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] ? shape[i] : 1;
    }
}

int64_t em__shape_size(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

const char *em__describe(const em_array *a, char *buf, size_t n)
{
    if (!a) {
        snprintf(buf, n, "(null)");
        return buf;
    }
    int k = snprintf(buf, n, "%s[", em_dtype_name((em_dtype)a->dtype));
    for (int i = 0; i < a->ndim && k < (int)n; i++)
        k += snprintf(buf + k, n - k, i ? ",%" PRId64 : "%" PRId64, a->shape[i]);
    if (k < (int)n)
        snprintf(buf + k, n - k, "]");
    return buf;
}

int em__norm_axis(const char *op, int axis, int ndim)
{
    int a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= ndim) {
        em__error("%s: axis %d is out of range for an array of %d dimensions", op, axis, ndim);
        return -1;
    }
    return a;
}

int em__broadcast_shapes(const char *op, int nda, const int64_t *sa, int ndb, const int64_t *sb,
                         int *nd_out, int64_t *out)
{
    int nd = nda > ndb ? nda : ndb;
    for (int i = 0; i < nd; i++) {
        int ia = nda - nd + i, ib = ndb - nd + i;
        int64_t da = ia >= 0 ? sa[ia] : 1, db = ib >= 0 ? sb[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char s1[128] = "", s2[128] = "";
            int k = 0;
            for (int j = 0; j < nda; j++)
                k += snprintf(s1 + k, sizeof s1 - k, j ? ",%" PRId64 : "%" PRId64, sa[j]);
            k = 0;
            for (int j = 0; j < ndb; j++)
                k += snprintf(s2 + k, sizeof s2 - k, j ? ",%" PRId64 : "%" PRId64, sb[j]);
            return em__error("%s: shapes (%s) and (%s) cannot be broadcast together", op, s1, s2);
        }
        out[i] = da == 1 ? db : da;
    }
    *nd_out = nd;
    return 0;
}

em_array *em__alloc_array(em_dtype dtype, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > EM_MAX_DIMS) {
        em__error("array: %d dimensions asked, at most %d are supported", ndim, EM_MAX_DIMS);
        return NULL;
    }
    int64_t size = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            em__error("array: dimension %d has negative size %" PRId64, i, shape[i]);
            return NULL;
        }
        if (shape[i] && size > INT64_MAX / shape[i]) {
            em__error("array: the shape's size overflows");
            return NULL;
        }
        size *= shape[i];
    }
    em_array *a = calloc(1, sizeof *a);
    if (!a) {
        em__error("out of memory");
        return NULL;
    }
    atomic_init(&a->refs, 1);
    a->dtype = (uint8_t)dtype;
    a->ndim = (uint8_t)ndim;
    a->size = size;
    if (ndim)
        memcpy(a->shape, shape, ndim * sizeof *shape);
    em__row_strides(ndim, a->shape, a->strides);
    a->stream = em_current_stream();
    a->module = current_module;
    a->seq = atomic_fetch_add_explicit(&next_seq, 1, memory_order_relaxed);
    return a;
}

em_array *em__track(em_array *a)
{
    if (a)
        em__scope_add(a);
    return a;
}

static em_array *node_untracked(em_prim_id prim, em_dtype dtype, int ndim, const int64_t *shape,
                                em_array *const *inputs, int n_inputs, const em_params *params)
{
    if (em__any_null(inputs, n_inputs))
        return NULL;
    em_array *a = em__alloc_array(dtype, ndim, shape);
    if (!a)
        return NULL;
    a->prim = a->orig_prim = (uint16_t)prim;
    if (n_inputs) {
        a->inputs = malloc(n_inputs * sizeof *a->inputs);
        if (!a->inputs) {
            free(a);
            em__error("out of memory");
            return NULL;
        }
        for (int i = 0; i < n_inputs; i++)
            a->inputs[i] = em_retain(inputs[i]);
        a->n_inputs = n_inputs;
    }
    if (params) {
        a->params = malloc(sizeof *a->params);
        if (!a->params) {
            em_release(a);
            em__error("out of memory");
            return NULL;
        }
        *a->params = *params;
        a->params->ext = NULL;
        if (params->obj && params->obj_retain)
            params->obj_retain(params->obj);
        if (params->ext && params->ext_size) {
            a->params->ext = malloc(params->ext_size);
            if (!a->params->ext) {
                em_release(a);
                em__error("out of memory");
                return NULL;
            }
            memcpy(a->params->ext, params->ext, params->ext_size);
        }
    }
    return a;
}

em_array *em__node(em_prim_id prim, em_dtype dtype, int ndim, const int64_t *shape,
                   em_array *const *inputs, int n_inputs, const em_params *params)
{
    return em__track(node_untracked(prim, dtype, ndim, shape, inputs, n_inputs, params));
}

int em__node_multi(em_prim_id prim, int n_out, const em_dtype *dtypes, const int *ndims,
                   const int64_t *const *shapes, em_array *const *inputs, int n_inputs,
                   const em_params *params, em_array **out)
{
    for (int i = 0; i < n_out; i++)
        out[i] = NULL;
    if (em__any_null(inputs, n_inputs))
        return -1;
    em_siblings *s = calloc(1, sizeof *s + n_out * (sizeof(em_array *) + sizeof(em_out_meta)));
    if (!s)
        return em__error("out of memory");
    s->n = n_out;
    s->meta = (em_out_meta *)(s + 1);
    s->out = (em_array **)(s->meta + n_out);
    atomic_init(&s->refs, 0);
    for (int i = 0; i < n_out; i++) {
        em_array *a = node_untracked(prim, dtypes[i], ndims[i], shapes[i], inputs, n_inputs,
                                     params);
        if (!a) {
            if (!i)
                free(s);
            for (int j = 0; j < i; j++) {
                em_release(out[j]);
                out[j] = NULL;
            }
            return -1;
        }
        a->sibs = s;
        atomic_fetch_add(&s->refs, 1);
        s->meta[i].dtype = a->dtype;
        s->meta[i].ndim = a->ndim;
        memcpy(s->meta[i].shape, a->shape, sizeof a->shape);
        s->out[i] = a;
        out[i] = a;
    }
    for (int i = 0; i < n_out; i++)
        em__track(out[i]);
    return 0;
}

void em__params_free(em_params *p)
{
    if (!p)
        return;
    free(p->ext);
    if (p->obj && p->obj_release)
        p->obj_release(p->obj);
    free(p);
}

/* ---- references ---- */

em_array *em_retain(em_array *a)
{
    if (a)
        atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
    return a;
}

static void detach_sibling(em_array *a)
{
    em_siblings *s = a->sibs;
    for (int i = 0; i < s->n; i++)
        if (s->out[i] == a)
            s->out[i] = NULL;
    if (atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
    a->sibs = NULL;
}

/* Frees without recursion: a chain of 100,000 unevaluated ops must not
 * overflow the stack. */
void em_release(em_array *a)
{
    if (!a || atomic_fetch_sub_explicit(&a->refs, 1, memory_order_acq_rel) != 1)
        return;
    size_t cap = 16, n = 0;
    em_array *local[16];
    em_array **stack = local;
    stack[n++] = a;
    while (n) {
        em_array *x = stack[--n];
        for (int i = 0; i < x->n_inputs; i++) {
            em_array *in = x->inputs[i];
            if (atomic_fetch_sub_explicit(&in->refs, 1, memory_order_acq_rel) != 1)
                continue;
            if (n == cap) {
                em_array **bigger = malloc(2 * cap * sizeof *bigger);
                if (!bigger)
                    abort(); /* cannot free without memory: nothing sane remains */
                memcpy(bigger, stack, n * sizeof *bigger);
                if (stack != local)
                    free(stack);
                stack = bigger;
                cap *= 2;
            }
            stack[n++] = in;
        }
        if (x->sibs)
            detach_sibling(x);
        free(x->inputs);
        em__params_free(x->params);
        em__buffer_release(x->buf);
        free(x->error);
        free(x);
    }
    if (stack != local)
        free(stack);
}

/* ---- construction ---- */

static em_array *from_data(const void *data, int ndim, const int64_t *shape, em_dtype dtype,
                           uint32_t flags)
{
    if ((unsigned)dtype >= EM_DTYPE_COUNT) {
        em__error("array: unknown dtype %d", (int)dtype);
        return NULL;
    }
    em_array *a = em__alloc_array(dtype, ndim, shape);
    if (!a)
        return NULL;
    size_t nbytes = (size_t)a->size * em_dtype_size(dtype);
    a->buf = em__buffer_new(nbytes, EM_CPU);
    if (!a->buf) {
        free(a);
        return NULL;
    }
    if (nbytes && data)
        memcpy(a->buf->data, data, nbytes);
    a->flags = EM_F_EVALUATED | flags;
    a->stream = em_default_stream(em_cpu());
    return em__track(a);
}

em_array *em_array_from_data(const void *data, int ndim, const int64_t *shape, em_dtype dtype)
{
    return from_data(data, ndim, shape, dtype, 0);
}

em_array *em_array_from_buffer(void *data, int ndim, const int64_t *shape, em_dtype dtype,
                               void (*free_fn)(void *data, void *ctx), void *ctx)
{
    if ((unsigned)dtype >= EM_DTYPE_COUNT) {
        em__error("array: unknown dtype %d", (int)dtype);
        return NULL;
    }
    em_array *a = em__alloc_array(dtype, ndim, shape);
    if (!a)
        return NULL;
    a->buf = em__buffer_wrap(data, (size_t)a->size * em_dtype_size(dtype), free_fn, ctx);
    if (!a->buf) {
        free(a);
        return NULL;
    }
    a->flags = EM_F_EVALUATED;
    a->stream = em_default_stream(em_cpu());
    return em__track(a);
}

em_array *em_scalar(double v, em_dtype dtype)
{
    unsigned char tmp[8];
    em__store_f64(tmp, dtype, v);
    return from_data(tmp, 0, NULL, dtype, 0);
}

em_array *em_scalar_f(double v)
{
    float f = (float)v;
    return from_data(&f, 0, NULL, EM_FLOAT32, EM_F_WEAK);
}

em_array *em_scalar_i(int64_t v)
{
    int32_t i = (int32_t)v;
    return from_data(&i, 0, NULL, EM_INT32, EM_F_WEAK);
}

em_array *em_scalar_b(bool v)
{
    uint8_t b = v;
    return from_data(&b, 0, NULL, EM_BOOL, EM_F_WEAK);
}

void em_set_module(const char *name) { current_module = name ? em__intern(name) : NULL; }

const char *em_current_module(void) { return current_module; }

/* ---- properties ---- */

em_dtype em_array_dtype(const em_array *a) { return a ? (em_dtype)a->dtype : EM_FLOAT32; }
int em_array_ndim(const em_array *a) { return a ? a->ndim : 0; }
const int64_t *em_array_shape(const em_array *a) { return a ? a->shape : NULL; }
int64_t em_array_size(const em_array *a) { return a ? a->size : 0; }
size_t em_array_nbytes(const em_array *a)
{
    return a ? (size_t)a->size * em_dtype_size((em_dtype)a->dtype) : 0;
}
em_stream em_array_stream(const em_array *a) { return a ? a->stream : em_current_stream(); }
bool em_array_is_evaluated(const em_array *a) { return a && (a->flags & EM_F_EVALUATED); }
const int64_t *em_array_strides(const em_array *a) { return a ? a->strides : NULL; }

int64_t em_array_dim(const em_array *a, int axis)
{
    if (!a)
        return -1;
    int ax = em__norm_axis("dim", axis, a->ndim);
    return ax < 0 ? -1 : a->shape[ax];
}

bool em__is_row_contiguous(const em_array *a)
{
    int64_t s = 1;
    for (int i = a->ndim - 1; i >= 0; i--) {
        if (a->shape[i] != 1 && a->strides[i] != s)
            return false;
        s *= a->shape[i];
    }
    return true;
}

bool em_array_is_contiguous(const em_array *a)
{
    return a && (a->flags & EM_F_EVALUATED) && em__is_row_contiguous(a);
}

/* ---- reading back ---- */

static int ready(em_array *a)
{
    if (!a)
        return em_error_pending() ? -1 : em__error("read: the array is NULL");
    if (a->flags & EM_F_FAILED)
        return em__error("%s", a->error ? a->error : "evaluation failed");
    if (!(a->flags & EM_F_EVALUATED) || (a->flags & EM_F_PENDING))
        return em_eval(a);
    /* vulkan: async_eval leaves the GPU running after the array is evaluated */
    if (a->buf && a->buf->device == EM_GPU && em_gpu_backend && em_gpu_backend->synchronize)
        return em_gpu_backend->synchronize();
    return 0;
}

const void *em_array_data(em_array *a)
{
    if (ready(a) < 0)
        return NULL;
    return em__data(a);
}

static int scalar_ready(em_array *a, const char *what)
{
    if (ready(a) < 0)
        return -1;
    if (a->size != 1) {
        char d[128];
        return em__error("%s: the array %s has %" PRId64 " elements, not one", what,
                         em__describe(a, d, sizeof d), a->size);
    }
    return 0;
}

double em_item_f64(em_array *a)
{
    if (scalar_ready(a, "item") < 0)
        return 0;
    return em__load_f64(em__data(a), (em_dtype)a->dtype);
}

float em_item_f32(em_array *a) { return (float)em_item_f64(a); }

int64_t em_item_i64(em_array *a)
{
    if (scalar_ready(a, "item") < 0)
        return 0;
    return em__load_i64(em__data(a), (em_dtype)a->dtype);
}

bool em_item_bool(em_array *a) { return em_item_f64(a) != 0; }

int64_t em_array_read(em_array *a, em_dtype dtype, void *out, int64_t n)
{
    if (ready(a) < 0)
        return -1;
    if (n < a->size)
        return em__error("read: %" PRId64 " elements do not fit in %" PRId64, a->size, n);
    size_t isz = em_dtype_size((em_dtype)a->dtype), osz = em_dtype_size(dtype);
    int64_t idx[EM_MAX_DIMS] = {0};
    const char *base = a->buf->data;
    int64_t first = 0; /* element of the buffer at base */
    /* a GPU array: the span it reaches copied to host memory first, in one go
     * (element loads from device memory through the bus cost a round trip each) */
    char *host = NULL;
    if (a->buf->device == EM_GPU && em_gpu_backend && em_gpu_backend->read && a->size > 0) {
        int64_t lo = a->offset, hi = a->offset;
        for (int d = 0; d < a->ndim; d++) {
            int64_t r = (a->shape[d] - 1) * a->strides[d];
            if (r < 0)
                lo += r;
            else
                hi += r;
        }
        size_t span = (size_t)(hi - lo + 1) * isz;
        if (span <= 4 * (size_t)a->size * isz && (host = malloc(span))) {
            int r = em_gpu_backend->read(a->buf, (size_t)lo * isz, span, host);
            if (r < 0) {
                free(host);
                return -1;
            }
            if (r == 0) {
                base = host;
                first = lo;
            } else {
                free(host);
                host = NULL;
            }
        }
    }
    for (int64_t e = 0; e < a->size; e++) {
        int64_t off = a->offset - first;
        for (int d = 0; d < a->ndim; d++)
            off += idx[d] * a->strides[d];
        em__convert(base + off * (int64_t)isz, (em_dtype)a->dtype, (char *)out + e * osz, dtype);
        for (int d = a->ndim - 1; d >= 0; d--) {
            if (++idx[d] < a->shape[d])
                break;
            idx[d] = 0;
        }
    }
    free(host);
    return a->size;
}

char *em_array_to_string(em_array *a)
{
    if (ready(a) < 0)
        return NULL;
    size_t cap = 256, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    int64_t n = a->size > 1000 ? 1000 : a->size;
    double *v = malloc((a->size ? a->size : 1) * sizeof *v);
    if (!v || em_array_read(a, EM_FLOAT64, v, a->size) < 0) {
        free(v);
        free(s);
        return NULL;
    }
#define PUT(...)                                                                   \
    do {                                                                           \
        int k_ = snprintf(s + len, cap - len, __VA_ARGS__);                        \
        if (len + k_ + 1 >= cap) {                                                 \
            cap = 2 * (len + k_ + 64);                                             \
            char *t_ = realloc(s, cap);                                            \
            if (!t_) { free(s); free(v); return NULL; }                            \
            s = t_;                                                                \
            snprintf(s + len, cap - len, __VA_ARGS__);                             \
        }                                                                          \
        len += k_;                                                                 \
    } while (0)
    PUT("array(");
    for (int d = 0; d < a->ndim; d++)
        PUT("[");
    for (int64_t e = 0; e < n; e++) {
        if (e) {
            int closed = 0;
            int64_t r = e;
            for (int d = a->ndim - 1; d > 0 && r % a->shape[d] == 0; d--) {
                r /= a->shape[d];
                closed++;
            }
            for (int c = 0; c < closed; c++)
                PUT("]");
            PUT(", ");
            for (int c = 0; c < closed; c++)
                PUT("[");
        }
        if (em_dtype_is_float((em_dtype)a->dtype))
            PUT("%g", v[e]);
        else if (a->dtype == EM_BOOL)
            PUT("%s", v[e] ? "true" : "false");
        else
            PUT("%.0f", v[e]);
    }
    if (n < a->size)
        PUT(", ...");
    for (int d = 0; d < a->ndim; d++)
        PUT("]");
    PUT(", dtype=%s)", em_dtype_name((em_dtype)a->dtype));
#undef PUT
    free(v);
    return s;
}
