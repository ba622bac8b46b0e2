/* afs-gradfn-panel.h: the grad_fn chain of one Variable as an expandable
 * tree of backward nodes and their next_functions.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afn-variable.h"
#include "afs-gradfn-item.h"

G_BEGIN_DECLS

#define AFS_TYPE_GRADFN_PANEL (afs_gradfn_panel_get_type ())
G_DECLARE_FINAL_TYPE (AfsGradfnPanel, afs_gradfn_panel, AFS, GRADFN_PANEL, GtkWidget)

/*
 * Signals:
 *   "node-selected" (AfnNode *node or NULL): the selected entry changed;
 *                   the window highlights the node and its wires.
 */
GtkWidget           *afs_gradfn_panel_new (void);
void                 afs_gradfn_panel_set_variable (AfsGradfnPanel *self, AfnVariable *variable);
AfnVariable         *afs_gradfn_panel_get_variable (AfsGradfnPanel *self);   /* transfer none */
/* The flattened tree (GtkTreeListRow items); for tests. Transfer none. */
GtkTreeListModel    *afs_gradfn_panel_get_model (AfsGradfnPanel *self);
GtkSingleSelection  *afs_gradfn_panel_get_selection (AfsGradfnPanel *self);
/* Expands every row (up to the depth limit). */
void                 afs_gradfn_panel_expand_all (AfsGradfnPanel *self);
const char          *afs_gradfn_panel_get_status (AfsGradfnPanel *self);

G_END_DECLS
