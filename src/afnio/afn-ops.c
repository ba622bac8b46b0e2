/* afn-ops.c: add, sum and split, the ops whose backward needs no model.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "afn-ops-private.h"

/* Numbers ---------------------------------------------------------------- */

static gboolean
is_number (const AfnValue *v)
{
  AfnValueKind kind = afn_value_kind (v);
  return kind == AFN_VALUE_BOOL || kind == AFN_VALUE_INT || kind == AFN_VALUE_BIGINT ||
         kind == AFN_VALUE_FLOAT;
}

static gboolean
is_list (const AfnValue *v)
{
  return afn_value_kind (v) == AFN_VALUE_LIST || afn_value_kind (v) == AFN_VALUE_TUPLE;
}

/* Decimal text of an integer value (BOOL, INT or BIGINT). */
static char *
int_text (const AfnValue *v)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_BOOL:
      return g_strdup (afn_value_get_bool (v) ? "1" : "0");
    case AFN_VALUE_INT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, afn_value_get_int (v));
    default:
      return g_strdup (afn_value_get_bigint (v));
    }
}

/* Compares two digit strings without leading zeros. */
static int
compare_magnitude (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  if (la != lb)
    return la < lb ? -1 : 1;
  return strcmp (a, b);
}

/* |a| + |b| or |a| - |b| (with |a| >= |b|) on digit strings. */
static GString *
magnitude_op (const char *a, const char *b, gboolean subtract)
{
  gsize la = strlen (a), lb = strlen (b);
  GString *out = g_string_sized_new (la + 2);
  int carry = 0;

  for (gsize k = 0; k < la; k++)
    {
      int da = a[la - 1 - k] - '0';
      int db = k < lb ? b[lb - 1 - k] - '0' : 0;
      int d = subtract ? da - db - carry : da + db + carry;
      carry = subtract ? d < 0 : d > 9;
      d = subtract ? (d + 10) % 10 : d % 10;
      g_string_append_c (out, '0' + d);
    }
  if (carry && !subtract)
    g_string_append_c (out, '1');
  g_strreverse (out->str);
  return out;
}

/* Exact addition of integers of any size, through their decimal text. */
static AfnValue *
bigint_add (const AfnValue *x, const AfnValue *y)
{
  g_autofree char *a = int_text (x), *b = int_text (y);
  gboolean neg_a = a[0] == '-', neg_b = b[0] == '-', negative;
  const char *ma = a + neg_a, *mb = b + neg_b;
  GString *sum;

  if (neg_a == neg_b)
    {
      sum = magnitude_op (ma, mb, FALSE);
      negative = neg_a;
    }
  else if (compare_magnitude (ma, mb) >= 0)
    {
      sum = magnitude_op (ma, mb, TRUE);
      negative = neg_a;
    }
  else
    {
      sum = magnitude_op (mb, ma, TRUE);
      negative = neg_b;
    }
  if (negative)
    g_string_prepend_c (sum, '-');
  {
    g_autofree char *text = g_string_free (sum, FALSE);
    return afn_value_new_bigint (text);
  }
}

static gboolean
to_double (const AfnValue *v, double *out, GError **error)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_BOOL:
      *out = afn_value_get_bool (v);
      return TRUE;
    case AFN_VALUE_INT:
      *out = (double) afn_value_get_int (v);
      return TRUE;
    case AFN_VALUE_FLOAT:
      *out = afn_value_get_float (v);
      return TRUE;
    default:
      *out = g_ascii_strtod (afn_value_get_bigint (v), NULL);
      if (!isinf (*out))
        return TRUE;
      g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                   _("int too large to convert to float: %s"), afn_value_get_bigint (v));
      return FALSE;
    }
}

