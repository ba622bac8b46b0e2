/* afn-hf-json.c: the .hf fixtures' JSON rendering of a value tree, both ways.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afn-hf-private.h"
#include "afn-variable-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JSON_DEPTH 20000

/* --- Text helpers ------------------------------------------------------------ */

/* Python's repr(float): the shortest digits that read back exactly, in
 * exponent form when the decimal point is below -4 or above 16. */
static void
append_py_float (GString *out, double d)
{
  char buf[40], digits[24];
  int exp10, precision, n = 0, decpt;

  if (d == 0.0)
    {
      g_string_append (out, signbit (d) ? "-0.0" : "0.0");
      return;
    }
  for (precision = 1; precision <= 17; precision++)
    {
      g_snprintf (buf, sizeof buf, "%.*e", precision - 1, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  /* buf is [-]d[.ddd]e[+-]xx */
  {
    const char *p = buf;
    if (*p == '-')
      {
        g_string_append_c (out, '-');
        p++;
      }
    for (; *p != 'e'; p++)
      if (g_ascii_isdigit (*p))
        digits[n++] = *p;
    exp10 = atoi (p + 1);
  }
  while (n > 1 && digits[n - 1] == '0')
    n--;
  digits[n] = '\0';
  decpt = exp10 + 1;
  if (decpt <= -4 || decpt > 16)
    {
      g_string_append_c (out, digits[0]);
      if (n > 1)
        {
          g_string_append_c (out, '.');
          g_string_append (out, digits + 1);
        }
      g_string_append_printf (out, "e%c%02d", exp10 < 0 ? '-' : '+', abs (exp10));
    }
  else if (decpt <= 0)
    {
      g_string_append (out, "0.");
      for (int i = 0; i < -decpt; i++)
        g_string_append_c (out, '0');
      g_string_append (out, digits);
    }
  else if (decpt >= n)
    {
      g_string_append (out, digits);
      for (int i = n; i < decpt; i++)
        g_string_append_c (out, '0');
      g_string_append (out, ".0");
    }
  else
    {
      g_string_append_len (out, digits, decpt);
      g_string_append_c (out, '.');
      g_string_append (out, digits + decpt);
    }
}

/* Decodes one surrogatepass UTF-8 sequence (validated by the reader). */
static gunichar
next_char (const guint8 *s, gsize len, gsize *i)
{
  guint8 c = s[*i];
  gunichar u;
  guint extra;

  if (c < 0x80)
    {
      (*i)++;
      return c;
    }
  extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  u = c & (0x3F >> extra);
  if (*i + extra >= len)
    {
      (*i)++;
      return 0xFFFD;
    }
  for (guint k = 1; k <= extra; k++)
    u = u << 6 | (s[*i + k] & 0x3F);
  *i += extra + 1;
  return u;
}

/* json.dumps(ensure_ascii=True). */
static void
append_json_string (GString *out, const char *s, gsize len)
{
  gsize i = 0;

  g_string_append_c (out, '"');
  while (i < len)
    {
      gunichar c = next_char ((const guint8 *) s, len, &i);
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          if (c >= 0x20 && c < 0x7F)
            g_string_append_c (out, (char) c);
          else if (c == 0x7F)
            g_string_append_c (out, (char) c);
          else if (c < 0x10000)
            g_string_append_printf (out, "\\u%04x", c);
          else
            {
              c -= 0x10000;
              g_string_append_printf (out, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
            }
        }
    }
  g_string_append_c (out, '"');
}

static void
append_cstr_or_null (GString *out, const char *s)
{
  if (s == NULL)
    g_string_append (out, "null");
  else
    append_json_string (out, s, strlen (s));
}

/* --- Rendering ------------------------------------------------------------------ */

typedef struct {
  GString    *out;
  GHashTable *count;   /* identity -> occurrences (first pass) */
  GHashTable *ids;     /* identity -> id + 1 (second pass) */
  gboolean    counting;
  guint       next_id;
  guint       depth;
} Render;

static void render (Render *r, AfnValue *v);
static void render_object (Render *r, GObject *o);

/* Handles identity: returns FALSE when the object was already written (as
 * a __ref__, or not at all while counting). Opens the JSON object and writes
 * its __id__ when it is shared. */
static gboolean
open_shared (Render *r, gconstpointer key)
{
  if (r->counting)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (r->count, key));
      g_hash_table_insert (r->count, (gpointer) key, GUINT_TO_POINTER (n + 1));
      return n == 0;
    }
  {
    guint id = GPOINTER_TO_UINT (g_hash_table_lookup (r->ids, key));
    if (id > 0)
      {
        g_string_append_printf (r->out, "{\"__ref__\": %u}", id - 1);
        return FALSE;
      }
    if (GPOINTER_TO_UINT (g_hash_table_lookup (r->count, key)) > 1)
      {
        g_hash_table_insert (r->ids, (gpointer) key, GUINT_TO_POINTER (++r->next_id));
        g_string_append_printf (r->out, "{\"__id__\": %u, ", r->next_id - 1);
        return TRUE;
      }
  }
  g_string_append_c (r->out, '{');
  return TRUE;
}

static void
render_items_array (Render *r, AfnValue *seq)
{
  g_string_append_c (r->out, '[');
  for (guint i = 0; i < afn_value_n_items (seq); i++)
    {
      if (i > 0)
        g_string_append (r->out, ", ");
      render (r, afn_value_get_item (seq, i));
    }
  g_string_append_c (r->out, ']');
}

static void
render_pairs (Render *r, AfnValue *map)
{
  g_string_append_c (r->out, '[');
  for (guint i = 0; i < afn_value_n_items (map); i++)
    {
      if (i > 0)
        g_string_append (r->out, ", ");
      g_string_append_c (r->out, '[');
      render (r, afn_value_get_key (map, i));
      g_string_append (r->out, ", ");
      render (r, afn_value_get_item (map, i));
      g_string_append_c (r->out, ']');
    }
  g_string_append_c (r->out, ']');
}

