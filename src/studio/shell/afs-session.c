/* afs-session.c: session files on top of the .hf codec.
 *
 * Writing: every Variable/Parameter node becomes an afnio Variable (or
 * Parameter) in an OrderedDict name -> Variable pickled as data.pkl, and the
 * document JSON goes in its own member. Reading: a file with that member
 * opens as the document it holds; any other afnio file opens as one data
 * node per distinct Variable found in its value tree, with what cannot be
 * shown as a setting (grads, grad_fn chain, exact data) kept in the
 * document's "afnio" extra member.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "afnio.h"
#include "afn-hf.h"
#include "afs-document.h"
#include "afs-session.h"

#define GRAPH_FORMAT "afnio-studio-graph"
/* Value trees deeper than this are not searched for Variables. */
#define MAX_WALK_DEPTH 64
/* A plain file's variables are unlinked: they go on a grid of cells this
 * size, in a landscape block. */
#define GRID_CELL_WIDTH 280.0
#define GRID_CELL_HEIGHT 170.0
/* grad_fn chains are kept up to this many nodes per variable. */
#define MAX_GRAD_FN_NODES 256

G_DEFINE_QUARK (afs-session-error-quark, afs_session_error)

/* ---- afnio values -> settings ---- */

static JsonNode *
scalar_to_json (AfnValue *v)
{
  JsonNode *node = json_node_new (JSON_NODE_VALUE);

  switch (afn_value_kind (v))
    {
    case AFN_VALUE_STR:
      {
        g_autofree char *text = afn_value_dup_display_string (v);
        json_node_set_string (node, text);
        return node;
      }
    case AFN_VALUE_INT:
      json_node_set_int (node, afn_value_get_int (v));
      return node;
    case AFN_VALUE_BOOL:
      json_node_set_int (node, afn_value_get_bool (v) ? 1 : 0);
      return node;
    case AFN_VALUE_FLOAT:
      if (isfinite (afn_value_get_float (v)))
        {
          json_node_set_double (node, afn_value_get_float (v));
          return node;
        }
      break;
    default:
      break;
    }
  json_node_unref (node);
  return NULL;
}

/* The data as a document setting (text, a number, or a list of them);
 * what JSON cannot hold (big ints, NaN, nested values) shows as its repr.
 * @exact is set when the setting does not give back the same value. */
static JsonNode *
data_to_setting (AfnValue *data, gboolean *exact)
{
  AfnValueKind kind = afn_value_kind (data);
  JsonNode *node;

  *exact = kind == AFN_VALUE_STR || kind == AFN_VALUE_INT || kind == AFN_VALUE_FLOAT;
  if ((node = scalar_to_json (data)) != NULL)
    {
      if (kind == AFN_VALUE_STR)
        {
          gsize len;
          const char *s = afn_value_get_str (data, &len);
          *exact = strlen (s) == len && g_utf8_validate (s, len, NULL);
        }
      return node;
    }
  if (kind == AFN_VALUE_LIST || kind == AFN_VALUE_TUPLE)
    {
      g_autoptr(JsonArray) array = json_array_new ();
      gboolean ok = TRUE;

      for (guint i = 0; ok && i < afn_value_n_items (data); i++)
        {
          AfnValue *item = afn_value_get_item (data, i);
          JsonNode *jitem = scalar_to_json (item);
          gboolean item_exact = FALSE;

          ok = jitem != NULL;
          if (ok)
            {
              g_autoptr(JsonNode) unused = NULL;

              json_array_add_element (array, jitem);
              unused = data_to_setting (item, &item_exact);
              *exact = *exact && item_exact;
            }
        }
      if (ok)
        {
          *exact = *exact && kind == AFN_VALUE_LIST;
          node = json_node_new (JSON_NODE_ARRAY);
          json_node_set_array (node, array);
          return node;
        }
    }
  *exact = FALSE;
  {
    g_autofree char *repr = afn_value_to_repr (data);

    node = json_node_new (JSON_NODE_VALUE);
    json_node_set_string (node, repr);
  }
  return node;
}

