/* afs-node-run.c: the runner's view of one document node.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <string.h>

#include "afs-run-private.h"

struct _AfsNodeRun
{
  GObject           parent_instance;

  guint             node_id;
  AfsNodeState      state;
  AfsBackwardState  backward_state;
  char             *message;
  GHashTable       *outputs;   /* interned port -> AfnVariable */
  AfnUsage          usage;
  char             *key;
  guint64           generation;
};

G_DEFINE_TYPE (AfsNodeRun, afs_node_run, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NODE_ID,
  PROP_STATE,
  PROP_MESSAGE,
  PROP_BACKWARD_STATE,
  PROP_PROMPT_TOKENS,
  PROP_COMPLETION_TOKENS,
  PROP_TOTAL_TOKENS,
  PROP_COST,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_OUTPUTS_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

GType
afs_node_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { AFS_NODE_STATE_IDLE, "AFS_NODE_STATE_IDLE", "idle" },
    { AFS_NODE_STATE_QUEUED, "AFS_NODE_STATE_QUEUED", "queued" },
    { AFS_NODE_STATE_RUNNING, "AFS_NODE_STATE_RUNNING", "running" },
    { AFS_NODE_STATE_DONE, "AFS_NODE_STATE_DONE", "done" },
    { AFS_NODE_STATE_REUSED, "AFS_NODE_STATE_REUSED", "reused" },
    { AFS_NODE_STATE_ERROR, "AFS_NODE_STATE_ERROR", "error" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("AfsNodeState", values));
  return type;
}

GType
afs_backward_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { AFS_BACKWARD_STATE_NONE, "AFS_BACKWARD_STATE_NONE", "none" },
    { AFS_BACKWARD_STATE_WAITING, "AFS_BACKWARD_STATE_WAITING", "waiting" },
    { AFS_BACKWARD_STATE_RUNNING, "AFS_BACKWARD_STATE_RUNNING", "running" },
    { AFS_BACKWARD_STATE_DONE, "AFS_BACKWARD_STATE_DONE", "done" },
    { AFS_BACKWARD_STATE_ERROR, "AFS_BACKWARD_STATE_ERROR", "error" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("AfsBackwardState", values));
  return type;
}

static void
afs_node_run_finalize (GObject *object)
{
  AfsNodeRun *self = AFS_NODE_RUN (object);

  g_free (self->message);
  g_free (self->key);
  g_clear_pointer (&self->outputs, g_hash_table_unref);
  G_OBJECT_CLASS (afs_node_run_parent_class)->finalize (object);
}

