/* afn-scoring.h: named scoring functions, reductions and success predicates
 * of the deterministic evaluators.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-value.h"

G_BEGIN_DECLS

/**
 * AfnScoringFunc:
 * Scores one sample: @prediction and @target are one element each (a STR,
 * INT or FLOAT value). @arg is the text after the ':' of the eval_fn name
 * ("numeric:0.01" gives "0.01"), or NULL. Returns the score (1 for a match,
 * 0 for a miss, or any number); on bad input sets @error and returns 0.
 */
typedef double (*AfnScoringFunc) (AfnValue *prediction, AfnValue *target, const char *arg,
                                  gpointer user_data, GError **error);

/* Adds a scoring function under @name (replacing one of that name).
 * @purpose is the default eval_fn_purpose shown in explanations; its
 * scores are integral when @integral (so that `sum` prints "2", not "2.0"). */
void     afn_register_scoring_function (const char *name, const char *purpose, gboolean integral,
                                        AfnScoringFunc func, gpointer user_data,
                                        GDestroyNotify destroy);
/* The built-ins: "exact", "case-insensitive", "contains" (target is a
 * substring of the prediction), "regex" (the target is a pattern the whole
 * prediction must match; "regex:i" ignores case), "numeric" (numbers
 * within the tolerance given as arg, default 1e-9), "json-field:NAME" (the
 * prediction is a JSON object whose member NAME equals the target: the
 * target's own member NAME when it is a JSON object, else the target text).
 * NULL-terminated, transfer container. */
const char **afn_scoring_function_names (void);

/* Scores every sample with @eval_fn ("name" or "name:arg").
 * @prediction and @target are Variable data: scalars or equal-length lists
 * (a scalar target is compared with every element). Returns a GArray of
 * double; @integral tells whether every score is an integer. */
GArray  *afn_scoring_run (const char *eval_fn, AfnValue *prediction, AfnValue *target,
                          gboolean *integral, char **purpose, GError **error);

/* Reductions: "sum", "mean", "min", "max". @purpose gets the default
 * reduction_fn_purpose ("summation", "mean", "minimum", "maximum").
 * Returns FALSE with AFN_ERROR_INVALID_DATA for an unknown name. */
gboolean afn_reduction_lookup (const char *name, const char **purpose, GError **error);
/* The reduced score as a value: INT when @integral and the reduction keeps
 * integers, FLOAT otherwise. Transfer full. */
AfnValue *afn_reduction_apply (const char *name, GArray *scores, gboolean integral);

/* Success predicates: "score OP NUMBER" with OP one of == != >= <= > <,
 * e.g. "score>=1" (spaces allowed), or "all" for "score>=1". A sample
 * succeeds when its score satisfies the predicate; success_fn says that
 * all succeeded when every sample does. */
gboolean afn_success_parse (const char *spec, GError **error);
gboolean afn_success_sample (const char *spec, double score);

G_END_DECLS