static AfnValue *
add_numbers (const AfnValue *x, const AfnValue *y, GError **error)
{
  double a, b;

  if (afn_value_kind (x) != AFN_VALUE_FLOAT && afn_value_kind (y) != AFN_VALUE_FLOAT)
    {
      gint64 sum;
      if (afn_value_kind (x) != AFN_VALUE_BIGINT && afn_value_kind (y) != AFN_VALUE_BIGINT)
        {
          gint64 i = afn_value_kind (x) == AFN_VALUE_BOOL ? afn_value_get_bool (x) : afn_value_get_int (x);
          gint64 j = afn_value_kind (y) == AFN_VALUE_BOOL ? afn_value_get_bool (y) : afn_value_get_int (y);
          if (!__builtin_add_overflow (i, j, &sum))
            return afn_value_new_int (sum);
        }
      return bigint_add (x, y);
    }
  if (!to_double (x, &a, error) || !to_double (y, &b, error))
    return NULL;
  return afn_value_new_float (a + b);
}

/* Scalars and element-wise lists ------------------------------------------ */

static void
set_kind_error (GError **error, const char *op, const AfnValue *x, const AfnValue *y)
{
  g_set_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH,
               _("%s() cannot combine %s and %s data: it combines strings with strings, numbers "
                 "with numbers and lists with lists of the same length."),
               op, afn_value_kind_name (afn_value_kind (x)), afn_value_kind_name (afn_value_kind (y)));
}

static AfnValue *
add_scalars (const AfnValue *x, const AfnValue *y, GError **error)
{
  if (afn_value_kind (x) == AFN_VALUE_STR && afn_value_kind (y) == AFN_VALUE_STR)
    {
      gsize lx, ly;
      const char *sx = afn_value_get_str (x, &lx), *sy = afn_value_get_str (y, &ly);
      char *text;
      AfnValue *sum = afn_value_new_str_sized (lx + ly, &text);
      memcpy (text, sx, lx);
      memcpy (text + lx, sy, ly);
      return sum;
    }
  if (is_number (x) && is_number (y))
    return add_numbers (x, y, error);
  set_kind_error (error, "add", x, y);
  return NULL;
}

static AfnValue *
add_values (const AfnValue *x, const AfnValue *y, GError **error)
{
  g_autoptr(AfnValue) out = NULL;
  guint n;

  if (!is_list (x) && !is_list (y))
    return add_scalars (x, y, error);
  if (!is_list (x) || !is_list (y))
    {
      set_kind_error (error, "add", x, y);
      return NULL;
    }
  n = afn_value_n_items (x);
  if (n != afn_value_n_items (y))
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH,
                   _("add() needs lists of the same length, got %u and %u items."),
                   n, afn_value_n_items (y));
      return NULL;
    }
  out = afn_value_new_list ();
  for (guint i = 0; i < n; i++)
    {
      AfnValue *item = add_scalars (afn_value_get_item (x, i), afn_value_get_item (y, i), error);
      if (item == NULL)
        return NULL;
      afn_value_append_take (out, item);
    }
  return g_steal_pointer (&out);
}

/* What add and sum read from each input, gathered in one pass: in a sum
 * over 100,000 leaves every visit to a leaf is a cache miss, so each is
 * visited once here and the rest works on these arrays. */
typedef struct {
  AfnVariable **inputs;
  guint         n;
  AfnValue    **values;
  GString      *role;    /* the result's role, joined in the same pass */
  gboolean      all_str; /* every input holds a string */
  GString      *items;   /* sum's "<ITEM>x1</ITEM>..." while all_str; nullable */
  gboolean      record;
  GArray       *edges;   /* made in the same pass when grad mode is on */
} Gathered;

