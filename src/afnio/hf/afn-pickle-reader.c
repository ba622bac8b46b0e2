/* afn-pickle-reader.c: an iterative pickle decoder that calls nothing.
 *
 * The reader is a loop over opcodes with an explicit stack, so nesting costs
 * heap, not C stack, and both are bounded. Globals are checked against the
 * allow-list when they are named; calls (REDUCE, NEWOBJ, INST, OBJ) are
 * interpreted only for the allow-listed classes, and build engine objects.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afn-hf-private.h"
#include "afn-variable-private.h"
#include "afn-engine-private.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An object made by NEWOBJ whose state has not arrived yet: the stack holds
 * a private placeholder until BUILD turns it into the engine object. */
typedef struct {
  AfnValue *placeholder;
  HfGlobal  cls;
  gint64    memo_index;   /* -1 until memoized */
} Pending;

typedef struct {
  const guint8 *data;
  gsize         len;
  gsize         pos;
  gsize         op_pos;     /* offset of the opcode being run, for errors */
  gboolean      release;    /* data is a private mapping: give read pages back */
  gsize         released;   /* bytes before this are given back (page-aligned) */
  AfnHfLimits   limits;
  int           protocol;

  AfnValue    **stack;
  guint         sp;
  guint         stack_alloc;
  guint        *marks;
  guint         n_marks;
  guint         marks_alloc;

  AfnValue    **memo;
  guint         memo_alloc;
  guint         memo_count;

  GArray       *pending;    /* Pending */
  GPtrArray    *shared;     /* containers handed out twice (GET, DUP) */

  AfnValue     *none;
  AfnValue     *true_;
  AfnValue     *false_;
  AfnValue     *empty_tuple;   /* () is one object, as in CPython */
  AfnValue     *small_ints[256];
  AfnValue     *classes[HF_N_GLOBALS];
  GHashTable   *dict_index; /* dict -> GHashTable of its keys, for big dicts */
  AfnValue     *known_keys[HF_KEY_CACHE_SIZE]; /* a key sequence known to be distinct */
  guint         n_known_keys;
  HfKeyCache    key_cache;
  /* From the prescan: which memo indices are ever fetched, one bit each;
   * NULL keeps everything (and every py_state). */
  guint8       *fetched;
  gsize         fetched_len;
  AfnValue     *canon_keys[HF_N_VKEYS];
  GError      **error;
} Reader;

