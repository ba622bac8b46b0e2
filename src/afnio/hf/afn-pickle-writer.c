/* afn-pickle-writer.c: protocol 2, written the way CPython's C pickler
 * (Modules/_pickle.c) writes afnio's objects, so that an unchanged file
 * re-saves byte for byte: the same memo numbering, BINPUT/LONG_BINPUT,
 * batches of 1000, integer opcodes, and object forms.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afn-hf-private.h"
#include "afn-variable-private.h"
#include "afn-engine-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define BATCHSIZE 1000

/* The memo: pointer -> index, open addressing. CPython memoizes by id().
 * Keys and indices live in separate arrays: most lookups miss, and a miss
 * only touches the (denser) key array. */
typedef struct {
  guint8  *buf;
  gsize    len;
  gsize    alloc;

  gconstpointer *memo_keys;  /* n_slots keys, NULL for empty */
  guint   *memo_indices;     /* the memo index of each key */
  gsize    n_slots;     /* a power of two */
  gsize    n_used;
  guint    next_index;  /* the memo's length */

  GHashTable *globals;  /* "module\nname" -> memo index + 1 */
  HfKeyCache keys;
  gconstpointer key_ptr[HF_KEY_CACHE_SIZE];   /* memo indices of __dict__ keys by position */
  guint    key_index[HF_KEY_CACHE_SIZE];
  GType    class_type[4];   /* the classes last written, and their memo index */
  guint    class_index[4];
  guint    depth;
  GError **error;
} Writer;

/* --- Output --------------------------------------------------------------- */

static void
grow (Writer *w, gsize n)
{
  if (G_LIKELY (w->len + n <= w->alloc))
    return;
  while (w->len + n > w->alloc)
    w->alloc = w->alloc * 2;
  w->buf = g_realloc (w->buf, w->alloc);
}

static inline void
put1 (Writer *w, guint8 b)
{
  grow (w, 1);
  w->buf[w->len++] = b;
}

static inline void
put2 (Writer *w, guint8 a, guint8 b)
{
  grow (w, 2);
  w->buf[w->len++] = a;
  w->buf[w->len++] = b;
}

static void
put_bytes (Writer *w, const void *p, gsize n)
{
  grow (w, n);
  memcpy (w->buf + w->len, p, n);
  w->len += n;
}

static void
put_le32 (Writer *w, guint32 v)
{
  guint8 b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
  put_bytes (w, b, 4);
}

/* --- Memo ------------------------------------------------------------------ */

static inline gsize
slot_of (Writer *w, gconstpointer key)
{
  guint64 h = (guint64) (guintptr) key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  return (gsize) (h >> 32) & (w->n_slots - 1);
}

static gboolean
memo_lookup (Writer *w, gconstpointer key, guint *index)
{
  for (gsize i = slot_of (w, key);; i = (i + 1) & (w->n_slots - 1))
    {
      if (w->memo_keys[i] == key)
        {
          *index = w->memo_indices[i];
          return TRUE;
        }
      if (w->memo_keys[i] == NULL)
        return FALSE;
    }
}

static void
memo_store (Writer *w, gconstpointer key, guint index)
{
  gsize i;
  for (i = slot_of (w, key); w->memo_keys[i] != NULL; i = (i + 1) & (w->n_slots - 1))
    ;
  w->memo_keys[i] = key;
  w->memo_indices[i] = index;
}

static void
memo_insert (Writer *w, gconstpointer key, guint index)
{
  if ((w->n_used + 1) * 2 > w->n_slots)
    {
      gconstpointer *old_keys = w->memo_keys;
      guint *old_indices = w->memo_indices;
      gsize n_old = w->n_slots;
      w->n_slots *= 2;
      w->memo_keys = g_new0 (gconstpointer, w->n_slots);
      w->memo_indices = g_new (guint, w->n_slots);
      for (gsize k = 0; k < n_old; k++)
        if (old_keys[k] != NULL)
          memo_store (w, old_keys[k], old_indices[k]);
      g_free (old_keys);
      g_free (old_indices);
    }
  memo_store (w, key, index);
  w->n_used++;
}

