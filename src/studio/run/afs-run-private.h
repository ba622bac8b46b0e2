/* afs-run-private.h: what the runner's files share (not installed).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-runner.h"

G_BEGIN_DECLS

/* AfsNodeRun setters, for the runner only. */
AfsNodeRun *afs_node_run_new (guint node_id);
void        afs_node_run_set_state (AfsNodeRun *self, AfsNodeState state, const char *message);
void        afs_node_run_set_backward_state (AfsNodeRun *self, AfsBackwardState state,
                                             const char *message);
/* @outputs: port name (interned) -> AfnVariable; NULL drops them. Taken. */
void        afs_node_run_set_outputs (AfsNodeRun *self, GHashTable *outputs);
GHashTable *afs_node_run_peek_outputs (AfsNodeRun *self);
void        afs_node_run_set_usage (AfsNodeRun *self, const AfnUsage *usage);
void        afs_node_run_add_usage (AfsNodeRun *self, const AfnUsage *usage);
/* The cache key of the current outputs (NULL when none). */
const char *afs_node_run_get_key (AfsNodeRun *self);
void        afs_node_run_set_key (AfsNodeRun *self, const char *key);
/* Bumped by the runner each time the outputs are replaced (part of the
 * cache keys of the nodes downstream). */
guint64     afs_node_run_get_generation (AfsNodeRun *self);
void        afs_node_run_set_generation (AfsNodeRun *self, guint64 generation);

/* The JSON value of a data setting as engine data (transfer full). */
AfnValue   *afs_run_setting_to_value (JsonNode *node);
/* Strips "provider/" from "provider/model" (transfer full). */
char       *afs_run_model_name (const char *model_path);

G_END_DECLS
