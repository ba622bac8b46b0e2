/* afs-document.c: the graph a studio window edits.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-document-private.h"
#include "afs-command.h"

struct _AfsDocument
{
  GObject parent_instance;
  GHashTable *nodes_by_id;     /* guint -> AfsGraphNode */
  GHashTable *links_by_id;     /* guint -> AfsLink */
  GHashTable *node_links;      /* guint -> GPtrArray of AfsLink touching it */
  GPtrArray *nodes;            /* sorted by id */
  GPtrArray *links;            /* sorted by id */
  GHashTable *extras;          /* char* -> JsonNode */
  AfsUndoStack *undo;
  guint next_node_id;
  guint next_link_id;
};

G_DEFINE_FINAL_TYPE (AfsDocument, afs_document, G_TYPE_OBJECT)

enum { PROP_0, PROP_MODIFIED, PROP_UNDO_STACK, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { NODE_ADDED, NODE_REMOVED, NODE_CHANGED, LINK_ADDED, LINK_REMOVED, CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
afs_document_dispose (GObject *object)
{
  AfsDocument *self = AFS_DOCUMENT (object);

  g_clear_object (&self->undo);
  G_OBJECT_CLASS (afs_document_parent_class)->dispose (object);
}

static void
afs_document_finalize (GObject *object)
{
  AfsDocument *self = AFS_DOCUMENT (object);

  g_hash_table_unref (self->node_links);
  g_hash_table_unref (self->nodes_by_id);
  g_hash_table_unref (self->links_by_id);
  g_ptr_array_unref (self->nodes);
  g_ptr_array_unref (self->links);
  g_hash_table_unref (self->extras);
  G_OBJECT_CLASS (afs_document_parent_class)->finalize (object);
}

static void
afs_document_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsDocument *self = AFS_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_MODIFIED: g_value_set_boolean (value, afs_document_get_modified (self)); break;
    case PROP_UNDO_STACK: g_value_set_object (value, self->undo); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_document_class_init (AfsDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = afs_document_dispose;
  object_class->finalize = afs_document_finalize;
  object_class->get_property = afs_document_get_property;

  props[PROP_MODIFIED] = g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_UNDO_STACK] = g_param_spec_object ("undo-stack", NULL, NULL, AFS_TYPE_UNDO_STACK,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[NODE_ADDED] = g_signal_new ("node-added", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, AFS_TYPE_GRAPH_NODE);
  signals[NODE_REMOVED] = g_signal_new ("node-removed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, AFS_TYPE_GRAPH_NODE);
  signals[NODE_CHANGED] = g_signal_new ("node-changed", type, G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                                        0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 2, AFS_TYPE_GRAPH_NODE, G_TYPE_STRING);
  signals[LINK_ADDED] = g_signal_new ("link-added", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, AFS_TYPE_LINK);
  signals[LINK_REMOVED] = g_signal_new ("link-removed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, AFS_TYPE_LINK);
  signals[CHANGED] = g_signal_new ("changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
undo_modified_cb (AfsDocument *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODIFIED]);
}

static void
afs_document_init (AfsDocument *self)
{
  self->nodes_by_id = g_hash_table_new (NULL, NULL);
  self->links_by_id = g_hash_table_new (NULL, NULL);
  self->node_links = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  self->nodes = g_ptr_array_new_with_free_func (g_object_unref);
  self->links = g_ptr_array_new_with_free_func (g_object_unref);
  self->extras = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
  self->undo = afs_undo_stack_new ();
  self->next_node_id = 1;
  self->next_link_id = 1;
  g_signal_connect_object (self->undo, "notify::modified", G_CALLBACK (undo_modified_cb),
                           self, G_CONNECT_SWAPPED);
}

AfsDocument *
afs_document_new (void)
{
  return g_object_new (AFS_TYPE_DOCUMENT, NULL);
}

AfsUndoStack *afs_document_get_undo_stack (AfsDocument *self) { return self->undo; }
gboolean afs_document_get_modified (AfsDocument *self) { return afs_undo_stack_get_modified (self->undo); }
void afs_document_mark_saved (AfsDocument *self) { afs_undo_stack_mark_clean (self->undo); }
gboolean afs_document_undo (AfsDocument *self) { return afs_undo_stack_undo (self->undo, self); }
gboolean afs_document_redo (AfsDocument *self) { return afs_undo_stack_redo (self->undo, self); }
void afs_document_clear_history (AfsDocument *self) { afs_undo_stack_clear (self->undo); }
void afs_document_begin_group (AfsDocument *self, const char *label) { afs_undo_stack_begin_group (self->undo, label); }
void afs_document_end_group (AfsDocument *self) { afs_undo_stack_end_group (self->undo); }
GPtrArray *afs_document_get_nodes (AfsDocument *self) { return self->nodes; }
GPtrArray *afs_document_get_links (AfsDocument *self) { return self->links; }
GHashTable *afs_document_get_extras (AfsDocument *self) { return self->extras; }
guint afs_document_next_node_id (AfsDocument *self) { return self->next_node_id++; }
guint afs_document_next_link_id (AfsDocument *self) { return self->next_link_id++; }

void
afs_document_set_next_ids (AfsDocument *self, guint next_node, guint next_link)
{
  self->next_node_id = MAX (self->next_node_id, next_node);
  self->next_link_id = MAX (self->next_link_id, next_link);
}

AfsGraphNode *
afs_document_get_node (AfsDocument *self, guint id)
{
  return g_hash_table_lookup (self->nodes_by_id, GUINT_TO_POINTER (id));
}

AfsLink *
afs_document_get_link (AfsDocument *self, guint id)
{
  return g_hash_table_lookup (self->links_by_id, GUINT_TO_POINTER (id));
}

void
afs_document_emit_changed (AfsDocument *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

void
afs_document_push (AfsDocument *self, AfsCommand *command)
{
  afs_undo_stack_push (self->undo, self, command);
}

/* ---- Sorted arrays: ids only grow, so appends keep the order; an undo
 * that re-inserts an old id finds its place by binary search. ---- */

static guint
node_id_of (gpointer p, gboolean is_node)
{
  return is_node ? afs_graph_node_get_id (p) : afs_link_get_id (p);
}

static guint
sorted_position (GPtrArray *array, guint id, gboolean is_node)
{
  guint lo = 0, hi = array->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (node_id_of (g_ptr_array_index (array, mid), is_node) < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
sorted_insert (GPtrArray *array, gpointer item, guint id, gboolean is_node)
{
  g_ptr_array_insert (array, sorted_position (array, id, is_node), g_object_ref (item));
}

static void
sorted_remove (GPtrArray *array, guint id, gboolean is_node)
{
  guint i = sorted_position (array, id, is_node);

  g_assert (i < array->len && node_id_of (g_ptr_array_index (array, i), is_node) == id);
  g_ptr_array_remove_index (array, i);
}

/* ---- Primitive changes ---- */

void
afs_document_real_insert_node (AfsDocument *self, AfsGraphNode *node)
{
  guint id = afs_graph_node_get_id (node);

  g_assert (!afs_document_get_node (self, id));
  g_hash_table_insert (self->nodes_by_id, GUINT_TO_POINTER (id), node);
  g_hash_table_insert (self->node_links, GUINT_TO_POINTER (id), g_ptr_array_new ());
  sorted_insert (self->nodes, node, id, TRUE);
  self->next_node_id = MAX (self->next_node_id, id + 1);
  g_signal_emit (self, signals[NODE_ADDED], 0, node);
}

void
afs_document_real_remove_node (AfsDocument *self, guint id)
{
  g_autoptr(AfsGraphNode) node = g_object_ref (afs_document_get_node (self, id));

  g_assert (((GPtrArray *) g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (id)))->len == 0);
  g_hash_table_remove (self->nodes_by_id, GUINT_TO_POINTER (id));
  g_hash_table_remove (self->node_links, GUINT_TO_POINTER (id));
  sorted_remove (self->nodes, id, TRUE);
  g_signal_emit (self, signals[NODE_REMOVED], 0, node);
}

void
afs_document_real_insert_link (AfsDocument *self, AfsLink *link)
{
  guint id = afs_link_get_id (link);

  g_hash_table_insert (self->links_by_id, GUINT_TO_POINTER (id), link);
  g_ptr_array_add (g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (afs_link_get_source (link))), link);
  if (afs_link_get_target (link) != afs_link_get_source (link))
    g_ptr_array_add (g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (afs_link_get_target (link))), link);
  sorted_insert (self->links, link, id, FALSE);
  self->next_link_id = MAX (self->next_link_id, id + 1);
  g_signal_emit (self, signals[LINK_ADDED], 0, link);
}

void
afs_document_real_remove_link (AfsDocument *self, guint id)
{
  g_autoptr(AfsLink) link = g_object_ref (afs_document_get_link (self, id));

  g_hash_table_remove (self->links_by_id, GUINT_TO_POINTER (id));
  g_ptr_array_remove (g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (afs_link_get_source (link))), link);
  g_ptr_array_remove (g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (afs_link_get_target (link))), link);
  sorted_remove (self->links, id, FALSE);
  g_signal_emit (self, signals[LINK_REMOVED], 0, link);
}

void
afs_document_real_move (AfsDocument *self, guint id, double x, double y)
{
  AfsGraphNode *node = afs_document_get_node (self, id);

  afs_graph_node_set_position (node, x, y);
  g_signal_emit (self, signals[NODE_CHANGED], g_quark_from_static_string ("position"), node, "position");
}

void
afs_document_real_set_setting (AfsDocument *self, guint id, const char *key, JsonNode *value)
{
  AfsGraphNode *node = afs_document_get_node (self, id);

  afs_graph_node_set_setting (node, key, value ? json_node_copy (value) : NULL);
  g_signal_emit (self, signals[NODE_CHANGED], g_quark_from_string (key), node, key);
}

void
afs_document_reset (AfsDocument *self)
{
  while (self->links->len > 0)
    afs_document_real_remove_link (self, afs_link_get_id (g_ptr_array_index (self->links, self->links->len - 1)));
  while (self->nodes->len > 0)
    afs_document_real_remove_node (self, afs_graph_node_get_id (g_ptr_array_index (self->nodes, self->nodes->len - 1)));
  g_hash_table_remove_all (self->extras);
  self->next_node_id = 1;
  self->next_link_id = 1;
}

/* ---- Queries ---- */

GPtrArray *
afs_document_dup_node_links (AfsDocument *self, guint id)
{
  GPtrArray *links = g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (id));

