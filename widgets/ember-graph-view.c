/* ember-graph-view.c
 *
 * EmberGraph: nodes and edges, built by the caller, read-only once set.
 *
 * EmberGraphView: the layout is computed on a GTask thread: the graph (with
 * collapsed modules merged into one node each) is written as DOT with fixed
 * node sizes, laid out by libgvc's dot engine (rankdir LR), and read back
 * into a Layout of plain arrays (node boxes, edge Bézier points, module
 * boxes, fused-group boxes). Graphviz keeps global state, so one layout runs
 * at a time (a mutex). Drawing walks the Layout and culls what lies outside
 * the visible rectangle; labels are drawn only when they would be readable.
 */
#include <glib/gi18n-lib.h>
#include <graphviz/gvc.h>
#include <math.h>

#include "ember-graph-view.h"
#include "ember-widgets-private.h"

/* ---- EmberGraph ---- */

typedef struct {
  char              *op;
  char              *detail;
  char              *module;
  EmberGraphNodeKind kind;
  int                fused_group;
} GrNode;

struct _EmberGraph
{
  gatomicrefcount ref;
  GArray         *nodes;   /* GrNode */
  GArray         *edges;   /* int pairs */
};

G_DEFINE_BOXED_TYPE (EmberGraph, ember_graph, ember_graph_ref, ember_graph_unref)

static void
gnode_clear (gpointer p)
{
  GrNode *n = p;

  g_free (n->op);
  g_free (n->detail);
  g_free (n->module);
}

EmberGraph *
ember_graph_new (void)
{
  EmberGraph *g = g_new0 (EmberGraph, 1);

  g_atomic_ref_count_init (&g->ref);
  g->nodes = g_array_new (FALSE, TRUE, sizeof (GrNode));
  g_array_set_clear_func (g->nodes, gnode_clear);
  g->edges = g_array_new (FALSE, FALSE, sizeof (int));
  return g;
}

EmberGraph *
ember_graph_ref (EmberGraph *graph)
{
  g_atomic_ref_count_inc (&graph->ref);
  return graph;
}

void
ember_graph_unref (EmberGraph *graph)
{
  if (g_atomic_ref_count_dec (&graph->ref))
    {
      g_array_unref (graph->nodes);
      g_array_unref (graph->edges);
      g_free (graph);
    }
}

int
ember_graph_add_node (EmberGraph         *graph,
                      const char         *op,
                      const char         *detail,
                      EmberGraphNodeKind  kind,
                      const char         *module,
                      int                 fused_group)
{
  GrNode n = {
    .op = g_strdup (op ? op : ""),
    .detail = g_strdup (detail ? detail : ""),
    .module = module && *module ? g_strdup (module) : NULL,
    .kind = kind,
    .fused_group = fused_group,
  };

  g_array_append_val (graph->nodes, n);
  return (int) graph->nodes->len - 1;
}

void
ember_graph_add_edge (EmberGraph *graph,
                      int         from,
                      int         to)
{
  g_return_if_fail (from >= 0 && from < (int) graph->nodes->len);
  g_return_if_fail (to >= 0 && to < (int) graph->nodes->len);

  g_array_append_val (graph->edges, from);
  g_array_append_val (graph->edges, to);
}

guint ember_graph_get_n_nodes (EmberGraph *graph) { return graph->nodes->len; }
guint ember_graph_get_n_edges (EmberGraph *graph) { return graph->edges->len / 2; }
#define GN(g, i) (&g_array_index ((g)->nodes, GrNode, (i)))
const char *ember_graph_get_node_op (EmberGraph *graph, int id) { return GN (graph, id)->op; }
const char *ember_graph_get_node_detail (EmberGraph *graph, int id) { return GN (graph, id)->detail; }
const char *ember_graph_get_node_module (EmberGraph *graph, int id) { return GN (graph, id)->module; }
EmberGraphNodeKind ember_graph_get_node_kind (EmberGraph *graph, int id) { return GN (graph, id)->kind; }
int ember_graph_get_node_fused_group (EmberGraph *graph, int id) { return GN (graph, id)->fused_group; }

/* ---- layout ---- */

typedef struct {
  int                id;       /* graph node id, or -1 for a collapsed module */
  char              *module;   /* for a collapsed module: its name */
  EmberGraphNodeKind kind;
  const char        *op;       /* borrowed from the graph (or module) */
  const char        *detail;
  double             x, y, w, h;  /* top-left and size, layout points, y down */
} LNode;

typedef struct {
  int      n_points;
  double  *points;    /* x, y pairs: cubic Bézier control points */
  double   x0, y0, x1, y1;  /* bounding box */
  gboolean arrow;
  double   ax, ay;    /* arrow tip */
} LEdge;

typedef struct {
  char  *label;
  double x0, y0, x1, y1;
  gboolean fused;
} LBox;

typedef struct {
  double  width, height;
  GArray *nodes;     /* LNode */
  GArray *edges;     /* LEdge */
  GArray *boxes;     /* LBox: modules, then fused groups */
  int    *node_of_id; /* graph id → index in nodes, or -1 */
  double  seconds;
} Layout;

static void
layout_free (Layout *l)
{
  if (l == NULL)
    return;
  for (guint i = 0; i < l->nodes->len; i++)
    g_free (g_array_index (l->nodes, LNode, i).module);
  for (guint i = 0; i < l->edges->len; i++)
    g_free (g_array_index (l->edges, LEdge, i).points);
  for (guint i = 0; i < l->boxes->len; i++)
    g_free (g_array_index (l->boxes, LBox, i).label);
  g_array_unref (l->nodes);
  g_array_unref (l->edges);
  g_array_unref (l->boxes);
  g_free (l->node_of_id);
  g_free (l);
}

/* Node box sizes in points, from the label length (no font metrics needed
 * on the layout thread). */
#define CHAR_W  6.2
#define LINE_H  13.0
#define PAD     8.0

