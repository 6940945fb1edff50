/* compile: trace once per input signature into a tape, simplify it, fuse its
 * elementwise chains, and replay the tape on each call's inputs. */
#include <stdlib.h>
#include <string.h>

#include "ember/graph.h"
#include "fused.h"
#include "transforms_internal.h"

typedef enum { REF_INPUT, REF_NODE, REF_CONST } ref_kind;
typedef struct {
    uint8_t kind;
    uint8_t out; /* which output of a multi-output entry */
    int idx;
} ref;

typedef struct {
    uint16_t prim;
    uint8_t dtype[EM_MAX_FN_OUTPUTS];
    int n_out;
    int ndim[EM_MAX_FN_OUTPUTS];
    int64_t shape[EM_MAX_FN_OUTPUTS][EM_MAX_DIMS];
    int n_in;
    ref *in;
    em_params *params; /* owned copy (ext and obj included) */
    const char *module;
} entry;

typedef struct tape {
    struct tape *next;
    int n_in;
    uint8_t in_dtype[64];
    int in_ndim[64];
    int64_t in_shape[64][EM_MAX_DIMS];
    bool shapeless; /* every entry takes its shape from its inputs */
    entry *e;
    int n_e;
    em_array **consts;
    int n_consts;
    ref out[EM_MAX_FN_OUTPUTS];
    int n_out;
} tape;

struct em_compiled {
    em_closure f;
    unsigned flags;
    tape *tapes;
};

/* ---- fused programs ---- */

em_fused_program *em__fused_new(int n_ops, int n_ext)
{
    em_fused_program *p = calloc(1, sizeof *p + n_ops * sizeof(em_fused_op));
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    p->n_ops = n_ops;
    p->n_ext = n_ext;
    return p;
}

void em__fused_retain(void *p) { atomic_fetch_add(&((em_fused_program *)p)->refs, 1); }

void em__fused_release(void *p)
{
    if (p && atomic_fetch_sub(&((em_fused_program *)p)->refs, 1) == 1)
        free(p);
}

em_array *em__fused_unfused(const em_fused_program *prog, em_array *const *ext, int ndim,
                            const int64_t *shape)
{
    em_array *res[256];
    for (int k = 0; k < prog->n_ops; k++) {
        const em_fused_op *op = &prog->ops[k];
        em_array *in[3];
        for (int q = 0; q < op->n_in; q++)
            in[q] = op->in[q] >= 0 ? res[op->in[q]] : ext[-op->in[q] - 1];
        em_params p = {.i = {op->i0}, .f = {op->f0}};
        res[k] = em__node((em_prim_id)op->prim, (em_dtype)op->dtype, ndim, shape, in, op->n_in,
                          op->prim == EM_P_ROUND ? &p : NULL);
        if (!res[k])
            return NULL;
    }
    return res[prog->n_ops - 1];
}

/* ---- tapes ---- */

static void tape_free(tape *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->n_e; i++) {
        free(t->e[i].in);
        em__params_free(t->e[i].params);
    }
    free(t->e);
    for (int i = 0; i < t->n_consts; i++)
        em_release(t->consts[i]);
    free(t->consts);
    free(t);
}

static em_params *params_copy(const em_params *p)
{
    if (!p)
        return NULL;
    em_params *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *p;
    c->ext = NULL;
    if (p->ext && p->ext_size) {
        c->ext = malloc(p->ext_size);
        if (c->ext)
            memcpy(c->ext, p->ext, p->ext_size);
    }
    if (c->obj && c->obj_retain)
        c->obj_retain(c->obj);
    return c;
}

static bool params_equal(const em_params *a, const em_params *b)
{
    if (!a || !b)
        return a == b;
    if (memcmp(a->i, b->i, sizeof a->i) || memcmp(a->f, b->f, sizeof a->f) ||
        a->ext_size != b->ext_size || a->obj != b->obj)
        return false;
    return !a->ext_size || !memcmp(a->ext, b->ext, a->ext_size);
}

