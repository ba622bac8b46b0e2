/* afs-param-change.h: one optimizer change of a Parameter: the value
 * before, the value after, and the feedback that drove it. Immutable.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define AFS_TYPE_PARAM_CHANGE (afs_param_change_get_type ())
G_DECLARE_FINAL_TYPE (AfsParamChange, afs_param_change, AFS, PARAM_CHANGE, GObject)

/*
 * Properties (construct-only, read):
 *   "node-id"   uint     the Parameter node
 *   "step"      uint     the runner's step number (1, 2, ...)
 *   "role"      string   the Parameter's role
 *   "before"    string   the value before the step
 *   "after"     string   the value the step wrote
 *   "feedback"  string   the gradients it was given, one per paragraph
 *   "undone"    bool     the step was undone (kept in history, greyed)
 */
AfsParamChange *afs_param_change_new (guint node_id, guint step, const char *role,
                                      const char *before, const char *after,
                                      const char *feedback);
guint        afs_param_change_get_node_id (AfsParamChange *self);
guint        afs_param_change_get_step (AfsParamChange *self);
const char  *afs_param_change_get_role (AfsParamChange *self);
const char  *afs_param_change_get_before (AfsParamChange *self);
const char  *afs_param_change_get_after (AfsParamChange *self);
const char  *afs_param_change_get_feedback (AfsParamChange *self);
gboolean     afs_param_change_get_undone (AfsParamChange *self);
void         afs_param_change_set_undone (AfsParamChange *self, gboolean undone);

G_END_DECLS