static double
node_width (const char *op, const char *detail)
{
  glong n = MAX (g_utf8_strlen (op, -1), g_utf8_strlen (detail, -1));

  return MAX (60.0, n * CHAR_W + 2 * PAD);
}

static void
dot_escape (GString *s, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
}

/* Which collapsed module (if any) a module name falls in. */
static const char *
collapsed_owner (GHashTable *collapsed,
                 const char *module)
{
  GHashTableIter it;
  gpointer key;
  const char *best = NULL;

  if (module == NULL || collapsed == NULL || g_hash_table_size (collapsed) == 0)
    return NULL;
  if (g_hash_table_contains (collapsed, module))
    return g_hash_table_lookup (collapsed, module);
  /* "layers.0" collapsed hides "layers.0.attn". */
  g_hash_table_iter_init (&it, collapsed);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      gsize len = strlen (key);

      if (strncmp (module, key, len) == 0 && module[len] == '.' && (best == NULL || strlen (best) > len))
        best = key;
    }
  return best;
}

static GMutex graphviz_lock;

static void
string_free (gpointer s)
{
  g_string_free (s, TRUE);
}

/* Lays out DOT text; node names are a letter and a number ("n12", "m3"):
 * place() gets each node's top-left corner (points, y down, origin at the
 * bounding box's corner); edges (Bézier points) are appended to @edges and
 * clusters to @boxes (may be NULL). Called with graphviz_lock held. */
typedef void (*PlaceFunc) (gpointer data, char kind, int index, double cx, double cy);

static gboolean
run_dot (GVC_t       *gvc,
         const char  *dot,
         PlaceFunc    place,
         gpointer     data,
         GArray      *edges,
         GArray      *boxes,
         double      *width,
         double      *height)
{
  Agraph_t *g = agmemread (dot);
  boxf bb;
  double top;

  if (g == NULL)
    return FALSE;
  if (gvLayout (gvc, g, "dot") != 0)
    {
      agclose (g);
      return FALSE;
    }

  bb = GD_bb (g);
  top = bb.UR.y;
  *width = bb.UR.x - bb.LL.x;
  *height = bb.UR.y - bb.LL.y;

  for (Agnode_t *an = agfstnode (g); an != NULL; an = agnxtnode (g, an))
    {
      const char *name = agnameof (an);
      pointf c = ND_coord (an);

      place (data, name[0], atoi (name + 1), c.x - bb.LL.x, top - c.y);

      for (Agedge_t *ae = agfstout (g, an); ae != NULL; ae = agnxtout (g, ae))
        {
          splines *spl = ED_spl (ae);
          LEdge le = { 0 };

          if (spl == NULL || spl->size == 0)
            continue;
          le.n_points = spl->list[0].size;
          le.points = g_new (double, 2 * le.n_points);
          le.x0 = le.y0 = G_MAXDOUBLE;
          le.x1 = le.y1 = -G_MAXDOUBLE;
          for (int p = 0; p < le.n_points; p++)
            {
              double x = spl->list[0].list[p].x - bb.LL.x, y = top - spl->list[0].list[p].y;

              le.points[2 * p] = x;
              le.points[2 * p + 1] = y;
              le.x0 = MIN (le.x0, x); le.x1 = MAX (le.x1, x);
              le.y0 = MIN (le.y0, y); le.y1 = MAX (le.y1, y);
            }
          if (spl->list[0].eflag)
            {
              le.arrow = TRUE;
              le.ax = spl->list[0].ep.x - bb.LL.x;
              le.ay = top - spl->list[0].ep.y;
              le.x0 = MIN (le.x0, le.ax); le.x1 = MAX (le.x1, le.ax);
              le.y0 = MIN (le.y0, le.ay); le.y1 = MAX (le.y1, le.ay);
            }
          g_array_append_val (edges, le);
        }
    }

  if (boxes != NULL)
    for (int c = 1; c <= GD_n_cluster (g); c++)
      {
        Agraph_t *sg = GD_clust (g)[c];
        boxf cb = GD_bb (sg);
        LBox box = {
          .label = g_strdup (agget (sg, (char *) "label")),
          .x0 = cb.LL.x - bb.LL.x, .x1 = cb.UR.x - bb.LL.x,
          .y0 = top - cb.UR.y, .y1 = top - cb.LL.y,
        };

        g_array_append_val (boxes, box);
      }

  gvFreeLayout (gvc, g);
  agclose (g);
  return TRUE;
}

/* An expanded module of a big graph: laid out on its own, then placed as one
 * box of the top-level layout. */
typedef struct {
  const char *name;
  GArray     *members;   /* LNode indices */
  GArray     *edges;     /* LEdge, local coordinates */
  double      w, h;
  double      x, y;      /* top-left of its box in the top-level layout */
} Module;

#define MODULE_PAD   10.0
#define CHUNK        48
#define MODULE_TITLE 18.0

typedef struct {
  Layout *l;
  GArray *modules;
  int     offset;     /* for module-local numbering */
  GArray *local;      /* local index → LNode index */
} PlaceData;

static void
place_node (gpointer data, char kind, int index, double cx, double cy)
{
  PlaceData *pd = data;
  LNode *n;

  if (kind == 'm')
    {
      Module *m = &g_array_index (pd->modules, Module, index);

      m->x = cx - (m->w + 2 * MODULE_PAD) / 2;
      m->y = cy - (m->h + 2 * MODULE_PAD + MODULE_TITLE) / 2;
      return;
    }
  if (pd->local != NULL)
    index = g_array_index (pd->local, int, index);
  n = &g_array_index (pd->l->nodes, LNode, index);
  n->x = cx - n->w / 2;
  n->y = cy - n->h / 2;
}

