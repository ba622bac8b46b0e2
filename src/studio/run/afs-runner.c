/* afs-runner.c: the runner object, its cache, and forward runs.
 *
 * A run walks the chosen nodes in dependency order: a node starts once all
 * the nodes feeding it have finished, so independent nodes (and their
 * language-model requests) go at once. Each node's result is kept with a
 * key made of its settings and its inputs (their data and which result they
 * are); a node whose key did not change is reused instead of recomputed.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-runner-private.h"
#include "afs-run-ops.h"

G_DEFINE_QUARK (afs-runner-error-quark, afs_runner_error)
G_DEFINE_FINAL_TYPE (AfsRunner, afs_runner, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_SETTINGS,
  PROP_BUSY,
  PROP_OPERATION,
  PROP_TOTAL_TOKENS,
  PROP_TOTAL_COST,
  PROP_LAST_RUN_TOKENS,
  PROP_LAST_RUN_COST,
  PROP_N_STEPS,
  PROP_MOMENTUM,
  PROP_CONSTRAINTS,
  PROP_RECORDINGS,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_NODE_STATE_CHANGED,
  SIGNAL_BACKWARD_DONE,
  SIGNAL_STEP_DONE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

#define OPTIMIZER_EXTRA  "optimizer"
#define RECORDINGS_EXTRA "recordings"

GType
afs_run_scope_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { AFS_RUN_ALL, "AFS_RUN_ALL", "all" },
    { AFS_RUN_TO, "AFS_RUN_TO", "to" },
    { AFS_RUN_FROM, "AFS_RUN_FROM", "from" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("AfsRunScope", values));
  return type;
}

/* ---- Node runs and invalidation ---- */

AfsNodeRun *
afs_runner_ensure_run (AfsRunner *self, guint node_id)
{
  AfsNodeRun *run = g_hash_table_lookup (self->runs, GUINT_TO_POINTER (node_id));

  if (run == NULL)
    {
      run = afs_node_run_new (node_id);
      g_hash_table_insert (self->runs, GUINT_TO_POINTER (node_id), run);
    }
  return run;
}

void
afs_runner_emit_state (AfsRunner *self, guint node_id)
{
  g_signal_emit (self, signals[SIGNAL_NODE_STATE_CHANGED], 0, node_id);
}

static void
drop_result (AfsRunner *self, guint node_id)
{
  AfsNodeRun *run = g_hash_table_lookup (self->runs, GUINT_TO_POINTER (node_id));

  if (run == NULL)
    return;
  afs_node_run_set_outputs (run, NULL);
  afs_node_run_set_key (run, NULL);
  afs_node_run_set_usage (run, NULL);
  afs_node_run_set_backward_state (run, AFS_BACKWARD_STATE_NONE, NULL);
  afs_node_run_set_state (run, AFS_NODE_STATE_IDLE, NULL);
  afs_runner_emit_state (self, node_id);
}

/* Adds @id and every node linked from it (@downstream) or to it (not). */
static void
collect_linked (AfsDocument *doc, guint id, gboolean downstream, GHashTable *seen)
{
  g_autoptr(GPtrArray) links = NULL;

  if (!g_hash_table_add (seen, GUINT_TO_POINTER (id)))
    return;
  links = afs_document_dup_node_links (doc, id);
  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *link = g_ptr_array_index (links, i);
      guint from = downstream ? afs_link_get_source (link) : afs_link_get_target (link);
      guint to = downstream ? afs_link_get_target (link) : afs_link_get_source (link);

      if (from == id)
        collect_linked (doc, to, downstream, seen);
    }
}

static void
collect_downstream (AfsDocument *doc, guint id, GHashTable *seen)
{
  collect_linked (doc, id, TRUE, seen);
}

static void
collect_upstream (AfsDocument *doc, guint id, GHashTable *seen)
{
  collect_linked (doc, id, FALSE, seen);
}

/* A node's settings or inputs changed: its result (for a data node, the
 * results downstream) no longer hold. */
static void
invalidate (AfsRunner *self, guint node_id)
{
  AfsGraphNode *node = afs_document_get_node (self->document, node_id);
  AfsNodeRun *run = g_hash_table_lookup (self->runs, GUINT_TO_POINTER (node_id));
  g_autoptr(GHashTable) downstream = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key;

  if (node == NULL)
    {
      if (run != NULL)
        {
          afs_node_run_set_outputs (run, NULL);
          g_hash_table_remove (self->runs, GUINT_TO_POINTER (node_id));
        }
      return;
    }
  collect_downstream (self->document, node_id, downstream);
  g_hash_table_iter_init (&iter, downstream);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint id = GPOINTER_TO_UINT (key);
      AfnVariable *var;

      if (id != node_id || !afs_node_kind_is_data (afs_graph_node_get_kind (node)))
        {
          drop_result (self, id);
          continue;
        }
      /* Data nodes keep their Variable (optimizers and graphs hold it). */
      var = run != NULL ? afs_node_run_get_output (run, "output") : NULL;
      if (var != NULL && !afs_run_update_data_variable (var, node))
        drop_result (self, id);
      else if (var != NULL)
        {
          afs_node_run_set_state (run, AFS_NODE_STATE_DONE, NULL);
          afs_runner_emit_state (self, id);
        }
    }
}

static void
mark_dirty (AfsRunner *self, guint node_id)
{
  if (self->task != NULL)
    g_hash_table_add (self->dirty, GUINT_TO_POINTER (node_id));
  else
    invalidate (self, node_id);
}

static void
node_changed_cb (AfsDocument *doc, AfsGraphNode *node, const char *what, AfsRunner *self)
{
  if (g_strcmp0 (what, "position") != 0)
    mark_dirty (self, afs_graph_node_get_id (node));
}