/* A list is a plain JSON array unless it is shared. */
static void
render_list (Render *r, AfnValue *v)
{
  if (!r->counting && GPOINTER_TO_UINT (g_hash_table_lookup (r->count, v)) <= 1)
    {
      render_items_array (r, v);
      return;
    }
  if (!open_shared (r, v))
    return;
  g_string_append (r->out, "\"__type__\": \"list\", \"items\": ");
  render_items_array (r, v);
  g_string_append_c (r->out, '}');
}

static void
render_attrs (Render *r, AfnValue *attrs)
{
  g_string_append_c (r->out, '{');
  for (guint i = 0; attrs != NULL && i < afn_value_n_items (attrs); i++)
    {
      AfnValue *k = afn_value_get_key (attrs, i);
      if (i > 0)
        g_string_append (r->out, ", ");
      if (afn_value_kind (k) == AFN_VALUE_STR)
        {
          gsize len;
          const char *s = afn_value_get_str (k, &len);
          append_json_string (r->out, s, len);
        }
      else
        {
          g_autofree char *repr = afn_value_to_repr (k);
          append_json_string (r->out, repr, strlen (repr));
        }
      g_string_append (r->out, ": ");
      render (r, afn_value_get_item (attrs, i));
    }
  g_string_append_c (r->out, '}');
}

static void
render_container (Render *r, AfnValue *v)
{
  AfnValueKind kind = afn_value_kind (v);

  if (kind == AFN_VALUE_LIST)
    {
      render_list (r, v);
      return;
    }
  if (kind == AFN_VALUE_TUPLE && afn_value_n_items (v) == 0)
    {
      g_string_append (r->out, "{\"__type__\": \"tuple\", \"items\": []}");
      return;
    }
  if (!open_shared (r, v))
    return;
  switch (kind)
    {
    case AFN_VALUE_TUPLE:
      g_string_append (r->out, "\"__type__\": \"tuple\", \"items\": ");
      render_items_array (r, v);
      break;
    case AFN_VALUE_DICT:
      g_string_append (r->out, "\"__type__\": \"dict\", \"items\": ");
      render_pairs (r, v);
      break;
    case AFN_VALUE_ORDERED_DICT:
      g_string_append (r->out, "\"__type__\": \"OrderedDict\", \"items\": ");
      render_pairs (r, v);
      g_string_append (r->out, ", \"attrs\": ");
      render_attrs (r, afn_value_get_attrs (v));
      break;
    default:
      g_assert_not_reached ();
    }
  g_string_append_c (r->out, '}');
}

static void
render_edge (Render *r, AfnNode *node, gint64 output_nr)
{
  g_string_append (r->out, "{\"__type__\": \"GradientEdge\", \"node\": ");
  if (node == NULL)
    g_string_append (r->out, "null");
  else
    render_object (r, G_OBJECT (node));
  g_string_append_printf (r->out, ", \"output_nr\": %" G_GINT64_FORMAT "}", output_nr);
}

static void
render (Render *r, AfnValue *v)
{
  if (++r->depth > MAX_JSON_DEPTH)
    {
      g_string_append (r->out, "null");
      r->depth--;
      return;
    }
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_NONE:
      g_string_append (r->out, "null");
      break;
    case AFN_VALUE_BOOL:
      g_string_append (r->out, afn_value_get_bool (v) ? "true" : "false");
      break;
    case AFN_VALUE_INT:
      g_string_append_printf (r->out, "%" G_GINT64_FORMAT, afn_value_get_int (v));
      break;
    case AFN_VALUE_BIGINT:
      g_string_append_printf (r->out, "{\"__type__\": \"bigint\", \"value\": \"%s\"}", afn_value_get_bigint (v));
      break;
    case AFN_VALUE_FLOAT:
      {
        double d = afn_value_get_float (v);
        if (isnan (d) || isinf (d))
          g_string_append_printf (r->out, "{\"__type__\": \"float\", \"value\": \"%s\"}",
                                  isnan (d) ? "nan" : d > 0 ? "inf" : "-inf");
        else
          append_py_float (r->out, d);
      }
      break;
    case AFN_VALUE_STR:
      {
        gsize len;
        const char *s = afn_value_get_str (v, &len);
        append_json_string (r->out, s, len);
      }
      break;
    case AFN_VALUE_OBJECT:
      render_object (r, afn_value_get_object (v));
      break;
    case AFN_VALUE_GRADIENT_EDGE:
      render_edge (r, afn_value_get_edge_node (v), afn_value_get_edge_output_nr (v));
      break;
    case AFN_VALUE_GLOBAL:
      g_string_append (r->out, "{\"__type__\": \"global\", \"module\": ");
      append_cstr_or_null (r->out, hf_module_py3 (afn_value_get_global_module (v)));
      g_string_append (r->out, ", \"name\": ");
      append_cstr_or_null (r->out, afn_value_get_global_name (v));
      g_string_append_c (r->out, '}');
      break;
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
    default:
      render_container (r, v);
      break;
    }
  r->depth--;
}

static AfnValue *
state_item (AfnValue *state, const char *key)
{
  return state != NULL ? afn_value_dict_lookup (state, key) : NULL;
}

static void
render_stored_or (Render *r, AfnValue *stored, const char *fallback)
{
  if (stored != NULL)
    render (r, stored);
  else
    g_string_append (r->out, fallback);
}

