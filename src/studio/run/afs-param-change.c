/* afs-param-change.c: one optimizer change of a Parameter.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-param-change.h"

struct _AfsParamChange
{
  GObject   parent_instance;

  guint     node_id;
  guint     step;
  char     *role;
  char     *before;
  char     *after;
  char     *feedback;
  gboolean  undone;
};

G_DEFINE_TYPE (AfsParamChange, afs_param_change, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NODE_ID,
  PROP_STEP,
  PROP_ROLE,
  PROP_BEFORE,
  PROP_AFTER,
  PROP_FEEDBACK,
  PROP_UNDONE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static void
afs_param_change_finalize (GObject *object)
{
  AfsParamChange *self = AFS_PARAM_CHANGE (object);

  g_free (self->role);
  g_free (self->before);
  g_free (self->after);
  g_free (self->feedback);
  G_OBJECT_CLASS (afs_param_change_parent_class)->finalize (object);
}

static void
afs_param_change_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsParamChange *self = AFS_PARAM_CHANGE (object);

  switch (prop_id)
    {
    case PROP_NODE_ID: g_value_set_uint (value, self->node_id); break;
    case PROP_STEP: g_value_set_uint (value, self->step); break;
    case PROP_ROLE: g_value_set_string (value, self->role); break;
    case PROP_BEFORE: g_value_set_string (value, self->before); break;
    case PROP_AFTER: g_value_set_string (value, self->after); break;
    case PROP_FEEDBACK: g_value_set_string (value, self->feedback); break;
    case PROP_UNDONE: g_value_set_boolean (value, self->undone); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_param_change_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AfsParamChange *self = AFS_PARAM_CHANGE (object);

  switch (prop_id)
    {
    case PROP_NODE_ID: self->node_id = g_value_get_uint (value); break;
    case PROP_STEP: self->step = g_value_get_uint (value); break;
    case PROP_ROLE: self->role = g_value_dup_string (value); break;
    case PROP_BEFORE: self->before = g_value_dup_string (value); break;
    case PROP_AFTER: self->after = g_value_dup_string (value); break;
    case PROP_FEEDBACK: self->feedback = g_value_dup_string (value); break;
    case PROP_UNDONE: afs_param_change_set_undone (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_param_change_class_init (AfsParamChangeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = afs_param_change_finalize;
  object_class->get_property = afs_param_change_get_property;
  object_class->set_property = afs_param_change_set_property;

  props[PROP_NODE_ID] = g_param_spec_uint ("node-id", NULL, NULL, 0, G_MAXUINT, 0, co);
  props[PROP_STEP] = g_param_spec_uint ("step", NULL, NULL, 0, G_MAXUINT, 0, co);
  props[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, "", co);
  props[PROP_BEFORE] = g_param_spec_string ("before", NULL, NULL, "", co);
  props[PROP_AFTER] = g_param_spec_string ("after", NULL, NULL, "", co);
  props[PROP_FEEDBACK] = g_param_spec_string ("feedback", NULL, NULL, "", co);
  props[PROP_UNDONE] = g_param_spec_boolean ("undone", NULL, NULL, FALSE,
                                             G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                             G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afs_param_change_init (AfsParamChange *self)
{
}

AfsParamChange *
afs_param_change_new (guint node_id, guint step, const char *role,
                      const char *before, const char *after, const char *feedback)
{
  return g_object_new (AFS_TYPE_PARAM_CHANGE,
                       "node-id", node_id, "step", step,
                       "role", role != NULL ? role : "",
                       "before", before != NULL ? before : "",
                       "after", after != NULL ? after : "",
                       "feedback", feedback != NULL ? feedback : "",
                       NULL);
}

guint       afs_param_change_get_node_id (AfsParamChange *self) { return self->node_id; }
guint       afs_param_change_get_step (AfsParamChange *self) { return self->step; }
const char *afs_param_change_get_role (AfsParamChange *self) { return self->role; }
const char *afs_param_change_get_before (AfsParamChange *self) { return self->before; }
const char *afs_param_change_get_after (AfsParamChange *self) { return self->after; }
const char *afs_param_change_get_feedback (AfsParamChange *self) { return self->feedback; }
gboolean    afs_param_change_get_undone (AfsParamChange *self) { return self->undone; }

void
afs_param_change_set_undone (AfsParamChange *self, gboolean undone)
{
  g_return_if_fail (AFS_IS_PARAM_CHANGE (self));
  undone = !!undone;
  if (self->undone == undone)
    return;
  self->undone = undone;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_UNDONE]);
}
