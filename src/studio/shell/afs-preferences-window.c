/* afs-preferences-window.c: appearance, canvas and draft settings, and a
 * page for language models that the run part of the studio fills.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-preferences-window.h"
#include "afs-model-preferences.h"

struct _AfsPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings          *settings;

  AdwComboRow        *color_scheme_row;
  GtkSwitch          *minimap_switch;
  GtkSpinButton      *autosave_spin;
  AdwPreferencesPage *models_page;
};

G_DEFINE_FINAL_TYPE (AfsPreferencesWindow, afs_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row's positions follow the enum's values (default, light, dark). */
static const char *const scheme_nicks[] = { "default", "light", "dark" };

static gboolean
scheme_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (scheme_nicks); i++)
    if (g_str_equal (nick, scheme_nicks[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
scheme_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint (value);

  if (i >= G_N_ELEMENTS (scheme_nicks))
    return NULL;
  return g_variant_new_string (scheme_nicks[i]);
}

static void
bind_settings (AfsPreferencesWindow *self)
{
  g_settings_bind_with_mapping (self->settings, "color-scheme",
                                self->color_scheme_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                scheme_get_mapping, scheme_set_mapping, NULL, NULL);
  g_settings_bind (self->settings, "show-minimap", self->minimap_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "autosave-interval", self->autosave_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
}

AfsPreferencesWindow *
afs_preferences_window_new (GSettings *settings)
{
  AfsPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (AFS_TYPE_PREFERENCES_WINDOW, NULL);
  self->settings = g_object_ref (settings);
  bind_settings (self);
  afs_model_preferences_add_to_page (self->models_page, settings);
  return self;
}

AdwPreferencesPage *
afs_preferences_window_get_models_page (AfsPreferencesWindow *self)
{
  g_return_val_if_fail (AFS_IS_PREFERENCES_WINDOW (self), NULL);
  return self->models_page;
}

static void
afs_preferences_window_dispose (GObject *object)
{
  AfsPreferencesWindow *self = AFS_PREFERENCES_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), AFS_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (afs_preferences_window_parent_class)->dispose (object);
}

static void
afs_preferences_window_class_init (AfsPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = afs_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/afnio/Studio/afs-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AfsPreferencesWindow, color_scheme_row);
  gtk_widget_class_bind_template_child (widget_class, AfsPreferencesWindow, minimap_switch);
  gtk_widget_class_bind_template_child (widget_class, AfsPreferencesWindow, autosave_spin);
  gtk_widget_class_bind_template_child (widget_class, AfsPreferencesWindow, models_page);
}

static void
afs_preferences_window_init (AfsPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
