/* ember-generate.c
 *
 * The Generate panel. Two kinds of model: a model folder, loaded with
 * em_llm_load and run by an em_llm_session (ember/llm.h), and the fortunes
 * GPT trained in the Training panel, whose checkpoint is written and read
 * back with em_text_model_load and sampled a character at a time
 * (ember/train.h, what `ember-cli sample` uses).
 *
 * Loading and generating run on GTask threads. The workers only append to a
 * mutex-guarded Shared state (the text not yet shown, the statistics, the
 * load progress); a 30 Hz timer on the main thread drains it into the text
 * buffer and the labels, so the UI gets at most 30 updates a second whatever
 * the token rate. Stop sets the shared flag (the token callback answers
 * false) and asks em_llm_session_cancel.
 *
 * A loaded model is refcounted: a generation holds it, so choosing another
 * model while one generates loads the new one beside it and the old one is
 * freed when its generation ends.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <math.h>
#include <time.h>

#include <ember/ember.h>
#include <ember/llm.h>
#include <ember/train.h>

#include "ember-generate.h"
#include "ember-priority.h"
#include "ember-training.h"

typedef enum {
  SOURCE_LLM,   /* a model folder */
  SOURCE_GPT,   /* the fortunes GPT trained here */
} SourceKind;

typedef struct {
  SourceKind  kind;
  char       *path;       /* the folder */
  char       *title;
  GObject    *run;        /* SOURCE_GPT: keeps the training run alive */
} Source;

static void
source_free (gpointer p)
{
  Source *s = p;

  g_free (s->path);
  g_free (s->title);
  g_clear_object (&s->run);
  g_free (s);
}

/* ---- a loaded model ---- */

typedef struct {
  gatomicrefcount  ref;
  SourceKind       kind;
  em_llm          *llm;
  em_llm_session  *session;
  em_text_model   *gpt;
  char            *type;
  char            *device;
  gboolean         has_chat;
} Model;

static Model *
model_ref (Model *m)
{
  g_atomic_ref_count_inc (&m->ref);
  return m;
}

static void
model_unref (Model *m)
{
  if (m == NULL || !g_atomic_ref_count_dec (&m->ref))
    return;
  em_llm_session_free (m->session);
  em_llm_free (m->llm);
  em_text_model_free (m->gpt);
  g_free (m->type);
  g_free (m->device);
  g_free (m);
}

/* ---- what a worker shares with the main thread ---- */

typedef struct {
  gatomicrefcount  ref;
  GMutex           lock;
  gboolean         cancel;
  /* loading */
  int              done, total;
  /* generating */
  GString         *text;        /* made, not yet shown */
  em_llm_stats     stats;
  gboolean         has_stats;
  em_llm_session  *session;     /* borrowed from the job's model, for Stop */
} Shared;

static Shared *
shared_new (void)
{
  Shared *s = g_new0 (Shared, 1);

  g_atomic_ref_count_init (&s->ref);
  g_mutex_init (&s->lock);
  s->text = g_string_new (NULL);
  return s;
}

