/* afs-graph-node-private.h: mutators used by the document's commands.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-graph-node.h"

G_BEGIN_DECLS

/* @settings is taken (transfer full). */
AfsGraphNode *afs_graph_node_new (guint id, AfsNodeKind *kind, double x, double y,
                                  JsonObject *settings);
void          afs_graph_node_set_position (AfsGraphNode *self, double x, double y);
/* @value is taken; NULL removes the key. Recomputes the ports. */
void          afs_graph_node_set_setting (AfsGraphNode *self, const char *key, JsonNode *value);
/* Ports the node would have with @key set to @value (transfer full). */
void          afs_graph_node_ports_with (AfsGraphNode *self, const char *key, JsonNode *value,
                                         GPtrArray **inputs, GPtrArray **outputs);

G_END_DECLS
