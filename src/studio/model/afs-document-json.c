/* afs-document-json.c: the document as JSON, for session files and the
 * clipboard.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include "afs-document-private.h"
#include "afs-command.h"

#define GRAPH_FORMAT "afnio-studio-graph"
#define CLIP_FORMAT "afnio-studio-nodes"
#define FORMAT_VERSION 1

static JsonObject *
settings_copy (JsonObject *settings)
{
  JsonObject *copy = json_object_new ();
  g_autoptr(GList) members = json_object_get_members (settings);

  for (GList *l = members; l; l = l->next)
    json_object_set_member (copy, l->data, json_node_copy (json_object_get_member (settings, l->data)));
  return copy;
}

static JsonObject *
node_to_json (AfsGraphNode *node)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "id", afs_graph_node_get_id (node));
  json_object_set_string_member (o, "kind", afs_node_kind_get_id (afs_graph_node_get_kind (node)));
  json_object_set_double_member (o, "x", afs_graph_node_get_x (node));
  json_object_set_double_member (o, "y", afs_graph_node_get_y (node));
  json_object_set_object_member (o, "settings", settings_copy (afs_graph_node_get_settings (node)));
  return o;
}

static JsonObject *
link_to_json (AfsLink *link)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "id", afs_link_get_id (link));
  json_object_set_int_member (o, "from", afs_link_get_source (link));
  json_object_set_string_member (o, "from_port", afs_link_get_source_port (link));
  json_object_set_int_member (o, "to", afs_link_get_target (link));
  json_object_set_string_member (o, "to_port", afs_link_get_target_port (link));
  return o;
}

/* Serializes @nodes and the links of @links whose both ends are in @keep
 * (NULL: all). */
static JsonObject *
graph_to_json (const char *format, GPtrArray *nodes, GPtrArray *links, GHashTable *keep)
{
  JsonObject *root = json_object_new ();
  JsonArray *jnodes = json_array_new ();
  JsonArray *jlinks = json_array_new ();

  json_object_set_string_member (root, "format", format);
  json_object_set_int_member (root, "version", FORMAT_VERSION);
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_object_element (jnodes, node_to_json (nodes->pdata[i]));
  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *link = links->pdata[i];

      if (!keep || (g_hash_table_contains (keep, GUINT_TO_POINTER (afs_link_get_source (link))) &&
                    g_hash_table_contains (keep, GUINT_TO_POINTER (afs_link_get_target (link)))))
        json_array_add_object_element (jlinks, link_to_json (link));
    }
  json_object_set_array_member (root, "nodes", jnodes);
  json_object_set_array_member (root, "links", jlinks);
  return root;
}

JsonNode *
afs_document_to_json_node (AfsDocument *self)
{
  JsonObject *root;
  GHashTableIter iter;
  gpointer name, value;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), NULL);

  root = graph_to_json (GRAPH_FORMAT, afs_document_get_nodes (self), afs_document_get_links (self), NULL);
  g_hash_table_iter_init (&iter, afs_document_get_extras (self));
  while (g_hash_table_iter_next (&iter, &name, &value))
    json_object_set_member (root, name, json_node_copy (value));
  JsonNode *node = json_node_alloc ();

  json_node_take_object (json_node_init (node, JSON_NODE_OBJECT), root);
  return node;
}

static char *
node_to_text (JsonNode *node, gboolean pretty)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_pretty (gen, pretty);
  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

char *
afs_document_to_json (AfsDocument *self, gboolean pretty)
{
  g_autoptr(JsonNode) node = afs_document_to_json_node (self);

  return node_to_text (node, pretty);
}

/* ---- Parsing ---- */

static gboolean
parse_error (GError **error, const char *where, const char *message)
{
  if (where)
    g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_PARSE, "%s: %s", where, message);
  else
    g_set_error_literal (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_PARSE, message);
  return FALSE;
}

static gboolean
get_id (JsonObject *o, const char *member, guint *out)
{
  JsonNode *n = json_object_get_member (o, member);

  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  if (json_node_get_int (n) <= 0 || json_node_get_int (n) > G_MAXINT32)
    return FALSE;
  *out = json_node_get_int (n);
  return TRUE;
}

