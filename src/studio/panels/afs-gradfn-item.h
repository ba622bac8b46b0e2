/* afs-gradfn-item.h: one entry of the grad_fn tree: a backward node (or
 * None) reached through a next_functions edge.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afn-node.h"

G_BEGIN_DECLS

#define AFS_TYPE_GRADFN_ITEM (afs_gradfn_item_get_type ())
G_DECLARE_FINAL_TYPE (AfsGradfnItem, afs_gradfn_item, AFS, GRADFN_ITEM, GObject)

/* @node NULL stands for a None edge (an input that needs no gradient). */
AfsGradfnItem *afs_gradfn_item_new (AfnNode *node, guint output_nr, guint depth);
AfnNode       *afs_gradfn_item_get_node (AfsGradfnItem *self);   /* transfer none, nullable */
guint          afs_gradfn_item_get_output_nr (AfsGradfnItem *self);
guint          afs_gradfn_item_get_depth (AfsGradfnItem *self);
/* "ChatCompletionBackward0", "AccumulateGrad (prompt)" or "None". */
const char    *afs_gradfn_item_get_label (AfsGradfnItem *self);
/* The children: one item per next_functions edge; NULL for a leaf or None. */
GListModel    *afs_gradfn_item_create_children (AfsGradfnItem *self);  /* transfer full */

G_END_DECLS