  return links ? g_ptr_array_copy (links, NULL, NULL) : g_ptr_array_new ();
}

GPtrArray *
afs_document_dup_input_links (AfsDocument *self, guint id, const char *port)
{
  GPtrArray *links = g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (id));
  GPtrArray *result = g_ptr_array_new ();
  const char *interned = g_intern_string (port);

  for (guint i = 0; links && i < links->len; i++)
    {
      AfsLink *link = g_ptr_array_index (links, i);

      if (afs_link_get_target (link) == id && afs_link_get_target_port (link) == interned)
        g_ptr_array_add (result, link);
    }
  return result;
}

/* TRUE when @to is reachable from @from along links. */
static gboolean
reaches (AfsDocument *self, guint from, guint to)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint));

  g_array_append_val (stack, from);
  while (stack->len > 0)
    {
      guint id = g_array_index (stack, guint, stack->len - 1);
      GPtrArray *links;

      g_array_set_size (stack, stack->len - 1);
      if (id == to)
        return TRUE;
      if (!g_hash_table_add (seen, GUINT_TO_POINTER (id)))
        continue;
      links = g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (id));
      for (guint i = 0; links && i < links->len; i++)
        {
          AfsLink *link = g_ptr_array_index (links, i);
          guint next = afs_link_get_target (link);

          if (afs_link_get_source (link) == id)
            g_array_append_val (stack, next);
        }
    }
  return FALSE;
}

