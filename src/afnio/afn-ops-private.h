/* afn-ops-private.h: the nodes of the built-in ops. Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-engine-private.h"

G_BEGIN_DECLS

#define AFN_TYPE_COMBINE_BACKWARD (afn_combine_backward_get_type ())
G_DECLARE_FINAL_TYPE (AfnCombineBackward, afn_combine_backward, AFN, COMBINE_BACKWARD, AfnNode)

/* AddBackward0 / SumBackward0. */
AfnNode *afn_combine_backward_new (const char *name);
/* After afn_node_record(): keeps what the backward needs for each input's
 * role. A leaf is reached through its edge already; only inputs that are
 * results of other ops are saved. */
void     afn_combine_backward_save_inputs (AfnNode *node, AfnVariable **inputs, guint n_inputs);

#define AFN_TYPE_SPLIT_BACKWARD (afn_split_backward_get_type ())
G_DECLARE_FINAL_TYPE (AfnSplitBackward, afn_split_backward, AFN, SPLIT_BACKWARD, AfnNode)

/* SplitBackward0: saves @input (for its role). */
AfnNode *afn_split_backward_new (AfnVariable *input);

/* A gradient: data "Here is the combined feedback we got for this specific
 * {role} and other variables: " followed by @tail_len bytes of @tail, role
 * "feedback to {role}", both in one allocation or, with @arena (nullable),
 * in one piece of the arena's block. A pending AfnGrad (transfer full):
 * afn_grad_take_variable() makes it a Variable. */
AfnGrad     *afn_feedback_grad (AfnValueArena *arena, const char *role, gsize role_len,
                                const char *tail, gsize tail_len);

G_END_DECLS
