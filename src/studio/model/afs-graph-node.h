/* afs-graph-node.h: one node instance in a studio document.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <json-glib/json-glib.h>
#include "afs-model-types.h"

G_BEGIN_DECLS

#define AFS_TYPE_GRAPH_NODE (afs_graph_node_get_type ())
G_DECLARE_FINAL_TYPE (AfsGraphNode, afs_graph_node, AFS, GRAPH_NODE, GObject)

/* Nodes are created and changed only through AfsDocument (so every edit is
 * undoable); the getters below are read-only views. */
guint        afs_graph_node_get_id (AfsGraphNode *self);
AfsNodeKind *afs_graph_node_get_kind (AfsGraphNode *self);     /* transfer none */
double       afs_graph_node_get_x (AfsGraphNode *self);
double       afs_graph_node_get_y (AfsGraphNode *self);
/* The settings object (transfer none; do not modify, use
 * afs_document_set_setting). */
JsonObject  *afs_graph_node_get_settings (AfsGraphNode *self);
/* Convenience getters; return @fallback when absent or of another type. */
const char  *afs_graph_node_get_string (AfsGraphNode *self, const char *key, const char *fallback);
gboolean     afs_graph_node_get_boolean (AfsGraphNode *self, const char *key, gboolean fallback);
/* A display title: the role for data nodes when set, else the kind name. Transfer full. */
char        *afs_graph_node_dup_title (AfsGraphNode *self);

/* Ports (transfer none; arrays of AfsPort valid until the node changes). */
GPtrArray   *afs_graph_node_get_inputs (AfsGraphNode *self);
GPtrArray   *afs_graph_node_get_outputs (AfsGraphNode *self);
/* Finds a port by name, NULL when absent (transfer none). */
AfsPort     *afs_graph_node_find_port (AfsGraphNode *self, AfsPortDirection dir, const char *name);
/* Index of port @name in its list, or -1. */
int          afs_graph_node_port_index (AfsGraphNode *self, AfsPortDirection dir, const char *name);

G_END_DECLS
