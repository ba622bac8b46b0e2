/* afs-application.c: application actions, command line, first run and
 * crash recovery.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-application.h"
#include "afs-application-scripting.h"
#include "afs-drafts.h"
#include "afs-preferences-window.h"
#include "afs-window.h"

struct _AfsApplication
{
  AdwApplication parent_instance;

  GSettings *settings;
  gboolean   open_demo;        /* --demo was given */
  gboolean   drafts_checked;   /* crash recovery runs once per process */
};

G_DEFINE_FINAL_TYPE (AfsApplication, afs_application, ADW_TYPE_APPLICATION)

/* Titles of the bundled demos (their "title" member), listed here so that
 * they reach the translation template. */
static const char *const demo_titles[] G_GNUC_UNUSED = {
  N_("Text pipeline demo"),
};

static const GOptionEntry option_entries[] = {
  { "demo", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Open the demo session"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

AfsApplication *
afs_application_new (void)
{
  return g_object_new (AFS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/afnio/Studio",
                       NULL);
}

GSettings *
afs_application_get_settings (AfsApplication *self)
{
  g_return_val_if_fail (AFS_IS_APPLICATION (self), NULL);
  return self->settings;
}

GFile *
afs_application_dup_demo_file (AfsApplication *self)
{
  const char *dir = g_getenv ("AFS_DEMO_DIR");
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  /* A binary inside the build tree uses the demos built beside it (from
   * data/demos/), so that `_build/plain/src/studio/afnio-studio --demo`
   * works uninstalled. */
  if (dir == NULL && exe != NULL && g_str_has_prefix (exe, AFN_BUILD_ROOT "/"))
    dir = AFS_UNINSTALLED_DEMO_DIR;
  if (dir == NULL)
    dir = AFS_PKGDATADIR "/demos";
  return g_file_new_build_filename (dir, AFS_DEMO_FILE, NULL);
}

static AfsWindow *
new_window (AfsApplication *self)
{
  AfsWindow *window = afs_window_new (self);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

GtkWindow *
afs_application_open_demo (AfsApplication *self)
{
  g_autoptr(GFile) demo = afs_application_dup_demo_file (self);
  AfsWindow *window = NULL;
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* Reuse a window that holds nothing yet. */
  if (AFS_IS_WINDOW (active) && afs_window_is_pristine (AFS_WINDOW (active)))
    window = AFS_WINDOW (active);
  else
    window = new_window (self);
  afs_window_open_as_template (window, demo);
  gtk_window_present (GTK_WINDOW (window));
  return GTK_WINDOW (window);
}

static void
maybe_recover_drafts (AfsApplication *self, AfsWindow *window)
{
  if (self->drafts_checked)
    return;
  self->drafts_checked = TRUE;
  afs_window_offer_draft_recovery (window);
}

static void
afs_application_activate (GApplication *app)
{
  AfsApplication *self = AFS_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  gboolean first_run = g_settings_get_boolean (self->settings, "first-run");

  if (self->open_demo || (window == NULL && first_run))
    {
      self->open_demo = FALSE;
      g_settings_set_boolean (self->settings, "first-run", FALSE);
      window = afs_application_open_demo (self);
    }
  else if (window == NULL)
    window = GTK_WINDOW (new_window (self));

  gtk_window_present (window);
  maybe_recover_drafts (self, AFS_WINDOW (window));
}

static void
afs_application_open (GApplication  *app,
                      GFile        **files,
                      int            n_files,
                      const char    *hint)
{
  AfsApplication *self = AFS_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
      AfsWindow *window;

      if (AFS_IS_WINDOW (active) && afs_window_is_pristine (AFS_WINDOW (active)))
        window = AFS_WINDOW (active);
      else
        window = new_window (self);
      afs_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
  if (self->open_demo)
    afs_application_activate (app);
}

static int
afs_application_handle_local_options (GApplication *app,
                                      GVariantDict *options)
{
  AfsApplication *self = AFS_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("afnio-studio %s\n", PACKAGE_VERSION);
      return 0;
    }
  self->open_demo = g_variant_dict_contains (options, "demo");
  return -1;
}

/* ---- actions ---- */

static void
new_window_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  new_window (AFS_APPLICATION (user_data));
}

static void
demo_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_application_open_demo (AFS_APPLICATION (user_data));
}

static void
preferences_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  AfsApplication *self = AFS_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  AfsPreferencesWindow *prefs = afs_preferences_window_new (self->settings);

  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { _("The Afnio Studio developers"), NULL };

  adw_show_about_window (parent,
                         "application-name", _("Afnio Studio"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Afnio Studio developers"),
                         "developers", developers,
                         "comments", _("Build, run and inspect textual autodiff graphs"),
                         "website", "https://github.com/afnio/afnio-studio",
                         "issue-url", "https://github.com/afnio/afnio-studio/issues",
                         "license-type", GTK_LICENSE_MIT_X11,
                         /* Translators: put your name here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autoptr(GList) windows =
    g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  /* Closing each window goes through its unsaved-changes prompt; the
   * application exits when the last one is gone. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
}

static const GActionEntry app_actions[] = {
  { "new-window", new_window_action_cb },
  { "demo", demo_action_cb },
  { "preferences", preferences_action_cb },
  { "about", about_action_cb },
  { "quit", quit_action_cb },
};

static const struct {
  const char *action;
  const char *accels[3];
} accels[] = {
  { "app.new-window", { "<Control>n", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "app.quit", { "<Control>q", NULL } },
  { "window.close", { "<Control>w", NULL } },
  { "win.open", { "<Control>o", NULL } },
  { "win.save", { "<Control>s", NULL } },
  { "win.save-as", { "<Control><Shift>s", NULL } },
  { "win.undo", { "<Control>z", NULL } },
  { "win.redo", { "<Control><Shift>z", "<Control>y", NULL } },
  { "win.run", { "F5", NULL } },
  { "win.backward", { "F6", NULL } },
  { "win.step", { "F7", NULL } },
  { "win.stop", { "<Shift>F5", NULL } },
  { "win.show-inspector", { "F9", NULL } },
};

static void
apply_color_scheme (AfsApplication *self)
{
  static const AdwColorScheme schemes[] = {
    ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK,
  };
  guint i = (guint) g_settings_get_enum (self->settings, "color-scheme");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      schemes[MIN (i, G_N_ELEMENTS (schemes) - 1)]);
}

static void
color_scheme_changed_cb (GSettings *settings, const char *key, gpointer user_data)
{
  apply_color_scheme (AFS_APPLICATION (user_data));
}

static void
afs_application_startup (GApplication *app)
{
  AfsApplication *self = AFS_APPLICATION (app);

  G_APPLICATION_CLASS (afs_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  afs_application_add_scripting_actions (self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  self->settings = g_settings_new (APP_ID);
  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (color_scheme_changed_cb), self, 0);
  apply_color_scheme (self);
}

static void
afs_application_dispose (GObject *object)
{
  AfsApplication *self = AFS_APPLICATION (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (afs_application_parent_class)->dispose (object);
}

static void
afs_application_class_init (AfsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = afs_application_dispose;
  app_class->startup = afs_application_startup;
  app_class->activate = afs_application_activate;
  app_class->open = afs_application_open;
  app_class->handle_local_options = afs_application_handle_local_options;
}

static void
afs_application_init (AfsApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[FILE.hf…]"));
}