static const char *opcode_names[256] = {
  ['('] = "MARK", ['.'] = "STOP", ['0'] = "POP", ['1'] = "POP_MARK", ['2'] = "DUP",
  ['F'] = "FLOAT", ['I'] = "INT", ['J'] = "BININT", ['K'] = "BININT1", ['L'] = "LONG",
  ['M'] = "BININT2", ['N'] = "NONE", ['P'] = "PERSID", ['Q'] = "BINPERSID", ['R'] = "REDUCE",
  ['S'] = "STRING", ['T'] = "BINSTRING", ['U'] = "SHORT_BINSTRING", ['V'] = "UNICODE",
  ['X'] = "BINUNICODE", ['a'] = "APPEND", ['b'] = "BUILD", ['c'] = "GLOBAL", ['d'] = "DICT",
  ['}'] = "EMPTY_DICT", ['e'] = "APPENDS", ['g'] = "GET", ['h'] = "BINGET", ['i'] = "INST",
  ['j'] = "LONG_BINGET", ['l'] = "LIST", [']'] = "EMPTY_LIST", ['o'] = "OBJ", ['p'] = "PUT",
  ['q'] = "BINPUT", ['r'] = "LONG_BINPUT", ['s'] = "SETITEM", ['t'] = "TUPLE",
  [')'] = "EMPTY_TUPLE", ['u'] = "SETITEMS", ['G'] = "BINFLOAT",
  [0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1", [0x83] = "EXT2", [0x84] = "EXT4",
  [0x85] = "TUPLE1", [0x86] = "TUPLE2", [0x87] = "TUPLE3", [0x88] = "NEWTRUE",
  [0x89] = "NEWFALSE", [0x8a] = "LONG1", [0x8b] = "LONG4", ['B'] = "BINBYTES",
  ['C'] = "SHORT_BINBYTES", [0x8c] = "SHORT_BINUNICODE", [0x8d] = "BINUNICODE8",
  [0x8e] = "BINBYTES8", [0x8f] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET",
  [0x92] = "NEWOBJ_EX", [0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE", [0x95] = "FRAME",
  [0x96] = "BYTEARRAY8", [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER",
};

#define FAIL(r, code, ...) \
  (g_set_error ((r)->error, AFN_HF_ERROR, (code), __VA_ARGS__), FALSE)

static const char *
op_name (guint8 op)
{
  return opcode_names[op] != NULL ? opcode_names[op] : "?";
}

static gboolean
corrupt (Reader *r, const char *why)
{
  guint8 op = r->data[r->op_pos];
  return FAIL (r, AFN_HF_ERROR_CORRUPT, _("Malformed pickle at byte %" G_GSIZE_FORMAT " (%s): %s"),
               r->op_pos, op_name (op), why);
}

static gboolean
truncated (Reader *r)
{
  guint8 op = r->data[r->op_pos];
  return FAIL (r, AFN_HF_ERROR_TRUNCATED,
               _("The pickle ends early: byte %" G_GSIZE_FORMAT " (%s) needs more data than the %" G_GSIZE_FORMAT " bytes there are"),
               r->op_pos, op_name (op), r->len);
}

/* --- Input --------------------------------------------------------------- */

#define RELEASE_BATCH (256 * 1024)

/* Hands the pages behind the opcode about to run back to the kernel: every
 * value made from them is a copy, and errors quote only the current opcode.
 * A released page of the private mapping would read back as zeros. */
static void
release_consumed (Reader *r)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  gsize end = r->pos / page * page;

  if (end <= r->released)
    return;
  madvise ((void *) (r->data + r->released), end - r->released, MADV_DONTNEED);
  r->released = end;
}

static gboolean
take (Reader *r, gsize n, const guint8 **out)
{
  *out = r->data + r->pos;
  if (r->len - r->pos < n)
    return truncated (r);
  *out = r->data + r->pos;
  r->pos += n;
  return TRUE;
}

/* A protocol 0 text argument: the bytes up to the next newline. */
static gboolean
take_line (Reader *r, const guint8 **out, gsize *len)
{
  const guint8 *nl = memchr (r->data + r->pos, '\n', r->len - r->pos);
  *out = r->data + r->pos;
  *len = 0;
  if (nl == NULL)
    return truncated (r);
  *out = r->data + r->pos;
  *len = (gsize) (nl - *out);
  r->pos += *len + 1;
  return TRUE;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static guint64
le64 (const guint8 *p)
{
  return (guint64) le32 (p) | (guint64) le32 (p + 4) << 32;
}

/* --- Stack and memo ------------------------------------------------------ */

static gboolean
check_depth (Reader *r, guint extra)
{
  if ((guint64) r->sp + r->n_marks + extra > r->limits.max_depth)
    return FAIL (r, AFN_HF_ERROR_TOO_DEEP,
                 _("The pickle nests deeper than %u levels (byte %" G_GSIZE_FORMAT ")"),
                 r->limits.max_depth, r->op_pos);
  return TRUE;
}

/* Takes ownership of @v. */
static gboolean
push (Reader *r, AfnValue *v)
{
  if (G_UNLIKELY (!check_depth (r, 1)))
    {
      afn_value_unref (v);
      return FALSE;
    }
  if (G_UNLIKELY (r->sp == r->stack_alloc))
    {
      r->stack_alloc = MAX (64, r->stack_alloc * 2);
      r->stack = g_renew (AfnValue *, r->stack, r->stack_alloc);
    }
  r->stack[r->sp++] = v;
  return TRUE;
}

static guint
stack_floor (Reader *r)
{
  return r->n_marks > 0 ? r->marks[r->n_marks - 1] : 0;
}

/* Transfers ownership of the top value to the caller. */
static gboolean
pop (Reader *r, AfnValue **out)
{
  if (r->sp <= stack_floor (r))
    return corrupt (r, _("the stack is empty"));
  *out = r->stack[--r->sp];
  return TRUE;
}

static gboolean
peek (Reader *r, AfnValue **out)
{
  if (r->sp <= stack_floor (r))
    return corrupt (r, _("the stack is empty"));
  *out = r->stack[r->sp - 1];
  return TRUE;
}

/* Pops to the last MARK; the items stay in r->stack[*start .. r->sp) and
 * the caller releases them (release_items). */
static gboolean
pop_mark (Reader *r, guint *start)
{
  *start = r->sp;
  if (r->n_marks == 0)
    return corrupt (r, _("no MARK before this opcode"));
  *start = r->marks[--r->n_marks];
  return TRUE;
}

static void
release_items (Reader *r, guint start)
{
  while (r->sp > start)
    afn_value_unref (r->stack[--r->sp]);
}

static gboolean
is_placeholder (Reader *r, AfnValue *v)
{
  return afn_value_kind (v) == AFN_VALUE_NONE && v != r->none;
}

static gboolean
memo_put (Reader *r, guint64 index)
{
  AfnValue *top;

  if (!peek (r, &top))
    return FALSE;
  if (index >= r->limits.max_memo)
    return FAIL (r, AFN_HF_ERROR_TOO_LARGE,
                 _("Memo index %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT " is above the limit of %u"),
                 index, r->op_pos, r->limits.max_memo);
  if (index >= r->memo_alloc)
    {
      guint n = MAX ((guint) index + 1, MIN (r->memo_alloc * 2, r->limits.max_memo));
      r->memo = g_renew (AfnValue *, r->memo, n);
      memset (r->memo + r->memo_alloc, 0, (n - r->memo_alloc) * sizeof (AfnValue *));
      r->memo_alloc = n;
    }
  /* What is never fetched again needs no reference: then a count of one
   * proves a value is held by its container alone. */
  if (r->fetched != NULL && (index >= r->fetched_len * 8 || !(r->fetched[index / 8] & (1u << (index % 8)))) &&
      !is_placeholder (r, top))
    return TRUE;
  if (r->memo[index] != NULL)
    afn_value_unref (r->memo[index]);
  else
    r->memo_count++;
  r->memo[index] = afn_value_ref (top);
  if (G_UNLIKELY (is_placeholder (r, top)))
    for (guint i = 0; i < r->pending->len; i++)
      {
        Pending *p = &g_array_index (r->pending, Pending, i);
        if (p->placeholder == top)
          {
            if (p->memo_index >= 0)
              return corrupt (r, _("an object is memoized twice"));
            p->memo_index = (gint64) index;
          }
      }
  return TRUE;
}

static gboolean
memo_get (Reader *r, guint64 index)
{
  AfnValue *v;

  if (index >= r->memo_alloc || r->memo[index] == NULL)
    return FAIL (r, AFN_HF_ERROR_CORRUPT,
                 _("Memo index %" G_GUINT64_FORMAT " at byte %" G_GSIZE_FORMAT " (%s) was never stored"),
                 index, r->op_pos, op_name (r->data[r->op_pos]));
  v = r->memo[index];
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_NONE:
      if (is_placeholder (r, v))
        return corrupt (r, _("an object is used before its state was set"));
      break;
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
    case AFN_VALUE_OBJECT:
      g_ptr_array_add (r->shared, afn_value_ref (v));
      break;
    default:
      break;
    }
  return push (r, afn_value_ref (v));
}

/* --- Values ---------------------------------------------------------------- */

static AfnValue *
new_int (Reader *r, gint64 i)
{
  if (i >= 0 && i < 256)
    {
      if (r->small_ints[i] == NULL)
        r->small_ints[i] = afn_value_new_int (i);
      return afn_value_ref (r->small_ints[i]);
    }
  return afn_value_new_int (i);
}

static gboolean
push_str (Reader *r, const guint8 *s, gsize len)
{
  char *copy;
  AfnValue *v;

  if (!hf_utf8_valid (s, len))
    return corrupt (r, _("a string is not valid UTF-8"));
  /* The bytes in the value's own block: one allocation per string. */
  v = afn_value_new_str_sized (len, &copy);
  memcpy (copy, s, len);
  return push (r, v);
}

static void
append_utf8 (GString *out, gunichar c)
{
  /* Surrogates are written as their three bytes (surrogatepass). */
  if (c >= 0xD800 && c <= 0xDFFF)
    {
      g_string_append_c (out, (char) (0xE0 | (c >> 12)));
      g_string_append_c (out, (char) (0x80 | ((c >> 6) & 0x3F)));
      g_string_append_c (out, (char) (0x80 | (c & 0x3F)));
    }
  else
    g_string_append_unichar (out, c);
}

/* Protocol 0 UNICODE: raw-unicode-escape, so bytes are Latin-1 code points
 * and only \uXXXX / \UXXXXXXXX after an odd run of backslashes are escapes. */
static gboolean
push_raw_unicode (Reader *r, const guint8 *s, gsize len)
{
  g_autoptr(GString) out = g_string_sized_new (len + 8);
  gsize i = 0;

  while (i < len)
    {
      gsize run = 0;
      guint digits;
      gunichar c = 0;

      if (s[i] != '\\')
        {
          append_utf8 (out, s[i++]);
          continue;
        }
      while (i + run < len && s[i + run] == '\\')
        run++;
      if (run % 2 == 0 || i + run >= len || (s[i + run] != 'u' && s[i + run] != 'U'))
        {
          for (gsize k = 0; k < run; k++)
            g_string_append_c (out, '\\');
          i += run;
          continue;
        }
      for (gsize k = 0; k + 1 < run; k++)
        g_string_append_c (out, '\\');
      i += run;
      digits = s[i] == 'u' ? 4 : 8;
      i++;
      if (len - i < digits)
        return corrupt (r, _("a truncated \\u escape in UNICODE"));
      for (guint k = 0; k < digits; k++, i++)
        {
          if (!g_ascii_isxdigit (s[i]))
            return corrupt (r, _("a bad \\u escape in UNICODE"));
          c = c * 16 + (gunichar) g_ascii_xdigit_value (s[i]);
        }
      if (c > 0x10FFFF)
        return corrupt (r, _("a \\U escape beyond U+10FFFF in UNICODE"));
      append_utf8 (out, c);
    }
  {
    gsize n = out->len;
    return push (r, afn_value_new_str_take (g_string_free (g_steal_pointer (&out), FALSE), n));
  }
}

static gboolean
parse_decimal (Reader *r, const guint8 *s, gsize len, gboolean long_suffix)
{
  g_autofree char *text = NULL;
  const char *p;
  AfnValue *v;

  if (long_suffix && len > 0 && s[len - 1] == 'L')
    len--;
  if (len > 10000)
    return FAIL (r, AFN_HF_ERROR_TOO_LARGE, _("An integer at byte %" G_GSIZE_FORMAT " has more than 10,000 digits"), r->op_pos);
  text = g_strndup ((const char *) s, len);
  g_strstrip (text);
  p = text + (text[0] == '-' || text[0] == '+');
  if (*p == '\0')
    return corrupt (r, _("an empty integer"));
  for (; *p; p++)
    if (!g_ascii_isdigit (*p))
      return corrupt (r, _("an integer with a non-digit"));
  v = afn_value_new_bigint (text);
  if (afn_value_kind (v) == AFN_VALUE_INT && afn_value_get_int (v) >= 0 && afn_value_get_int (v) < 256)
    {
      gint64 i = afn_value_get_int (v);
      afn_value_unref (v);
      v = new_int (r, i);
    }
  return push (r, v);
}

/* INT: "I01"/"I00" are True/False in protocols 0 and 1. */
static gboolean
op_int_text (Reader *r)
{
  const guint8 *s;
  gsize len;

  if (!take_line (r, &s, &len))
    return FALSE;
  if (len == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1'))
    return push (r, afn_value_ref (s[1] == '1' ? r->true_ : r->false_));
  return parse_decimal (r, s, len, FALSE);
}

static gboolean
op_float_text (Reader *r)
{
  const guint8 *s;
  gsize len;
  g_autofree char *text = NULL;
  char *end;
  double d;

  if (!take_line (r, &s, &len))
    return FALSE;
  text = g_strndup ((const char *) s, len);
  d = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    return corrupt (r, _("a FLOAT that is not a number"));
  return push (r, afn_value_new_float (d));
}

static gboolean
op_binfloat (Reader *r)
{
  const guint8 *p;
  guint64 bits = 0;
  double d;

  if (!take (r, 8, &p))
    return FALSE;
  for (guint i = 0; i < 8; i++)
    bits = bits << 8 | p[i];
  memcpy (&d, &bits, sizeof d);
  return push (r, afn_value_new_float (d));
}

/* LONG1/LONG4: little-endian two's complement. */
static gboolean
push_long_bytes (Reader *r, const guint8 *p, gsize n)
{
  gboolean negative = n > 0 && (p[n - 1] & 0x80);
  g_autofree guint8 *mag = NULL;
  g_autoptr(GString) digits = NULL;
  gsize len = n;

  if (n == 0)
    return push (r, new_int (r, 0));
  if (n <= 8)
    {
      guint64 u = 0;
      for (gsize i = n; i > 0; i--)
        u = u << 8 | p[i - 1];
      if (negative && n < 8)
        u |= G_MAXUINT64 << (8 * n);
      return push (r, new_int (r, (gint64) u));
    }
  /* Beyond int64: magnitude in base 256, then to decimal by long division. */
  mag = g_memdup2 (p, n);
  if (negative)
    {
      guint carry = 1;
      for (gsize i = 0; i < n; i++)
        {
          guint b = (guint8) ~mag[i] + carry;
          mag[i] = (guint8) b;
          carry = b >> 8;
        }
    }
  digits = g_string_new (NULL);
  while (len > 0 && mag[len - 1] == 0)
    len--;
  while (len > 0)
    {
      guint rem = 0;
      for (gsize i = len; i > 0; i--)
        {
          guint cur = rem << 8 | mag[i - 1];
          mag[i - 1] = (guint8) (cur / 10);
          rem = cur % 10;
        }
      g_string_append_c (digits, (char) ('0' + rem));
      while (len > 0 && mag[len - 1] == 0)
        len--;
    }
  if (digits->len == 0)
    g_string_append_c (digits, '0');
  if (negative)
    g_string_append_c (digits, '-');
  g_strreverse (digits->str);
  return push (r, afn_value_new_bigint (digits->str));
}

/* --- Containers ------------------------------------------------------------ */

static gboolean
simple_key (const AfnValue *k)
{
  AfnValueKind kind = afn_value_kind (k);
  return kind == AFN_VALUE_STR || kind == AFN_VALUE_INT;
}

static gboolean
simple_key_equal (gconstpointer a, gconstpointer b)
{
  AfnValueKind ka = afn_value_kind (a);

  if (a == b)
    return TRUE;
  if (ka != afn_value_kind (b))
    return FALSE;
  if (ka == AFN_VALUE_INT)
    return afn_value_get_int (a) == afn_value_get_int (b);
  {
    gsize la, lb;
    const char *sa = afn_value_get_str (a, &la);
    const char *sb = afn_value_get_str (b, &lb);
    return la == lb && memcmp (sa, sb, la) == 0;
  }
}

static guint
simple_key_hash (gconstpointer k)
{
  guint32 h = 2166136261u;
  gsize len;
  const guint8 *s;

  if (afn_value_kind (k) == AFN_VALUE_INT)
    return (guint) g_int64_hash (&(gint64) { afn_value_get_int (k) });
  s = (const guint8 *) afn_value_get_str (k, &len);
  for (gsize i = 0; i < len; i++)
    h = (h ^ s[i]) * 16777619u;
  return h;
}

/* Python refuses unhashable keys; so do we, which also keeps reference
 * cycles out of keys (see break_cycles). */
static gboolean
hashable (AfnValue *key)
{
  g_autoptr(GPtrArray) todo = g_ptr_array_new ();

  g_ptr_array_add (todo, key);
  while (todo->len > 0)
    {
      AfnValue *v = g_ptr_array_steal_index_fast (todo, todo->len - 1);
      switch (afn_value_kind (v))
        {
        case AFN_VALUE_LIST:
        case AFN_VALUE_DICT:
        case AFN_VALUE_ORDERED_DICT:
          return FALSE;
        case AFN_VALUE_TUPLE:
          for (guint i = 0; i < afn_value_n_items (v); i++)
            g_ptr_array_add (todo, afn_value_get_item (v, i));
          break;
        default:
          break;
        }
    }
  return TRUE;
}

static gint
find_key_linear (AfnValue *dict, AfnValue *key)
{
  for (guint i = 0; i < afn_value_n_items (dict); i++)
    if (simple_key_equal (afn_value_get_key (dict, i), key))
      return (gint) i;
  return -1;
}

/* Sets the pairs stack[start..sp) into @dict, as SETITEM(S) do. Python dict
 * semantics (a repeated key replaces the value) hold, and big dicts (a state
 * dict of 10,000 Variables) get a key index so loading stays linear. */
/* Every Variable's __dict__ is set from the same key objects: when a fresh
 * dict gets exactly the key sequence last checked, no key can repeat. */
static gboolean
same_as_known_keys (Reader *r, guint start)
{
  guint n = (r->sp - start) / 2;

  if (n != r->n_known_keys)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (r->stack[start + 2 * i] != r->known_keys[i])
      return FALSE;
  return TRUE;
}

static void
remember_keys (Reader *r, AfnValue *dict, guint start)
{
  guint n = (r->sp - start) / 2;

  for (guint i = 0; i < r->n_known_keys; i++)
    afn_value_unref (r->known_keys[i]);
  r->n_known_keys = 0;
  if (n > HF_KEY_CACHE_SIZE || afn_value_n_items (dict) != 0)
    return;
  for (guint i = 0; i < n; i++)
    r->known_keys[i] = afn_value_ref (r->stack[start + 2 * i]);
  r->n_known_keys = n;
}

/* The fast path of SETITEMS into a fresh dict: the keys are the sequence
 * last checked, so they are hashable strings or ints and distinct. */
static gboolean
set_known_keys (Reader *r, AfnValue *dict, guint start)
{
  if (r->sp == start || r->n_known_keys == 0 || afn_value_n_items (dict) != 0 ||
      !same_as_known_keys (r, start))
    return FALSE;
  afn_value_extend_take (dict, r->stack + start, (r->sp - start) / 2);
  r->sp = start;
  return TRUE;
}

static void
dict_set_pairs (Reader *r, AfnValue *dict, guint start)
{
  guint n0 = afn_value_n_items (dict);
  GHashTable *index = NULL;
  gboolean simple = TRUE;

  if (r->sp == start)
    return;

  for (guint i = start; i < r->sp && simple; i += 2)
    simple = simple_key (r->stack[i]);
  for (guint i = 0; i < n0 && simple && n0 <= 16; i++)
    simple = simple_key (afn_value_get_key (dict, i));
  if (!simple)
    {
      g_hash_table_remove (r->dict_index, dict);
      for (guint i = start; i < r->sp; i += 2)
        afn_value_dict_set_take (dict, r->stack[i], r->stack[i + 1]);
      r->sp = start;
      return;
    }
  if (n0 + (r->sp - start) / 2 > 16)
    {
      index = g_hash_table_lookup (r->dict_index, dict);
      if (index == NULL && n0 > 16)
        {
          /* Only dicts that were indexed from their 17th key are big and
           * simple; anything else takes the Python-exact slow path. */
          for (guint i = start; i < r->sp; i += 2)
            afn_value_dict_set_take (dict, r->stack[i], r->stack[i + 1]);
          r->sp = start;
          return;
        }
      if (index == NULL)
        {
          index = g_hash_table_new (simple_key_hash, simple_key_equal);
          for (guint i = 0; i < n0; i++)
            g_hash_table_add (index, afn_value_get_key (dict, i));
          g_hash_table_insert (r->dict_index, afn_value_ref (dict), index);
        }
    }
  if (index == NULL && n0 == 0)
    {
      /* A fresh small dict: if its keys are all distinct, they are the
       * sequence to recognise next time. */
      gboolean distinct = TRUE;
      for (guint i = start; i < r->sp && distinct; i += 2)
        for (guint k = start; k < i && distinct; k += 2)
          distinct = !simple_key_equal (r->stack[i], r->stack[k]);
      if (distinct)
        {
          remember_keys (r, dict, start);
          afn_value_extend_take (dict, r->stack + start, (r->sp - start) / 2);
          r->sp = start;
          return;
        }
    }
  for (guint i = start; i < r->sp; i += 2)
    {
      AfnValue *key = r->stack[i];
      gboolean present = index != NULL ? g_hash_table_contains (index, key) : find_key_linear (dict, key) >= 0;
      if (present)
        afn_value_dict_set_take (dict, key, r->stack[i + 1]);
      else
        {
          afn_value_dict_append_take (dict, key, r->stack[i + 1]);
          if (index != NULL)
            g_hash_table_add (index, key);
        }
    }
  r->sp = start;
}

static gboolean
check_keys (Reader *r, guint start)
{
  for (guint i = start; i < r->sp; i += 2)
    if (!simple_key (r->stack[i]) && !hashable (r->stack[i]))
      {
        release_items (r, start);
        return corrupt (r, _("an unhashable dict key"));
      }
  return TRUE;
}

static gboolean
op_setitems (Reader *r, guint start)
{
  AfnValue *dict;

  if ((r->sp - start) % 2 != 0)
    {
      release_items (r, start);
      return corrupt (r, _("an odd number of items for a dict"));
    }
  if (start == 0 || start <= stack_floor (r))
    {
      release_items (r, start);
      return corrupt (r, _("no dict below the items"));
    }
  dict = r->stack[start - 1];
  if (afn_value_kind (dict) != AFN_VALUE_DICT && afn_value_kind (dict) != AFN_VALUE_ORDERED_DICT)
    {
      release_items (r, start);
      return corrupt (r, _("items set on something that is not a dict"));
    }
  if (set_known_keys (r, dict, start))
    return TRUE;
  if (!check_keys (r, start))
    return FALSE;
  dict_set_pairs (r, dict, start);
  return TRUE;
}

static gboolean
op_appends (Reader *r, guint start)
{
  AfnValue *list;

  if (start == 0 || start <= stack_floor (r))
    {
      release_items (r, start);
      return corrupt (r, _("no list below the items"));
    }
  list = r->stack[start - 1];
  if (afn_value_kind (list) != AFN_VALUE_LIST)
    {
      release_items (r, start);
      return corrupt (r, _("items appended to something that is not a list"));
    }
  if (r->sp > start)
    afn_value_extend_take (list, r->stack + start, r->sp - start);
  r->sp = start;
  return TRUE;
}

/* Moves stack[start..sp) into a new container. */
static AfnValue *
collect (Reader *r, guint start, AfnValueKind kind)
{
  AfnValue *v = kind == AFN_VALUE_TUPLE ? afn_value_new_tuple () : afn_value_new_list ();
  if (r->sp > start)
    afn_value_extend_take (v, r->stack + start, r->sp - start);
  r->sp = start;
  return v;
}

static gboolean
op_tuple_n (Reader *r, guint n)
{
  if (r->sp < stack_floor (r) + n)
    return corrupt (r, _("the stack is empty"));
  return push (r, collect (r, r->sp - n, AFN_VALUE_TUPLE));
}

/* --- Globals and objects ----------------------------------------------------- */

static gboolean
push_global (Reader *r, const char *module, gsize module_len, const char *name, gsize name_len)
{
  HfGlobal kind = hf_global_lookup (module, module_len, name, name_len);
  g_autofree char *m = g_strndup (module, module_len);
  g_autofree char *n = g_strndup (name, name_len);

  if (kind == HF_GLOBAL_NONE)
    return FAIL (r, AFN_HF_ERROR_UNSAFE_GLOBAL,
                 _("The file names the global “%s.%s” (byte %" G_GSIZE_FORMAT "), which is not one afnio saves; refusing to load it"),
                 m, n, r->op_pos);
  if (kind == HF_GLOBAL_INERT)
    return push (r, afn_value_new_global (m, n));
  if (r->classes[kind] == NULL)
    r->classes[kind] = afn_value_new_global (m, n);
  return push (r, afn_value_ref (r->classes[kind]));
}

static HfGlobal
class_of (Reader *r, AfnValue *v)
{
  for (guint k = HF_GLOBAL_VARIABLE; k < HF_N_GLOBALS; k++)
    if (r->classes[k] != NULL && r->classes[k] == v)
      return k;
  return HF_GLOBAL_NONE;
}

static gboolean
refuse_call (Reader *r, AfnValue *callable)
{
  if (afn_value_kind (callable) == AFN_VALUE_GLOBAL)
    return FAIL (r, AFN_HF_ERROR_UNSAFE_GLOBAL,
                 _("The file calls “%s.%s” (byte %" G_GSIZE_FORMAT ", %s); only afnio's own classes may be created"),
                 afn_value_get_global_module (callable), afn_value_get_global_name (callable),
                 r->op_pos, op_name (r->data[r->op_pos]));
  return corrupt (r, _("a call of something that is not a class"));
}

static gboolean
push_pending (Reader *r, HfGlobal cls)
{
  Pending p = { afn_value_new_none (), cls, -1 };
  if (r->pending->len >= r->limits.max_depth)
    {
      afn_value_unref (p.placeholder);
      return FAIL (r, AFN_HF_ERROR_TOO_DEEP, _("Too many objects are waiting for their state"));
    }
  g_array_append_val (r->pending, p);
  return push (r, afn_value_ref (p.placeholder));
}

static gboolean
is_edge_args (AfnValue *args)
{
  AfnValue *node, *nr;
  if (afn_value_kind (args) != AFN_VALUE_TUPLE || afn_value_n_items (args) != 2)
    return FALSE;
  node = afn_value_get_item (args, 0);
  nr = afn_value_get_item (args, 1);
  if (afn_value_kind (nr) != AFN_VALUE_INT)
    return FALSE;
  return afn_value_kind (node) == AFN_VALUE_NONE ||
         (afn_value_kind (node) == AFN_VALUE_OBJECT && AFN_IS_NODE (afn_value_get_object (node)));
}

static gboolean
push_edge (Reader *r, AfnValue *args)
{
  AfnValue *node = afn_value_get_item (args, 0);
  return push (r, afn_value_new_gradient_edge (afn_value_kind (node) == AFN_VALUE_OBJECT ? afn_value_get_object (node) : NULL,
                                               afn_value_get_int (afn_value_get_item (args, 1))));
}

static gboolean
is_object_class (HfGlobal cls)
{
  return cls == HF_GLOBAL_VARIABLE || cls == HF_GLOBAL_PARAMETER || cls == HF_GLOBAL_NODE;
}

/* cls.__new__(cls, *args): NEWOBJ, NEWOBJ_EX, and OBJ/INST. */
static gboolean
new_object (Reader *r, AfnValue *cls_value, AfnValue *args)
{
  HfGlobal cls = class_of (r, cls_value);

  if (is_object_class (cls) && afn_value_n_items (args) == 0)
    return push_pending (r, cls);
  if (cls == HF_GLOBAL_GRADIENT_EDGE && is_edge_args (args))
    return push_edge (r, args);
  if (cls == HF_GLOBAL_NONE || cls == HF_GLOBAL_INERT || cls == HF_GLOBAL_RECONSTRUCTOR)
    return refuse_call (r, cls_value);
  return corrupt (r, _("unexpected arguments for an afnio class"));
}

static gboolean
op_newobj (Reader *r, gboolean ex)
{
  g_autoptr(AfnValue) kwargs = NULL;
  g_autoptr(AfnValue) args = NULL;
  g_autoptr(AfnValue) cls = NULL;

  if ((ex && !pop (r, &kwargs)) || !pop (r, &args) || !pop (r, &cls))
    return FALSE;
  if (afn_value_kind (cls) != AFN_VALUE_GLOBAL)
    return corrupt (r, _("NEWOBJ of something that is not a class"));
  if (class_of (r, cls) == HF_GLOBAL_NONE || class_of (r, cls) == HF_GLOBAL_INERT)
    return refuse_call (r, cls);
  if (afn_value_kind (args) != AFN_VALUE_TUPLE ||
      (kwargs != NULL && (afn_value_kind (kwargs) != AFN_VALUE_DICT || afn_value_n_items (kwargs) > 0)))
    return corrupt (r, _("bad arguments for NEWOBJ"));
  return new_object (r, cls, args);
}

/* copy_reg._reconstructor(cls, base, state): protocols 0 and 1. */
static gboolean
reconstruct (Reader *r, AfnValue *args)
{
  HfGlobal cls, base;
  AfnValue *state;

  if (afn_value_kind (args) != AFN_VALUE_TUPLE || afn_value_n_items (args) != 3)
    return corrupt (r, _("bad arguments for copy_reg._reconstructor"));
  cls = class_of (r, afn_value_get_item (args, 0));
  base = class_of (r, afn_value_get_item (args, 1));
  state = afn_value_get_item (args, 2);
  if (is_object_class (cls) && base == HF_GLOBAL_OBJECT && afn_value_kind (state) == AFN_VALUE_NONE)
    return push_pending (r, cls);
  if (cls == HF_GLOBAL_GRADIENT_EDGE && base == HF_GLOBAL_TUPLE && is_edge_args (state))
    return push_edge (r, state);
  if (afn_value_kind (afn_value_get_item (args, 0)) == AFN_VALUE_GLOBAL && !is_object_class (cls) &&
      cls != HF_GLOBAL_GRADIENT_EDGE)
    return refuse_call (r, afn_value_get_item (args, 0));
  return corrupt (r, _("unexpected arguments for copy_reg._reconstructor"));
}

static gboolean
op_reduce (Reader *r)
{
  g_autoptr(AfnValue) args = NULL;
  g_autoptr(AfnValue) callable = NULL;
  HfGlobal kind;

  if (!pop (r, &args) || !pop (r, &callable))
    return FALSE;
  kind = class_of (r, callable);
  if (kind == HF_GLOBAL_ORDERED_DICT && afn_value_kind (args) == AFN_VALUE_TUPLE && afn_value_n_items (args) == 0)
    return push (r, afn_value_new_ordered_dict ());
  if (kind == HF_GLOBAL_RECONSTRUCTOR)
    return reconstruct (r, args);
  if (kind == HF_GLOBAL_ORDERED_DICT)
    return corrupt (r, _("OrderedDict called with arguments"));
  return refuse_call (r, callable);
}

/* INST (protocol 0) and OBJ (protocol 1): a class call with MARKed args. */
static gboolean
op_inst_obj (Reader *r, gboolean inst)
{
  guint start;
  g_autoptr(AfnValue) args = NULL;
  g_autoptr(AfnValue) cls = NULL;

  if (inst)
    {
      const guint8 *m, *n;
      gsize ml, nl;
      if (!take_line (r, &m, &ml) || !take_line (r, &n, &nl) ||
          !push_global (r, (const char *) m, ml, (const char *) n, nl))
        return FALSE;
      cls = r->stack[--r->sp];
      if (!pop_mark (r, &start))
        return FALSE;
    }
  else
    {
      if (!pop_mark (r, &start))
        return FALSE;
      if (r->sp == start)
        return corrupt (r, _("OBJ without a class"));
      cls = r->stack[start];
      memmove (r->stack + start, r->stack + start + 1, (r->sp - start - 1) * sizeof (AfnValue *));
      r->sp--;
    }
  args = collect (r, start, AFN_VALUE_TUPLE);
  if (afn_value_kind (cls) != AFN_VALUE_GLOBAL)
    return corrupt (r, _("OBJ of something that is not a class"));
  return new_object (r, cls, args);
}

static gboolean
finish_pending (Reader *r, AfnValue *placeholder, AfnValue *state)
{
  AfnValue *real = NULL;
  Pending p;
  guint i;

  for (i = r->pending->len; i > 0; i--)
    if (g_array_index (r->pending, Pending, i - 1).placeholder == placeholder)
      break;
  if (i == 0)
    return corrupt (r, _("BUILD of an unknown object"));
  p = g_array_index (r->pending, Pending, i - 1);
  if (p.cls == HF_GLOBAL_NODE)
    real = hf_build_node (state, r->error);
  else
    real = hf_build_variable_full (p.cls == HF_GLOBAL_PARAMETER ? AFN_TYPE_PARAMETER : AFN_TYPE_VARIABLE,
                                   state, &r->key_cache, r->fetched != NULL ? r->canon_keys : NULL, r->error);
  if (real == NULL)
    return FALSE;
  g_array_remove_index (r->pending, i - 1);
  if (p.memo_index >= 0 && r->memo[p.memo_index] == placeholder)
    {
      afn_value_unref (r->memo[p.memo_index]);
      r->memo[p.memo_index] = afn_value_ref (real);
    }
  afn_value_unref (r->stack[r->sp - 1]);
  r->stack[r->sp - 1] = real;
  afn_value_unref (p.placeholder);
  return TRUE;
}

static gboolean
op_build (Reader *r)
{
  g_autoptr(AfnValue) state = NULL;
  AfnValue *inst;

  if (!pop (r, &state) || !peek (r, &inst))
    return FALSE;
  if (is_placeholder (r, inst))
    return finish_pending (r, inst, state);
  if (afn_value_kind (inst) == AFN_VALUE_ORDERED_DICT && afn_value_kind (state) == AFN_VALUE_DICT)
    {
      AfnValue *attrs = afn_value_get_attrs (inst);
      if (attrs == NULL)
        afn_value_set_attrs_take (inst, afn_value_ref (state));
      else
        for (guint i = 0; i < afn_value_n_items (state); i++)
          afn_value_dict_set_take (attrs, afn_value_ref (afn_value_get_key (state, i)),
                                   afn_value_ref (afn_value_get_item (state, i)));
      return TRUE;
    }
  if (afn_value_kind (inst) == AFN_VALUE_ORDERED_DICT && afn_value_kind (state) == AFN_VALUE_NONE)
    return TRUE;
  return corrupt (r, _("BUILD of something that takes no state"));
}

static gboolean
op_stack_global (Reader *r)
{
  g_autoptr(AfnValue) name = NULL;
  g_autoptr(AfnValue) module = NULL;
  gsize ml, nl;
  const char *m, *n;

  if (!pop (r, &name) || !pop (r, &module))
    return FALSE;
  if (afn_value_kind (name) != AFN_VALUE_STR || afn_value_kind (module) != AFN_VALUE_STR)
    return corrupt (r, _("STACK_GLOBAL needs two strings"));
  m = afn_value_get_str (module, &ml);
  n = afn_value_get_str (name, &nl);
  return push_global (r, m, ml, n, nl);
}

/* --- The loop ----------------------------------------------------------------- */

static gboolean
unsupported (Reader *r, guint8 op)
{
  if (opcode_names[op] == NULL)
    return FAIL (r, AFN_HF_ERROR_UNSUPPORTED_OPCODE,
                 _("Unknown pickle opcode 0x%02x at byte %" G_GSIZE_FORMAT), op, r->op_pos);
  return FAIL (r, AFN_HF_ERROR_UNSUPPORTED_OPCODE,
               _("Pickle opcode %s at byte %" G_GSIZE_FORMAT " is not supported: afnio files do not use it"),
               opcode_names[op], r->op_pos);
}

static gboolean
read_unsigned_line (Reader *r, guint64 *out)
{
  const guint8 *s;
  gsize len;
  g_autofree char *text = NULL;

  if (!take_line (r, &s, &len))
    return FALSE;
  text = g_strndup ((const char *) s, len);
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, out, NULL))
    return corrupt (r, _("a memo index that is not a number"));
  return TRUE;
}

static gboolean
step_text (Reader *r, guint8 op)
{
  const guint8 *s, *s2;
  gsize len, len2;
  guint64 index;

  switch (op)
    {
    case 'I':
      return op_int_text (r);
    case 'L':
      return take_line (r, &s, &len) && parse_decimal (r, s, len, TRUE);
    case 'F':
      return op_float_text (r);
    case 'V':
      return take_line (r, &s, &len) && push_raw_unicode (r, s, len);
    case 'g':
      return read_unsigned_line (r, &index) && memo_get (r, index);
    case 'p':
      return read_unsigned_line (r, &index) && memo_put (r, index);
    case 'c':
      return take_line (r, &s, &len) && take_line (r, &s2, &len2) &&
             push_global (r, (const char *) s, len, (const char *) s2, len2);
    default:
      return unsupported (r, op);
    }
}

static gboolean
step_marked (Reader *r, guint8 op)
{
  guint start;

  if (op == '(')
    {
      if (!check_depth (r, 1))
        return FALSE;
      if (r->n_marks == r->marks_alloc)
        {
          r->marks_alloc = MAX (16, r->marks_alloc * 2);
          r->marks = g_renew (guint, r->marks, r->marks_alloc);
        }
      r->marks[r->n_marks++] = r->sp;
      return TRUE;
    }
  if (!pop_mark (r, &start))
    return FALSE;
  switch (op)
    {
    case 'e':
      return op_appends (r, start);
    case 'u':
      return op_setitems (r, start);
    case 't':
      return push (r, collect (r, start, AFN_VALUE_TUPLE));
    case 'l':
      return push (r, collect (r, start, AFN_VALUE_LIST));
    case 'd':
      {
        AfnValue *dict;
        if ((r->sp - start) % 2 != 0)
          {
            release_items (r, start);
            return corrupt (r, _("an odd number of items for a dict"));
          }
        dict = afn_value_new_dict ();
        if (!set_known_keys (r, dict, start))
          {
            if (!check_keys (r, start))
              {
                afn_value_unref (dict);
                return FALSE;
              }
            dict_set_pairs (r, dict, start);
          }
        return push (r, dict);
      }
    case '1':
      release_items (r, start);
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
step (Reader *r, gboolean *stop)
{
  const guint8 *p;
  guint8 op;
  AfnValue *v;

  if (r->release && r->pos - r->released >= RELEASE_BATCH)
    release_consumed (r);
  r->op_pos = r->pos;
  if (r->pos >= r->len)
    return FAIL (r, AFN_HF_ERROR_TRUNCATED, _("The pickle ends without a STOP opcode (%" G_GSIZE_FORMAT " bytes)"), r->len);
  p = r->data + r->pos++;
  op = *p;
  switch (op)
    {
    case 0x80:
      if (!take (r, 1, &p))
        return FALSE;
      if (*p > 5)
        return FAIL (r, AFN_HF_ERROR_UNSUPPORTED_OPCODE, _("Pickle protocol %u is not supported (at most 5)"), *p);
      r->protocol = *p;
      return TRUE;
    case 0x95:   /* FRAME is only a hint. */
      return take (r, 8, &p);
    case '.':
      *stop = TRUE;
      return TRUE;
    case 'N':
      return push (r, afn_value_ref (r->none));
    case 0x88:
      return push (r, afn_value_ref (r->true_));
    case 0x89:
      return push (r, afn_value_ref (r->false_));
    case 'K':
      return take (r, 1, &p) && push (r, new_int (r, p[0]));
    case 'M':
      return take (r, 2, &p) && push (r, new_int (r, p[0] | p[1] << 8));
    case 'J':
      return take (r, 4, &p) && push (r, new_int (r, (gint32) le32 (p)));
    case 0x8a:
      return take (r, 1, &p) && take (r, p[0], &p) && push_long_bytes (r, p, r->data[r->op_pos + 1]);
    case 0x8b:
      {
        guint32 n;
        if (!take (r, 4, &p))
          return FALSE;
        n = le32 (p);
        if (n > 4096)
          return FAIL (r, AFN_HF_ERROR_TOO_LARGE, _("An integer at byte %" G_GSIZE_FORMAT " has more than 4096 bytes"), r->op_pos);
        return take (r, n, &p) && push_long_bytes (r, p, n);
      }
    case 'G':
      return op_binfloat (r);
    case 'X':
      return take (r, 4, &p) && take (r, le32 (p), &p) && push_str (r, p, le32 (p - 4));
    case 0x8c:
      return take (r, 1, &p) && take (r, p[0], &p) && push_str (r, p, r->data[r->op_pos + 1]);
    case 0x8d:
      {
        guint64 n;
        if (!take (r, 8, &p))
          return FALSE;
        n = le64 (p);
        if (n > r->len - r->pos)
          return truncated (r);
        return take (r, n, &p) && push_str (r, p, n);
      }
    case ']':
      return push (r, afn_value_new_list ());
    case '}':
      return push (r, afn_value_new_dict ());
    case ')':
      return push (r, afn_value_ref (r->empty_tuple));
    case 0x85:
    case 0x86:
    case 0x87:
      return op_tuple_n (r, op - 0x84);
    case 'a':
      if (r->sp < stack_floor (r) + 2 || afn_value_kind (r->stack[r->sp - 2]) != AFN_VALUE_LIST)
        return corrupt (r, _("APPEND needs a list and an item"));
      v = r->stack[--r->sp];
      afn_value_append_take (r->stack[r->sp - 1], v);
      return TRUE;
    case 's':
      if (r->sp < stack_floor (r) + 3)
        return corrupt (r, _("the stack is empty"));
      return op_setitems (r, r->sp - 2);
    case 'h':
      return take (r, 1, &p) && memo_get (r, p[0]);
    case 'j':
      return take (r, 4, &p) && memo_get (r, le32 (p));
    case 'q':
      return take (r, 1, &p) && memo_put (r, p[0]);
    case 'r':
      return take (r, 4, &p) && memo_put (r, le32 (p));
    case 0x94:
      /* MEMOIZE stores at the memo's length (its number of entries). */
      return memo_put (r, r->memo_count);
    case '0':
      if (r->sp > stack_floor (r))
        {
          afn_value_unref (r->stack[--r->sp]);
          return TRUE;
        }
      if (r->n_marks > 0)   /* POP of a MARK, as CPython allows */
        {
          r->n_marks--;
          return TRUE;
        }
      return corrupt (r, _("the stack is empty"));
    case '2':
      if (!peek (r, &v))
        return FALSE;
      if (is_placeholder (r, v))
        return corrupt (r, _("an object is used before its state was set"));
      if (afn_value_kind (v) >= AFN_VALUE_LIST && afn_value_kind (v) <= AFN_VALUE_OBJECT)
        g_ptr_array_add (r->shared, afn_value_ref (v));
      return push (r, afn_value_ref (v));
    case 'b':
      return op_build (r);
    case 'R':
      return op_reduce (r);
    case 0x81:
      return op_newobj (r, FALSE);
    case 0x92:
      return op_newobj (r, TRUE);
    case 0x93:
      return op_stack_global (r);
    case 'i':
      return op_inst_obj (r, TRUE);
    case 'o':
      return op_inst_obj (r, FALSE);
    case '(':
    case 'e':
    case 'u':
    case 't':
    case 'l':
    case 'd':
    case '1':
      return step_marked (r, op);
    default:
      return step_text (r, op);
    }
}

/* --- After the loop: depth and cycles through shared objects ----------------- */

typedef struct {
  AfnValue *value;
  guint     next;
} Frame;

static guint
n_children (AfnValue *v)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
      return afn_value_n_items (v);
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      return 2 * afn_value_n_items (v) + 1;
    case AFN_VALUE_OBJECT:
    case AFN_VALUE_GRADIENT_EDGE:
      return 1;
    default:
      return 0;
    }
}

/* Child @i, or NULL. Objects are walked through their py_state, which holds
 * everything that was loaded into them. */
static AfnValue *
child (AfnValue *v, guint i)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
      return afn_value_get_item (v, i);
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      if (i == 2 * afn_value_n_items (v))
        return afn_value_get_attrs (v);
      return i % 2 == 0 ? afn_value_get_key (v, i / 2) : afn_value_get_item (v, i / 2);
    case AFN_VALUE_OBJECT:
      {
        GObject *o = afn_value_get_object (v);
        return AFN_IS_VARIABLE (o) ? afn_variable_get_py_state (AFN_VARIABLE (o))
                                   : afn_node_get_py_state (AFN_NODE (o));
      }
    case AFN_VALUE_GRADIENT_EDGE:
      return afn_value_get_edge_node (v) != NULL ? afn_node_get_py_state (afn_value_get_edge_node (v)) : NULL;
    default:
      return NULL;
    }
}

