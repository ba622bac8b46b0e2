/* afn-chat-completion.c: chat_completion and its ChatCompletionBackward0.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "afn-chat-completion.h"
#include "afn-lm-node.h"
#include "afn-lm-prompts.h"
#include "afn-llm-private.h"

/* ChatCompletionBackward0: keeps what was sent and answered, per batch
 * element, and a snapshot of each input, so that the backward prompt shows
 * exactly the forward's conversation even if a Variable changed since. */
#define AFN_TYPE_CHAT_COMPLETION_BACKWARD (afn_chat_completion_backward_get_type ())
G_DECLARE_FINAL_TYPE (AfnChatCompletionBackward, afn_chat_completion_backward,
                      AFN, CHAT_COMPLETION_BACKWARD, AfnLmNode)

struct _AfnChatCompletionBackward
{
  AfnLmNode  parent_instance;
  guint      batch;          /* 0 for a scalar call */
  GPtrArray *conversations;  /* JsonArray per element */
  GPtrArray *answers;        /* char* per element */
  GArray    *inputs;         /* AfnLlmSavedInput per next_function */
};

G_DEFINE_FINAL_TYPE (AfnChatCompletionBackward, afn_chat_completion_backward, AFN_TYPE_LM_NODE)

static JsonArray *
backward_request (AfnChatCompletionBackward *self, AfnLlmSavedInput *input, guint i, const char *feedback)
{
  return afn_llm_input_backward_request (input, i, g_ptr_array_index (self->conversations, i),
                                         g_ptr_array_index (self->answers, i), feedback);
}

static void
plan_input (AfnChatCompletionBackward *self, AfnLmPlan *plan, guint k, GPtrArray *grads)
{
  AfnLlmSavedInput *input = &g_array_index (self->inputs, AfnLlmSavedInput, k);
  gboolean is_list = afn_value_kind (input->data) == AFN_VALUE_LIST;
  guint n = MAX (self->batch, 1);

  afn_lm_plan_want (plan, k, input->role, is_list ? self->batch : 0);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *feedback = NULL;
      g_autoptr(JsonArray) request = NULL;

      if (input->only_element >= 0 && (guint) input->only_element != i)
        continue;
      feedback = afn_llm_join_feedback (grads, i);
      /* A sample whose answer got no feedback (it succeeded) costs nothing. */
      if (*feedback != '\0')
        request = backward_request (self, input, i, feedback);
      afn_lm_plan_add (plan, k, i, request, "");
    }
}

static gboolean
afn_chat_completion_backward_plan (AfnLmNode *node, GPtrArray *grad_outputs,
                                   AfnLmPlan *plan, GError **error)
{
  AfnChatCompletionBackward *self = AFN_CHAT_COMPLETION_BACKWARD (node);
  GPtrArray *grads = grad_outputs != NULL && grad_outputs->len > 0
    ? g_ptr_array_index (grad_outputs, 0) : NULL;

  if (afn_node_is_released (AFN_NODE (self)) || self->conversations == NULL)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED,
                           _("Trying to backward through ChatCompletionBackward0 a second time: "
                             "its saved values were freed; pass retain_graph=True to the first backward"));
      return FALSE;
    }
  for (guint k = 0; k < self->inputs->len; k++)
    if (afn_node_get_next_function (AFN_NODE (self), k, NULL) != NULL)
      plan_input (self, plan, k, grads);
  return TRUE;
}

static void
afn_chat_completion_backward_release_saved (AfnNode *node)
{
  AfnChatCompletionBackward *self = AFN_CHAT_COMPLETION_BACKWARD (node);

  g_clear_pointer (&self->conversations, g_ptr_array_unref);
  g_clear_pointer (&self->answers, g_ptr_array_unref);
}

static void
afn_chat_completion_backward_finalize (GObject *object)
{
  AfnChatCompletionBackward *self = AFN_CHAT_COMPLETION_BACKWARD (object);

  g_clear_pointer (&self->conversations, g_ptr_array_unref);
  g_clear_pointer (&self->answers, g_ptr_array_unref);
  g_clear_pointer (&self->inputs, g_array_unref);
  G_OBJECT_CLASS (afn_chat_completion_backward_parent_class)->finalize (object);
}

static void
afn_chat_completion_backward_class_init (AfnChatCompletionBackwardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afn_chat_completion_backward_finalize;
  AFN_NODE_CLASS (klass)->release_saved = afn_chat_completion_backward_release_saved;
  AFN_LM_NODE_CLASS (klass)->plan = afn_chat_completion_backward_plan;
}

static void
afn_chat_completion_backward_init (AfnChatCompletionBackward *self)
{
  afn_node_set_name (AFN_NODE (self), "ChatCompletionBackward0");
  self->inputs = afn_llm_saved_inputs_new ();
}

/* The forward call. */
typedef struct {
  GPtrArray *vars;           /* the node's inputs, in order */
  GArray    *only_element;   /* gint per var */
  GPtrArray *conversations;  /* JsonArray per element */
  guint      batch;
  gboolean   record;
  AfnUsage   usage;
} ChatCall;

static void
chat_call_free (gpointer data)
{
  ChatCall *call = data;

  g_clear_pointer (&call->vars, g_ptr_array_unref);
  g_clear_pointer (&call->only_element, g_array_unref);
  g_clear_pointer (&call->conversations, g_ptr_array_unref);
  g_free (call);
}