static void
gathered_clear (Gathered *g)
{
  g_free (g->values);
  if (g->role != NULL)
    g_string_free (g->role, TRUE);
  if (g->items != NULL)
    g_string_free (g->items, TRUE);
  g_clear_pointer (&g->edges, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Gathered, gathered_clear)

/* How many Variables ahead a loop asks for memory. */
#define PREFETCH_AHEAD 16

/* Appends "<ITEM>@s</ITEM>" with one call into GLib, not three. */
static void
append_item (GString *out, const char *s, gsize len)
{
  gsize at = out->len;

  g_string_set_size (out, at + len + 13);
  memcpy (out->str + at, "<ITEM>", 6);
  memcpy (out->str + at + 6, s, len);
  memcpy (out->str + at + 6 + len, "</ITEM>", 7);
}

/* Appends " and @role" (without " and " for the first), again with one
 * call into GLib: g_string_append() is not inlined in GLib 2.74. */
static void
append_role (GString *out, const char *role, gboolean and)
{
  gsize len = strlen (role), at = out->len, sep = and ? 5 : 0;

  g_string_set_size (out, at + sep + len);
  memcpy (out->str + at, " and ", sep);
  memcpy (out->str + at + sep, role, len);
}

/* A string value that takes over @s's buffer (and @s), shrunk to fit:
 * shrinking in place gives back what a guess of its size left over. */
static AfnValue *
value_take_gstring (GString *s)
{
  gsize len = s->len;
  char *text = g_realloc (g_string_free (s, FALSE), len + 1);

  return afn_value_new_str_take (text, len);
}

/* Reads what add and sum need from @inputs; with @join_items, also sum's
 * text of strings, so that a sum over strings visits each input once. */
static void
gather (Gathered *g, AfnVariable **inputs, guint n, gboolean join_items)
{
  gboolean any_requires_grad = FALSE;
  gboolean grad_enabled = afn_is_grad_enabled ();

  g->inputs = inputs;
  g->n = n;
  g->values = g_new (AfnValue *, n);
  g->role = g_string_sized_new (n * 16);
  g->all_str = TRUE;
  if (join_items)
    g->items = g_string_sized_new (n * 24);
  if (grad_enabled)
    {
      g->edges = afn_edges_new (n);
      g_array_set_size (g->edges, n);
    }
  for (guint i = 0; i < n; i++)
    {
      if (i + PREFETCH_AHEAD < n)
        afn_variable_prefetch (inputs[i + PREFETCH_AHEAD]);
      if (i + PREFETCH_AHEAD / 2 < n)
        afn_variable_prefetch_data (inputs[i + PREFETCH_AHEAD / 2]);
      g->values[i] = afn_variable_peek_data (inputs[i]);
      if (g->all_str && afn_value_kind (g->values[i]) == AFN_VALUE_STR)
        {
          gsize len;
          const char *s = afn_value_get_str (g->values[i], &len);
          if (g->items != NULL)
            append_item (g->items, s, len);
        }
      else
        g->all_str = FALSE;
      append_role (g->role, afn_variable_role_text (inputs[i]), i > 0);
      any_requires_grad |= afn_variable_peek_requires_grad (inputs[i]);
      if (grad_enabled)
        afn_edge_fill (&g_array_index (g->edges, AfnEdge, i), inputs[i]);
    }
  g->record = any_requires_grad && grad_enabled;
}

/* The result's role, "{x1.role} and {x2.role} and ...", gathered before. */
static char *
joined_roles (Gathered *g)
{
  char *role = g_string_free (g_steal_pointer (&g->role), FALSE);
  return role;
}

/* Wraps computed data in a Variable and, when grad mode says so, records
 * @name's node. Lists that came out mixing ints and floats become floats. */
static AfnVariable *
combine_result (const char *name, AfnValue *data_take, Gathered *g, GError **error)
{
  g_autoptr(AfnValue) data = data_take;
  AfnValue *normalized = afn_variable_normalize_data (data, error);
  AfnVariable *result;

  if (normalized == NULL)
    return NULL;
  result = afn_variable_new_take (AFN_TYPE_VARIABLE, normalized, joined_roles (g), FALSE);
  if (g->record)
    {
      g_autoptr(AfnNode) node = afn_combine_backward_new (name);
      afn_node_record_edges (node, g_steal_pointer (&g->edges), &result, 1);
      afn_combine_backward_save_inputs (node, g->inputs, g->n);
    }
  return result;
}

/* add(x, y): strings concatenate, numbers add, equal-length lists add
 * element by element. Role "{x.role} and {y.role}". Transfer full; NULL with
 * AFN_ERROR_TYPE_MISMATCH, AFN_ERROR_SHAPE_MISMATCH or AFN_ERROR_INVALID_DATA. */
AfnVariable *
afn_add (AfnVariable *x, AfnVariable *y, GError **error)
{
  AfnVariable *inputs[2] = { x, y };
  g_auto(Gathered) g = { 0, };
  AfnValue *data;

  g_return_val_if_fail (AFN_IS_VARIABLE (x), NULL);
  g_return_val_if_fail (AFN_IS_VARIABLE (y), NULL);

  gather (&g, inputs, 2, FALSE);
  data = add_values (g.values[0], g.values[1], error);
  if (data == NULL)
    return NULL;
  return combine_result ("AddBackward0", data, &g, error);
}

/* Sum ---------------------------------------------------------------------- */

static gboolean
all_strings (AfnValue **values, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i + PREFETCH_AHEAD < n)
        __builtin_prefetch (values[i + PREFETCH_AHEAD]);
      if (afn_value_kind (values[i]) != AFN_VALUE_STR)
        return FALSE;
    }
  return TRUE;
}

