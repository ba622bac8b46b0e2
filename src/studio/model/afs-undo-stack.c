/* afs-undo-stack.c: undo/redo history.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-undo-stack.h"
#include "afs-command.h"
#include "afs-document-private.h"

struct _AfsUndoStack
{
  GObject parent_instance;
  GPtrArray *commands;   /* [0, pos) are done, [pos, len) can be redone */
  guint pos;
  gint clean;            /* position that matches the saved file, -1: none */
  AfsCommand *group;     /* open group, or NULL */
  guint group_depth;
};

G_DEFINE_FINAL_TYPE (AfsUndoStack, afs_undo_stack, G_TYPE_OBJECT)

enum { PROP_0, PROP_CAN_UNDO, PROP_CAN_REDO, PROP_UNDO_LABEL, PROP_REDO_LABEL, PROP_MODIFIED, N_PROPS };
static GParamSpec *props[N_PROPS];

static void
afs_undo_stack_finalize (GObject *object)
{
  AfsUndoStack *self = AFS_UNDO_STACK (object);

  g_ptr_array_unref (self->commands);
  g_clear_pointer (&self->group, afs_command_free);
  G_OBJECT_CLASS (afs_undo_stack_parent_class)->finalize (object);
}

static void
afs_undo_stack_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsUndoStack *self = AFS_UNDO_STACK (object);

  switch (prop_id)
    {
    case PROP_CAN_UNDO: g_value_set_boolean (value, afs_undo_stack_can_undo (self)); break;
    case PROP_CAN_REDO: g_value_set_boolean (value, afs_undo_stack_can_redo (self)); break;
    case PROP_UNDO_LABEL: g_value_set_string (value, afs_undo_stack_get_undo_label (self)); break;
    case PROP_REDO_LABEL: g_value_set_string (value, afs_undo_stack_get_redo_label (self)); break;
    case PROP_MODIFIED: g_value_set_boolean (value, afs_undo_stack_get_modified (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_undo_stack_class_init (AfsUndoStackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags f = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = afs_undo_stack_finalize;
  object_class->get_property = afs_undo_stack_get_property;
  props[PROP_CAN_UNDO] = g_param_spec_boolean ("can-undo", NULL, NULL, FALSE, f);
  props[PROP_CAN_REDO] = g_param_spec_boolean ("can-redo", NULL, NULL, FALSE, f);
  props[PROP_UNDO_LABEL] = g_param_spec_string ("undo-label", NULL, NULL, NULL, f);
  props[PROP_REDO_LABEL] = g_param_spec_string ("redo-label", NULL, NULL, NULL, f);
  props[PROP_MODIFIED] = g_param_spec_boolean ("modified", NULL, NULL, FALSE, f);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afs_undo_stack_init (AfsUndoStack *self)
{
  self->commands = g_ptr_array_new_with_free_func ((GDestroyNotify) afs_command_free);
}

AfsUndoStack *
afs_undo_stack_new (void)
{
  return g_object_new (AFS_TYPE_UNDO_STACK, NULL);
}

/* Notifies every property: they all derive from pos/len/clean. */
static void
notify_all (AfsUndoStack *self, gboolean was_modified)
{
  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_CAN_UNDO; i < PROP_MODIFIED; i++)
    g_object_notify_by_pspec (G_OBJECT (self), props[i]);
  if (was_modified != afs_undo_stack_get_modified (self))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODIFIED]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Records an already applied command. */
static void
record (AfsUndoStack *self, AfsCommand *command)
{
  gboolean was_modified = afs_undo_stack_get_modified (self);

  if (self->pos < self->commands->len)
    g_ptr_array_remove_range (self->commands, self->pos, self->commands->len - self->pos);
  if (self->clean > (gint) self->pos)
    self->clean = -1;
  g_ptr_array_add (self->commands, command);
  self->pos++;
  notify_all (self, was_modified);
}

void
afs_undo_stack_push (AfsUndoStack *self, AfsDocument *document, AfsCommand *command)
{
  g_return_if_fail (AFS_IS_UNDO_STACK (self));

  afs_command_apply (command, document);
  afs_document_emit_changed (document);
  if (self->group)
    afs_command_group_add (self->group, command);
  else
    record (self, command);
}

void
afs_undo_stack_begin_group (AfsUndoStack *self, const char *label)
{
  if (self->group_depth++ == 0)
    self->group = afs_command_new_group (label);
}

void
afs_undo_stack_end_group (AfsUndoStack *self)
{
  AfsCommand *group;

  g_return_if_fail (self->group_depth > 0);
  if (--self->group_depth > 0)
    return;
  group = g_steal_pointer (&self->group);
  if (afs_command_group_size (group) > 0)
    record (self, group);
  else
    afs_command_free (group);
}

gboolean
afs_undo_stack_undo (AfsUndoStack *self, AfsDocument *document)
{
  gboolean was_modified = afs_undo_stack_get_modified (self);

  if (self->pos == 0 || self->group)
    return FALSE;
  self->pos--;
  afs_command_revert (g_ptr_array_index (self->commands, self->pos), document);
  afs_document_emit_changed (document);
  notify_all (self, was_modified);
  return TRUE;
}

gboolean
afs_undo_stack_redo (AfsUndoStack *self, AfsDocument *document)
{
  gboolean was_modified = afs_undo_stack_get_modified (self);

  if (self->pos == self->commands->len || self->group)
    return FALSE;
  afs_command_apply (g_ptr_array_index (self->commands, self->pos), document);
  afs_document_emit_changed (document);
  self->pos++;
  notify_all (self, was_modified);
  return TRUE;
}

gboolean afs_undo_stack_can_undo (AfsUndoStack *self) { return self->pos > 0; }
gboolean afs_undo_stack_can_redo (AfsUndoStack *self) { return self->pos < self->commands->len; }
guint afs_undo_stack_get_n_undo (AfsUndoStack *self) { return self->pos; }

const char *
afs_undo_stack_get_undo_label (AfsUndoStack *self)
{
  return self->pos > 0 ? afs_command_get_label (g_ptr_array_index (self->commands, self->pos - 1)) : NULL;
}

const char *
afs_undo_stack_get_redo_label (AfsUndoStack *self)
{
  return self->pos < self->commands->len
         ? afs_command_get_label (g_ptr_array_index (self->commands, self->pos)) : NULL;
}

void
afs_undo_stack_clear (AfsUndoStack *self)
{
  gboolean was_modified = afs_undo_stack_get_modified (self);

  g_ptr_array_set_size (self->commands, 0);
  self->pos = 0;
  self->clean = 0;
  notify_all (self, was_modified);
}

void
afs_undo_stack_mark_clean (AfsUndoStack *self)
{
  gboolean was_modified = afs_undo_stack_get_modified (self);

  self->clean = self->pos;
  notify_all (self, was_modified);
}

gboolean
afs_undo_stack_get_modified (AfsUndoStack *self)
{
  return self->clean != (gint) self->pos;
}
