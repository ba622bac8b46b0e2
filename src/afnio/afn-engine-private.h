/* afn-engine-private.h: functions shared between the engine's own files
 * (variables, nodes, ops and the backward scheduler). Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afnio.h"

G_BEGIN_DECLS

/* One next_functions entry. */
typedef struct {
  AfnNode *node;      /* nullable, owned */
  guint    output_nr;
} AfnEdge;

/* Variables ------------------------------------------------------------ */

/* A Variable around @data (taken, assumed valid) and @role (taken), made
 * without validation or property notifications: the fast path for ops and
 * for gradients. */
AfnVariable *afn_variable_new_take (GType type, AfnValue *data, char *role,
                                    gboolean requires_grad);
/* What afn_node_record() does to an op's output: requires grad, not a leaf,
 * @node as grad_fn. No checks; the variable is new, so no notify. */
void         afn_variable_attach_grad_fn (AfnVariable *self, AfnNode *node, guint output_nr);
/* Appends @n gradients (references are taken), emitting one items-changed. */
void         afn_variable_append_grads_internal (AfnVariable *self, AfnVariable **grads, guint n);
/* The role for messages and texts ("None" for a NULL role). Transfer none. */
const char  *afn_variable_role_text (AfnVariable *self);
/* Text of the data for gradient sentences: the string itself for a STR,
 * Python's str() otherwise. @len receives the byte length. Transfer full. */
char        *afn_variable_dup_data_text (AfnVariable *self, gsize *len);
/* Validates and normalizes data as afn_variable_new() does. Transfer full. */
AfnValue    *afn_variable_normalize_data (AfnValue *data, GError **error);

/* Nodes ---------------------------------------------------------------- */

/* The edges, without copying. Transfer none. */
const AfnEdge *afn_node_peek_edges (AfnNode *self, guint *n_edges);
gboolean       afn_node_is_accumulate (AfnNode *self);
void           afn_node_mark_released (AfnNode *self);
/* Variables on which retain_grad() was called, whose grad_fn is @self: raw
 * pointers that each Variable removes when it goes away. Nullable. */
GPtrArray     *afn_node_peek_retainers (AfnNode *self);
void           afn_node_add_retainer (AfnNode *self, AfnVariable *variable);
void           afn_node_remove_retainer (AfnNode *self, AfnVariable *variable);
/* TRUE when the class's backward_async is the default one, which just calls
 * the synchronous backward: the scheduler then runs it inline. */
gboolean       afn_node_has_sync_backward (AfnNode *self);
/* Marks @self as an AccumulateGrad node (named so, never released). */
void           afn_node_set_accumulate_flag (AfnNode *self);
/* The "backward-started" / "backward-finished" signals (see afn-node.h). */
void           afn_node_emit_backward_started (AfnNode *self);
void           afn_node_emit_backward_finished (AfnNode *self, GPtrArray *result, const GError *error);

/* AccumulateGrad ------------------------------------------------------- */

AfnNode *afn_accumulate_grad_new (AfnVariable *variable);
/* Called by the Variable as it goes away. */
void     afn_accumulate_grad_forget_variable (AfnNode *self);

G_END_DECLS