/* ---- settings -> afnio values ---- */

static AfnValue *
json_scalar_to_value (JsonNode *node)
{
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return afn_value_new_str (json_node_get_string (node), -1);
    case G_TYPE_INT64:
      return afn_value_new_int (json_node_get_int (node));
    case G_TYPE_DOUBLE:
      return afn_value_new_float (json_node_get_double (node));
    case G_TYPE_BOOLEAN:
      return afn_value_new_bool (json_node_get_boolean (node));
    default:
      return NULL;
    }
}

static AfnValue *
setting_to_data (JsonNode *node)
{
  AfnValue *list;
  JsonArray *array;

  if (node == NULL)
    return afn_value_new_str ("", 0);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      AfnValue *v = json_scalar_to_value (node);
      return v != NULL ? v : afn_value_new_str ("", 0);
    }
  array = json_node_get_array (node);
  list = afn_value_new_list ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      AfnValue *item = json_scalar_to_value (json_array_get_element (array, i));
      if (item != NULL)
        afn_value_append_take (list, item);
    }
  return list;
}

/* ---- reading a plain afnio file ---- */

typedef struct {
  JsonArray   *nodes;       /* the document's nodes */
  JsonObject  *variables;   /* the "afnio" extra: id -> what the file said */
  GHashTable  *seen;        /* AfnVariable -> node id */
  guint        next_id;
} Collect;

static JsonNode *
grad_fn_to_json (AfnNode *node, GHashTable *ids, guint *budget)
{
  JsonObject *o;
  JsonArray *next;
  AfnVariable *leaf;
  JsonNode *result;

  if (node == NULL)
    return json_node_new (JSON_NODE_NULL);
  o = json_object_new ();
  json_object_set_string_member (o, "name", afn_node_get_name (node));
  if (afn_node_get_node_id (node) != NULL)
    json_object_set_string_member (o, "node_id", afn_node_get_node_id (node));
  leaf = afn_node_get_variable (node);
  if (leaf != NULL && g_hash_table_contains (ids, leaf))
    json_object_set_int_member (o, "variable", GPOINTER_TO_UINT (g_hash_table_lookup (ids, leaf)));

  next = json_array_new ();
  for (guint i = 0; i < afn_node_get_n_next_functions (node); i++)
    {
      guint output_nr = 0;
      AfnNode *child = afn_node_get_next_function (node, i, &output_nr);
      JsonObject *edge = json_object_new ();

      if (child != NULL && *budget > 0)
        {
          (*budget)--;
          json_object_set_member (edge, "node", grad_fn_to_json (child, ids, budget));
        }
      else
        json_object_set_null_member (edge, "node");
      json_object_set_int_member (edge, "output_nr", output_nr);
      json_array_add_object_element (next, edge);
    }
  json_object_set_array_member (o, "next_functions", next);
  result = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (result, o);
  return result;
}

/* The exact value in the .hf fixtures' JSON scheme (transfer none: valid
 * until the next call on this thread). */
static const char *
exact_json (AfnValue *value)
{
  static GPrivate last = G_PRIVATE_INIT (g_free);
  char *text = afn_hf_value_to_json (value);

  g_private_replace (&last, text);
  return text != NULL ? text : "null";
}

static JsonObject *
grad_to_json (AfnVariable *grad)
{
  JsonObject *o = json_object_new ();
  gboolean exact;
  const char *role = afn_variable_get_role (grad);

  json_object_set_member (o, "data", data_to_setting (afn_variable_get_data (grad), &exact));
  if (!exact)
    json_object_set_string_member (o, "exact_data", exact_json (afn_variable_get_data (grad)));
  json_object_set_string_member (o, "role", role != NULL ? role : "");
  json_object_set_boolean_member (o, "requires_grad", afn_variable_get_requires_grad (grad));
  return o;
}

