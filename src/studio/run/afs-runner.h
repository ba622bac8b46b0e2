/* afs-runner.h: runs a studio document with the afnio engine: forward
 * (whole graph, to a node, from a node), backward from an output with
 * optional user feedback, and TGD optimizer steps with history and undo.
 * GLib only: the app and `afnio run` both use it.
 *
 * Node kinds map to the engine as follows: variable/parameter nodes become
 * AfnVariable/AfnParameter from their settings; add, sum and split call
 * afn_add/afn_sum/afn_split; chat_completion calls afn_chat_completion with
 * the node's messages (its "prompt" input as the system message); the
 * evaluators call afn_exact_match/deterministic/lm_judge_evaluator.
 *
 * Everything runs on the thread-default main context of the caller;
 * language-model requests of independent nodes are on the wire at once.
 * One operation (run, backward, step) at a time: starting another while
 * "busy" fails with AFS_RUNNER_ERROR_BUSY.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afnio.h"
#include "afs-document.h"
#include "afs-model-settings.h"
#include "afs-node-run.h"
#include "afs-param-change.h"

G_BEGIN_DECLS

#define AFS_RUNNER_ERROR (afs_runner_error_quark ())
GQuark afs_runner_error_quark (void);

typedef enum {
  AFS_RUNNER_ERROR_FAILED,
  AFS_RUNNER_ERROR_BUSY,          /* another run/backward/step is going on */
  AFS_RUNNER_ERROR_NODE_FAILED,   /* a run finished with nodes in error; see their messages */
  AFS_RUNNER_ERROR_NO_SUCH_NODE,
  AFS_RUNNER_ERROR_NO_RESULT,     /* backward from a node that has no output yet */
  AFS_RUNNER_ERROR_NOTHING_TO_DO, /* step with no Parameter having feedback; undo with no step */
} AfsRunnerError;

/**
 * AfsRunScope:
 * @AFS_RUN_ALL: every node
 * @AFS_RUN_TO: the node and everything upstream of it ("run to here")
 * @AFS_RUN_FROM: the node and everything downstream of it ("run from
 *   here"); upstream nodes outside that set use their cached results and
 *   are computed first only when they have none
 */
typedef enum {
  AFS_RUN_ALL,
  AFS_RUN_TO,
  AFS_RUN_FROM,
} AfsRunScope;

#define AFS_TYPE_RUN_SCOPE (afs_run_scope_get_type ())
GType afs_run_scope_get_type (void) G_GNUC_CONST;

#define AFS_TYPE_RUNNER (afs_runner_get_type ())
G_DECLARE_FINAL_TYPE (AfsRunner, afs_runner, AFS, RUNNER, GObject)

/*
 * Properties (read-only unless said, notify on change):
 *   "document"       AfsDocument, construct-only
 *   "settings"       AfsModelSettings, read/write
 *   "busy"           bool: a run, backward or step is going on
 *   "operation"      string, nullable: "run", "backward", "step" while busy
 *   "total-tokens"   int64  all tokens since the document was loaded or
 *   "total-cost"     double USD  afs_runner_reset_usage()
 *   "last-run-tokens" int64, "last-run-cost" double: the last operation
 *   "n-steps"        uint: optimizer steps applied (and not undone)
 *   "momentum"       uint, read/write: TGD momentum (kept in the document)
 *   "constraints"    GStrv, read/write: TGD constraints (in the document)
 *   "recordings"     AfnReplayClient: the session's recordings (loaded from
 *                    and saved to the document extra "recordings")
 * Signals:
 *   node-state-changed (guint node_id): a node's AfsNodeRun changed state,
 *                    backward state or outputs (also notified on the object)
 *   backward-done    (): a backward finished; feedback links and grads are new
 *   step-done        (): a step was applied or undone; history changed
 */
AfsRunner        *afs_runner_new (AfsDocument *document, AfsModelSettings *settings);
AfsDocument      *afs_runner_get_document (AfsRunner *self);          /* transfer none */
AfsModelSettings *afs_runner_get_settings (AfsRunner *self);          /* transfer none */
void              afs_runner_set_settings (AfsRunner *self, AfsModelSettings *settings);
gboolean          afs_runner_get_busy (AfsRunner *self);
AfnReplayClient  *afs_runner_get_recordings (AfsRunner *self);        /* transfer none */

/* The run info of node @node_id (transfer none), created on first use and
 * kept as long as the node exists in the document; NULL for an unknown id. */
AfsNodeRun       *afs_runner_get_node_run (AfsRunner *self, guint node_id);
/* Shortcut: afs_node_run_get_output() of that node (transfer none). */
AfnVariable      *afs_runner_get_output (AfsRunner *self, guint node_id, const char *port);

/* ---- Forward ---- */

/* Runs the nodes of @scope (@node_id ignored for AFS_RUN_ALL). Nodes whose
 * inputs' data and settings are unchanged since their cached result are
 * REUSED and not recomputed. Completes TRUE when every node of the scope is
 * DONE or REUSED; FALSE with AFS_RUNNER_ERROR_NODE_FAILED when some ended in
 * ERROR (the others keep their results), or G_IO_ERROR_CANCELLED (nodes
 * that had not finished go back to the state they had before the run;
 * finished ones keep their new results). "Run from here" always recomputes
 * the node itself. The document
 * stays editable during a run; an edit drops the results it invalidates
 * when the run has finished. */
