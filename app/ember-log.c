/* ember-log.c
 *
 * The Log panel. Messages are kept in one process-wide list (main thread);
 * GLib's writer and ember_log_event, on any thread, queue them and an idle
 * on the main context moves them into the list and into every EmberLog's
 * text view. The text view is read-only but selectable (copy with Ctrl+C or
 * the Copy button, which copies what the filter shows).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ember-log.h"
#include "ember-status-page.h"

/* Oldest messages are dropped beyond this many. */
#define MAX_ENTRIES 10000

typedef struct {
  gint64         time;     /* g_get_real_time */
  EmberLogLevel  level;
  char          *message;
} Entry;

static void
entry_free (Entry *e)
{
  g_free (e->message);
  g_free (e);
}

/* Main thread only. */
static GPtrArray *entries;
static GList     *views;

/* Any thread. */
static GMutex     queue_lock;
static GQueue     queue = G_QUEUE_INIT;
static guint      queue_idle;

struct _EmberLog
{
  GtkWidget       parent_instance;

  GtkStack       *stack;
  GtkTextView    *text_view;
  GtkSearchEntry *search_entry;
  GtkDropDown    *level_dropdown;
  GtkLabel       *count_label;

  EmberLogLevel   min_level;
  char           *search;   /* casefolded, or NULL */
  guint           n_shown;
};

G_DEFINE_FINAL_TYPE (EmberLog, ember_log, GTK_TYPE_WIDGET)

static const char *
level_name (EmberLogLevel level)
{
  switch (level)
    {
    case EMBER_LOG_WARNING:
      return _("Warning");
    case EMBER_LOG_ERROR:
      return _("Error");
    case EMBER_LOG_INFO:
    default:
      return _("Info");
    }
}

static gboolean
entry_shown (EmberLog    *self,
             const Entry *e)
{
  if (e->level < self->min_level)
    return FALSE;
  if (self->search != NULL)
    {
      g_autofree char *folded = g_utf8_casefold (e->message, -1);

      if (strstr (folded, self->search) == NULL)
        return FALSE;
    }
  return TRUE;
}

static char *
entry_time (const Entry *e)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (e->time / G_USEC_PER_SEC);

  if (dt == NULL)
    return g_strdup ("--:--:--");
  return g_strdup_printf ("%02d:%02d:%02d.%03d", g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt), (int) (e->time % G_USEC_PER_SEC / 1000));
}

static void
update_count (EmberLog *self)
{
  guint total = entries ? entries->len : 0;
  g_autofree char *text = NULL;

  /* Translators: messages the filter shows, of all messages kept. */
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u message", "%u of %u messages", total),
                          self->n_shown, total);
  gtk_label_set_label (self->count_label, text);
  gtk_stack_set_visible_child_name (self->stack, total > 0 ? "log" : "empty");
}

static void
append_entry (EmberLog    *self,
              const Entry *e)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  g_autofree char *time = entry_time (e);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, time, -1, "time", NULL);
  gtk_text_buffer_insert (buffer, &end, "  ", -1);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, level_name (e->level), -1,
                                            e->level == EMBER_LOG_ERROR ? "error"
                                            : e->level == EMBER_LOG_WARNING ? "warning" : "info",
                                            NULL);
  gtk_text_buffer_insert (buffer, &end, "  ", -1);
  gtk_text_buffer_insert (buffer, &end, e->message, -1);
  gtk_text_buffer_insert (buffer, &end, "\n", -1);
  self->n_shown++;
}

static void
rebuild (EmberLog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

  gtk_text_buffer_set_text (buffer, "", 0);
  self->n_shown = 0;
  for (guint i = 0; entries != NULL && i < entries->len; i++)
    if (entry_shown (self, entries->pdata[i]))
      append_entry (self, entries->pdata[i]);
  update_count (self);
}

static gboolean
at_bottom (EmberLog *self)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->text_view));

  return adj == NULL ||
         gtk_adjustment_get_value (adj) >= gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) - 2;
}

static void
scroll_to_end (EmberLog *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextMark *mark = gtk_text_buffer_get_mark (buffer, "end");

  gtk_text_view_scroll_mark_onscreen (self->text_view, mark);
}