static void
render_attr_order (Render *r, AfnValue *state, const char *const *defaults, guint n)
{
  g_string_append (r->out, ", \"attr_order\": [");
  for (guint i = 0; i < (state != NULL ? afn_value_n_items (state) : n); i++)
    {
      if (i > 0)
        g_string_append (r->out, ", ");
      if (state != NULL)
        render (r, afn_value_get_key (state, i));
      else
        append_cstr_or_null (r->out, defaults[i]);
    }
  g_string_append (r->out, "]}");
}

static const char *const var_keys[] = {
  "variable_id", "_initialized", "_pending_grad_fn_id", "_pending_grad",
  "_pending_data", "_data", "role", "requires_grad", "_retain_grad", "_grad",
  "_output_nr", "_grad_fn", "is_leaf",
};
static const char *const node_keys[] = { "_next_functions", "_name", "node_id" };

static void
render_variable (Render *r, AfnVariable *var)
{
  AfnValue *state = afn_variable_get_py_state (var);
  AfnValue *data = afn_variable_get_data (var);
  AfnValue *stored_data = state_item (state, "_data");
  AfnValue *rg = state_item (state, "requires_grad");
  const char *python_class = AFN_VARIABLE_GET_CLASS (var)->python_class;
  guint n = afn_variable_n_grads (var);

  g_string_append (r->out, "\"__type__\": \"Variable\", \"class\": ");
  append_cstr_or_null (r->out, python_class != NULL ? python_class : "afnio._variable.Variable");
  g_string_append (r->out, ", \"data\": ");
  render (r, stored_data != NULL && afn_value_equal (stored_data, data) ? stored_data : data);
  g_string_append (r->out, ", \"role\": ");
  append_cstr_or_null (r->out, afn_variable_get_role (var));
  g_string_append (r->out, ", \"requires_grad\": ");
  if (rg != NULL && afn_value_kind (rg) == AFN_VALUE_INT && hf_value_truthy (rg) == afn_variable_get_requires_grad (var))
    render (r, rg);
  else
    g_string_append (r->out, afn_variable_get_requires_grad (var) ? "true" : "false");
  g_string_append (r->out, ", \"grad\": [");
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append (r->out, ", ");
      render_object (r, G_OBJECT (afn_variable_get_grad (var, i)));
    }
  g_string_append_printf (r->out, "], \"is_leaf\": %s, \"retain_grad\": %s, \"output_nr\": %u, \"grad_fn\": ",
                          afn_variable_is_leaf (var) ? "true" : "false",
                          afn_variable_retains_grad (var) ? "true" : "false",
                          afn_variable_get_output_nr (var));
  if (afn_variable_get_grad_fn (var) != NULL)
    render_object (r, G_OBJECT (afn_variable_get_grad_fn (var)));
  else
    g_string_append (r->out, "null");
  g_string_append (r->out, ", \"variable_id\": ");
  append_cstr_or_null (r->out, afn_variable_get_variable_id (var));
  g_string_append (r->out, ", \"initialized\": ");
  render_stored_or (r, state_item (state, "_initialized"), "false");
  g_string_append (r->out, ", \"pending_grad_fn_id\": ");
  render_stored_or (r, state_item (state, "_pending_grad_fn_id"), "null");
  g_string_append (r->out, ", \"pending_grad\": ");
  render_stored_or (r, state_item (state, "_pending_grad"), "false");
  g_string_append (r->out, ", \"pending_data\": ");
  render_stored_or (r, state_item (state, "_pending_data"), "false");
  render_attr_order (r, state, var_keys, G_N_ELEMENTS (var_keys));
}

static void
render_node (Render *r, AfnNode *node)
{
  guint n = afn_node_get_n_next_functions (node);

  g_string_append (r->out, "\"__type__\": \"Node\", \"class\": \"afnio.autodiff.graph.Node\", \"name\": ");
  append_cstr_or_null (r->out, afn_node_get_name (node));
  g_string_append (r->out, ", \"node_id\": ");
  append_cstr_or_null (r->out, afn_node_get_node_id (node));
  g_string_append (r->out, ", \"next_functions\": [");
  for (guint i = 0; i < n; i++)
    {
      guint nr;
      AfnNode *next = afn_node_get_next_function (node, i, &nr);
      if (i > 0)
        g_string_append (r->out, ", ");
      render_edge (r, next, nr);
    }
  g_string_append_c (r->out, ']');
  render_attr_order (r, afn_node_get_py_state (node), node_keys, G_N_ELEMENTS (node_keys));
}

static void
render_object (Render *r, GObject *o)
{
  if (++r->depth > MAX_JSON_DEPTH || !(AFN_IS_VARIABLE (o) || AFN_IS_NODE (o)))
    {
      g_string_append (r->out, "null");
      r->depth--;
      return;
    }
  if (open_shared (r, o))
    {
      if (AFN_IS_VARIABLE (o))
        render_variable (r, AFN_VARIABLE (o));
      else
        render_node (r, AFN_NODE (o));
    }
  r->depth--;
}

char *
afn_hf_value_to_json (AfnValue *value)
{
  Render r = { 0, };

  g_return_val_if_fail (value != NULL, NULL);
  r.count = g_hash_table_new (NULL, NULL);
  r.ids = g_hash_table_new (NULL, NULL);
  r.out = g_string_new (NULL);
  r.counting = TRUE;
  render (&r, value);
  g_string_truncate (r.out, 0);
  r.counting = FALSE;
  render (&r, value);
  g_hash_table_unref (r.count);
  g_hash_table_unref (r.ids);
  return g_string_free (r.out, FALSE);
}

/* --- Parsing -------------------------------------------------------------------- */

typedef struct {
  const char *s;
  gsize       len;
  gsize       pos;
  guint       depth;
  GError    **error;
} Parser;

void
hf_json_free (HfJson *node)
{
  if (node == NULL)
    return;
  g_free (node->text);
  g_clear_pointer (&node->items, g_ptr_array_unref);
  g_clear_pointer (&node->keys, g_ptr_array_unref);
  g_free (node);
}