static gsize
total_str_len (AfnValue **values, guint n)
{
  gsize total = 0;

  for (guint i = 0; i < n; i++)
    {
      gsize len;
      if (i + PREFETCH_AHEAD < n)
        __builtin_prefetch (values[i + PREFETCH_AHEAD]);
      afn_value_get_str (values[i], &len);
      total += len;
    }
  return total;
}

/* "<ITEM>x1</ITEM><ITEM>x2</ITEM>...", in a buffer sized once for all the
 * items (a column of sum_lists(); a plain sum joins them in gather()). */
static AfnValue *
sum_strings (AfnValue **values, guint n)
{
  GString *out = g_string_sized_new (total_str_len (values, n) + (gsize) n * 13);

  for (guint i = 0; i < n; i++)
    {
      const char *s;
      gsize len;

      if (i + PREFETCH_AHEAD < n)
        __builtin_prefetch (values[i + PREFETCH_AHEAD]);
      s = afn_value_get_str (values[i], &len);
      append_item (out, s, len);
    }
  return value_take_gstring (out);
}

/* Python's sum(): starts from int 0. */
static AfnValue *
sum_numbers (AfnValue **values, guint n, GError **error)
{
  g_autoptr(AfnValue) total = afn_value_new_int (0);

  for (guint i = 0; i < n; i++)
    {
      AfnValue *next;
      if (!is_number (values[i]))
        {
          set_kind_error (error, "sum", values[0], values[i]);
          return NULL;
        }
      next = add_numbers (total, values[i], error);
      if (next == NULL)
        return NULL;
      afn_value_unref (total);
      total = next;
    }
  return g_steal_pointer (&total);
}

static AfnValue *
sum_scalars (AfnValue **values, guint n, GError **error)
{
  if (all_strings (values, n))
    return sum_strings (values, n);
  if (afn_value_kind (values[0]) == AFN_VALUE_STR)
    {
      for (guint i = 1; i < n; i++)
        if (afn_value_kind (values[i]) != AFN_VALUE_STR)
          {
            set_kind_error (error, "sum", values[0], values[i]);
            return NULL;
          }
    }
  return sum_numbers (values, n, error);
}

static AfnValue *
sum_lists (AfnValue **values, guint n, GError **error)
{
  guint len = afn_value_n_items (values[0]);
  g_autoptr(AfnValue) out = afn_value_new_list ();
  g_autofree AfnValue **column = g_new (AfnValue *, n);

  for (guint i = 0; i < n; i++)
    {
      if (!is_list (values[i]))
        {
          set_kind_error (error, "sum", values[0], values[i]);
          return NULL;
        }
      if (afn_value_n_items (values[i]) != len)
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH,
                       _("sum() needs lists of the same length, got %u items in the first and "
                         "%u in item %u."), len, afn_value_n_items (values[i]), i);
          return NULL;
        }
    }
  for (guint k = 0; k < len; k++)
    {
      AfnValue *item;
      for (guint i = 0; i < n; i++)
        column[i] = afn_value_get_item (values[i], k);
      item = sum_scalars (column, n, error);
      if (item == NULL)
        return NULL;
      afn_value_append_take (out, item);
    }
  return g_steal_pointer (&out);
}

