/* afn-lm-node.h: the base of nodes whose backward asks a language model.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-node.h"
#include "afn-model-client.h"

G_BEGIN_DECLS

typedef struct _AfnLmPlan AfnLmPlan;

#define AFN_TYPE_LM_NODE (afn_lm_node_get_type ())
G_DECLARE_DERIVABLE_TYPE (AfnLmNode, afn_lm_node, AFN, LM_NODE, AfnNode)

/**
 * AfnLmNodeClass:
 * @plan: says which inputs get feedback, and for each input and batch
 *   element either a conversation to send to the backward model or a fixed
 *   text (an empty gradient, for a sample that succeeded). Every request of
 *   a plan is sent at once; the backward ends when all have replied.
 *
 * The backward_async of this class runs the plan with the backward model
 * client (afn_get_backward_model_client()); a plan without requests calls
 * no model and needs no client.
 */
struct _AfnLmNodeClass
{
  AfnNodeClass parent_class;

  gboolean (*plan) (AfnLmNode  *self,
                    GPtrArray  *grad_outputs,
                    AfnLmPlan  *plan,
                    GError    **error);

  gpointer padding[4];
};

/* What the forward pass that recorded this node spent. */
void  afn_lm_node_get_forward_usage (AfnLmNode *self, AfnUsage *usage);
/* What every backward through this node spent so far. */
void  afn_lm_node_get_backward_usage (AfnLmNode *self, AfnUsage *usage);
/* Requests sent by backwards through this node so far. */
guint afn_lm_node_get_n_backward_requests (AfnLmNode *self);

/* For op authors. Input @k (an index into next_functions) gets feedback
 * with role "feedback to @role": one list gradient of @list_length elements
 * ("" where nothing was planned), or, when @list_length is 0, one gradient
 * per non-empty planned text (a single "" when all are empty). */
void  afn_lm_plan_want (AfnLmPlan *plan, guint k, const char *role, guint list_length);
/* Element @i of input @k is the reply to @request (nullable; a reference
 * is taken), or @text when @request is NULL. */
void  afn_lm_plan_add  (AfnLmPlan *plan, guint k, guint i, JsonArray *request, const char *text);

/* For op authors: records the forward usage. */
void  afn_lm_node_set_forward_usage (AfnLmNode *self, const AfnUsage *usage);

G_END_DECLS