static void
node_removed_cb (AfsDocument *doc, AfsGraphNode *node, AfsRunner *self)
{
  mark_dirty (self, afs_graph_node_get_id (node));
}

static void
link_changed_cb (AfsDocument *doc, AfsLink *link, AfsRunner *self)
{
  mark_dirty (self, afs_link_get_target (link));
}

static void
document_changed_cb (AfsDocument *doc, AfsRunner *self)
{
  afs_runner_history_sync (self);
}

/* The undo stack notifies after it moved (the document's "changed" may
 * come before, during a redo). */
static void
undo_stack_notify_cb (AfsUndoStack *undo, GParamSpec *pspec, AfsRunner *self)
{
  afs_runner_step_document_changed (self);
}

void
afs_runner_clear_cache (AfsRunner *self)
{
  g_autoptr(GList) ids = NULL;

  g_return_if_fail (AFS_IS_RUNNER (self));
  ids = g_hash_table_get_keys (self->runs);
  for (GList *l = ids; l != NULL; l = l->next)
    drop_result (self, GPOINTER_TO_UINT (l->data));
  g_hash_table_remove_all (self->engine_nodes);
  afs_runner_backward_reset (self);
  /* New Parameter objects next time: the optimizer starts afresh. */
  g_clear_object (&self->tgd);
  g_clear_pointer (&self->tgd_params, g_ptr_array_unref);
}

/* ---- Object ---- */

static void
afs_runner_dispose (GObject *object)
{
  AfsRunner *self = AFS_RUNNER (object);

  if (self->document != NULL)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_clear_object (&self->document);
  g_clear_object (&self->settings);
  g_clear_object (&self->proxy);
  g_clear_object (&self->recordings);
  g_clear_object (&self->tgd);
  g_clear_object (&self->last_changes);
  g_clear_pointer (&self->tgd_params, g_ptr_array_unref);
  g_clear_pointer (&self->runs, g_hash_table_unref);
  g_clear_pointer (&self->engine_nodes, g_hash_table_unref);
  g_clear_pointer (&self->arrivals, g_hash_table_unref);
  g_clear_pointer (&self->feedback_links, g_hash_table_unref);
  g_clear_pointer (&self->history, g_hash_table_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->constraints, g_strfreev);
  G_OBJECT_CLASS (afs_runner_parent_class)->dispose (object);
}

