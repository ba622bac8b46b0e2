/* afn-accumulate-grad.c: the node that appends to a leaf's grad list.
 *
 * The backward scheduler handles these nodes itself: it collects the
 * gradients that reach one in a pending list and appends them to the leaf
 * only when the whole backward succeeded. The leaf owns its node; the node
 * points back without a reference, and the leaf clears that pointer when it
 * goes away, so a graph that outlives a leaf accumulates into nothing.
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-accumulate-grad.h"
#include "afn-engine-private.h"

struct _AfnAccumulateGrad
{
  AfnNode parent_instance;
  AfnVariable *variable;   /* unowned */
};

G_DEFINE_FINAL_TYPE (AfnAccumulateGrad, afn_accumulate_grad, AFN_TYPE_NODE)

/* Called directly, the node appends what it gets: the scheduler does not
 * come here. */
static GPtrArray *
afn_accumulate_grad_backward (AfnNode *node, GPtrArray *grad_outputs, GError **error)
{
  AfnAccumulateGrad *self = AFN_ACCUMULATE_GRAD (node);

  if (self->variable != NULL && grad_outputs->len > 0)
    {
      GPtrArray *grads = g_ptr_array_index (grad_outputs, 0);
      afn_variable_append_grads_internal (self->variable, (AfnVariable **) grads->pdata, grads->len);
    }
  return g_ptr_array_new ();
}

static void
afn_accumulate_grad_class_init (AfnAccumulateGradClass *klass)
{
  AFN_NODE_CLASS (klass)->backward = afn_accumulate_grad_backward;
}

static void
afn_accumulate_grad_init (AfnAccumulateGrad *self)
{
  afn_node_set_accumulate_flag (AFN_NODE (self));
}

AfnNode *
afn_accumulate_grad_new (AfnVariable *variable)
{
  AfnAccumulateGrad *self = g_object_new (AFN_TYPE_ACCUMULATE_GRAD, NULL);

  self->variable = variable;
  return AFN_NODE (self);
}

void
afn_accumulate_grad_forget_variable (AfnNode *self)
{
  AFN_ACCUMULATE_GRAD (self)->variable = NULL;
}

/* The leaf of an AccumulateGrad node; NULL for any other node, or when the
 * leaf is gone. Transfer none. */
AfnVariable *
afn_node_get_variable (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), NULL);
  if (!AFN_IS_ACCUMULATE_GRAD (self))
    return NULL;
  return AFN_ACCUMULATE_GRAD (self)->variable;
}
