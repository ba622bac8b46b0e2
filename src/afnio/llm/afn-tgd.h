/* afn-tgd.h: Textual Gradient Descent, the optimizer that rewrites Parameters.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-chat-messages.h"
#include "afn-model-client.h"
#include "afn-parameter.h"

G_BEGIN_DECLS

#define AFN_TYPE_TGD (afn_tgd_get_type ())
G_DECLARE_FINAL_TYPE (AfnTGD, afn_tgd, AFN, TGD, GObject)

/**
 * afn_tgd_new:
 * TGD(params, model_client, messages=default, inputs=None, constraints=[],
 * momentum=0, **completion_args).
 * @params: the AfnVariable (normally AfnParameter) values to optimize, in
 *   order (state_dict numbers them from 0). References are taken.
 * @client: (nullable): the optimizer's model; NULL uses the backward model
 *   client at each step.
 * @messages: (nullable): a custom prompt (AfnChatMessage elements) that may
 *   use {variable_role} {variable} {feedback} {past_values} {constraints}
 *   {examples} {open_tag} {close_tag} and @inputs' names; NULL uses the
 *   built-in prompt (see docs/optimizer.md).
 * @constraints: (nullable): NULL-terminated natural-language constraints.
 * @momentum: how many earlier values (with their feedback) each request shows.
 * @completion_args: (nullable): "model", "temperature", ...
 * Transfer full.
 */
AfnTGD     *afn_tgd_new (GPtrArray *params, AfnModelClient *client, GPtrArray *messages,
                         AfnChatInputs *inputs, const char * const *constraints,
                         guint momentum, JsonObject *completion_args);
GPtrArray  *afn_tgd_get_params (AfnTGD *self);            /* transfer none */
guint       afn_tgd_get_momentum (AfnTGD *self);
/* An in-context example shown in every request: a value, the feedback it
 * got, and the better value written from it. */
void        afn_tgd_add_example (AfnTGD *self, const char *before, const char *feedback,
                                 const char *after);
/* zero_grad() / clear_grad(): empties every parameter's grad list. */
void        afn_tgd_zero_grad (AfnTGD *self);

/**
 * afn_tgd_step_async:
 * One request per parameter that has non-empty feedback, all at once. The
 * new value is read between <IMPROVED_VARIABLE> and </IMPROVED_VARIABLE>; a
 * reply without them is asked again once with a reminder. Updates are
 * all-or-nothing: the new values are written (and the momentum buffers
 * advanced) only when every request succeeded; on any error, cancellation
 * included, no parameter changes.
 */
void        afn_tgd_step_async  (AfnTGD *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
/* FALSE with the first error (AFN_ERROR_FAILED naming the parameter for a
 * reply without tags, the client's error, or G_IO_ERROR_CANCELLED). */
gboolean    afn_tgd_step_finish (AfnTGD *self, GAsyncResult *result, GError **error);
/* The same, waiting on the thread-default main context. */
gboolean    afn_tgd_step (AfnTGD *self, GCancellable *cancellable, GError **error);

/* What the steps spent (all requests, retries included), and how many
 * requests the last step sent. */
void        afn_tgd_get_usage (AfnTGD *self, AfnUsage *usage);
guint       afn_tgd_get_last_step_requests (AfnTGD *self);

/* state_dict() in afnio's shape, as a value tree the .hf codec saves:
 * {'state': {0: {'momentum_buffer': [(Parameter, [Variable, ...]), ...]}, ...},
 *  'param_groups': [{'model_client': {...} or None, 'messages': [...],
 *   'inputs': {...}, 'constraints': [...], 'momentum': k,
 *   'completion_args': {...}, 'params': [0, 1, ...]}]}.
 * Transfer full. */
AfnValue   *afn_tgd_state_dict (AfnTGD *self);
/* Restores momentum buffers and hyperparameters (messages, inputs,
 * constraints, momentum, completion_args) from @state. The model client
 * and the parameters stay. Checks everything first: on error nothing
 * changes (AFN_ERROR_INVALID_DATA saying what is wrong and where). */
gboolean    afn_tgd_load_state_dict (AfnTGD *self, AfnValue *state, GError **error);

G_END_DECLS