static Shared *
shared_ref (Shared *s)
{
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

static void
shared_unref (Shared *s)
{
  if (s == NULL || !g_atomic_ref_count_dec (&s->ref))
    return;
  g_string_free (s->text, TRUE);
  g_mutex_clear (&s->lock);
  g_free (s);
}

static void
shared_cancel (Shared *s)
{
  if (s == NULL)
    return;
  g_mutex_lock (&s->lock);
  s->cancel = TRUE;
  if (s->session != NULL)
    em_llm_session_cancel (s->session);
  g_mutex_unlock (&s->lock);
}

static gboolean
shared_cancelled (Shared *s)
{
  gboolean c;

  g_mutex_lock (&s->lock);
  c = s->cancel;
  g_mutex_unlock (&s->lock);
  return c;
}

/* The worker's default device (thread-local in the engine; pool threads are
 * reused, so it is always set). FALSE with *error when there is no GPU. */
static gboolean
use_device (const char *device,
            char      **error)
{
  if (g_strcmp0 (device, "gpu") == 0)
    {
      if (!em_device_available (em_gpu ()))
        {
          *error = g_strdup (_("No GPU device is available (Vulkan found none)"));
          em_error_clear ();
          return FALSE;
        }
      em_set_default_device (em_gpu ());
    }
  else
    em_set_default_device (em_cpu ());
  return TRUE;
}

/* ---- loading (worker) ---- */

typedef struct {
  Shared     *shared;
  SourceKind  kind;
  guint       source;
  char       *path;
  char       *checkpoint;
  GObject    *run;
  char       *device;
  /* results */
  Model      *model;
  char       *error;
  double      seconds;
} LoadJob;

static void
load_job_free (gpointer p)
{
  LoadJob *j = p;

  shared_unref (j->shared);
  g_free (j->path);
  g_free (j->checkpoint);
  g_clear_object (&j->run);
  g_free (j->device);
  model_unref (j->model);
  g_free (j->error);
  g_free (j);
}

static bool
on_load_progress (void *user,
                  int   done,
                  int   total)
{
  Shared *s = user;
  gboolean go_on;

  g_mutex_lock (&s->lock);
  s->done = done;
  s->total = total;
  go_on = !s->cancel;
  g_mutex_unlock (&s->lock);
  return go_on;
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadJob *j = task_data;
  gint64 start = g_get_monotonic_time ();
  Model *m;

  ember_lower_worker_priority ();
  if (!use_device (j->device, &j->error))
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  m = g_new0 (Model, 1);
  g_atomic_ref_count_init (&m->ref);
  m->kind = j->kind;
  m->device = g_strdup (j->device);
  if (j->kind == SOURCE_LLM)
    {
      m->llm = em_llm_load (j->path, on_load_progress, j->shared);
      if (m->llm != NULL)
        m->session = em_llm_session_new (m->llm);
      if (m->llm != NULL && m->session != NULL)
        {
          m->type = g_strdup (em_llm_model_type (m->llm));
          m->has_chat = em_llm_chat_template (m->llm) != NULL && em_llm_tokenizer (m->llm) != NULL;
        }
    }
  else
    {
      g_autoptr(GError) error = NULL;

      on_load_progress (j->shared, 0, 2);
      if (!ember_training_write_gpt_checkpoint (j->run, j->checkpoint, &error))
        j->error = g_strdup (error->message);
      else
        {
          on_load_progress (j->shared, 1, 2);
          m->gpt = em_text_model_load (j->checkpoint);
          on_load_progress (j->shared, 2, 2);
        }
      m->type = g_strdup ("gpt");
    }

  if (j->error == NULL && m->llm == NULL && m->gpt == NULL)
    j->error = g_strdup (shared_cancelled (j->shared) ? _("Loading was cancelled") : em_error_message ());
  else if (j->error == NULL && m->kind == SOURCE_LLM && m->session == NULL)
    j->error = g_strdup (em_error_message ());
  em_error_clear ();
  if (j->error != NULL)
    model_unref (m);
  else
    j->model = m;
  j->seconds = (g_get_monotonic_time () - start) / 1e6;
  g_task_return_boolean (task, j->error == NULL);
}

/* ---- generating (worker) ---- */

typedef struct {
  Shared            *shared;
  Model             *model;
  char              *device;
  char              *prompt;
  char              *messages;    /* JSON, chat mode */
  em_llm_gen_params  params;
  /* results */
  int                rc;
  char              *error;
  em_llm_stats       stats;
} GenJob;

static void
gen_job_free (gpointer p)
{
  GenJob *j = p;

  shared_unref (j->shared);
  model_unref (j->model);
  g_free (j->device);
  g_free (j->prompt);
  g_free (j->messages);
  g_free (j->error);
  g_free (j);
}

static bool
on_token (void       *user,
          int32_t     id,
          const char *text,
          size_t      len)
{
  GenJob *j = user;
  Shared *s = j->shared;
  em_llm_stats st = em_llm_session_stats (j->model->session);
  gboolean go_on;

  g_mutex_lock (&s->lock);
  g_string_append_len (s->text, text, (gssize) len);
  if (id >= 0)
    {
      s->stats = st;
      s->has_stats = TRUE;
    }
  go_on = !s->cancel;
  g_mutex_unlock (&s->lock);
  return go_on;
}

static void
generate_llm (GenJob *j)
{
  g_autofree int32_t *ids = NULL;
  int64_t n = 0;

  if (em_llm_encode_prompt (j->model->llm, j->prompt, j->messages, &ids, &n) < 0)
    {
      j->rc = -1;
      j->error = g_strdup (em_error_message ());
      em_error_clear ();
      return;
    }
  if (n == 0)
    {
      j->rc = -1;
      j->error = g_strdup (_("The prompt is empty"));
      return;
    }
  j->rc = em_llm_session_generate (j->model->session, ids, n, &j->params, on_token, j);
  if (j->rc < 0)
    j->error = g_strdup (em_llm_session_error (j->model->session));
  em_error_clear ();
  j->stats = em_llm_session_stats (j->model->session);
}

static void
on_gpt_text (const char *text,
             size_t      len,
             void       *user)
{
  g_string_append_len (user, text, (gssize) len);
}

/* The fortunes GPT: one character per em_text_model_sample call on the text
 * so far (the model has no cache: each step runs the last `context`
 * characters anyway), so Stop is seen between characters. */
static void
generate_gpt (GenJob *j)
{
  Shared *s = j->shared;
  const em_llm_sampler *sp = &j->params.sampler;
  g_autoptr(GString) context = g_string_new (j->prompt);
  g_autoptr(GString) piece = g_string_new (NULL);
  double t0 = g_get_monotonic_time () / 1e6, t_first = 0;
  em_llm_stats st = { 0 };

  /* Without a prompt, start as after a fortune's end. */
  if (context->len == 0)
    g_string_assign (context, "%\n");
  st.prompt_tokens = (int64_t) g_utf8_strlen (j->prompt, -1);
  st.stop_reason = "length";
  em_memory_reset_peak ();
  for (int i = 0; i < j->params.max_tokens; i++)
    {
      double now;

      if (shared_cancelled (s))
        {
          st.stop_reason = "cancelled";
          break;
        }
      g_string_truncate (piece, 0);
      if (em_text_model_sample (j->model->gpt, context->str, 1, sp->temperature, sp->top_k,
                                sp->seed + (uint64_t) i, on_gpt_text, piece) < 0)
        {
          j->rc = -1;
          j->error = g_strdup (em_error_message ());
          em_error_clear ();
          st.stop_reason = "error";
          break;
        }
      g_string_append_len (context, piece->str, (gssize) piece->len);
      now = g_get_monotonic_time () / 1e6;
      st.generated_tokens = i + 1;
      if (i == 0)
        {
          t_first = now;
          st.ttft_seconds = st.prompt_seconds = now - t0;
          st.prompt_tps = st.prompt_tokens > 0 ? st.prompt_tokens / st.ttft_seconds : 0;
        }
      st.generate_seconds = now - t0 - st.prompt_seconds;
      st.generate_tps = i > 0 ? i / (now - t_first) : 0;
      g_mutex_lock (&s->lock);
      g_string_append_len (s->text, piece->str, (gssize) piece->len);
      s->stats = st;
      s->has_stats = TRUE;
      g_mutex_unlock (&s->lock);
    }
  st.peak_memory = em_memory_stats_get ().peak;
  j->stats = st;
}

static void
gen_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  GenJob *j = task_data;

  ember_lower_worker_priority ();
  if (!use_device (j->device, &j->error))
    j->rc = -1;
  else if (j->model->kind == SOURCE_LLM)
    generate_llm (j);
  else
    generate_gpt (j);
  g_task_return_boolean (task, j->rc == 0);
}

