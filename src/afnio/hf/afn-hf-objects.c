/* afn-hf-objects.c: the allow-list, and engine objects from pickled state.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afn-hf-private.h"
#include "afn-variable-private.h"
#include "afn-engine-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_QUARK (afn-hf-error-quark, afn_hf_error)

void
afn_hf_limits_init (AfnHfLimits *limits)
{
  g_return_if_fail (limits != NULL);
  limits->max_inflated = AFN_HF_DEFAULT_MAX_INFLATED;
  limits->max_depth = AFN_HF_DEFAULT_MAX_DEPTH;
  limits->max_memo = AFN_HF_DEFAULT_MAX_MEMO;
}

/* Exactly the raw pairs afnio's files use (fixtures README); nothing else is
 * accepted, whatever it is called. */
static const struct {
  const char *module;
  const char *name;
  HfGlobal    kind;
} allow_list[] = {
  { "afnio._variable", "Variable", HF_GLOBAL_VARIABLE },
  { "afnio.cognitive.parameter", "Parameter", HF_GLOBAL_PARAMETER },
  { "afnio.autodiff.graph", "Node", HF_GLOBAL_NODE },
  { "afnio.autodiff.graph", "GradientEdge", HF_GLOBAL_GRADIENT_EDGE },
  { "collections", "OrderedDict", HF_GLOBAL_ORDERED_DICT },
  { "copy_reg", "_reconstructor", HF_GLOBAL_RECONSTRUCTOR },
  { "__builtin__", "object", HF_GLOBAL_OBJECT },
  { "__builtin__", "tuple", HF_GLOBAL_TUPLE },
  { "__builtin__", "sum", HF_GLOBAL_INERT },
  { "builtins", "sum", HF_GLOBAL_INERT },
  { "__main__", "exact_match_fn", HF_GLOBAL_INERT },
};

static gboolean
span_equal (const char *s, gsize len, const char *lit)
{
  return strlen (lit) == len && memcmp (s, lit, len) == 0;
}

HfGlobal
hf_global_lookup (const char *module, gsize module_len, const char *name, gsize name_len)
{
  for (guint i = 0; i < G_N_ELEMENTS (allow_list); i++)
    if (span_equal (module, module_len, allow_list[i].module) &&
        span_equal (name, name_len, allow_list[i].name))
      return allow_list[i].kind;
  return HF_GLOBAL_NONE;
}

/* CPython's _compat_pickle mapping, for the modules these files can name. */
static const char *module_map[][2] = {
  { "__builtin__", "builtins" },
  { "copy_reg", "copyreg" },
  { "commands", "subprocess" },
};

const char *
hf_module_py3 (const char *raw)
{
  for (guint i = 0; i < G_N_ELEMENTS (module_map); i++)
    if (g_str_equal (raw, module_map[i][0]))
      return module_map[i][1];
  return raw;
}

const char *
hf_module_py2 (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (module_map); i++)
    if (g_str_equal (name, module_map[i][1]))
      return module_map[i][0];
  return name;
}

static const char *var_key_names[HF_N_VKEYS] = {
  "variable_id", "_initialized", "_pending_grad_fn_id", "_pending_grad",
  "_pending_data", "_data", "role", "requires_grad", "_retain_grad", "_grad",
  "_output_nr", "_grad_fn", "is_leaf",
};

static const char *node_key_names[HF_N_NKEYS] = {
  "_next_functions", "_name", "node_id",
};

HfVarKey
hf_var_key (const char *s, gsize len)
{
  for (guint i = 0; i < HF_N_VKEYS; i++)
    if (span_equal (s, len, var_key_names[i]))
      return i;
  return HF_VKEY_OTHER;
}

HfNodeKey
hf_node_key (const char *s, gsize len)
{
  for (guint i = 0; i < HF_N_NKEYS; i++)
    if (span_equal (s, len, node_key_names[i]))
      return i;
  return HF_NKEY_OTHER;
}

static AfnValue **
intern_keys (const char **names, guint n)
{
  AfnValue **values = g_new (AfnValue *, n);
  for (guint i = 0; i < n; i++)
    values[i] = afn_value_new_str (names[i], -1);
  return values;
}

AfnValue *
hf_var_key_value (HfVarKey key)
{
  static AfnValue **values;
  g_return_val_if_fail (key < HF_N_VKEYS, NULL);
  if (g_once_init_enter (&values))
    g_once_init_leave (&values, intern_keys (var_key_names, HF_N_VKEYS));
  return values[key];
}

AfnValue *
hf_node_key_value (HfNodeKey key)
{
  static AfnValue **values;
  g_return_val_if_fail (key < HF_N_NKEYS, NULL);
  if (g_once_init_enter (&values))
    g_once_init_leave (&values, intern_keys (node_key_names, HF_N_NKEYS));
  return values[key];
}

