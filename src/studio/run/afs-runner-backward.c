/* afs-runner-backward.c: backward from a node's output, with per-node
 * progress, and what it left: grads, their sources, the wires that
 * carried feedback.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-runner-private.h"

#define USER_FEEDBACK_ROLE "feedback from the user"

/* One gradient that a node's backward sent to an input. */
typedef struct {
  AfnVariable *grad;
  AfnNode     *source;
} Arrival;

static void
arrival_free (gpointer data)
{
  Arrival *a = data;

  g_object_unref (a->grad);
  g_object_unref (a->source);
  g_free (a);
}

static char *
arrival_key (AfnNode *node, guint output_nr)
{
  return g_strdup_printf ("%p:%u", (gpointer) node, output_nr);
}

typedef struct {
  AfsRunner   *runner;
  AfnVariable *root;
  GPtrArray   *nodes;       /* AfnNode with handlers connected */
} Backward;

static void
backward_free (gpointer data)
{
  Backward *bw = data;

  for (guint i = 0; i < bw->nodes->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (bw->nodes, i), bw);
  g_ptr_array_unref (bw->nodes);
  g_object_unref (bw->root);
  g_object_unref (bw->runner);
  g_free (bw);
}

void
afs_runner_backward_reset (AfsRunner *self)
{
  if (self->arrivals == NULL)
    self->arrivals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
  g_hash_table_remove_all (self->arrivals);
  g_hash_table_remove_all (self->feedback_links);
}

static void
set_backward_state (AfsRunner *self, guint node_id, AfsBackwardState state, const char *message)
{
  if (node_id == 0)
    return;
  afs_node_run_set_backward_state (afs_runner_ensure_run (self, node_id), state, message);
  afs_runner_emit_state (self, node_id);
}

static void
node_started_cb (AfnNode *node, Backward *bw)
{
  set_backward_state (bw->runner, afs_runner_lookup_engine_node (bw->runner, node),
                      AFS_BACKWARD_STATE_RUNNING, NULL);
}

static void
node_finished_cb (AfnNode *node, GPtrArray *result, const GError *error, Backward *bw)
{
  AfsRunner *self = bw->runner;
  guint id = afs_runner_lookup_engine_node (self, node);

  if (error != NULL)
    {
      set_backward_state (self, id, AFS_BACKWARD_STATE_ERROR, error->message);
      return;
    }
  set_backward_state (self, id, AFS_BACKWARD_STATE_DONE, NULL);
  for (guint e = 0; result != NULL && e < result->len; e++)
    {
      GPtrArray *grads = g_ptr_array_index (result, e);
      guint output_nr = 0;
      AfnNode *next = afn_node_get_next_function (node, e, &output_nr);
      g_autofree char *key = NULL;
      GPtrArray *list;

      if (next == NULL || grads == NULL)
        continue;
      key = arrival_key (next, output_nr);
      list = g_hash_table_lookup (self->arrivals, key);
      if (list == NULL)
        {
          list = g_ptr_array_new_with_free_func (arrival_free);
          g_hash_table_insert (self->arrivals, g_steal_pointer (&key), list);
        }
      for (guint j = 0; j < grads->len; j++)
        {
          Arrival *a = g_new (Arrival, 1);
          a->grad = g_object_ref (g_ptr_array_index (grads, j));
          a->source = g_object_ref (node);
          g_ptr_array_add (list, a);
        }
    }
}

/* Every node the backward from @root may reach. */
static void
collect_graph (AfnNode *node, GHashTable *seen)
{
  if (node == NULL || !g_hash_table_add (seen, node))
    return;
  for (guint i = 0; i < afn_node_get_n_next_functions (node); i++)
    collect_graph (afn_node_get_next_function (node, i, NULL), seen);
}

/* Empties every grad list the runner's variables hold, and makes op
 * outputs keep theirs (so the gradients panel can show them). */
static void
prepare_grads (AfsRunner *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GHashTable *outputs = afs_node_run_peek_outputs (value);
      GHashTableIter oi;
      gpointer out;

      afs_node_run_set_backward_state (value, AFS_BACKWARD_STATE_NONE, NULL);
      if (outputs == NULL)
        continue;
      g_hash_table_iter_init (&oi, outputs);
      while (g_hash_table_iter_next (&oi, NULL, &out))
        {
          AfnVariable *var = out;

          if (!afn_variable_get_requires_grad (var))
            continue;
          if (!afn_variable_is_leaf (var) && !afn_variable_retains_grad (var))
            afn_variable_retain_grad (var, NULL);
          afn_variable_set_grads (var, NULL, NULL);
        }
    }
}