static void
add_variable_node (Collect *c, AfnVariable *var, const char *name)
{
  guint id = ++c->next_id;
  g_autofree char *key = g_strdup_printf ("%u", id);
  JsonObject *node = json_object_new ();
  JsonObject *settings = json_object_new ();
  JsonObject *info = json_object_new ();
  JsonArray *grads = json_array_new ();
  const char *role = afn_variable_get_role (var);
  gboolean exact = FALSE;

  g_hash_table_insert (c->seen, var, GUINT_TO_POINTER (id));

  json_object_set_member (settings, "data", data_to_setting (afn_variable_get_data (var), &exact));
  json_object_set_string_member (settings, "role", role != NULL ? role : "");
  json_object_set_boolean_member (settings, "requires_grad", afn_variable_get_requires_grad (var));

  json_object_set_int_member (node, "id", id);
  json_object_set_string_member (node, "kind", AFN_IS_PARAMETER (var) ? "parameter" : "variable");
  json_object_set_double_member (node, "x", 0);
  json_object_set_double_member (node, "y", 0);
  json_object_set_object_member (node, "settings", settings);
  json_array_add_object_element (c->nodes, node);

  json_object_set_string_member (info, "name", name);
  json_object_set_string_member (info, "class", AFN_VARIABLE_GET_CLASS (var)->python_class);
  if (!exact)
    json_object_set_string_member (info, "exact_data", exact_json (afn_variable_get_data (var)));
  if (role == NULL)
    json_object_set_boolean_member (info, "role_none", TRUE);
  for (guint i = 0; i < afn_variable_n_grads (var); i++)
    json_array_add_object_element (grads, grad_to_json (afn_variable_get_grad (var, i)));
  json_object_set_array_member (info, "grads", grads);
  json_object_set_boolean_member (info, "is_leaf", afn_variable_is_leaf (var));
  json_object_set_boolean_member (info, "retain_grad", afn_variable_retains_grad (var));
  json_object_set_int_member (info, "output_nr", afn_variable_get_output_nr (var));
  if (afn_variable_get_variable_id (var) != NULL)
    json_object_set_string_member (info, "variable_id", afn_variable_get_variable_id (var));
  json_object_set_object_member (c->variables, key, info);
}

static char *
child_name (const char *parent, AfnValue *key, guint index)
{
  g_autofree char *text = NULL;

  if (key == NULL)
    return g_strdup_printf ("%s[%u]", parent, index);
  text = afn_value_to_text (key);
  if (*parent == '\0')
    return g_steal_pointer (&text);
  return g_strdup_printf ("%s.%s", parent, text);
}

static void
walk (Collect *c, AfnValue *value, const char *name, guint depth)
{
  AfnValueKind kind = afn_value_kind (value);

  if (depth > MAX_WALK_DEPTH)
    return;
  if (kind == AFN_VALUE_OBJECT)
    {
      gpointer object = afn_value_get_object (value);

      if (AFN_IS_VARIABLE (object) && !g_hash_table_contains (c->seen, object))
        add_variable_node (c, object, *name ? name : "value");
      return;
    }
  for (guint i = 0; (kind == AFN_VALUE_LIST || kind == AFN_VALUE_TUPLE) && i < afn_value_n_items (value); i++)
    {
      g_autofree char *child = child_name (name, NULL, i);
      walk (c, afn_value_get_item (value, i), child, depth + 1);
    }
  for (guint i = 0; (kind == AFN_VALUE_DICT || kind == AFN_VALUE_ORDERED_DICT) && i < afn_value_n_items (value); i++)
    {
      g_autofree char *child = child_name (name, afn_value_get_key (value, i), i);
      walk (c, afn_value_get_item (value, i), child, depth + 1);
    }
}

/* grad_fn chains are described after every Variable has a node id, so an
 * AccumulateGrad can name the node of its leaf. */
