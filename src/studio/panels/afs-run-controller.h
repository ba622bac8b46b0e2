/* afs-run-controller.h: runs a window's document from the UI: the run,
 * backward, step and stop actions, node states on the canvas, the run
 * panels (output, gradients, grad_fn, optimizer), the run-mode selector and
 * the token/cost status bar.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>
#include "afs-canvas.h"
#include "afs-runner.h"
#include "afs-gradients-panel.h"
#include "afs-gradfn-panel.h"
#include "afs-optimizer-panel.h"
#include "afs-output-panel.h"

G_BEGIN_DECLS

#define AFS_TYPE_RUN_CONTROLLER (afs_run_controller_get_type ())
G_DECLARE_FINAL_TYPE (AfsRunController, afs_run_controller, AFS, RUN_CONTROLLER, GObject)

/*
 * Window actions it adds (replacing placeholders of the same name):
 *   win.run  win.run-to (u)  win.run-from (u)  win.backward (opens the
 *   feedback dialog)  win.backward-with-feedback (s: no dialog)
 *   win.backward-from (u)  win.step  win.undo-step  win.stop
 *   win.clear-cache  win.run-mode (s, stateful: live|replay|record)
 * Signals:
 *   "finished" (const char *operation, gboolean ok, const char *message):
 *              a run/backward/step ended (message NULL on success)
 * Properties: "busy" (bool, read-only).
 */
AfsRunController *afs_run_controller_new (GtkWindow *window, AfsCanvas *canvas,
                                          AfsDocument *document, GSettings *settings);
AfsRunner        *afs_run_controller_get_runner (AfsRunController *self);
gboolean          afs_run_controller_get_busy (AfsRunController *self);

/* Widgets for the window to place. Transfer none. */
GtkWidget        *afs_run_controller_get_side_panel (AfsRunController *self);
GtkWidget        *afs_run_controller_get_status_bar (AfsRunController *self);
GtkWidget        *afs_run_controller_get_mode_selector (AfsRunController *self);
/* Puts @inspector as the side panel's first page. */
void              afs_run_controller_set_inspector (AfsRunController *self, GtkWidget *inspector);
/* "inspector", "output", "gradients", "gradfn", "optimizer". */
void              afs_run_controller_show_page (AfsRunController *self, const char *name);

AfsOutputPanel    *afs_run_controller_get_output_panel (AfsRunController *self);
AfsGradientsPanel *afs_run_controller_get_gradients_panel (AfsRunController *self);
AfsGradfnPanel    *afs_run_controller_get_gradfn_panel (AfsRunController *self);
AfsOptimizerPanel *afs_run_controller_get_optimizer_panel (AfsRunController *self);
/* The token/cost line of the status bar. */
const char        *afs_run_controller_get_usage_text (AfsRunController *self);

/* The operations behind the actions. They report through "finished". */
void     afs_run_controller_run (AfsRunController *self, AfsRunScope scope, guint node_id);
/* @node_id 0: the selected node, else the evaluator (or last node) with a
 * result. @feedback nullable. */
void     afs_run_controller_backward (AfsRunController *self, guint node_id, const char *feedback);
void     afs_run_controller_step (AfsRunController *self);
void     afs_run_controller_stop (AfsRunController *self);
/* Where a backward with @node_id 0 would start (0 when nowhere); @port
 * receives the output port (interned). */
guint    afs_run_controller_find_backward_source (AfsRunController *self, const char **port);
/* The canvas tooltip of node @node_id: its error, or that its result was
 * reused, its state and usage (transfer full; NULL when it never ran). */
char    *afs_run_controller_dup_node_tooltip (AfsRunController *self, guint node_id);
/* Shows node @node_id's results in the panels (what selecting it does). */
void     afs_run_controller_focus_node (AfsRunController *self, guint node_id);

G_END_DECLS