static bool ref_equal(ref a, ref b) { return a.kind == b.kind && a.idx == b.idx && a.out == b.out; }

static int ref_ndim(const tape *t, ref r, const int64_t **shape, em_dtype *dt)
{
    switch (r.kind) {
    case REF_INPUT: *shape = t->in_shape[r.idx]; *dt = (em_dtype)t->in_dtype[r.idx]; return t->in_ndim[r.idx];
    case REF_NODE: *shape = t->e[r.idx].shape[r.out]; *dt = (em_dtype)t->e[r.idx].dtype[r.out]; return t->e[r.idx].ndim[r.out];
    default: *shape = t->consts[r.idx]->shape; *dt = (em_dtype)t->consts[r.idx]->dtype; return t->consts[r.idx]->ndim;
    }
}

static bool is_elementwise(int prim)
{
    em_prim_kind k = em_prims[prim].kind;
    return k == EM_KIND_UNARY || k == EM_KIND_BINARY || k == EM_KIND_TERNARY;
}

/* Records f's graph for one input signature. */
static tape *trace(em_compiled *c, em_array *const *in, int n_in)
{
    tape *t = calloc(1, sizeof *t);
    em_array **ph = calloc(n_in + 1, sizeof *ph);
    em_ptrmap stop = {0}, refs = {0}, deps = {0};
    em_array **order = NULL, *outs[EM_MAX_FN_OUTPUTS];
    size_t n_order = 0;
    if (!t || !ph || n_in > 64) {
        em__error(n_in > 64 ? "compile: at most 64 inputs" : "out of memory");
        goto fail;
    }
    t->n_in = n_in;
    for (int i = 0; i < n_in; i++) {
        t->in_dtype[i] = in[i]->dtype;
        t->in_ndim[i] = in[i]->ndim;
        memcpy(t->in_shape[i], in[i]->shape, sizeof in[i]->shape);
        /* a placeholder: no buffer, never evaluated */
        ph[i] = em__alloc_array((em_dtype)in[i]->dtype, in[i]->ndim, in[i]->shape);
        if (!ph[i] || em__ptrmap_put(&stop, ph[i], (void *)(intptr_t)(i + 1)) < 0)
            goto fail;
    }
    em_scope *s = em_scope_begin();
    int n_out = c->f.fn(c->f.payload, ph, n_in, outs, EM_MAX_FN_OUTPUTS);
    if (n_out < 0 || em__any_null(outs, n_out) ||
        em__graph_order(outs, n_out, &stop, &order, &n_order) < 0) {
        em_scope_end(s);
        goto fail;
    }
    t->e = calloc(n_order + 1, sizeof *t->e);
    t->consts = calloc(n_order + 1, sizeof *t->consts);
    if (!t->e || !t->consts) {
        em_scope_end(s);
        goto fail;
    }
    /* refs are stored +1 packed: kind << 30 | out << 24 | idx */
#define PACK(r) ((void *)(intptr_t)(((intptr_t)(r).kind << 40) | ((intptr_t)(r).out << 32) | ((r).idx + 1)))
#define UNPACK(v) ((ref){(uint8_t)((intptr_t)(v) >> 40), (uint8_t)(((intptr_t)(v) >> 32) & 0xff), (int)(((intptr_t)(v) & 0xffffffff) - 1)})
    for (size_t ii = 0; ii < n_order; ii++) {
        em_array *a = order[ii];
        if (em__ptrmap_has(&refs, a))
            continue;
        intptr_t pi = (intptr_t)em__ptrmap_get(&stop, a);
        if (pi) {
            em__ptrmap_put(&refs, a, PACK(((ref){REF_INPUT, 0, (int)pi - 1})));
            em__ptrmap_put(&deps, a, a);
            continue;
        }
        bool dep = false;
        for (int j = 0; j < a->n_inputs && !dep; j++)
            dep = em__ptrmap_has(&deps, a->inputs[j]);
        /* a broadcast scalar stays an entry: under shapeless reuse it takes
         * the new shape */
        bool scalar_bcast = a->prim == EM_P_BROADCAST && a->n_inputs == 1 && a->inputs[0]->size == 1;
        if (scalar_bcast && !em__ptrmap_has(&refs, a->inputs[0])) {
            t->consts[t->n_consts] = em_retain(a->inputs[0]);
            em__ptrmap_put(&refs, a->inputs[0], PACK(((ref){REF_CONST, 0, t->n_consts})));
            t->n_consts++;
        }
        if ((!dep && !scalar_bcast) || a->prim == EM_P_NONE) {
            /* small constants are computed once, now */
            if (!(a->flags & EM_F_EVALUATED) && a->size <= 16 && em_eval(a) < 0)
                em_error_clear();
            t->consts[t->n_consts] = em_retain(a);
            em__ptrmap_put(&refs, a, PACK(((ref){REF_CONST, 0, t->n_consts})));
            t->n_consts++;
            continue;
        }
        entry *e = &t->e[t->n_e];
        e->prim = a->prim;
        e->module = a->module;
        e->n_in = a->n_inputs;
        e->in = malloc((a->n_inputs + 1) * sizeof *e->in);
        e->params = params_copy(a->params);
        if (!e->in || (a->params && !e->params)) {
            em_scope_end(s);
            goto fail;
        }
        for (int j = 0; j < a->n_inputs; j++)
            e->in[j] = UNPACK(em__ptrmap_get(&refs, a->inputs[j]));
        em_array *one[1] = {a};
        em_array *const *group = a->sibs ? a->sibs->out : one;
        e->n_out = a->sibs ? a->sibs->n : 1;
        for (int k = 0; k < e->n_out; k++) {
            em_out_meta m = a->sibs ? a->sibs->meta[k]
                                    : (em_out_meta){a->dtype, a->ndim, {0}};
            if (!a->sibs)
                memcpy(m.shape, a->shape, sizeof m.shape);
            e->dtype[k] = m.dtype;
            e->ndim[k] = m.ndim;
            memcpy(e->shape[k], m.shape, sizeof m.shape);
            if (group[k]) {
                em__ptrmap_put(&refs, group[k], PACK(((ref){REF_NODE, (uint8_t)k, t->n_e})));
                em__ptrmap_put(&deps, group[k], group[k]);
            }
        }
        t->n_e++;
    }
    t->n_out = n_out;
    for (int k = 0; k < n_out; k++)
        t->out[k] = UNPACK(em__ptrmap_get(&refs, outs[k]));
#undef PACK
#undef UNPACK
    em_scope_end(s);
    free(order);
    for (int i = 0; i < n_in; i++)
        em_release(ph[i]);
    free(ph);
    em__ptrmap_free(&stop);
    em__ptrmap_free(&refs);
    em__ptrmap_free(&deps);
    return t;
fail:
    free(order);
    for (int i = 0; ph && i < n_in; i++)
        em_release(ph[i]);
    free(ph);
    em__ptrmap_free(&stop);
    em__ptrmap_free(&refs);
    em__ptrmap_free(&deps);
    tape_free(t);
    return NULL;
}

