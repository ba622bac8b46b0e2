/* afs-run-ops.c: maps node kinds to engine ops.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "afs-run-ops.h"

typedef struct {
  GHashTable *outputs;
  AfnUsage    usage;
} OpResult;

static void
op_result_free (gpointer data)
{
  OpResult *r = data;

  g_clear_pointer (&r->outputs, g_hash_table_unref);
  g_free (r);
}

static GHashTable *
outputs_new (void)
{
  return g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_object_unref);
}

static void
outputs_add (GHashTable *outputs, const char *port, AfnVariable *var)
{
  g_hash_table_insert (outputs, (gpointer) g_intern_string (port), var);
}

/* ---- settings -> values ---- */

static AfnValue *
json_scalar_value (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING: return afn_value_new_str (json_node_get_string (node), -1);
    case G_TYPE_INT64: return afn_value_new_int (json_node_get_int (node));
    case G_TYPE_DOUBLE: return afn_value_new_float (json_node_get_double (node));
    case G_TYPE_BOOLEAN: return afn_value_new_bool (json_node_get_boolean (node));
    default: return NULL;
    }
}

AfnValue *
afs_run_setting_to_value (JsonNode *node)
{
  AfnValue *value;

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      AfnValue *list = afn_value_new_list ();

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          AfnValue *item = json_scalar_value (json_array_get_element (array, i));
          if (item != NULL)
            afn_value_append_take (list, item);
        }
      return list;
    }
  value = json_scalar_value (node);
  return value != NULL ? value : afn_value_new_str ("", 0);
}

char *
afs_run_model_name (const char *model_path)
{
  const char *slash;

  if (model_path == NULL)
    return NULL;
  slash = strchr (model_path, '/');
  return g_strdup (slash != NULL ? slash + 1 : model_path);
}

static const char *
role_of (AfsGraphNode *node)
{
  return afs_graph_node_get_string (node, "role", "");
}

AfnVariable *
afs_run_new_data_variable (AfsGraphNode *node, GError **error)
{
  JsonObject *settings = afs_graph_node_get_settings (node);
  g_autoptr(AfnValue) data = afs_run_setting_to_value (json_object_get_member (settings, "data"));
  gboolean is_param = g_str_equal (afs_node_kind_get_id (afs_graph_node_get_kind (node)), "parameter");
  gboolean requires_grad = afs_graph_node_get_boolean (node, "requires_grad", is_param);

  if (is_param)
    return AFN_VARIABLE (afn_parameter_new (data, role_of (node), requires_grad, error));
  return afn_variable_new (data, role_of (node), requires_grad, error);
}

gboolean
afs_run_update_data_variable (AfnVariable *var, AfsGraphNode *node)
{
  JsonObject *settings = afs_graph_node_get_settings (node);
  g_autoptr(AfnValue) data = afs_run_setting_to_value (json_object_get_member (settings, "data"));
  gboolean is_param = AFN_IS_PARAMETER (var);
  gboolean requires_grad = afs_graph_node_get_boolean (node, "requires_grad", is_param);

  if (is_param != g_str_equal (afs_node_kind_get_id (afs_graph_node_get_kind (node)), "parameter"))
    return FALSE;
  if (!afn_value_equal (afn_variable_get_data (var), data) &&
      !afn_variable_set_data (var, data, NULL))
    return FALSE;
  if (g_strcmp0 (afn_variable_get_role (var), role_of (node)) != 0)
    afn_variable_set_role (var, role_of (node));
  if (afn_variable_get_requires_grad (var) != requires_grad &&
      !afn_variable_requires_grad_ (var, requires_grad, NULL))
    return FALSE;
  return TRUE;
}

/* ---- inputs ---- */

static AfnVariable *
input (GHashTable *inputs, const char *port)
{
  GPtrArray *list = g_hash_table_lookup (inputs, g_intern_string (port));
  return list != NULL && list->len > 0 ? g_ptr_array_index (list, 0) : NULL;
}

static gboolean
require_inputs (AfsGraphNode *node, GHashTable *inputs, const char * const *skip, GError **error)
{
  GPtrArray *ports = afs_graph_node_get_inputs (node);

  for (guint i = 0; i < ports->len; i++)
    {
      AfsPort *port = g_ptr_array_index (ports, i);
      if (skip != NULL && g_strv_contains (skip, port->name))
        continue;
      if (input (inputs, port->name) == NULL)
        {
          g_set_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_FAILED,
                       _("Input “%s” is not connected."), port->label);
          return FALSE;
        }
    }
  return TRUE;
}

static const char *
opt_string (AfsGraphNode *node, const char *key)
{
  const char *s = afs_graph_node_get_string (node, key, NULL);
  return s != NULL && *s != '\0' ? s : NULL;
}