static void
put_memo_index (Writer *w, guint8 short_op, guint8 long_op, guint index)
{
  if (index < 256)
    put2 (w, short_op, (guint8) index);
  else
    {
      put1 (w, long_op);
      put_le32 (w, index);
    }
}

/* Memoizes @key (NULL for an object nobody can name again) as the next index. */
static void
memo_put (Writer *w, gconstpointer key)
{
  guint index = w->next_index++;
  if (key != NULL)
    memo_insert (w, key, index);
  put_memo_index (w, 'q', 'r', index);
}

static gboolean
memo_get (Writer *w, gconstpointer key)
{
  guint index;
  if (!memo_lookup (w, key, &index))
    return FALSE;
  put_memo_index (w, 'h', 'j', index);
  return TRUE;
}

/* --- Scalars ------------------------------------------------------------------ */

static void
save_int (Writer *w, gint64 i)
{
  if (i >= G_MININT32 && i <= G_MAXINT32)
    {
      if (i >= 0 && i < 256)
        put2 (w, 'K', (guint8) i);
      else if (i >= 0 && i < 65536)
        {
          guint8 b[3] = { 'M', i & 0xff, i >> 8 };
          put_bytes (w, b, 3);
        }
      else
        {
          put1 (w, 'J');
          put_le32 (w, (guint32) (gint32) i);
        }
      return;
    }
  /* LONG1 with the fewest bytes, trimmed as save_long() trims. */
  {
    guint64 u = (guint64) i;
    guint64 mag = i < 0 ? 0 - u : u;
    guint nbits = 64 - (guint) __builtin_clzll (mag);
    guint nbytes = (nbits >> 3) + 1;
    guint8 b[9];
    for (guint k = 0; k < nbytes; k++)
      b[k] = k < 8 ? (guint8) (u >> (8 * k)) : (i < 0 ? 0xff : 0);
    if (i < 0 && nbytes > 1 && b[nbytes - 1] == 0xff && (b[nbytes - 2] & 0x80))
      nbytes--;
    put2 (w, 0x8a, (guint8) nbytes);
    put_bytes (w, b, nbytes);
  }
}

/* A bigint's decimal text to LONG1/LONG4 bytes. */
static void
save_bigint (Writer *w, const char *decimal)
{
  gboolean negative = decimal[0] == '-';
  const char *digits = decimal + negative;
  gsize n_digits = strlen (digits);
  g_autofree guint8 *mag = g_new0 (guint8, n_digits / 2 + 2);
  gsize len = 0, nbits, nbytes;
  g_autofree guint8 *out = NULL;

  /* Magnitude, little-endian base 256, by multiply-and-add. */
  for (gsize d = 0; d < n_digits; d++)
    {
      guint carry = (guint) (digits[d] - '0');
      for (gsize k = 0; k < len; k++)
        {
          guint v = mag[k] * 10u + carry;
          mag[k] = (guint8) v;
          carry = v >> 8;
        }
      if (carry)
        mag[len++] = (guint8) carry;
    }
  nbits = len == 0 ? 0 : (len - 1) * 8 + (gsize) (32 - __builtin_clz (mag[len - 1]));
  nbytes = (nbits >> 3) + 1;
  out = g_new0 (guint8, nbytes);
  memcpy (out, mag, len);
  if (negative)
    {
      guint carry = 1;
      for (gsize k = 0; k < nbytes; k++)
        {
          guint v = (guint8) ~out[k] + carry;
          out[k] = (guint8) v;
          carry = v >> 8;
        }
      if (nbytes > 1 && out[nbytes - 1] == 0xff && (out[nbytes - 2] & 0x80))
        nbytes--;
    }
  if (nbytes < 256)
    put2 (w, 0x8a, (guint8) nbytes);
  else
    {
      put1 (w, 0x8b);
      put_le32 (w, (guint32) nbytes);
    }
  put_bytes (w, out, nbytes);
}

