/* afs-application-scripting.c: app.* actions forwarding to win.* actions.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-application-scripting.h"
#include "afs-window.h"

static AfsWindow *
active_window (AfsApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* The active window may be a dialog: use its main window then. */
  while (window && !AFS_IS_WINDOW (window))
    window = gtk_window_get_transient_for (window);
  if (!window)
    {
      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
        if (AFS_IS_WINDOW (l->data))
          return l->data;
    }
  return window ? AFS_WINDOW (window) : NULL;
}

static void
forward (AfsApplication *self, const char *name, GVariant *param)
{
  AfsWindow *window = active_window (self);

  if (!window)
    {
      g_message ("No window to %s", name);
      return;
    }
  g_action_group_activate_action (G_ACTION_GROUP (window), name, param);
}

static void
open_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  AfsApplication *self = user_data;
  AfsWindow *window = active_window (self);
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (param, NULL));

  if (!window)
    {
      window = afs_window_new (self);
      gtk_window_present (GTK_WINDOW (window));
    }
  afs_window_open_file (window, file);
}

static void
run_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  forward (user_data, "run", NULL);
}

static void
backward_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  forward (user_data, "backward-with-feedback", g_variant_new_string (""));
}

static void
backward_with_feedback_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  forward (user_data, "backward-with-feedback", param);
}

static void
step_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  forward (user_data, "step", NULL);
}

static void
save_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  forward (user_data, "save", NULL);
}

static const GActionEntry scripting_actions[] = {
  { "open", open_action_cb, "s" },
  { "run", run_action_cb },
  { "backward", backward_action_cb },
  { "backward-with-feedback", backward_with_feedback_action_cb, "s" },
  { "step", step_action_cb },
  { "save", save_action_cb },
};

void
afs_application_add_scripting_actions (AfsApplication *self)
{
  g_return_if_fail (AFS_IS_APPLICATION (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), scripting_actions,
                                   G_N_ELEMENTS (scripting_actions), self);
}
