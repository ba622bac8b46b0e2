/* afs-document-private.h: the primitive changes commands are made of. Each
 * emits the matching document signal.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-document.h"
#include "afs-graph-node-private.h"
#include "afs-link-private.h"

G_BEGIN_DECLS

void afs_document_real_insert_node (AfsDocument *self, AfsGraphNode *node);
void afs_document_real_remove_node (AfsDocument *self, guint id);
void afs_document_real_insert_link (AfsDocument *self, AfsLink *link);
void afs_document_real_remove_link (AfsDocument *self, guint id);
void afs_document_real_move (AfsDocument *self, guint id, double x, double y);
/* @value (nullable) is copied. */
void afs_document_real_set_setting (AfsDocument *self, guint id, const char *key, JsonNode *value);
void afs_document_emit_changed (AfsDocument *self);

/* Used by the JSON code. */
guint afs_document_next_node_id (AfsDocument *self);
guint afs_document_next_link_id (AfsDocument *self);
void  afs_document_push (AfsDocument *self, AfsCommand *command);
/* Validates a link against the current graph ignoring the link @ignore_id
 * (0: none). */
gboolean afs_document_check_link (AfsDocument *self, guint src, const char *src_port,
                                  guint dst, const char *dst_port, gboolean replace,
                                  GError **error);
void  afs_document_move_nodes_labeled (AfsDocument *self, const guint *ids, const double *xs,
                                       const double *ys, guint n_ids, const char *label);
/* Resets everything to an empty graph (signals emitted). */
void  afs_document_reset (AfsDocument *self);
GHashTable *afs_document_get_extras (AfsDocument *self);
void  afs_document_set_next_ids (AfsDocument *self, guint next_node, guint next_link);

G_END_DECLS
