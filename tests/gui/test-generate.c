/* test-generate.c: the Generate panel as a person uses it, under Xvfb.
 *
 * Model folders come from tests/llm's generator (make-llm-model.py, run with
 * --python): a random-weight qwen3 with a byte-level BPE tokenizer and a chat
 * template, one whose config names an unsupported architecture, and a llama
 * that lacks a tensor. The expected greedy continuation of "Hi" comes from
 * the plain-torch reference forward pass (tests/reference/qwen3.py).
 *
 *  1. drop the unsupported folder on the Inspector: listed, not loaded;
 *     win.generate shows the Generate panel and loads it: the banner names
 *     the architecture; the folder without a tensor: the banner names it;
 *  2. drop the qwen3 folder on the Generate panel: it loads (progress);
 *     type a prompt and press Ctrl+Return in it (XTest key events): text
 *     streams in, the generation ends, the text is the reference's, the
 *     statistics line shows tokens/s; screenshot "generate";
 *     the header's device selector on GPU: loaded there, the same text;
 *  3. a generation of a million tokens: Stop ends it within a second;
 *  4. chat mode: two turns kept (four messages), the second reusing the
 *     session's cache; screenshot "generate-chat";
 *  5. choosing a model in the sidebar loads it (a failed load keeps the
 *     loaded one);
 *  6. (--gpt) the fortunes GPT trained for a few steps in the Training panel
 *     is listed in the panel, loads and writes characters.
 *
 * --out=DIR: screenshots; --suffix: their names' suffix (translations);
 * --expect-stats=TEXT: a piece of the statistics line in the locale.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <dlfcn.h>

#include <gdk/x11/gdkx.h>

#include <ember/ember.h>

#include "gui-test-util.h"
#include "ember-application.h"
#include "ember-document.h"
#include "ember-generate.h"
#include "ember-training.h"
#include "ember-window.h"

static char *opt_out;
static char *opt_suffix;
static char *opt_localedir;
static char *opt_python;
static char *opt_script;
static char *opt_expect_stats;
static gboolean opt_gpt;

static EmberWindow *window;
static EmberGenerate *generate;
static char *data_dir;

static char *
shot_path (const char *state)
{
  g_autofree char *name = g_strdup_printf ("%s%s.png", state, opt_suffix ? opt_suffix : "");

  return g_build_filename (opt_out, name, NULL);
}

static void
screenshot (const char *state)
{
  g_autofree char *png = shot_path (state);
  Pixels p;

  CHECK (pixels_from_widget (GTK_WIDGET (window), png, &p), "window did not render");
  CHECK (count_distinct_colours (&p) > 50, "%u colours: blank window?", count_distinct_colours (&p));
  pixels_clear (&p);
}

/* ---- driving the window ---- */

static void
drop_folder (const char *path)
{
  GSList *list = g_slist_append (NULL, g_file_new_for_path (path));
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;

  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
  g_signal_emit_by_name (ember_window_get_drop_target (window), "drop", &value, 100.0, 100.0, &handled);
  CHECK (handled, "the drop target refused %s", path);
  g_value_unset (&value);
  g_slist_free_full (list, g_object_unref);
}

static gboolean
nothing_pending (gpointer data)
{
  return ember_window_get_n_pending (window) == 0;
}

static gboolean
error_shown (gpointer data)
{
  return ember_window_get_error (window) != NULL;
}

static gboolean
not_loading (gpointer data)
{
  return !ember_generate_is_loading (generate);
}

static gboolean
not_running (gpointer data)
{
  return !ember_generate_is_running (generate);
}

static gboolean
has_reply (gpointer data)
{
  return *ember_generate_get_reply (generate) != '\0';
}

static gboolean
has_tokens (gpointer data)
{
  return ember_generate_get_n_tokens (generate) >= GPOINTER_TO_INT (data);
}

static void
hide_banner (void)
{
  gtk_info_bar_set_revealed (GTK_INFO_BAR (find_descendant (GTK_WIDGET (window), GTK_TYPE_INFO_BAR)), FALSE);
}