static void
afs_runner_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsRunner *self = AFS_RUNNER (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT: g_value_set_object (value, self->document); break;
    case PROP_SETTINGS: g_value_set_object (value, self->settings); break;
    case PROP_BUSY: g_value_set_boolean (value, self->task != NULL); break;
    case PROP_OPERATION: g_value_set_string (value, self->operation); break;
    case PROP_TOTAL_TOKENS: g_value_set_int64 (value, self->total.total_tokens); break;
    case PROP_TOTAL_COST: g_value_set_double (value, self->total.cost_usd); break;
    case PROP_LAST_RUN_TOKENS: g_value_set_int64 (value, self->last.total_tokens); break;
    case PROP_LAST_RUN_COST: g_value_set_double (value, self->last.cost_usd); break;
    case PROP_N_STEPS: g_value_set_uint (value, self->n_steps); break;
    case PROP_MOMENTUM: g_value_set_uint (value, afs_runner_get_momentum (self)); break;
    case PROP_CONSTRAINTS: g_value_set_boxed (value, afs_runner_get_constraints (self)); break;
    case PROP_RECORDINGS: g_value_set_object (value, self->recordings); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_runner_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AfsRunner *self = AFS_RUNNER (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT: self->document = g_value_dup_object (value); break;
    case PROP_SETTINGS: afs_runner_set_settings (self, g_value_get_object (value)); break;
    case PROP_MOMENTUM: afs_runner_set_momentum (self, g_value_get_uint (value)); break;
    case PROP_CONSTRAINTS: afs_runner_set_constraints (self, g_value_get_boxed (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_runner_constructed (GObject *object)
{
  AfsRunner *self = AFS_RUNNER (object);

  G_OBJECT_CLASS (afs_runner_parent_class)->constructed (object);
  if (self->document == NULL)
    self->document = afs_document_new ();
  if (self->settings == NULL)
    self->settings = afs_model_settings_new ();
  g_signal_connect (self->document, "node-changed", G_CALLBACK (node_changed_cb), self);
  g_signal_connect (self->document, "node-removed", G_CALLBACK (node_removed_cb), self);
  g_signal_connect (self->document, "link-added", G_CALLBACK (link_changed_cb), self);
  g_signal_connect (self->document, "link-removed", G_CALLBACK (link_changed_cb), self);
  g_signal_connect (self->document, "changed", G_CALLBACK (document_changed_cb), self);
  g_signal_connect_object (afs_document_get_undo_stack (self->document), "notify::can-undo",
                           G_CALLBACK (undo_stack_notify_cb), self, 0);
  afs_runner_history_load (self);
}

static void
afs_runner_class_init (AfsRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = afs_runner_dispose;
  object_class->constructed = afs_runner_constructed;
  object_class->get_property = afs_runner_get_property;
  object_class->set_property = afs_runner_set_property;

  props[PROP_DOCUMENT] = g_param_spec_object ("document", NULL, NULL, AFS_TYPE_DOCUMENT,
                                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                              G_PARAM_STATIC_STRINGS);
  props[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, AFS_TYPE_MODEL_SETTINGS, rw);
  props[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, ro);
  props[PROP_OPERATION] = g_param_spec_string ("operation", NULL, NULL, NULL, ro);
  props[PROP_TOTAL_TOKENS] = g_param_spec_int64 ("total-tokens", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_TOTAL_COST] = g_param_spec_double ("total-cost", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  props[PROP_LAST_RUN_TOKENS] = g_param_spec_int64 ("last-run-tokens", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_LAST_RUN_COST] = g_param_spec_double ("last-run-cost", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  props[PROP_N_STEPS] = g_param_spec_uint ("n-steps", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_MOMENTUM] = g_param_spec_uint ("momentum", NULL, NULL, 0, 100, 0, rw);
  props[PROP_CONSTRAINTS] = g_param_spec_boxed ("constraints", NULL, NULL, G_TYPE_STRV, rw);
  props[PROP_RECORDINGS] = g_param_spec_object ("recordings", NULL, NULL, AFN_TYPE_REPLAY_CLIENT, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_NODE_STATE_CHANGED] =
    g_signal_new ("node-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_BACKWARD_DONE] =
    g_signal_new ("backward-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STEP_DONE] =
    g_signal_new ("step-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
afs_runner_init (AfsRunner *self)
{
  self->runs = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->proxy = afs_client_proxy_new ();
  self->recordings = afn_replay_client_new (NULL, AFN_REPLAY_MODE_REPLAY);
  self->dirty = g_hash_table_new (NULL, NULL);
  self->engine_nodes = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->feedback_links = g_hash_table_new (NULL, NULL);
  self->history = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->last_changes = g_list_store_new (AFS_TYPE_PARAM_CHANGE);
}

AfsRunner *
afs_runner_new (AfsDocument *document, AfsModelSettings *settings)
{
  g_return_val_if_fail (AFS_IS_DOCUMENT (document), NULL);
  return g_object_new (AFS_TYPE_RUNNER, "document", document, "settings", settings, NULL);
}

AfsDocument      *afs_runner_get_document (AfsRunner *self) { return self->document; }
AfsModelSettings *afs_runner_get_settings (AfsRunner *self) { return self->settings; }
gboolean          afs_runner_get_busy (AfsRunner *self) { return self->task != NULL; }
AfnReplayClient  *afs_runner_get_recordings (AfsRunner *self) { return self->recordings; }

void
afs_runner_set_settings (AfsRunner *self, AfsModelSettings *settings)
{
  g_return_if_fail (AFS_IS_RUNNER (self));
  if (settings == NULL)
    settings = afs_model_settings_new ();
  else
    g_object_ref (settings);
  if (self->settings == settings)
    {
      g_object_unref (settings);
      return;
    }
  g_clear_object (&self->settings);
  self->settings = settings;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SETTINGS]);
}

AfsNodeRun *
afs_runner_get_node_run (AfsRunner *self, guint node_id)
{
  g_return_val_if_fail (AFS_IS_RUNNER (self), NULL);
  if (afs_document_get_node (self->document, node_id) == NULL)
    return g_hash_table_lookup (self->runs, GUINT_TO_POINTER (node_id));
  return afs_runner_ensure_run (self, node_id);
}

AfnVariable *
afs_runner_get_output (AfsRunner *self, guint node_id, const char *port)
{
  AfsNodeRun *run = g_hash_table_lookup (self->runs, GUINT_TO_POINTER (node_id));
  return run != NULL ? afs_node_run_get_output (run, port) : NULL;
}

guint
afs_runner_find_variable (AfsRunner *self, AfnVariable *var, const char **port)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->runs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GHashTable *outputs = afs_node_run_peek_outputs (value);
      GHashTableIter oi;
      gpointer name, out;

      if (outputs == NULL)
        continue;
      g_hash_table_iter_init (&oi, outputs);
      while (g_hash_table_iter_next (&oi, &name, &out))
        if (out == var)
          {
            if (port != NULL)
              *port = name;
            return GPOINTER_TO_UINT (key);
          }
    }
  return 0;
}

void
afs_runner_register_engine_node (AfsRunner *self, AfnNode *node, guint node_id)
{
  if (node != NULL)
    g_hash_table_insert (self->engine_nodes, g_object_ref (node), GUINT_TO_POINTER (node_id));
}

guint
afs_runner_lookup_engine_node (AfsRunner *self, AfnNode *node)
{
  AfnVariable *leaf;
  const char *port;

  g_return_val_if_fail (AFS_IS_RUNNER (self), 0);
  if (node == NULL)
    return 0;
  if (g_hash_table_contains (self->engine_nodes, node))
    return GPOINTER_TO_UINT (g_hash_table_lookup (self->engine_nodes, node));
  leaf = afn_node_get_variable (node);
  return leaf != NULL ? afs_runner_find_variable (self, leaf, &port) : 0;
}

/* ---- Usage ---- */

void
afs_runner_get_total_usage (AfsRunner *self, AfnUsage *usage)
{
  *usage = self->total;
}

void
afs_runner_get_last_usage (AfsRunner *self, AfnUsage *usage)
{
  *usage = self->last;
}

static void
notify_usage (AfsRunner *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TOTAL_TOKENS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TOTAL_COST]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAST_RUN_TOKENS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LAST_RUN_COST]);
}

void
afs_runner_reset_usage (AfsRunner *self)
{
  self->total = (AfnUsage) { 0 };
  self->last = (AfnUsage) { 0 };
  notify_usage (self);
}

/* ---- Session-level optimizer settings ---- */

static JsonObject *
optimizer_extra (AfsRunner *self)
{
  JsonNode *node = afs_document_get_extra (self->document, OPTIMIZER_EXTRA);
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
set_optimizer_member (AfsRunner *self, const char *name, JsonNode *value)
{
  JsonObject *old = optimizer_extra (self);
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();

  if (old != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (old);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (o, l->data, json_node_copy (json_object_get_member (old, l->data)));
    }
  json_object_set_member (o, name, value);
  json_node_take_object (node, o);
  afs_document_set_extra (self->document, OPTIMIZER_EXTRA, node);
}

static const char *
optimizer_string (AfsRunner *self, const char *name)
{
  JsonObject *o = optimizer_extra (self);
  const char *s = o != NULL ? json_object_get_string_member_with_default (o, name, NULL) : NULL;
  return s != NULL && *s != '\0' ? s : NULL;
}

const char *afs_runner_get_optimizer_model (AfsRunner *self) { return optimizer_string (self, "model"); }
const char *afs_runner_get_backward_model (AfsRunner *self) { return optimizer_string (self, "backward_model"); }

void
afs_runner_set_optimizer_model (AfsRunner *self, const char *model)
{
  JsonNode *value = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (value, model != NULL ? model : "");
  set_optimizer_member (self, "model", value);
}

void
afs_runner_set_backward_model (AfsRunner *self, const char *model)
{
  JsonNode *value = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (value, model != NULL ? model : "");
  set_optimizer_member (self, "backward_model", value);
}

const char *
afs_runner_effective_backward_model (AfsRunner *self)
{
  const char *m = afs_runner_get_backward_model (self);
  return m != NULL ? m : afs_model_settings_get_backward_model (self->settings);
}

const char *
afs_runner_effective_optimizer_model (AfsRunner *self)
{
  const char *m = afs_runner_get_optimizer_model (self);
  return m != NULL ? m : afs_model_settings_get_optimizer_model (self->settings);
}

guint
afs_runner_get_momentum (AfsRunner *self)
{
  JsonObject *o = optimizer_extra (self);
  gint64 m = o != NULL ? json_object_get_int_member_with_default (o, "momentum", 0) : 0;
  return (guint) CLAMP (m, 0, 100);
}

void
afs_runner_set_momentum (AfsRunner *self, guint momentum)
{
  JsonNode *value;

  g_return_if_fail (AFS_IS_RUNNER (self));
  if (afs_runner_get_momentum (self) == momentum)
    return;
  value = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (value, MIN (momentum, 100));
  set_optimizer_member (self, "momentum", value);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MOMENTUM]);
}

const char * const *
afs_runner_get_constraints (AfsRunner *self)
{
  JsonObject *o = optimizer_extra (self);
  JsonArray *array = NULL;
  GStrvBuilder *builder = g_strv_builder_new ();

  if (o != NULL && json_object_has_member (o, "constraints") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "constraints")))
    array = json_object_get_array_member (o, "constraints");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (item));
    }
  g_strfreev (self->constraints);
  self->constraints = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return (const char * const *) self->constraints;
}