/* The type check reads every input, each a cache miss: ask ahead. */
static gboolean
all_variables (GPtrArray *xs)
{
  for (guint i = 0; i < xs->len; i++)
    {
      if (i + PREFETCH_AHEAD < xs->len)
        __builtin_prefetch (g_ptr_array_index (xs, i + PREFETCH_AHEAD));
      if (!AFN_IS_VARIABLE (g_ptr_array_index (xs, i)))
        return FALSE;
    }
  return TRUE;
}

/* sum([x1..xn]): numbers add, strings become "<ITEM>x1</ITEM>...", lists
 * combine element by element. Role and backward as for add. Transfer full;
 * NULL with an AfnError on bad input or an empty @xs. */
AfnVariable *
afn_sum (GPtrArray *xs, GError **error)
{
  g_auto(Gathered) g = { 0, };
  AfnValue *data;

  g_return_val_if_fail (xs != NULL, NULL);
  g_return_val_if_fail (all_variables (xs), NULL);

  if (xs->len == 0)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                           _("sum() needs at least one Variable."));
      return NULL;
    }
  gather (&g, (AfnVariable **) xs->pdata, xs->len, TRUE);
  /* Strings, the common case, were joined while gathered. */
  if (g.all_str)
    data = value_take_gstring (g_steal_pointer (&g.items));
  else if (is_list (g.values[0]))
    data = sum_lists (g.values, g.n, error);
  else
    data = sum_scalars (g.values, g.n, error);
  if (data == NULL)
    return NULL;
  return combine_result ("SumBackward0", data, &g, error);
}

/* Split -------------------------------------------------------------------- */

/* Reads the code point at @s (surrogatepass UTF-8, not validated). */
static gunichar
peek_char (const char *s, gsize len, gsize *width)
{
  guchar c = s[0];
  gsize n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  gunichar cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;

  n = MIN (n, len);
  for (gsize i = 1; i < n; i++)
    cp = (cp << 6) | ((guchar) s[i] & 0x3F);
  *width = n;
  return cp;
}

/* Python's str.isspace(). */
static gboolean
is_py_space (gunichar c)
{
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

static gsize
skip_space (const char *s, gsize len, gsize i, gboolean space)
{
  while (i < len)
    {
      gsize width;
      if (is_py_space (peek_char (s + i, len - i, &width)) != space)
        break;
      i += width;
    }
  return i;
}

static void
add_part (GPtrArray *parts, const char *s, gsize len)
{
  g_ptr_array_add (parts, afn_value_new_str (s, len));
}

/* str.split() without a separator: runs of white space. */
static void
split_whitespace (GPtrArray *parts, const char *s, gsize len, gint maxsplit)
{
  gsize i = 0;

  for (gint count = 0; maxsplit < 0 || count < maxsplit; count++)
    {
      gsize j;
      i = skip_space (s, len, i, TRUE);
      if (i == len)
        return;
      j = skip_space (s, len, i, FALSE);
      add_part (parts, s + i, j - i);
      i = j;
    }
  i = skip_space (s, len, i, TRUE);
  if (i < len)
    add_part (parts, s + i, len - i);
}

static const char *
find_sep (const char *s, gsize len, const char *sep, gsize sep_len)
{
  for (gsize i = 0; i + sep_len <= len; i++)
    if (s[i] == sep[0] && memcmp (s + i, sep, sep_len) == 0)
      return s + i;
  return NULL;
}

static void
split_sep (GPtrArray *parts, const char *s, gsize len, const char *sep, gint maxsplit)
{
  gsize sep_len = strlen (sep), i = 0;

  for (gint count = 0; maxsplit < 0 || count < maxsplit; count++)
    {
      const char *hit = find_sep (s + i, len - i, sep, sep_len);
      if (hit == NULL)
        break;
      add_part (parts, s + i, hit - (s + i));
      i = hit - s + sep_len;
    }
  add_part (parts, s + i, len - i);
}

static GPtrArray *
split_value (const AfnValue *v, const char *sep, gint maxsplit)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) afn_value_unref);
  gsize len;
  const char *s = afn_value_get_str (v, &len);

  if (sep == NULL)
    split_whitespace (parts, s, len, maxsplit);
  else
    split_sep (parts, s, len, sep, maxsplit);
  return parts;
}