/* ---- simplification ---- */

static ref resolve(const ref *alias, ref r)
{
    while (r.kind == REF_NODE && alias[r.idx].idx >= 0 && !(alias[r.idx].kind == REF_NODE && alias[r.idx].idx == r.idx))
        r = alias[r.idx];
    return r;
}

/* Drops no-ops, folds small constant subgraphs, merges duplicates. Entries
 * that become unused stay in the tape but are skipped (n_in = -1). */
static int simplify(tape *t)
{
    ref *alias = malloc((t->n_e + 1) * sizeof *alias);
    if (!alias)
        return em__error("out of memory");
    for (int i = 0; i < t->n_e; i++)
        alias[i] = (ref){REF_NODE, 0, -1};
    for (int i = 0; i < t->n_e; i++) {
        entry *e = &t->e[i];
        for (int j = 0; j < e->n_in; j++)
            e->in[j] = resolve(alias, e->in[j]);
        if (e->n_out != 1)
            continue;
        /* no-ops: same-shape reshape/broadcast/copy-free views, identity transpose */
        if (e->n_in == 1 && (e->prim == EM_P_RESHAPE || e->prim == EM_P_BROADCAST ||
                             e->prim == EM_P_TRANSPOSE || e->prim == EM_P_STOP_GRADIENT)) {
            const int64_t *sh;
            em_dtype dt;
            int nd = ref_ndim(t, e->in[0], &sh, &dt);
            bool same = nd == e->ndim[0] && !memcmp(sh, e->shape[0], nd * sizeof *sh) && dt == e->dtype[0];
            if (same && e->prim == EM_P_TRANSPOSE)
                for (int d = 0; d < nd; d++)
                    same &= e->params->i[d] == d;
            if (same && e->prim != EM_P_STOP_GRADIENT) {
                alias[i] = e->in[0];
                e->n_in = -1;
                continue;
            }
        }
        /* constants: small results of constant inputs are computed now */
        bool all_const = e->n_in > 0;
        for (int j = 0; j < e->n_in && all_const; j++)
            all_const = e->in[j].kind == REF_CONST;
        int64_t size = 1;
        for (int d = 0; d < e->ndim[0]; d++)
            size *= e->shape[0][d];
        if ((all_const || e->n_in == 0) && size <= 16 && e->prim != EM_P_RANDOM_BITS &&
            e->prim != EM_P_BROADCAST) {
            em_array *ins[64];
            for (int j = 0; j < e->n_in && j < 64; j++)
                ins[j] = t->consts[e->in[j].idx];
            em__internal_begin();
            em_array *v = em__node((em_prim_id)e->prim, (em_dtype)e->dtype[0], e->ndim[0], e->shape[0],
                                   ins, e->n_in, e->params);
            em__internal_end(NULL);
            if (v && em_eval(v) == 0) {
                t->consts[t->n_consts] = v;
                alias[i] = (ref){REF_CONST, 0, t->n_consts++};
                e->n_in = -1;
                continue;
            }
            em_release(v);
            em_error_clear();
        }
        /* common subexpressions */
        for (int k = 0; k < i; k++) {
            entry *o = &t->e[k];
            if (o->n_in != e->n_in || o->prim != e->prim || o->n_out != 1 ||
                o->dtype[0] != e->dtype[0] || o->ndim[0] != e->ndim[0] ||
                memcmp(o->shape[0], e->shape[0], e->ndim[0] * sizeof(int64_t)) ||
                !params_equal(o->params, e->params) || e->prim == EM_P_RANDOM_BITS)
                continue;
            bool same = true;
            for (int j = 0; j < e->n_in && same; j++)
                same = ref_equal(o->in[j], e->in[j]);
            if (same) {
                alias[i] = (ref){REF_NODE, 0, k};
                e->n_in = -1;
                break;
            }
        }
    }
    for (int k = 0; k < t->n_out; k++)
        t->out[k] = resolve(alias, t->out[k]);
    free(alias);
    return 0;
}