static gboolean
get_number (JsonObject *o, const char *member, double *out)
{
  JsonNode *n = json_object_get_member (o, member);
  GType t;

  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    return FALSE;
  *out = json_node_get_double (n);
  return isfinite (*out);
}

static const char *
get_string (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static gboolean
parse_settings (AfsNodeKind *kind, JsonObject *o, JsonObject *settings, const char *where, GError **error)
{
  JsonNode *n = json_object_get_member (o, "settings");
  g_autoptr(GList) members = NULL;

  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    return parse_error (error, where, _("“settings” must be an object"));
  members = json_object_get_members (json_node_get_object (n));
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *value = json_object_get_member (json_node_get_object (n), l->data);
      g_autoptr(GError) local = NULL;

      if (!afs_node_kind_validate_setting (kind, l->data, value, &local))
        return parse_error (error, where, local->message);
      json_object_set_member (settings, l->data, json_node_copy (value));
    }
  return TRUE;
}

static gboolean
parse_node (AfsDocument *doc, JsonNode *n, guint index, GError **error)
{
  g_autofree char *where = g_strdup_printf (_("node %u"), index + 1);
  JsonObject *o;
  guint id;
  double x, y;
  const char *kind_id;
  AfsNodeKind *kind;
  g_autoptr(JsonObject) settings = NULL;
  g_autoptr(AfsGraphNode) node = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (n))
    return parse_error (error, where, _("must be an object"));
  o = json_node_get_object (n);
  if (!get_id (o, "id", &id))
    return parse_error (error, where, _("“id” must be a positive whole number"));
  g_free (where);
  where = g_strdup_printf (_("node %u (id %u)"), index + 1, id);
  if (afs_document_get_node (doc, id))
    return parse_error (error, where, _("the id is used twice"));
  kind_id = get_string (o, "kind");
  kind = afs_node_kind_lookup (kind_id);
  if (!kind)
    {
      g_autofree char *msg = g_strdup_printf (_("unknown kind “%s”"), kind_id ? kind_id : "");
      return parse_error (error, where, msg);
    }
  if (!get_number (o, "x", &x) || !get_number (o, "y", &y))
    return parse_error (error, where, _("“x” and “y” must be finite numbers"));
  settings = afs_node_kind_default_settings (kind);
  if (!parse_settings (kind, o, settings, where, error))
    return FALSE;
  node = afs_graph_node_new (id, kind, x, y, g_steal_pointer (&settings));
  afs_document_real_insert_node (doc, node);
  return TRUE;
}

static gboolean
parse_link (AfsDocument *doc, JsonNode *n, guint index, GError **error)
{
  g_autofree char *where = g_strdup_printf (_("link %u"), index + 1);
  JsonObject *o;
  guint id, from, to;
  const char *from_port, *to_port;
  g_autoptr(GError) local = NULL;
  g_autoptr(AfsLink) link = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (n))
    return parse_error (error, where, _("must be an object"));
  o = json_node_get_object (n);
  if (!get_id (o, "id", &id) || !get_id (o, "from", &from) || !get_id (o, "to", &to))
    return parse_error (error, where, _("“id”, “from” and “to” must be positive whole numbers"));
  if (afs_document_get_link (doc, id))
    return parse_error (error, where, _("the id is used twice"));
  from_port = get_string (o, "from_port");
  to_port = get_string (o, "to_port");
  if (!from_port || !to_port)
    return parse_error (error, where, _("“from_port” and “to_port” must be text"));
  if (!afs_document_check_link (doc, from, from_port, to, to_port, FALSE, &local))
    return parse_error (error, where, local->message);
  link = afs_link_new (id, from, from_port, to, to_port);
  afs_document_real_insert_link (doc, link);
  return TRUE;
}

static gboolean
parse_array (AfsDocument *doc, JsonObject *root, const char *member, GError **error,
             gboolean (*parse) (AfsDocument *, JsonNode *, guint, GError **))
{
  JsonNode *n = json_object_get_member (root, member);
  JsonArray *array;

  if (!n && g_str_equal (member, "links"))
    return TRUE;
  if (!n || !JSON_NODE_HOLDS_ARRAY (n))
    {
      g_autofree char *msg = g_strdup_printf (_("“%s” must be a list"), member);
      return parse_error (error, NULL, msg);
    }
  array = json_node_get_array (n);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!parse (doc, json_array_get_element (array, i), i, error))
      return FALSE;
  return TRUE;
}