static void
save_float (Writer *w, double d)
{
  guint64 bits;
  guint8 b[9];

  memcpy (&bits, &d, sizeof bits);
  b[0] = 'G';
  for (guint k = 0; k < 8; k++)
    b[1 + k] = (guint8) (bits >> (56 - 8 * k));
  put_bytes (w, b, 9);
}

/* BINUNICODE; @key is what the memo knows the string by. */
static gboolean
save_str_bytes (Writer *w, gconstpointer key, const char *s, gsize len)
{
  if (key != NULL && memo_get (w, key))
    return TRUE;
  if (len > G_MAXUINT32)
    return g_set_error (w->error, AFN_HF_ERROR, AFN_HF_ERROR_UNSUPPORTED_VALUE,
                        _("A string of %" G_GSIZE_FORMAT " bytes is too long for protocol 2"), len), FALSE;
  put1 (w, 'X');
  put_le32 (w, (guint32) len);
  put_bytes (w, s, len);
  memo_put (w, key);
  return TRUE;
}

static gboolean
save_str (Writer *w, AfnValue *v)
{
  gsize len;
  const char *s = afn_value_get_str (v, &len);
  return save_str_bytes (w, v, s, len);
}

/* A fresh string with no identity to preserve (a role the engine holds). */
static gboolean
save_cstr (Writer *w, const char *s)
{
  if (s == NULL)
    {
      put1 (w, 'N');
      return TRUE;
    }
  return save_str_bytes (w, NULL, s, strlen (s));
}

/* GLOBAL, spelled for protocol 2 (fix_imports), memoized by name as the
 * class or function object it names would be. */
static void
save_global (Writer *w, const char *module, const char *name)
{
  g_autofree char *key = g_strconcat (hf_module_py2 (module), "\n", name, "\n", NULL);
  gpointer found = g_hash_table_lookup (w->globals, key);

  if (found != NULL)
    {
      put_memo_index (w, 'h', 'j', GPOINTER_TO_UINT (found) - 1);
      return;
    }
  put1 (w, 'c');
  put_bytes (w, key, strlen (key));
  g_hash_table_insert (w->globals, g_steal_pointer (&key), GUINT_TO_POINTER (w->next_index + 1));
  memo_put (w, NULL);
}

/* --- Containers --------------------------------------------------------------- */

static gboolean save (Writer *w, AfnValue *v);

static gboolean
enter (Writer *w)
{
  if (++w->depth > HF_MAX_WRITE_DEPTH)
    return g_set_error (w->error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_DEEP,
                        _("The value nests deeper than %u levels"), HF_MAX_WRITE_DEPTH), FALSE;
  return TRUE;
}

/* batch_list_exact(): APPEND for one item, else MARK ... APPENDS per 1000. */
static gboolean
save_list_items (Writer *w, AfnValue *list)
{
  guint n = afn_value_n_items (list), total = 0;

  if (n == 0)
    return TRUE;
  if (n == 1)
    {
      if (!save (w, afn_value_get_item (list, 0)))
        return FALSE;
      put1 (w, 'a');
      return TRUE;
    }
  do
    {
      guint batch = 0;
      put1 (w, '(');
      while (total < n)
        {
          if (!save (w, afn_value_get_item (list, total)))
            return FALSE;
          total++;
          if (++batch == BATCHSIZE)
            break;
        }
      put1 (w, 'e');
    }
  while (total < n);
  return TRUE;
}

static gboolean
save_pair (Writer *w, AfnValue *dict, guint i)
{
  return save (w, afn_value_get_key (dict, i)) && save (w, afn_value_get_item (dict, i));
}

/* batch_dict_exact(): note the empty batch it writes when the size is a
 * multiple of 1000. */
