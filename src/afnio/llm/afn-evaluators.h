/* afn-evaluators.h: exact_match_evaluator, deterministic_evaluator and
 * lm_judge_evaluator. Each returns (score, explanation).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-chat-messages.h"
#include "afn-model-client.h"
#include "afn-scoring.h"

G_BEGIN_DECLS

#define AFN_EVALUATOR_SCORE_ROLE       "evaluation score"
#define AFN_EVALUATOR_EXPLANATION_ROLE "evaluation explanation"

/*
 * Common arguments:
 * @prediction: the Variable judged; a list is a batch.
 * @target: the reference (a Variable; strings are wrapped by the caller);
 *   a scalar target is compared with every sample of a batch.
 * @success_fn: (nullable): a predicate on each sample's score ("score>=1",
 *   see afn_success_parse()); when every sample satisfies it, backward sends
 *   an empty gradient and calls no model. NULL: never short-circuit.
 * @reduction_fn: (nullable): "sum" (NULL means "sum", afnio's default),
 *   "mean", "min", "max", or "none" for a list of per-sample scores.
 * @reduction_fn_purpose: (nullable): shown in a batch explanation; NULL
 *   uses the reduction's own ("summation" for sum).
 * @score, @explanation: (out) (transfer full): the two outputs. They share
 *   one node (output_nr 0 and 1); explanation.backward() needs no gradient.
 * Backward sends feedback to the prediction, written by the backward model
 * for each sample that did not succeed ("" for the others).
 */

/* Score 1 per sample on an exact match, else 0; success when all matched.
 * Node ExactMatchEvaluatorBackward0. */
gboolean afn_exact_match_evaluator (AfnVariable *prediction, AfnVariable *target,
                                    const char *reduction_fn, const char *reduction_fn_purpose,
                                    AfnVariable **score, AfnVariable **explanation,
                                    GError **error);

/* @eval_fn: a registered scoring function, "name" or "name:arg".
 * @eval_fn_purpose: (nullable): NULL uses the function's own.
 * Node DeterministicEvaluatorBackward0. */
gboolean afn_deterministic_evaluator (AfnVariable *prediction, AfnVariable *target,
                                      const char *eval_fn, const char *eval_fn_purpose,
                                      const char *success_fn,
                                      const char *reduction_fn, const char *reduction_fn_purpose,
                                      AfnVariable **score, AfnVariable **explanation,
                                      GError **error);

/**
 * afn_lm_judge_evaluator_async:
 * lm_judge_evaluator(model, messages, prediction, target, inputs, success_fn,
 * reduction_fn, reduction_fn_purpose, eval_mode, **completion_args).
 * @messages may use `{prediction}` and `{target}` besides @inputs' names.
 * The model must reply with a JSON object {"score": number or boolean,
 * "explanation": string} (surrounding text is ignored). One request per
 * sample, all at once. With @eval_mode TRUE backward gives feedback to the
 * prediction only; with FALSE to the Variables of @messages and @inputs.
 * Node LMJudgeEvaluatorBackward0.
 */
void     afn_lm_judge_evaluator_async  (AfnModelClient *client, GPtrArray *messages,
                                        AfnVariable *prediction, AfnVariable *target,
                                        AfnChatInputs *inputs, const char *success_fn,
                                        const char *reduction_fn, const char *reduction_fn_purpose,
                                        gboolean eval_mode, JsonObject *completion_args,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean afn_lm_judge_evaluator_finish (GAsyncResult *result, AfnVariable **score,
                                        AfnVariable **explanation, AfnUsage *usage,
                                        GError **error);
gboolean afn_lm_judge_evaluator (AfnModelClient *client, GPtrArray *messages,
                                 AfnVariable *prediction, AfnVariable *target,
                                 AfnChatInputs *inputs, const char *success_fn,
                                 const char *reduction_fn, const char *reduction_fn_purpose,
                                 gboolean eval_mode, JsonObject *completion_args,
                                 AfnVariable **score, AfnVariable **explanation,
                                 AfnUsage *usage, GCancellable *cancellable, GError **error);

G_END_DECLS