static gboolean
lookup_port (AfsDocument *self, guint id, AfsPortDirection dir, const char *name,
             AfsGraphNode **node, AfsPort **port, GError **error)
{
  *node = afs_document_get_node (self, id);
  if (!*node)
    {
      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_NO_SUCH_NODE,
                   _("There is no node %u"), id);
      return FALSE;
    }
  *port = afs_graph_node_find_port (*node, dir, name);
  if (!*port)
    {
      g_autofree char *title = afs_graph_node_dup_title (*node);

      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_NO_SUCH_PORT,
                   dir == AFS_PORT_INPUT ? _("“%s” has no input named “%s”")
                                         : _("“%s” has no output named “%s”"),
                   title, name);
      return FALSE;
    }
  return TRUE;
}

gboolean
afs_document_check_link (AfsDocument *self, guint src, const char *src_port,
                         guint dst, const char *dst_port, gboolean replace, GError **error)
{
  AfsGraphNode *from, *to;
  AfsPort *out, *in;
  g_autoptr(GPtrArray) existing = NULL;
  g_autofree char *from_title = NULL;
  g_autofree char *to_title = NULL;

  if (!lookup_port (self, src, AFS_PORT_OUTPUT, src_port, &from, &out, error) ||
      !lookup_port (self, dst, AFS_PORT_INPUT, dst_port, &to, &in, error))
    return FALSE;
  from_title = afs_graph_node_dup_title (from);
  to_title = afs_graph_node_dup_title (to);

  if (!afs_port_type_compatible (out->type, in->type))
    {
      g_autofree char *out_type = afs_port_type_to_string (out->type);
      g_autofree char *in_type = afs_port_type_to_string (in->type);

      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_TYPE_MISMATCH,
                   _("Output “%s” of “%s” gives %s, but input “%s” of “%s” takes %s"),
                   out->label, from_title, out_type, in->label, to_title, in_type);
      return FALSE;
    }
  if (src == dst || reaches (self, dst, src))
    {
      if (src == dst)
        g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_CYCLE,
                     _("A node cannot feed itself (“%s”)"), from_title);
      else
        g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_CYCLE,
                     _("Linking “%s” to “%s” would make a loop, because “%s” already feeds “%s”"),
                     from_title, to_title, to_title, from_title);
      return FALSE;
    }
  existing = afs_document_dup_input_links (self, dst, dst_port);
  for (guint i = 0; i < existing->len; i++)
    {
      AfsLink *link = g_ptr_array_index (existing, i);

      if (afs_link_get_source (link) == src && afs_link_get_source_port (link) == out->name)
        {
          g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_DUPLICATE_LINK,
                       _("“%s” is already linked to input “%s” of “%s”"), from_title, in->label, to_title);
          return FALSE;
        }
    }
  if (!in->multi && existing->len > 0 && !replace)
    {
      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_INPUT_TAKEN,
                   _("Input “%s” of “%s” already has a link"), in->label, to_title);
      return FALSE;
    }
  return TRUE;
}

