/* ember-inspector.h: the Inspector panel: the tensors of an open item, the
 * statistics and histogram of the selected one, and the item's properties
 * (config.json). */
#pragma once

#include <gtk/gtk.h>

#include "ember-document.h"

G_BEGIN_DECLS

#define EMBER_TYPE_INSPECTOR (ember_inspector_get_type())
G_DECLARE_FINAL_TYPE(EmberInspector, ember_inspector, EMBER, INSPECTOR, GtkWidget)

EmberDocument *ember_inspector_get_document (EmberInspector *self);
void           ember_inspector_set_document (EmberInspector *self,
                                             EmberDocument  *document);
GtkWidget     *ember_inspector_get_tree     (EmberInspector *self);
/* The statistics shown, or NULL while none are. */
const EmberTensorStats *ember_inspector_get_stats (EmberInspector *self);

G_END_DECLS