static gboolean
parse_fail (Parser *p, const char *what)
{
  g_set_error (p->error, AFN_HF_ERROR, AFN_HF_ERROR_INVALID_JSON,
               _("Invalid JSON at byte %" G_GSIZE_FORMAT ": %s"), p->pos, what);
  return FALSE;
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\n' ||
                             p->s[p->pos] == '\r' || p->s[p->pos] == '\t'))
    p->pos++;
}

static HfJson *parse_value (Parser *p);

static gboolean
parse_hex4 (Parser *p, gunichar *out)
{
  *out = 0;
  if (p->len - p->pos < 4)
    return parse_fail (p, _("a short \\u escape"));
  for (int i = 0; i < 4; i++)
    {
      char c = p->s[p->pos++];
      if (!g_ascii_isxdigit (c))
        return parse_fail (p, _("a bad \\u escape"));
      *out = *out * 16 + (gunichar) g_ascii_xdigit_value (c);
    }
  return TRUE;
}

static void
append_code_point (GString *out, gunichar c)
{
  if (c >= 0xD800 && c <= 0xDFFF)
    {
      g_string_append_c (out, (char) (0xE0 | (c >> 12)));
      g_string_append_c (out, (char) (0x80 | ((c >> 6) & 0x3F)));
      g_string_append_c (out, (char) (0x80 | (c & 0x3F)));
    }
  else
    g_string_append_unichar (out, c);
}

static HfJson *
parse_string (Parser *p)
{
  g_autoptr(GString) out = g_string_new (NULL);
  HfJson *node;

  p->pos++;   /* the opening quote */
  for (;;)
    {
      char c;
      if (p->pos >= p->len)
        return parse_fail (p, _("an unterminated string")), NULL;
      c = p->s[p->pos++];
      if (c == '"')
        break;
      if (c != '\\')
        {
          g_string_append_c (out, c);
          continue;
        }
      if (p->pos >= p->len)
        return parse_fail (p, _("an unterminated string")), NULL;
      c = p->s[p->pos++];
      switch (c)
        {
        case '"': case '\\': case '/': g_string_append_c (out, c); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            gunichar u, lo;
            if (!parse_hex4 (p, &u))
              return NULL;
            /* A high surrogate followed by a low one is one astral char. */
            if (u >= 0xD800 && u <= 0xDBFF && p->len - p->pos >= 6 &&
                p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u')
              {
                gsize save = p->pos;
                p->pos += 2;
                if (!parse_hex4 (p, &lo))
                  return NULL;
                if (lo >= 0xDC00 && lo <= 0xDFFF)
                  u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                else
                  p->pos = save;
              }
            append_code_point (out, u);
          }
          break;
        default:
          return parse_fail (p, _("a bad escape")), NULL;
        }
    }
  node = g_new0 (HfJson, 1);
  node->kind = HF_JSON_STRING;
  node->len = out->len;
  node->text = g_string_free (g_steal_pointer (&out), FALSE);
  return node;
}

static HfJson *
parse_number (Parser *p)
{
  gsize start = p->pos;
  HfJson *node;

  if (p->s[p->pos] == '-')
    p->pos++;
  while (p->pos < p->len && (g_ascii_isdigit (p->s[p->pos]) || strchr (".eE+-", p->s[p->pos]) != NULL))
    p->pos++;
  if (p->pos == start || (p->pos == start + 1 && p->s[start] == '-'))
    return parse_fail (p, _("an unexpected character")), NULL;
  node = g_new0 (HfJson, 1);
  node->kind = HF_JSON_NUMBER;
  node->text = g_strndup (p->s + start, p->pos - start);
  return node;
}

static HfJson *
parse_container (Parser *p, gboolean object)
{
  g_autoptr(HfJson) node = g_new0 (HfJson, 1);
  char close = object ? '}' : ']';

  node->kind = object ? HF_JSON_OBJECT : HF_JSON_ARRAY;
  node->items = g_ptr_array_new_with_free_func ((GDestroyNotify) hf_json_free);
  if (object)
    node->keys = g_ptr_array_new_with_free_func ((GDestroyNotify) hf_json_free);
  if (++p->depth > MAX_JSON_DEPTH)
    return parse_fail (p, _("nesting too deep")), NULL;
  p->pos++;
  skip_ws (p);
  if (p->pos < p->len && p->s[p->pos] == close)
    {
      p->pos++;
      p->depth--;
      return g_steal_pointer (&node);
    }
  for (;;)
    {
      HfJson *item;
      skip_ws (p);
      if (object)
        {
          HfJson *key;
          if (p->pos >= p->len || p->s[p->pos] != '"')
            return parse_fail (p, _("expected a key")), NULL;
          if ((key = parse_string (p)) == NULL)
            return NULL;
          g_ptr_array_add (node->keys, key);
          skip_ws (p);
          if (p->pos >= p->len || p->s[p->pos] != ':')
            return parse_fail (p, _("expected ':'")), NULL;
          p->pos++;
        }
      if ((item = parse_value (p)) == NULL)
        return NULL;
      g_ptr_array_add (node->items, item);
      skip_ws (p);
      if (p->pos < p->len && p->s[p->pos] == ',')
        {
          p->pos++;
          continue;
        }
      if (p->pos < p->len && p->s[p->pos] == close)
        {
          p->pos++;
          break;
        }
      return parse_fail (p, _("expected ',' or a closing bracket")), NULL;
    }
  p->depth--;
  return g_steal_pointer (&node);
}