static void
append_edge_dedup (GString    *dot,
                   GHashTable *seen,
                   char        ka,
                   int         a,
                   char        kb,
                   int         b)
{
  gint64 key = ((gint64) (ka == 'm') << 62) | ((gint64) (kb == 'm') << 61) | ((gint64) a << 30) | b;
  gint64 *k;

  if (ka == kb && a == b)
    return;
  if (g_hash_table_contains (seen, &key))
    return;
  k = g_new (gint64, 1);
  *k = key;
  g_hash_table_add (seen, k);
  g_string_append_printf (dot, "  %c%d -> %c%d;\n", ka, a, kb, b);
}

static Layout *
compute_layout (EmberGraph *graph,
                GHashTable *collapsed)
{
  Layout *l = g_new0 (Layout, 1);
  GString *dot = g_string_new ("digraph G {\n");
  g_autoptr(GHashTable) module_nodes = g_hash_table_new (g_str_hash, g_str_equal); /* name → lnode index+1 */
  g_autoptr(GHashTable) edge_seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) clusters = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, string_free);
  g_autoptr(GHashTable) module_index = g_hash_table_new (g_str_hash, g_str_equal);  /* name → Module index+1 */
  g_autoptr(GArray) modules = g_array_new (FALSE, TRUE, sizeof (Module));
  g_autofree int *module_of = NULL;   /* lnode index → Module index, or -1 */
  g_autoptr(GPtrArray) chunk_names = g_ptr_array_new_with_free_func (g_free);
  guint n_loose = 0;
  GHashTableIter it;
  gpointer key, value;
  guint n = graph->nodes->len;
  /* dot's cost grows fast with size: big graphs are laid out module by
   * module, each module then being one box of the top-level layout. */
  gboolean hierarchical = n > 600;
  gint64 start = g_get_monotonic_time ();
  PlaceData pd;
  GVC_t *gvc;

  l->nodes = g_array_new (FALSE, TRUE, sizeof (LNode));
  l->edges = g_array_new (FALSE, TRUE, sizeof (LEdge));
  l->boxes = g_array_new (FALSE, TRUE, sizeof (LBox));
  l->node_of_id = g_new (int, MAX (n, 1));
  module_of = g_new (int, MAX (n, 1));

  g_string_append (dot, "  graph [rankdir=LR, nodesep=0.15, ranksep=0.35];\n"
                        "  node [shape=box, fixedsize=true, label=\"\"];\n");

  for (guint i = 0; i < n; i++)
    {
      GrNode *gn = GN (graph, i);
      const char *owner = collapsed_owner (collapsed, gn->module);
      LNode ln = { 0 };
      GString *target;

      if (owner != NULL)
        {
          gpointer idx = g_hash_table_lookup (module_nodes, owner);

          if (idx == NULL)
            {
              ln.id = -1;
              ln.module = g_strdup (owner);
              ln.kind = EMBER_GRAPH_NODE_MODULE;
              ln.op = ln.module;
              ln.detail = "";
              ln.w = node_width (owner, "") + 16;
              ln.h = 2 * LINE_H + PAD;
              g_array_append_val (l->nodes, ln);
              module_of[l->nodes->len - 1] = -1;
              idx = GUINT_TO_POINTER (l->nodes->len);
              g_hash_table_insert (module_nodes, (gpointer) owner, idx);
              g_string_append_printf (dot, "  n%u [width=%.3f, height=%.3f];\n",
                                      l->nodes->len - 1, ln.w / 72.0, ln.h / 72.0);
            }
          l->node_of_id[i] = GPOINTER_TO_INT (idx) - 1;
          continue;
        }

      ln.id = (int) i;
      ln.kind = gn->kind;
      ln.op = gn->op;
      ln.detail = gn->detail;
      ln.w = node_width (gn->op, gn->detail);
      ln.h = (*gn->detail ? 2 : 1) * LINE_H + PAD;
      g_array_append_val (l->nodes, ln);
      l->node_of_id[i] = l->nodes->len - 1;
      module_of[l->nodes->len - 1] = -1;

      if (hierarchical)
        {
          const char *mod = gn->module;
          gpointer idx;

          /* Nodes outside any module are grouped in creation order, a
           * block of CHUNK at a time (laid out like a module). */
          if (mod == NULL)
            {
              guint k = n_loose++ / CHUNK;

              if (k >= chunk_names->len)
                g_ptr_array_add (chunk_names, g_strdup_printf (_("operations %u–%u"), k * CHUNK, k * CHUNK + CHUNK - 1));
              mod = g_ptr_array_index (chunk_names, k);
            }
          idx = g_hash_table_lookup (module_index, mod);
          if (idx == NULL)
            {
              Module m = { .name = mod, .members = g_array_new (FALSE, FALSE, sizeof (int)),
                           .edges = g_array_new (FALSE, TRUE, sizeof (LEdge)) };

              g_array_append_val (modules, m);
              idx = GUINT_TO_POINTER (modules->len);
              g_hash_table_insert (module_index, (gpointer) mod, idx);
            }
          module_of[l->nodes->len - 1] = GPOINTER_TO_INT (idx) - 1;
          {
            int li = l->nodes->len - 1;
            g_array_append_val (g_array_index (modules, Module, GPOINTER_TO_INT (idx) - 1).members, li);
          }
          continue;
        }

      /* Expanded modules of small graphs are clusters. */
      if (gn->module != NULL)
        {
          target = g_hash_table_lookup (clusters, gn->module);
          if (target == NULL)
            {
              target = g_string_new (NULL);
              g_hash_table_insert (clusters, gn->module, target);
            }
        }
      else
        target = dot;
      g_string_append_printf (target, "  n%u [width=%.3f, height=%.3f];\n",
                              l->nodes->len - 1, ln.w / 72.0, ln.h / 72.0);
    }

  {
    guint c = 0;

    g_hash_table_iter_init (&it, clusters);
    while (g_hash_table_iter_next (&it, &key, &value))
      {
        g_string_append_printf (dot, "  subgraph cluster_%u {\n    label=\"", c++);
        dot_escape (dot, key);
        g_string_append_printf (dot, "\"; margin=10;\n%s  }\n", ((GString *) value)->str);
      }
  }

  g_mutex_lock (&graphviz_lock);
  gvc = gvContext ();
  pd.l = l;
  pd.modules = modules;

  /* Each module of a big graph on its own. */
  for (guint m = 0; m < modules->len; m++)
    {
      Module *mod = &g_array_index (modules, Module, m);
      GString *mdot = g_string_new ("digraph M {\n  graph [rankdir=LR, nodesep=0.15, ranksep=0.35];\n"
                                    "  node [shape=box, fixedsize=true, label=\"\"];\n");
      g_autoptr(GHashTable) local_of = g_hash_table_new (NULL, NULL);
      g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

      for (guint k = 0; k < mod->members->len; k++)
        {
          int li = g_array_index (mod->members, int, k);
          LNode *ln = &g_array_index (l->nodes, LNode, li);

          g_hash_table_insert (local_of, GINT_TO_POINTER (li + 1), GINT_TO_POINTER (k + 1));
          g_string_append_printf (mdot, "  n%u [width=%.3f, height=%.3f];\n", k, ln->w / 72.0, ln->h / 72.0);
        }
      for (guint e = 0; e < graph->edges->len / 2; e++)
        {
          int a = l->node_of_id[g_array_index (graph->edges, int, 2 * e)];
          int b = l->node_of_id[g_array_index (graph->edges, int, 2 * e + 1)];
          int la = GPOINTER_TO_INT (g_hash_table_lookup (local_of, GINT_TO_POINTER (a + 1)));
          int lb = GPOINTER_TO_INT (g_hash_table_lookup (local_of, GINT_TO_POINTER (b + 1)));

          if (la && lb)
            append_edge_dedup (mdot, seen, 'n', la - 1, 'n', lb - 1);
        }
      g_string_append (mdot, "}\n");
      pd.local = mod->members;
      run_dot (gvc, mdot->str, place_node, &pd, mod->edges, NULL, &mod->w, &mod->h);
      g_string_free (mdot, TRUE);
      g_string_append_printf (dot, "  m%u [width=%.3f, height=%.3f];\n", m,
                              (mod->w + 2 * MODULE_PAD) / 72.0, (mod->h + 2 * MODULE_PAD + MODULE_TITLE) / 72.0);
    }

  for (guint e = 0; e < graph->edges->len / 2; e++)
    {
      int a = l->node_of_id[g_array_index (graph->edges, int, 2 * e)];
      int b = l->node_of_id[g_array_index (graph->edges, int, 2 * e + 1)];
      int ma = module_of[a], mb = module_of[b];

      append_edge_dedup (dot, edge_seen, ma >= 0 ? 'm' : 'n', ma >= 0 ? ma : a,
                         mb >= 0 ? 'm' : 'n', mb >= 0 ? mb : b);
    }
  g_string_append (dot, "}\n");

  pd.local = NULL;
  run_dot (gvc, dot->str, place_node, &pd, l->edges, l->boxes, &l->width, &l->height);
  gvFreeContext (gvc);
  g_mutex_unlock (&graphviz_lock);
  g_string_free (dot, TRUE);

  /* Modules into their boxes. */
  for (guint m = 0; m < modules->len; m++)
    {
      Module *mod = &g_array_index (modules, Module, m);
      double ox = mod->x + MODULE_PAD, oy = mod->y + MODULE_PAD + MODULE_TITLE;
      LBox box = { .label = g_strdup (mod->name), .x0 = mod->x, .y0 = mod->y,
                   .x1 = mod->x + mod->w + 2 * MODULE_PAD, .y1 = mod->y + mod->h + 2 * MODULE_PAD + MODULE_TITLE };

      for (guint k = 0; k < mod->members->len; k++)
        {
          LNode *ln = &g_array_index (l->nodes, LNode, g_array_index (mod->members, int, k));

          ln->x += ox;
          ln->y += oy;
        }
      for (guint k = 0; k < mod->edges->len; k++)
        {
          LEdge le = g_array_index (mod->edges, LEdge, k);

          for (int p = 0; p < le.n_points; p++)
            {
              le.points[2 * p] += ox;
              le.points[2 * p + 1] += oy;
            }
          le.ax += ox; le.ay += oy;
          le.x0 += ox; le.x1 += ox; le.y0 += oy; le.y1 += oy;
          g_array_append_val (l->edges, le);
        }
      g_array_append_val (l->boxes, box);
      g_array_unref (mod->members);
      g_array_unref (mod->edges);
    }

  /* Fused groups: the box around their laid-out members. */
  {
    g_autoptr(GHashTable) groups = g_hash_table_new (NULL, NULL);

    for (guint i = 0; i < n; i++)
      {
        GrNode *gn = GN (graph, i);
        LNode *ln;
        LBox *box;
        gpointer idx;

        if (gn->fused_group < 0 || l->node_of_id[i] < 0)
          continue;
        ln = &g_array_index (l->nodes, LNode, l->node_of_id[i]);
        if (ln->id < 0)
          continue;
        idx = g_hash_table_lookup (groups, GINT_TO_POINTER (gn->fused_group + 1));
        if (idx == NULL)
          {
            LBox b = { .label = g_strdup_printf (_("fused %d"), gn->fused_group), .fused = TRUE,
                       .x0 = ln->x, .y0 = ln->y, .x1 = ln->x + ln->w, .y1 = ln->y + ln->h };

            g_array_append_val (l->boxes, b);
            g_hash_table_insert (groups, GINT_TO_POINTER (gn->fused_group + 1), GUINT_TO_POINTER (l->boxes->len));
            continue;
          }
        box = &g_array_index (l->boxes, LBox, GPOINTER_TO_UINT (idx) - 1);
        box->x0 = MIN (box->x0, ln->x);
        box->y0 = MIN (box->y0, ln->y);
        box->x1 = MAX (box->x1, ln->x + ln->w);
        box->y1 = MAX (box->y1, ln->y + ln->h);
      }
  }

  l->seconds = (g_get_monotonic_time () - start) / 1e6;
  g_debug ("layout of %u nodes: %u boxes, %u edges, %.0f x %.0f points, %.3f s", n, l->nodes->len, l->edges->len, l->width, l->height, l->seconds);
  return l;
}