static char *
output_text (void)
{
  GtkTextBuffer *buffer = ember_generate_get_output (generate);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* "12.3 tokens/s" (or the locale's words, --expect-stats). */
static gboolean
stats_show_rate (const char *stats)
{
  g_autoptr(GRegex) re = g_regex_new ("[0-9]+\\.[0-9]", 0, 0, NULL);

  if (opt_expect_stats != NULL && strstr (stats, opt_expect_stats) == NULL)
    return FALSE;
  return g_regex_match (re, stats, 0, NULL) && (opt_expect_stats != NULL || strstr (stats, "tokens/s") != NULL);
}

/* Ctrl+Return typed into the focused widget through the X server (XTest),
 * as a keyboard would. FALSE when XTest is not there. */
static gboolean
press_ctrl_return (void)
{
  typedef int (*FakeKey) (Display *, unsigned int, Bool, unsigned long);
  static FakeKey fake_key;
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  Display *x;
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
  unsigned int ctrl, ret;

  if (fake_key == NULL)
    {
      void *lib = dlopen ("libXtst.so.6", RTLD_NOW);

      fake_key = lib ? (FakeKey) dlsym (lib, "XTestFakeKeyEvent") : NULL;
    }
  if (fake_key == NULL || !GDK_IS_X11_DISPLAY (display))
    return FALSE;
  x = gdk_x11_display_get_xdisplay (display);
  XSetInputFocus (x, gdk_x11_surface_get_xid (surface), RevertToParent, CurrentTime);
  XSync (x, False);
  spin (200);
  ctrl = XKeysymToKeycode (x, XK_Control_L);
  ret = XKeysymToKeycode (x, XK_Return);
  fake_key (x, ctrl, True, 0);
  fake_key (x, ret, True, 0);
  fake_key (x, ret, False, 0);
  fake_key (x, ctrl, False, 0);
  XFlush (x);
  return TRUE;
}

/* ---- steps ---- */

static void
step_errors (void)
{
  g_autofree char *unsupported = g_build_filename (data_dir, "unsupported", NULL);
  g_autofree char *missing = g_build_filename (data_dir, "missing-tensor", NULL);

  /* On the Inspector, a model folder opens there and is listed. */
  ember_window_set_visible_panel (window, "inspector");
  drop_folder (unsupported);
  CHECK (wait_until (nothing_pending, NULL, 5000), "the folder did not open");
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "inspector") == 0, "the Inspector is not shown");
  CHECK (ember_generate_get_n_models (generate) == 1, "%u models listed", ember_generate_get_n_models (generate));
  CHECK (!ember_generate_is_loading (generate) && !ember_generate_has_model (generate), "loaded from the Inspector");

  /* The header's Generate: the panel shows and loads the model listed. */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.generate", NULL), "no win.generate");
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "generate") == 0, "Generate panel not shown");
  CHECK (wait_until (not_loading, NULL, 20000), "the load did not end");
  CHECK (wait_until (error_shown, NULL, 5000), "no banner for an unsupported architecture");
  g_print ("banner: %s\n", ember_window_get_error (window));
  CHECK (ember_window_get_error (window) && strstr (ember_window_get_error (window), "mamba"),
         "the banner does not name the architecture");
  CHECK (!ember_generate_has_model (generate), "a model is loaded");
  hide_banner ();

  /* On the Generate panel, a dropped folder loads there. */
  drop_folder (missing);
  CHECK (wait_until (nothing_pending, NULL, 5000), "the folder did not open");
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "generate") == 0, "the panel changed");
  CHECK (wait_until (not_loading, NULL, 20000), "the load did not end");
  CHECK (wait_until (error_shown, NULL, 5000), "no banner for a missing tensor");
  g_print ("banner: %s\n", ember_window_get_error (window));
  CHECK (ember_window_get_error (window) && strstr (ember_window_get_error (window), "model.norm.weight"),
         "the banner does not name the tensor");
  spin (200);
  screenshot ("generate-error");
  hide_banner ();
}

