/* afn-node.h: nodes of the recorded graph, and the way ops are defined.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afn-types.h"
#include "afn-value.h"

G_BEGIN_DECLS

#define AFN_TYPE_NODE (afn_node_get_type ())
G_DECLARE_DERIVABLE_TYPE (AfnNode, afn_node, AFN, NODE, GObject)

/**
 * AfnNodeClass:
 *
 * An op is defined in C by a forward function that computes its outputs and,
 * when afn_node_should_record() says so, creates an instance of its own
 * AfnNode subclass (afn_node_record()); and by that subclass's backward.
 * The built-in ops (add, sum, split) and the language-model ops all use this,
 * and so can users' own ops.
 *
 * @backward: synchronous backward. @grad_outputs holds one GPtrArray per
 *   output of the node (AfnVariable elements), the gradients that arrived for
 *   that output in order of arrival; a list may be empty. Returns a new
 *   GPtrArray with one entry per next_function: a GPtrArray of gradient
 *   AfnVariables for that input (each is appended in order), or NULL when
 *   that input gets nothing. Must not touch any grad list itself.
 * @backward_async / @backward_finish: the asynchronous form, for backwards
 *   that wait (a language model). The default implementation calls @backward.
 *   Independent nodes' async backwards run concurrently.
 * @release_saved: drops saved values after a backward without retain_graph.
 *
 * Signals, emitted by the backward scheduler on its main context (for
 * progress displays; AccumulateGrad nodes emit none):
 *   backward-started  ():  this node's backward is about to run
 *   backward-finished (gpointer result, gpointer error): it returned
 *     @result (a GPtrArray with one gradient list or NULL per
 *     next_function, as the backward returned it; NULL on error) or
 *     @error (a const GError *). Both transfer none, valid during the
 *     emission only. Not emitted for a backward that a cancellation or
 *     another node's error made pointless.
 */
struct _AfnNodeClass
{
  GObjectClass parent_class;

  GPtrArray *(*backward)        (AfnNode       *self,
                                 GPtrArray     *grad_outputs,
                                 GError       **error);
  void       (*backward_async)  (AfnNode            *self,
                                 GPtrArray          *grad_outputs,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data);
  GPtrArray *(*backward_finish) (AfnNode       *self,
                                 GAsyncResult  *result,
                                 GError       **error);
  void       (*release_saved)   (AfnNode       *self);

  gpointer padding[8];
};

/* The name, e.g. "AddBackward0", "AccumulateGrad". Transfer none. */
const char *afn_node_get_name (AfnNode *self);
void        afn_node_set_name (AfnNode *self, const char *name);
/* afnio's server-side node id; NULL offline. */
const char *afn_node_get_node_id (AfnNode *self);
void        afn_node_set_node_id (AfnNode *self, const char *node_id);

/* next_functions: one (node, output_nr) edge per input, in argument order;
 * node is NULL for an input that does not require grad. */
guint       afn_node_get_n_next_functions (AfnNode *self);
AfnNode    *afn_node_get_next_function (AfnNode *self, guint i, guint *output_nr); /* transfer none */
/* Appends an edge; @node may be NULL. A reference is taken. */
void        afn_node_add_next_function (AfnNode *self, AfnNode *node, guint output_nr);
/* How many outputs the op produced (split has several). Default 1. */
guint       afn_node_get_n_outputs (AfnNode *self);
void        afn_node_set_n_outputs (AfnNode *self, guint n_outputs);
/* TRUE once a backward without retain_graph has released the saved values. */
gboolean    afn_node_is_released (AfnNode *self);

/* For op authors: TRUE when grad mode is on and an input requires grad. */
gboolean    afn_node_should_record (AfnVariable **inputs, guint n_inputs);
/* For op authors: fills @node's next_functions from @inputs (an
 * AccumulateGrad for each leaf that requires grad, the input's grad_fn for a
 * non-leaf, NULL otherwise), and makes each of @outputs require grad with
 * @node as grad_fn and output_nr = its index. */
void        afn_node_record (AfnNode *node, AfnVariable **inputs, guint n_inputs,
                             AfnVariable **outputs, guint n_outputs);

/* For op authors: a result for AfnNodeClass.backward, one NULL slot per
 * next_function (freeing it frees the lists and their gradients). Transfer full. */
GPtrArray  *afn_node_new_result (AfnNode *self);
/* Appends @grad (taken) to the list for input @i of @result, making the
 * list on first use. */
void        afn_node_result_add_take (GPtrArray *result, guint i, AfnVariable *grad);

/* The AccumulateGrad node of a leaf that requires grad (created on first
 * use and then reused, so a leaf used twice has one). Transfer none. */
AfnNode    *afn_variable_get_accumulate_node (AfnVariable *variable);
/* For an AccumulateGrad node, its leaf (NULL if gone or not one). Transfer none. */
AfnVariable *afn_node_get_variable (AfnNode *self);

G_END_DECLS