static gboolean
carried_feedback (AfsRunner *self, AfsLink *link)
{
  guint src = afs_link_get_source (link);
  const char *port = afs_link_get_source_port (link);
  GListModel *grads = afs_runner_get_grads (self, src, port);

  for (guint i = 0; grads != NULL && i < g_list_model_get_n_items (grads); i++)
    {
      g_autoptr(AfnVariable) grad = g_list_model_get_item (grads, i);
      g_autofree char *text = afn_value_to_text (afn_variable_get_data (grad));

      if (afs_runner_get_grad_source (self, src, port, i) == afs_link_get_target (link) &&
          *g_strstrip (text) != '\0')
        return TRUE;
    }
  return FALSE;
}

static void
update_lm_usage (AfsRunner *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->engine_nodes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (AFN_IS_LM_NODE (key))
      {
        AfnUsage usage = { 0 }, backward = { 0 };

        afn_lm_node_get_forward_usage (key, &usage);
        afn_lm_node_get_backward_usage (key, &backward);
        afn_usage_add (&usage, &backward);
        afs_node_run_set_usage (afs_runner_ensure_run (self, GPOINTER_TO_UINT (value)), &usage);
      }
}

static void
backward_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Backward *bw = g_task_get_task_data (task);
  AfsRunner *self = bw->runner;
  GError *error = NULL;
  GPtrArray *links = afs_document_get_links (self->document);
  GHashTableIter iter;
  gpointer key, value;

  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  if (!afn_variable_backward_finish (AFN_VARIABLE (source), result, &error))
    {
      /* Nothing changed: progress marks other than the error are cleared. */
      g_hash_table_iter_init (&iter, self->runs);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (afs_node_run_get_backward_state (value) != AFS_BACKWARD_STATE_ERROR)
          set_backward_state (self, GPOINTER_TO_UINT (key), AFS_BACKWARD_STATE_NONE, NULL);
      g_hash_table_remove_all (self->arrivals);
      afs_runner_end_operation (self);
      g_task_return_error (task, error);
      return;
    }
  /* Leaves have no backward of their own: done once it all succeeded. */
  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (afs_node_run_get_backward_state (value) == AFS_BACKWARD_STATE_WAITING)
      set_backward_state (self, GPOINTER_TO_UINT (key), AFS_BACKWARD_STATE_DONE, NULL);
  for (guint i = 0; i < links->len; i++)
    if (carried_feedback (self, g_ptr_array_index (links, i)))
      g_hash_table_add (self->feedback_links,
                        GUINT_TO_POINTER (afs_link_get_id (g_ptr_array_index (links, i))));
  update_lm_usage (self);
  afs_runner_end_operation (self);
  g_signal_emit_by_name (self, "backward-done");
  g_task_return_boolean (task, TRUE);
}

JsonObject *
afs_runner_dup_backward_args (AfsRunner *self)
{
  JsonObject *args = json_object_new ();
  JsonNode *extra = afs_document_get_extra (self->document, "optimizer");
  JsonObject *o = extra != NULL && JSON_NODE_HOLDS_OBJECT (extra) ? json_node_get_object (extra) : NULL;
  double temperature = afs_model_settings_get_temperature (self->settings);

  /* A session may pin it, so that its recordings replay whatever the
   * preferences say. */
  if (o != NULL && json_object_has_member (o, "temperature"))
    temperature = json_object_get_double_member (o, "temperature");

  if (temperature >= 0)
    json_object_set_double_member (args, "temperature", temperature);
  return args;
}