gboolean
afs_document_can_link (AfsDocument *self, guint src, const char *src_port,
                       guint dst, const char *dst_port, gboolean replace, GError **error)
{
  g_return_val_if_fail (AFS_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (src_port != NULL && dst_port != NULL, FALSE);

  return afs_document_check_link (self, src, src_port, dst, dst_port, replace, error);
}

/* ---- Edits ---- */

AfsGraphNode *
afs_document_add_node (AfsDocument *self, const char *kind_id, double x, double y,
                       JsonObject *settings, GError **error)
{
  AfsNodeKind *kind;
  g_autoptr(JsonObject) merged = NULL;
  g_autoptr(AfsGraphNode) node = NULL;
  g_autoptr(GList) members = NULL;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), NULL);

  kind = afs_node_kind_lookup (kind_id);
  if (!kind)
    {
      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_UNKNOWN_KIND,
                   _("Unknown node kind “%s”"), kind_id ? kind_id : "");
      return NULL;
    }
  merged = afs_node_kind_default_settings (kind);
  members = settings ? json_object_get_members (settings) : NULL;
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *value = json_object_get_member (settings, l->data);

      if (!afs_node_kind_validate_setting (kind, l->data, value, error))
        return NULL;
      json_object_set_member (merged, l->data, json_node_copy (value));
    }
  node = afs_graph_node_new (self->next_node_id++, kind, x, y, g_steal_pointer (&merged));
  afs_document_push (self, afs_command_new_add_node (node));
  return node;  /* the document holds a reference now */
}

