/* ember-graph-view.h: a computation graph laid out by Graphviz (dot, left to
 * right, on a worker thread) and drawn: nodes coloured by kind and labelled
 * with op and shape/dtype, Bézier edges, modules as boxes that collapse into
 * one node, fused groups outlined. Zoom (Ctrl+scroll, pinch), pan (drag,
 * scroll), fit to window; a click on a node emits ::node-activated. It knows
 * nothing of where the graph came from: build an EmberGraph and set it. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  EMBER_GRAPH_NODE_INPUT,
  EMBER_GRAPH_NODE_ELEMENTWISE,
  EMBER_GRAPH_NODE_REDUCTION,
  EMBER_GRAPH_NODE_VIEW,
  EMBER_GRAPH_NODE_OTHER,
  EMBER_GRAPH_NODE_MODULE,     /* a collapsed module (made by the view) */
} EmberGraphNodeKind;

#define EMBER_TYPE_GRAPH (ember_graph_get_type())
typedef struct _EmberGraph EmberGraph;

GType        ember_graph_get_type      (void) G_GNUC_CONST;
EmberGraph  *ember_graph_new           (void);
EmberGraph  *ember_graph_ref           (EmberGraph *graph);
void         ember_graph_unref         (EmberGraph *graph);
/* Returns the node's id (0, 1, … in order of adding). @detail is the second
 * line of the label (shape and dtype); @module may be NULL; @fused_group -1. */
int          ember_graph_add_node      (EmberGraph         *graph,
                                        const char         *op,
                                        const char         *detail,
                                        EmberGraphNodeKind  kind,
                                        const char         *module,
                                        int                 fused_group);
void         ember_graph_add_edge      (EmberGraph         *graph,
                                        int                 from,
                                        int                 to);
guint        ember_graph_get_n_nodes   (EmberGraph         *graph);
guint        ember_graph_get_n_edges   (EmberGraph         *graph);
const char  *ember_graph_get_node_op     (EmberGraph *graph, int id);
const char  *ember_graph_get_node_detail (EmberGraph *graph, int id);
const char  *ember_graph_get_node_module (EmberGraph *graph, int id);
EmberGraphNodeKind ember_graph_get_node_kind (EmberGraph *graph, int id);
int          ember_graph_get_node_fused_group (EmberGraph *graph, int id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EmberGraph, ember_graph_unref)

#define EMBER_TYPE_GRAPH_VIEW (ember_graph_view_get_type())
G_DECLARE_FINAL_TYPE(EmberGraphView, ember_graph_view, EMBER, GRAPH_VIEW, GtkWidget)

GtkWidget  *ember_graph_view_new                 (void);
/* Lays the graph out on a worker thread; ::layout-done when drawn. */
void        ember_graph_view_set_graph           (EmberGraphView *self,
                                                  EmberGraph     *graph);
EmberGraph *ember_graph_view_get_graph           (EmberGraphView *self);
gboolean    ember_graph_view_is_laid_out         (EmberGraphView *self);
/* Seconds the last layout took (on its thread). */
double      ember_graph_view_get_layout_seconds  (EmberGraphView *self);
double      ember_graph_view_get_zoom            (EmberGraphView *self);
/* Zooms around the centre of the view. */
void        ember_graph_view_set_zoom            (EmberGraphView *self,
                                                  double          zoom);
void        ember_graph_view_zoom_at             (EmberGraphView *self,
                                                  double          factor,
                                                  double          x,
                                                  double          y);
void        ember_graph_view_pan                 (EmberGraphView *self,
                                                  double          dx,
                                                  double          dy);
void        ember_graph_view_zoom_to_fit         (EmberGraphView *self);
/* Module names as given to the nodes; a collapsed module is one box. */
void        ember_graph_view_set_module_collapsed(EmberGraphView *self,
                                                  const char     *module,
                                                  gboolean        collapsed);
gboolean    ember_graph_view_get_module_collapsed(EmberGraphView *self,
                                                  const char     *module);
void        ember_graph_view_collapse_all        (EmberGraphView *self,
                                                  gboolean        collapsed);
/* The node under a point of the widget: its id, or -1. */
int         ember_graph_view_node_at             (EmberGraphView *self,
                                                  double          x,
                                                  double          y);
/* Where a node is drawn, in widget coordinates; FALSE if it is not laid out
 * (hidden in a collapsed module). */
gboolean    ember_graph_view_get_node_bounds     (EmberGraphView  *self,
                                                  int              id,
                                                  graphene_rect_t *bounds);
int         ember_graph_view_get_selected        (EmberGraphView *self);
void        ember_graph_view_set_selected        (EmberGraphView *self,
                                                  int             id);
/* Microseconds the last snapshot took and how many nodes it drew. */
gint64      ember_graph_view_get_last_draw_us    (EmberGraphView *self);
guint       ember_graph_view_get_last_drawn_nodes(EmberGraphView *self);
/* Boxes of the current layout (nodes, and collapsed modules drawn as one,
 * counted in @n_modules). */
guint       ember_graph_view_get_n_boxes         (EmberGraphView *self,
                                                  guint          *n_modules);
/* Fill colour of a node kind (for legends and tests). */
void        ember_graph_view_kind_color          (EmberGraphNodeKind kind,
                                                  GdkRGBA           *rgba);

G_END_DECLS