static HfJson *
parse_literal (Parser *p, const char *word, HfJsonKind kind)
{
  HfJson *node;
  gsize n = strlen (word);

  if (p->len - p->pos < n || memcmp (p->s + p->pos, word, n) != 0)
    return parse_fail (p, _("an unexpected character")), NULL;
  p->pos += n;
  node = g_new0 (HfJson, 1);
  node->kind = kind;
  return node;
}

static HfJson *
parse_value (Parser *p)
{
  skip_ws (p);
  if (p->pos >= p->len)
    return parse_fail (p, _("unexpected end")), NULL;
  switch (p->s[p->pos])
    {
    case '{': return parse_container (p, TRUE);
    case '[': return parse_container (p, FALSE);
    case '"': return parse_string (p);
    case 't': return parse_literal (p, "true", HF_JSON_TRUE);
    case 'f': return parse_literal (p, "false", HF_JSON_FALSE);
    case 'n': return parse_literal (p, "null", HF_JSON_NULL);
    default: return parse_number (p);
    }
}

HfJson *
hf_json_parse (const char *text, gsize len, GError **error)
{
  Parser p = { text, len, 0, 0, error };
  g_autoptr(HfJson) node = parse_value (&p);

  if (node == NULL)
    return NULL;
  skip_ws (&p);
  if (p.pos != len)
    return parse_fail (&p, _("trailing characters")), NULL;
  return g_steal_pointer (&node);
}

HfJson *
hf_json_get (HfJson *object, const char *key)
{
  if (object == NULL || object->kind != HF_JSON_OBJECT)
    return NULL;
  for (guint i = 0; i < object->keys->len; i++)
    {
      HfJson *k = g_ptr_array_index (object->keys, i);
      if (k->len == strlen (key) && memcmp (k->text, key, k->len) == 0)
        return g_ptr_array_index (object->items, i);
    }
  return NULL;
}

static gboolean
is_integer_text (const char *t)
{
  return strpbrk (t, ".eE") == NULL;
}

static gboolean
numbers_equal (const char *a, const char *b)
{
  if (is_integer_text (a) != is_integer_text (b))
    return FALSE;
  if (is_integer_text (a))
    return g_ascii_strtoll (a, NULL, 10) == g_ascii_strtoll (b, NULL, 10);
  {
    double x = g_ascii_strtod (a, NULL), y = g_ascii_strtod (b, NULL);
    return memcmp (&x, &y, sizeof x) == 0;
  }
}

gboolean
hf_json_equal (HfJson *a, HfJson *b, char **where)
{
  if (a->kind != b->kind)
    goto differ;
  switch (a->kind)
    {
    case HF_JSON_NUMBER:
      if (!numbers_equal (a->text, b->text))
        goto differ;
      return TRUE;
    case HF_JSON_STRING:
      if (a->len != b->len || memcmp (a->text, b->text, a->len) != 0)
        goto differ;
      return TRUE;
    case HF_JSON_ARRAY:
      if (a->items->len != b->items->len)
        goto differ;
      for (guint i = 0; i < a->items->len; i++)
        if (!hf_json_equal (g_ptr_array_index (a->items, i), g_ptr_array_index (b->items, i), where))
          {
            char *inner = *where;
            *where = g_strdup_printf ("[%u]%s", i, inner);
            g_free (inner);
            return FALSE;
          }
      return TRUE;
    case HF_JSON_OBJECT:
      if (a->keys->len != b->keys->len)
        goto differ;
      for (guint i = 0; i < a->keys->len; i++)
        {
          HfJson *k = g_ptr_array_index (a->keys, i);
          HfJson *other = hf_json_get (b, k->text);
          if (other == NULL)
            goto differ;
          if (!hf_json_equal (g_ptr_array_index (a->items, i), other, where))
            {
              char *inner = *where;
              *where = g_strdup_printf (".%s%s", k->text, inner);
              g_free (inner);
              return FALSE;
            }
        }
      return TRUE;
    case HF_JSON_NULL:
    case HF_JSON_TRUE:
    case HF_JSON_FALSE:
    default:
      return TRUE;
    }
differ:
  if (where != NULL)
    *where = g_strdup_printf (" (%s vs %s)", a->text != NULL ? a->text : "·", b->text != NULL ? b->text : "·");
  return FALSE;
}

/* --- Packing: JSON to values ---------------------------------------------------- */

typedef struct {
  GHashTable *by_id;     /* id -> HfJson (declaring node) */
  GHashTable *built;     /* HfJson -> AfnValue (for shared ones) */
  GHashTable *keys;      /* interned attribute-name strings */
  guint       depth;
  GError    **error;
} Packer;

static AfnValue *pack (Packer *pk, HfJson *j);

static gboolean
pack_fail (Packer *pk, const char *what)
{
  g_set_error (pk->error, AFN_HF_ERROR, AFN_HF_ERROR_INVALID_JSON,
               _("Not in the .hf rendering scheme: %s"), what);
  return FALSE;
}

static const char *
tag_of (HfJson *j)
{
  HfJson *t = hf_json_get (j, "__type__");
  return t != NULL && t->kind == HF_JSON_STRING ? t->text : NULL;
}

static void
collect_ids (Packer *pk, HfJson *j)
{
  HfJson *id;

  if (j->kind != HF_JSON_ARRAY && j->kind != HF_JSON_OBJECT)
    return;
  if (j->kind == HF_JSON_OBJECT && (id = hf_json_get (j, "__id__")) != NULL && id->kind == HF_JSON_NUMBER)
    g_hash_table_insert (pk->by_id, GINT_TO_POINTER ((gint) g_ascii_strtoll (id->text, NULL, 10)), j);
  for (guint i = 0; i < j->items->len; i++)
    collect_ids (pk, g_ptr_array_index (j->items, i));
}

/* Attribute names are interned, as Python's are, so a re-pickle memoizes
 * each once. */