void
afs_runner_set_constraints (AfsRunner *self, const char * const *constraints)
{
  JsonArray *array = json_array_new ();
  JsonNode *value = json_node_new (JSON_NODE_ARRAY);

  g_return_if_fail (AFS_IS_RUNNER (self));
  for (guint i = 0; constraints != NULL && constraints[i] != NULL; i++)
    if (*constraints[i] != '\0')
      json_array_add_string_element (array, constraints[i]);
  json_node_take_array (value, array);
  set_optimizer_member (self, "constraints", value);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONSTRAINTS]);
}

/* ---- Operations ---- */

static void
sync_recordings (AfsRunner *self)
{
  JsonNode *extra = afs_document_get_extra (self->document, RECORDINGS_EXTRA);
  g_autoptr(GError) error = NULL;

  if (extra == self->recordings_seen)
    return;
  afn_replay_client_clear (self->recordings);
  if (extra != NULL && !afn_replay_client_load_json (self->recordings, extra, &error))
    g_warning ("Recordings of this session are unreadable: %s", error->message);
  self->recordings_seen = extra;
}

static void
store_recordings (AfsRunner *self)
{
  g_autoptr(JsonNode) json = afn_replay_client_to_json (self->recordings);

  afs_document_set_extra (self->document, RECORDINGS_EXTRA, json);
  self->recordings_seen = afs_document_get_extra (self->document, RECORDINGS_EXTRA);
}

gboolean
afs_runner_begin_operation (AfsRunner *self, GTask *task, const char *operation, GError **error)
{
  g_autoptr(AfnModelClient) server = NULL;
  g_autoptr(AfnModelClient) target = NULL;

  if (self->task != NULL)
    {
      g_set_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_BUSY,
                   _("Cannot start: a %s is already going on."), self->operation);
      return FALSE;
    }
  sync_recordings (self);
  switch (afs_model_settings_get_mode (self->settings))
    {
    case AFS_RUN_MODE_LIVE:
      target = afs_model_settings_create_server_client (self->settings);
      break;
    case AFS_RUN_MODE_REPLAY:
      target = g_object_ref (AFN_MODEL_CLIENT (self->recordings));
      break;
    case AFS_RUN_MODE_RECORD:
      {
        g_autoptr(JsonNode) known = afn_replay_client_to_json (self->recordings);
        server = afs_model_settings_create_server_client (self->settings);
        target = AFN_MODEL_CLIENT (afn_replay_client_new (server, AFN_REPLAY_MODE_RECORD));
        afn_replay_client_load_json (AFN_REPLAY_CLIENT (target), known, NULL);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  afs_client_proxy_set_target (self->proxy, target);
  afs_client_proxy_reset_usage (self->proxy);
  self->task = g_object_ref (task);
  self->operation = operation;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BUSY]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OPERATION]);
  return TRUE;
}