/* Adds commands removing every link of node @id not already in @removed. */
static void
add_unlink_commands (AfsDocument *self, AfsCommand *group, GHashTable *removed, GPtrArray *links)
{
  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *link = g_ptr_array_index (links, i);

      if (g_hash_table_add (removed, link))
        afs_command_group_add (group, afs_command_new_remove_link (link));
    }
}

void
afs_document_remove_nodes (AfsDocument *self, const guint *ids, guint n_ids)
{
  g_autoptr(AfsCommand) group = NULL;
  g_autoptr(GHashTable) removed = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();

  g_return_if_fail (AFS_IS_DOCUMENT (self));

  for (guint i = 0; i < n_ids; i++)
    {
      AfsGraphNode *node = afs_document_get_node (self, ids[i]);

      if (node && g_hash_table_add (seen, node))
        g_ptr_array_add (nodes, node);
    }
  if (nodes->len == 0)
    return;
  group = afs_command_new_group (nodes->len == 1 ? _("Delete Node") : _("Delete Nodes"));
  for (guint i = 0; i < nodes->len; i++)
    add_unlink_commands (self, group, removed,
                         g_hash_table_lookup (self->node_links,
                                              GUINT_TO_POINTER (afs_graph_node_get_id (nodes->pdata[i]))));
  for (guint i = 0; i < nodes->len; i++)
    afs_command_group_add (group, afs_command_new_remove_node (nodes->pdata[i]));
  afs_document_push (self, g_steal_pointer (&group));
}

void
afs_document_move_nodes (AfsDocument *self, const guint *ids, const double *xs, const double *ys,
                         guint n_ids)
{
  afs_document_move_nodes_labeled (self, ids, xs, ys, n_ids, NULL);
}

void
afs_document_move_nodes_labeled (AfsDocument *self, const guint *ids, const double *xs,
                                 const double *ys, guint n_ids, const char *label)
{
  AfsCommand *command;
  g_autoptr(GArray) kept = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) old_xy = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) new_xy = g_array_new (FALSE, FALSE, sizeof (double));

  g_return_if_fail (AFS_IS_DOCUMENT (self));

  for (guint i = 0; i < n_ids; i++)
    {
      AfsGraphNode *node = afs_document_get_node (self, ids[i]);
      double ox, oy;

      if (!node)
        continue;
      ox = afs_graph_node_get_x (node);
      oy = afs_graph_node_get_y (node);
      if (ox == xs[i] && oy == ys[i])
        continue;
      g_array_append_val (kept, ids[i]);
      g_array_append_val (old_xy, ox);
      g_array_append_val (old_xy, oy);
      g_array_append_val (new_xy, xs[i]);
      g_array_append_val (new_xy, ys[i]);
    }
  if (kept->len == 0)
    return;
  command = afs_command_new_move ((guint *) kept->data, (double *) old_xy->data,
                                 (double *) new_xy->data, kept->len);
  if (label)
    afs_command_set_label (command, label);
  afs_document_push (self, command);
}

void
afs_document_translate_nodes (AfsDocument *self, const guint *ids, guint n_ids, double dx, double dy)
{
  g_autofree double *xs = g_new (double, n_ids);
  g_autofree double *ys = g_new (double, n_ids);

  for (guint i = 0; i < n_ids; i++)
    {
      AfsGraphNode *node = afs_document_get_node (self, ids[i]);

      xs[i] = node ? afs_graph_node_get_x (node) + dx : 0;
      ys[i] = node ? afs_graph_node_get_y (node) + dy : 0;
    }
  afs_document_move_nodes (self, ids, xs, ys, n_ids);
}

