/* ember-generate.h: the Generate panel: a language model (a model folder,
 * ember/llm.h) or the fortunes GPT trained in the workbench (ember/train.h)
 * loaded on a worker thread with progress; a prompt, a chat mode that keeps
 * the conversation, sampling controls; text streamed into the output as it
 * is generated (at most 30 updates a second), Stop, and live statistics. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_GENERATE (ember_generate_get_type())
G_DECLARE_FINAL_TYPE(EmberGenerate, ember_generate, EMBER, GENERATE, GtkWidget)

/* Lists a model folder among the models to choose (once per path);
 * with @load, chooses and loads it. */
void         ember_generate_add_model_folder (EmberGenerate *self,
                                              const char    *path,
                                              const char    *title,
                                              gboolean       load);
/* Lists a fortunes GPT trained in the workbench: @run is what
 * ember_training_dup_gpt_run() gave (kept alive while listed). */
void         ember_generate_add_trained_gpt  (EmberGenerate *self,
                                              GObject       *run,
                                              const char    *title);
guint        ember_generate_get_n_models     (EmberGenerate *self);
/* The model chosen in the list (loaded, or being loaded), -1. */
int          ember_generate_get_chosen_model (EmberGenerate *self);
/* Chooses (and loads) the i-th model listed. */
void         ember_generate_choose_model     (EmberGenerate *self,
                                              guint          i);
/* "cpu" or "gpu": where models are loaded and run (a loaded model is
 * loaded again on the new device). */
void         ember_generate_set_device       (EmberGenerate *self,
                                              const char    *device);

/* Starts generating from the prompt box with the form's settings; FALSE when
 * no model is loaded, one is loading or a generation runs. */
gboolean     ember_generate_start            (EmberGenerate *self);
/* Stops the generation, or the load, in progress. */
void         ember_generate_stop             (EmberGenerate *self);
/* Forgets the conversation and clears the output. */
void         ember_generate_clear            (EmberGenerate *self);

gboolean     ember_generate_is_running       (EmberGenerate *self);
gboolean     ember_generate_is_loading       (EmberGenerate *self);
gboolean     ember_generate_has_model        (EmberGenerate *self);
/* "qwen3", "gpt" (trained here), or NULL. */
const char  *ember_generate_get_model_type   (EmberGenerate *self);

/* For tests and the window. */
void         ember_generate_set_prompt       (EmberGenerate *self,
                                              const char    *text);
void         ember_generate_set_chat_mode    (EmberGenerate *self,
                                              gboolean       chat);
void         ember_generate_set_system_prompt(EmberGenerate *self,
                                              const char    *text);
void         ember_generate_set_temperature  (EmberGenerate *self,
                                              double         temperature);
void         ember_generate_set_max_tokens   (EmberGenerate *self,
                                              int            max_tokens);
GtkTextBuffer *ember_generate_get_output     (EmberGenerate *self);
/* The text of the last (or running) generation alone. */
const char  *ember_generate_get_reply        (EmberGenerate *self);
const char  *ember_generate_get_stats_text   (EmberGenerate *self);
/* Of the last generation: tokens made, generation tokens/s, and why it
 * stopped ("eos", "length", "cancelled", "stop string", "error", NULL). */
gint64       ember_generate_get_n_tokens     (EmberGenerate *self);
/* Prompt tokens of the last generation found in the session's cache. */
gint64       ember_generate_get_n_reused_tokens (EmberGenerate *self);
double       ember_generate_get_tokens_per_second (EmberGenerate *self);
const char  *ember_generate_get_stop_reason  (EmberGenerate *self);
/* Messages of the conversation kept (user and assistant turns). */
guint        ember_generate_get_n_messages   (EmberGenerate *self);
/* Main-thread updates made while streaming (each at most every 1/30 s). */
guint        ember_generate_get_n_updates    (EmberGenerate *self);
/* The most CPU time one of those updates took (microseconds). */
gint64       ember_generate_get_max_update_us (EmberGenerate *self);
GtkWidget   *ember_generate_get_prompt_view  (EmberGenerate *self);

G_END_DECLS