/* ---- the view ---- */

struct _EmberGraphView
{
  GtkWidget     parent_instance;

  EmberGraph   *graph;
  Layout       *layout;
  GHashTable   *collapsed;      /* module name → itself */
  GCancellable *cancellable;
  guint         generation;

  double        scale;          /* widget px per layout point */
  double        tx, ty;         /* widget position of layout (0, 0) */
  gboolean      fit_pending;
  int           selected;       /* graph id, or -1 */

  double        drag_tx, drag_ty;
  double        pointer_x, pointer_y;
  gboolean      has_pointer;
  double        zoom_begin_scale;
  double        zoom_cx, zoom_cy;

  gint64        last_draw_us;
  guint         last_drawn_nodes;
};

G_DEFINE_FINAL_TYPE (EmberGraphView, ember_graph_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_GRAPH,
  PROP_ZOOM,
  PROP_SELECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_NODE_ACTIVATED,
  SIGNAL_LAYOUT_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
ember_graph_view_kind_color (EmberGraphNodeKind kind,
                             GdkRGBA           *rgba)
{
  static const GdkRGBA colours[] = {
    [EMBER_GRAPH_NODE_INPUT]       = { 0.80, 0.82, 0.86, 1 },  /* grey-blue */
    [EMBER_GRAPH_NODE_ELEMENTWISE] = { 0.60, 0.85, 0.55, 1 },  /* green */
    [EMBER_GRAPH_NODE_REDUCTION]   = { 0.98, 0.70, 0.35, 1 },  /* orange */
    [EMBER_GRAPH_NODE_VIEW]        = { 0.78, 0.68, 0.92, 1 },  /* lilac */
    [EMBER_GRAPH_NODE_OTHER]       = { 0.45, 0.68, 0.95, 1 },  /* blue */
    [EMBER_GRAPH_NODE_MODULE]      = { 0.96, 0.90, 0.55, 1 },  /* yellow */
  };

  *rgba = colours[CLAMP (kind, 0, G_N_ELEMENTS (colours) - 1)];
}

static void
clamp_and_redraw (EmberGraphView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ZOOM]);
}