/* ---- fusion ---- */

static int fuse(tape *t)
{
    int n = t->n_e;
    int *uses = calloc(n + 1, sizeof *uses), *group = malloc((n + 1) * sizeof *group);
    bool *is_out = calloc(n + 1, sizeof *is_out);
    if (!uses || !group || !is_out) {
        free(uses);
        free(group);
        free(is_out);
        return em__error("out of memory");
    }
    for (int i = 0; i < n; i++) {
        group[i] = -1;
        for (int j = 0; j < t->e[i].n_in; j++)
            if (t->e[i].in[j].kind == REF_NODE)
                uses[t->e[i].in[j].idx]++;
    }
    for (int k = 0; k < t->n_out; k++)
        if (t->out[k].kind == REF_NODE)
            is_out[t->out[k].idx] = true;
    /* an elementwise entry joins the group of each elementwise input used only by it */
    for (int i = 0; i < n; i++) {
        entry *e = &t->e[i];
        if (e->n_in < 0 || e->n_out != 1 || !is_elementwise(e->prim))
            continue;
        group[i] = i;
        for (int j = 0; j < e->n_in; j++) {
            ref r = e->in[j];
            if (r.kind != REF_NODE)
                continue;
            entry *src = &t->e[r.idx];
            if (group[r.idx] < 0 || uses[r.idx] != 1 || is_out[r.idx] || src->ndim[0] != e->ndim[0] ||
                memcmp(src->shape[0], e->shape[0], e->ndim[0] * sizeof(int64_t)))
                continue;
            int g = group[r.idx];
            for (int k = 0; k < i; k++)
                if (group[k] == g)
                    group[k] = i;
        }
    }
    /* each group of two or more ops becomes one FUSED entry at its last op */
    for (int last = 0; last < n; last++) {
        if (group[last] != last)
            continue;
        int members[256], nm = 0;
        for (int k = 0; k <= last && nm < 256; k++)
            if (group[k] == last)
                members[nm++] = k;
        if (nm < 2 || nm >= 256)
            continue;
        ref ext[EM_FUSED_MAX_EXT];
        int n_ext = 0;
        em_fused_program *prog = em__fused_new(nm, 0);
        if (!prog)
            break;
        bool ok = true;
        for (int m = 0; m < nm && ok; m++) {
            entry *e = &t->e[members[m]];
            em_fused_op *op = &prog->ops[m];
            op->prim = e->prim;
            op->dtype = e->dtype[0];
            op->n_in = (uint8_t)e->n_in;
            if (e->params) {
                op->i0 = e->params->i[0];
                op->f0 = e->params->f[0];
            }
            for (int j = 0; j < e->n_in && ok; j++) {
                ref r = e->in[j];
                int inside = -1;
                for (int q = 0; q < m && r.kind == REF_NODE; q++)
                    if (members[q] == r.idx)
                        inside = q;
                if (inside >= 0) {
                    op->in[j] = (int16_t)inside;
                    continue;
                }
                int x = -1;
                for (int q = 0; q < n_ext; q++)
                    if (ref_equal(ext[q], r))
                        x = q;
                if (x < 0) {
                    if (n_ext == EM_FUSED_MAX_EXT) {
                        ok = false;
                        break;
                    }
                    x = n_ext;
                    ext[n_ext++] = r;
                }
                op->in[j] = (int16_t)(-x - 1);
            }
        }
        if (!ok) {
            em__fused_release(prog);
            continue;
        }
        prog->n_ext = n_ext;
        entry *e = &t->e[last];
        free(e->in);
        e->in = malloc(n_ext * sizeof *e->in + 1);
        memcpy(e->in, ext, n_ext * sizeof *ext);
        e->n_in = n_ext;
        e->prim = EM_P_FUSED;
        em__params_free(e->params);
        e->params = calloc(1, sizeof *e->params);
        e->params->obj = prog;
        e->params->obj_retain = em__fused_retain;
        e->params->obj_release = em__fused_release;
        for (int m = 0; m + 1 < nm; m++) {
            free(t->e[members[m]].in);
            t->e[members[m]].in = NULL;
            t->e[members[m]].n_in = -1;
        }
    }
    free(uses);
    free(group);
    free(is_out);
    return 0;
}