/* ---- the panel ---- */

struct _EmberGenerate
{
  GtkWidget       parent_instance;

  GtkPaned       *paned;
  GtkDropDown    *model_dropdown;
  GtkProgressBar *load_progress;
  GtkLabel       *model_label;
  GtkSwitch      *chat_switch;
  GtkEntry       *system_entry;
  GtkSpinButton  *temp_spin;
  GtkSpinButton  *top_k_spin;
  GtkSpinButton  *top_p_spin;
  GtkSpinButton  *min_p_spin;
  GtkSpinButton  *rep_spin;
  GtkSpinButton  *max_tokens_spin;
  GtkSpinButton  *seed_spin;
  GtkTextView    *output_view;
  GtkTextView    *prompt_view;
  GtkLabel       *stats_label;

  GtkTextBuffer  *output;
  GtkTextMark    *end_mark;
  GPtrArray      *sources;          /* Source */
  GtkStringList  *model_names;
  gboolean        filling;          /* the dropdown is being refilled */
  char           *device;
  char           *tmp_dir;          /* checkpoints of trained GPTs */
  guint           n_checkpoints;

  Model          *model;            /* loaded */
  int             model_source;     /* its index in sources, -1 */
  Shared         *load_shared;      /* of the load in progress */
  int             load_source;
  Shared         *gen_shared;       /* of the generation running */
  guint           timer;
  gboolean        disposed;

  json_object    *history;          /* chat messages kept (array) */
  char           *turn_prompt;      /* the running chat turn's user message */
  GString        *reply;            /* text of the last/running generation */
  GString        *pending;          /* bytes not yet whole UTF-8 */
  em_llm_stats    stats;
  gboolean        has_stats;
  const char     *stop_reason;
  guint           n_updates;
  gint64          max_update_us;
};

G_DEFINE_FINAL_TYPE (EmberGenerate, ember_generate, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_LOADING,
  PROP_HAS_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_actions (EmberGenerate *self);

static void
show_error (EmberGenerate *self,
            const char    *message)
{
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, message);
}

/* Moves the longest whole-UTF-8 prefix of PENDING to the end of OUT; with
 * FLUSH, everything (a byte that is no UTF-8 becomes U+FFFD). */
static void
take_valid_utf8 (GString  *pending,
                 GString  *out,
                 gboolean  flush)
{
  while (pending->len > 0)
    {
      const char *end;
      gsize ok;

      if (g_utf8_validate_len (pending->str, pending->len, &end))
        {
          g_string_append_len (out, pending->str, (gssize) pending->len);
          g_string_truncate (pending, 0);
          break;
        }
      ok = (gsize) (end - pending->str);
      g_string_append_len (out, pending->str, (gssize) ok);
      g_string_erase (pending, 0, (gssize) ok);
      /* An incomplete character at the end waits for its last bytes. */
      if (!flush && g_utf8_get_char_validated (pending->str, (gssize) pending->len) == (gunichar) -2)
        break;
      g_string_append (out, "\xEF\xBF\xBD");
      g_string_erase (pending, 0, 1);
    }
}

static void
append_output (EmberGenerate *self,
               const char    *text,
               gssize         len,
               const char    *tag)
{
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (self->output, &end);
  if (tag != NULL)
    gtk_text_buffer_insert_with_tags_by_name (self->output, &end, text, len, tag, NULL);
  else
    gtk_text_buffer_insert (self->output, &end, text, len);
  gtk_text_view_scroll_mark_onscreen (self->output_view, self->end_mark);
}

static const char *
stop_reason_text (const char *reason)
{
  if (g_strcmp0 (reason, "eos") == 0)
    return _("end of text");
  if (g_strcmp0 (reason, "length") == 0)
    return _("token limit");
  if (g_strcmp0 (reason, "cancelled") == 0)
    return _("stopped");
  if (g_strcmp0 (reason, "stop string") == 0)
    return _("stop string");
  return _("error");
}

