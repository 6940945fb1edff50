/* ember-log.h: the Log panel: timestamped messages of the workbench (files
 * opened, runs started and ended, errors shown in banners) and of GLib
 * logging in the app's domain, with a level filter, a search box, Clear and
 * Copy. Messages are kept process-wide (from the start, before any panel
 * exists) and every EmberLog shows them. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  EMBER_LOG_INFO,
  EMBER_LOG_WARNING,
  EMBER_LOG_ERROR,
} EmberLogLevel;

/* Routes GLib logging through the Log panel as well as stderr (the default
 * writer): messages of the app (no domain, or "Ember") of every level but
 * debug, and warnings and worse of any domain. Once per process; later calls
 * do nothing. */
void         ember_log_install_writer   (void);

/* An event of the workbench: to stderr through GLib (info only with
 * G_MESSAGES_DEBUG) and to the Log panel. Any thread. */
void         ember_log_event            (EmberLogLevel  level,
                                         const char    *format,
                                         ...) G_GNUC_PRINTF (2, 3);

#define EMBER_TYPE_LOG (ember_log_get_type())
G_DECLARE_FINAL_TYPE(EmberLog, ember_log, EMBER, LOG, GtkWidget)

GtkWidget   *ember_log_new              (void);
/* Messages kept (all levels), and those the filter shows. */
guint        ember_log_get_n_entries    (EmberLog      *self);
guint        ember_log_get_n_shown      (EmberLog      *self);
/* The shown lines as text ("12:00:01.250  Error  message\n" …). */
char        *ember_log_get_text         (EmberLog      *self);
/* Shows only messages of @level and worse. */
void         ember_log_set_min_level    (EmberLog      *self,
                                         EmberLogLevel  level);
/* Shows only messages containing @text (case-insensitive); NULL: all. */
void         ember_log_set_search_text  (EmberLog      *self,
                                         const char    *text);
/* Forgets every message (in every panel). */
void         ember_log_clear            (EmberLog      *self);

G_END_DECLS