void
ember_graph_view_zoom_to_fit (EmberGraphView *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));

  g_return_if_fail (EMBER_IS_GRAPH_VIEW (self));

  if (self->layout == NULL || w <= 0 || h <= 0)
    {
      self->fit_pending = TRUE;
      return;
    }
  self->fit_pending = FALSE;
  self->scale = MIN ((w - 20) / MAX (self->layout->width, 1), (h - 20) / MAX (self->layout->height, 1));
  self->scale = CLAMP (self->scale, 0.0005, 2.0);
  self->tx = (w - self->layout->width * self->scale) / 2;
  self->ty = (h - self->layout->height * self->scale) / 2;
  clamp_and_redraw (self);
}

void
ember_graph_view_zoom_at (EmberGraphView *self,
                          double          factor,
                          double          x,
                          double          y)
{
  double s = CLAMP (self->scale * factor, 0.0005, 8.0);

  /* The layout point under (x, y) stays there. */
  self->tx = x - (x - self->tx) * s / self->scale;
  self->ty = y - (y - self->ty) * s / self->scale;
  self->scale = s;
  clamp_and_redraw (self);
}

void
ember_graph_view_set_zoom (EmberGraphView *self,
                           double          zoom)
{
  ember_graph_view_zoom_at (self, zoom / self->scale,
                            gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                            gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

double ember_graph_view_get_zoom (EmberGraphView *self) { return self->scale; }

void
ember_graph_view_pan (EmberGraphView *self,
                      double          dx,
                      double          dy)
{
  self->tx += dx;
  self->ty += dy;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
rounded_rect (cairo_t *cr, double x, double y, double w, double h, double r)
{
  r = MIN (r, MIN (w, h) / 2);
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
ember_graph_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  gint64 start = g_get_monotonic_time ();
  Layout *l = self->layout;
  GdkRGBA fg;
  double vx0, vy0, vx1, vy1, s;
  gboolean labels, details;
  guint drawn = 0;
  cairo_t *cr;
  PangoLayout *pl = NULL;

  if (l == NULL || w <= 0 || h <= 0)
    return;
  if (self->fit_pending)
    ember_graph_view_zoom_to_fit (self);

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  s = self->scale;
  /* The visible rectangle in layout points. */
  vx0 = -self->tx / s;
  vy0 = -self->ty / s;
  vx1 = (w - self->tx) / s;
  vy1 = (h - self->ty) / s;
  labels = s * LINE_H >= 7;
  details = s * LINE_H >= 9;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_translate (cr, self->tx, self->ty);
  cairo_scale (cr, s, s);

  /* Module clusters and fused groups. */
  for (guint i = 0; i < l->boxes->len; i++)
    {
      LBox *b = &g_array_index (l->boxes, LBox, i);

      if (b->x1 < vx0 || b->x0 > vx1 || b->y1 < vy0 || b->y0 > vy1)
        continue;
      if (b->fused)
        {
          double d[] = { 4 / s, 3 / s };

          cairo_set_dash (cr, d, 2, 0);
          cairo_set_source_rgba (cr, 0.85, 0.25, 0.25, 0.9);
          cairo_set_line_width (cr, 1.5 / s);
          rounded_rect (cr, b->x0 - 4, b->y0 - 4, b->x1 - b->x0 + 8, b->y1 - b->y0 + 8, 6);
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
        }
      else
        {
          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.05);
          rounded_rect (cr, b->x0, b->y0, b->x1 - b->x0, b->y1 - b->y0, 8);
          cairo_fill_preserve (cr);
          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.35);
          cairo_set_line_width (cr, 1 / s);
          cairo_stroke (cr);
          if (labels && b->label != NULL)
            {
              if (pl == NULL)
                pl = gtk_widget_create_pango_layout (widget, NULL);
              pango_layout_set_text (pl, b->label, -1);
              cairo_save (cr);
              cairo_move_to (cr, b->x0 + 6, b->y0 + 2);
              cairo_scale (cr, 0.85, 0.85);
              cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.7);
              pango_cairo_show_layout (cr, pl);
              cairo_restore (cr);
            }
        }
    }

  /* Edges. */
  cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.55);
  cairo_set_line_width (cr, MAX (1.0, 1.0 / s) );
  if (s < 1)
    cairo_set_line_width (cr, 1.0 / s);
  for (guint i = 0; i < l->edges->len; i++)
    {
      LEdge *e = &g_array_index (l->edges, LEdge, i);

      if (e->x1 < vx0 || e->x0 > vx1 || e->y1 < vy0 || e->y0 > vy1)
        continue;
      cairo_move_to (cr, e->points[0], e->points[1]);
      for (int p = 1; p + 2 < e->n_points; p += 3)
        cairo_curve_to (cr, e->points[2 * p], e->points[2 * p + 1],
                        e->points[2 * p + 2], e->points[2 * p + 3],
                        e->points[2 * p + 4], e->points[2 * p + 5]);
      if (e->arrow)
        cairo_line_to (cr, e->ax, e->ay);
    }
  cairo_stroke (cr);
  /* Arrow heads, where they would be seen. */
  if (s > 0.3)
    for (guint i = 0; i < l->edges->len; i++)
      {
        LEdge *e = &g_array_index (l->edges, LEdge, i);
        double px, py, dx, dy, len;

        if (!e->arrow || e->ax < vx0 || e->ax > vx1 || e->ay < vy0 || e->ay > vy1)
          continue;
        px = e->points[2 * (e->n_points - 1)];
        py = e->points[2 * (e->n_points - 1) + 1];
        dx = e->ax - px;
        dy = e->ay - py;
        len = hypot (dx, dy);
        if (len < 1e-6)
          continue;
        dx /= len;
        dy /= len;
        cairo_move_to (cr, e->ax, e->ay);
        cairo_line_to (cr, e->ax - 7 * dx - 3.5 * dy, e->ay - 7 * dy + 3.5 * dx);
        cairo_line_to (cr, e->ax - 7 * dx + 3.5 * dy, e->ay - 7 * dy - 3.5 * dx);
        cairo_close_path (cr);
      }
  cairo_fill (cr);

  /* Nodes. */
  if (pl == NULL && labels)
    pl = gtk_widget_create_pango_layout (widget, NULL);
  for (guint i = 0; i < l->nodes->len; i++)
    {
      LNode *n = &g_array_index (l->nodes, LNode, i);
      GdkRGBA c;

      if (n->x + n->w < vx0 || n->x > vx1 || n->y + n->h < vy0 || n->y > vy1)
        continue;
      drawn++;
      ember_graph_view_kind_color (n->kind, &c);
      gdk_cairo_set_source_rgba (cr, &c);
      if (labels)
        {
          rounded_rect (cr, n->x, n->y, n->w, n->h, 4);
          cairo_fill_preserve (cr);
          if (n->id >= 0 && n->id == self->selected)
            {
              cairo_set_source_rgb (cr, 0.9, 0.1, 0.1);
              cairo_set_line_width (cr, 3);
            }
          else
            {
              cairo_set_source_rgba (cr, 0, 0, 0, 0.45);
              cairo_set_line_width (cr, n->kind == EMBER_GRAPH_NODE_MODULE ? 2 : 1);
            }
          cairo_stroke (cr);

          /* Labels on the node colours: always dark. */
          cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
          pango_layout_set_text (pl, n->op, -1);
          cairo_move_to (cr, n->x + PAD, n->y + PAD / 2 - 2);
          pango_cairo_show_layout (cr, pl);
          if (details && *n->detail)
            {
              cairo_save (cr);
              pango_layout_set_text (pl, n->detail, -1);
              cairo_move_to (cr, n->x + PAD, n->y + PAD / 2 + LINE_H - 2);
              cairo_scale (cr, 0.85, 0.85);
              cairo_set_source_rgb (cr, 0.25, 0.25, 0.25);
              pango_cairo_show_layout (cr, pl);
              cairo_restore (cr);
            }
        }
      else
        {
          /* Far away: plain boxes, no labels. */
          cairo_rectangle (cr, n->x, n->y, n->w, n->h);
          cairo_fill (cr);
          if (n->id >= 0 && n->id == self->selected)
            {
              cairo_set_source_rgb (cr, 0.9, 0.1, 0.1);
              cairo_set_line_width (cr, 3 / s);
              cairo_rectangle (cr, n->x, n->y, n->w, n->h);
              cairo_stroke (cr);
            }
        }
    }

  g_clear_object (&pl);
  cairo_destroy (cr);
  self->last_drawn_nodes = drawn;
  self->last_draw_us = g_get_monotonic_time () - start;
}