static void
afs_node_run_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsNodeRun *self = AFS_NODE_RUN (object);

  switch (prop_id)
    {
    case PROP_NODE_ID: g_value_set_uint (value, self->node_id); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_MESSAGE: g_value_set_string (value, self->message); break;
    case PROP_BACKWARD_STATE: g_value_set_enum (value, self->backward_state); break;
    case PROP_PROMPT_TOKENS: g_value_set_int64 (value, self->usage.prompt_tokens); break;
    case PROP_COMPLETION_TOKENS: g_value_set_int64 (value, self->usage.completion_tokens); break;
    case PROP_TOTAL_TOKENS: g_value_set_int64 (value, self->usage.total_tokens); break;
    case PROP_COST: g_value_set_double (value, self->usage.cost_usd); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_node_run_class_init (AfsNodeRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = afs_node_run_finalize;
  object_class->get_property = afs_node_run_get_property;

  props[PROP_NODE_ID] = g_param_spec_uint ("node-id", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, AFS_TYPE_NODE_STATE,
                                         AFS_NODE_STATE_IDLE, ro);
  props[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, ro);
  props[PROP_BACKWARD_STATE] = g_param_spec_enum ("backward-state", NULL, NULL,
                                                  AFS_TYPE_BACKWARD_STATE,
                                                  AFS_BACKWARD_STATE_NONE, ro);
  props[PROP_PROMPT_TOKENS] = g_param_spec_int64 ("prompt-tokens", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_COMPLETION_TOKENS] = g_param_spec_int64 ("completion-tokens", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_TOTAL_TOKENS] = g_param_spec_int64 ("total-tokens", NULL, NULL, 0, G_MAXINT64, 0, ro);
  props[PROP_COST] = g_param_spec_double ("cost", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_OUTPUTS_CHANGED] =
    g_signal_new ("outputs-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
afs_node_run_init (AfsNodeRun *self)
{
}

AfsNodeRun *
afs_node_run_new (guint node_id)
{
  AfsNodeRun *self = g_object_new (AFS_TYPE_NODE_RUN, NULL);

  self->node_id = node_id;
  return self;
}

guint            afs_node_run_get_node_id (AfsNodeRun *self) { return self->node_id; }
AfsNodeState     afs_node_run_get_state (AfsNodeRun *self) { return self->state; }
const char      *afs_node_run_get_message (AfsNodeRun *self) { return self->message; }
AfsBackwardState afs_node_run_get_backward_state (AfsNodeRun *self) { return self->backward_state; }
double           afs_node_run_get_cost (AfsNodeRun *self) { return self->usage.cost_usd; }
gint64           afs_node_run_get_total_tokens (AfsNodeRun *self) { return self->usage.total_tokens; }
GHashTable      *afs_node_run_peek_outputs (AfsNodeRun *self) { return self->outputs; }
const char      *afs_node_run_get_key (AfsNodeRun *self) { return self->key; }

void
afs_node_run_get_usage (AfsNodeRun *self, AfnUsage *usage)
{
  g_return_if_fail (AFS_IS_NODE_RUN (self));
  *usage = self->usage;
}

static void
set_message (AfsNodeRun *self, const char *message)
{
  if (g_strcmp0 (self->message, message) == 0)
    return;
  g_free (self->message);
  self->message = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MESSAGE]);
}

void
afs_node_run_set_state (AfsNodeRun *self, AfsNodeState state, const char *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  set_message (self, message);
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
afs_node_run_set_backward_state (AfsNodeRun *self, AfsBackwardState state, const char *message)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (message != NULL || state != AFS_BACKWARD_STATE_ERROR)
    set_message (self, message != NULL ? message : (self->state == AFS_NODE_STATE_ERROR ? self->message : NULL));
  if (self->backward_state != state)
    {
      self->backward_state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BACKWARD_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
afs_node_run_set_outputs (AfsNodeRun *self, GHashTable *outputs)
{
  if (self->outputs == NULL && outputs == NULL)
    return;
  g_clear_pointer (&self->outputs, g_hash_table_unref);
  self->outputs = outputs;
  g_signal_emit (self, signals[SIGNAL_OUTPUTS_CHANGED], 0);
}

void
afs_node_run_set_usage (AfsNodeRun *self, const AfnUsage *usage)
{
  AfnUsage zero = { 0 };

  if (usage == NULL)
    usage = &zero;
  if (memcmp (&self->usage, usage, sizeof *usage) == 0)
    return;
  self->usage = *usage;
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PROMPT_TOKENS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COMPLETION_TOKENS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TOTAL_TOKENS]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COST]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
afs_node_run_add_usage (AfsNodeRun *self, const AfnUsage *usage)
{
  AfnUsage sum = self->usage;

  afn_usage_add (&sum, usage);
  afs_node_run_set_usage (self, &sum);
}

void
afs_node_run_set_key (AfsNodeRun *self, const char *key)
{
  g_free (self->key);
  self->key = g_strdup (key);
}

guint64 afs_node_run_get_generation (AfsNodeRun *self) { return self->generation; }
void    afs_node_run_set_generation (AfsNodeRun *self, guint64 generation) { self->generation = generation; }

AfnVariable *
afs_node_run_get_output (AfsNodeRun *self, const char *port)
{
  g_return_val_if_fail (AFS_IS_NODE_RUN (self), NULL);
  if (self->outputs == NULL || port == NULL)
    return NULL;
  return g_hash_table_lookup (self->outputs, g_intern_string (port));
}

char *
afs_node_run_dup_preview (AfsNodeRun *self, const char *port, guint max_chars)
{
  AfnVariable *var = afs_node_run_get_output (self, port);
  g_autofree char *text = NULL;
  GString *line;
  guint n = 0;

  if (var == NULL)
    return NULL;
  text = afn_value_to_text (afn_variable_get_data (var));
  line = g_string_new (NULL);
  /* One line: new lines and tabs become spaces. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      if (max_chars > 0 && n++ >= max_chars)
        {
          g_string_append (line, "…");
          break;
        }
      g_string_append_unichar (line, g_unichar_isspace (c) ? ' ' : c);
    }
  return g_string_free (line, FALSE);
}