void      afs_runner_run_async  (AfsRunner *self, AfsRunScope scope, guint node_id,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
gboolean  afs_runner_run_finish (AfsRunner *self, GAsyncResult *result, GError **error);
/* The same, waiting on the thread-default main context (for the CLI, tests). */
gboolean  afs_runner_run (AfsRunner *self, AfsRunScope scope, guint node_id,
                          GCancellable *cancellable, GError **error);

/* Drops every cached result (all nodes back to IDLE, grads dropped). */
void      afs_runner_clear_cache (AfsRunner *self);

/* ---- Backward ---- */

/* Backward from output @port of node @node_id (usually an evaluator's
 * "explanation"), which must have a result. @feedback (nullable, "" = none)
 * becomes the starting gradient (role "feedback from the user"); without it
 * the output's backward uses no gradient (evaluator explanations) or an
 * empty one. Grads of earlier backwards are cleared first. Per-node progress
 * shows in "backward-state". On error or cancellation no grad changes. */
void      afs_runner_backward_async  (AfsRunner *self, guint node_id, const char *port,
                                      const char *feedback, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
gboolean  afs_runner_backward_finish (AfsRunner *self, GAsyncResult *result, GError **error);
gboolean  afs_runner_backward (AfsRunner *self, guint node_id, const char *port,
                               const char *feedback, GCancellable *cancellable, GError **error);

/* The grads of the Variable at (@node_id, @port): a GListModel of
 * AfnVariable in order of arrival (transfer none), or NULL when that port has
 * no result. Op outputs retain their grads, so every variable has a list. */
GListModel *afs_runner_get_grads (AfsRunner *self, guint node_id, const char *port);
/* The document node whose op sent grad @index of that list: 0 when it was
 * the backward's own starting gradient (user feedback). */
guint     afs_runner_get_grad_source (AfsRunner *self, guint node_id, const char *port,
                                      guint index);
/* TRUE when link @link_id carried feedback in the last backward. */
gboolean  afs_runner_link_carried_feedback (AfsRunner *self, guint link_id);
/* The ids of those links (transfer full; may be empty). */
GArray   *afs_runner_dup_feedback_links (AfsRunner *self);
/* The document node whose op recorded @node (an AccumulateGrad maps to its
 * leaf's data node); 0 when unknown. For the grad_fn panel. */
guint     afs_runner_lookup_engine_node (AfsRunner *self, AfnNode *node);

/* ---- Optimizer ---- */

/* The session's own choices, kept in the document extra "optimizer"
 * ({"momentum", "constraints", "model", "backward_model"}) so that a session
 * replays with the models it was recorded with. NULL or "" means the model
 * settings' optimizer-model / backward-model. Chat completion and LM judge
 * nodes use their own "model" setting ("provider/model"; empty: the
 * settings' forward model). */
const char        *afs_runner_get_optimizer_model (AfsRunner *self);
void               afs_runner_set_optimizer_model (AfsRunner *self, const char *model);
const char        *afs_runner_get_backward_model (AfsRunner *self);
void               afs_runner_set_backward_model (AfsRunner *self, const char *model);
guint              afs_runner_get_momentum (AfsRunner *self);
void               afs_runner_set_momentum (AfsRunner *self, guint momentum);
const char * const *afs_runner_get_constraints (AfsRunner *self);
void               afs_runner_set_constraints (AfsRunner *self, const char * const *constraints);

/* One TGD step over the document's Parameter nodes that have feedback,
 * with the optimizer model of the settings. The new values are written to
 * the nodes' "data" settings as ONE undo step of the document ("Optimizer
 * Step"), so Ctrl+Z restores them; each change is added to the Parameter's
 * history. AFS_RUNNER_ERROR_NOTHING_TO_DO when no Parameter has feedback.
 * All-or-nothing: on error or cancel no value changes. */
void      afs_runner_step_async  (AfsRunner *self, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean  afs_runner_step_finish (AfsRunner *self, GAsyncResult *result, GError **error);
gboolean  afs_runner_step (AfsRunner *self, GCancellable *cancellable, GError **error);

/* The changes of the last step (a GListModel of AfsParamChange, transfer
 * none; empty before any step). */
GListModel *afs_runner_get_last_changes (AfsRunner *self);
/* Every change of Parameter @node_id, oldest first (transfer none; an empty
 * list for a node never changed). */
GListModel *afs_runner_get_history (AfsRunner *self, guint node_id);
/* Undoes the last step through the document's undo stack when it is the
 * newest edit (same as afs_document_undo then); FALSE with
 * AFS_RUNNER_ERROR_NOTHING_TO_DO otherwise. A step undone with Ctrl+Z is
 * marked undone in the history as well. */
gboolean  afs_runner_undo_step (AfsRunner *self, GError **error);

/* ---- Usage ---- */

void      afs_runner_get_total_usage (AfsRunner *self, AfnUsage *usage);
void      afs_runner_get_last_usage (AfsRunner *self, AfnUsage *usage);
void      afs_runner_reset_usage (AfsRunner *self);

/* ---- Saving results ---- */

/* Writes what sessions keep into the document's extras: the recordings,
 * the optimizer settings and history, and each data node's grads (the
 * "afnio" extra the session writer puts in data.pkl). Call before saving. */
void      afs_runner_store_in_document (AfsRunner *self);

G_END_DECLS
