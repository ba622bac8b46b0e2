/* afs-window-run.c: embeds the run controller (studio-panels) in the window.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-window-run.h"

#include "afs-run-controller.h"

void
afs_window_run_init (AfsWindow *self)
{
  AfsRunController *controller;
  GtkWidget *inspector = self->inspector;

  controller = afs_run_controller_new (GTK_WINDOW (self), AFS_CANVAS (self->canvas),
                                       self->document, self->settings);
  self->run_controller = G_OBJECT (controller);
  gtk_box_append (self->canvas_slot, afs_run_controller_get_status_bar (controller));
  if (self->run_controls)
    gtk_box_append (self->run_controls, afs_run_controller_get_mode_selector (controller));

  /* The inspector becomes the first page of the run panels. */
  if (inspector)
    {
      g_object_ref (inspector);
      gtk_box_remove (self->inspector_slot, inspector);
      afs_run_controller_set_inspector (controller, inspector);
      g_object_unref (inspector);
    }
  gtk_box_append (self->inspector_slot, afs_run_controller_get_side_panel (controller));
}

/* TRUE when the runner holds something a session keeps: results,
 * recordings or optimizer history. Untouched documents save unchanged. */
static gboolean
runner_has_results (AfsRunner *runner)
{
  GPtrArray *nodes = afs_document_get_nodes (afs_runner_get_document (runner));
  guint n_steps = 0;

  g_object_get (runner, "n-steps", &n_steps, NULL);
  if (n_steps > 0 || afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)) > 0)
    return TRUE;
  for (guint i = 0; i < nodes->len; i++)
    {
      AfsNodeRun *run = afs_runner_get_node_run (runner, afs_graph_node_get_id (nodes->pdata[i]));

      if (run && afs_node_run_get_state (run) != AFS_NODE_STATE_IDLE)
        return TRUE;
    }
  return FALSE;
}

void
afs_window_run_store (AfsWindow *self)
{
  AfsRunner *runner;

  if (!self->run_controller)
    return;
  runner = afs_run_controller_get_runner (AFS_RUN_CONTROLLER (self->run_controller));
  if (runner_has_results (runner))
    afs_runner_store_in_document (runner);
}


void
afs_window_run_dispose (AfsWindow *self)
{
  g_clear_object (&self->run_controller);
}

GObject *
afs_window_get_run_controller (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), NULL);
  return self->run_controller;
}