static AfnValue *
key_value (Packer *pk, HfJson *name)
{
  AfnValue *v;
  gsize len = name->len;

  if (hf_var_key (name->text, len) != HF_VKEY_OTHER)
    return afn_value_ref (hf_var_key_value (hf_var_key (name->text, len)));
  if (hf_node_key (name->text, len) != HF_NKEY_OTHER)
    return afn_value_ref (hf_node_key_value (hf_node_key (name->text, len)));
  v = g_hash_table_lookup (pk->keys, name->text);
  if (v == NULL)
    {
      v = afn_value_new_str (name->text, (gssize) len);
      g_hash_table_insert (pk->keys, g_strdup (name->text), v);
    }
  return afn_value_ref (v);
}

static AfnValue *
pack_number (Packer *pk, HfJson *j)
{
  if (is_integer_text (j->text))
    return afn_value_new_bigint (j->text);
  return afn_value_new_float (g_ascii_strtod (j->text, NULL));
}

static AfnValue *
pack_items (Packer *pk, HfJson *array, AfnValueKind kind)
{
  g_autoptr(AfnValue) v = kind == AFN_VALUE_TUPLE ? afn_value_new_tuple () : afn_value_new_list ();

  if (array == NULL || array->kind != HF_JSON_ARRAY)
    return pack_fail (pk, _("“items” must be an array")), NULL;
  for (guint i = 0; i < array->items->len; i++)
    {
      AfnValue *item = pack (pk, g_ptr_array_index (array->items, i));
      if (item == NULL)
        return NULL;
      afn_value_append_take (v, item);
    }
  return g_steal_pointer (&v);
}

static gboolean
pack_pairs_into (Packer *pk, AfnValue *map, HfJson *array)
{
  if (array == NULL || array->kind != HF_JSON_ARRAY)
    return pack_fail (pk, _("“items” must be an array of pairs"));
  for (guint i = 0; i < array->items->len; i++)
    {
      HfJson *pair = g_ptr_array_index (array->items, i);
      AfnValue *k, *v;
      if (pair->kind != HF_JSON_ARRAY || pair->items->len != 2)
        return pack_fail (pk, _("a dict item is not a [key, value] pair"));
      if ((k = pack (pk, g_ptr_array_index (pair->items, 0))) == NULL)
        return FALSE;
      if ((v = pack (pk, g_ptr_array_index (pair->items, 1))) == NULL)
        {
          afn_value_unref (k);
          return FALSE;
        }
      afn_value_dict_set_take (map, k, v);
    }
  return TRUE;
}

static AfnValue *
pack_json_field (Packer *pk, HfJson *j, const char *field, const char *fallback_kind)
{
  HfJson *f = hf_json_get (j, field);
  if (f == NULL)
    {
      if (g_str_equal (fallback_kind, "none"))
        return afn_value_new_none ();
      return afn_value_new_bool (FALSE);
    }
  return pack (pk, f);
}

static const char *
json_str (HfJson *j, const char *field)
{
  HfJson *f = hf_json_get (j, field);
  return f != NULL && f->kind == HF_JSON_STRING ? f->text : NULL;
}

static gboolean
json_bool (HfJson *j, const char *field, gboolean fallback)
{
  HfJson *f = hf_json_get (j, field);
  if (f == NULL)
    return fallback;
  return f->kind == HF_JSON_TRUE || (f->kind == HF_JSON_NUMBER && g_ascii_strtod (f->text, NULL) != 0);
}

