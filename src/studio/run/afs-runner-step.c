/* afs-runner-step.c: TGD optimizer steps, Parameter history, undo.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-runner-private.h"

#define HISTORY_EXTRA "history"

typedef struct {
  guint        node_id;
  AfnVariable *param;
  char        *before;
  char        *feedback;
} Before;

static void
before_free (gpointer data)
{
  Before *b = data;

  g_object_unref (b->param);
  g_free (b->before);
  g_free (b->feedback);
  g_free (b);
}

/* ---- History ---- */

static GListStore *
history_store (AfsRunner *self, guint node_id)
{
  GListStore *store = g_hash_table_lookup (self->history, GUINT_TO_POINTER (node_id));

  if (store == NULL)
    {
      store = g_list_store_new (AFS_TYPE_PARAM_CHANGE);
      g_hash_table_insert (self->history, GUINT_TO_POINTER (node_id), store);
    }
  return store;
}

GListModel *
afs_runner_get_history (AfsRunner *self, guint node_id)
{
  g_return_val_if_fail (AFS_IS_RUNNER (self), NULL);
  return G_LIST_MODEL (history_store (self, node_id));
}

GListModel *
afs_runner_get_last_changes (AfsRunner *self)
{
  g_return_val_if_fail (AFS_IS_RUNNER (self), NULL);
  return G_LIST_MODEL (self->last_changes);
}

static void
history_save (AfsRunner *self)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->history);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GListModel *list = value;
      JsonArray *array = json_array_new ();
      g_autofree char *name = g_strdup_printf ("%u", GPOINTER_TO_UINT (key));

      for (guint i = 0; i < g_list_model_get_n_items (list); i++)
        {
          g_autoptr(AfsParamChange) c = g_list_model_get_item (list, i);
          JsonObject *item = json_object_new ();

          json_object_set_int_member (item, "step", afs_param_change_get_step (c));
          json_object_set_string_member (item, "role", afs_param_change_get_role (c));
          json_object_set_string_member (item, "before", afs_param_change_get_before (c));
          json_object_set_string_member (item, "after", afs_param_change_get_after (c));
          json_object_set_string_member (item, "feedback", afs_param_change_get_feedback (c));
          json_object_set_boolean_member (item, "undone", afs_param_change_get_undone (c));
          json_array_add_object_element (array, item);
        }
      if (json_array_get_length (array) > 0)
        json_object_set_array_member (o, name, array);
      else
        json_array_unref (array);
    }
  json_node_take_object (node, o);
  afs_document_set_extra (self->document, HISTORY_EXTRA, node);
  self->history_seen = afs_document_get_extra (self->document, HISTORY_EXTRA);
}

void
afs_runner_history_load (AfsRunner *self)
{
  JsonNode *node = afs_document_get_extra (self->document, HISTORY_EXTRA);
  g_autoptr(GList) members = NULL;
  JsonObject *o;

  g_hash_table_remove_all (self->history);
  self->history_seen = node;
  self->n_steps = 0;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  o = json_node_get_object (node);
  members = json_object_get_members (o);
  for (GList *l = members; l != NULL; l = l->next)
    {
      guint64 id;
      JsonNode *member = json_object_get_member (o, l->data);
      JsonArray *array;

      if (!g_ascii_string_to_unsigned (l->data, 10, 1, G_MAXUINT, &id, NULL) ||
          !JSON_NODE_HOLDS_ARRAY (member))
        continue;
      array = json_node_get_array (member);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *item = json_array_get_object_element (array, i);
          g_autoptr(AfsParamChange) c = NULL;

          if (item == NULL)
            continue;
          c = afs_param_change_new ((guint) id,
                                    (guint) json_object_get_int_member_with_default (item, "step", 0),
                                    json_object_get_string_member_with_default (item, "role", ""),
                                    json_object_get_string_member_with_default (item, "before", ""),
                                    json_object_get_string_member_with_default (item, "after", ""),
                                    json_object_get_string_member_with_default (item, "feedback", ""));
          afs_param_change_set_undone (c, json_object_get_boolean_member_with_default (item, "undone", FALSE));
          g_list_store_append (history_store (self, (guint) id), c);
          self->n_steps = MAX (self->n_steps, afs_param_change_get_step (c));
        }
    }
}

void
afs_runner_history_sync (AfsRunner *self)
{
  if (afs_document_get_extra (self->document, HISTORY_EXTRA) == self->history_seen)
    return;
  afs_runner_history_load (self);
  g_list_store_remove_all (self->last_changes);
  self->step_applied = FALSE;
  self->step_undo_depth = 0;
  g_clear_object (&self->tgd);
  g_object_notify (G_OBJECT (self), "n-steps");
  g_signal_emit_by_name (self, "step-done");
}

