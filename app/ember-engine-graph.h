/* ember-engine-graph.h: the engine's graph snapshot (ember/graph.h) as an
 * EmberGraph for the graph view. Plain data: may run on any thread. */
#pragma once

#include <ember/graph.h>

#include "ember-graph-view.h"

G_BEGIN_DECLS

EmberGraph *ember_graph_from_engine (const em_graph *g);

G_END_DECLS