void
afs_runner_end_operation (AfsRunner *self)
{
  AfnModelClient *target = afs_client_proxy_get_target (self->proxy);
  g_autoptr(GList) dirty = NULL;

  if (self->task == NULL)
    return;
  if (target != NULL && AFN_IS_REPLAY_CLIENT (target) && target != AFN_MODEL_CLIENT (self->recordings))
    {
      g_autoptr(JsonNode) recorded = afn_replay_client_to_json (AFN_REPLAY_CLIENT (target));
      afn_replay_client_load_json (self->recordings, recorded, NULL);
      store_recordings (self);
    }
  afn_model_client_get_usage (AFN_MODEL_CLIENT (self->proxy), &self->last);
  afn_usage_add (&self->total, &self->last);
  afs_client_proxy_set_target (self->proxy, NULL);
  g_clear_object (&self->task);
  self->operation = NULL;

  dirty = g_hash_table_get_keys (self->dirty);
  g_hash_table_steal_all (self->dirty);
  for (GList *l = dirty; l != NULL; l = l->next)
    invalidate (self, GPOINTER_TO_UINT (l->data));

  notify_usage (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BUSY]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OPERATION]);
}

/* ---- Forward runs ---- */

typedef struct {
  guint         id;
  AfsGraphNode *node;
  guint         pending;       /* input links whose source has not finished */
  AfsNodeState  prev_state;
  char         *prev_message;
  gboolean      started;
  gboolean      finished;
  gboolean      failed;
} Entry;

typedef struct {
  gatomicrefcount ref;
  AfsRunner    *runner;
  GTask        *task;
  GHashTable   *entries;       /* id -> Entry */
  GQueue        ready;         /* Entry */
  guint         in_flight;
  guint         n_failed;
  guint         forced;        /* node recomputed even when its key matches */
  gboolean      finished;
  GSource      *cancel_source;
} Run;

typedef struct {
  Run   *run;
  Entry *entry;
  char  *key;
} OpCall;

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_object_unref (e->node);
  g_free (e->prev_message);
  g_free (e);
}

static Run *
run_ref (Run *run)
{
  g_atomic_ref_count_inc (&run->ref);
  return run;
}

static void
run_unref (Run *run)
{
  if (!g_atomic_ref_count_dec (&run->ref))
    return;
  if (run->cancel_source != NULL)
    {
      g_source_destroy (run->cancel_source);
      g_source_unref (run->cancel_source);
    }
  g_queue_clear (&run->ready);
  g_hash_table_unref (run->entries);
  g_object_unref (run->runner);
  g_free (run);
}

static void pump (Run *run);

static void
set_state (Run *run, Entry *e, AfsNodeState state, const char *message)
{
  afs_node_run_set_state (afs_runner_ensure_run (run->runner, e->id), state, message);
  afs_runner_emit_state (run->runner, e->id);
}

static void
run_finish (Run *run, GError *error)
{
  GHashTableIter iter;
  gpointer value;

  if (run->finished)
    {
      g_clear_error (&error);
      return;
    }
  run->finished = TRUE;
  /* Nodes that did not finish go back to where they were. */
  g_hash_table_iter_init (&iter, run->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Entry *e = value;
      if (!e->finished)
        set_state (run, e, e->prev_state, e->prev_message);
    }
  afs_runner_end_operation (run->runner);
  if (error != NULL)
    g_task_return_error (run->task, error);
  else if (run->n_failed > 0)
    g_task_return_new_error (run->task, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NODE_FAILED,
                             g_dngettext (GETTEXT_PACKAGE, "%u node failed.", "%u nodes failed.",
                                          run->n_failed),
                             run->n_failed);
  else
    g_task_return_boolean (run->task, TRUE);
  g_clear_object (&run->task);
}

static void
entry_finished (Run *run, Entry *e, gboolean failed)
{
  g_autoptr(GPtrArray) links = afs_document_dup_node_links (run->runner->document, e->id);

  e->finished = TRUE;
  e->failed = failed;
  if (failed)
    run->n_failed++;
  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *link = g_ptr_array_index (links, i);
      Entry *target;

      if (afs_link_get_source (link) != e->id)
        continue;
      target = g_hash_table_lookup (run->entries, GUINT_TO_POINTER (afs_link_get_target (link)));
      if (target != NULL && !target->started && --target->pending == 0)
        g_queue_push_tail (&run->ready, target);
    }
}

static void
hash_variable (GChecksum *sum, AfnVariable *var)
{
  g_autofree char *repr = afn_value_to_repr (afn_variable_get_data (var));

  g_checksum_update (sum, (const guchar *) repr, -1);
  g_checksum_update (sum, (const guchar *) (afn_variable_get_requires_grad (var) ? "\1" : "\0"), 1);
}

/* The key of a node: kind, settings, and per input link the source's
 * result generation and data. */
static char *
compute_key (AfsRunner *self, AfsGraphNode *node, GHashTable *inputs, GPtrArray *sources)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(JsonNode) settings = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *settings_text = NULL;
  GPtrArray *ports = afs_graph_node_get_inputs (node);

  json_node_set_object (settings, afs_graph_node_get_settings (node));
  settings_text = json_to_string (settings, FALSE);
  g_checksum_update (sum, (const guchar *) afs_node_kind_get_id (afs_graph_node_get_kind (node)), -1);
  g_checksum_update (sum, (const guchar *) settings_text, -1);
  for (guint i = 0; i < ports->len; i++)
    {
      AfsPort *port = g_ptr_array_index (ports, i);
      GPtrArray *list = g_hash_table_lookup (inputs, port->name);

      g_checksum_update (sum, (const guchar *) port->name, -1);
      for (guint j = 0; list != NULL && j < list->len; j++)
        hash_variable (sum, g_ptr_array_index (list, j));
    }
  for (guint i = 0; i < sources->len; i++)
    {
      AfsNodeRun *src = g_ptr_array_index (sources, i);
      g_autofree char *gen = g_strdup_printf ("|%u:%" G_GUINT64_FORMAT,
                                              afs_node_run_get_node_id (src),
                                              afs_node_run_get_generation (src));
      g_checksum_update (sum, (const guchar *) gen, -1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

static void
register_outputs (AfsRunner *self, guint node_id, GHashTable *outputs)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, outputs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      AfnVariable *var = value;
      if (afn_variable_get_grad_fn (var) != NULL)
        afs_runner_register_engine_node (self, afn_variable_get_grad_fn (var), node_id);
      else if (afn_variable_is_leaf (var) && afn_variable_get_requires_grad (var))
        afs_runner_register_engine_node (self, afn_variable_get_accumulate_node (var), node_id);
    }
}