static gboolean
save_dict_items_exact (Writer *w, AfnValue *dict)
{
  guint n = afn_value_n_items (dict), pos = 0, batch;

  if (n == 0)
    return TRUE;
  if (n == 1)
    {
      if (!save_pair (w, dict, 0))
        return FALSE;
      put1 (w, 's');
      return TRUE;
    }
  do
    {
      batch = 0;
      put1 (w, '(');
      while (pos < n)
        {
          if (!save_pair (w, dict, pos++))
            return FALSE;
          if (++batch == BATCHSIZE)
            break;
        }
      put1 (w, 'u');
    }
  while (batch == BATCHSIZE);
  return TRUE;
}

/* batch_dict() over an items iterator (OrderedDict.__reduce__): a lone
 * last item is a SETITEM, and there are no empty batches. */
static gboolean
save_dict_items_iter (Writer *w, AfnValue *dict)
{
  guint n = afn_value_n_items (dict), pos = 0;

  while (pos < n)
    {
      guint batch = 0;
      if (pos + 1 == n)
        {
          if (!save_pair (w, dict, pos))
            return FALSE;
          put1 (w, 's');
          return TRUE;
        }
      put1 (w, '(');
      while (pos < n && batch < BATCHSIZE)
        {
          if (!save_pair (w, dict, pos++))
            return FALSE;
          batch++;
        }
      put1 (w, 'u');
    }
  return TRUE;
}

static gboolean
save_list (Writer *w, AfnValue *v)
{
  put1 (w, ']');
  memo_put (w, v);
  return save_list_items (w, v);
}

static gboolean
save_dict (Writer *w, AfnValue *v)
{
  put1 (w, '}');
  memo_put (w, v);
  return save_dict_items_exact (w, v);
}

static gboolean
save_tuple (Writer *w, AfnValue *v)
{
  guint n = afn_value_n_items (v);

  if (n == 0)
    {
      put1 (w, ')');
      return TRUE;
    }
  if (n > 3)
    put1 (w, '(');
  for (guint i = 0; i < n; i++)
    if (!save (w, afn_value_get_item (v, i)))
      return FALSE;
  /* A tuple reached through its own items was memoized meanwhile. */
  if (memo_lookup (w, v, &(guint) { 0 }))
    {
      if (n > 3)
        put1 (w, '1');
      else
        for (guint i = 0; i < n; i++)
          put1 (w, '0');
      memo_get (w, v);
      return TRUE;
    }
  put1 (w, n > 3 ? 't' : (guint8) (0x84 + n));
  memo_put (w, v);
  return TRUE;
}

static gboolean
save_ordered_dict (Writer *w, AfnValue *v)
{
  AfnValue *attrs = afn_value_get_attrs (v);

  save_global (w, "collections", "OrderedDict");
  put2 (w, ')', 'R');
  memo_put (w, v);
  if (!save_dict_items_iter (w, v))
    return FALSE;
  if (attrs != NULL && afn_value_n_items (attrs) > 0)
    {
      if (!save (w, attrs))
        return FALSE;
      put1 (w, 'b');
    }
  return TRUE;
}

/* --- afnio objects ------------------------------------------------------------------ */

static gboolean save_object (Writer *w, GObject *object);

static void
split_class (const char *python_class, char **module, char **name)
{
  const char *dot = strrchr (python_class, '.');
  *module = g_strndup (python_class, dot != NULL ? (gsize) (dot - python_class) : 0);
  *name = g_strdup (dot != NULL ? dot + 1 : python_class);
}

static gboolean
same_str (AfnValue *stored, const char *s)
{
  gsize len;
  const char *t;

  if (stored == NULL)
    return FALSE;
  if (s == NULL)
    return afn_value_kind (stored) == AFN_VALUE_NONE;
  if (afn_value_kind (stored) != AFN_VALUE_STR)
    return FALSE;
  t = afn_value_get_str (stored, &len);
  return strlen (s) == len && memcmp (s, t, len) == 0;
}

