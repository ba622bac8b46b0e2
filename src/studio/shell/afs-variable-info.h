/* afs-variable-info.h: what a .hf file said about a variable node that its
 * settings cannot show: its name in the file, its gradients and its
 * grad_fn chain (read-only).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define AFS_TYPE_VARIABLE_INFO (afs_variable_info_get_type ())
G_DECLARE_FINAL_TYPE (AfsVariableInfo, afs_variable_info, AFS, VARIABLE_INFO, AdwBin)

GtkWidget *afs_variable_info_new (void);
/* Shows @info (an entry of the document's "afnio" extra, see afs-session.h;
 * not consumed) or hides the panel when @info is NULL. */
void       afs_variable_info_set_info (AfsVariableInfo *self, JsonObject *info);
/* How many gradients and grad_fn entries are listed (for tests). */
guint      afs_variable_info_get_n_grads (AfsVariableInfo *self);
guint      afs_variable_info_get_n_grad_fn_nodes (AfsVariableInfo *self);

G_END_DECLS