/* ---- input ---- */

int
ember_graph_view_node_at (EmberGraphView *self,
                          double          x,
                          double          y)
{
  double lx, ly;

  if (self->layout == NULL)
    return -1;
  lx = (x - self->tx) / self->scale;
  ly = (y - self->ty) / self->scale;
  for (guint i = 0; i < self->layout->nodes->len; i++)
    {
      LNode *n = &g_array_index (self->layout->nodes, LNode, i);

      if (lx >= n->x && lx <= n->x + n->w && ly >= n->y && ly <= n->y + n->h)
        return n->id >= 0 ? n->id : -2 - (int) i;
    }
  return -1;
}

/* GTK 4.8's scroll events carry no position: the pointer is followed. */
static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           EmberGraphView           *self)
{
  self->pointer_x = x;
  self->pointer_y = y;
  self->has_pointer = TRUE;
}

static void
on_pointer_leave (GtkEventControllerMotion *motion,
                  EmberGraphView           *self)
{
  self->has_pointer = FALSE;
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           EmberGraphView           *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double x = self->has_pointer ? self->pointer_x : gtk_widget_get_width (GTK_WIDGET (self)) / 2.0;
  double y = self->has_pointer ? self->pointer_y : gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;

  if (state & GDK_CONTROL_MASK)
    ember_graph_view_zoom_at (self, pow (1.1, -dy), x, y);
  else
    ember_graph_view_pan (self, -dx * 30, -dy * 30);
  return TRUE;
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               EmberGraphView *self)
{
  self->drag_tx = self->tx;
  self->drag_ty = self->ty;
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                EmberGraphView *self)
{
  self->tx = self->drag_tx + dx;
  self->ty = self->drag_ty + dy;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_zoom_begin (GtkGesture       *gesture,
               GdkEventSequence *sequence,
               EmberGraphView   *self)
{
  self->zoom_begin_scale = self->scale;
  gtk_gesture_get_bounding_box_center (gesture, &self->zoom_cx, &self->zoom_cy);
}

static void
on_scale_changed (GtkGestureZoom *gesture,
                  double          scale,
                  EmberGraphView *self)
{
  ember_graph_view_zoom_at (self, self->zoom_begin_scale * scale / self->scale, self->zoom_cx, self->zoom_cy);
}

static void
on_click_released (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   EmberGraphView  *self)
{
  int id = ember_graph_view_node_at (self, x, y);

  if (id <= -2)
    {
      /* A collapsed module: expand it. */
      LNode *n = &g_array_index (self->layout->nodes, LNode, -2 - id);
      g_autofree char *module = g_strdup (n->module);

      ember_graph_view_set_module_collapsed (self, module, FALSE);
      return;
    }
  if (id >= 0 && n_press == 2 && GN (self->graph, id)->module != NULL)
    {
      /* Double-click on a node of a module: collapse the module. */
      g_autofree char *module = g_strdup (GN (self->graph, id)->module);

      ember_graph_view_set_module_collapsed (self, module, TRUE);
      return;
    }
  if (id >= 0)
    {
      ember_graph_view_set_selected (self, id);
      g_signal_emit (self, signals[SIGNAL_NODE_ACTIVATED], 0, id);
    }
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (widget);

  if (g_str_equal (action_name, "graph.zoom-in"))
    ember_graph_view_set_zoom (self, self->scale * 1.25);
  else if (g_str_equal (action_name, "graph.zoom-out"))
    ember_graph_view_set_zoom (self, self->scale / 1.25);
  else
    ember_graph_view_zoom_to_fit (self);
}

/* ---- layout task ---- */

typedef struct {
  EmberGraph *graph;
  GHashTable *collapsed;
  guint       generation;
} LayoutData;

static void
layout_data_free (gpointer p)
{
  LayoutData *d = p;

  ember_graph_unref (d->graph);
  g_hash_table_unref (d->collapsed);
  g_free (d);
}

static void
layout_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  LayoutData *d = task_data;

  g_task_return_pointer (task, compute_layout (d->graph, d->collapsed), (GDestroyNotify) layout_free);
}