static bool check_shapeless(const tape *t)
{
    for (int i = 0; i < t->n_e; i++) {
        const entry *e = &t->e[i];
        bool scalar_bcast = e->prim == EM_P_BROADCAST && e->n_in == 1 && e->in[0].kind == REF_CONST &&
                            t->consts[e->in[0].idx]->size == 1;
        if (e->n_in >= 0 && e->prim != EM_P_FUSED && !is_elementwise(e->prim) && !scalar_bcast)
            return false;
    }
    for (int i = 1; i < t->n_in; i++)
        if (t->in_ndim[i] != t->in_ndim[0] ||
            memcmp(t->in_shape[i], t->in_shape[0], t->in_ndim[0] * sizeof(int64_t)))
            return false;
    for (int i = 0; i < t->n_consts; i++)
        if (t->consts[i]->size != 1)
            return false;
    return true;
}

/* ---- calling ---- */

static bool matches(const tape *t, em_array *const *in, int n_in, bool shapeless)
{
    if (t->n_in != n_in)
        return false;
    for (int i = 0; i < n_in; i++) {
        if (t->in_dtype[i] != in[i]->dtype || t->in_ndim[i] != in[i]->ndim)
            return false;
        if (!shapeless && memcmp(t->in_shape[i], in[i]->shape, in[i]->ndim * sizeof(int64_t)))
            return false;
    }
    return true;
}

