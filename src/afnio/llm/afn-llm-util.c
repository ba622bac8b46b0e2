/* afn-llm-util.c: helpers shared by the language-model ops and TGD.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "afn-llm-private.h"
#include "afn-lm-prompts.h"

char *
afn_llm_element_text (AfnVariable *variable, guint i)
{
  AfnValue *data = afn_variable_get_data (variable);

  if (data == NULL)
    return g_strdup ("");
  if (afn_value_kind (data) == AFN_VALUE_LIST)
    {
      if (i >= afn_value_n_items (data))
        return g_strdup ("");
      return afn_value_to_text (afn_value_get_item (data, i));
    }
  return afn_value_to_text (data);
}

guint
afn_llm_list_length (AfnVariable *variable)
{
  AfnValue *data = afn_variable_get_data (variable);

  if (data == NULL || afn_value_kind (data) != AFN_VALUE_LIST)
    return 0;
  return afn_value_n_items (data);
}

static gsize
identifier_length (const char *s)
{
  gsize n = 0;

  if (!(g_ascii_isalpha (s[0]) || s[0] == '_'))
    return 0;
  while (g_ascii_isalnum (s[n]) || s[n] == '_')
    n++;
  return n;
}

char *
afn_llm_fill_placeholders (const char *template, GHashTable *values,
                           gboolean strict, const char *where, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = template;

  while (*p != '\0')
    {
      gsize len;

      if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
        {
          g_string_append_c (out, p[0]);
          p += 2;
          continue;
        }
      if (p[0] != '{' || (len = identifier_length (p + 1)) == 0 || p[1 + len] != '}')
        {
          g_string_append_c (out, *p++);
          continue;
        }

      g_autofree char *name = g_strndup (p + 1, len);
      const char *value = values != NULL ? g_hash_table_lookup (values, name) : NULL;

      if (value == NULL && strict)
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                       _("Placeholder “{%s}” in %s has no input of that name"), name, where);
          return NULL;
        }
      if (value != NULL)
        g_string_append (out, value);
      else
        g_string_append_len (out, p, len + 2);
      p += len + 2;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

JsonObject *
afn_llm_message_new (const char *role, const char *content)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", role);
  json_object_set_string_member (message, "content", content);
  return message;
}

JsonArray *
afn_llm_request_new (const char *system, const char *user)
{
  JsonArray *request = json_array_new ();

  json_array_add_object_element (request, afn_llm_message_new ("system", system));
  json_array_add_object_element (request, afn_llm_message_new ("user", user));
  return request;
}

char *
afn_llm_render_conversation (JsonArray *messages)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);

      g_string_append_printf (out, "<MESSAGE role=\"%s\">%s</MESSAGE>\n",
                              json_object_get_string_member_with_default (m, "role", ""),
                              json_object_get_string_member_with_default (m, "content", ""));
    }
  return g_string_free (out, FALSE);
}

JsonObject *
afn_llm_json_object_copy (JsonObject *object)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) copy = NULL;

  if (object == NULL)
    return json_object_new ();
  node = json_node_init_object (json_node_alloc (), object);
  copy = json_node_copy (node);
  return json_object_ref (json_node_get_object (copy));
}

/* The state of one afn_llm_chat_many_async() call. */
typedef struct {
  AfnModelClient *client;
  GPtrArray      *replies;      /* AfnChatReply or NULL, by request index */
  GCancellable   *cancellable;  /* ours, cancelled on the first failure */
  gulong          chained_id;
  GCancellable   *outer;
  guint           pending;
  GError         *error;
} ChatMany;

typedef struct {
  GTask *task;
  guint  index;
} ChatManyCall;

static void
reply_unref0 (gpointer reply)
{
  if (reply != NULL)
    afn_chat_reply_unref (reply);
}

static void
chat_many_free (gpointer data)
{
  ChatMany *many = data;

  if (many->outer != NULL)
    g_cancellable_disconnect (many->outer, many->chained_id);
  g_clear_object (&many->outer);
  g_clear_object (&many->cancellable);
  g_clear_object (&many->client);
  g_clear_pointer (&many->replies, g_ptr_array_unref);
  g_clear_error (&many->error);
  g_free (many);
}

static void
outer_cancelled_cb (GCancellable *outer, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
chat_many_done (GTask *task)
{
  ChatMany *many = g_task_get_task_data (task);

  if (many->error != NULL)
    g_task_return_error (task, g_steal_pointer (&many->error));
  else
    g_task_return_pointer (task, g_ptr_array_ref (many->replies),
                           (GDestroyNotify) g_ptr_array_unref);
}

static void
chat_one_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ChatManyCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  ChatMany *many = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  AfnChatReply *reply;

  reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &error);
  if (reply != NULL)
    g_ptr_array_index (many->replies, call->index) = reply;
  else if (many->error == NULL)
    {
      /* Keep the first real failure, not the cancellations it causes. */
      many->error = g_steal_pointer (&error);
      g_cancellable_cancel (many->cancellable);
    }
  g_free (call);
  if (--many->pending == 0)
    chat_many_done (task);
}