static void
step_generate (void)
{
  g_autofree char *qwen3 = g_build_filename (data_dir, "qwen3", NULL);
  g_autofree char *expected_path = g_build_filename (data_dir, "qwen3-hi.txt", NULL);
  g_autofree char *expected = NULL;
  g_autofree char *text = NULL;
  g_autofree char *want = NULL;
  gboolean streamed_before_end;
  gint64 start;
  double seconds;
  guint updates;

  drop_folder (qwen3);
  CHECK (wait_until (nothing_pending, NULL, 5000), "the folder did not open");
  CHECK (ember_generate_is_loading (generate) || ember_generate_has_model (generate), "the drop loads nothing");
  CHECK (wait_until (not_loading, NULL, 30000), "the model did not load");
  CHECK (ember_generate_has_model (generate), "no model: %s", ember_window_get_error (window));
  CHECK (g_strcmp0 (ember_generate_get_model_type (generate), "qwen3") == 0, "model type %s",
         ember_generate_get_model_type (generate));

  /* Greedy, 32 tokens after "Hi", typed and generated with Ctrl+Return. */
  ember_generate_set_chat_mode (generate, FALSE);
  ember_generate_set_temperature (generate, 0);
  ember_generate_set_max_tokens (generate, 32);
  ember_generate_set_prompt (generate, "Hi");
  gtk_widget_grab_focus (ember_generate_get_prompt_view (generate));
  updates = ember_generate_get_n_updates (generate);
  start = g_get_monotonic_time ();
  if (press_ctrl_return ())
    CHECK (wait_until (has_tokens, GINT_TO_POINTER (1), 5000), "Ctrl+Return in the prompt started nothing");
  else
    {
      /* Only where the X server has no XTest. */
      g_print ("no XTest key events: the action instead\n");
      CHECK (gtk_widget_activate_action (GTK_WIDGET (generate), "generate.run", NULL), "no generate.run");
    }
  CHECK (wait_until (has_reply, NULL, 20000), "no text arrived");
  streamed_before_end = ember_generate_is_running (generate);
  CHECK (wait_until (not_running, NULL, 30000), "the generation did not end");
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_print ("generated %" G_GINT64_FORMAT " tokens in %.2f s (%s), %u UI updates%s\n",
           ember_generate_get_n_tokens (generate), seconds, ember_generate_get_stop_reason (generate),
           ember_generate_get_n_updates (generate) - updates, streamed_before_end ? ", text before the end" : "");
  g_print ("stats: %s\n", ember_generate_get_stats_text (generate));
  text = output_text ();
  CHECK (g_str_has_prefix (text, "Hi") && strlen (text) > strlen ("Hi"), "output “%s”", text);
  CHECK (ember_generate_get_tokens_per_second (generate) > 0, "%g tokens/s",
         ember_generate_get_tokens_per_second (generate));
  CHECK (stats_show_rate (ember_generate_get_stats_text (generate)), "statistics “%s”",
         ember_generate_get_stats_text (generate));
  CHECK (ember_generate_get_n_updates (generate) - updates <= 30 * seconds + 3, "%u updates in %.2f s",
         ember_generate_get_n_updates (generate) - updates, seconds);

  /* The same text as the reference's greedy tokens. */
  CHECK (g_file_get_contents (expected_path, &expected, NULL, NULL), "no %s", expected_path);
  if (expected != NULL)
    {
      const char *eos = strstr (expected, "\n<eos>");

      /* Byte for byte: broken UTF-8 from random weights comes out as
       * U+FFFD where Python's errors="replace" puts them. */
      want = g_strndup (expected, eos ? (gsize) (eos - expected) : strlen (expected));
      g_print ("reply:     %s\nreference: %s\n", ember_generate_get_reply (generate), want);
      CHECK (g_str_equal (ember_generate_get_reply (generate), want), "the greedy text differs from the reference's");
      CHECK (g_strcmp0 (ember_generate_get_stop_reason (generate), eos ? "eos" : "length") == 0, "stopped: %s",
             ember_generate_get_stop_reason (generate));
      CHECK (eos != NULL || ember_generate_get_n_tokens (generate) == 32, "%" G_GINT64_FORMAT " tokens",
             ember_generate_get_n_tokens (generate));
    }
  spin (300);
  screenshot ("generate");
}