static void
add_grad_fns (Collect *c)
{
  GHashTableIter iter;
  gpointer var, id;

  g_hash_table_iter_init (&iter, c->seen);
  while (g_hash_table_iter_next (&iter, &var, &id))
    {
      g_autofree char *key = g_strdup_printf ("%u", GPOINTER_TO_UINT (id));
      JsonObject *info = json_object_get_object_member (c->variables, key);
      AfnNode *grad_fn = afn_variable_get_grad_fn (var);
      guint budget = MAX_GRAD_FN_NODES;

      if (grad_fn != NULL)
        json_object_set_member (info, "grad_fn", grad_fn_to_json (grad_fn, c->seen, &budget));
    }
}

static void
place_on_grid (JsonArray *nodes)
{
  guint n = json_array_get_length (nodes);
  guint columns = MAX (1, (guint) ceil (sqrt (n * 1.6)));

  for (guint i = 0; i < n; i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);

      json_object_set_double_member (node, "x", (i % columns) * GRID_CELL_WIDTH);
      json_object_set_double_member (node, "y", (i / columns) * GRID_CELL_HEIGHT);
    }
}

static JsonNode *
graph_from_value (AfnValue *value)
{
  Collect c = { 0 };
  JsonObject *root = json_object_new ();
  JsonObject *afnio = json_object_new ();
  JsonNode *node;

  c.nodes = json_array_new ();
  c.variables = json_object_new ();
  c.seen = g_hash_table_new (NULL, NULL);
  walk (&c, value, "", 0);
  add_grad_fns (&c);
  place_on_grid (c.nodes);
  g_hash_table_unref (c.seen);

  json_object_set_string_member (root, "format", GRAPH_FORMAT);
  json_object_set_int_member (root, "version", 1);
  json_object_set_array_member (root, "nodes", c.nodes);
  json_object_set_array_member (root, "links", json_array_new ());
  json_object_set_object_member (afnio, "variables", c.variables);
  json_object_set_object_member (root, AFS_SESSION_AFNIO_EXTRA, afnio);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, root);
  return node;
}

/* ---- reading ---- */

static JsonNode *
parse_graph_member (GBytes *data, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len;
  const char *text = g_bytes_get_data (data, &len);
  JsonNode *root;
  JsonObject *o;

  if (!json_parser_load_from_data (parser, text, len, error))
    {
      g_prefix_error (error, _("%s is not valid JSON: "), AFS_SESSION_GRAPH_MEMBER);
      return NULL;
    }
  root = json_parser_get_root (parser);
  o = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  if (o == NULL || g_strcmp0 (json_object_get_string_member_with_default (o, "format", NULL), GRAPH_FORMAT) != 0)
    {
      g_set_error (error, AFS_SESSION_ERROR, AFS_SESSION_ERROR_BAD_GRAPH,
                   _("%s does not hold an Afnio Studio graph"), AFS_SESSION_GRAPH_MEMBER);
      return NULL;
    }
  return json_node_copy (root);
}

JsonNode *
afs_session_read_bytes (GBytes *bytes, gboolean *needs_layout, GError **error)
{
  g_autoptr(AfnHfDocument) hf = NULL;

  g_return_val_if_fail (bytes != NULL, NULL);

  if (needs_layout != NULL)
    *needs_layout = FALSE;
  hf = afn_hf_document_load_bytes (bytes, NULL, error);
  if (hf == NULL)
    return NULL;
  for (guint i = 0; i < afn_hf_document_get_n_members (hf); i++)
    if (g_str_equal (afn_hf_document_get_member_name (hf, i), AFS_SESSION_GRAPH_MEMBER))
      return parse_graph_member (afn_hf_document_get_member_data (hf, i), error);

  /* The variables of a plain file are placed on a grid: they have no
   * links for a layered layout to follow. */
  return graph_from_value (afn_hf_document_get_value (hf));
}

/* ---- writing ---- */