static GArray *
only_elements (GPtrArray *messages, AfnChatInputs *inputs)
{
  GArray *only = g_array_new (FALSE, FALSE, sizeof (gint));
  gint none = -1;

  for (guint m = 0; m < messages->len; m++)
    for (guint k = 0; k < afn_chat_message_get_content (g_ptr_array_index (messages, m))->len; k++)
      g_array_append_val (only, none);
  for (guint e = 0; inputs != NULL && e < afn_chat_inputs_get_n_items (inputs); e++)
    {
      GPtrArray *values = afn_chat_inputs_get_values (inputs, e);
      gboolean is_list = afn_chat_inputs_is_variable_list (inputs, e);

      for (guint k = 0; k < values->len; k++)
        {
          gint element = is_list ? (gint) k : -1;

          g_array_append_val (only, element);
        }
    }
  return only;
}

static AfnValue *
answers_value (GPtrArray *replies, guint batch)
{
  AfnValue *list;

  if (batch == 0)
    return afn_value_new_str (afn_chat_reply_get_text (g_ptr_array_index (replies, 0)), -1);
  list = afn_value_new_list ();
  for (guint i = 0; i < replies->len; i++)
    afn_value_append_take (list, afn_value_new_str (afn_chat_reply_get_text (g_ptr_array_index (replies, i)), -1));
  return list;
}

static void
record_node (ChatCall *call, GPtrArray *replies, AfnVariable *output)
{
  g_autoptr(AfnChatCompletionBackward) node = g_object_new (AFN_TYPE_CHAT_COMPLETION_BACKWARD, NULL);

  node->batch = call->batch;
  node->conversations = g_ptr_array_ref (call->conversations);
  node->answers = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < replies->len; i++)
    g_ptr_array_add (node->answers, g_strdup (afn_chat_reply_get_text (g_ptr_array_index (replies, i))));
  afn_llm_saved_inputs_add (node->inputs, call->vars, call->only_element);
  afn_lm_node_set_forward_usage (AFN_LM_NODE (node), &call->usage);
  afn_node_record (AFN_NODE (node), (AfnVariable **) call->vars->pdata, call->vars->len, &output, 1);
}

static void
chat_many_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  ChatCall *call = g_task_get_task_data (task);
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(AfnValue) data = NULL;
  g_autoptr(AfnVariable) output = NULL;
  GError *error = NULL;

  replies = afn_llm_chat_many_finish (result, &call->usage, &error);
  if (replies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  data = answers_value (replies, call->batch);
  output = afn_variable_new (data, AFN_CHAT_COMPLETION_OUTPUT_ROLE, FALSE, &error);
  if (output == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (call->record)
    record_node (call, replies, output);
  g_task_return_pointer (task, g_steal_pointer (&output), g_object_unref);
}

static gboolean
prepare_call (ChatCall *call, GPtrArray *messages, AfnChatInputs *inputs, GError **error)
{
  if (messages == NULL || messages->len == 0)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                           _("chat_completion needs at least one message"));
      return FALSE;
    }
  if (!afn_chat_template_batch_size (messages, inputs, &call->batch, error))
    return FALSE;
  call->vars = afn_chat_template_variables (messages, inputs);
  call->only_element = only_elements (messages, inputs);
  call->record = afn_node_should_record ((AfnVariable **) call->vars->pdata, call->vars->len);
  call->conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) json_array_unref);
  for (guint i = 0; i < MAX (call->batch, 1); i++)
    {
      JsonArray *conversation = afn_chat_template_render (messages, inputs, i, error);

      if (conversation == NULL)
        return FALSE;
      g_ptr_array_add (call->conversations, conversation);
    }
  return TRUE;
}

void
afn_chat_completion_async (AfnModelClient *client, GPtrArray *messages,
                           AfnChatInputs *inputs, JsonObject *completion_args,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) args = NULL;
  ChatCall *call;
  GError *error = NULL;

  g_return_if_fail (AFN_IS_MODEL_CLIENT (client));
  task = g_task_new (NULL, cancellable, callback, user_data);
  call = g_new0 (ChatCall, 1);
  args = afn_llm_json_object_copy (completion_args);
  g_task_set_source_tag (task, afn_chat_completion_async);
  g_task_set_task_data (task, call, chat_call_free);
  if (!prepare_call (call, messages, inputs, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  afn_llm_chat_many_async (client, call->conversations, args, cancellable,
                           chat_many_cb, g_object_ref (task));
}

AfnVariable *
afn_chat_completion_finish (GAsyncResult *result, AfnUsage *usage, GError **error)
{
  ChatCall *call = g_task_get_task_data (G_TASK (result));

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  if (usage != NULL)
    *usage = call->usage;
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  AfnModelClient *client;
  GPtrArray      *messages;
  AfnChatInputs  *inputs;
  JsonObject     *args;
} SyncArgs;

static void
start_sync (gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  SyncArgs *a = data;

  afn_chat_completion_async (a->client, a->messages, a->inputs, a->args, cancellable, callback, user_data);
}

AfnVariable *
afn_chat_completion (AfnModelClient *client, GPtrArray *messages,
                     AfnChatInputs *inputs, JsonObject *completion_args,
                     AfnUsage *usage, GCancellable *cancellable, GError **error)
{
  SyncArgs args = { client, messages, inputs, completion_args };
  g_autoptr(GAsyncResult) result = afn_llm_run_sync (start_sync, &args, cancellable);

  return afn_chat_completion_finish (result, usage, error);
}