static GtkDropDown *
device_dropdown (void)
{
  return GTK_DROP_DOWN (find_descendant (gtk_window_get_titlebar (GTK_WINDOW (window)), GTK_TYPE_DROP_DOWN));
}

/* The header's device selector: GPU (lavapipe here) loads the model again
 * there, and greedy decoding gives the reference's text on it too. */
static void
step_gpu (void)
{
  g_autofree char *expected_path = g_build_filename (data_dir, "qwen3-hi.txt", NULL);
  g_autofree char *expected = NULL;
  GtkDropDown *device = device_dropdown ();

  CHECK (device != NULL, "no device selector");
  if (device == NULL)
    return;
  gtk_drop_down_set_selected (device, 1);
  CHECK (ember_generate_is_loading (generate), "choosing the GPU did not load the model again");
  CHECK (wait_until (not_loading, NULL, 30000), "the model did not load on the GPU");
  CHECK (ember_generate_has_model (generate), "no model on the GPU: %s", ember_window_get_error (window));
  ember_generate_set_max_tokens (generate, 32);
  ember_generate_set_prompt (generate, "Hi");
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.generate", NULL), "no win.generate");
  CHECK (wait_until (not_running, NULL, 60000), "the generation on the GPU did not end");
  g_print ("GPU: %s\n", ember_generate_get_stats_text (generate));
  g_file_get_contents (expected_path, &expected, NULL, NULL);
  if (expected != NULL && strstr (expected, "\n<eos>") != NULL)
    *strstr (expected, "\n<eos>") = '\0';
  CHECK (expected != NULL && g_str_equal (expected, ember_generate_get_reply (generate)),
         "GPU text “%s”", ember_generate_get_reply (generate));
  gtk_drop_down_set_selected (device, 0);
  CHECK (wait_until (not_loading, NULL, 30000), "the model did not load on the CPU again");
}

static void
step_stop (void)
{
  gint64 start;
  double seconds;
  guint updates;

  ember_generate_set_max_tokens (generate, 1000000);
  ember_generate_set_prompt (generate, "Once upon a time");
  updates = ember_generate_get_n_updates (generate);
  start = g_get_monotonic_time ();
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.generate", NULL), "no win.generate");
  CHECK (ember_generate_is_running (generate), "win.generate did not start");
  CHECK (wait_until (has_tokens, GINT_TO_POINTER (200), 20000), "no tokens");
  /* Two seconds of streaming: coalesced updates, each cheap for the UI. */
  spin (2000);
  CHECK (ember_generate_is_running (generate), "a million tokens already done");
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_print ("%" G_GINT64_FORMAT " tokens in %.2f s, %u UI updates, the longest %.2f ms of UI-thread CPU\n",
           ember_generate_get_n_tokens (generate), seconds, ember_generate_get_n_updates (generate) - updates,
           ember_generate_get_max_update_us (generate) / 1000.0);
  CHECK (ember_generate_get_n_updates (generate) - updates <= 30 * seconds + 2, "%u updates in %.2f s",
         ember_generate_get_n_updates (generate) - updates, seconds);
  CHECK (ember_generate_get_n_updates (generate) - updates >= 10 * seconds, "only %u updates in %.2f s",
         ember_generate_get_n_updates (generate) - updates, seconds);
  CHECK (ember_generate_get_max_update_us (generate) < 50000, "an update took %.1f ms",
         ember_generate_get_max_update_us (generate) / 1000.0);
  start = g_get_monotonic_time ();
  CHECK (gtk_widget_activate_action (GTK_WIDGET (generate), "generate.stop", NULL), "no generate.stop");
  CHECK (wait_until (not_running, NULL, 5000), "Stop did not stop");
  g_print ("stopped in %.3f s after %" G_GINT64_FORMAT " tokens; stats: %s\n",
           (g_get_monotonic_time () - start) / 1e6, ember_generate_get_n_tokens (generate),
           ember_generate_get_stats_text (generate));
  CHECK ((g_get_monotonic_time () - start) / 1e6 < 1.0, "stopping took %.3f s",
         (g_get_monotonic_time () - start) / 1e6);
  CHECK (g_strcmp0 (ember_generate_get_stop_reason (generate), "cancelled") == 0, "stopped: %s",
         ember_generate_get_stop_reason (generate));
  CHECK (ember_generate_get_n_tokens (generate) < 1000000, "all tokens made");
  /* The header's Stop works as well. */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.generate", NULL), "no win.generate");
  CHECK (wait_until (has_tokens, GINT_TO_POINTER (20), 20000), "no tokens");
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.stop", NULL), "no win.stop");
  CHECK (wait_until (not_running, NULL, 5000), "win.stop did not stop");
  CHECK (g_strcmp0 (ember_generate_get_stop_reason (generate), "cancelled") == 0, "stopped: %s",
         ember_generate_get_stop_reason (generate));
}