/* Only needed when the memo handed out a container twice: otherwise the
 * result is a tree no deeper than the stack was. */
static gboolean
check_from (Reader *r, GHashTable *state, AfnValue *root)
{
  g_autoptr(GArray) frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  Frame f = { root, 0 };
  gpointer root_key = afn_value_kind (root) == AFN_VALUE_OBJECT ? afn_value_get_object (root) : (gpointer) root;

  if (g_hash_table_contains (state, root_key))
    return TRUE;
  g_array_append_val (frames, f);
  g_hash_table_insert (state, root_key, GINT_TO_POINTER (1));
  while (frames->len > 0)
    {
      Frame *top = &g_array_index (frames, Frame, frames->len - 1);
      AfnValue *c;
      gpointer key;
      gpointer mark;

      if (top->next >= n_children (top->value))
        {
          AfnValue *done = top->value;
          g_hash_table_insert (state, afn_value_kind (done) == AFN_VALUE_OBJECT ? afn_value_get_object (done) : (gpointer) done,
                               GINT_TO_POINTER (2));
          g_array_set_size (frames, frames->len - 1);
          continue;
        }
      c = child (top->value, top->next++);
      if (c == NULL || n_children (c) == 0)
        continue;
      /* Objects are tracked by their GObject, values by themselves. */
      key = afn_value_kind (c) == AFN_VALUE_OBJECT ? afn_value_get_object (c) : (gpointer) c;
      mark = g_hash_table_lookup (state, key);
      if (mark == GINT_TO_POINTER (1))
        return FAIL (r, AFN_HF_ERROR_CORRUPT, _("The pickle holds a container that contains itself"));
      if (mark == NULL)
        {
          Frame nf = { c, 0 };
          if (frames->len >= r->limits.max_depth)
            return FAIL (r, AFN_HF_ERROR_TOO_DEEP, _("The value nests deeper than %u levels"), r->limits.max_depth);
          g_hash_table_insert (state, key, GINT_TO_POINTER (1));
          g_array_append_val (frames, nf);
        }
    }
  return TRUE;
}