static void
update_stats_label (EmberGenerate *self,
                    gboolean       final)
{
  const em_llm_stats *st = &self->stats;
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  double tps = st->generate_tps;
  g_autofree char *text = NULL;

  if (!self->has_stats)
    return;
  /* While running, tokens/s of the tokens after the first. */
  if (!final && st->generated_tokens > 1)
    {
      double gap = st->generate_seconds - (st->ttft_seconds - st->prompt_seconds);

      tps = gap > 0 ? (st->generated_tokens - 1) / gap : 0;
    }
  if (st->generated_tokens > 1)
    g_ptr_array_add (parts, g_strdup_printf (_("%.1f tokens/s"), tps));
  else
    g_ptr_array_add (parts, g_strdup (_("— tokens/s")));
  g_ptr_array_add (parts, g_strdup_printf (_("first token in %.3f s"), st->ttft_seconds));
  /* Translators: prompt processing speed and the prompt's length in tokens. */
  g_ptr_array_add (parts, g_strdup_printf (ngettext ("prompt %.0f tokens/s (%d token)",
                                                     "prompt %.0f tokens/s (%d tokens)",
                                                     (gulong) st->prompt_tokens),
                                           st->prompt_tps, (int) st->prompt_tokens));
  if (st->reused_tokens > 0)
    /* Translators: prompt tokens found in the model's cache (a chat going on). */
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d token from the cache", "%d tokens from the cache",
                                                       (gulong) st->reused_tokens),
                                             (int) st->reused_tokens));
  g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d token generated", "%d tokens generated",
                                                     (gulong) st->generated_tokens),
                                           (int) st->generated_tokens));
  if (final)
    {
      if (st->peak_memory > 0)
        g_ptr_array_add (parts, g_strdup_printf (_("peak memory %.1f MB"), st->peak_memory / 1e6));
      /* Translators: why the generation ended ("end of text", "stopped" …). */
      g_ptr_array_add (parts, g_strdup_printf (_("ended: %s"), stop_reason_text (self->stop_reason)));
    }
  g_ptr_array_add (parts, NULL);
  text = g_strjoinv (" · ", (char **) parts->pdata);
  gtk_label_set_label (self->stats_label, text);
}

static void
drain (EmberGenerate *self,
       gboolean       final)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GString) valid = g_string_new (NULL);

  if (self->disposed)
    return;
  self->n_updates++;

  if (self->load_shared != NULL)
    {
      int done, total;

      g_mutex_lock (&self->load_shared->lock);
      done = self->load_shared->done;
      total = self->load_shared->total;
      g_mutex_unlock (&self->load_shared->lock);
      if (total > 0)
        {
          /* Translators: the load progress bar: tensors loaded of all. */
          g_autofree char *progress = g_strdup_printf (_("Loading: %d of %d"), done, total);

          gtk_progress_bar_set_fraction (self->load_progress, CLAMP ((double) done / total, 0, 1));
          gtk_progress_bar_set_text (self->load_progress, progress);
        }
      else
        gtk_progress_bar_pulse (self->load_progress);
    }

  if (self->gen_shared != NULL)
    {
      Shared *s = self->gen_shared;

      g_mutex_lock (&s->lock);
      g_string_append_len (text, s->text->str, (gssize) s->text->len);
      g_string_truncate (s->text, 0);
      if (s->has_stats)
        {
          self->stats = s->stats;
          self->has_stats = TRUE;
        }
      g_mutex_unlock (&s->lock);

      g_string_append_len (self->pending, text->str, (gssize) text->len);
      take_valid_utf8 (self->pending, valid, final);
      if (valid->len > 0)
        {
          g_string_append_len (self->reply, valid->str, (gssize) valid->len);
          append_output (self, valid->str, (gssize) valid->len, NULL);
        }
      if (!final)
        update_stats_label (self, FALSE);
    }
}

/* CPU time of this thread: what an update costs the UI thread, whatever
 * else the machine runs meanwhile. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_timer (gpointer user_data)
{
  EmberGenerate *self = EMBER_GENERATE (user_data);
  gint64 start = thread_cpu_us ();

  drain (self, FALSE);
  self->max_update_us = MAX (self->max_update_us, thread_cpu_us () - start);
  return G_SOURCE_CONTINUE;
}

static void
update_timer (EmberGenerate *self)
{
  gboolean busy = self->load_shared != NULL || self->gen_shared != NULL;

  if (busy && self->timer == 0)
    self->timer = g_timeout_add (1000 / 30, on_timer, self);
  else if (!busy)
    g_clear_handle_id (&self->timer, g_source_remove);
}

/* ---- models ---- */

static void
update_model_controls (EmberGenerate *self)
{
  gboolean gpt = self->model != NULL && self->model->kind == SOURCE_GPT;
  gboolean chat = self->model == NULL || self->model->has_chat;

  gtk_widget_set_sensitive (GTK_WIDGET (self->chat_switch), chat);
  if (!chat)
    gtk_switch_set_active (self->chat_switch, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->system_entry), chat);
  gtk_widget_set_sensitive (GTK_WIDGET (self->top_p_spin), !gpt);
  gtk_widget_set_sensitive (GTK_WIDGET (self->min_p_spin), !gpt);
  gtk_widget_set_sensitive (GTK_WIDGET (self->rep_spin), !gpt);
}