/* Builds a scratch document from @root, checking everything. */
static AfsDocument *
parse_graph (JsonNode *root, const char *format, GError **error)
{
  g_autoptr(AfsDocument) doc = afs_document_new ();
  JsonObject *o;
  const char *got;
  JsonNode *version;

  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    return parse_error (error, NULL, _("The graph must be a JSON object")), NULL;
  o = json_node_get_object (root);
  got = get_string (o, "format");
  if (!got || !g_str_equal (got, format))
    {
      g_autofree char *msg = g_strdup_printf (_("This is not an Afnio Studio graph (format “%s”, expected “%s”)"),
                                              got ? got : "", format);
      return parse_error (error, NULL, msg), NULL;
    }
  version = json_object_get_member (o, "version");
  if (!version || !JSON_NODE_HOLDS_VALUE (version) || json_node_get_value_type (version) != G_TYPE_INT64 ||
      json_node_get_int (version) > FORMAT_VERSION)
    return parse_error (error, NULL, _("The graph was written by a newer version of Afnio Studio")), NULL;
  if (!parse_array (doc, o, "nodes", error, parse_node) ||
      !parse_array (doc, o, "links", error, parse_link))
    return NULL;
  return g_steal_pointer (&doc);
}

static JsonNode *
parse_text (const char *text, gssize length, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local = NULL;

  if (!json_parser_load_from_data (parser, text, length, &local))
    {
      g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_PARSE,
                   _("The graph is not valid JSON: %s"), local->message);
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

gboolean
afs_document_load_json_node (AfsDocument *self, JsonNode *node, GError **error)
{
  g_autoptr(AfsDocument) scratch = NULL;
  g_autoptr(GList) members = NULL;
  GPtrArray *nodes, *links;
  guint next_node, next_link;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), FALSE);

  scratch = parse_graph (node, GRAPH_FORMAT, error);
  if (!scratch)
    return FALSE;
  next_node = afs_document_next_node_id (scratch);
  next_link = afs_document_next_link_id (scratch);
  afs_document_reset (self);
  nodes = afs_document_get_nodes (scratch);
  links = afs_document_get_links (scratch);
  for (guint i = 0; i < nodes->len; i++)
    afs_document_real_insert_node (self, nodes->pdata[i]);
  for (guint i = 0; i < links->len; i++)
    afs_document_real_insert_link (self, links->pdata[i]);
  afs_document_set_next_ids (self, next_node, next_link);
  members = json_object_get_members (json_node_get_object (node));
  for (GList *l = members; l; l = l->next)
    if (!g_str_equal (l->data, "format") && !g_str_equal (l->data, "version") &&
        !g_str_equal (l->data, "nodes") && !g_str_equal (l->data, "links"))
      afs_document_set_extra (self, l->data, json_object_get_member (json_node_get_object (node), l->data));
  afs_document_clear_history (self);
  afs_document_emit_changed (self);
  return TRUE;
}

gboolean
afs_document_load_json (AfsDocument *self, const char *text, gssize length, GError **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  root = parse_text (text, length, error);
  return root && afs_document_load_json_node (self, root, error);
}

/* ---- Equality ---- */

static gboolean
nodes_equal (AfsGraphNode *a, AfsGraphNode *b)
{
  return afs_graph_node_get_id (a) == afs_graph_node_get_id (b) &&
         afs_graph_node_get_kind (a) == afs_graph_node_get_kind (b) &&
         afs_graph_node_get_x (a) == afs_graph_node_get_x (b) &&
         afs_graph_node_get_y (a) == afs_graph_node_get_y (b) &&
         json_object_equal (afs_graph_node_get_settings (a), afs_graph_node_get_settings (b));
}

