/* ember-engine-graph.c: em_graph → EmberGraph: op, "(shape) dtype", kind,
 * module and fused group of each node, an edge per input. */
#include "config.h"

#include "ember-engine-graph.h"

EmberGraph *
ember_graph_from_engine (const em_graph *g)
{
  EmberGraph *out = ember_graph_new ();
  int n = em_graph_size (g);

  for (int i = 0; i < n; i++)
    {
      const em_graph_node *node = em_graph_node_at (g, i);
      GString *detail = g_string_new ("(");
      EmberGraphNodeKind kind;

      for (int d = 0; d < node->ndim; d++)
        g_string_append_printf (detail, "%s%" G_GINT64_FORMAT, d ? ", " : "", (gint64) node->shape[d]);
      g_string_append_printf (detail, "%s) %s", node->ndim == 1 ? "," : "", em_dtype_name (node->dtype));

      switch (node->kind)
        {
        case EM_GRAPH_INPUT: kind = EMBER_GRAPH_NODE_INPUT; break;
        case EM_GRAPH_ELEMENTWISE: kind = EMBER_GRAPH_NODE_ELEMENTWISE; break;
        case EM_GRAPH_REDUCTION: kind = EMBER_GRAPH_NODE_REDUCTION; break;
        case EM_GRAPH_VIEW: kind = EMBER_GRAPH_NODE_VIEW; break;
        default: kind = EMBER_GRAPH_NODE_OTHER; break;
        }
      ember_graph_add_node (out, node->op, detail->str, kind, node->module, node->fused_group);
      g_string_free (detail, TRUE);
    }
  for (int i = 0; i < n; i++)
    {
      const em_graph_node *node = em_graph_node_at (g, i);

      for (int k = 0; k < node->n_inputs; k++)
        if (node->inputs[k] >= 0 && node->inputs[k] < n)
          ember_graph_add_edge (out, node->inputs[k], i);
    }
  return out;
}