/* Output i of a list split: part i of every element, "" when it has none. */
static GPtrArray *
split_list (const AfnValue *data, const char *sep, gint maxsplit)
{
  guint n_items = afn_value_n_items (data), n_out = 0;
  g_autoptr(GPtrArray) split = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) afn_value_unref);

  for (guint k = 0; k < n_items; k++)
    {
      GPtrArray *parts = split_value (afn_value_get_item (data, k), sep, maxsplit);
      n_out = MAX (n_out, parts->len);
      g_ptr_array_add (split, parts);
    }
  for (guint i = 0; i < n_out; i++)
    {
      AfnValue *column = afn_value_new_list ();
      for (guint k = 0; k < n_items; k++)
        {
          GPtrArray *parts = g_ptr_array_index (split, k);
          afn_value_append_take (column, i < parts->len ? afn_value_ref (g_ptr_array_index (parts, i))
                                                        : afn_value_new_str ("", 0));
        }
      g_ptr_array_add (outputs, column);
    }
  return outputs;
}

static gboolean
check_split_input (AfnValue *data, const char *sep, GError **error)
{
  gboolean ok = afn_value_kind (data) == AFN_VALUE_STR;

  if (is_list (data))
    {
      ok = TRUE;
      for (guint k = 0; k < afn_value_n_items (data); k++)
        ok &= afn_value_kind (afn_value_get_item (data, k)) == AFN_VALUE_STR;
    }
  if (!ok)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH,
                   _("split() needs a string or a list of strings, not %s data."),
                   afn_value_kind_name (afn_value_kind (data)));
      return FALSE;
    }
  if (sep != NULL && *sep == '\0')
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA, _("split(): empty separator"));
      return FALSE;
    }
  return TRUE;
}

/* split(x, sep=None, maxsplit=-1): Python's str.split on a string, or on
 * every element of a list (output i then holds part i of each element,
 * padded with ""). Output i has role "split part {i} of {role}". Returns a
 * GPtrArray of new Variables (free function set), or NULL with
 * AFN_ERROR_TYPE_MISMATCH / AFN_ERROR_INVALID_DATA. */
GPtrArray *
afn_split (AfnVariable *x, const char *sep, gint maxsplit, GError **error)
{
  AfnValue *data;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) outputs = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (AFN_IS_VARIABLE (x), NULL);
  data = afn_variable_get_data (x);
  if (!check_split_input (data, sep, error))
    return NULL;

  parts = is_list (data) ? split_list (data, sep, maxsplit) : split_value (data, sep, maxsplit);
  for (guint i = 0; i < parts->len; i++)
    g_ptr_array_add (outputs,
      afn_variable_new_take (AFN_TYPE_VARIABLE, afn_value_ref (g_ptr_array_index (parts, i)),
                             g_strdup_printf ("split part %u of %s", i, afn_variable_role_text (x)),
                             FALSE));
  if (outputs->len > 0 && afn_node_should_record (&x, 1))
    {
      g_autoptr(AfnNode) node = afn_split_backward_new (x);
      afn_node_record (node, &x, 1, (AfnVariable **) outputs->pdata, outputs->len);
    }
  return g_steal_pointer (&outputs);
}
