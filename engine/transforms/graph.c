/* Graph snapshots for inspection and Graphviz export. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/graph.h"
#include "fused.h"
#include "transforms_internal.h"

struct em_graph {
    em_graph_node *nodes;
    int *edges; /* all nodes' input ids, back to back */
    int n, cap, n_edges, cap_edges;
    int n_groups;
};

static em_graph_kind kind_of(int prim)
{
    switch (em_prims[prim].kind) {
    case EM_KIND_UNARY:
    case EM_KIND_BINARY:
    case EM_KIND_TERNARY: return EM_GRAPH_ELEMENTWISE;
    case EM_KIND_REDUCE: return EM_GRAPH_REDUCTION;
    case EM_KIND_VIEW: return EM_GRAPH_VIEW;
    default: return prim == EM_P_NONE ? EM_GRAPH_INPUT : EM_GRAPH_OTHER;
    }
}

/* Appends a node; its inputs are filled by the caller through edges[]. */
static em_graph_node *add(em_graph *g, int prim, em_dtype dtype, int ndim, const int64_t *shape,
                          const char *module, int n_in, const int *in)
{
    if (g->n == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        em_graph_node *t = realloc(g->nodes, cap * sizeof *t);
        if (!t)
            return NULL;
        g->nodes = t;
        g->cap = cap;
    }
    if (g->n_edges + n_in > g->cap_edges) {
        int cap = 2 * (g->n_edges + n_in) + 64;
        int *t = realloc(g->edges, cap * sizeof *t);
        if (!t)
            return NULL;
        g->edges = t;
        g->cap_edges = cap;
    }
    em_graph_node *n = &g->nodes[g->n];
    memset(n, 0, sizeof *n);
    n->id = g->n++;
    n->op = prim == EM_P_NONE ? "input" : em_prims[prim].name;
    n->kind = kind_of(prim);
    n->dtype = dtype;
    n->ndim = ndim;
    memcpy(n->shape, shape, ndim * sizeof *shape);
    n->module = module;
    n->fused_group = -1;
    n->n_inputs = n_in;
    /* store the offset now; turned into pointers once the edge array stops moving */
    n->inputs = (const int *)(intptr_t)g->n_edges;
    if (n_in) {
        memcpy(g->edges + g->n_edges, in, n_in * sizeof *in);
        g->n_edges += n_in;
    }
    return n;
}

static void fix_edges(em_graph *g)
{
    for (int i = 0; i < g->n; i++)
        g->nodes[i].inputs = g->nodes[i].n_inputs ? g->edges + (intptr_t)g->nodes[i].inputs : NULL;
}

em_graph *em_graph_capture(em_array *const *outputs, int n)
{
    if (em__any_null(outputs, n))
        return NULL;
    em_array **order = NULL;
    size_t n_order = 0;
    if (em__graph_order(outputs, n, NULL, &order, &n_order) < 0)
        return NULL;
    em_graph *g = calloc(1, sizeof *g);
    em_ptrmap ids = {0};
    int *in = NULL;
    if (!g)
        goto fail;
    for (size_t i = 0; i < n_order; i++) {
        em_array *a = order[i];
        int prim = (a->flags & EM_F_EVALUATED) ? EM_P_NONE : a->prim;
        in = realloc(in, (a->n_inputs + 1) * sizeof *in);
        if (!in)
            goto fail;
        for (int j = 0; j < a->n_inputs; j++)
            in[j] = (int)(intptr_t)em__ptrmap_get(&ids, a->inputs[j]) - 1;
        em_graph_node *node;
        if (prim == EM_P_FUSED && a->params && a->params->obj) {
            /* one node per op of the fused program, outlined as a group */
            const em_fused_program *prog = a->params->obj;
            int base = g->n, group = g->n_groups++;
            node = NULL;
            for (int k = 0; k < prog->n_ops; k++) {
                int ein[3];
                for (int q = 0; q < prog->ops[k].n_in; q++) {
                    int r = prog->ops[k].in[q];
                    ein[q] = r >= 0 ? base + r : in[-r - 1];
                }
                node = add(g, prog->ops[k].prim, (em_dtype)prog->ops[k].dtype, a->ndim, a->shape,
                           a->module, prog->ops[k].n_in, ein);
                if (!node)
                    goto fail;
                node->fused_group = group;
            }
        } else {
            node = add(g, prim, (em_dtype)a->dtype, a->ndim, a->shape, a->module, a->n_inputs, in);
        }
        if (!node || em__ptrmap_put(&ids, a, (void *)(intptr_t)(node->id + 1)) < 0)
            goto fail;
    }
    fix_edges(g);
    for (int k = 0; k < n; k++) {
        intptr_t id = (intptr_t)em__ptrmap_get(&ids, outputs[k]);
        if (id)
            g->nodes[id - 1].is_output = true;
    }
    free(in);
    free(order);
    em__ptrmap_free(&ids);
    return g;
fail:
    free(in);
    free(order);
    em__ptrmap_free(&ids);
    em_graph_free(g);
    em__error("graph: out of memory");
    return NULL;
}