/* On the main thread: queued messages into the list and the views. */
static gboolean
deliver (gpointer data)
{
  GQueue batch = G_QUEUE_INIT;
  gboolean dropped = FALSE;
  Entry *e;

  g_mutex_lock (&queue_lock);
  batch = queue;
  g_queue_init (&queue);
  queue_idle = 0;
  g_mutex_unlock (&queue_lock);

  if (entries == NULL)
    entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);

  for (GList *v = views; v != NULL; v = v->next)
    g_object_set_data (v->data, "was-at-bottom", GINT_TO_POINTER (at_bottom (v->data)));

  while ((e = g_queue_pop_head (&batch)) != NULL)
    {
      g_ptr_array_add (entries, e);
      for (GList *v = views; v != NULL; v = v->next)
        if (entry_shown (v->data, e))
          append_entry (v->data, e);
    }
  if (entries->len > MAX_ENTRIES)
    {
      g_ptr_array_remove_range (entries, 0, entries->len - MAX_ENTRIES + MAX_ENTRIES / 10);
      dropped = TRUE;
    }

  for (GList *v = views; v != NULL; v = v->next)
    {
      EmberLog *self = v->data;

      if (dropped)
        rebuild (self);
      else
        update_count (self);
      if (g_object_get_data (G_OBJECT (self), "was-at-bottom"))
        scroll_to_end (self);
    }
  return G_SOURCE_REMOVE;
}

static void
queue_message (EmberLogLevel  level,
               char          *message)
{
  Entry *e = g_new0 (Entry, 1);

  e->time = g_get_real_time ();
  e->level = level;
  e->message = message;

  g_mutex_lock (&queue_lock);
  g_queue_push_tail (&queue, e);
  if (queue_idle == 0)
    queue_idle = g_idle_add_full (G_PRIORITY_DEFAULT, deliver, NULL, NULL);
  g_mutex_unlock (&queue_lock);
}

static char *
field_string (const GLogField *field)
{
  if (field->value == NULL)
    return NULL;
  return field->length < 0 ? g_strdup (field->value) : g_strndup (field->value, field->length);
}

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  g_autofree char *domain = NULL;
  g_autofree char *message = NULL;
  g_autofree char *ember_level = NULL;
  gboolean ours;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = field_string (&fields[i]);
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = field_string (&fields[i]);
      else if (g_strcmp0 (fields[i].key, "EMBER_LEVEL") == 0)
        ember_level = field_string (&fields[i]);
    }

  ours = domain == NULL || g_str_equal (domain, "Ember");
  if (message != NULL && (log_level & G_LOG_LEVEL_DEBUG) == 0 &&
      (ours || (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) != 0))
    {
      EmberLogLevel level;

      if (ember_level != NULL)
        level = g_str_equal (ember_level, "error") ? EMBER_LOG_ERROR
              : g_str_equal (ember_level, "warning") ? EMBER_LOG_WARNING : EMBER_LOG_INFO;
      else if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        level = EMBER_LOG_ERROR;
      else if (log_level & G_LOG_LEVEL_WARNING)
        level = EMBER_LOG_WARNING;
      else
        level = EMBER_LOG_INFO;

      if (!ours)
        {
          char *prefixed = g_strdup_printf ("%s: %s", domain, message);

          g_free (message);
          message = prefixed;
        }
      queue_message (level, g_steal_pointer (&message));
    }

  /* stderr as before (info and debug only with G_MESSAGES_DEBUG). */
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

void
ember_log_install_writer (void)
{
  static gsize installed;

  if (g_once_init_enter (&installed))
    {
      g_log_set_writer_func (log_writer, NULL, NULL);
      g_once_init_leave (&installed, 1);
    }
}

void
ember_log_event (EmberLogLevel  level,
                 const char    *format,
                 ...)
{
  g_autofree char *message = NULL;
  va_list args;
  static const char *const names[] = { "info", "warning", "error" };
  static const char *const priorities[] = { "6", "4", "3" };
  GLogField fields[4];

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  level = CLAMP (level, EMBER_LOG_INFO, EMBER_LOG_ERROR);
  fields[0] = (GLogField) { "GLIB_DOMAIN", "Ember", -1 };
  fields[1] = (GLogField) { "PRIORITY", priorities[level], -1 };
  fields[2] = (GLogField) { "MESSAGE", message, -1 };
  fields[3] = (GLogField) { "EMBER_LEVEL", names[level], -1 };
  /* Info as G_LOG_LEVEL_INFO (quiet on stderr unless asked for); warnings
   * and errors as messages, which are never fatal (G_DEBUG=fatal-warnings
   * must not end the app over a bad file). */
  g_log_structured_array (level == EMBER_LOG_INFO ? G_LOG_LEVEL_INFO : G_LOG_LEVEL_MESSAGE,
                          fields, G_N_ELEMENTS (fields));
}