static AfnValue *
pack_variable (Packer *pk, HfJson *j)
{
  const char *cls = json_str (j, "class");
  GType type = cls != NULL && g_str_equal (cls, "afnio.cognitive.parameter.Parameter") ? AFN_TYPE_PARAMETER : AFN_TYPE_VARIABLE;
  g_autoptr(AfnValue) data = NULL;
  g_autoptr(AfnValue) grad_fn = NULL;
  g_autoptr(AfnValue) grads = NULL;
  g_autoptr(AfnValue) state = afn_value_new_dict ();
  g_autoptr(AfnVariable) var = NULL;
  HfJson *order = hf_json_get (j, "attr_order");
  HfJson *g = hf_json_get (j, "grad");
  HfJson *nr = hf_json_get (j, "output_nr");
  guint output_nr = nr != NULL && nr->kind == HF_JSON_NUMBER ? (guint) g_ascii_strtoull (nr->text, NULL, 10) : 0;
  g_autoptr(GPtrArray) grad_objects = g_ptr_array_new ();

  if ((data = pack_json_field (pk, j, "data", "none")) == NULL)
    return NULL;
  grads = afn_value_new_list ();
  for (guint i = 0; g != NULL && g->kind == HF_JSON_ARRAY && i < g->items->len; i++)
    {
      AfnValue *item = pack (pk, g_ptr_array_index (g->items, i));
      if (item == NULL)
        return NULL;
      if (afn_value_kind (item) != AFN_VALUE_OBJECT || !AFN_IS_VARIABLE (afn_value_get_object (item)))
        {
          afn_value_unref (item);
          return pack_fail (pk, _("a grad that is not a Variable")), NULL;
        }
      g_ptr_array_add (grad_objects, afn_value_get_object (item));
      afn_value_append_take (grads, item);
    }
  if ((grad_fn = pack_json_field (pk, j, "grad_fn", "none")) == NULL)
    return NULL;

  var = afn_variable_new_raw (type, data, json_str (j, "role"), json_bool (j, "requires_grad", FALSE));
  afn_variable_set_variable_id (var, json_str (j, "variable_id"));
  if (afn_value_kind (grad_fn) == AFN_VALUE_OBJECT && AFN_IS_NODE (afn_value_get_object (grad_fn)))
    afn_variable_set_grad_fn (var, afn_value_get_object (grad_fn), output_nr, NULL);
  afn_variable_set_is_leaf_raw (var, json_bool (j, "is_leaf", TRUE));
  afn_variable_set_retain_grad_raw (var, json_bool (j, "retain_grad", FALSE));
  if (grad_objects->len > 0)
    afn_variable_set_grads (var, grad_objects, NULL);

  for (guint i = 0; order != NULL && order->kind == HF_JSON_ARRAY && i < order->items->len; i++)
    {
      HfJson *name = g_ptr_array_index (order->items, i);
      AfnValue *value = NULL;
      if (name->kind != HF_JSON_STRING)
        return pack_fail (pk, _("attr_order holds a non-string")), NULL;
      switch (hf_var_key (name->text, name->len))
        {
        case HF_VKEY_VARIABLE_ID: value = pack_json_field (pk, j, "variable_id", "none"); break;
        case HF_VKEY_INITIALIZED: value = pack_json_field (pk, j, "initialized", "bool"); break;
        case HF_VKEY_PENDING_GRAD_FN_ID: value = pack_json_field (pk, j, "pending_grad_fn_id", "none"); break;
        case HF_VKEY_PENDING_GRAD: value = pack_json_field (pk, j, "pending_grad", "bool"); break;
        case HF_VKEY_PENDING_DATA: value = pack_json_field (pk, j, "pending_data", "bool"); break;
        case HF_VKEY_DATA: value = afn_value_ref (data); break;
        case HF_VKEY_ROLE: value = pack_json_field (pk, j, "role", "none"); break;
        case HF_VKEY_REQUIRES_GRAD: value = pack_json_field (pk, j, "requires_grad", "bool"); break;
        case HF_VKEY_RETAIN_GRAD: value = pack_json_field (pk, j, "retain_grad", "bool"); break;
        case HF_VKEY_GRAD: value = afn_value_ref (grads); break;
        case HF_VKEY_OUTPUT_NR: value = afn_value_new_int (output_nr); break;
        case HF_VKEY_GRAD_FN: value = afn_value_ref (grad_fn); break;
        case HF_VKEY_IS_LEAF: value = pack_json_field (pk, j, "is_leaf", "bool"); break;
        case HF_VKEY_OTHER:
        default:
          value = afn_value_new_none ();
          break;
        }
      if (value == NULL)
        return NULL;
      afn_value_dict_set_take (state, key_value (pk, name), value);
    }
  if (order != NULL)
    afn_variable_set_py_state (var, state);
  return afn_value_new_object (var);
}

static AfnValue *
pack_node (Packer *pk, HfJson *j)
{
  g_autoptr(AfnNode) node = g_object_new (AFN_TYPE_NODE, NULL);
  g_autoptr(AfnValue) edges = afn_value_new_tuple ();
  g_autoptr(AfnValue) state = afn_value_new_dict ();
  HfJson *next = hf_json_get (j, "next_functions");
  HfJson *order = hf_json_get (j, "attr_order");

  if (json_str (j, "name") != NULL)
    afn_node_set_name (node, json_str (j, "name"));
  afn_node_set_node_id (node, json_str (j, "node_id"));
  for (guint i = 0; next != NULL && next->kind == HF_JSON_ARRAY && i < next->items->len; i++)
    {
      AfnValue *edge = pack (pk, g_ptr_array_index (next->items, i));
      if (edge == NULL)
        return NULL;
      if (afn_value_kind (edge) != AFN_VALUE_GRADIENT_EDGE)
        {
          afn_value_unref (edge);
          return pack_fail (pk, _("next_functions holds something that is not a GradientEdge")), NULL;
        }
      afn_node_add_next_function (node, afn_value_get_edge_node (edge), (guint) afn_value_get_edge_output_nr (edge));
      afn_value_append_take (edges, edge);
    }
  for (guint i = 0; order != NULL && order->kind == HF_JSON_ARRAY && i < order->items->len; i++)
    {
      HfJson *name = g_ptr_array_index (order->items, i);
      AfnValue *value;
      if (name->kind != HF_JSON_STRING)
        return pack_fail (pk, _("attr_order holds a non-string")), NULL;
      switch (hf_node_key (name->text, name->len))
        {
        case HF_NKEY_NEXT_FUNCTIONS: value = afn_value_ref (edges); break;
        case HF_NKEY_NAME: value = pack_json_field (pk, j, "name", "none"); break;
        case HF_NKEY_NODE_ID: value = pack_json_field (pk, j, "node_id", "none"); break;
        case HF_NKEY_OTHER:
        default: value = afn_value_new_none (); break;
        }
      if (value == NULL)
        return NULL;
      afn_value_dict_set_take (state, key_value (pk, name), value);
    }
  if (order != NULL)
    afn_node_set_py_state (node, state);
  return afn_value_new_object (node);
}

static AfnValue *
pack_edge (Packer *pk, HfJson *j)
{
  g_autoptr(AfnValue) node = pack_json_field (pk, j, "node", "none");
  HfJson *nr = hf_json_get (j, "output_nr");

  if (node == NULL)
    return NULL;
  if (afn_value_kind (node) != AFN_VALUE_NONE &&
      !(afn_value_kind (node) == AFN_VALUE_OBJECT && AFN_IS_NODE (afn_value_get_object (node))))
    return pack_fail (pk, _("a GradientEdge whose node is not a Node")), NULL;
  return afn_value_new_gradient_edge (afn_value_kind (node) == AFN_VALUE_OBJECT ? afn_value_get_object (node) : NULL,
                                      nr != NULL && nr->kind == HF_JSON_NUMBER ? g_ascii_strtoll (nr->text, NULL, 10) : 0);
}