static void
store_result (Run *run, Entry *e, GHashTable *outputs, const char *key)
{
  AfsNodeRun *node_run = afs_runner_ensure_run (run->runner, e->id);

  register_outputs (run->runner, e->id, outputs);
  afs_node_run_set_key (node_run, key);
  afs_node_run_set_generation (node_run, ++run->runner->generation);
  afs_node_run_set_backward_state (node_run, AFS_BACKWARD_STATE_NONE, NULL);
  afs_node_run_set_outputs (node_run, outputs);
}

static void
run_data_node (Run *run, Entry *e)
{
  AfsNodeRun *node_run = afs_runner_ensure_run (run->runner, e->id);
  AfnVariable *var = afs_node_run_get_output (node_run, "output");
  g_autoptr(JsonNode) settings = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *key = NULL;
  GError *error = NULL;
  GHashTable *outputs;

  json_node_set_object (settings, afs_graph_node_get_settings (e->node));
  key = json_to_string (settings, FALSE);
  if (var != NULL && g_strcmp0 (key, afs_node_run_get_key (node_run)) == 0)
    {
      set_state (run, e, AFS_NODE_STATE_REUSED, NULL);
      entry_finished (run, e, FALSE);
      return;
    }
  if (var != NULL && afs_run_update_data_variable (var, e->node))
    {
      afs_node_run_set_key (node_run, key);
      afs_node_run_set_generation (node_run, ++run->runner->generation);
      set_state (run, e, AFS_NODE_STATE_DONE, NULL);
      entry_finished (run, e, FALSE);
      return;
    }
  var = afs_run_new_data_variable (e->node, &error);
  if (var == NULL)
    {
      set_state (run, e, AFS_NODE_STATE_ERROR, error->message);
      g_error_free (error);
      entry_finished (run, e, TRUE);
      return;
    }
  outputs = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  g_hash_table_insert (outputs, (gpointer) g_intern_string ("output"), var);
  store_result (run, e, outputs, key);
  set_state (run, e, AFS_NODE_STATE_DONE, NULL);
  entry_finished (run, e, FALSE);
}

static void
op_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  OpCall *call = user_data;
  Run *run = call->run;
  Entry *e = call->entry;
  AfnUsage usage = { 0 };
  GError *error = NULL;
  GHashTable *outputs = afs_run_op_finish (result, &usage, &error);
  const char *key = call->key;

  run->in_flight--;
  if (!run->finished)
    {
      AfsNodeRun *node_run = afs_runner_ensure_run (run->runner, e->id);

      if (outputs != NULL)
        {
          store_result (run, e, outputs, key);
          afs_node_run_set_usage (node_run, &usage);
          set_state (run, e, AFS_NODE_STATE_DONE, NULL);
          entry_finished (run, e, FALSE);
        }
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          run_finish (run, g_steal_pointer (&error));
        }
      else
        {
          set_state (run, e, AFS_NODE_STATE_ERROR, error->message);
          entry_finished (run, e, TRUE);
        }
      if (!run->finished)
        pump (run);
    }
  else if (outputs != NULL)
    g_hash_table_unref (outputs);
  g_clear_error (&error);
  run_unref (run);
  g_free (call->key);
  g_free (call);
}

