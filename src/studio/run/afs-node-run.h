/* afs-node-run.h: what the runner knows about one document node: its run
 * state, its outputs, its backward progress, what it spent. Read-only for
 * the UI; the runner updates it (on the main context) and it notifies.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afnio.h"

G_BEGIN_DECLS

/**
 * AfsNodeState:
 * @AFS_NODE_STATE_IDLE: no result (never run, cache cleared, or its
 *   settings/inputs changed since: the old outputs are dropped)
 * @AFS_NODE_STATE_QUEUED: part of the current run, waiting for its inputs
 * @AFS_NODE_STATE_RUNNING: computing (a language model is being asked)
 * @AFS_NODE_STATE_DONE: computed in the current (or last) run
 * @AFS_NODE_STATE_REUSED: its cached result was used: inputs and settings
 *   unchanged since it was computed
 * @AFS_NODE_STATE_ERROR: failed; "message" says why. Nodes downstream of
 *   it are ERROR too, with a message naming it.
 */
typedef enum {
  AFS_NODE_STATE_IDLE,
  AFS_NODE_STATE_QUEUED,
  AFS_NODE_STATE_RUNNING,
  AFS_NODE_STATE_DONE,
  AFS_NODE_STATE_REUSED,
  AFS_NODE_STATE_ERROR,
} AfsNodeState;

#define AFS_TYPE_NODE_STATE (afs_node_state_get_type ())
GType afs_node_state_get_type (void) G_GNUC_CONST;

/**
 * AfsBackwardState:
 * @AFS_BACKWARD_STATE_NONE: not part of the last/current backward
 * @AFS_BACKWARD_STATE_WAITING: on the path, waiting for its gradients
 * @AFS_BACKWARD_STATE_RUNNING: its op's backward runs (an LM is asked)
 * @AFS_BACKWARD_STATE_DONE: its gradients were computed
 * @AFS_BACKWARD_STATE_ERROR: the backward failed here ("message")
 */
typedef enum {
  AFS_BACKWARD_STATE_NONE,
  AFS_BACKWARD_STATE_WAITING,
  AFS_BACKWARD_STATE_RUNNING,
  AFS_BACKWARD_STATE_DONE,
  AFS_BACKWARD_STATE_ERROR,
} AfsBackwardState;

#define AFS_TYPE_BACKWARD_STATE (afs_backward_state_get_type ())
GType afs_backward_state_get_type (void) G_GNUC_CONST;

#define AFS_TYPE_NODE_RUN (afs_node_run_get_type ())
G_DECLARE_FINAL_TYPE (AfsNodeRun, afs_node_run, AFS, NODE_RUN, GObject)

/*
 * Properties (read-only, notify on change):
 *   "node-id"           uint
 *   "state"             AfsNodeState
 *   "message"           string, nullable: the error (or NULL)
 *   "backward-state"    AfsBackwardState
 *   "prompt-tokens", "completion-tokens", "total-tokens"  int64: what this
 *                       node's language-model calls spent (forward and
 *                       backward of the current results; 0 for other ops)
 *   "cost"              double, USD
 *   "outputs-changed" is a signal (no arguments): the output variables
 *                       were replaced or dropped.
 */
guint             afs_node_run_get_node_id (AfsNodeRun *self);
AfsNodeState      afs_node_run_get_state (AfsNodeRun *self);
const char       *afs_node_run_get_message (AfsNodeRun *self);
AfsBackwardState  afs_node_run_get_backward_state (AfsNodeRun *self);
void              afs_node_run_get_usage (AfsNodeRun *self, AfnUsage *usage);
double            afs_node_run_get_cost (AfsNodeRun *self);
gint64            afs_node_run_get_total_tokens (AfsNodeRun *self);

/* The Variable at output @port ("output", "part0", "score",
 * "explanation"...), or NULL when the node has no result (transfer none;
 * valid until "outputs-changed"). A data node's "output" is the
 * AfnVariable / AfnParameter built from its settings, holding its grads. */
AfnVariable      *afs_node_run_get_output (AfsNodeRun *self, const char *port);
/* A short one-line preview of @port's data for the canvas (transfer full;
 * NULL when no result). At most @max_chars characters, "…" when cut. */
char             *afs_node_run_dup_preview (AfsNodeRun *self, const char *port, guint max_chars);

G_END_DECLS
