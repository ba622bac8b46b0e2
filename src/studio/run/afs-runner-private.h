/* afs-runner-private.h: the runner's state, shared by its files.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-run-private.h"
#include "afs-client-proxy.h"

G_BEGIN_DECLS

struct _AfsRunner
{
  GObject           parent_instance;

  AfsDocument      *document;
  AfsModelSettings *settings;
  GHashTable       *runs;           /* node id -> AfsNodeRun */
  AfsClientProxy   *proxy;          /* what ops and TGD call */
  AfnReplayClient  *recordings;     /* the session's recordings */
  JsonNode         *recordings_seen;/* the document extra they came from (unowned) */
  GTask            *task;           /* the operation going on, or NULL */
  const char       *operation;      /* "run", "backward", "step" */
  GHashTable       *dirty;          /* node ids edited while busy */
  guint64           generation;     /* bumped at each new result */

  /* backward */
  GHashTable       *engine_nodes;   /* AfnNode -> doc node id (weak keys via refs) */
  GHashTable       *arrivals;       /* ArrivalKey -> GPtrArray of Arrival */
  GHashTable       *feedback_links; /* link id set */

  /* optimizer */
  AfnTGD           *tgd;
  GPtrArray        *tgd_params;     /* node ids (as pointers) of the TGD's params */
  GHashTable       *history;        /* node id -> GListStore of AfsParamChange */
  GListStore       *last_changes;
  JsonNode         *history_seen;   /* the document extra the history came from (unowned) */
  guint             n_steps;
  guint             step_undo_depth;/* undo-stack depth right after the last step */
  gboolean          step_applied;

  char            **constraints;    /* cache for afs_runner_get_constraints() */
  AfnUsage          total;
  AfnUsage          last;
};

/* afs-runner.c */
AfsNodeRun *afs_runner_ensure_run (AfsRunner *self, guint node_id);
void        afs_runner_emit_state (AfsRunner *self, guint node_id);
/* Prepares the proxy's target for an operation per the settings' mode. */
gboolean    afs_runner_begin_operation (AfsRunner *self, GTask *task, const char *operation,
                                        GError **error);
/* Ends it: recordings and usage saved, deferred invalidations applied. */
void        afs_runner_end_operation (AfsRunner *self);
void        afs_runner_register_engine_node (AfsRunner *self, AfnNode *node, guint node_id);
/* The data node and port of a variable the runner made (0 when none). */
guint       afs_runner_find_variable (AfsRunner *self, AfnVariable *var, const char **port);
const char *afs_runner_effective_backward_model (AfsRunner *self);
const char *afs_runner_effective_optimizer_model (AfsRunner *self);
JsonObject *afs_runner_dup_backward_args (AfsRunner *self);

/* Runs an async operation to its end on the thread-default main context:
 * init, pass afs_runner_sync_done_cb and the wait to the _async call, then
 * afs_runner_sync_wait_finish() returns the result (owned). */
typedef struct {
  GAsyncResult *result;
  GMainContext *context;
} AfsRunnerSyncWait;

void          afs_runner_sync_wait_init   (AfsRunnerSyncWait *wait);
void          afs_runner_sync_done_cb     (GObject *source, GAsyncResult *result, gpointer user_data);
GAsyncResult *afs_runner_sync_wait_finish (AfsRunnerSyncWait *wait);

/* afs-runner-backward.c */
void        afs_runner_backward_reset (AfsRunner *self);

/* afs-runner-step.c */
void        afs_runner_step_document_changed (AfsRunner *self);
void        afs_runner_history_load (AfsRunner *self);
/* Another document was loaded: history and step state come from it. */
void        afs_runner_history_sync (AfsRunner *self);

G_END_DECLS