static char *
describe_model (Model  *m,
                double  seconds)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (m->kind == SOURCE_GPT)
    g_ptr_array_add (parts, g_strdup (_("the fortunes GPT trained in the workbench (characters as tokens)")));
  else
    {
      int layers = em_llm_num_layers (m->llm);

      g_ptr_array_add (parts, g_strdup (m->type));
      g_ptr_array_add (parts, g_strdup_printf (ngettext ("%d layer", "%d layers", (gulong) layers), layers));
      g_ptr_array_add (parts, g_strdup_printf (_("vocabulary %d"), (int) em_llm_vocab_size (m->llm)));
      if (em_llm_quant_bits (m->llm) > 0)
        g_ptr_array_add (parts, g_strdup_printf (_("%d-bit, groups of %d"), em_llm_quant_bits (m->llm),
                                                 em_llm_quant_group_size (m->llm)));
      g_ptr_array_add (parts, g_strdup_printf (_("%.1f MB of weights"), em_llm_weight_bytes (m->llm) / 1e6));
      if (!m->has_chat)
        g_ptr_array_add (parts, g_strdup (_("no chat template")));
    }
  if (g_strcmp0 (m->device, "gpu") == 0)
    g_ptr_array_add (parts, g_strdup_printf (_("loaded in %.2f s on the GPU"), seconds));
  else
    g_ptr_array_add (parts, g_strdup_printf (_("loaded in %.2f s on the CPU"), seconds));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
forget_conversation (EmberGenerate *self)
{
  g_clear_pointer (&self->history, json_object_put);
  self->history = json_object_new_array ();
}

static void
on_load_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EmberGenerate *self = EMBER_GENERATE (source);
  LoadJob *j = g_task_get_task_data (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), NULL);

  /* A load replaced by a later one (or the panel gone): nothing to show. */
  if (self->disposed || j->shared != self->load_shared)
    return;
  drain (self, FALSE);
  g_clear_pointer (&self->load_shared, shared_unref);
  update_timer (self);
  gtk_widget_set_visible (GTK_WIDGET (self->load_progress), FALSE);

  if (!ok && shared_cancelled (j->shared))
    gtk_label_set_label (self->model_label, _("Loading was cancelled"));
  else if (!ok)
    {
      Source *src = j->source < self->sources->len ? g_ptr_array_index (self->sources, j->source) : NULL;
      g_autofree char *message = g_strdup_printf (_("Could not load the model “%s”: %s"),
                                                  src ? src->title : j->path, j->error ? j->error : "");

      gtk_label_set_label (self->model_label, message);
      show_error (self, message);
    }
  if (!ok)
    {
      /* The list shows the model still loaded. */
      self->filling = TRUE;
      gtk_drop_down_set_selected (self->model_dropdown, self->model_source >= 0 ? (guint) self->model_source
                                                                                : GTK_INVALID_LIST_POSITION);
      self->filling = FALSE;
    }
  else
    {
      g_autofree char *info = describe_model (j->model, j->seconds);

      model_unref (self->model);
      self->model = g_steal_pointer (&j->model);
      self->model_source = (int) j->source;
      gtk_label_set_label (self->model_label, info);
      forget_conversation (self);
      update_model_controls (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MODEL]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  update_actions (self);
}

static void
load_source (EmberGenerate *self,
             guint          i)
{
  Source *src;
  LoadJob *j;
  g_autoptr(GTask) task = NULL;

  if (i >= self->sources->len)
    return;
  /* Loaded on this device already, or being loaded. */
  if (self->load_shared != NULL && self->load_source == (int) i)
    return;
  if (self->load_shared == NULL && self->model != NULL && self->model_source == (int) i &&
      g_strcmp0 (self->model->device, self->device) == 0)
    return;

  src = g_ptr_array_index (self->sources, i);
  shared_cancel (self->load_shared);
  g_clear_pointer (&self->load_shared, shared_unref);

  j = g_new0 (LoadJob, 1);
  j->shared = shared_new ();
  j->kind = src->kind;
  j->source = i;
  j->path = g_strdup (src->path);
  j->device = g_strdup (self->device);
  if (src->kind == SOURCE_GPT)
    {
      if (self->tmp_dir == NULL)
        self->tmp_dir = g_dir_make_tmp ("ember-generate-XXXXXX", NULL);
      j->checkpoint = g_strdup_printf ("%s/gpt-%u.safetensors", self->tmp_dir ? self->tmp_dir : g_get_tmp_dir (),
                                       ++self->n_checkpoints);
      j->run = g_object_ref (src->run);
    }
  self->load_shared = shared_ref (j->shared);
  self->load_source = (int) i;

  {
    /* Translators: the model being loaded. */
    g_autofree char *text = g_strdup_printf (_("Loading “%s”…"), src->title);

    gtk_label_set_label (self->model_label, text);
  }
  gtk_progress_bar_set_fraction (self->load_progress, 0);
  gtk_progress_bar_set_text (self->load_progress, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->load_progress), TRUE);

  task = g_task_new (self, NULL, on_load_done, NULL);
  g_task_set_task_data (task, j, load_job_free);
  g_task_run_in_thread (task, load_thread);
  update_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  update_actions (self);
}

static void
refill_dropdown (EmberGenerate *self,
                 int            selected)
{
  g_autoptr(GPtrArray) titles = g_ptr_array_new ();

  for (guint i = 0; i < self->sources->len; i++)
    g_ptr_array_add (titles, ((Source *) g_ptr_array_index (self->sources, i))->title);
  g_ptr_array_add (titles, NULL);
  self->filling = TRUE;
  gtk_string_list_splice (self->model_names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->model_names)),
                          (const char *const *) titles->pdata);
  gtk_drop_down_set_selected (self->model_dropdown, selected >= 0 ? (guint) selected : GTK_INVALID_LIST_POSITION);
  self->filling = FALSE;
}