static void
on_layout_ready (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (source);
  LayoutData *d = g_task_get_task_data (G_TASK (result));
  Layout *l = g_task_propagate_pointer (G_TASK (result), NULL);
  gboolean first;

  if (l == NULL)
    return;
  if (d->generation != self->generation)
    {
      layout_free (l);
      return;
    }
  first = self->layout == NULL;
  layout_free (self->layout);
  self->layout = l;
  if (first || GPOINTER_TO_INT (user_data))
    ember_graph_view_zoom_to_fit (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_LAYOUT_DONE], 0);
}

static void
start_layout (EmberGraphView *self,
              gboolean        fit)
{
  g_autoptr(GTask) task = NULL;
  LayoutData *d;
  GHashTableIter it;
  gpointer key;

  self->generation++;
  if (self->graph == NULL)
    {
      g_clear_pointer (&self->layout, layout_free);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }

  d = g_new0 (LayoutData, 1);
  d->graph = ember_graph_ref (self->graph);
  d->collapsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&it, self->collapsed);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      char *k = g_strdup (key);
      g_hash_table_insert (d->collapsed, k, k);
    }
  d->generation = self->generation;

  task = g_task_new (self, NULL, on_layout_ready, GINT_TO_POINTER (fit));
  g_task_set_task_data (task, d, layout_data_free);
  g_task_run_in_thread (task, layout_thread);
}

/* ---- GObject ---- */

static void
ember_graph_view_finalize (GObject *object)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (object);

  g_clear_pointer (&self->graph, ember_graph_unref);
  g_clear_pointer (&self->layout, layout_free);
  g_hash_table_unref (self->collapsed);

  G_OBJECT_CLASS (ember_graph_view_parent_class)->finalize (object);
}

