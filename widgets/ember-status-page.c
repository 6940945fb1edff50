/* ember-status-page.c
 *
 * A placeholder for an empty view: a large dimmed icon, a title and a
 * description, centred. It only displays what it is given.
 */
#include "ember-status-page.h"
#include "ember-widgets-private.h"

struct _EmberStatusPage
{
  GtkWidget          parent_instance;

  GtkScrolledWindow *scroller;
  GtkImage          *image;
  GtkLabel          *title_label;
  GtkLabel          *description_label;
};

G_DEFINE_FINAL_TYPE (EmberStatusPage, ember_status_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ICON_NAME,
  PROP_TITLE,
  PROP_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ember_status_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), EMBER_TYPE_STATUS_PAGE);

  G_OBJECT_CLASS (ember_status_page_parent_class)->dispose (object);
}

static void
ember_status_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  EmberStatusPage *self = EMBER_STATUS_PAGE (object);

  switch (prop_id)
    {
    case PROP_ICON_NAME:
      g_value_set_string (value, ember_status_page_get_icon_name (self));
      break;

    case PROP_TITLE:
      g_value_set_string (value, ember_status_page_get_title (self));
      break;

    case PROP_DESCRIPTION:
      g_value_set_string (value, ember_status_page_get_description (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_status_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  EmberStatusPage *self = EMBER_STATUS_PAGE (object);

  switch (prop_id)
    {
    case PROP_ICON_NAME:
      ember_status_page_set_icon_name (self, g_value_get_string (value));
      break;

    case PROP_TITLE:
      ember_status_page_set_title (self, g_value_get_string (value));
      break;

    case PROP_DESCRIPTION:
      ember_status_page_set_description (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ember_status_page_class_init (EmberStatusPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ember_status_page_dispose;
  object_class->get_property = ember_status_page_get_property;
  object_class->set_property = ember_status_page_set_property;

  properties[PROP_ICON_NAME] =
    g_param_spec_string ("icon-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  _ember_widgets_ensure_resources ();

  gtk_widget_class_set_template_from_resource (widget_class, "/org/ember/widgets/ember-status-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EmberStatusPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, EmberStatusPage, image);
  gtk_widget_class_bind_template_child (widget_class, EmberStatusPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, EmberStatusPage, description_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "statuspage");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
ember_status_page_init (EmberStatusPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  _ember_widgets_ensure_style (gtk_widget_get_display (GTK_WIDGET (self)));
}

GtkWidget *
ember_status_page_new (void)
{
  return g_object_new (EMBER_TYPE_STATUS_PAGE, NULL);
}

const char *
ember_status_page_get_icon_name (EmberStatusPage *self)
{
  g_return_val_if_fail (EMBER_IS_STATUS_PAGE (self), NULL);

  return gtk_image_get_icon_name (self->image);
}

void
ember_status_page_set_icon_name (EmberStatusPage *self,
                                 const char      *icon_name)
{
  g_return_if_fail (EMBER_IS_STATUS_PAGE (self));

  if (g_strcmp0 (icon_name, gtk_image_get_icon_name (self->image)) == 0)
    return;

  gtk_image_set_from_icon_name (self->image, icon_name);
  gtk_widget_set_visible (GTK_WIDGET (self->image), icon_name != NULL && *icon_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
}

const char *
ember_status_page_get_title (EmberStatusPage *self)
{
  g_return_val_if_fail (EMBER_IS_STATUS_PAGE (self), NULL);

  return gtk_label_get_label (self->title_label);
}

void
ember_status_page_set_title (EmberStatusPage *self,
                             const char      *title)
{
  g_return_if_fail (EMBER_IS_STATUS_PAGE (self));

  if (g_strcmp0 (title, gtk_label_get_label (self->title_label)) == 0)
    return;

  gtk_label_set_label (self->title_label, title ? title : "");
  gtk_widget_set_visible (GTK_WIDGET (self->title_label), title != NULL && *title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title ? title : "",
                                  -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
ember_status_page_get_description (EmberStatusPage *self)
{
  g_return_val_if_fail (EMBER_IS_STATUS_PAGE (self), NULL);

  return gtk_label_get_label (self->description_label);
}

void
ember_status_page_set_description (EmberStatusPage *self,
                                   const char      *description)
{
  g_return_if_fail (EMBER_IS_STATUS_PAGE (self));

  if (g_strcmp0 (description, gtk_label_get_label (self->description_label)) == 0)
    return;

  gtk_label_set_label (self->description_label, description ? description : "");
  gtk_widget_set_visible (GTK_WIDGET (self->description_label), description != NULL && *description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description ? description : "",
                                  -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESCRIPTION]);
}