/* Builds the tape's nodes on the given inputs; outputs are new references. */
static int replay(const tape *t, em_array *const *in, em_array **out)
{
    em_array ***vals = calloc(t->n_e + 1, sizeof *vals);
    if (!vals)
        return em__error("out of memory");
    bool new_shape = !matches(t, in, t->n_in, false);
    int rc = 0;
    em__internal_begin();
    for (int i = 0; i < t->n_e && rc == 0; i++) {
        const entry *e = &t->e[i];
        if (e->n_in < 0)
            continue;
        em_array *ins[64];
        for (int j = 0; j < e->n_in; j++) {
            ref r = e->in[j];
            ins[j] = r.kind == REF_INPUT ? in[r.idx] : r.kind == REF_CONST ? t->consts[r.idx] : vals[r.idx][r.out];
        }
        vals[i] = calloc(e->n_out, sizeof **vals);
        if (!vals[i]) {
            rc = em__error("out of memory");
            break;
        }
        const char *saved = em_current_module();
        em_set_module(e->module);
        if (e->n_out == 1) {
            int ndim = e->ndim[0];
            const int64_t *shape = e->shape[0];
            if (new_shape) { /* shapeless: elementwise entries take their inputs' shape */
                ndim = in[0]->ndim;
                shape = in[0]->shape;
            }
            vals[i][0] = em__node((em_prim_id)e->prim, (em_dtype)e->dtype[0], ndim, shape, ins, e->n_in, e->params);
            rc = vals[i][0] ? 0 : -1;
        } else {
            em_dtype dt[EM_MAX_FN_OUTPUTS];
            const int64_t *sh[EM_MAX_FN_OUTPUTS];
            for (int k = 0; k < e->n_out; k++) {
                dt[k] = (em_dtype)e->dtype[k];
                sh[k] = e->shape[k];
            }
            rc = em__node_multi((em_prim_id)e->prim, e->n_out, dt, e->ndim, sh, ins, e->n_in, e->params, vals[i]);
        }
        em_set_module(saved);
    }
    for (int k = 0; k < t->n_out && rc == 0; k++) {
        ref r = t->out[k];
        out[k] = em_retain(r.kind == REF_INPUT ? in[r.idx] : r.kind == REF_CONST ? t->consts[r.idx] : vals[r.idx][r.out]);
    }
    for (int i = 0; i < t->n_e; i++) {
        for (int k = 0; vals[i] && k < t->e[i].n_out; k++)
            em_release(vals[i][k]);
        free(vals[i]);
    }
    free(vals);
    em__internal_end(NULL);
    if (rc == 0)
        for (int k = 0; k < t->n_out; k++)
            em__track(out[k]);
    return rc < 0 ? -1 : t->n_out;
}

em_compiled *em_compile(em_closure f, unsigned flags)
{
    em_compiled *c = calloc(1, sizeof *c);
    if (!c) {
        em__error("out of memory");
        return NULL;
    }
    c->f = f;
    c->flags = flags;
    return c;
}