/* The inputs of @e from its sources' results, or NULL with a message. */
static GHashTable *
gather_inputs (Run *run, Entry *e, GPtrArray *sources, char **message)
{
  AfsDocument *doc = run->runner->document;
  GPtrArray *ports = afs_graph_node_get_inputs (e->node);
  g_autoptr(GHashTable) inputs = g_hash_table_new_full (NULL, NULL, NULL,
                                                        (GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < ports->len; i++)
    {
      AfsPort *port = g_ptr_array_index (ports, i);
      g_autoptr(GPtrArray) links = afs_document_dup_input_links (doc, e->id, port->name);
      GPtrArray *list = g_ptr_array_new ();

      g_hash_table_insert (inputs, (gpointer) port->name, list);
      for (guint j = 0; j < links->len; j++)
        {
          AfsLink *link = g_ptr_array_index (links, j);
          Entry *src = g_hash_table_lookup (run->entries, GUINT_TO_POINTER (afs_link_get_source (link)));
          AfsGraphNode *src_node = afs_document_get_node (doc, afs_link_get_source (link));
          AfsNodeRun *src_run = afs_runner_ensure_run (run->runner, afs_link_get_source (link));
          AfnVariable *var = afs_node_run_get_output (src_run, afs_link_get_source_port (link));
          g_autofree char *title = src_node != NULL ? afs_graph_node_dup_title (src_node) : g_strdup ("?");

          if (src != NULL && src->failed)
            {
              *message = g_strdup_printf (_("Not run: “%s” (node %u) failed."), title,
                                          afs_link_get_source (link));
              return NULL;
            }
          if (var == NULL)
            {
              *message = g_strdup_printf (_("Input “%s”: “%s” (node %u) has no output “%s”."),
                                          port->label, title, afs_link_get_source (link),
                                          afs_link_get_source_port (link));
              return NULL;
            }
          g_ptr_array_add (list, var);
          g_ptr_array_add (sources, src_run);
        }
    }
  return g_steal_pointer (&inputs);
}

static void
start_entry (Run *run, Entry *e)
{
  AfsRunner *self = run->runner;
  AfsNodeRun *node_run = afs_runner_ensure_run (self, e->id);
  g_autoptr(GPtrArray) sources = g_ptr_array_new ();
  g_autoptr(GHashTable) inputs = NULL;
  g_autofree char *message = NULL;
  g_autofree char *key = NULL;
  OpCall *call;

  e->started = TRUE;
  if (afs_node_kind_is_data (afs_graph_node_get_kind (e->node)))
    {
      run_data_node (run, e);
      return;
    }
  inputs = gather_inputs (run, e, sources, &message);
  if (inputs == NULL)
    {
      set_state (run, e, AFS_NODE_STATE_ERROR, message);
      entry_finished (run, e, TRUE);
      return;
    }
  key = compute_key (self, e->node, inputs, sources);
  if (e->id != run->forced && afs_node_run_peek_outputs (node_run) != NULL &&
      g_strcmp0 (key, afs_node_run_get_key (node_run)) == 0)
    {
      set_state (run, e, AFS_NODE_STATE_REUSED, NULL);
      entry_finished (run, e, FALSE);
      return;
    }
  set_state (run, e, AFS_NODE_STATE_RUNNING, NULL);
  call = g_new (OpCall, 1);
  call->run = run_ref (run);
  call->entry = e;
  call->key = g_steal_pointer (&key);
  run->in_flight++;
  afs_run_op_async (e->node, inputs, AFN_MODEL_CLIENT (self->proxy),
                    afs_model_settings_get_model (self->settings),
                    g_task_get_cancellable (run->task), op_done_cb, call);
}

static void
pump (Run *run)
{
  Entry *e;

  while (!run->finished && (e = g_queue_pop_head (&run->ready)) != NULL)
    {
      if (g_cancellable_is_cancelled (g_task_get_cancellable (run->task)))
        {
          run_finish (run, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                _("The run was cancelled.")));
          return;
        }
      start_entry (run, e);
    }
  if (!run->finished && run->in_flight == 0)
    run_finish (run, NULL);
}

static gboolean
run_cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Run *run = user_data;

  run_finish (run, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The run was cancelled.")));
  return G_SOURCE_REMOVE;
}

static gboolean
pump_idle_cb (gpointer user_data)
{
  Run *run = user_data;

  pump (run);
  return G_SOURCE_REMOVE;
}

static GHashTable *
scope_nodes (AfsRunner *self, AfsRunScope scope, guint node_id)
{
  GHashTable *set = g_hash_table_new (NULL, NULL);
  GPtrArray *nodes = afs_document_get_nodes (self->document);

  if (scope == AFS_RUN_ALL)
    {
      for (guint i = 0; i < nodes->len; i++)
        g_hash_table_add (set, GUINT_TO_POINTER (afs_graph_node_get_id (g_ptr_array_index (nodes, i))));
    }
  else if (scope == AFS_RUN_TO)
    collect_upstream (self->document, node_id, set);
  else
    {
      g_autoptr(GHashTable) down = g_hash_table_new (NULL, NULL);
      GHashTableIter iter;
      gpointer key;

      collect_downstream (self->document, node_id, down);
      /* Upstream results are needed too: reused, or computed when missing. */
      g_hash_table_iter_init (&iter, down);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        collect_upstream (self->document, GPOINTER_TO_UINT (key), set);
    }
  return set;
}

void
afs_runner_run_async (AfsRunner          *self,
                      AfsRunScope         scope,
                      guint               node_id,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) set = NULL;
  g_autoptr(GCancellable) own_cancellable = NULL;
  GError *error = NULL;
  GHashTableIter iter;
  gpointer key;
  Run *run;

  g_return_if_fail (AFS_IS_RUNNER (self));
  /* The run needs a cancellable of its own to watch. */
  if (cancellable == NULL)
    cancellable = own_cancellable = g_cancellable_new ();
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, afs_runner_run_async);
  if (scope != AFS_RUN_ALL && afs_document_get_node (self->document, node_id) == NULL)
    {
      g_task_return_new_error (task, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_SUCH_NODE,
                               _("There is no node %u."), node_id);
      return;
    }
  if (!afs_runner_begin_operation (self, task, "run", &error))
    {
      g_task_return_error (task, error);
      return;
    }

  run = g_new0 (Run, 1);
  g_atomic_ref_count_init (&run->ref);
  run->runner = g_object_ref (self);
  run->task = g_object_ref (task);
  run->entries = g_hash_table_new_full (NULL, NULL, NULL, entry_free);
  run->forced = scope == AFS_RUN_FROM ? node_id : 0;
  set = scope_nodes (self, scope, node_id);

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      guint id = GPOINTER_TO_UINT (key);
      AfsNodeRun *node_run = afs_runner_ensure_run (self, id);
      Entry *e = g_new0 (Entry, 1);

      e->id = id;
      e->node = g_object_ref (afs_document_get_node (self->document, id));
      e->prev_state = afs_node_run_get_state (node_run);
      e->prev_message = g_strdup (afs_node_run_get_message (node_run));
      g_hash_table_insert (run->entries, key, e);
    }
  /* Count each node's input links, then queue the nodes with none. */
  for (guint i = 0; i < afs_document_get_links (self->document)->len; i++)
    {
      AfsLink *link = g_ptr_array_index (afs_document_get_links (self->document), i);
      Entry *e = g_hash_table_lookup (run->entries, GUINT_TO_POINTER (afs_link_get_target (link)));
      if (e != NULL && g_hash_table_contains (run->entries, GUINT_TO_POINTER (afs_link_get_source (link))))
        e->pending++;
    }
  /* In document order, so that runs are reproducible. */
  for (guint i = 0; i < afs_document_get_nodes (self->document)->len; i++)
    {
      guint id = afs_graph_node_get_id (g_ptr_array_index (afs_document_get_nodes (self->document), i));
      Entry *e = g_hash_table_lookup (run->entries, GUINT_TO_POINTER (id));

      if (e == NULL)
        continue;
      set_state (run, e, AFS_NODE_STATE_QUEUED, NULL);
      if (e->pending == 0)
        g_queue_push_tail (&run->ready, e);
    }
  run->cancel_source = g_cancellable_source_new (cancellable);
  g_source_set_callback (run->cancel_source, G_SOURCE_FUNC (run_cancelled_cb), run, NULL);
  g_source_attach (run->cancel_source, g_main_context_get_thread_default ());
  /* Start from the main loop: the caller sees every node queued first. */
  g_idle_add_full (G_PRIORITY_DEFAULT, pump_idle_cb, run, (GDestroyNotify) run_unref);
}

