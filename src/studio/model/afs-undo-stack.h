/* afs-undo-stack.h: undo/redo history of AfsCommands.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-model-types.h"

G_BEGIN_DECLS

#define AFS_TYPE_UNDO_STACK (afs_undo_stack_get_type ())
G_DECLARE_FINAL_TYPE (AfsUndoStack, afs_undo_stack, AFS, UNDO_STACK, GObject)

/*
 * Properties: "can-undo", "can-redo" (bool), "undo-label", "redo-label"
 * (translated description of the next step, nullable), "modified" (the
 * position differs from the one marked clean).
 */
AfsUndoStack *afs_undo_stack_new (void);

/* Applies @command to @document and pushes it, dropping the redo tail.
 * Takes ownership of @command. */
void        afs_undo_stack_push (AfsUndoStack *self, AfsDocument *document, AfsCommand *command);
/* While a group is open, pushed commands are applied and collected into
 * one step that afs_undo_stack_end_group() records. */
void        afs_undo_stack_begin_group (AfsUndoStack *self, const char *label);
void        afs_undo_stack_end_group (AfsUndoStack *self);
gboolean    afs_undo_stack_undo (AfsUndoStack *self, AfsDocument *document);
gboolean    afs_undo_stack_redo (AfsUndoStack *self, AfsDocument *document);
gboolean    afs_undo_stack_can_undo (AfsUndoStack *self);
gboolean    afs_undo_stack_can_redo (AfsUndoStack *self);
const char *afs_undo_stack_get_undo_label (AfsUndoStack *self);   /* nullable */
const char *afs_undo_stack_get_redo_label (AfsUndoStack *self);   /* nullable */
guint       afs_undo_stack_get_n_undo (AfsUndoStack *self);
/* Forgets all history (after loading a file). */
void        afs_undo_stack_clear (AfsUndoStack *self);
void        afs_undo_stack_mark_clean (AfsUndoStack *self);
gboolean    afs_undo_stack_get_modified (AfsUndoStack *self);

G_END_DECLS
