/* afs-command.h: one undoable edit of an AfsDocument.
 *
 * Commands are built by AfsDocument's edit functions and pushed on its undo
 * stack; they hold everything needed to apply and revert themselves. A
 * group command makes several edits one undo step (a paste, a multi-node
 * move, removing nodes with their links).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <json-glib/json-glib.h>
#include "afs-model-types.h"

G_BEGIN_DECLS

void        afs_command_free (AfsCommand *self);
void        afs_command_apply (AfsCommand *self, AfsDocument *document);
void        afs_command_revert (AfsCommand *self, AfsDocument *document);
/* Translated description, "Move 3 Nodes" (transfer none). */
const char *afs_command_get_label (AfsCommand *self);

/* Constructors (transfer full). @node / @link: a reference is taken. */
AfsCommand *afs_command_new_add_node (AfsGraphNode *node);
AfsCommand *afs_command_new_remove_node (AfsGraphNode *node);
AfsCommand *afs_command_new_add_link (AfsLink *link);
AfsCommand *afs_command_new_remove_link (AfsLink *link);
/* Positions: @n entries each; arrays are copied. */
AfsCommand *afs_command_new_move (const guint *ids, const double *old_xy,
                                  const double *new_xy, guint n);
/* @old_value / @new_value: nullable (absent key), copied. */
AfsCommand *afs_command_new_set_setting (guint node_id, const char *key,
                                         JsonNode *old_value, JsonNode *new_value);
/* An empty group; children are applied in order and reverted backwards. */
AfsCommand *afs_command_new_group (const char *label);
/* Takes ownership of @child. */
void        afs_command_group_add (AfsCommand *group, AfsCommand *child);
guint       afs_command_group_size (AfsCommand *group);
void        afs_command_set_label (AfsCommand *self, const char *label);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfsCommand, afs_command_free)

G_END_DECLS
