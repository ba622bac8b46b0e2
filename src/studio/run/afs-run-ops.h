/* afs-run-ops.h: one document node's op on the engine. Private to the runner.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-run-private.h"

G_BEGIN_DECLS

/* A data node's Variable (or Parameter) from its settings. Transfer full. */
AfnVariable *afs_run_new_data_variable (AfsGraphNode *node, GError **error);
/* Brings @var in line with the node's settings in place (so optimizers
 * and graphs keep the same object). FALSE when it cannot (then make a new
 * one). */
gboolean     afs_run_update_data_variable (AfnVariable *var, AfsGraphNode *node);

/* Runs the op of an op node. @inputs: interned input port -> GPtrArray of
 * AfnVariable (a multi input's links in order). @client serves language
 * model calls; @default_model ("provider/model" or a bare name) is used when
 * the node names none. Completes with a hash table port -> AfnVariable. */
void         afs_run_op_async  (AfsGraphNode *node, GHashTable *inputs, AfnModelClient *client,
                                const char *default_model, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
GHashTable  *afs_run_op_finish (GAsyncResult *result, AfnUsage *usage, GError **error);
/* TRUE for kinds that may ask a language model in forward. */
gboolean     afs_run_kind_is_lm (AfsNodeKind *kind);

G_END_DECLS