/* Every value in the graph, and every container that was handed out twice
 * (a cycle needs one), must be acyclic and no deeper than the limit. */
static gboolean
check_graph (Reader *r, AfnValue *root)
{
  g_autoptr(GHashTable) state = g_hash_table_new (NULL, NULL);   /* 1 open, 2 done */

  if (!check_from (r, state, root))
    return FALSE;
  for (guint i = 0; i < r->shared->len; i++)
    if (!check_from (r, state, g_ptr_array_index (r->shared, i)))
      return FALSE;
  return TRUE;
}

/* After a refusal, empties every container that was handed out twice, so
 * that reference cycles among them are broken and freed. */
static void
break_cycles (Reader *r)
{
  for (guint i = 0; i < r->shared->len; i++)
    {
      AfnValue *v = g_ptr_array_index (r->shared, i);
      switch (afn_value_kind (v))
        {
        case AFN_VALUE_LIST:
        case AFN_VALUE_TUPLE:
          for (guint k = 0; k < afn_value_n_items (v); k++)
            afn_value_set_item_take (v, k, afn_value_ref (r->none));
          break;
        case AFN_VALUE_DICT:
        case AFN_VALUE_ORDERED_DICT:
          for (guint k = 0; k < afn_value_n_items (v); k++)
            afn_value_dict_set_take (v, afn_value_ref (afn_value_get_key (v, k)), afn_value_ref (r->none));
          afn_value_set_attrs_take (v, NULL);
          break;
        default:
          break;
        }
    }
}

