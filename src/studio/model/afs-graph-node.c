/* afs-graph-node.c: one node instance in a studio document.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-graph-node-private.h"
#include "afs-node-kind.h"

struct _AfsGraphNode
{
  GObject parent_instance;
  guint id;
  AfsNodeKind *kind;
  double x, y;
  JsonObject *settings;
  GPtrArray *inputs;
  GPtrArray *outputs;
};

G_DEFINE_FINAL_TYPE (AfsGraphNode, afs_graph_node, G_TYPE_OBJECT)

static void
afs_graph_node_finalize (GObject *object)
{
  AfsGraphNode *self = AFS_GRAPH_NODE (object);

  g_clear_object (&self->kind);
  g_clear_pointer (&self->settings, json_object_unref);
  g_clear_pointer (&self->inputs, g_ptr_array_unref);
  g_clear_pointer (&self->outputs, g_ptr_array_unref);
  G_OBJECT_CLASS (afs_graph_node_parent_class)->finalize (object);
}

static void
afs_graph_node_class_init (AfsGraphNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afs_graph_node_finalize;
}

static void
afs_graph_node_init (AfsGraphNode *self)
{
}

static void
update_ports (AfsGraphNode *self)
{
  g_clear_pointer (&self->inputs, g_ptr_array_unref);
  g_clear_pointer (&self->outputs, g_ptr_array_unref);
  afs_node_kind_compute_ports (self->kind, self->settings, &self->inputs, &self->outputs);
}

AfsGraphNode *
afs_graph_node_new (guint id, AfsNodeKind *kind, double x, double y, JsonObject *settings)
{
  AfsGraphNode *self = g_object_new (AFS_TYPE_GRAPH_NODE, NULL);

  self->id = id;
  self->kind = g_object_ref (kind);
  self->x = x;
  self->y = y;
  self->settings = settings;
  update_ports (self);
  return self;
}

void
afs_graph_node_set_position (AfsGraphNode *self, double x, double y)
{
  self->x = x;
  self->y = y;
}

void
afs_graph_node_set_setting (AfsGraphNode *self, const char *key, JsonNode *value)
{
  if (value)
    json_object_set_member (self->settings, key, value);
  else
    json_object_remove_member (self->settings, key);
  update_ports (self);
}

void
afs_graph_node_ports_with (AfsGraphNode *self, const char *key, JsonNode *value,
                           GPtrArray **inputs, GPtrArray **outputs)
{
  g_autoptr(JsonObject) copy = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (self->settings);

  for (GList *l = members; l; l = l->next)
    json_object_set_member (copy, l->data, json_node_copy (json_object_get_member (self->settings, l->data)));
  json_object_set_member (copy, key, json_node_copy (value));
  afs_node_kind_compute_ports (self->kind, copy, inputs, outputs);
}

guint afs_graph_node_get_id (AfsGraphNode *self) { return self->id; }
AfsNodeKind *afs_graph_node_get_kind (AfsGraphNode *self) { return self->kind; }
double afs_graph_node_get_x (AfsGraphNode *self) { return self->x; }
double afs_graph_node_get_y (AfsGraphNode *self) { return self->y; }
JsonObject *afs_graph_node_get_settings (AfsGraphNode *self) { return self->settings; }
GPtrArray *afs_graph_node_get_inputs (AfsGraphNode *self) { return self->inputs; }
GPtrArray *afs_graph_node_get_outputs (AfsGraphNode *self) { return self->outputs; }

const char *
afs_graph_node_get_string (AfsGraphNode *self, const char *key, const char *fallback)
{
  JsonNode *n = json_object_get_member (self->settings, key);

  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return fallback;
}

gboolean
afs_graph_node_get_boolean (AfsGraphNode *self, const char *key, gboolean fallback)
{
  JsonNode *n = json_object_get_member (self->settings, key);

  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (n);
  return fallback;
}

char *
afs_graph_node_dup_title (AfsGraphNode *self)
{
  const char *role = afs_graph_node_get_string (self, "role", NULL);

  if (afs_node_kind_is_data (self->kind) && role && *role)
    return g_strdup (role);
  return g_strdup (afs_node_kind_get_name (self->kind));
}

AfsPort *
afs_graph_node_find_port (AfsGraphNode *self, AfsPortDirection dir, const char *name)
{
  int i = afs_graph_node_port_index (self, dir, name);

  if (i < 0)
    return NULL;
  return g_ptr_array_index (dir == AFS_PORT_INPUT ? self->inputs : self->outputs, i);
}

int
afs_graph_node_port_index (AfsGraphNode *self, AfsPortDirection dir, const char *name)
{
  GPtrArray *ports = dir == AFS_PORT_INPUT ? self->inputs : self->outputs;
  const char *interned = g_intern_string (name);

  for (guint i = 0; i < ports->len; i++)
    if (((AfsPort *) g_ptr_array_index (ports, i))->name == interned)
      return i;
  return -1;
}