/* ---- the widget ---- */

static void
on_search_changed (EmberLog       *self,
                   GtkSearchEntry *entry)
{
  ember_log_set_search_text (self, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
on_level_changed (EmberLog    *self,
                  GParamSpec  *pspec,
                  GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  ember_log_set_min_level (self, selected == 2 ? EMBER_LOG_ERROR : selected == 1 ? EMBER_LOG_WARNING : EMBER_LOG_INFO);
}

static void
log_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  EmberLog *self = EMBER_LOG (widget);

  if (g_str_equal (action_name, "log.clear"))
    ember_log_clear (self);
  else if (g_str_equal (action_name, "log.copy"))
    {
      g_autofree char *text = ember_log_get_text (self);

      gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
    }
}

static void
ember_log_dispose (GObject *object)
{
  EmberLog *self = EMBER_LOG (object);

  GtkWidget *child;

  views = g_list_remove (views, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), EMBER_TYPE_LOG);
  /* The template's box (not a bound child). */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (ember_log_parent_class)->dispose (object);
}

static void
ember_log_finalize (GObject *object)
{
  EmberLog *self = EMBER_LOG (object);

  g_free (self->search);

  G_OBJECT_CLASS (ember_log_parent_class)->finalize (object);
}

static void
ember_log_class_init (EmberLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ember_log_dispose;
  object_class->finalize = ember_log_finalize;

  g_type_ensure (EMBER_TYPE_STATUS_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/Workbench/ember-log.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberLog, stack);
  gtk_widget_class_bind_template_child (widget_class, EmberLog, text_view);
  gtk_widget_class_bind_template_child (widget_class, EmberLog, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EmberLog, level_dropdown);
  gtk_widget_class_bind_template_child (widget_class, EmberLog, count_label);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_level_changed);

  gtk_widget_class_install_action (widget_class, "log.clear", NULL, log_action);
  gtk_widget_class_install_action (widget_class, "log.copy", NULL, log_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "emberlog");
}

static void
ember_log_init (EmberLog *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter end;

  gtk_widget_init_template (GTK_WIDGET (self));

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_create_tag (buffer, "time", "foreground", "#77767b", NULL);
  gtk_text_buffer_create_tag (buffer, "info", "foreground", "#1c71d8", NULL);
  gtk_text_buffer_create_tag (buffer, "warning", "foreground", "#c64600", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "error", "foreground", "#e01b24", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_create_mark (buffer, "end", &end, FALSE);

  views = g_list_prepend (views, self);
  rebuild (self);
}

GtkWidget *
ember_log_new (void)
{
  return g_object_new (EMBER_TYPE_LOG, NULL);
}

guint
ember_log_get_n_entries (EmberLog *self)
{
  g_return_val_if_fail (EMBER_IS_LOG (self), 0);

  return entries ? entries->len : 0;
}

guint
ember_log_get_n_shown (EmberLog *self)
{
  g_return_val_if_fail (EMBER_IS_LOG (self), 0);

  return self->n_shown;
}

char *
ember_log_get_text (EmberLog *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (EMBER_IS_LOG (self), NULL);

  buffer = gtk_text_view_get_buffer (self->text_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

void
ember_log_set_min_level (EmberLog      *self,
                         EmberLogLevel  level)
{
  g_return_if_fail (EMBER_IS_LOG (self));

  if (self->min_level == level)
    return;
  self->min_level = level;
  if (gtk_drop_down_get_selected (self->level_dropdown) != (guint) level)
    gtk_drop_down_set_selected (self->level_dropdown, level);
  rebuild (self);
}

void
ember_log_set_search_text (EmberLog   *self,
                           const char *text)
{
  g_return_if_fail (EMBER_IS_LOG (self));

  g_clear_pointer (&self->search, g_free);
  if (text != NULL && *text != '\0')
    self->search = g_utf8_casefold (text, -1);
  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)), text ? text : "") != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text ? text : "");
  rebuild (self);
}

void
ember_log_clear (EmberLog *self)
{
  g_return_if_fail (EMBER_IS_LOG (self));

  if (entries != NULL)
    g_ptr_array_set_size (entries, 0);
  for (GList *v = views; v != NULL; v = v->next)
    rebuild (v->data);
}