/* --- Entry point ------------------------------------------------------------- */

static void
index_free_cb (gpointer data)
{
  g_hash_table_unref (data);
}

static void
reader_clear (Reader *r)
{
  release_items (r, 0);
  g_free (r->stack);
  g_free (r->marks);
  for (guint i = 0; i < r->memo_alloc; i++)
    if (r->memo[i] != NULL)
      afn_value_unref (r->memo[i]);
  g_free (r->memo);
  for (guint i = 0; i < r->pending->len; i++)
    afn_value_unref (g_array_index (r->pending, Pending, i).placeholder);
  g_array_unref (r->pending);
  afn_value_unref (r->none);
  afn_value_unref (r->true_);
  afn_value_unref (r->false_);
  afn_value_unref (r->empty_tuple);
  for (guint i = 0; i < 256; i++)
    if (r->small_ints[i] != NULL)
      afn_value_unref (r->small_ints[i]);
  for (guint i = 0; i < HF_N_GLOBALS; i++)
    if (r->classes[i] != NULL)
      afn_value_unref (r->classes[i]);
  g_hash_table_unref (r->dict_index);
  g_ptr_array_unref (r->shared);
  for (guint i = 0; i < r->n_known_keys; i++)
    afn_value_unref (r->known_keys[i]);
  hf_key_cache_clear (&r->key_cache);
}