void
afn_llm_chat_many_async (AfnModelClient *client, GPtrArray *requests,
                         JsonObject *args, GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ChatMany *many = g_new0 (ChatMany, 1);

  g_task_set_source_tag (task, afn_llm_chat_many_async);
  many->client = g_object_ref (client);
  many->replies = g_ptr_array_new_full (requests->len, reply_unref0);
  g_ptr_array_set_size (many->replies, requests->len);
  many->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      many->outer = g_object_ref (cancellable);
      many->chained_id = g_cancellable_connect (cancellable, G_CALLBACK (outer_cancelled_cb),
                                                many->cancellable, NULL);
    }
  many->pending = requests->len;
  g_task_set_task_data (task, many, chat_many_free);

  if (requests->len == 0)
    {
      chat_many_done (task);
      return;
    }
  for (guint i = 0; i < requests->len; i++)
    {
      ChatManyCall *call = g_new0 (ChatManyCall, 1);

      call->task = g_object_ref (task);
      call->index = i;
      afn_model_client_chat_async (client, g_ptr_array_index (requests, i), args,
                                   many->cancellable, chat_one_cb, call);
    }
}

GPtrArray *
afn_llm_chat_many_finish (GAsyncResult *result, AfnUsage *usage, GError **error)
{
  GPtrArray *replies;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  replies = g_task_propagate_pointer (G_TASK (result), error);
  if (replies != NULL && usage != NULL)
    for (guint i = 0; i < replies->len; i++)
      afn_usage_add (usage, afn_chat_reply_get_usage (g_ptr_array_index (replies, i)));
  return replies;
}

static void
run_sync_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

GAsyncResult *
afn_llm_run_sync (AfnLlmStartFunc start, gpointer data, GCancellable *cancellable)
{
  /* Model clients belong to the context they were made in, so the wait
   * runs that (the thread-default) context rather than a private one. */
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  GAsyncResult *result = NULL;

  start (data, cancellable, run_sync_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  return result;
}

static void
saved_input_clear (gpointer data)
{
  AfnLlmSavedInput *input = data;

  g_free (input->role);
  g_clear_pointer (&input->data, afn_value_unref);
}

GArray *
afn_llm_saved_inputs_new (void)
{
  GArray *inputs = g_array_new (FALSE, TRUE, sizeof (AfnLlmSavedInput));

  g_array_set_clear_func (inputs, saved_input_clear);
  return inputs;
}

void
afn_llm_saved_inputs_add (GArray *inputs, GPtrArray *vars, GArray *only_element)
{
  for (guint k = 0; k < vars->len; k++)
    {
      AfnVariable *v = g_ptr_array_index (vars, k);
      AfnLlmSavedInput input = {
        g_strdup (afn_variable_get_role (v)),
        afn_value_deep_copy (afn_variable_get_data (v)),
        g_array_index (only_element, gint, k),
      };

      g_array_append_val (inputs, input);
    }
}

char *
afn_llm_saved_input_text (AfnLlmSavedInput *input, guint i)
{
  if (afn_value_kind (input->data) == AFN_VALUE_LIST)
    return i < afn_value_n_items (input->data)
      ? afn_value_to_text (afn_value_get_item (input->data, i)) : g_strdup ("");
  return afn_value_to_text (input->data);
}

JsonArray *
afn_llm_input_backward_request (AfnLlmSavedInput *input, guint i,
                                JsonArray *conversation, const char *answer,
                                const char *feedback)
{
  g_autofree char *variable = afn_llm_saved_input_text (input, i);
  g_autofree char *rendered = afn_llm_render_conversation (conversation);
  g_autofree char *user = afn_lm_prompt_fill (afn_prompt_backward_user,
                                              "role", input->role,
                                              "variable", variable,
                                              "conversation", rendered,
                                              "answer", answer,
                                              "feedback", feedback,
                                              NULL);

  return afn_llm_request_new (afn_prompt_backward_system, user);
}

AfnVariable *
afn_llm_feedback_new (const char *role, const char *text)
{
  g_autofree char *grad_role = g_strdup_printf ("feedback to %s", role != NULL ? role : "");

  return afn_variable_new_str (text, grad_role, FALSE);
}

AfnVariable *
afn_llm_feedback_new_list (const char *role, GPtrArray *texts)
{
  g_autofree char *grad_role = g_strdup_printf ("feedback to %s", role != NULL ? role : "");
  g_autoptr(AfnValue) list = afn_value_new_list ();

  for (guint i = 0; i < texts->len; i++)
    afn_value_append_take (list, afn_value_new_str (g_ptr_array_index (texts, i), -1));
  return afn_variable_new (list, grad_role, FALSE, NULL);
}

char *
afn_llm_join_feedback (GPtrArray *grads, guint i)
{
  GString *out = g_string_new (NULL);

  for (guint k = 0; grads != NULL && k < grads->len; k++)
    {
      g_autofree char *text = afn_llm_element_text (g_ptr_array_index (grads, k), i);

      if (*text == '\0')
        continue;
      if (out->len > 0)
        g_string_append (out, "\n\n");
      g_string_append (out, text);
    }
  return g_string_free (out, FALSE);
}

char *
afn_llm_format_number (double value, gboolean integral)
{
  g_autoptr(AfnValue) v = integral ? afn_value_new_int ((gint64) value) : afn_value_new_float (value);

  return afn_value_to_repr (v);
}