static void
on_model_selected (EmberGenerate *self)
{
  guint i = gtk_drop_down_get_selected (self->model_dropdown);

  if (self->filling || i == GTK_INVALID_LIST_POSITION)
    return;
  load_source (self, i);
}

static int
current_selection (EmberGenerate *self)
{
  guint i = gtk_drop_down_get_selected (self->model_dropdown);

  return i == GTK_INVALID_LIST_POSITION ? -1 : (int) i;
}


void
ember_generate_choose_model (EmberGenerate *self,
                             guint          i)
{
  g_return_if_fail (EMBER_IS_GENERATE (self));

  if (i >= self->sources->len)
    return;
  self->filling = TRUE;
  gtk_drop_down_set_selected (self->model_dropdown, i);
  self->filling = FALSE;
  load_source (self, i);
}

void
ember_generate_add_model_folder (EmberGenerate *self,
                                 const char    *path,
                                 const char    *title,
                                 gboolean       load)
{
  Source *src;
  guint i;

  g_return_if_fail (EMBER_IS_GENERATE (self));
  g_return_if_fail (path != NULL);

  for (i = 0; i < self->sources->len; i++)
    {
      src = g_ptr_array_index (self->sources, i);
      if (src->kind == SOURCE_LLM && g_str_equal (src->path, path))
        break;
    }
  if (i == self->sources->len)
    {
      src = g_new0 (Source, 1);
      src->kind = SOURCE_LLM;
      src->path = g_strdup (path);
      src->title = title ? g_strdup (title) : g_path_get_basename (path);
      g_ptr_array_add (self->sources, src);
      refill_dropdown (self, current_selection (self));
    }
  if (load)
    ember_generate_choose_model (self, i);
}

void
ember_generate_add_trained_gpt (EmberGenerate *self,
                                GObject       *run,
                                const char    *title)
{
  Source *src;

  g_return_if_fail (EMBER_IS_GENERATE (self));
  g_return_if_fail (G_IS_OBJECT (run));

  src = g_new0 (Source, 1);
  src->kind = SOURCE_GPT;
  src->run = g_object_ref (run);
  src->title = g_strdup (title);
  g_ptr_array_add (self->sources, src);
  refill_dropdown (self, current_selection (self));
}

int
ember_generate_get_chosen_model (EmberGenerate *self)
{
  return current_selection (self);
}

guint
ember_generate_get_n_models (EmberGenerate *self)
{
  return self->sources->len;
}

void
ember_generate_set_device (EmberGenerate *self,
                           const char    *device)
{
  g_return_if_fail (EMBER_IS_GENERATE (self));

  g_free (self->device);
  self->device = g_strdup (g_strcmp0 (device, "gpu") == 0 ? "gpu" : "cpu");
  /* The loaded model again, on the new device. */
  if (self->model != NULL && self->load_shared == NULL && self->gen_shared == NULL &&
      g_strcmp0 (self->model->device, self->device) != 0)
    load_source (self, (guint) self->model_source);
}

/* ---- generating ---- */

static char *
prompt_text (EmberGenerate *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static json_object *
message_new (const char *role,
             const char *content)
{
  json_object *m = json_object_new_object ();

  json_object_object_add (m, "role", json_object_new_string (role));
  json_object_object_add (m, "content", json_object_new_string (content));
  return m;
}

static char *
chat_messages (EmberGenerate *self,
               const char    *prompt)
{
  json_object *all = json_object_new_array ();
  const char *system = gtk_editable_get_text (GTK_EDITABLE (self->system_entry));
  char *out;

  if (system != NULL && *system != '\0')
    json_object_array_add (all, message_new ("system", system));
  for (size_t i = 0; i < json_object_array_length (self->history); i++)
    json_object_array_add (all, json_object_get (json_object_array_get_idx (self->history, i)));
  json_object_array_add (all, message_new ("user", prompt));
  out = g_strdup (json_object_to_json_string_ext (all, JSON_C_TO_STRING_PLAIN));
  json_object_put (all);
  return out;
}

static void
on_gen_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  EmberGenerate *self = EMBER_GENERATE (source);
  GenJob *j = g_task_get_task_data (G_TASK (result));

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (self->disposed)
    return;
  drain (self, TRUE);
  g_clear_pointer (&self->gen_shared, shared_unref);
  update_timer (self);

  self->stats = j->stats;
  self->has_stats = TRUE;
  self->stop_reason = j->rc < 0 ? "error" : j->stats.stop_reason;

  if (j->rc < 0)
    {
      g_autofree char *message = g_strdup_printf (_("Generation failed: %s"), j->error ? j->error : "");

      gtk_label_set_label (self->stats_label, message);
      show_error (self, message);
    }
  else
    update_stats_label (self, TRUE);

  if (j->messages != NULL)
    {
      if (j->rc == 0)
        {
          GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->prompt_view);

          /* The turn is kept: the next prompt continues the conversation
           * (the session's cache holds it, so only the new turn is run). */
          json_object_array_add (self->history, message_new ("user", self->turn_prompt));
          json_object_array_add (self->history, message_new ("assistant", self->reply->str));
          gtk_text_buffer_set_text (buffer, "", -1);
        }
      append_output (self, "\n\n", -1, NULL);
    }
  g_clear_pointer (&self->turn_prompt, g_free);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  update_actions (self);
}