gboolean
hf_value_truthy (const AfnValue *v)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_NONE:
      return FALSE;
    case AFN_VALUE_BOOL:
      return afn_value_get_bool (v);
    case AFN_VALUE_INT:
      return afn_value_get_int (v) != 0;
    case AFN_VALUE_FLOAT:
      return afn_value_get_float (v) != 0.0;
    case AFN_VALUE_STR:
      {
        gsize len;
        afn_value_get_str (v, &len);
        return len > 0;
      }
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      return afn_value_n_items (v) > 0;
    case AFN_VALUE_BIGINT:
    case AFN_VALUE_OBJECT:
    case AFN_VALUE_GRADIENT_EDGE:
    case AFN_VALUE_GLOBAL:
    default:
      return TRUE;
    }
}

gboolean
hf_utf8_valid (const guint8 *s, gsize len)
{
  gsize i = 0;

  while (i < len)
    {
      guint8 c;
      guint need;

      /* ASCII runs, eight bytes at a time. */
      while (len - i >= 8)
        {
          guint64 w;
          memcpy (&w, s + i, 8);
          if (w & G_GUINT64_CONSTANT (0x8080808080808080))
            break;
          i += 8;
        }
      if (i >= len)
        break;
      c = s[i];
      guint8 lo = 0x80, hi = 0xBF;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xC2 && c <= 0xDF)
        need = 1;
      else if (c >= 0xE0 && c <= 0xEF)
        {
          need = 2;
          if (c == 0xE0)
            lo = 0xA0;   /* surrogatepass: ED A0..BF stays allowed */
        }
      else if (c >= 0xF0 && c <= 0xF4)
        {
          need = 3;
          if (c == 0xF0)
            lo = 0x90;
          else if (c == 0xF4)
            hi = 0x8F;
        }
      else
        return FALSE;
      if (len - i <= need)
        return FALSE;
      if (s[i + 1] < lo || s[i + 1] > hi)
        return FALSE;
      for (guint k = 2; k <= need; k++)
        if ((s[i + k] & 0xC0) != 0x80)
          return FALSE;
      i += need + 1;
    }
  return TRUE;
}

static const char *
str_or_null (AfnValue *v)
{
  if (v != NULL && afn_value_kind (v) == AFN_VALUE_STR)
    return afn_value_get_str (v, NULL);
  return NULL;
}

static gboolean
check_state (AfnValue *state, const char *what, GError **error)
{
  gboolean ok = afn_value_kind (state) == AFN_VALUE_DICT;

  for (guint i = 0; ok && i < afn_value_n_items (state); i++)
    ok = afn_value_kind (afn_value_get_key (state, i)) == AFN_VALUE_STR;
  if (ok)
    return TRUE;
  g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_CORRUPT,
               _("The state of a %s is a %s, not a dict of attribute names"),
               what, afn_value_kind_name (afn_value_kind (state)));
  return FALSE;
}

static gboolean
all_variables (AfnValue *list)
{
  for (guint i = 0, n = afn_value_n_items (list); i < n; i++)
    {
      AfnValue *item = afn_value_get_item (list, i);
      if (afn_value_kind (item) != AFN_VALUE_OBJECT || !AFN_IS_VARIABLE (afn_value_get_object (item)))
        return FALSE;
    }
  return TRUE;
}

HfVarKey
hf_key_cache_var_key (HfKeyCache *cache, guint position, AfnValue *key)
{
  gsize len;
  const char *s;
  HfVarKey k;

  if (cache != NULL && position < HF_KEY_CACHE_SIZE && cache->key[position] == key)
    return cache->kind[position];
  s = afn_value_get_str (key, &len);
  k = hf_var_key (s, len);
  if (cache != NULL && position < HF_KEY_CACHE_SIZE)
    {
      g_clear_pointer (&cache->key[position], afn_value_unref);
      cache->key[position] = afn_value_ref (key);
      cache->kind[position] = k;
    }
  return k;
}

void
hf_key_cache_clear (HfKeyCache *cache)
{
  for (guint i = 0; i < HF_KEY_CACHE_SIZE; i++)
    g_clear_pointer (&cache->key[i], afn_value_unref);
}

static gboolean
is_bool (AfnValue *v, gboolean b)
{
  return afn_value_kind (v) == AFN_VALUE_BOOL && afn_value_get_bool (v) == b;
}

/* A fresh string equal to @s that nothing else holds: the writer, which
 * writes @s as a fresh string, writes the same bytes. */
