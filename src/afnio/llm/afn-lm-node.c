/* afn-lm-node.c: the base of nodes whose backward asks a language model.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "afn-lm-node.h"
#include "afn-backward-client.h"
#include "afn-llm-private.h"

typedef struct {
  AfnUsage forward_usage;
  AfnUsage backward_usage;
  guint    n_backward_requests;
} AfnLmNodePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (AfnLmNode, afn_lm_node, AFN_TYPE_NODE)

typedef struct {
  gboolean   wanted;
  char      *role;
  guint      list_length;
  GPtrArray *texts;     /* char*, one per planned element (scalar) or per list element */
} PlanInput;

typedef struct {
  guint k;
  guint i;
} PlanTarget;

struct _AfnLmPlan {
  GArray    *inputs;    /* PlanInput */
  GPtrArray *requests;  /* JsonArray */
  GArray    *targets;   /* PlanTarget, parallel to requests */
};

static void
plan_input_clear (gpointer data)
{
  PlanInput *input = data;

  g_free (input->role);
  g_clear_pointer (&input->texts, g_ptr_array_unref);
}

static AfnLmPlan *
plan_new (guint n_inputs)
{
  AfnLmPlan *plan = g_new0 (AfnLmPlan, 1);

  plan->inputs = g_array_new (FALSE, TRUE, sizeof (PlanInput));
  g_array_set_clear_func (plan->inputs, plan_input_clear);
  g_array_set_size (plan->inputs, n_inputs);
  plan->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_array_unref);
  plan->targets = g_array_new (FALSE, FALSE, sizeof (PlanTarget));
  return plan;
}

static void
plan_free (AfnLmPlan *plan)
{
  g_array_unref (plan->inputs);
  g_ptr_array_unref (plan->requests);
  g_array_unref (plan->targets);
  g_free (plan);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnLmPlan, plan_free)

void
afn_lm_plan_want (AfnLmPlan *plan, guint k, const char *role, guint list_length)
{
  PlanInput *input;

  g_return_if_fail (k < plan->inputs->len);
  input = &g_array_index (plan->inputs, PlanInput, k);
  input->wanted = TRUE;
  g_free (input->role);
  input->role = g_strdup (role);
  input->list_length = list_length;
  g_clear_pointer (&input->texts, g_ptr_array_unref);
  input->texts = g_ptr_array_new_with_free_func (g_free);
  if (list_length > 0)
    for (guint i = 0; i < list_length; i++)
      g_ptr_array_add (input->texts, g_strdup (""));
}

static void
plan_set_text (AfnLmPlan *plan, guint k, guint i, const char *text)
{
  PlanInput *input = &g_array_index (plan->inputs, PlanInput, k);

  if (input->list_length == 0)
    {
      /* Scalars collect one text per planned element, kept in plan order. */
      g_ptr_array_add (input->texts, g_strdup (text));
      return;
    }
  g_return_if_fail (i < input->list_length);
  g_free (g_ptr_array_index (input->texts, i));
  g_ptr_array_index (input->texts, i) = g_strdup (text);
}

void
afn_lm_plan_add (AfnLmPlan *plan, guint k, guint i, JsonArray *request, const char *text)
{
  PlanInput *input;
  PlanTarget target = { k, i };

  g_return_if_fail (k < plan->inputs->len);
  input = &g_array_index (plan->inputs, PlanInput, k);
  g_return_if_fail (input->wanted);
  if (request == NULL)
    {
      plan_set_text (plan, k, i, text != NULL ? text : "");
      return;
    }
  /* Reserve the slot now so that scalar gradients keep plan order. */
  if (input->list_length == 0)
    {
      target.i = input->texts->len;
      g_ptr_array_add (input->texts, g_strdup (""));
    }
  g_ptr_array_add (plan->requests, json_array_ref (request));
  g_array_append_val (plan->targets, target);
}

static GPtrArray *
plan_gradients (AfnLmNode *self, AfnLmPlan *plan)
{
  GPtrArray *result = afn_node_new_result (AFN_NODE (self));

  for (guint k = 0; k < plan->inputs->len && k < result->len; k++)
    {
      PlanInput *input = &g_array_index (plan->inputs, PlanInput, k);
      gboolean any = FALSE;

      if (!input->wanted)
        continue;
      if (input->list_length > 0)
        {
          afn_node_result_add_take (result, k, afn_llm_feedback_new_list (input->role, input->texts));
          continue;
        }
      for (guint t = 0; t < input->texts->len; t++)
        if (*(char *) g_ptr_array_index (input->texts, t) != '\0')
          {
            afn_node_result_add_take (result, k, afn_llm_feedback_new (input->role, g_ptr_array_index (input->texts, t)));
            any = TRUE;
          }
      if (!any)
        afn_node_result_add_take (result, k, afn_llm_feedback_new (input->role, ""));
    }
  return result;
}