static gboolean
same_flag (AfnValue *stored, gboolean b)
{
  return stored != NULL && (afn_value_kind (stored) == AFN_VALUE_BOOL || afn_value_kind (stored) == AFN_VALUE_INT) &&
         hf_value_truthy (stored) == b && (afn_value_kind (stored) == AFN_VALUE_BOOL || afn_value_get_int (stored) == b);
}

static gboolean
same_grads (AfnValue *stored, AfnVariable *variable)
{
  guint n = afn_variable_n_grads (variable);

  if (stored == NULL || afn_value_kind (stored) != AFN_VALUE_LIST || afn_value_n_items (stored) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      AfnValue *item = afn_value_get_item (stored, i);
      if (afn_value_kind (item) != AFN_VALUE_OBJECT ||
          afn_value_get_object (item) != (gpointer) afn_variable_get_grad (variable, i))
        return FALSE;
    }
  return TRUE;
}

static gboolean
save_grads (Writer *w, AfnVariable *variable)
{
  guint n = afn_variable_n_grads (variable), total = 0;

  put1 (w, ']');
  memo_put (w, NULL);
  if (n == 1)
    {
      if (!save_object (w, G_OBJECT (afn_variable_get_grad (variable, 0))))
        return FALSE;
      put1 (w, 'a');
      return TRUE;
    }
  while (total < n)
    {
      guint batch = 0;
      put1 (w, '(');
      while (total < n && batch++ < BATCHSIZE)
        if (!save_object (w, G_OBJECT (afn_variable_get_grad (variable, total++))))
          return FALSE;
      put1 (w, 'e');
    }
  return TRUE;
}

static void
save_bool (Writer *w, gboolean b)
{
  put1 (w, b ? 0x88 : 0x89);
}

/* One entry of a Variable's __dict__: the stored value while it still says
 * what the engine says (so identities and odd spellings survive), else the
 * engine's. */
static gboolean
save_var_value (Writer *w, AfnVariable *variable, HfVarKey key, AfnValue *stored)
{
  switch (key)
    {
    case HF_VKEY_VARIABLE_ID:
      if (same_str (stored, afn_variable_get_variable_id (variable)))
        return save (w, stored);
      return save_cstr (w, afn_variable_get_variable_id (variable));
    case HF_VKEY_INITIALIZED:
    case HF_VKEY_PENDING_GRAD:
    case HF_VKEY_PENDING_DATA:
      if (stored != NULL)
        return save (w, stored);
      save_bool (w, FALSE);
      return TRUE;
    case HF_VKEY_PENDING_GRAD_FN_ID:
      if (stored != NULL)
        return save (w, stored);
      put1 (w, 'N');
      return TRUE;
    case HF_VKEY_DATA:
      {
        AfnValue *data = afn_variable_peek_data (variable);
        return save (w, stored != NULL && afn_value_equal (stored, data) ? stored : data);
      }
    case HF_VKEY_ROLE:
      if (same_str (stored, afn_variable_get_role (variable)))
        return save (w, stored);
      return save_cstr (w, afn_variable_get_role (variable));
    case HF_VKEY_REQUIRES_GRAD:
      if (same_flag (stored, afn_variable_peek_requires_grad (variable)) ||
          (stored != NULL && afn_value_kind (stored) == AFN_VALUE_INT &&
           hf_value_truthy (stored) == afn_variable_peek_requires_grad (variable)))
        return save (w, stored);
      save_bool (w, afn_variable_peek_requires_grad (variable));
      return TRUE;
    case HF_VKEY_RETAIN_GRAD:
      if (same_flag (stored, afn_variable_retains_grad (variable)))
        return save (w, stored);
      save_bool (w, afn_variable_retains_grad (variable));
      return TRUE;
    case HF_VKEY_IS_LEAF:
      if (same_flag (stored, afn_variable_peek_is_leaf (variable)))
        return save (w, stored);
      save_bool (w, afn_variable_peek_is_leaf (variable));
      return TRUE;
    case HF_VKEY_GRAD:
      if (same_grads (stored, variable))
        return save (w, stored);
      return save_grads (w, variable);
    case HF_VKEY_OUTPUT_NR:
      if (stored != NULL && afn_value_kind (stored) == AFN_VALUE_INT &&
          afn_value_get_int (stored) == afn_variable_peek_output_nr (variable))
        return save (w, stored);
      save_int (w, afn_variable_peek_output_nr (variable));
      return TRUE;
    case HF_VKEY_GRAD_FN:
      {
        AfnNode *fn = afn_variable_peek_grad_fn (variable);
        if (stored != NULL && ((fn == NULL && afn_value_kind (stored) == AFN_VALUE_NONE) ||
                               (afn_value_kind (stored) == AFN_VALUE_OBJECT && afn_value_get_object (stored) == (gpointer) fn)))
          return save (w, stored);
        if (fn == NULL)
          {
            put1 (w, 'N');
            return TRUE;
          }
        return save_object (w, G_OBJECT (fn));
      }
    case HF_VKEY_OTHER:
    default:
      return save (w, stored);
    }
}