AfsLink *
afs_document_link (AfsDocument *self, guint src, const char *src_port,
                   guint dst, const char *dst_port, gboolean replace, GError **error)
{
  g_autoptr(AfsCommand) group = NULL;
  g_autoptr(AfsLink) link = NULL;
  g_autoptr(GPtrArray) existing = NULL;
  AfsPort *in;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), NULL);
  if (!afs_document_can_link (self, src, src_port, dst, dst_port, replace, error))
    return NULL;

  group = afs_command_new_group (_("Connect"));
  in = afs_graph_node_find_port (afs_document_get_node (self, dst), AFS_PORT_INPUT, dst_port);
  existing = afs_document_dup_input_links (self, dst, dst_port);
  for (guint i = 0; !in->multi && i < existing->len; i++)
    afs_command_group_add (group, afs_command_new_remove_link (existing->pdata[i]));
  link = afs_link_new (self->next_link_id++, src, src_port, dst, dst_port);
  afs_command_group_add (group, afs_command_new_add_link (link));
  afs_document_push (self, g_steal_pointer (&group));
  return link;
}

void
afs_document_unlink (AfsDocument *self, const guint *link_ids, guint n_ids)
{
  g_autoptr(AfsCommand) group = afs_command_new_group (n_ids == 1 ? _("Disconnect") : _("Disconnect Wires"));
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  g_return_if_fail (AFS_IS_DOCUMENT (self));
  for (guint i = 0; i < n_ids; i++)
    {
      AfsLink *link = afs_document_get_link (self, link_ids[i]);

      if (link && g_hash_table_add (seen, link))
        afs_command_group_add (group, afs_command_new_remove_link (link));
    }
  if (afs_command_group_size (group) > 0)
    afs_document_push (self, g_steal_pointer (&group));
}

/* Links of @node from or to ports missing in the new port lists. */
static void
collect_dangling_links (AfsDocument *self, AfsGraphNode *node, GPtrArray *inputs,
                        GPtrArray *outputs, AfsCommand *group)
{
  guint id = afs_graph_node_get_id (node);
  GPtrArray *links = g_hash_table_lookup (self->node_links, GUINT_TO_POINTER (id));

  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *link = g_ptr_array_index (links, i);
      gboolean keep = TRUE;

      if (afs_link_get_source (link) == id)
        {
          keep = FALSE;
          for (guint j = 0; j < outputs->len; j++)
            keep |= ((AfsPort *) outputs->pdata[j])->name == afs_link_get_source_port (link);
        }
      if (keep && afs_link_get_target (link) == id)
        {
          keep = FALSE;
          for (guint j = 0; j < inputs->len; j++)
            keep |= ((AfsPort *) inputs->pdata[j])->name == afs_link_get_target_port (link);
        }
      if (!keep)
        afs_command_group_add (group, afs_command_new_remove_link (link));
    }
}

gboolean
afs_document_set_setting (AfsDocument *self, guint id, const char *key, JsonNode *value, GError **error)
{
  AfsGraphNode *node;
  JsonNode *old;
  g_autoptr(AfsCommand) group = NULL;
  g_autoptr(GPtrArray) inputs = NULL;
  g_autoptr(GPtrArray) outputs = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  node = afs_document_get_node (self, id);
  if (!node)
    {
      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_NO_SUCH_NODE, _("There is no node %u"), id);
      return FALSE;
    }
  if (!afs_node_kind_validate_setting (afs_graph_node_get_kind (node), key, value, error))
    return FALSE;
  old = json_object_get_member (afs_graph_node_get_settings (node), key);
  if (old && json_node_equal (old, value))
    return TRUE;

  label = g_strdup_printf (_("Change %s"), key);
  group = afs_command_new_group (label);
  afs_graph_node_ports_with (node, key, value, &inputs, &outputs);
  collect_dangling_links (self, node, inputs, outputs, group);
  afs_command_group_add (group, afs_command_new_set_setting (id, key, old, value));
  afs_document_push (self, g_steal_pointer (&group));
  return TRUE;
}

JsonNode *
afs_document_get_extra (AfsDocument *self, const char *name)
{
  return g_hash_table_lookup (self->extras, name);
}

void
afs_document_set_extra (AfsDocument *self, const char *name, JsonNode *value)
{
  g_return_if_fail (name != NULL);

  if (value)
    g_hash_table_insert (self->extras, g_strdup (name), json_node_copy (value));
  else
    g_hash_table_remove (self->extras, name);
}