gboolean
afs_runner_run_finish (AfsRunner *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}


/* Waits for an async operation on the thread-default main context. */
void
afs_runner_sync_wait_init (AfsRunnerSyncWait *wait)
{
  wait->result = NULL;
  wait->context = g_main_context_ref_thread_default ();
}

void
afs_runner_sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AfsRunnerSyncWait *wait = user_data;

  wait->result = g_object_ref (result);
  g_main_context_wakeup (wait->context);
}

GAsyncResult *
afs_runner_sync_wait_finish (AfsRunnerSyncWait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (wait->context, TRUE);
  g_main_context_unref (wait->context);
  return g_steal_pointer (&wait->result);
}

gboolean
afs_runner_run (AfsRunner *self, AfsRunScope scope, guint node_id,
                GCancellable *cancellable, GError **error)
{
  AfsRunnerSyncWait wait;
  g_autoptr(GAsyncResult) result = NULL;

  afs_runner_sync_wait_init (&wait);
  afs_runner_run_async (self, scope, node_id, cancellable, afs_runner_sync_done_cb, &wait);
  result = afs_runner_sync_wait_finish (&wait);
  return afs_runner_run_finish (self, result, error);
}

/* ---- Saving results ---- */

#define AFNIO_EXTRA "afnio"

static JsonNode *
data_json (AfnValue *value)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  switch (afn_value_kind (value))
    {
    case AFN_VALUE_INT:
      json_node_set_int (node, afn_value_get_int (value));
      return node;
    case AFN_VALUE_FLOAT:
      json_node_set_double (node, afn_value_get_float (value));
      return node;
    case AFN_VALUE_LIST:
      {
        JsonArray *array = json_array_new ();
        json_node_unref (node);
        for (guint i = 0; i < afn_value_n_items (value); i++)
          json_array_add_element (array, data_json (afn_value_get_item (value, i)));
        node = json_node_new (JSON_NODE_ARRAY);
        json_node_take_array (node, array);
        return node;
      }
    default:
      {
        g_autofree char *text = afn_value_to_text (value);
        json_node_set_string (node, text);
        return node;
      }
    }
}

static JsonObject *
copy_object (JsonObject *o)
{
  JsonObject *copy = json_object_new ();
  g_autoptr(GList) members = o != NULL ? json_object_get_members (o) : NULL;

  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (copy, l->data, json_node_copy (json_object_get_member (o, l->data)));
  return copy;
}

static JsonObject *
object_member (JsonObject *o, const char *name)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, name) : NULL;
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

void
afs_runner_store_in_document (AfsRunner *self)
{
  JsonNode *old = afs_document_get_extra (self->document, AFNIO_EXTRA);
  JsonObject *old_root = old != NULL && JSON_NODE_HOLDS_OBJECT (old) ? json_node_get_object (old) : NULL;
  JsonObject *root = copy_object (old_root);
  JsonObject *variables = copy_object (object_member (old_root, "variables"));
  GPtrArray *nodes = afs_document_get_nodes (self->document);
  g_autoptr(JsonNode) root_node = json_node_new (JSON_NODE_OBJECT);

  g_return_if_fail (AFS_IS_RUNNER (self));
  for (guint i = 0; i < nodes->len; i++)
    {
      AfsGraphNode *node = g_ptr_array_index (nodes, i);
      guint id = afs_graph_node_get_id (node);
      AfnVariable *var = afs_runner_get_output (self, id, "output");
      g_autofree char *key = g_strdup_printf ("%u", id);
      JsonObject *info;
      JsonArray *grads;

      if (!afs_node_kind_is_data (afs_graph_node_get_kind (node)) || var == NULL)
        continue;
      info = copy_object (object_member (variables, key));
      grads = json_array_new ();
      for (guint g = 0; g < afn_variable_n_grads (var); g++)
        {
          AfnVariable *grad = afn_variable_get_grad (var, g);
          JsonObject *item = json_object_new ();
          const char *role = afn_variable_get_role (grad);

          json_object_set_member (item, "data", data_json (afn_variable_get_data (grad)));
          json_object_set_string_member (item, "role", role != NULL ? role : "");
          json_object_set_boolean_member (item, "requires_grad", afn_variable_get_requires_grad (grad));
          json_array_add_object_element (grads, item);
        }
      json_object_set_array_member (info, "grads", grads);
      json_object_set_object_member (variables, key, info);
    }
  json_object_set_object_member (root, "variables", variables);
  json_node_take_object (root_node, root);
  afs_document_set_extra (self->document, AFNIO_EXTRA, root_node);
  sync_recordings (self);
  if (afn_replay_client_get_n_recordings (self->recordings) > 0)
    store_recordings (self);
}