static void
step_chat (void)
{
  g_autofree char *text = NULL;
  g_autofree char *stats1 = NULL;
  GtkTextBuffer *prompt = gtk_text_view_get_buffer (GTK_TEXT_VIEW (ember_generate_get_prompt_view (generate)));

  ember_generate_set_chat_mode (generate, TRUE);
  ember_generate_set_system_prompt (generate, "Answer briefly.");
  ember_generate_set_max_tokens (generate, 12);
  ember_generate_set_temperature (generate, 0.8);
  CHECK (ember_generate_get_n_messages (generate) == 0, "%u messages at the start", ember_generate_get_n_messages (generate));

  ember_generate_set_prompt (generate, "What is a tensor?");
  CHECK (gtk_widget_activate_action (GTK_WIDGET (generate), "generate.run", NULL), "no generate.run");
  CHECK (wait_until (not_running, NULL, 30000), "the first turn did not end");
  CHECK (ember_generate_get_n_messages (generate) == 2, "%u messages after a turn", ember_generate_get_n_messages (generate));
  CHECK (gtk_text_buffer_get_char_count (prompt) == 0, "the prompt box was not cleared");
  stats1 = g_strdup (ember_generate_get_stats_text (generate));

  ember_generate_set_prompt (generate, "And a matrix?");
  CHECK (gtk_widget_activate_action (GTK_WIDGET (generate), "generate.run", NULL), "no generate.run");
  CHECK (wait_until (not_running, NULL, 30000), "the second turn did not end");
  CHECK (ember_generate_get_n_messages (generate) == 4, "%u messages after two turns", ember_generate_get_n_messages (generate));
  g_print ("turn 1: %s\nturn 2: %s\n", stats1, ember_generate_get_stats_text (generate));
  /* The session kept the first turn: at least the system message and the
   * first question were not run again. */
  CHECK (ember_generate_get_n_reused_tokens (generate) >= 20, "%" G_GINT64_FORMAT " prompt tokens reused",
         ember_generate_get_n_reused_tokens (generate));
  text = output_text ();
  g_print ("conversation:\n%s\n", text);
  CHECK (strstr (text, "What is a tensor?") != NULL && strstr (text, "And a matrix?") != NULL,
         "the conversation lacks a turn");
  CHECK (strstr (text, "And a matrix?") > strstr (text, "What is a tensor?"), "turns out of order");
  spin (300);
  screenshot ("generate-chat");

  /* A new conversation forgets it. */
  CHECK (gtk_widget_activate_action (GTK_WIDGET (generate), "generate.clear", NULL), "no generate.clear");
  CHECK (ember_generate_get_n_messages (generate) == 0, "messages kept after New Conversation");
  ember_generate_set_chat_mode (generate, FALSE);
}