static gboolean
links_equal (AfsLink *a, AfsLink *b)
{
  return afs_link_get_id (a) == afs_link_get_id (b) &&
         afs_link_get_source (a) == afs_link_get_source (b) &&
         afs_link_get_target (a) == afs_link_get_target (b) &&
         afs_link_get_source_port (a) == afs_link_get_source_port (b) &&
         afs_link_get_target_port (a) == afs_link_get_target_port (b);
}

gboolean
afs_document_equal (AfsDocument *a, AfsDocument *b)
{
  GPtrArray *na = afs_document_get_nodes (a), *nb = afs_document_get_nodes (b);
  GPtrArray *la = afs_document_get_links (a), *lb = afs_document_get_links (b);

  if (na->len != nb->len || la->len != lb->len)
    return FALSE;
  for (guint i = 0; i < na->len; i++)
    if (!nodes_equal (na->pdata[i], nb->pdata[i]))
      return FALSE;
  for (guint i = 0; i < la->len; i++)
    if (!links_equal (la->pdata[i], lb->pdata[i]))
      return FALSE;
  return TRUE;
}

/* ---- Clipboard ---- */

char *
afs_document_copy_nodes (AfsDocument *self, const guint *ids, guint n_ids)
{
  g_autoptr(GHashTable) keep = g_hash_table_new (NULL, NULL);
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  g_autoptr(JsonNode) root = NULL;
  GPtrArray *all = afs_document_get_nodes (self);

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), NULL);

  for (guint i = 0; i < n_ids; i++)
    if (afs_document_get_node (self, ids[i]))
      g_hash_table_add (keep, GUINT_TO_POINTER (ids[i]));
  /* In document order, so a paste keeps relative ids and order. */
  for (guint i = 0; i < all->len; i++)
    if (g_hash_table_contains (keep, GUINT_TO_POINTER (afs_graph_node_get_id (all->pdata[i]))))
      g_ptr_array_add (nodes, all->pdata[i]);
  root = json_node_init (json_node_alloc (), JSON_NODE_OBJECT);
  json_node_take_object (root, graph_to_json (CLIP_FORMAT, nodes, afs_document_get_links (self), keep));
  return node_to_text (root, FALSE);
}

GArray *
afs_document_paste_nodes (AfsDocument *self, const char *text, double dx, double dy, GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(AfsDocument) scratch = NULL;
  g_autoptr(AfsCommand) group = NULL;
  g_autoptr(GHashTable) remap = g_hash_table_new (NULL, NULL);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *nodes, *links;

  g_return_val_if_fail (AFS_IS_DOCUMENT (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);

  root = parse_text (text, -1, error);
  if (!root || !(scratch = parse_graph (root, CLIP_FORMAT, error)))
    return NULL;
  nodes = afs_document_get_nodes (scratch);
  links = afs_document_get_links (scratch);
  group = afs_command_new_group (_("Paste"));
  for (guint i = 0; i < nodes->len; i++)
    {
      AfsGraphNode *src = nodes->pdata[i];
      guint id = afs_document_next_node_id (self);
      g_autoptr(AfsGraphNode) copy =
        afs_graph_node_new (id, afs_graph_node_get_kind (src), afs_graph_node_get_x (src) + dx,
                            afs_graph_node_get_y (src) + dy, settings_copy (afs_graph_node_get_settings (src)));

      g_hash_table_insert (remap, GUINT_TO_POINTER (afs_graph_node_get_id (src)), GUINT_TO_POINTER (id));
      g_array_append_val (ids, id);
      afs_command_group_add (group, afs_command_new_add_node (copy));
    }
  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *l = links->pdata[i];
      g_autoptr(AfsLink) copy =
        afs_link_new (afs_document_next_link_id (self),
                      GPOINTER_TO_UINT (g_hash_table_lookup (remap, GUINT_TO_POINTER (afs_link_get_source (l)))),
                      afs_link_get_source_port (l),
                      GPOINTER_TO_UINT (g_hash_table_lookup (remap, GUINT_TO_POINTER (afs_link_get_target (l)))),
                      afs_link_get_target_port (l));

      afs_command_group_add (group, afs_command_new_add_link (copy));
    }
  if (ids->len > 0)
    afs_document_push (self, g_steal_pointer (&group));
  return g_steal_pointer (&ids);
}