static tape *lookup(em_compiled *c, em_array *const *in, int n_in)
{
    for (tape *t = c->tapes; t; t = t->next)
        if (matches(t, in, n_in, false))
            return t;
    if (c->flags & EM_COMPILE_SHAPELESS)
        for (tape *t = c->tapes; t; t = t->next)
            if (t->shapeless && matches(t, in, n_in, true))
                return t;
    tape *t = trace(c, in, n_in);
    if (!t || simplify(t) < 0 || fuse(t) < 0) {
        tape_free(t);
        return NULL;
    }
    t->shapeless = check_shapeless(t);
    t->next = c->tapes;
    c->tapes = t;
    return t;
}

int em_compiled_call(em_compiled *c, em_array *const *in, int n_in, em_array **out, int max_out)
{
    if (!c)
        return em__error("compiled_call: NULL function");
    if (em__any_null(in, n_in))
        return -1;
    tape *t = lookup(c, in, n_in);
    if (!t)
        return -1;
    if (t->n_out > max_out)
        return em__error("compiled_call: the function has %d outputs, room for %d", t->n_out, max_out);
    return replay(t, in, out);
}

void em_compiled_free(em_compiled *c)
{
    if (!c)
        return;
    while (c->tapes) {
        tape *t = c->tapes;
        c->tapes = t->next;
        tape_free(t);
    }
    if (c->f.free_payload)
        c->f.free_payload(c->f.payload);
    free(c);
}

em_graph *em_compiled_graph(em_compiled *c, em_array *const *in, int n_in)
{
    em_array *out[EM_MAX_FN_OUTPUTS];
    em__internal_begin();
    int n = em_compiled_call(c, in, n_in, out, EM_MAX_FN_OUTPUTS);
    em__internal_end(NULL);
    if (n < 0)
        return NULL;
    em_graph *g = em_graph_capture(out, n);
    for (int k = 0; k < n; k++)
        em_release(out[k]);
    return g;
}

/* ---- rules of fused nodes: through the unfused ops ---- */

typedef struct {
    const em_fused_program *prog;
    int ndim;
    const int64_t *shape;
} unfused_call;

static int unfused_fn(void *payload, em_array *const *in, int n_in, em_array **out, int max_out)
{
    unfused_call *u = payload;
    const int64_t *shape = n_in ? in[0]->shape : u->shape;
    int ndim = n_in ? in[0]->ndim : u->ndim;
    out[0] = em__fused_unfused(u->prog, in, ndim, shape);
    return out[0] ? 1 : -1;
}

static int vjp_fused(em_array *const *outs, int n_out, em_array *const *cots, em_array *const *ins,
                     int n_in, const em_params *p, em_array **in_cots)
{
    unfused_call u = {p->obj, outs[0]->ndim, outs[0]->shape};
    em_array *ignored[1];
    return em_vjp((em_closure){unfused_fn, &u, NULL}, ins, n_in, cots, 1, ignored, 0, in_cots) < 0 ? -1 : 0;
}

static int jvp_fused(em_array *const *outs, int n_out, em_array *const *ins, int n_in,
                     em_array *const *in_tans, const em_params *p, em_array **out_tans)
{
    unfused_call u = {p->obj, outs[0]->ndim, outs[0]->shape};
    em_array *tans[64], *ignored[1];
    for (int i = 0; i < n_in; i++)
        tans[i] = in_tans[i] ? in_tans[i] : em_zeros_like(ins[i]);
    return em_jvp((em_closure){unfused_fn, &u, NULL}, ins, n_in, tans, ignored, 0, out_tans) < 0 ? -1 : 0;
}

static int vmap_fused(const em_array *node, em_array *const *ins, const int *axes, int n_in,
                      em_array **outs, int *out_axes)
{
    unfused_call u = {node->params->obj, node->ndim, node->shape};
    out_axes[0] = 0;
    return em_vmap((em_closure){unfused_fn, &u, NULL}, ins, n_in, axes, NULL, outs, 1) < 0 ? -1 : 0;
}

__attribute__((constructor)) static void register_fused_rules(void)
{
    em__register_vjp(EM_P_FUSED, vjp_fused);
    em__register_jvp(EM_P_FUSED, jvp_fused);
    em__register_vmap(EM_P_FUSED, vmap_fused);
}
