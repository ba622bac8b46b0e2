/* afs-output-panel.h: the full results of the selected node: its run
 * state (and error), every output's text, its tokens and cost.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afs-runner.h"

G_BEGIN_DECLS

#define AFS_TYPE_OUTPUT_PANEL (afs_output_panel_get_type ())
G_DECLARE_FINAL_TYPE (AfsOutputPanel, afs_output_panel, AFS, OUTPUT_PANEL, GtkWidget)

GtkWidget  *afs_output_panel_new (void);
/* Shows node @node_id of @runner's document (0: nothing); follows its
 * changes until another node is set. */
void        afs_output_panel_set_node (AfsOutputPanel *self, AfsRunner *runner, guint node_id);
/* What the panel shows, as plain text (for tests). Transfer full. */
char       *afs_output_panel_dup_text (AfsOutputPanel *self);

G_END_DECLS