/* The document model's default names, in the engine's spelling. */
static const char *
success_fn (AfsGraphNode *node)
{
  const char *s = opt_string (node, "success_fn");
  return g_strcmp0 (s, "all_equal_one") == 0 ? "score==1" : s;
}

static const char *
eval_fn (AfsGraphNode *node)
{
  const char *s = afs_graph_node_get_string (node, "eval_fn", "exact");
  return g_strcmp0 (s, "exact_match") == 0 || *s == '\0' ? "exact" : s;
}

/* The node's messages as AfnChatMessages; @prompt (nullable) first, as the
 * system message. */
static GPtrArray *
build_messages (AfsGraphNode *node, AfnVariable *prompt)
{
  JsonObject *settings = afs_graph_node_get_settings (node);
  GPtrArray *messages = afn_chat_messages_new ();
  JsonArray *array = NULL;

  if (prompt != NULL)
    g_ptr_array_add (messages, afn_chat_message_new ("system", prompt, NULL));
  if (json_object_has_member (settings, "messages") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (settings, "messages")))
    array = json_object_get_array_member (settings, "messages");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *m = json_array_get_object_element (array, i);
      g_autoptr(AfnVariable) content = NULL;

      if (m == NULL)
        continue;
      content = afn_variable_new_str (json_object_get_string_member_with_default (m, "content", ""),
                                      NULL, FALSE);
      g_ptr_array_add (messages,
                       afn_chat_message_new (json_object_get_string_member_with_default (m, "role", "user"),
                                             content, NULL));
    }
  return messages;
}

/* Every input but @skip as a {placeholder} value. */
static AfnChatInputs *
build_inputs (AfsGraphNode *node, GHashTable *inputs, const char * const *skip)
{
  AfnChatInputs *chat_inputs = afn_chat_inputs_new ();
  GPtrArray *ports = afs_graph_node_get_inputs (node);

  for (guint i = 0; i < ports->len; i++)
    {
      AfsPort *port = g_ptr_array_index (ports, i);
      AfnVariable *var = input (inputs, port->name);

      if (var != NULL && !g_strv_contains (skip, port->name))
        afn_chat_inputs_add (chat_inputs, port->name, var);
    }
  return chat_inputs;
}

static JsonObject *
completion_args (AfsGraphNode *node, const char *default_model)
{
  JsonObject *args = json_object_new ();
  JsonObject *settings = afs_graph_node_get_settings (node);
  const char *model = opt_string (node, "model");
  g_autofree char *name = afs_run_model_name (model != NULL ? model : default_model);

  if (name != NULL && *name != '\0')
    json_object_set_string_member (args, "model", name);
  if (json_object_has_member (settings, "temperature"))
    json_object_set_double_member (args, "temperature",
                                   json_object_get_double_member (settings, "temperature"));
  return args;
}

/* ---- sync ops ---- */

static GHashTable *
run_sync (AfsGraphNode *node, GHashTable *inputs, GError **error)
{
  const char *kind = afs_node_kind_get_id (afs_graph_node_get_kind (node));
  g_autoptr(GHashTable) outputs = outputs_new ();

  if (!require_inputs (node, inputs, NULL, error))
    return NULL;
  if (g_str_equal (kind, "add"))
    {
      AfnVariable *out = afn_add (input (inputs, "x"), input (inputs, "y"), error);
      if (out == NULL)
        return NULL;
      outputs_add (outputs, "output", out);
    }
  else if (g_str_equal (kind, "sum"))
    {
      AfnVariable *out = afn_sum (g_hash_table_lookup (inputs, g_intern_string ("xs")), error);
      if (out == NULL)
        return NULL;
      outputs_add (outputs, "output", out);
    }
  else if (g_str_equal (kind, "split"))
    {
      JsonObject *s = afs_graph_node_get_settings (node);
      const char *sep = json_object_has_member (s, "sep") && !json_object_get_null_member (s, "sep")
                        ? json_object_get_string_member (s, "sep") : NULL;
      gint64 maxsplit = json_object_get_int_member_with_default (s, "maxsplit", -1);
      g_autoptr(GPtrArray) parts = afn_split (input (inputs, "x"), sep, (gint) CLAMP (maxsplit, -1, G_MAXINT), error);
      GPtrArray *ports = afs_graph_node_get_outputs (node);

      if (parts == NULL)
        return NULL;
      /* Ports past the parts the text has stay empty: their consumers fail. */
      for (guint i = 0; i < ports->len && i < parts->len; i++)
        outputs_add (outputs, ((AfsPort *) g_ptr_array_index (ports, i))->name,
                     g_object_ref (g_ptr_array_index (parts, i)));
    }
  else if (g_str_equal (kind, "exact_match_evaluator") || g_str_equal (kind, "deterministic_evaluator"))
    {
      AfnVariable *score = NULL, *explanation = NULL;
      gboolean ok;

      if (g_str_equal (kind, "exact_match_evaluator"))
        ok = afn_exact_match_evaluator (input (inputs, "prediction"), input (inputs, "target"),
                                        opt_string (node, "reduction"), opt_string (node, "reduction_purpose"),
                                        &score, &explanation, error);
      else
        ok = afn_deterministic_evaluator (input (inputs, "prediction"), input (inputs, "target"),
                                          eval_fn (node),
                                          opt_string (node, "eval_fn_purpose"),
                                          success_fn (node),
                                          opt_string (node, "reduction"), opt_string (node, "reduction_purpose"),
                                          &score, &explanation, error);
      if (!ok)
        return NULL;
      outputs_add (outputs, "score", score);
      outputs_add (outputs, "explanation", explanation);
    }
  else
    {
      g_set_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_FAILED,
                   _("Nodes of kind “%s” cannot be run."), kind);
      return NULL;
    }
  return g_steal_pointer (&outputs);
}