static gboolean
lone_str (AfnValue *v, const char *s)
{
  gsize len;
  const char *t;

  if (s == NULL || afn_value_kind (v) != AFN_VALUE_STR || afn_value_peek_ref_count (v) != 1)
    return FALSE;
  t = afn_value_get_str (v, &len);
  return strlen (s) == len && memcmp (s, t, len) == 0;
}

static gboolean
lone_grads (AfnValue *v, AfnVariable *variable)
{
  guint n = afn_variable_n_grads (variable);

  if (afn_value_kind (v) != AFN_VALUE_LIST || afn_value_peek_ref_count (v) != 1 || afn_value_n_items (v) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (afn_value_get_object (afn_value_get_item (v, i)) != (gpointer) afn_variable_get_grad (variable, i))
      return FALSE;
  return TRUE;
}

/* Whether @state (its 13 values in @slot, in the standard order) is what
 * the writer writes for @variable without a py_state, and no part of it
 * whose identity the writer could not reproduce is held by anything else
 * (the caller's reader keeps in its memo only what the pickle fetches
 * again, so a reference count of one proves it). */
static gboolean
state_is_canonical (AfnVariable *variable, AfnValue *state, AfnValue **slot)
{
  AfnNode *fn = afn_variable_peek_grad_fn (variable);
  AfnValue *grad_fn = slot[HF_VKEY_GRAD_FN];
  AfnValue *nr = slot[HF_VKEY_OUTPUT_NR];

  return afn_value_peek_ref_count (state) == 1 &&
         afn_value_kind (slot[HF_VKEY_VARIABLE_ID]) == AFN_VALUE_NONE &&
         afn_variable_get_variable_id (variable) == NULL &&
         is_bool (slot[HF_VKEY_INITIALIZED], FALSE) &&
         afn_value_kind (slot[HF_VKEY_PENDING_GRAD_FN_ID]) == AFN_VALUE_NONE &&
         is_bool (slot[HF_VKEY_PENDING_GRAD], FALSE) &&
         is_bool (slot[HF_VKEY_PENDING_DATA], FALSE) &&
         slot[HF_VKEY_DATA] == afn_variable_peek_data (variable) &&
         lone_str (slot[HF_VKEY_ROLE], afn_variable_get_role (variable)) &&
         is_bool (slot[HF_VKEY_REQUIRES_GRAD], afn_variable_peek_requires_grad (variable)) &&
         is_bool (slot[HF_VKEY_RETAIN_GRAD], afn_variable_retains_grad (variable)) &&
         lone_grads (slot[HF_VKEY_GRAD], variable) &&
         afn_value_kind (nr) == AFN_VALUE_INT && afn_value_get_int (nr) == afn_variable_peek_output_nr (variable) &&
         ((fn == NULL && afn_value_kind (grad_fn) == AFN_VALUE_NONE) ||
          (fn != NULL && afn_value_kind (grad_fn) == AFN_VALUE_OBJECT && afn_value_get_object (grad_fn) == (gpointer) fn)) &&
         is_bool (slot[HF_VKEY_IS_LEAF], afn_variable_peek_is_leaf (variable));
}

/* The canonical keys must be the same objects in every dict that drops
 * its py_state: the first such dict names them in @canon_keys. */
static gboolean
canon_keys_match (AfnValue *state, AfnValue **canon_keys)
{
  if (canon_keys[0] == NULL)
    {
      for (guint i = 0; i < HF_N_VKEYS; i++)
        canon_keys[i] = afn_value_ref (afn_value_get_key (state, i));
      return TRUE;
    }
  for (guint i = 0; i < HF_N_VKEYS; i++)
    if (afn_value_get_key (state, i) != canon_keys[i])
      return FALSE;
  return TRUE;
}

AfnValue *
hf_build_variable (GType type, AfnValue *state, HfKeyCache *cache, GError **error)
{
  return hf_build_variable_full (type, state, cache, NULL, error);
}

AfnValue *
hf_build_variable_full (GType type, AfnValue *state, HfKeyCache *cache, AfnValue **canon_keys, GError **error)
{
  gboolean in_order;
  AfnValue *slot[HF_N_VKEYS] = { NULL, };
  g_autoptr(AfnValue) none = NULL;
  g_autoptr(AfnVariable) variable = NULL;
  AfnValue *data, *grads;
  AfnValue *const *pairs;
  guint n;

  if (afn_value_kind (state) != AFN_VALUE_DICT)
    return check_state (state, "Variable", error), NULL;
  pairs = afn_value_peek_pairs (state, &n);
  in_order = n == HF_N_VKEYS;
  for (guint i = 0; i < n; i++)
    {
      AfnValue *key = pairs[2 * i];
      HfVarKey k;
      /* Cached keys were strings and are classified already: every
       * Variable of a file has the same key objects. */
      if (cache != NULL && i < HF_KEY_CACHE_SIZE && cache->key[i] == key)
        k = cache->kind[i];
      else if (afn_value_kind (key) != AFN_VALUE_STR)
        return check_state (state, "Variable", error), NULL;
      else
        k = hf_key_cache_var_key (cache, i, key);
      if (k != HF_VKEY_OTHER)
        slot[k] = pairs[2 * i + 1];
      in_order = in_order && k == i;
    }

  data = slot[HF_VKEY_DATA];
  if (data == NULL)
    data = none = afn_value_new_none ();
  variable = afn_variable_new_raw (type, data, str_or_null (slot[HF_VKEY_ROLE]),
                                   slot[HF_VKEY_REQUIRES_GRAD] != NULL &&
                                   hf_value_truthy (slot[HF_VKEY_REQUIRES_GRAD]));
  afn_variable_set_variable_id (variable, str_or_null (slot[HF_VKEY_VARIABLE_ID]));

  /* Files are kept as they are even where the engine would object (a grad
   * on a frozen Variable): what the engine refuses stays in the py_state. */
  if (slot[HF_VKEY_GRAD_FN] != NULL && afn_value_kind (slot[HF_VKEY_GRAD_FN]) == AFN_VALUE_OBJECT &&
      AFN_IS_NODE (afn_value_get_object (slot[HF_VKEY_GRAD_FN])))
    {
      AfnValue *nr = slot[HF_VKEY_OUTPUT_NR];
      gint64 output_nr = nr != NULL && afn_value_kind (nr) == AFN_VALUE_INT ? afn_value_get_int (nr) : 0;
      if (output_nr >= 0 && output_nr <= G_MAXUINT)
        afn_variable_set_grad_fn (variable, afn_value_get_object (slot[HF_VKEY_GRAD_FN]),
                                  (guint) output_nr, NULL);
    }
  if (slot[HF_VKEY_IS_LEAF] != NULL)
    afn_variable_set_is_leaf_raw (variable, hf_value_truthy (slot[HF_VKEY_IS_LEAF]));
  if (slot[HF_VKEY_RETAIN_GRAD] != NULL)
    afn_variable_set_retain_grad_raw (variable, hf_value_truthy (slot[HF_VKEY_RETAIN_GRAD]));
  /* The list goes to the engine only if it holds nothing but Variables. */
  grads = slot[HF_VKEY_GRAD];
  if (grads != NULL && afn_value_kind (grads) == AFN_VALUE_LIST && all_variables (grads))
    for (guint i = 0, n = afn_value_n_items (grads); i < n; i++)
      afn_variable_append_grad (variable, afn_value_get_object (afn_value_get_item (grads, i)), NULL);
  if (canon_keys == NULL || !in_order || !state_is_canonical (variable, state, slot) ||
      !canon_keys_match (state, canon_keys))
    afn_variable_set_py_state (variable, state);
  return afn_value_new_object (variable);
}

AfnValue *
hf_build_node (AfnValue *state, GError **error)
{
  g_autoptr(AfnNode) node = NULL;
  AfnValue *next = NULL;

  if (!check_state (state, "Node", error))
    return NULL;
  node = g_object_new (AFN_TYPE_NODE, NULL);
  for (guint i = 0; i < afn_value_n_items (state); i++)
    {
      gsize len;
      const char *key = afn_value_get_str (afn_value_get_key (state, i), &len);
      AfnValue *value = afn_value_get_item (state, i);
      switch (hf_node_key (key, len))
        {
        case HF_NKEY_NAME:
          if (afn_value_kind (value) == AFN_VALUE_STR)
            afn_node_set_name (node, afn_value_get_str (value, NULL));
          break;
        case HF_NKEY_NODE_ID:
          afn_node_set_node_id (node, str_or_null (value));
          break;
        case HF_NKEY_NEXT_FUNCTIONS:
          next = value;
          break;
        case HF_NKEY_OTHER:
        default:
          break;
        }
    }
  if (next != NULL && afn_value_kind (next) == AFN_VALUE_TUPLE)
    for (guint i = 0; i < afn_value_n_items (next); i++)
      {
        AfnValue *edge = afn_value_get_item (next, i);
        gint64 nr;
        if (afn_value_kind (edge) != AFN_VALUE_GRADIENT_EDGE)
          continue;
        nr = afn_value_get_edge_output_nr (edge);
        afn_node_add_next_function (node, afn_value_get_edge_node (edge),
                                    nr >= 0 && nr <= G_MAXUINT ? (guint) nr : 0);
      }
  afn_node_set_py_state (node, state);
  return afn_value_new_object (node);
}