/* ---- Undo ---- */

static void
set_last_undone (AfsRunner *self, gboolean undone)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->last_changes)); i++)
    {
      g_autoptr(AfsParamChange) c = g_list_model_get_item (G_LIST_MODEL (self->last_changes), i);
      afs_param_change_set_undone (c, undone);
    }
  self->step_applied = !undone;
  if (undone)
    self->n_steps = self->n_steps > 0 ? self->n_steps - 1 : 0;
  else
    self->n_steps++;
  history_save (self);
  g_object_notify (G_OBJECT (self), "n-steps");
  g_signal_emit_by_name (self, "step-done");
}

/* Notices Ctrl+Z / Ctrl+Shift+Z of the last step. */
void
afs_runner_step_document_changed (AfsRunner *self)
{
  AfsUndoStack *undo = afs_document_get_undo_stack (self->document);
  guint depth = afs_undo_stack_get_n_undo (undo);

  if (self->step_undo_depth == 0 || g_list_model_get_n_items (G_LIST_MODEL (self->last_changes)) == 0)
    return;
  if (self->step_applied && depth < self->step_undo_depth)
    set_last_undone (self, TRUE);
  else if (!self->step_applied && depth == self->step_undo_depth &&
           g_strcmp0 (afs_undo_stack_get_undo_label (undo), _("Optimizer Step")) == 0)
    set_last_undone (self, FALSE);
}

gboolean
afs_runner_undo_step (AfsRunner *self, GError **error)
{
  AfsUndoStack *undo;

  g_return_val_if_fail (AFS_IS_RUNNER (self), FALSE);
  undo = afs_document_get_undo_stack (self->document);
  if (!self->step_applied || afs_undo_stack_get_n_undo (undo) != self->step_undo_depth)
    {
      g_set_error_literal (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NOTHING_TO_DO,
                           _("The last optimizer step is not the latest change: undo the later "
                             "edits first."));
      return FALSE;
    }
  return afs_document_undo (self->document);
}

/* ---- Step ---- */

static JsonNode *
value_to_json (AfnValue *value)
{
  JsonNode *node;

  switch (afn_value_kind (value))
    {
    case AFN_VALUE_INT:
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_int (node, afn_value_get_int (value));
      return node;
    case AFN_VALUE_FLOAT:
      node = json_node_new (JSON_NODE_VALUE);
      json_node_set_double (node, afn_value_get_float (value));
      return node;
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
      {
        JsonArray *array = json_array_new ();
        for (guint i = 0; i < afn_value_n_items (value); i++)
          json_array_add_element (array, value_to_json (afn_value_get_item (value, i)));
        node = json_node_new (JSON_NODE_ARRAY);
        json_node_take_array (node, array);
        return node;
      }
    default:
      {
        g_autofree char *text = afn_value_to_text (value);
        node = json_node_new (JSON_NODE_VALUE);
        json_node_set_string (node, text);
        return node;
      }
    }
}

static char *
join_feedback (AfnVariable *param)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < afn_variable_n_grads (param); i++)
    {
      g_autofree char *grad = afn_value_to_text (afn_variable_get_data (afn_variable_get_grad (param, i)));
      if (*g_strstrip (grad) == '\0')
        continue;
      if (text->len > 0)
        g_string_append (text, "\n\n");
      g_string_append (text, grad);
    }
  return g_string_free (text, FALSE);
}

/* The TGD for @params (node id -> Parameter), reused while the parameters
 * and settings stay the same so that momentum carries over. */
static AfnTGD *
ensure_tgd (AfsRunner *self, GPtrArray *befores)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new ();
  g_autoptr(JsonObject) args = afs_runner_dup_backward_args (self);
  g_autofree char *model = afs_run_model_name (afs_runner_effective_optimizer_model (self));
  g_autofree char *signature = NULL;
  GString *sig = g_string_new (model);
  const char * const *constraints = afs_runner_get_constraints (self);
  guint momentum = afs_runner_get_momentum (self);

  g_string_append_printf (sig, "|%u", momentum);
  for (guint i = 0; constraints[i] != NULL; i++)
    g_string_append_printf (sig, "|c:%s", constraints[i]);
  for (guint i = 0; i < befores->len; i++)
    {
      Before *b = g_ptr_array_index (befores, i);
      g_ptr_array_add (params, b->param);
      g_string_append_printf (sig, "|%u:%p", b->node_id, (gpointer) b->param);
    }
  signature = g_string_free (sig, FALSE);
  if (self->tgd != NULL && g_strcmp0 (g_object_get_data (G_OBJECT (self->tgd), "afs-signature"), signature) == 0)
    return self->tgd;
  g_clear_object (&self->tgd);
  json_object_set_string_member (args, "model", model);
  self->tgd = afn_tgd_new (params, AFN_MODEL_CLIENT (self->proxy), NULL, NULL, constraints, momentum, args);
  g_object_set_data_full (G_OBJECT (self->tgd), "afs-signature", g_steal_pointer (&signature), g_free);
  return self->tgd;
}

