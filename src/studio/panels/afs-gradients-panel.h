/* afs-gradients-panel.h: every textual gradient of one Variable, in order,
 * with its role and the op it came from.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afn-variable.h"

G_BEGIN_DECLS

#define AFS_TYPE_GRADIENTS_PANEL (afs_gradients_panel_get_type ())
G_DECLARE_FINAL_TYPE (AfsGradientsPanel, afs_gradients_panel, AFS, GRADIENTS_PANEL, GtkWidget)

/* Names the op that produced @grad, item @position of the list (transfer
 * full, nullable). */
typedef char *(*AfsGradOriginFunc) (AfnVariable *grad, guint position, gpointer user_data);

/*
 * Properties:
 *   "variable"  AfnVariable, nullable: the Variable shown
 *   "model"     GListModel of AfnVariable, read-only: its gradients (empty
 *               when none or when it keeps no gradients)
 */
GtkWidget   *afs_gradients_panel_new (void);
/* @title names the Variable in the header (its role when NULL). */
void         afs_gradients_panel_set_variable (AfsGradientsPanel *self, AfnVariable *variable,
                                               const char *title);
AfnVariable *afs_gradients_panel_get_variable (AfsGradientsPanel *self); /* transfer none */
GListModel  *afs_gradients_panel_get_model (AfsGradientsPanel *self);    /* transfer none */
void         afs_gradients_panel_set_origin_func (AfsGradientsPanel *self, AfsGradOriginFunc func,
                                                  gpointer user_data, GDestroyNotify destroy);
/* The op name shown for row @position (transfer full, nullable). */
char        *afs_gradients_panel_dup_origin (AfsGradientsPanel *self, guint position);
/* The header's status line ("3 gradients", "No gradients yet", ...). */
const char  *afs_gradients_panel_get_status (AfsGradientsPanel *self);

G_END_DECLS