/* Attribute names repeat in every object's __dict__ at the same position:
 * their memo index is remembered by position, with no hashing. */
static gboolean
save_key (Writer *w, guint position, AfnValue *key)
{
  if (position < HF_KEY_CACHE_SIZE && w->key_ptr[position] == key)
    {
      put_memo_index (w, 'h', 'j', w->key_index[position]);
      return TRUE;
    }
  if (!save_str (w, key))
    return FALSE;
  if (position < HF_KEY_CACHE_SIZE && memo_lookup (w, key, &w->key_index[position]))
    w->key_ptr[position] = key;
  return TRUE;
}

static gboolean
save_var_state (Writer *w, AfnVariable *variable)
{
  AfnValue *state = afn_variable_get_py_state (variable);
  guint n = state != NULL ? afn_value_n_items (state) : HF_N_VKEYS;

  put1 (w, '}');
  memo_put (w, NULL);
  if (n == 0)
    return TRUE;
  /* A __dict__ never has 1000 attributes; one batch is what CPython writes. */
  if (n > 1)
    put1 (w, '(');
  for (guint i = 0; i < n; i++)
    {
      AfnValue *key = state != NULL ? afn_value_get_key (state, i) : hf_var_key_value (i);
      AfnValue *stored = state != NULL ? afn_value_get_item (state, i) : NULL;
      HfVarKey k = state == NULL ? (HfVarKey) i
                   : i < HF_KEY_CACHE_SIZE && w->keys.key[i] == key ? (HfVarKey) w->keys.kind[i]
                   : hf_key_cache_var_key (&w->keys, i, key);
      if (!save_key (w, i, key) || !save_var_value (w, variable, k, stored))
        return FALSE;
    }
  put1 (w, n == 1 ? 's' : 'u');
  return TRUE;
}

static gboolean
same_edges (AfnValue *stored, AfnNode *node)
{
  guint n = afn_node_get_n_next_functions (node);

  if (stored == NULL || afn_value_kind (stored) != AFN_VALUE_TUPLE || afn_value_n_items (stored) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      AfnValue *e = afn_value_get_item (stored, i);
      guint nr;
      AfnNode *next = afn_node_get_next_function (node, i, &nr);
      if (afn_value_kind (e) != AFN_VALUE_GRADIENT_EDGE || afn_value_get_edge_node (e) != next ||
          afn_value_get_edge_output_nr (e) != nr)
        return FALSE;
    }
  return TRUE;
}

