/* afs-optimizer-panel.h: Textual Gradient Descent: settings, the Step and
 * Undo commands, what the last step changed (word diffs) and the history
 * of the selected Parameter with the feedback behind each change.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afs-runner.h"

G_BEGIN_DECLS

#define AFS_TYPE_OPTIMIZER_PANEL (afs_optimizer_panel_get_type ())
G_DECLARE_FINAL_TYPE (AfsOptimizerPanel, afs_optimizer_panel, AFS, OPTIMIZER_PANEL, GtkWidget)

/* @settings: the application's (the optimizer model is bound to it). */
GtkWidget  *afs_optimizer_panel_new (GSettings *settings);
void        afs_optimizer_panel_set_runner (AfsOptimizerPanel *self, AfsRunner *runner);
/* Shows the history of Parameter node @node_id (0: none). */
void        afs_optimizer_panel_set_node (AfsOptimizerPanel *self, guint node_id);
/* The models shown (AfsParamChange items; transfer none, never NULL). */
GListModel *afs_optimizer_panel_get_changes (AfsOptimizerPanel *self);
GListModel *afs_optimizer_panel_get_history (AfsOptimizerPanel *self);
/* The constraints as typed, one per line (transfer full). */
GStrv       afs_optimizer_panel_dup_constraints (AfsOptimizerPanel *self);

/* A row for one change: role/step heading, word diff, feedback. */
GtkWidget  *afs_param_change_row_new (AfsParamChange *change, gboolean show_step);
/* The diff of @change as Pango markup / as plain text with [-x-]{+y+}. */
char       *afs_param_change_dup_diff_markup (AfsParamChange *change);
char       *afs_param_change_dup_diff_plain (AfsParamChange *change);

G_END_DECLS