/* The sidebar's list of open items (not the panel switcher's list). */
static GtkListBox *
find_items_list (GtkWidget *root)
{
  if (GTK_IS_LIST_BOX (root) && gtk_widget_get_ancestor (root, GTK_TYPE_STACK_SIDEBAR) == NULL)
    return GTK_LIST_BOX (root);
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkListBox *found = find_items_list (c);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static guint
item_index (const char *title)
{
  GListModel *items = ember_window_get_items (window);

  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr(EmberDocument) doc = g_list_model_get_item (items, i);

      if (g_str_equal (ember_document_get_title (doc), title))
        return i;
    }
  return G_MAXUINT;
}

/* Choosing a model in the sidebar while the Generate panel shows loads it;
 * a failed load leaves the loaded model (and the list shows it). */
static void
step_sidebar (void)
{
  GtkListBox *list = find_items_list (GTK_WIDGET (window));
  int loaded = ember_generate_get_chosen_model (generate);

  CHECK (list != NULL, "no sidebar list");
  if (list == NULL)
    return;
  ember_window_set_visible_panel (window, "generate");
  gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, (int) item_index ("unsupported")));
  CHECK (ember_generate_is_loading (generate), "choosing a model in the sidebar loads nothing");
  CHECK (wait_until (not_loading, NULL, 20000), "the load did not end");
  CHECK (wait_until (error_shown, NULL, 5000), "no banner");
  CHECK (g_strcmp0 (ember_window_get_visible_panel (window), "generate") == 0, "the panel changed");
  CHECK (ember_generate_has_model (generate) && g_strcmp0 (ember_generate_get_model_type (generate), "qwen3") == 0,
         "the loaded model is gone");
  CHECK (ember_generate_get_chosen_model (generate) == loaded, "the list shows model %d, not %d",
         ember_generate_get_chosen_model (generate), loaded);
  hide_banner ();
  /* Choosing the loaded one: nothing to do. */
  gtk_list_box_select_row (list, gtk_list_box_get_row_at_index (list, (int) item_index ("qwen3")));
  CHECK (!ember_generate_is_loading (generate), "the loaded model loads again");
}

static gboolean
training_done (gpointer data)
{
  return !ember_training_is_running (EMBER_TRAINING (ember_window_get_training (window)));
}

static void
step_gpt (void)
{
  EmberTraining *training = EMBER_TRAINING (ember_window_get_training (window));
  guint before = ember_generate_get_n_models (generate);
  g_autofree char *reply = NULL;

  ember_training_set_task (training, 2);
  ember_training_set_max_steps (training, 3);
  ember_training_set_batch_size (training, 4);
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.train", NULL), "no win.train");
  CHECK (wait_until (training_done, NULL, 120000), "the GPT run did not end");
  CHECK (g_strcmp0 (ember_training_get_outcome (training), "done") == 0, "outcome %s",
         ember_training_get_outcome (training));
  CHECK (ember_generate_get_n_models (generate) == before + 1, "the trained GPT is not listed");

  ember_window_set_visible_panel (window, "generate");
  ember_generate_choose_model (generate, before);
  CHECK (wait_until (not_loading, NULL, 30000), "the trained GPT did not load");
  CHECK (g_strcmp0 (ember_generate_get_model_type (generate), "gpt") == 0, "model %s: %s",
         ember_generate_get_model_type (generate), ember_window_get_error (window));
  ember_generate_set_prompt (generate, "A fortune");
  ember_generate_set_max_tokens (generate, 40);
  ember_generate_set_temperature (generate, 0.8);
  CHECK (gtk_widget_activate_action (GTK_WIDGET (window), "win.generate", NULL), "no win.generate");
  CHECK (wait_until (not_running, NULL, 60000), "the GPT did not finish");
  reply = g_strdup (ember_generate_get_reply (generate));
  g_print ("GPT: “%s”; %s\n", reply, ember_generate_get_stats_text (generate));
  CHECK (ember_generate_get_n_tokens (generate) == 40, "%" G_GINT64_FORMAT " characters",
         ember_generate_get_n_tokens (generate));
  CHECK (g_utf8_strlen (reply, -1) > 0 && g_utf8_strlen (reply, -1) <= 40, "reply of %ld characters",
         g_utf8_strlen (reply, -1));
  CHECK (stats_show_rate (ember_generate_get_stats_text (generate)), "statistics “%s”",
         ember_generate_get_stats_text (generate));
  spin (300);
  screenshot ("generate-gpt");
}