gboolean
ember_generate_start (EmberGenerate *self)
{
  g_autofree char *prompt = NULL;
  g_autoptr(GTask) task = NULL;
  GenJob *j;
  gboolean chat;

  g_return_val_if_fail (EMBER_IS_GENERATE (self), FALSE);

  if (self->model == NULL || self->gen_shared != NULL || self->load_shared != NULL)
    return FALSE;

  prompt = prompt_text (self);
  chat = self->model->has_chat && gtk_switch_get_active (self->chat_switch);
  if (*prompt == '\0' && self->model->kind == SOURCE_LLM)
    {
      gtk_label_set_label (self->stats_label, _("Type a prompt first"));
      gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
      return FALSE;
    }

  j = g_new0 (GenJob, 1);
  j->shared = shared_new ();
  j->shared->session = self->model->session;
  j->model = model_ref (self->model);
  j->device = g_strdup (self->model->device);
  j->prompt = g_strdup (prompt);
  if (chat)
    j->messages = chat_messages (self, prompt);
  em_llm_gen_params_defaults (&j->params);
  j->params.sampler.temperature = gtk_spin_button_get_value (self->temp_spin);
  j->params.sampler.top_k = gtk_spin_button_get_value_as_int (self->top_k_spin);
  j->params.sampler.top_p = gtk_spin_button_get_value (self->top_p_spin);
  j->params.sampler.min_p = gtk_spin_button_get_value (self->min_p_spin);
  j->params.sampler.repetition_penalty = gtk_spin_button_get_value (self->rep_spin);
  j->params.sampler.seed = (uint64_t) gtk_spin_button_get_value (self->seed_spin);
  j->params.max_tokens = gtk_spin_button_get_value_as_int (self->max_tokens_spin);

  /* The output: the conversation so far and the new turn, or the prompt
   * and its continuation. */
  if (chat)
    {
      append_output (self, _("You"), -1, "role");
      append_output (self, "\n", -1, NULL);
      append_output (self, prompt, -1, NULL);
      append_output (self, "\n\n", -1, NULL);
      append_output (self, _("Assistant"), -1, "role");
      append_output (self, "\n", -1, NULL);
      self->turn_prompt = g_strdup (prompt);
    }
  else
    {
      gtk_text_buffer_set_text (self->output, "", -1);
      append_output (self, prompt, -1, "prompt");
    }
  g_string_truncate (self->reply, 0);
  g_string_truncate (self->pending, 0);
  memset (&self->stats, 0, sizeof self->stats);
  self->has_stats = FALSE;
  self->stop_reason = NULL;
  gtk_label_set_label (self->stats_label, _("Processing the prompt…"));

  self->gen_shared = shared_ref (j->shared);
  task = g_task_new (self, NULL, on_gen_done, NULL);
  g_task_set_task_data (task, j, gen_job_free);
  g_task_run_in_thread (task, gen_thread);
  update_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  update_actions (self);
  return TRUE;
}

void
ember_generate_stop (EmberGenerate *self)
{
  g_return_if_fail (EMBER_IS_GENERATE (self));

  /* A load stops at the next tensor. */
  shared_cancel (self->load_shared);
  if (self->gen_shared == NULL)
    return;
  shared_cancel (self->gen_shared);
  gtk_label_set_label (self->stats_label, _("Stopping…"));
}

void
ember_generate_clear (EmberGenerate *self)
{
  g_return_if_fail (EMBER_IS_GENERATE (self));

  if (self->gen_shared != NULL)
    return;
  forget_conversation (self);
  gtk_text_buffer_set_text (self->output, "", -1);
  g_string_truncate (self->reply, 0);
  gtk_label_set_label (self->stats_label, "");
  self->has_stats = FALSE;
}

static void
on_chat_toggled (EmberGenerate *self)
{
  /* A conversation is one mode's: switching starts afresh. */
  ember_generate_clear (self);
}

static void
update_actions (EmberGenerate *self)
{
  gboolean running = self->gen_shared != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "generate.run",
                                 self->model != NULL && !running && self->load_shared == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "generate.stop", running || self->load_shared != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "generate.clear", !running);
}

static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  EmberGenerate *self = EMBER_GENERATE (widget);

  if (g_str_equal (action_name, "generate.run"))
    ember_generate_start (self);
  else if (g_str_equal (action_name, "generate.stop"))
    ember_generate_stop (self);
  else if (g_str_equal (action_name, "generate.clear"))
    ember_generate_clear (self);
}

/* ---- accessors ---- */

gboolean ember_generate_is_running (EmberGenerate *self) { return self->gen_shared != NULL; }
gboolean ember_generate_is_loading (EmberGenerate *self) { return self->load_shared != NULL; }
gboolean ember_generate_has_model (EmberGenerate *self) { return self->model != NULL; }
const char *ember_generate_get_model_type (EmberGenerate *self) { return self->model ? self->model->type : NULL; }
GtkTextBuffer *ember_generate_get_output (EmberGenerate *self) { return self->output; }
const char *ember_generate_get_reply (EmberGenerate *self) { return self->reply->str; }
const char *ember_generate_get_stats_text (EmberGenerate *self) { return gtk_label_get_label (self->stats_label); }
gint64 ember_generate_get_n_tokens (EmberGenerate *self) { return self->has_stats ? self->stats.generated_tokens : 0; }
gint64 ember_generate_get_n_reused_tokens (EmberGenerate *self) { return self->has_stats ? self->stats.reused_tokens : 0; }
double ember_generate_get_tokens_per_second (EmberGenerate *self) { return self->has_stats ? self->stats.generate_tps : 0; }
const char *ember_generate_get_stop_reason (EmberGenerate *self) { return self->stop_reason; }
guint ember_generate_get_n_messages (EmberGenerate *self) { return (guint) json_object_array_length (self->history); }
guint ember_generate_get_n_updates (EmberGenerate *self) { return self->n_updates; }
gint64 ember_generate_get_max_update_us (EmberGenerate *self) { return self->max_update_us; }
GtkWidget *ember_generate_get_prompt_view (EmberGenerate *self) { return GTK_WIDGET (self->prompt_view); }