/* --- Prescan: which memo entries are fetched again ---------------------------- */

enum { PUT_NOT_SCALAR = 1, FETCHED = 2 };

static gboolean
skip_line (const guint8 *data, gsize len, gsize *pos)
{
  const guint8 *nl = memchr (data + *pos, '\n', len - *pos);
  if (nl == NULL)
    return FALSE;
  *pos = nl - data + 1;
  return TRUE;
}

static gboolean
note (GByteArray *flags, guint64 index, guint max_memo, guint8 flag)
{
  if (index >= max_memo)
    return FALSE;
  if (index >= flags->len)
    {
      /* Memo indices come one by one: grow by doubling, not per index.
       * Flags past the last index stay zero and mark nothing. */
      guint old = flags->len;
      g_byte_array_set_size (flags, (guint) MIN (MAX (index + 1, 2 * (guint64) old), max_memo));
      memset (flags->data + old, 0, flags->len - old);
    }
  flags->data[index] |= flag;
  return TRUE;
}

/* A walk over the opcodes of a binary pickle, without building anything:
 * a bitmap of the memo indices that a GET fetches, or NULL when the pickle
 * uses anything this walk does not follow, fetches a container or object
 * again (a shared graph is checked through the py_states), or is bad (the
 * real pass says why). */
static guint8 *
prescan (const guint8 *data, gsize len, guint max_memo, gsize *n_bytes)
{
  g_autoptr(GByteArray) flags = g_byte_array_new ();
  gsize pos = 0;
  gboolean scalar = FALSE;
  guint8 *bits;

  while (pos < len)
    {
      guint8 op = data[pos++];
      gsize avail = len - pos;
      guint64 n = 0, index;
      gboolean was_scalar = scalar;

      scalar = FALSE;
      switch (op)
        {
        case '.':
          goto done;
        case 'N': case 0x88: case 0x89:
          scalar = TRUE;
          break;
        case ']': case '}': case ')': case 0x85: case 0x86: case 0x87: case 'a': case 's':
        case '0': case 'b': case 'R': case 0x81: case 0x93: case 'o':
        case '(': case 'e': case 'u': case 't': case 'l': case 'd': case '1':
          break;
        case 0x80: n = 1; break;
        case 0x95: n = 8; break;
        case 'K': n = 1; scalar = TRUE; break;
        case 'M': n = 2; scalar = TRUE; break;
        case 'J': n = 4; scalar = TRUE; break;
        case 'G': n = 8; scalar = TRUE; break;
        case 0x8a: case 0x8c:
          if (avail < 1)
            return NULL;
          n = 1 + (guint64) data[pos];
          scalar = TRUE;
          break;
        case 0x8b: case 'X':
          if (avail < 4)
            return NULL;
          n = 4 + (guint64) (data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16 | (guint32) data[pos + 3] << 24);
          scalar = TRUE;
          break;
        case 'c':
          if (!skip_line (data, len, &pos) || !skip_line (data, len, &pos))
            return NULL;
          scalar = TRUE;
          break;
        case 'h': case 'q':
          if (avail < 1)
            return NULL;
          index = data[pos];
          n = 1;
          if (!note (flags, index, max_memo, op == 'h' ? FETCHED : was_scalar ? 0 : PUT_NOT_SCALAR))
            return NULL;
          scalar = op == 'q' && was_scalar;
          break;
        case 'j': case 'r':
          if (avail < 4)
            return NULL;
          index = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16 | (guint32) data[pos + 3] << 24;
          n = 4;
          if (!note (flags, index, max_memo, op == 'j' ? FETCHED : was_scalar ? 0 : PUT_NOT_SCALAR))
            return NULL;
          scalar = op == 'r' && was_scalar;
          break;
        default:
          return NULL;
        }
      if (n > len - pos)
        return NULL;
      pos += n;
    }
  return NULL;

done:
  *n_bytes = (flags->len + 7) / 8;
  bits = g_malloc0 (MAX (*n_bytes, 1));
  for (guint i = 0; i < flags->len; i++)
    {
      if (flags->data[i] == (FETCHED | PUT_NOT_SCALAR))
        return g_free (bits), NULL;
      if (flags->data[i] & FETCHED)
        bits[i / 8] |= 1u << (i % 8);
    }
  return bits;
}