int em_graph_size(const em_graph *g) { return g ? g->n : 0; }
int em_graph_fused_groups(const em_graph *g) { return g ? g->n_groups : 0; }

const em_graph_node *em_graph_node_at(const em_graph *g, int i)
{
    return g && i >= 0 && i < g->n ? &g->nodes[i] : NULL;
}

void em_graph_free(em_graph *g)
{
    if (!g)
        return;
    free(g->nodes);
    free(g->edges);
    free(g);
}

/* ---- DOT ---- */
typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0)
            return;
        if (b->s && b->n + k < b->cap) {
            b->n += k;
            return;
        }
        size_t cap = 2 * (b->cap + k + 256);
        char *t = realloc(b->s, cap);
        if (!t)
            return;
        b->s = t;
        b->cap = cap;
    }
}

static const char *colour(em_graph_kind k)
{
    switch (k) {
    case EM_GRAPH_INPUT: return "#dfe6ee";
    case EM_GRAPH_ELEMENTWISE: return "#ffe3b3";
    case EM_GRAPH_REDUCTION: return "#c9e7c0";
    case EM_GRAPH_VIEW: return "#e7e7e7";
    default: return "#c7d7f5";
    }
}

static void node_line(sbuf *b, const em_graph_node *n, const char *indent)
{
    char shape[160] = "";
    int k = 0;
    for (int d = 0; d < n->ndim && k < (int)sizeof shape; d++)
        k += snprintf(shape + k, sizeof shape - k, d ? "x%" PRId64 : "%" PRId64, n->shape[d]);
    put(b, "%sn%d [label=\"%s\\n%s %s\", fillcolor=\"%s\"%s];\n", indent, n->id, n->op,
        em_dtype_name(n->dtype), n->ndim ? shape : "scalar", colour(n->kind),
        n->is_output ? ", penwidth=2" : "");
}

char *em_graph_to_dot(const em_graph *g)
{
    if (!g) {
        em__error("graph_to_dot: NULL graph");
        return NULL;
    }
    sbuf b = {0};
    put(&b, "digraph ember {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", "
            "fontname=\"Sans\", fontsize=10];\n");
    /* fused groups as clusters; everything else by module */
    for (int grp = 0; grp < g->n_groups; grp++) {
        put(&b, "  subgraph cluster_fused_%d {\n    label=\"fused %d\"; style=dashed; color=\"#d9822b\";\n", grp, grp);
        for (int i = 0; i < g->n; i++)
            if (g->nodes[i].fused_group == grp)
                node_line(&b, &g->nodes[i], "    ");
        put(&b, "  }\n");
    }
    bool *done = calloc(g->n + 1, 1);
    for (int i = 0; done && i < g->n; i++) {
        const em_graph_node *n = &g->nodes[i];
        if (done[i] || n->fused_group >= 0 || !n->module)
            continue;
        put(&b, "  subgraph \"cluster_%s\" {\n    label=\"%s\"; style=rounded; color=\"#8a8a8a\";\n", n->module, n->module);
        for (int j = i; j < g->n; j++)
            if (!done[j] && g->nodes[j].fused_group < 0 && g->nodes[j].module == n->module) {
                node_line(&b, &g->nodes[j], "    ");
                done[j] = true;
            }
        put(&b, "  }\n");
    }
    for (int i = 0; i < g->n; i++)
        if (!(done && done[i]) && g->nodes[i].fused_group < 0 && !g->nodes[i].module)
            node_line(&b, &g->nodes[i], "  ");
    free(done);
    for (int i = 0; i < g->n; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++)
            if (g->nodes[i].inputs[j] >= 0)
                put(&b, "  n%d -> n%d;\n", g->nodes[i].inputs[j], i);
    put(&b, "}\n");
    if (!b.s)
        em__error("graph_to_dot: out of memory");
    return b.s;
}
