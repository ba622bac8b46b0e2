/* afs-window-actions.c: the window's commands. Every command is a GAction;
 * buttons and menus only name them, accelerators are set once by the
 * application.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-window-private.h"

static void
open_response_cb (GtkNativeDialog *dialog, int response, AfsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      afs_window_open_file (self, file);
    }
  g_object_unref (dialog);
}

static GtkFileFilter *
new_hf_filter (void)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Afnio sessions (*.hf)"));
  gtk_file_filter_add_pattern (filter, "*.hf");
  gtk_file_filter_add_mime_type (filter, "application/x-afnio-hf");
  return filter;
}

static void
open_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  AfsWindow *self = AFS_WINDOW (user_data);
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Open Session"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  g_autoptr(GtkFileFilter) filter = new_hf_filter ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (open_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_recent_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (param, NULL));

  afs_window_open_file (AFS_WINDOW (user_data), file);
}

static void
save_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_window_run_save (AFS_WINDOW (user_data), FALSE, FALSE);
}

static void
save_as_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_window_run_save (AFS_WINDOW (user_data), TRUE, FALSE);
}

static void
undo_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_document_undo (AFS_WINDOW (user_data)->document);
}

static void
redo_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_document_redo (AFS_WINDOW (user_data)->document);
}

/* Run controls: disabled until the run part of the studio implements them. */
static void
run_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
}

static void
show_inspector_change_cb (GSimpleAction *action, GVariant *state, gpointer user_data)
{
  AfsWindow *self = AFS_WINDOW (user_data);

  gtk_widget_set_visible (GTK_WIDGET (self->inspector_slot), g_variant_get_boolean (state));
  g_simple_action_set_state (action, state);
}

static const GActionEntry win_actions[] = {
  { "open", open_action_cb },
  { "open-recent", open_recent_action_cb, "s" },
  { "save", save_action_cb },
  { "save-as", save_as_action_cb },
  { "undo", undo_action_cb },
  { "redo", redo_action_cb },
  { "run", run_action_cb },
  { "backward", run_action_cb },
  { "step", run_action_cb },
  { "stop", run_action_cb },
  { "show-inspector", NULL, NULL, "true", show_inspector_change_cb },
};

static void
set_enabled (AfsWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  if (G_IS_SIMPLE_ACTION (action))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

void
afs_window_update_actions (AfsWindow *self)
{
  AfsUndoStack *stack;
  gboolean idle = self->busy == 0;

  if (self->document == NULL || g_action_map_lookup_action (G_ACTION_MAP (self), "undo") == NULL)
    return;
  stack = afs_document_get_undo_stack (self->document);
  set_enabled (self, "undo", idle && afs_undo_stack_can_undo (stack));
  set_enabled (self, "redo", idle && afs_undo_stack_can_redo (stack));
  set_enabled (self, "save", idle);
  set_enabled (self, "save-as", idle);
  set_enabled (self, "open", idle);
  set_enabled (self, "open-recent", idle);
}

void
afs_window_actions_init (AfsWindow *self)
{
  const char *run_controls[] = { "run", "backward", "step", "stop" };

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions,
                                   G_N_ELEMENTS (win_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (run_controls); i++)
    set_enabled (self, run_controls[i], FALSE);
}