static gboolean
run_steps (gpointer user_data)
{
  GtkApplication *app = user_data;

  window = EMBER_WINDOW (gtk_application_get_active_window (app));
  CHECK (window != NULL, "no window");
  if (window != NULL)
    {
      generate = EMBER_GENERATE (ember_window_get_generate (window));
      step_errors ();
      step_generate ();
      step_gpu ();
      step_stop ();
      step_chat ();
      step_sidebar ();
      if (opt_gpt)
        step_gpt ();
      wait_until (not_running, NULL, 10000);
      gtk_window_close (GTK_WINDOW (window));
    }
  g_application_quit (G_APPLICATION (app));
  return G_SOURCE_REMOVE;
}

static void
on_window_added (GtkApplication *app,
                 GtkWindow      *win)
{
  g_timeout_add (300, run_steps, app);
}

/* The model folders and the reference text, by the Python generator. */
static gboolean
make_models (void)
{
  const char *argv[] = { opt_python, opt_script, data_dir, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      g_printerr ("FAIL: %s: %s\n", opt_script, error->message);
      return FALSE;
    }
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &opt_out, "Where the screenshots go", "DIR" },
    { "suffix", 0, 0, G_OPTION_ARG_STRING, &opt_suffix, "Screenshot name suffix", "TEXT" },
    { "localedir", 0, 0, G_OPTION_ARG_FILENAME, &opt_localedir, "Where the built translations are", "DIR" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &opt_python, "Python with numpy and torch", "PATH" },
    { "script", 0, 0, G_OPTION_ARG_FILENAME, &opt_script, "make-llm-model.py", "PATH" },
    { "expect-stats", 0, 0, G_OPTION_ARG_STRING, &opt_expect_stats, "A piece of the statistics line", "TEXT" },
    { "gpt", 0, 0, G_OPTION_ARG_NONE, &opt_gpt, "Also generate with a fortunes GPT trained here", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- generate with the workbench");
  g_autoptr(GError) error = NULL;
  g_autoptr(EmberApplication) app = NULL;
  g_autoptr(GSettings) settings = NULL;
  int status;

  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (opt_python == NULL || opt_script == NULL)
    {
      g_printerr ("--python and --script are needed\n");
      return 2;
    }
  data_dir = g_dir_make_tmp ("ember-generate-test-XXXXXX", NULL);
  if (opt_out == NULL)
    opt_out = g_strdup (data_dir);
  g_mkdir_with_parents (opt_out, 0755);
  g_print ("generated files in %s\n", data_dir);
  if (!make_models ())
    return 1;

  bindtextdomain (GETTEXT_PACKAGE, opt_localedir ? opt_localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (g_strcmp0 (g_getenv ("GSETTINGS_BACKEND"), "memory") != 0)
    {
      g_printerr ("run with GSETTINGS_BACKEND=memory\n");
      return 2;
    }
  settings = g_settings_new (APP_ID);
  g_settings_set_int (settings, "window-width", 1100);
  g_settings_set_int (settings, "window-height", 720);

  app = ember_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), NULL);

  status = g_application_run (G_APPLICATION (app), 1, argv);
  if (status != 0)
    failures++;
  g_print ("%s\n", failures ? "FAILED" : "PASSED");
  return failures ? 1 : 0;
}