static void
ember_graph_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (object);

  switch (prop_id)
    {
    case PROP_GRAPH: g_value_set_boxed (value, self->graph); break;
    case PROP_ZOOM: g_value_set_double (value, self->scale); break;
    case PROP_SELECTED: g_value_set_int (value, self->selected); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_graph_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (object);

  switch (prop_id)
    {
    case PROP_GRAPH: ember_graph_view_set_graph (self, g_value_get_boxed (value)); break;
    case PROP_ZOOM: ember_graph_view_set_zoom (self, g_value_get_double (value)); break;
    case PROP_SELECTED: ember_graph_view_set_selected (self, g_value_get_int (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_graph_view_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = 100;
  *natural = 400;
}

static void
ember_graph_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  EmberGraphView *self = EMBER_GRAPH_VIEW (widget);

  if (self->fit_pending)
    ember_graph_view_zoom_to_fit (self);
}

static void
ember_graph_view_class_init (EmberGraphViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ember_graph_view_finalize;
  object_class->get_property = ember_graph_view_get_property;
  object_class->set_property = ember_graph_view_set_property;
  widget_class->snapshot = ember_graph_view_snapshot;
  widget_class->measure = ember_graph_view_measure;
  widget_class->size_allocate = ember_graph_view_size_allocate;

  properties[PROP_GRAPH] =
    g_param_spec_boxed ("graph", NULL, NULL, EMBER_TYPE_GRAPH,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_ZOOM] =
    g_param_spec_double ("zoom", NULL, NULL, 0.0005, 10, 1,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SELECTED] =
    g_param_spec_int ("selected", NULL, NULL, -1, G_MAXINT, -1,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EmberGraphView::node-activated:
   * @id: the graph node's id
   */
  signals[SIGNAL_NODE_ACTIVATED] =
    g_signal_new ("node-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  /**
   * EmberGraphView::layout-done:
   *
   * A new layout is in place (after set_graph or a module's collapse).
   */
  signals[SIGNAL_LAYOUT_DONE] =
    g_signal_new ("layout-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "graph.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "graph.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "graph.fit", NULL, zoom_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "graph.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "graph.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "graph.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "graph.fit", NULL);

  gtk_widget_class_set_css_name (widget_class, "graphview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ember_graph_view_init (EmberGraphView *self)
{
  GtkEventController *scroll, *motion;
  GtkGesture *drag, *zoom, *click;

  self->scale = 1.0;
  self->selected = -1;
  self->collapsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  _ember_widgets_ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));

  scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_pointer_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  drag = gtk_gesture_drag_new ();
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  zoom = gtk_gesture_zoom_new ();
  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_scale_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "released", G_CALLBACK (on_click_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
ember_graph_view_new (void)
{
  return g_object_new (EMBER_TYPE_GRAPH_VIEW, NULL);
}

void
ember_graph_view_set_graph (EmberGraphView *self,
                            EmberGraph     *graph)
{
  g_return_if_fail (EMBER_IS_GRAPH_VIEW (self));

  if (graph != NULL)
    ember_graph_ref (graph);
  g_clear_pointer (&self->graph, ember_graph_unref);
  self->graph = graph;
  self->selected = -1;
  g_clear_pointer (&self->layout, layout_free);
  start_layout (self, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRAPH]);
}

EmberGraph *ember_graph_view_get_graph (EmberGraphView *self) { return self->graph; }
gboolean ember_graph_view_is_laid_out (EmberGraphView *self) { return self->layout != NULL; }
double ember_graph_view_get_layout_seconds (EmberGraphView *self) { return self->layout ? self->layout->seconds : 0; }
gint64 ember_graph_view_get_last_draw_us (EmberGraphView *self) { return self->last_draw_us; }
guint ember_graph_view_get_last_drawn_nodes (EmberGraphView *self) { return self->last_drawn_nodes; }

guint
ember_graph_view_get_n_boxes (EmberGraphView *self,
                              guint          *n_modules)
{
  guint modules = 0;

  g_return_val_if_fail (EMBER_IS_GRAPH_VIEW (self), 0);

  for (guint i = 0; self->layout != NULL && i < self->layout->nodes->len; i++)
    modules += g_array_index (self->layout->nodes, LNode, i).id < 0;
  if (n_modules != NULL)
    *n_modules = modules;
  return self->layout ? self->layout->nodes->len : 0;
}
int ember_graph_view_get_selected (EmberGraphView *self) { return self->selected; }

void
ember_graph_view_set_selected (EmberGraphView *self,
                               int             id)
{
  if (self->selected == id)
    return;
  self->selected = id;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

void
ember_graph_view_set_module_collapsed (EmberGraphView *self,
                                       const char     *module,
                                       gboolean        collapsed)
{
  g_return_if_fail (EMBER_IS_GRAPH_VIEW (self));
  g_return_if_fail (module != NULL);

  if (collapsed == g_hash_table_contains (self->collapsed, module))
    return;
  if (collapsed)
    g_hash_table_add (self->collapsed, g_strdup (module));
  else
    g_hash_table_remove (self->collapsed, module);
  start_layout (self, FALSE);
}

gboolean
ember_graph_view_get_module_collapsed (EmberGraphView *self,
                                       const char     *module)
{
  return g_hash_table_contains (self->collapsed, module);
}

void
ember_graph_view_collapse_all (EmberGraphView *self,
                               gboolean        collapsed)
{
  g_hash_table_remove_all (self->collapsed);
  if (collapsed && self->graph != NULL)
    for (guint i = 0; i < self->graph->nodes->len; i++)
      if (GN (self->graph, i)->module != NULL && !g_hash_table_contains (self->collapsed, GN (self->graph, i)->module))
        g_hash_table_add (self->collapsed, g_strdup (GN (self->graph, i)->module));
  start_layout (self, TRUE);
}

gboolean
ember_graph_view_get_node_bounds (EmberGraphView  *self,
                                  int              id,
                                  graphene_rect_t *bounds)
{
  LNode *n;

  if (self->layout == NULL || self->graph == NULL || id < 0 || id >= (int) self->graph->nodes->len ||
      self->layout->node_of_id[id] < 0)
    return FALSE;
  n = &g_array_index (self->layout->nodes, LNode, self->layout->node_of_id[id]);
  if (n->id != id)
    return FALSE;
  graphene_rect_init (bounds, n->x * self->scale + self->tx, n->y * self->scale + self->ty,
                      n->w * self->scale, n->h * self->scale);
  return TRUE;
}
