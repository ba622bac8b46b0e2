/* afs-gradfn-item.c: the grad_fn tree's items.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-gradfn-item.h"
#include "afn-variable.h"

/* The graph is a DAG, but a deep one would make a huge tree: stop here. */
#define MAX_DEPTH 64

struct _AfsGradfnItem
{
  GObject  parent_instance;

  AfnNode *node;
  guint    output_nr;
  guint    depth;
  char    *label;
};

G_DEFINE_FINAL_TYPE (AfsGradfnItem, afs_gradfn_item, G_TYPE_OBJECT)

static char *
make_label (AfnNode *node)
{
  AfnVariable *leaf;
  const char *role;

  if (!node)
    return g_strdup ("None");
  leaf = afn_node_get_variable (node);
  role = leaf ? afn_variable_get_role (leaf) : NULL;
  if (role && *role)
    return g_strdup_printf ("%s (%s)", afn_node_get_name (node), role);
  return g_strdup (afn_node_get_name (node));
}

AfsGradfnItem *
afs_gradfn_item_new (AfnNode *node, guint output_nr, guint depth)
{
  AfsGradfnItem *self;

  g_return_val_if_fail (node == NULL || AFN_IS_NODE (node), NULL);

  self = g_object_new (AFS_TYPE_GRADFN_ITEM, NULL);
  self->node = node ? g_object_ref (node) : NULL;
  self->output_nr = output_nr;
  self->depth = depth;
  self->label = make_label (node);
  return self;
}

AfnNode *
afs_gradfn_item_get_node (AfsGradfnItem *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_ITEM (self), NULL);
  return self->node;
}

guint
afs_gradfn_item_get_output_nr (AfsGradfnItem *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_ITEM (self), 0);
  return self->output_nr;
}

guint
afs_gradfn_item_get_depth (AfsGradfnItem *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_ITEM (self), 0);
  return self->depth;
}

const char *
afs_gradfn_item_get_label (AfsGradfnItem *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_ITEM (self), NULL);
  return self->label;
}

GListModel *
afs_gradfn_item_create_children (AfsGradfnItem *self)
{
  GListStore *store;
  guint n;

  g_return_val_if_fail (AFS_IS_GRADFN_ITEM (self), NULL);

  if (!self->node || self->depth >= MAX_DEPTH)
    return NULL;
  n = afn_node_get_n_next_functions (self->node);
  if (n == 0)
    return NULL;
  store = g_list_store_new (AFS_TYPE_GRADFN_ITEM);
  for (guint i = 0; i < n; i++)
    {
      guint output_nr = 0;
      AfnNode *next = afn_node_get_next_function (self->node, i, &output_nr);
      g_autoptr(AfsGradfnItem) child = afs_gradfn_item_new (next, output_nr, self->depth + 1);

      g_list_store_append (store, child);
    }
  return G_LIST_MODEL (store);
}

static void
afs_gradfn_item_finalize (GObject *object)
{
  AfsGradfnItem *self = AFS_GRADFN_ITEM (object);

  g_clear_object (&self->node);
  g_free (self->label);
  G_OBJECT_CLASS (afs_gradfn_item_parent_class)->finalize (object);
}

static void
afs_gradfn_item_class_init (AfsGradfnItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afs_gradfn_item_finalize;
}

static void
afs_gradfn_item_init (AfsGradfnItem *self)
{
}