/* Member @name of @o when it is an object, else NULL (transfer none). */
static JsonObject *
object_member (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
array_member (JsonObject *o, const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
variable_info (JsonObject *root, gint64 id)
{
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  JsonObject *afnio = object_member (root, AFS_SESSION_AFNIO_EXTRA);
  JsonObject *variables = afnio ? object_member (afnio, "variables") : NULL;

  return variables ? object_member (variables, key) : NULL;
}

/* The value to save for a node's data: the exact value the file held when
 * the setting still shows it, else the setting itself. */
static AfnValue *
data_for_save (JsonNode *setting, const char *exact_text)
{
  if (exact_text != NULL)
    {
      g_autoptr(AfnValue) exact = afn_hf_value_from_json (exact_text, -1, NULL);

      if (exact != NULL)
        {
          gboolean unused;
          g_autoptr(JsonNode) shown = data_to_setting (exact, &unused);

          if (setting != NULL && json_node_equal (shown, setting))
            return g_steal_pointer (&exact);
        }
    }
  return setting_to_data (setting);
}

static AfnVariable *
new_variable (GType type, JsonNode *data_setting, const char *exact, const char *role,
              gboolean requires_grad)
{
  g_autoptr(AfnValue) data = data_for_save (data_setting, exact);

  return afn_variable_new_raw (type, data, role, requires_grad);
}

static void
add_grads (AfnVariable *var, JsonObject *info)
{
  JsonArray *grads = info ? array_member (info, "grads") : NULL;

  for (guint i = 0; grads != NULL && i < json_array_get_length (grads); i++)
    {
      JsonObject *g = json_array_get_object_element (grads, i);
      g_autoptr(AfnVariable) grad = NULL;

      if (g == NULL)
        continue;
      grad = new_variable (AFN_TYPE_VARIABLE, json_object_get_member (g, "data"),
                           json_object_get_string_member_with_default (g, "exact_data", NULL),
                           json_object_get_string_member_with_default (g, "role", ""),
                           json_object_get_boolean_member_with_default (g, "requires_grad", FALSE));
      afn_variable_append_grad (var, grad, NULL);
    }
}

/* A name for the OrderedDict: what the file called the variable, else its
 * role as an identifier, unique in @names. */
static char *
unique_name (GHashTable *names, JsonObject *info, JsonObject *settings, gint64 id)
{
  const char *given = info ? json_object_get_string_member_with_default (info, "name", NULL) : NULL;
  const char *role = json_object_get_string_member_with_default (settings, "role", "");
  g_autofree char *base = NULL;
  char *name;

  if (given != NULL && *given)
    base = g_strdup (given);
  else if (*role)
    base = g_strdelimit (g_utf8_strdown (role, -1), " -.:/", '_');
  else
    base = g_strdup_printf ("node%" G_GINT64_FORMAT, id);
  name = g_strdup (base);
  for (guint n = 2; g_hash_table_contains (names, name); n++)
    {
      g_free (name);
      name = g_strdup_printf ("%s_%u", base, n);
    }
  g_hash_table_add (names, name);
  return g_strdup (name);
}

static AfnValue *
variables_from_graph (JsonObject *root)
{
  JsonArray *nodes = array_member (root, "nodes");
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  AfnValue *dict = afn_value_new_ordered_dict ();

  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);
      const char *kind = node ? json_object_get_string_member_with_default (node, "kind", "") : "";
      JsonObject *settings = node ? object_member (node, "settings") : NULL;
      gint64 id = json_object_get_int_member_with_default (node, "id", i);
      JsonObject *info;
      g_autoptr(AfnVariable) var = NULL;
      g_autofree char *name = NULL;
      gboolean parameter = g_str_equal (kind, "parameter");

      if (settings == NULL || !(parameter || g_str_equal (kind, "variable")))
        continue;
      info = variable_info (root, id);
      var = new_variable (parameter ? AFN_TYPE_PARAMETER : AFN_TYPE_VARIABLE,
                          json_object_get_member (settings, "data"),
                          info ? json_object_get_string_member_with_default (info, "exact_data", NULL) : NULL,
                          info && json_object_get_boolean_member_with_default (info, "role_none", FALSE) &&
                          !*json_object_get_string_member_with_default (settings, "role", "")
                          ? NULL : json_object_get_string_member_with_default (settings, "role", ""),
                          json_object_get_boolean_member_with_default (settings, "requires_grad", parameter));
      add_grads (var, info);
      name = unique_name (names, info, settings, id);
      afn_value_dict_set_take (dict, afn_value_new_str (name, -1), afn_value_new_object (var));
    }
  return dict;
}