void
afs_runner_backward_async (AfsRunner          *self,
                           guint               node_id,
                           const char         *port,
                           const char         *feedback,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) graph = g_hash_table_new (NULL, NULL);
  g_autoptr(AfnVariable) gradient = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autofree char *model = NULL;
  AfnVariable *root;
  Backward *bw;
  GError *error = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (AFS_IS_RUNNER (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, afs_runner_backward_async);
  root = afs_runner_get_output (self, node_id, port);
  if (root == NULL)
    {
      g_task_return_new_error (task, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_RESULT,
                               _("Node %u has no result at “%s”: run it first."), node_id, port);
      return;
    }
  if (afn_variable_get_grad_fn (root) == NULL)
    {
      g_task_return_new_error (task, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_RESULT,
                               _("The output “%s” of node %u does not depend on anything that "
                                 "requires grad: there is nothing to send feedback to."),
                               port, node_id);
      return;
    }
  if (!afs_runner_begin_operation (self, task, "backward", &error))
    {
      g_task_return_error (task, error);
      return;
    }

  afs_runner_backward_reset (self);
  prepare_grads (self);
  bw = g_new0 (Backward, 1);
  bw->runner = g_object_ref (self);
  bw->root = g_object_ref (root);
  bw->nodes = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, bw, backward_free);

  collect_graph (afn_variable_get_grad_fn (root), graph);
  g_hash_table_iter_init (&iter, graph);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      AfnNode *node = key;

      set_backward_state (self, afs_runner_lookup_engine_node (self, node),
                          AFS_BACKWARD_STATE_WAITING, NULL);
      g_ptr_array_add (bw->nodes, g_object_ref (node));
      g_signal_connect (node, "backward-started", G_CALLBACK (node_started_cb), bw);
      g_signal_connect (node, "backward-finished", G_CALLBACK (node_finished_cb), bw);
    }

  model = g_strdup (afs_runner_effective_backward_model (self));
  args = afs_runner_dup_backward_args (self);
  {
    g_autofree char *name = afs_run_model_name (model);
    afn_set_backward_model_client_instance (AFN_MODEL_CLIENT (self->proxy), name, args);
  }
  if (feedback != NULL && *feedback != '\0')
    gradient = afn_variable_new_str (feedback, USER_FEEDBACK_ROLE, FALSE);
  /* retain_graph: cached results stay usable for later backwards. */
  afn_variable_backward_async (root, gradient, TRUE, NULL, cancellable,
                               backward_done_cb, g_steal_pointer (&task));
}

gboolean
afs_runner_backward_finish (AfsRunner *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
afs_runner_backward (AfsRunner *self, guint node_id, const char *port, const char *feedback,
                     GCancellable *cancellable, GError **error)
{
  AfsRunnerSyncWait wait;
  g_autoptr(GAsyncResult) result = NULL;

  afs_runner_sync_wait_init (&wait);
  afs_runner_backward_async (self, node_id, port, feedback, cancellable, afs_runner_sync_done_cb, &wait);
  result = afs_runner_sync_wait_finish (&wait);
  return afs_runner_backward_finish (self, result, error);
}

/* ---- What the backward left ---- */

GListModel *
afs_runner_get_grads (AfsRunner *self, guint node_id, const char *port)
{
  AfnVariable *var;

  g_return_val_if_fail (AFS_IS_RUNNER (self), NULL);
  var = afs_runner_get_output (self, node_id, port);
  if (var == NULL || (!afn_variable_is_leaf (var) && !afn_variable_retains_grad (var)))
    return NULL;
  return afn_variable_get_grads (var, NULL);
}

guint
afs_runner_get_grad_source (AfsRunner *self, guint node_id, const char *port, guint index)
{
  AfnVariable *var = afs_runner_get_output (self, node_id, port);
  GListModel *grads = afs_runner_get_grads (self, node_id, port);
  g_autofree char *key = NULL;
  g_autoptr(AfnVariable) grad = NULL;
  GPtrArray *list;
  guint occurrence = 0;

  if (grads == NULL || index >= g_list_model_get_n_items (grads) || self->arrivals == NULL)
    return 0;
  if (afn_variable_get_grad_fn (var) != NULL)
    key = arrival_key (afn_variable_get_grad_fn (var), afn_variable_get_output_nr (var));
  else if (afn_variable_get_requires_grad (var))
    key = arrival_key (afn_variable_get_accumulate_node (var), 0);
  else
    return 0;
  grad = g_list_model_get_item (grads, index);
  /* The same gradient object may arrive twice (add passes it on to both
   * inputs): match the k-th copy with the k-th arrival. */
  for (guint i = 0; i < index; i++)
    {
      g_autoptr(AfnVariable) earlier = g_list_model_get_item (grads, i);
      if (earlier == grad)
        occurrence++;
    }
  list = g_hash_table_lookup (self->arrivals, key);
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      Arrival *a = g_ptr_array_index (list, i);
      if (a->grad == grad && occurrence-- == 0)
        return afs_runner_lookup_engine_node (self, a->source);
    }
  return 0;
}

gboolean
afs_runner_link_carried_feedback (AfsRunner *self, guint link_id)
{
  g_return_val_if_fail (AFS_IS_RUNNER (self), FALSE);
  return g_hash_table_contains (self->feedback_links, GUINT_TO_POINTER (link_id));
}

GArray *
afs_runner_dup_feedback_links (AfsRunner *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *links = afs_document_get_links (self->document);

  /* In document order. */
  for (guint i = 0; i < links->len; i++)
    {
      guint id = afs_link_get_id (g_ptr_array_index (links, i));
      if (g_hash_table_contains (self->feedback_links, GUINT_TO_POINTER (id)))
        g_array_append_val (ids, id);
    }
  return ids;
}
