/* Inspecting a computation graph: a snapshot of the pending (unevaluated)
 * graph behind some arrays, or of a compiled function's graph, with node
 * names, shapes, dtypes, inputs, the module a node was made in (em_set_module)
 * and the fused groups of compile. The snapshot holds no arrays: it can be laid
 * out or drawn on another thread while the engine runs. */
#ifndef EMBER_GRAPH_H
#define EMBER_GRAPH_H

#include "ember/array.h"
#include "ember/transforms.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum em_graph_kind {
    EM_GRAPH_INPUT,        /* data: an evaluated array or a function input */
    EM_GRAPH_ELEMENTWISE,
    EM_GRAPH_REDUCTION,
    EM_GRAPH_VIEW,         /* reshape, transpose, slice, broadcast */
    EM_GRAPH_OTHER,        /* matmul, convolution, indexing, fused primitives ... */
} em_graph_kind;

typedef struct em_graph_node {
    int id;                /* its index */
    const char *op;        /* primitive name ("input" for data) */
    em_graph_kind kind;
    em_dtype dtype;
    int ndim;
    int64_t shape[EM_MAX_DIMS];
    int n_inputs;
    const int *inputs;     /* ids of input nodes */
    const char *module;    /* NULL when none was set */
    int fused_group;       /* -1, or the compile group this op was fused into */
    bool is_output;
} em_graph_node;

typedef struct em_graph em_graph;

/* The unevaluated graph behind outputs (their evaluated inputs appear as
 * inputs). Returns NULL with an error. */
em_graph *em_graph_capture(em_array *const *outputs, int n);
/* The graph a compiled function runs for these inputs (traced if needed). */
em_graph *em_compiled_graph(em_compiled *c, em_array *const *in, int n_in);
int em_graph_size(const em_graph *g);
const em_graph_node *em_graph_node_at(const em_graph *g, int i);
int em_graph_fused_groups(const em_graph *g);
/* Graphviz DOT text (caller frees): nodes labelled with op, shape and dtype,
 * coloured by kind, clustered by module and fused group. */
char *em_graph_to_dot(const em_graph *g);
void em_graph_free(em_graph *g);

#ifdef __cplusplus
}
#endif
#endif
