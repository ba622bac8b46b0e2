/* afs-node-search.h: a popover listing node kinds with a search entry.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afs-document.h"

G_BEGIN_DECLS

#define AFS_TYPE_NODE_SEARCH (afs_node_search_get_type ())
G_DECLARE_FINAL_TYPE (AfsNodeSearch, afs_node_search, AFS, NODE_SEARCH, GtkPopover)

/* Signal "kind-chosen" (AfsNodeKind *kind): a row was activated; the
 * popover then closes. */
GtkWidget *afs_node_search_new (void);
/* Shows only kinds with a port of direction @dir compatible with @type
 * (a wire dropped on empty space), or all kinds when !@enabled. */
void       afs_node_search_set_filter (AfsNodeSearch *self, gboolean enabled,
                                       AfsPortDirection dir, AfsPortType type);
/* Sets the search text (nullable) and puts the cursor at its end. */
void       afs_node_search_set_text (AfsNodeSearch *self, const char *text);
/* The kinds currently listed (transfer full), for tests. */
GListModel *afs_node_search_get_visible (AfsNodeSearch *self);
/* Chooses the first listed kind, like pressing Enter. */
gboolean   afs_node_search_activate_first (AfsNodeSearch *self);

G_END_DECLS