/* Whether the py_states dropped on the way can stay dropped: the keys the
 * writer will write afresh must be held by nothing else now. */
static gboolean
drops_hold (Reader *r)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < HF_N_VKEYS; i++)
    if (r->canon_keys[i] != NULL)
      {
        ok = ok && afn_value_peek_ref_count (r->canon_keys[i]) == 1;
        g_clear_pointer (&r->canon_keys[i], afn_value_unref);
      }
  return ok;
}

static AfnValue *loads_pass (const guint8 *data, gsize len, const AfnHfLimits *limits,
                             gboolean drop, gboolean release, int *protocol, gboolean *again,
                             GError **error);

AfnValue *
hf_pickle_loads_consuming (const guint8 *data, gsize len, const AfnHfLimits *limits,
                           int *protocol, gboolean *again, GError **error)
{
  g_return_val_if_fail (data != NULL && len > 0, NULL);
  g_return_val_if_fail ((guintptr) data % (guintptr) sysconf (_SC_PAGESIZE) == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return loads_pass (data, len, limits, TRUE, TRUE, protocol, again, error);
}

AfnValue *
afn_pickle_loads (const guint8 *data, gsize len, const AfnHfLimits *limits,
                  int *protocol, GError **error)
{
  gboolean again = FALSE;
  AfnValue *result;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = loads_pass (data, len, limits, TRUE, FALSE, protocol, &again, error);
  if (!again)
    return result;
  /* Rare: a key object is shared with something else; keep every state. */
  g_clear_pointer (&result, afn_value_unref);
  return loads_pass (data, len, limits, FALSE, FALSE, protocol, &again, error);
}

static AfnValue *
loads_pass (const guint8 *data, gsize len, const AfnHfLimits *limits,
            gboolean drop, gboolean release, int *protocol, gboolean *again, GError **error)
{
  Reader r = { 0, };
  gboolean stop = FALSE, ok = TRUE;
  AfnValue *result = NULL;

  r.data = data;
  r.len = len;
  r.release = release;
  r.error = error;
  if (limits != NULL)
    r.limits = *limits;
  else
    afn_hf_limits_init (&r.limits);
  r.pending = g_array_new (FALSE, FALSE, sizeof (Pending));
  r.shared = g_ptr_array_new_with_free_func ((GDestroyNotify) afn_value_unref);
  r.none = afn_value_new_none ();
  r.true_ = afn_value_new_bool (TRUE);
  r.false_ = afn_value_new_bool (FALSE);
  r.empty_tuple = afn_value_new_tuple ();
  r.dict_index = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) afn_value_unref, index_free_cb);
  if (drop)
    r.fetched = prescan (data, len, r.limits.max_memo, &r.fetched_len);

  if (len == 0)
    ok = FAIL (&r, AFN_HF_ERROR_TRUNCATED, _("The pickle is empty"));
  while (ok && !stop)
    ok = step (&r, &stop);
  if (ok && r.sp != 1)
    ok = FAIL (&r, AFN_HF_ERROR_CORRUPT, _("The pickle leaves %u values on the stack at STOP, not one"), r.sp);
  if (ok && r.n_marks != 0)
    ok = FAIL (&r, AFN_HF_ERROR_CORRUPT, _("The pickle leaves a MARK open at STOP"));
  if (ok && r.pending->len > 0)
    ok = FAIL (&r, AFN_HF_ERROR_CORRUPT, _("An afnio object in the pickle never receives its state"));
  if (ok && r.shared->len > 0)
    ok = check_graph (&r, r.stack[0]);
  if (!ok)
    break_cycles (&r);
  if (ok)
    {
      result = r.stack[0];
      r.sp = 0;
      if (protocol != NULL)
        *protocol = r.protocol;
    }
  reader_clear (&r);
  g_free (r.fetched);
  *again = !drops_hold (&r) && result != NULL;
  return result;
}