static gboolean
save_edge (Writer *w, AfnNode *node, gint64 output_nr)
{
  save_global (w, "afnio.autodiff.graph", "GradientEdge");
  if (node == NULL)
    put1 (w, 'N');
  else if (!save_object (w, G_OBJECT (node)))
    return FALSE;
  save_int (w, output_nr);
  put1 (w, 0x86);
  memo_put (w, NULL);
  put1 (w, 0x81);
  memo_put (w, NULL);
  return TRUE;
}

static gboolean
save_next_functions (Writer *w, AfnNode *node, AfnValue *stored)
{
  guint n = afn_node_get_n_next_functions (node);

  if (same_edges (stored, node))
    return save (w, stored);
  if (n == 0)
    {
      put1 (w, ')');
      return TRUE;
    }
  if (n > 3)
    put1 (w, '(');
  for (guint i = 0; i < n; i++)
    {
      guint nr;
      AfnNode *next = afn_node_get_next_function (node, i, &nr);
      if (!save_edge (w, next, nr))
        return FALSE;
    }
  put1 (w, n > 3 ? 't' : (guint8) (0x84 + n));
  memo_put (w, NULL);
  return TRUE;
}

static gboolean
save_node_value (Writer *w, AfnNode *node, HfNodeKey key, AfnValue *stored)
{
  switch (key)
    {
    case HF_NKEY_NEXT_FUNCTIONS:
      return save_next_functions (w, node, stored);
    case HF_NKEY_NAME:
      if (same_str (stored, afn_node_get_name (node)))
        return save (w, stored);
      return save_cstr (w, afn_node_get_name (node));
    case HF_NKEY_NODE_ID:
      if (same_str (stored, afn_node_get_node_id (node)))
        return save (w, stored);
      return save_cstr (w, afn_node_get_node_id (node));
    case HF_NKEY_OTHER:
    default:
      return save (w, stored);
    }
}

static gboolean
save_node_state (Writer *w, AfnNode *node)
{
  AfnValue *state = afn_node_get_py_state (node);
  guint n = state != NULL ? afn_value_n_items (state) : HF_N_NKEYS;

  put1 (w, '}');
  memo_put (w, NULL);
  if (n == 0)
    return TRUE;
  if (n > 1)
    put1 (w, '(');
  for (guint i = 0; i < n; i++)
    {
      AfnValue *key = state != NULL ? afn_value_get_key (state, i) : hf_node_key_value (i);
      AfnValue *stored = state != NULL ? afn_value_get_item (state, i) : NULL;
      gsize len;
      const char *k = afn_value_get_str (key, &len);
      if (!save_key (w, i, key) || !save_node_value (w, node, state != NULL ? hf_node_key (k, len) : i, stored))
        return FALSE;
    }
  put1 (w, n == 1 ? 's' : 'u');
  return TRUE;
}

/* The GLOBAL of an object's class, remembered by GType: every Variable in
 * a state dict names the same class. */
static void
save_class (Writer *w, GType type, const char *python_class)
{
  g_autofree char *module = NULL;
  g_autofree char *name = NULL;
  guint slot = 0;

  for (guint i = 0; i < G_N_ELEMENTS (w->class_type); i++)
    {
      if (w->class_type[i] == type)
        {
          put_memo_index (w, 'h', 'j', w->class_index[i]);
          return;
        }
      if (w->class_type[i] == 0)
        {
          slot = i;
          break;
        }
    }
  split_class (python_class, &module, &name);
  save_global (w, module, name);
  if (w->class_type[slot] == 0)
    {
      g_autofree char *key = g_strconcat (hf_module_py2 (module), "\n", name, "\n", NULL);
      w->class_type[slot] = type;
      w->class_index[slot] = GPOINTER_TO_UINT (g_hash_table_lookup (w->globals, key)) - 1;
    }
}