GBytes *
afs_session_write_bytes (JsonNode *graph, GError **error)
{
  g_autoptr(AfnValue) variables = NULL;
  g_autoptr(AfnHfDocument) hf = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GBytes) member = NULL;
  gsize len = 0;
  char *text;

  g_return_val_if_fail (graph != NULL && JSON_NODE_HOLDS_OBJECT (graph), NULL);

  variables = variables_from_graph (json_node_get_object (graph));
  hf = afn_hf_document_new (variables);
  json_generator_set_root (generator, graph);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &len);
  member = g_bytes_new_take (text, len);
  afn_hf_document_add_member (hf, AFS_SESSION_GRAPH_MEMBER, member);
  return afn_hf_document_save_bytes (hf, error);
}

/* ---- async ---- */

typedef struct {
  GFile    *file;
  JsonNode *graph;
  gboolean  needs_layout;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->file);
  g_clear_pointer (&job->graph, json_node_unref);
  g_free (job);
}

static void
decode_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GBytes *bytes = g_object_get_data (G_OBJECT (task), "bytes");
  GError *error = NULL;

  job->graph = afs_session_read_bytes (bytes, &job->needs_layout, &error);
  if (job->graph == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
contents_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);

  if (bytes == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "bytes", g_steal_pointer (&bytes),
                          (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decode_thread);
}

void
afs_session_load_async (GFile               *file,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;
  Job *job;

  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, afs_session_load_async);
  job = g_new0 (Job, 1);
  job->file = g_object_ref (file);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_file_load_bytes_async (file, cancellable, contents_loaded_cb, task);
}

JsonNode *
afs_session_load_finish (GAsyncResult *result, gboolean *needs_layout, GError **error)
{
  Job *job;

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  job = g_task_get_task_data (G_TASK (result));
  if (needs_layout != NULL)
    *needs_layout = job->needs_layout;
  return g_steal_pointer (&job->graph);
}

static void
replaced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
encoded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = G_TASK (result);
  GTask *outer = user_data;
  Job *job = g_task_get_task_data (outer);
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_task_propagate_pointer (task, &error);

  if (bytes == NULL)
    {
      g_task_return_error (outer, error);
      g_object_unref (outer);
      return;
    }
  /* GIO writes a temporary file and renames it over the old one. */
  g_file_replace_contents_bytes_async (job->file, bytes, NULL, FALSE, G_FILE_CREATE_NONE,
                                       g_task_get_cancellable (outer), replaced_cb, outer);
}

static void
encode_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  GBytes *bytes = afs_session_write_bytes (job->graph, &error);

  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

void
afs_session_save_async (GFile               *file,
                        JsonNode            *graph,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *outer;
  g_autoptr(GTask) inner = NULL;
  Job *job;

  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (graph != NULL);

  outer = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (outer, afs_session_save_async);
  job = g_new0 (Job, 1);
  job->file = g_object_ref (file);
  job->graph = json_node_ref (graph);
  g_task_set_task_data (outer, job, (GDestroyNotify) job_free);

  inner = g_task_new (NULL, cancellable, encoded_cb, outer);
  g_task_set_task_data (inner, job, NULL);
  g_task_run_in_thread (inner, encode_thread);
}

gboolean
afs_session_save_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
