/* ember-document.h: an open item of the workbench: one safetensors file, a
 * sharded checkpoint (model-0000k-of-0000n.safetensors with its index JSON), or
 * a model folder (config.json, tokenizer.json, *.safetensors). Loading reads
 * only the headers; statistics of a tensor are computed with the engine on a
 * worker thread. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  EMBER_DOCUMENT_FILE,
  EMBER_DOCUMENT_SHARDED,
  EMBER_DOCUMENT_MODEL,
} EmberDocumentKind;

#define EMBER_HISTOGRAM_BINS 64

typedef struct {
  guint64 count;          /* elements */
  double  min, max;       /* of the finite elements */
  double  mean, std;      /* of the finite elements */
  double  zero_fraction;
  guint64 nan_count;
  guint64 inf_count;
  guint64 histogram[EMBER_HISTOGRAM_BINS];  /* finite elements, min..max */
} EmberTensorStats;

#define EMBER_TYPE_DOCUMENT (ember_document_get_type())
G_DECLARE_FINAL_TYPE(EmberDocument, ember_document, EMBER, DOCUMENT, GObject)

/* Blocking: reads headers only. */
EmberDocument     *ember_document_load              (GFile               *file,
                                                     GError             **error);
void               ember_document_load_async        (GFile               *file,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
EmberDocument     *ember_document_load_finish       (GAsyncResult        *result,
                                                     GError             **error);

/* The path that names the item whatever was opened to reach it (a folder, the
 * first shard's set, a file): opening the same item twice finds it. */
char              *ember_document_key_for_file      (GFile               *file);
const char        *ember_document_get_key           (EmberDocument       *self);
const char        *ember_document_get_title         (EmberDocument       *self);
const char        *ember_document_get_subtitle      (EmberDocument       *self);
EmberDocumentKind  ember_document_get_kind          (EmberDocument       *self);
GFile             *ember_document_get_file          (EmberDocument       *self);
guint              ember_document_get_n_shards      (EmberDocument       *self);
/* EmberTensorItems, in file order (shard after shard). */
GListModel        *ember_document_get_tensors       (EmberDocument       *self);
/* config.json flattened ("rope_scaling.factor" = "8.0"), and what else was
 * recognised beside the weights (tokenizer.json); NULL-terminated pairs. */
guint              ember_document_get_n_properties  (EmberDocument       *self);
const char        *ember_document_get_property_key  (EmberDocument       *self,
                                                     guint                i);
const char        *ember_document_get_property_value(EmberDocument       *self,
                                                     guint                i);
/* Seconds spent reading the headers. */
double             ember_document_get_load_seconds  (EmberDocument       *self);

/* Statistics of one tensor (reads its data through the engine). */
void               ember_document_compute_stats_async  (EmberDocument       *self,
                                                        const char          *tensor,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* g_free() the result. */
EmberTensorStats  *ember_document_compute_stats_finish (EmberDocument       *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
/* The shard file holding @tensor, or NULL. */
const char        *ember_document_get_tensor_path      (EmberDocument       *self,
                                                        const char          *tensor);

G_END_DECLS