/* copyreg.__reduce_ex__(2): GLOBAL cls, (), NEWOBJ, then __dict__ + BUILD. */
static gboolean
save_object (Writer *w, GObject *object)
{
  gboolean ok;

  if (memo_get (w, object))
    return TRUE;
  if (!enter (w))
    return FALSE;
  if (AFN_IS_VARIABLE (object))
    {
      AfnVariableClass *klass = AFN_VARIABLE_GET_CLASS (object);
      save_class (w, G_OBJECT_TYPE (object), klass->python_class != NULL ? klass->python_class : "afnio._variable.Variable");
      put2 (w, ')', 0x81);
      memo_put (w, object);
      ok = save_var_state (w, AFN_VARIABLE (object));
    }
  else if (AFN_IS_NODE (object))
    {
      save_class (w, AFN_TYPE_NODE, "afnio.autodiff.graph.Node");
      put2 (w, ')', 0x81);
      memo_put (w, object);
      ok = save_node_state (w, AFN_NODE (object));
    }
  else
    ok = (g_set_error (w->error, AFN_HF_ERROR, AFN_HF_ERROR_UNSUPPORTED_VALUE,
                       _("A %s cannot be saved in a .hf file"), G_OBJECT_TYPE_NAME (object)), FALSE);
  if (ok)
    put1 (w, 'b');
  w->depth--;
  return ok;
}

static gboolean
save_container (Writer *w, AfnValue *v)
{
  gboolean ok;

  if (!enter (w))
    return FALSE;
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_LIST:
      ok = save_list (w, v);
      break;
    case AFN_VALUE_TUPLE:
      ok = save_tuple (w, v);
      break;
    case AFN_VALUE_DICT:
      ok = save_dict (w, v);
      break;
    case AFN_VALUE_ORDERED_DICT:
      ok = save_ordered_dict (w, v);
      break;
    case AFN_VALUE_GRADIENT_EDGE:
      ok = save_edge (w, afn_value_get_edge_node (v), afn_value_get_edge_output_nr (v));
      if (ok)   /* the edge object itself is what the memo knows */
        memo_insert (w, v, w->next_index - 1);
      break;
    default:
      g_assert_not_reached ();
    }
  w->depth--;
  return ok;
}

static gboolean
save (Writer *w, AfnValue *v)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_NONE:
      put1 (w, 'N');
      return TRUE;
    case AFN_VALUE_BOOL:
      save_bool (w, afn_value_get_bool (v));
      return TRUE;
    case AFN_VALUE_INT:
      save_int (w, afn_value_get_int (v));
      return TRUE;
    case AFN_VALUE_BIGINT:
      save_bigint (w, afn_value_get_bigint (v));
      return TRUE;
    case AFN_VALUE_FLOAT:
      save_float (w, afn_value_get_float (v));
      return TRUE;
    case AFN_VALUE_STR:
      return save_str (w, v);
    case AFN_VALUE_OBJECT:
      return save_object (w, afn_value_get_object (v));
    case AFN_VALUE_GLOBAL:
      if (memo_get (w, v))
        return TRUE;
      save_global (w, afn_value_get_global_module (v), afn_value_get_global_name (v));
      return TRUE;
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
    case AFN_VALUE_GRADIENT_EDGE:
    default:
      if (memo_get (w, v))
        return TRUE;
      return save_container (w, v);
    }
}

GBytes *
afn_pickle_dumps (AfnValue *value, GError **error)
{
  Writer w = { 0, };
  gboolean ok;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  w.alloc = 4096;
  w.buf = g_malloc (w.alloc);
  w.n_slots = 1024;
  w.memo_keys = g_new0 (gconstpointer, w.n_slots);
  w.memo_indices = g_new (guint, w.n_slots);
  w.globals = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w.error = error;

  put2 (&w, 0x80, 2);
  ok = save (&w, value);
  put1 (&w, '.');
  g_free (w.memo_keys);
  g_free (w.memo_indices);
  g_hash_table_unref (w.globals);
  hf_key_cache_clear (&w.keys);
  if (!ok)
    {
      g_free (w.buf);
      return NULL;
    }
  return g_bytes_new_take (g_realloc (w.buf, w.len), w.len);
}