void
ember_generate_set_prompt (EmberGenerate *self,
                           const char    *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->prompt_view), text ? text : "", -1);
}

void
ember_generate_set_chat_mode (EmberGenerate *self,
                              gboolean       chat)
{
  gtk_switch_set_active (self->chat_switch, chat);
}

void
ember_generate_set_system_prompt (EmberGenerate *self,
                                  const char    *text)
{
  gtk_editable_set_text (GTK_EDITABLE (self->system_entry), text ? text : "");
}

void
ember_generate_set_temperature (EmberGenerate *self,
                                double         temperature)
{
  gtk_spin_button_set_value (self->temp_spin, temperature);
}

void
ember_generate_set_max_tokens (EmberGenerate *self,
                               int            max_tokens)
{
  gtk_spin_button_set_value (self->max_tokens_spin, max_tokens);
}

/* ---- GObject ---- */

static void
ember_generate_dispose (GObject *object)
{
  EmberGenerate *self = EMBER_GENERATE (object);

  self->disposed = TRUE;
  shared_cancel (self->load_shared);
  shared_cancel (self->gen_shared);
  g_clear_pointer (&self->load_shared, shared_unref);
  g_clear_pointer (&self->gen_shared, shared_unref);
  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_pointer (&self->model, model_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_GENERATE);

  G_OBJECT_CLASS (ember_generate_parent_class)->dispose (object);
}

static void
ember_generate_finalize (GObject *object)
{
  EmberGenerate *self = EMBER_GENERATE (object);

  g_ptr_array_unref (self->sources);
  g_clear_object (&self->model_names);
  g_free (self->device);
  g_clear_pointer (&self->history, json_object_put);
  g_free (self->turn_prompt);
  g_string_free (self->reply, TRUE);
  g_string_free (self->pending, TRUE);
  if (self->tmp_dir != NULL)
    {
      GDir *dir = g_dir_open (self->tmp_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (self->tmp_dir, name, NULL);

          g_unlink (path);
        }
      if (dir != NULL)
        g_dir_close (dir);
      g_rmdir (self->tmp_dir);
      g_free (self->tmp_dir);
    }

  G_OBJECT_CLASS (ember_generate_parent_class)->finalize (object);
}

static void
ember_generate_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  EmberGenerate *self = EMBER_GENERATE (object);

  switch (prop_id)
    {
    case PROP_RUNNING: g_value_set_boolean (value, ember_generate_is_running (self)); break;
    case PROP_LOADING: g_value_set_boolean (value, ember_generate_is_loading (self)); break;
    case PROP_HAS_MODEL: g_value_set_boolean (value, ember_generate_has_model (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_generate_class_init (EmberGenerateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ember_generate_dispose;
  object_class->finalize = ember_generate_finalize;
  object_class->get_property = ember_generate_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE, (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_HAS_MODEL] =
    g_param_spec_boolean ("has-model", NULL, NULL, FALSE, (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * EmberGenerate::error:
   * @message: what went wrong (an unsupported architecture, a missing
   *   tensor, no GPU …)
   */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-generate.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, paned);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, load_progress);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, model_label);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, chat_switch);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, system_entry);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, temp_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, top_k_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, top_p_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, min_p_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, rep_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, output_view);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, EmberGenerate, stats_label);
  gtk_widget_class_bind_template_callback (widget_class, on_model_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_chat_toggled);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  gtk_widget_class_install_action (widget_class, "generate.run", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "generate.stop", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "generate.clear", NULL, generate_action);
}

static void
ember_generate_init (EmberGenerate *self)
{
  GtkEventController *shortcuts;
  GtkTextIter end;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->sources = g_ptr_array_new_with_free_func (source_free);
  self->model_names = gtk_string_list_new (NULL);
  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (self->model_names));
  self->device = g_strdup ("cpu");
  self->model_source = self->load_source = -1;
  self->history = json_object_new_array ();
  self->reply = g_string_new (NULL);
  self->pending = g_string_new (NULL);

  self->output = gtk_text_view_get_buffer (self->output_view);
  gtk_text_buffer_create_tag (self->output, "role", "weight", PANGO_WEIGHT_BOLD, "scale", 0.85, NULL);
  gtk_text_buffer_create_tag (self->output, "prompt", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_get_end_iter (self->output, &end);
  self->end_mark = gtk_text_buffer_create_mark (self->output, "end", &end, FALSE);

  /* Ctrl+Return generates, also from inside the prompt box (whose own
   * handling of Return would insert a newline): the capture phase. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (shortcuts, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Return, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("generate.run")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_KP_Enter, GDK_CONTROL_MASK),
                                                          gtk_named_action_new ("generate.run")));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  update_actions (self);
}