/* ---- language-model ops ---- */

static void
chat_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  OpResult *r = g_new0 (OpResult, 1);
  GError *error = NULL;
  AfnVariable *out = afn_chat_completion_finish (result, &r->usage, &error);

  if (out == NULL)
    {
      op_result_free (r);
      g_task_return_error (task, error);
      return;
    }
  r->outputs = outputs_new ();
  outputs_add (r->outputs, "output", out);
  g_task_return_pointer (task, r, op_result_free);
}

static void
judge_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  OpResult *r = g_new0 (OpResult, 1);
  GError *error = NULL;
  AfnVariable *score = NULL, *explanation = NULL;

  if (!afn_lm_judge_evaluator_finish (result, &score, &explanation, &r->usage, &error))
    {
      op_result_free (r);
      g_task_return_error (task, error);
      return;
    }
  r->outputs = outputs_new ();
  outputs_add (r->outputs, "score", score);
  outputs_add (r->outputs, "explanation", explanation);
  g_task_return_pointer (task, r, op_result_free);
}

gboolean
afs_run_kind_is_lm (AfsNodeKind *kind)
{
  const char *id = afs_node_kind_get_id (kind);
  return g_str_equal (id, "chat_completion") || g_str_equal (id, "lm_judge_evaluator");
}

void
afs_run_op_async (AfsGraphNode       *node,
                  GHashTable         *inputs,
                  AfnModelClient     *client,
                  const char         *default_model,
                  GCancellable       *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer            user_data)
{
  static const char * const chat_skip[] = { "prompt", NULL };
  static const char * const judge_skip[] = { "prediction", "target", NULL };
  const char *kind = afs_node_kind_get_id (afs_graph_node_get_kind (node));
  g_autoptr(GTask) task = g_task_new (node, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, afs_run_op_async);
  if (g_str_equal (kind, "chat_completion"))
    {
      g_autoptr(GPtrArray) messages = NULL;
      g_autoptr(AfnChatInputs) chat_inputs = NULL;
      g_autoptr(JsonObject) args = NULL;

      if (!require_inputs (node, inputs, chat_skip, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      messages = build_messages (node, input (inputs, "prompt"));
      chat_inputs = build_inputs (node, inputs, chat_skip);
      args = completion_args (node, default_model);
      afn_chat_completion_async (client, messages, chat_inputs, args, cancellable,
                                 chat_done_cb, g_steal_pointer (&task));
    }
  else if (g_str_equal (kind, "lm_judge_evaluator"))
    {
      g_autoptr(GPtrArray) messages = NULL;
      g_autoptr(AfnChatInputs) chat_inputs = NULL;
      g_autoptr(JsonObject) args = NULL;

      if (!require_inputs (node, inputs, NULL, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      messages = build_messages (node, NULL);
      chat_inputs = build_inputs (node, inputs, judge_skip);
      args = completion_args (node, default_model);
      afn_lm_judge_evaluator_async (client, messages, input (inputs, "prediction"),
                                    input (inputs, "target"), chat_inputs,
                                    success_fn (node), opt_string (node, "reduction"),
                                    opt_string (node, "reduction_purpose"),
                                    afs_graph_node_get_boolean (node, "eval_mode", TRUE), args,
                                    cancellable, judge_done_cb, g_steal_pointer (&task));
    }
  else
    {
      OpResult *r = g_new0 (OpResult, 1);

      r->outputs = run_sync (node, inputs, &error);
      if (r->outputs == NULL)
        {
          op_result_free (r);
          g_task_return_error (task, error);
        }
      else
        g_task_return_pointer (task, r, op_result_free);
    }
}

GHashTable *
afs_run_op_finish (GAsyncResult *result, AfnUsage *usage, GError **error)
{
  OpResult *r = g_task_propagate_pointer (G_TASK (result), error);
  GHashTable *outputs;

  if (r == NULL)
    return NULL;
  if (usage != NULL)
    *usage = r->usage;
  outputs = g_steal_pointer (&r->outputs);
  op_result_free (r);
  return outputs;
}