static AfnValue *
pack_tagged (Packer *pk, HfJson *j, const char *tag)
{
  if (g_str_equal (tag, "list"))
    return pack_items (pk, hf_json_get (j, "items"), AFN_VALUE_LIST);
  if (g_str_equal (tag, "tuple"))
    return pack_items (pk, hf_json_get (j, "items"), AFN_VALUE_TUPLE);
  if (g_str_equal (tag, "dict") || g_str_equal (tag, "OrderedDict"))
    {
      gboolean ordered = g_str_equal (tag, "OrderedDict");
      g_autoptr(AfnValue) map = ordered ? afn_value_new_ordered_dict () : afn_value_new_dict ();
      HfJson *attrs = hf_json_get (j, "attrs");
      if (!pack_pairs_into (pk, map, hf_json_get (j, "items")))
        return NULL;
      if (ordered && attrs != NULL && attrs->kind == HF_JSON_OBJECT && attrs->keys->len > 0)
        {
          g_autoptr(AfnValue) a = afn_value_new_dict ();
          for (guint i = 0; i < attrs->keys->len; i++)
            {
              AfnValue *v = pack (pk, g_ptr_array_index (attrs->items, i));
              if (v == NULL)
                return NULL;
              afn_value_dict_set_take (a, key_value (pk, g_ptr_array_index (attrs->keys, i)), v);
            }
          afn_value_set_attrs_take (map, g_steal_pointer (&a));
        }
      return g_steal_pointer (&map);
    }
  if (g_str_equal (tag, "bigint") && json_str (j, "value") != NULL)
    {
      const char *p = json_str (j, "value");
      for (const char *q = p + (*p == '-'); *q; q++)
        if (!g_ascii_isdigit (*q))
          return pack_fail (pk, _("a bigint that is not a decimal number")), NULL;
      if (*(p + (*p == '-')) == '\0')
        return pack_fail (pk, _("a bigint that is not a decimal number")), NULL;
      return afn_value_new_bigint (p);
    }
  if (g_str_equal (tag, "float") && json_str (j, "value") != NULL)
    {
      const char *s = json_str (j, "value");
      if (g_str_equal (s, "nan"))
        return afn_value_new_float (NAN);
      if (g_str_equal (s, "inf") || g_str_equal (s, "-inf"))
        return afn_value_new_float (s[0] == '-' ? -INFINITY : INFINITY);
      return pack_fail (pk, _("a float tag that is not nan, inf or -inf")), NULL;
    }
  if (g_str_equal (tag, "global") && json_str (j, "module") != NULL && json_str (j, "name") != NULL)
    return afn_value_new_global (json_str (j, "module"), json_str (j, "name"));
  if (g_str_equal (tag, "Variable"))
    return pack_variable (pk, j);
  if (g_str_equal (tag, "Node"))
    return pack_node (pk, j);
  if (g_str_equal (tag, "GradientEdge"))
    return pack_edge (pk, j);
  return pack_fail (pk, _("an unknown __type__")), NULL;
}

static AfnValue *
pack_object (Packer *pk, HfJson *j)
{
  HfJson *ref = hf_json_get (j, "__ref__");
  const char *tag;
  AfnValue *v;

  if (ref != NULL)
    {
      HfJson *target = ref->kind == HF_JSON_NUMBER
        ? g_hash_table_lookup (pk->by_id, GINT_TO_POINTER ((gint) g_ascii_strtoll (ref->text, NULL, 10)))
        : NULL;
      if (target == NULL)
        return pack_fail (pk, _("a __ref__ to an unknown __id__")), NULL;
      if ((v = g_hash_table_lookup (pk->built, target)) != NULL)
        return afn_value_ref (v);
      return pack (pk, target);
    }
  if ((v = g_hash_table_lookup (pk->built, j)) != NULL)
    return afn_value_ref (v);
  tag = tag_of (j);
  if (tag == NULL)
    return pack_fail (pk, _("an object without __type__")), NULL;
  v = pack_tagged (pk, j, tag);
  if (v != NULL && hf_json_get (j, "__id__") != NULL)
    g_hash_table_insert (pk->built, j, afn_value_ref (v));
  return v;
}

static AfnValue *
pack (Packer *pk, HfJson *j)
{
  AfnValue *v = NULL;

  if (++pk->depth > MAX_JSON_DEPTH)
    {
      pk->depth--;
      return pack_fail (pk, _("nesting too deep")), NULL;
    }
  switch (j->kind)
    {
    case HF_JSON_NULL: v = afn_value_new_none (); break;
    case HF_JSON_TRUE: v = afn_value_new_bool (TRUE); break;
    case HF_JSON_FALSE: v = afn_value_new_bool (FALSE); break;
    case HF_JSON_NUMBER: v = pack_number (pk, j); break;
    case HF_JSON_STRING: v = afn_value_new_str (j->text, (gssize) j->len); break;
    case HF_JSON_ARRAY: v = pack_items (pk, j, AFN_VALUE_LIST); break;
    case HF_JSON_OBJECT: v = pack_object (pk, j); break;
    default: break;
    }
  pk->depth--;
  return v;
}

AfnValue *
afn_hf_value_from_json (const char *json, gssize len, GError **error)
{
  g_autoptr(HfJson) root = NULL;
  Packer pk = { 0, };
  AfnValue *v;

  g_return_val_if_fail (json != NULL, NULL);
  root = hf_json_parse (json, len < 0 ? strlen (json) : (gsize) len, error);
  if (root == NULL)
    return NULL;
  pk.by_id = g_hash_table_new (NULL, NULL);
  pk.built = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) afn_value_unref);
  pk.keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) afn_value_unref);
  pk.error = error;
  collect_ids (&pk, root);
  v = pack (&pk, root);
  g_hash_table_unref (pk.by_id);
  g_hash_table_unref (pk.built);
  g_hash_table_unref (pk.keys);
  return v;
}
