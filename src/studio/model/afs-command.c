/* afs-command.c: undoable edits.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-command.h"
#include "afs-document-private.h"

typedef enum {
  CMD_ADD_NODE,
  CMD_REMOVE_NODE,
  CMD_ADD_LINK,
  CMD_REMOVE_LINK,
  CMD_MOVE,
  CMD_SET_SETTING,
  CMD_GROUP,
} CommandType;

struct _AfsCommand
{
  CommandType type;
  char *label;
  union {
    AfsGraphNode *node;
    AfsLink *link;
    struct { guint *ids; double *old_xy, *new_xy; guint n; } move;
    struct { guint id; char *key; JsonNode *old_value, *new_value; } setting;
    GPtrArray *children;
  } u;
};

static AfsCommand *
command_new (CommandType type, const char *label)
{
  AfsCommand *self = g_new0 (AfsCommand, 1);

  self->type = type;
  self->label = g_strdup (label);
  return self;
}

void
afs_command_free (AfsCommand *self)
{
  if (!self)
    return;
  switch (self->type)
    {
    case CMD_ADD_NODE:
    case CMD_REMOVE_NODE:
      g_object_unref (self->u.node);
      break;
    case CMD_ADD_LINK:
    case CMD_REMOVE_LINK:
      g_object_unref (self->u.link);
      break;
    case CMD_MOVE:
      g_free (self->u.move.ids);
      g_free (self->u.move.old_xy);
      g_free (self->u.move.new_xy);
      break;
    case CMD_SET_SETTING:
      g_free (self->u.setting.key);
      g_clear_pointer (&self->u.setting.old_value, json_node_unref);
      g_clear_pointer (&self->u.setting.new_value, json_node_unref);
      break;
    case CMD_GROUP:
      g_ptr_array_unref (self->u.children);
      break;
    default:
      g_assert_not_reached ();
    }
  g_free (self->label);
  g_free (self);
}

static void
run (AfsCommand *self, AfsDocument *doc, gboolean forward)
{
  switch (self->type)
    {
    case CMD_ADD_NODE:
    case CMD_REMOVE_NODE:
      if (forward == (self->type == CMD_ADD_NODE))
        afs_document_real_insert_node (doc, self->u.node);
      else
        afs_document_real_remove_node (doc, afs_graph_node_get_id (self->u.node));
      break;
    case CMD_ADD_LINK:
    case CMD_REMOVE_LINK:
      if (forward == (self->type == CMD_ADD_LINK))
        afs_document_real_insert_link (doc, self->u.link);
      else
        afs_document_real_remove_link (doc, afs_link_get_id (self->u.link));
      break;
    case CMD_MOVE:
      for (guint i = 0; i < self->u.move.n; i++)
        {
          double *xy = forward ? self->u.move.new_xy : self->u.move.old_xy;
          afs_document_real_move (doc, self->u.move.ids[i], xy[2 * i], xy[2 * i + 1]);
        }
      break;
    case CMD_SET_SETTING:
      afs_document_real_set_setting (doc, self->u.setting.id, self->u.setting.key,
                                     forward ? self->u.setting.new_value : self->u.setting.old_value);
      break;
    case CMD_GROUP:
      for (guint i = 0; i < self->u.children->len; i++)
        {
          guint j = forward ? i : self->u.children->len - 1 - i;
          run (g_ptr_array_index (self->u.children, j), doc, forward);
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

void
afs_command_apply (AfsCommand *self, AfsDocument *document)
{
  run (self, document, TRUE);
}

void
afs_command_revert (AfsCommand *self, AfsDocument *document)
{
  run (self, document, FALSE);
}

const char *
afs_command_get_label (AfsCommand *self)
{
  return self->label;
}

void
afs_command_set_label (AfsCommand *self, const char *label)
{
  g_free (self->label);
  self->label = g_strdup (label);
}

AfsCommand *
afs_command_new_add_node (AfsGraphNode *node)
{
  AfsCommand *self = command_new (CMD_ADD_NODE, _("Add Node"));

  self->u.node = g_object_ref (node);
  return self;
}

AfsCommand *
afs_command_new_remove_node (AfsGraphNode *node)
{
  AfsCommand *self = command_new (CMD_REMOVE_NODE, _("Delete Node"));

  self->u.node = g_object_ref (node);
  return self;
}

AfsCommand *
afs_command_new_add_link (AfsLink *link)
{
  AfsCommand *self = command_new (CMD_ADD_LINK, _("Connect"));

  self->u.link = g_object_ref (link);
  return self;
}

AfsCommand *
afs_command_new_remove_link (AfsLink *link)
{
  AfsCommand *self = command_new (CMD_REMOVE_LINK, _("Disconnect"));

  self->u.link = g_object_ref (link);
  return self;
}

AfsCommand *
afs_command_new_move (const guint *ids, const double *old_xy, const double *new_xy, guint n)
{
  AfsCommand *self = command_new (CMD_MOVE, n == 1 ? _("Move Node") : _("Move Nodes"));

  self->u.move.ids = g_memdup2 (ids, sizeof (guint) * n);
  self->u.move.old_xy = g_memdup2 (old_xy, sizeof (double) * 2 * n);
  self->u.move.new_xy = g_memdup2 (new_xy, sizeof (double) * 2 * n);
  self->u.move.n = n;
  return self;
}

AfsCommand *
afs_command_new_set_setting (guint node_id, const char *key, JsonNode *old_value, JsonNode *new_value)
{
  AfsCommand *self = command_new (CMD_SET_SETTING, NULL);

  self->label = g_strdup_printf (_("Change %s"), key);
  self->u.setting.id = node_id;
  self->u.setting.key = g_strdup (key);
  self->u.setting.old_value = old_value ? json_node_copy (old_value) : NULL;
  self->u.setting.new_value = new_value ? json_node_copy (new_value) : NULL;
  return self;
}

AfsCommand *
afs_command_new_group (const char *label)
{
  AfsCommand *self = command_new (CMD_GROUP, label);

  self->u.children = g_ptr_array_new_with_free_func ((GDestroyNotify) afs_command_free);
  return self;
}

void
afs_command_group_add (AfsCommand *group, AfsCommand *child)
{
  g_return_if_fail (group->type == CMD_GROUP);
  g_ptr_array_add (group->u.children, child);
}

guint
afs_command_group_size (AfsCommand *group)
{
  g_return_val_if_fail (group->type == CMD_GROUP, 0);
  return group->u.children->len;
}
