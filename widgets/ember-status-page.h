/* ember-status-page.h: an icon, a title and a line of explanation for a panel
 * that has nothing to show yet. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define EMBER_TYPE_STATUS_PAGE (ember_status_page_get_type())
G_DECLARE_FINAL_TYPE(EmberStatusPage, ember_status_page, EMBER, STATUS_PAGE, GtkWidget)

GtkWidget  *ember_status_page_new             (void);
const char *ember_status_page_get_icon_name   (EmberStatusPage *self);
void        ember_status_page_set_icon_name   (EmberStatusPage *self,
                                               const char      *icon_name);
const char *ember_status_page_get_title       (EmberStatusPage *self);
void        ember_status_page_set_title       (EmberStatusPage *self,
                                               const char      *title);
const char *ember_status_page_get_description (EmberStatusPage *self);
void        ember_status_page_set_description (EmberStatusPage *self,
                                               const char      *description);

G_END_DECLS