static void
plan_store_replies (AfnLmPlan *plan, GPtrArray *replies)
{
  for (guint r = 0; r < replies->len; r++)
    {
      PlanTarget *target = &g_array_index (plan->targets, PlanTarget, r);
      PlanInput *input = &g_array_index (plan->inputs, PlanInput, target->k);
      const char *text = afn_chat_reply_get_text (g_ptr_array_index (replies, r));

      g_free (g_ptr_array_index (input->texts, target->i));
      g_ptr_array_index (input->texts, target->i) = g_strdup (text != NULL ? text : "");
    }
}

static void
chat_many_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AfnLmNode *self = g_task_get_source_object (task);
  AfnLmNodePrivate *priv = afn_lm_node_get_instance_private (self);
  AfnLmPlan *plan = g_task_get_task_data (task);
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(GError) error = NULL;
  AfnUsage usage = { 0 };

  replies = afn_llm_chat_many_finish (result, &usage, &error);
  if (replies == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  afn_usage_add (&priv->backward_usage, &usage);
  plan_store_replies (plan, replies);
  g_task_return_pointer (task, plan_gradients (self, plan), (GDestroyNotify) g_ptr_array_unref);
}

static void
afn_lm_node_backward_async (AfnNode *node, GPtrArray *grad_outputs, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  AfnLmNode *self = AFN_LM_NODE (node);
  AfnLmNodePrivate *priv = afn_lm_node_get_instance_private (self);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(AfnLmPlan) plan = plan_new (afn_node_get_n_next_functions (node));
  g_autoptr(AfnModelClient) client = NULL;
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;

  g_task_set_source_tag (task, afn_lm_node_backward_async);
  if (!AFN_LM_NODE_GET_CLASS (self)->plan (self, grad_outputs, plan, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (plan->requests->len == 0)
    {
      g_task_return_pointer (task, plan_gradients (self, plan), (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  client = afn_get_backward_model_client (&error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  args = afn_get_backward_completion_args ();
  priv->n_backward_requests += plan->requests->len;
  g_task_set_task_data (task, plan, (GDestroyNotify) plan_free);
  afn_llm_chat_many_async (client, plan->requests, args, cancellable,
                           chat_many_cb, g_object_ref (task));
  plan = NULL;
}

static GPtrArray *
afn_lm_node_backward_finish (AfnNode *node, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GPtrArray *
afn_lm_node_backward (AfnNode *node, GPtrArray *grad_outputs, GError **error)
{
  g_set_error (error, AFN_ERROR, AFN_ERROR_FAILED,
               _("%s needs a language model: run its backward asynchronously"),
               afn_node_get_name (node));
  return NULL;
}

static void
afn_lm_node_class_init (AfnLmNodeClass *klass)
{
  AfnNodeClass *node_class = AFN_NODE_CLASS (klass);

  node_class->backward = afn_lm_node_backward;
  node_class->backward_async = afn_lm_node_backward_async;
  node_class->backward_finish = afn_lm_node_backward_finish;
}

static void
afn_lm_node_init (AfnLmNode *self)
{
}

void
afn_lm_node_get_forward_usage (AfnLmNode *self, AfnUsage *usage)
{
  AfnLmNodePrivate *priv = afn_lm_node_get_instance_private (self);

  *usage = priv->forward_usage;
}

void
afn_lm_node_get_backward_usage (AfnLmNode *self, AfnUsage *usage)
{
  AfnLmNodePrivate *priv = afn_lm_node_get_instance_private (self);

  *usage = priv->backward_usage;
}

guint
afn_lm_node_get_n_backward_requests (AfnLmNode *self)
{
  AfnLmNodePrivate *priv = afn_lm_node_get_instance_private (self);

  return priv->n_backward_requests;
}

void
afn_lm_node_set_forward_usage (AfnLmNode *self, const AfnUsage *usage)
{
  AfnLmNodePrivate *priv = afn_lm_node_get_instance_private (self);

  priv->forward_usage = *usage;
}