static void
apply_changes (AfsRunner *self, GPtrArray *befores)
{
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_object_unref);
  guint step = self->n_steps + 1;

  for (guint i = 0; i < befores->len; i++)
    {
      Before *b = g_ptr_array_index (befores, i);
      g_autofree char *after = afn_value_to_text (afn_variable_get_data (b->param));

      if (g_strcmp0 (after, b->before) != 0)
        g_ptr_array_add (changes, afs_param_change_new (b->node_id, step, afn_variable_get_role (b->param),
                                                        b->before, after, b->feedback));
    }
  if (changes->len == 0)
    return;
  afs_document_begin_group (self->document, _("Optimizer Step"));
  for (guint i = 0; i < befores->len; i++)
    {
      Before *b = g_ptr_array_index (befores, i);
      g_autoptr(JsonNode) data = value_to_json (afn_variable_get_data (b->param));
      g_autoptr(GError) error = NULL;

      if (!afs_document_set_setting (self->document, b->node_id, "data", data, &error))
        g_warning ("Optimizer step: node %u: %s", b->node_id, error->message);
    }
  self->step_undo_depth = 0;   /* no undo detection while applying */
  afs_document_end_group (self->document);
  self->step_undo_depth = afs_undo_stack_get_n_undo (afs_document_get_undo_stack (self->document));
  self->step_applied = TRUE;
  self->n_steps = step;
  g_list_store_splice (self->last_changes, 0, g_list_model_get_n_items (G_LIST_MODEL (self->last_changes)),
                       changes->pdata, changes->len);
  for (guint i = 0; i < changes->len; i++)
    g_list_store_append (history_store (self, afs_param_change_get_node_id (g_ptr_array_index (changes, i))),
                         g_ptr_array_index (changes, i));
  history_save (self);
  g_object_notify (G_OBJECT (self), "n-steps");
}

static void
step_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AfsRunner *self = g_task_get_source_object (task);
  GPtrArray *befores = g_task_get_task_data (task);
  GError *error = NULL;

  if (!afn_tgd_step_finish (AFN_TGD (source), result, &error))
    {
      afs_runner_end_operation (self);
      g_task_return_error (task, error);
      return;
    }
  apply_changes (self, befores);
  afs_runner_end_operation (self);
  g_signal_emit_by_name (self, "step-done");
  g_task_return_boolean (task, TRUE);
}

void
afs_runner_step_async (AfsRunner          *self,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *befores = g_ptr_array_new_with_free_func (before_free);
  GPtrArray *nodes = afs_document_get_nodes (self->document);
  gboolean any_feedback = FALSE;
  GError *error = NULL;

  g_return_if_fail (AFS_IS_RUNNER (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, afs_runner_step_async);
  g_task_set_task_data (task, befores, (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < nodes->len; i++)
    {
      AfsGraphNode *node = g_ptr_array_index (nodes, i);
      guint id = afs_graph_node_get_id (node);
      AfnVariable *param = afs_runner_get_output (self, id, "output");
      Before *b;

      if (param == NULL || !AFN_IS_PARAMETER (param) || !afn_variable_get_requires_grad (param))
        continue;
      b = g_new0 (Before, 1);
      b->node_id = id;
      b->param = g_object_ref (param);
      b->before = afn_value_to_text (afn_variable_get_data (param));
      b->feedback = join_feedback (param);
      any_feedback = any_feedback || *b->feedback != '\0';
      g_ptr_array_add (befores, b);
    }
  if (!any_feedback)
    {
      g_task_return_new_error (task, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NOTHING_TO_DO,
                               _("No Parameter has feedback: run backward first."));
      return;
    }
  if (!afs_runner_begin_operation (self, task, "step", &error))
    {
      g_task_return_error (task, error);
      return;
    }
  afn_tgd_step_async (ensure_tgd (self, befores), cancellable, step_done_cb, g_steal_pointer (&task));
}

gboolean
afs_runner_step_finish (AfsRunner *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
afs_runner_step (AfsRunner *self, GCancellable *cancellable, GError **error)
{
  AfsRunnerSyncWait wait;
  g_autoptr(GAsyncResult) result = NULL;

  afs_runner_sync_wait_init (&wait);
  afs_runner_step_async (self, cancellable, afs_runner_sync_done_cb, &wait);
  result = afs_runner_sync_wait_finish (&wait);
  return afs_runner_step_finish (self, result, error);
}
