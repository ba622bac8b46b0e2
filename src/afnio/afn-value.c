/* afn-value.c: the value tree.
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-value.h"
#include "afn-node.h"
#include "afn-engine-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct _AfnValue
{
  gatomicrefcount ref_count;
  AfnValueKind kind;
  union {
    gboolean b;
    gint64 i;
    double d;
    /* STR, BIGINT (decimal); @block is the AfnValueArena block a STR lives
     * in, NULL when it has its own allocation. */
    struct { char *bytes; gsize len; gpointer block; } s;
    /* LIST, TUPLE: @len items in @slots; DICT, ORDERED_DICT: @len pairs,
     * key and value alternating in @slots. One allocation per container
     * (the array) instead of a header and an array per GPtrArray. */
    struct { AfnValue **slots; guint len; guint alloc; AfnValue *attrs; } c;
    gpointer object;                               /* OBJECT */
    struct { AfnNode *node; gint64 output_nr; } edge;
    struct { char *module; char *name; } global;
  };
};

G_DEFINE_BOXED_TYPE (AfnValue, afn_value, afn_value_ref, afn_value_unref)

/* GLib's g_atomic_ref_count_inc/dec are out-of-line calls with their own
 * checks unless G_DISABLE_CHECKS is set; a decode of 10,000 Variables makes
 * about a million of them, so the counts are changed inline here. */
static inline void
count_inc (AfnValue *self)
{
  g_atomic_int_inc ((gint *) &self->ref_count);
}

static inline gboolean
count_dec (AfnValue *self)
{
  return g_atomic_int_dec_and_test ((gint *) &self->ref_count);
}

static gboolean
is_sequence (const AfnValue *self)
{
  return self->kind == AFN_VALUE_LIST || self->kind == AFN_VALUE_TUPLE;
}

static gboolean
is_mapping (const AfnValue *self)
{
  return self->kind == AFN_VALUE_DICT || self->kind == AFN_VALUE_ORDERED_DICT;
}

/* The slots a container uses: one per item, two per pair. */
static gsize
n_slots (const AfnValue *self)
{
  return is_mapping (self) ? 2 * (gsize) self->c.len : self->c.len;
}

/* Room for @more slots after the used ones: exactly that much the first
 * time (a container filled by one SETITEMS or APPENDS is not rounded up),
 * then at least double, so one-by-one appends stay linear. */
static void
reserve_slots (AfnValue *self, gsize more)
{
  gsize used = n_slots (self);
  gsize want;

  if (used + more <= self->c.alloc)
    return;
  want = self->c.alloc == 0 ? more : MAX (used + more, 2 * (gsize) self->c.alloc);
  g_assert (want <= G_MAXUINT);
  self->c.slots = g_renew (AfnValue *, self->c.slots, want);
  self->c.alloc = (guint) want;
}

static AfnValue *
value_alloc (AfnValueKind kind)
{
  AfnValue *self = g_new0 (AfnValue, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->kind = kind;
  return self;
}

AfnValue *
afn_value_new_none (void)
{
  return value_alloc (AFN_VALUE_NONE);
}

AfnValue *
afn_value_new_bool (gboolean b)
{
  AfnValue *self = value_alloc (AFN_VALUE_BOOL);
  self->b = !!b;
  return self;
}

AfnValue *
afn_value_new_int (gint64 i)
{
  AfnValue *self = value_alloc (AFN_VALUE_INT);
  self->i = i;
  return self;
}

/* Strips a leading '+' and leading zeros so equal numbers have one spelling. */
static char *
normalize_decimal (const char *decimal, gboolean *negative)
{
  const char *p = decimal;
  *negative = FALSE;
  if (*p == '-' || *p == '+')
    *negative = (*p++ == '-');
  while (*p == '0' && p[1] != '\0')
    p++;
  if (g_str_equal (p, "0"))
    *negative = FALSE;
  return g_strdup (p);
}

AfnValue *
afn_value_new_bigint (const char *decimal)
{
  gboolean negative;
  g_autofree char *digits = NULL;
  AfnValue *self;
  guint64 magnitude = 0;

  g_return_val_if_fail (decimal != NULL, NULL);
  digits = normalize_decimal (decimal, &negative);
  for (const char *p = digits; *p; p++)
    g_return_val_if_fail (g_ascii_isdigit (*p), NULL);

  /* Fits int64: one canonical representation. */
  if (strlen (digits) <= 19 &&
      g_ascii_string_to_unsigned (digits, 10, 0, G_MAXUINT64, &magnitude, NULL) &&
      (magnitude <= (guint64) G_MAXINT64 || (negative && magnitude == (guint64) G_MAXINT64 + 1)))
    return afn_value_new_int (negative ? (gint64) (0 - magnitude) : (gint64) magnitude);

  self = value_alloc (AFN_VALUE_BIGINT);
  self->s.bytes = negative ? g_strconcat ("-", digits, NULL) : g_steal_pointer (&digits);
  self->s.len = strlen (self->s.bytes);
  return self;
}

AfnValue *
afn_value_new_float (double d)
{
  AfnValue *self = value_alloc (AFN_VALUE_FLOAT);
  self->d = d;
  return self;
}

/* A STR whose bytes live in the same block as the value: one allocation
 * instead of two, which matters for graphs of 100,000 texts. The caller
 * fills @len bytes at *@buf; the NUL after them is already written. */
AfnValue *
afn_value_new_str_sized (gsize len, char **buf)
{
  return afn_value_new_str_with_room (len, 0, buf);
}

/* As afn_value_new_str_sized(), with @room more bytes after the NUL that
 * belong to the caller (a Variable keeps its role there). */
AfnValue *
afn_value_new_str_with_room (gsize len, gsize room, char **buf)
{
  AfnValue *self = g_malloc (sizeof (AfnValue) + len + 1 + room);

  memset (self, 0, sizeof (AfnValue));
  g_atomic_ref_count_init (&self->ref_count);
  self->kind = AFN_VALUE_STR;
  self->s.bytes = (char *) (self + 1);
  self->s.len = len;
  self->s.bytes[len] = '\0';
  *buf = self->s.bytes;
  return self;
}

AfnValue *
afn_value_new_str (const char *s, gssize len)
{
  gsize n;
  char *bytes;
  AfnValue *self;

  g_return_val_if_fail (s != NULL || len == 0, NULL);
  n = len < 0 ? strlen (s) : (gsize) len;
  self = afn_value_new_str_sized (n, &bytes);
  if (n > 0)
    memcpy (bytes, s, n);
  return self;
}

AfnValue *
afn_value_new_str_take (char *s, gsize len)
{
  AfnValue *self = value_alloc (AFN_VALUE_STR);
  if (s[len] != '\0')
    {
      s = g_realloc (s, len + 1);
      s[len] = '\0';
    }
  self->s.bytes = s;
  self->s.len = len;
  return self;
}

AfnValue *
afn_value_new_list (void)
{
  return value_alloc (AFN_VALUE_LIST);
}

AfnValue *
afn_value_new_tuple (void)
{
  return value_alloc (AFN_VALUE_TUPLE);
}

AfnValue *
afn_value_new_dict (void)
{
  return value_alloc (AFN_VALUE_DICT);
}

AfnValue *
afn_value_new_ordered_dict (void)
{
  return value_alloc (AFN_VALUE_ORDERED_DICT);
}

AfnValue *
afn_value_new_object (gpointer object)
{
  AfnValue *self;

  g_return_val_if_fail (G_IS_OBJECT (object), NULL);
  self = value_alloc (AFN_VALUE_OBJECT);
  self->object = g_object_ref (object);
  return self;
}

AfnValue *
afn_value_new_gradient_edge (AfnNode *node, gint64 output_nr)
{
  AfnValue *self = value_alloc (AFN_VALUE_GRADIENT_EDGE);
  self->edge.node = node != NULL ? g_object_ref (node) : NULL;
  self->edge.output_nr = output_nr;
  return self;
}

AfnValue *
afn_value_new_global (const char *module, const char *name)
{
  AfnValue *self = value_alloc (AFN_VALUE_GLOBAL);
  self->global.module = g_strdup (module);
  self->global.name = g_strdup (name);
  return self;
}

AfnValue *
afn_value_ref (AfnValue *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  count_inc (self);
  return self;
}

static void
value_clear (AfnValue *self)
{
  switch (self->kind)
    {
    case AFN_VALUE_STR:
    case AFN_VALUE_BIGINT:
      if (self->s.bytes != (char *) (self + 1))
        g_free (self->s.bytes);
      break;
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      for (gsize i = 0, n = n_slots (self); i < n; i++)
        if (self->c.slots[i] != NULL)
          afn_value_unref (self->c.slots[i]);
      g_free (self->c.slots);
      g_clear_pointer (&self->c.attrs, afn_value_unref);
      break;
    case AFN_VALUE_OBJECT:
      g_object_unref (self->object);
      break;
    case AFN_VALUE_GRADIENT_EDGE:
      g_clear_object (&self->edge.node);
      break;
    case AFN_VALUE_GLOBAL:
      g_free (self->global.module);
      g_free (self->global.name);
      break;
    case AFN_VALUE_NONE:
    case AFN_VALUE_BOOL:
    case AFN_VALUE_INT:
    case AFN_VALUE_FLOAT:
    default:
      break;
    }
}

guint
afn_value_peek_ref_count (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return (guint) g_atomic_int_get ((gint *) &self->ref_count);
}

/* Values made by an AfnValueArena share blocks of at most this size, and
 * larger values get their own: one value kept alive keeps little else. */
#define ARENA_BLOCK_MAX (64 * 1024)

typedef struct {
  gatomicrefcount ref_count;  /* the arena while it fills the block, and each value in it */
  guint64         data[];     /* as the values in it need, 8-byte aligned */
} ArenaBlock;

struct _AfnValueArena {
  ArenaBlock *block;          /* nullable */
  gsize       used, size;
  guint       expected;       /* values still to come, as the caller guessed */
};

static void
arena_block_unref (ArenaBlock *block)
{
  if (g_atomic_ref_count_dec (&block->ref_count))
    g_free (block);
}

static void
value_free (AfnValue *self)
{
  if (self->kind == AFN_VALUE_STR && self->s.block != NULL)
    arena_block_unref (self->s.block);
  else
    g_free (self);
}

AfnValueArena *
afn_value_arena_new (guint expected)
{
  AfnValueArena *arena = g_new0 (AfnValueArena, 1);

  arena->expected = expected;
  return arena;
}

void
afn_value_arena_free (AfnValueArena *arena)
{
  if (arena->block != NULL)
    arena_block_unref (arena->block);
  g_free (arena);
}

/* A new block for values like one of @size bytes: room for the values
 * still expected, so that two gradients of an add do not hold 64 KB. */
static void
arena_next_block (AfnValueArena *arena, gsize size)
{
  gsize want = size * MAX (arena->expected, 1);

  if (arena->block != NULL)
    arena_block_unref (arena->block);
  arena->size = CLAMP (want, size, ARENA_BLOCK_MAX);
  arena->block = g_malloc (sizeof (ArenaBlock) + arena->size);
  g_atomic_ref_count_init (&arena->block->ref_count);
  arena->used = 0;
}

AfnValue *
afn_value_arena_new_str_with_room (AfnValueArena *arena, gsize len, gsize room, char **buf)
{
  gsize size = (sizeof (AfnValue) + len + 1 + room + 7) & ~(gsize) 7;
  AfnValue *self;

  if (arena->expected > 0)
    arena->expected--;
  if (size > ARENA_BLOCK_MAX / 8)
    return afn_value_new_str_with_room (len, room, buf);
  if (arena->block == NULL || arena->used + size > arena->size)
    arena_next_block (arena, size);
  self = (AfnValue *) ((char *) arena->block->data + arena->used);
  arena->used += size;
  g_atomic_ref_count_inc (&arena->block->ref_count);
  memset (self, 0, sizeof (AfnValue));
  g_atomic_ref_count_init (&self->ref_count);
  self->kind = AFN_VALUE_STR;
  self->s.bytes = (char *) (self + 1);
  self->s.len = len;
  self->s.block = arena->block;
  self->s.bytes[len] = '\0';
  *buf = self->s.bytes;
  return self;
}

/* Frees @self, a sequence whose count reached zero. Deeply nested trees (a
 * hostile file can hold 10,000 levels) are freed iteratively: a sequence
 * whose last reference a child sequence held is moved to a work list
 * instead of being released recursively. The work list is only made when
 * there is such a child: a list of Variables needs none. */
static void
free_sequences (AfnValue *self)
{
  GPtrArray *work = NULL;
  AfnValue *v = self;

  while (v != NULL)
    {
      for (guint i = 0; i < v->c.len; i++)
        {
          AfnValue *child = v->c.slots[i];
          if (child == NULL || !count_dec (child))
            continue;
          if (!is_sequence (child))
            {
              value_clear (child);
              value_free (child);
              continue;
            }
          if (work == NULL)
            work = g_ptr_array_new ();
          g_ptr_array_add (work, child);
        }
      v->c.len = 0;
      value_clear (v);
      value_free (v);
      v = work != NULL && work->len > 0 ? g_ptr_array_steal_index_fast (work, work->len - 1) : NULL;
    }
  if (work != NULL)
    g_ptr_array_unref (work);
}

void
afn_value_unref (AfnValue *self)
{
  g_return_if_fail (self != NULL);
  if (!count_dec (self))
    return;
  if (is_sequence (self))
    {
      free_sequences (self);
      return;
    }
  value_clear (self);
  value_free (self);
}

AfnValueKind
afn_value_kind (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL, AFN_VALUE_NONE);
  return self->kind;
}

const char *
afn_value_kind_name (AfnValueKind kind)
{
  static const char *names[] = {
    "None", "bool", "int", "int", "float", "str", "list", "tuple", "dict",
    "OrderedDict", "object", "GradientEdge", "global",
  };
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), "?");
  return names[kind];
}

gboolean
afn_value_get_bool (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_BOOL, FALSE);
  return self->b;
}

gint64
afn_value_get_int (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_INT, 0);
  return self->i;
}

const char *
afn_value_get_bigint (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_BIGINT, NULL);
  return self->s.bytes;
}

double
afn_value_get_float (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_FLOAT, 0.0);
  return self->d;
}

const char *
afn_value_get_str (const AfnValue *self, gsize *len)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_STR, NULL);
  if (len != NULL)
    *len = self->s.len;
  return self->s.bytes;
}

/* Valid UTF-8 for people: a lone surrogate (three bytes in surrogatepass
 * UTF-8) becomes one U+FFFD, other invalid bytes one U+FFFD each, and NUL
 * bytes too when @replace_nul is set. */
char *
afn_utf8_for_display (const char *s, gsize len, gboolean replace_nul)
{
  GString *out = g_string_sized_new (len);
  g_autofree char *joined = NULL;
  gsize joined_len;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = s[i];
      if (c == 0xED && i + 2 < len && ((guchar) s[i + 1] & 0xE0) == 0xA0 &&
          ((guchar) s[i + 2] & 0xC0) == 0x80)
        {
          g_string_append (out, "\xEF\xBF\xBD");
          i += 2;
        }
      else if (c == 0 && replace_nul)
        g_string_append (out, "\xEF\xBF\xBD");
      else
        g_string_append_c (out, c);
    }
  joined_len = out->len;
  joined = g_string_free (out, FALSE);
  return g_utf8_make_valid (joined, (gssize) joined_len);
}

char *
afn_value_dup_display_string (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_STR, NULL);
  /* NUL bytes stay as they are, so display code that needs a C string sees
   * the text up to the first NUL. */
  return afn_utf8_for_display (self->s.bytes, self->s.len, FALSE);
}

gpointer
afn_value_get_object (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_OBJECT, NULL);
  return self->object;
}

AfnNode *
afn_value_get_edge_node (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_GRADIENT_EDGE, NULL);
  return self->edge.node;
}

gint64
afn_value_get_edge_output_nr (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_GRADIENT_EDGE, 0);
  return self->edge.output_nr;
}

const char *
afn_value_get_global_module (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_GLOBAL, NULL);
  return self->global.module;
}

const char *
afn_value_get_global_name (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && self->kind == AFN_VALUE_GLOBAL, NULL);
  return self->global.name;
}

guint
afn_value_n_items (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL, 0);
  if (is_sequence (self) || is_mapping (self))
    return self->c.len;
  g_return_val_if_reached (0);
}

AfnValue *
afn_value_get_item (const AfnValue *self, guint i)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (is_sequence (self))
    {
      g_return_val_if_fail (i < self->c.len, NULL);
      return self->c.slots[i];
    }
  if (is_mapping (self))
    {
      g_return_val_if_fail (i < self->c.len, NULL);
      return self->c.slots[2 * (gsize) i + 1];
    }
  g_return_val_if_reached (NULL);
}

void
afn_value_append_take (AfnValue *self, AfnValue *item)
{
  g_return_if_fail (self != NULL && is_sequence (self));
  g_return_if_fail (item != NULL);
  reserve_slots (self, 1);
  self->c.slots[self->c.len++] = item;
}

void
afn_value_set_item_take (AfnValue *self, guint i, AfnValue *item)
{
  g_return_if_fail (self != NULL && is_sequence (self));
  g_return_if_fail (i < self->c.len && item != NULL);
  afn_value_unref (self->c.slots[i]);
  self->c.slots[i] = item;
}

AfnValue *const *
afn_value_peek_pairs (const AfnValue *self, guint *n_pairs)
{
  g_return_val_if_fail (self != NULL && is_mapping (self), NULL);
  g_return_val_if_fail (n_pairs != NULL, NULL);
  *n_pairs = self->c.len;
  return self->c.slots;
}

AfnValue *
afn_value_get_key (const AfnValue *self, guint i)
{
  g_return_val_if_fail (self != NULL && is_mapping (self), NULL);
  g_return_val_if_fail (i < self->c.len, NULL);
  return self->c.slots[2 * (gsize) i];
}

/* Python dict keys compare by value; for hashable scalars that is what
 * afn_value_equal() does, except that 1 == 1.0 == True in Python. */
static gboolean
keys_equal (const AfnValue *a, const AfnValue *b)
{
  gboolean a_num = a->kind == AFN_VALUE_INT || a->kind == AFN_VALUE_BOOL || a->kind == AFN_VALUE_FLOAT;
  gboolean b_num = b->kind == AFN_VALUE_INT || b->kind == AFN_VALUE_BOOL || b->kind == AFN_VALUE_FLOAT;

  if (a_num && b_num && a->kind != b->kind)
    {
      double x = a->kind == AFN_VALUE_FLOAT ? a->d : a->kind == AFN_VALUE_INT ? (double) a->i : a->b;
      double y = b->kind == AFN_VALUE_FLOAT ? b->d : b->kind == AFN_VALUE_INT ? (double) b->i : b->b;
      return x == y;
    }
  if (a->kind == AFN_VALUE_FLOAT && b->kind == AFN_VALUE_FLOAT)
    return a->d == b->d;
  return afn_value_equal (a, b);
}

static void
append_pair (AfnValue *self, AfnValue *key, AfnValue *value)
{
  reserve_slots (self, 2);
  self->c.slots[2 * (gsize) self->c.len] = key;
  self->c.slots[2 * (gsize) self->c.len + 1] = value;
  self->c.len++;
}

void
afn_value_dict_set_take (AfnValue *self, AfnValue *key, AfnValue *value)
{
  g_return_if_fail (self != NULL && is_mapping (self));
  g_return_if_fail (key != NULL && value != NULL);

  /* Dicts in afnio files are small or keyed by strings the pickler already
   * deduplicated; a linear scan from the end finds re-set keys cheaply and
   * keeps loading linear for files that never repeat a key. */
  for (gsize i = self->c.len; i > 0; i--)
    {
      AfnValue *k = self->c.slots[2 * (i - 1)];
      if (k == key || keys_equal (k, key))
        {
          afn_value_unref (key);
          afn_value_unref (self->c.slots[2 * (i - 1) + 1]);
          self->c.slots[2 * (i - 1) + 1] = value;
          return;
        }
    }
  append_pair (self, key, value);
}

void
afn_value_dict_append_take (AfnValue *self, AfnValue *key, AfnValue *value)
{
  g_return_if_fail (self != NULL && is_mapping (self));
  g_return_if_fail (key != NULL && value != NULL);
  append_pair (self, key, value);
}

void
afn_value_extend_take (AfnValue *self, AfnValue **items, guint n)
{
  gsize used, more;

  g_return_if_fail (self != NULL && (items != NULL || n == 0));
  g_return_if_fail (is_sequence (self) || is_mapping (self));
  if (n == 0)
    return;
  /* Pairs come as key, value, key, value: the order they are kept in. */
  used = n_slots (self);
  more = is_mapping (self) ? 2 * (gsize) n : n;
  reserve_slots (self, more);
  memcpy (self->c.slots + used, items, more * sizeof (AfnValue *));
  self->c.len += n;
}

AfnValue *
afn_value_dict_lookup (const AfnValue *self, const char *key)
{
  gsize key_len;

  g_return_val_if_fail (self != NULL && is_mapping (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  key_len = strlen (key);
  for (gsize i = 0; i < self->c.len; i++)
    {
      AfnValue *k = self->c.slots[2 * i];
      if (k->kind == AFN_VALUE_STR && k->s.len == key_len && memcmp (k->s.bytes, key, key_len) == 0)
        return self->c.slots[2 * i + 1];
    }
  return NULL;
}

AfnValue *
afn_value_get_attrs (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL && is_mapping (self), NULL);
  return self->c.attrs;
}

void
afn_value_set_attrs_take (AfnValue *self, AfnValue *attrs)
{
  g_return_if_fail (self != NULL && is_mapping (self));
  g_clear_pointer (&self->c.attrs, afn_value_unref);
  self->c.attrs = attrs;
}

static gboolean
slots_equal (const AfnValue *a, const AfnValue *b)
{
  if (a->c.len != b->c.len)
    return FALSE;
  for (gsize i = 0, n = n_slots (a); i < n; i++)
    if (!afn_value_equal (a->c.slots[i], b->c.slots[i]))
      return FALSE;
  return TRUE;
}

gboolean
afn_value_equal (const AfnValue *a, const AfnValue *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || a->kind != b->kind)
    return FALSE;

  switch (a->kind)
    {
    case AFN_VALUE_NONE:
      return TRUE;
    case AFN_VALUE_BOOL:
      return a->b == b->b;
    case AFN_VALUE_INT:
      return a->i == b->i;
    case AFN_VALUE_FLOAT:
      return memcmp (&a->d, &b->d, sizeof (double)) == 0 || (isnan (a->d) && isnan (b->d));
    case AFN_VALUE_STR:
    case AFN_VALUE_BIGINT:
      return a->s.len == b->s.len && memcmp (a->s.bytes, b->s.bytes, a->s.len) == 0;
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
      return slots_equal (a, b);
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      if (!slots_equal (a, b))
        return FALSE;
      if ((a->c.attrs == NULL) != (b->c.attrs == NULL))
        return FALSE;
      return a->c.attrs == NULL || afn_value_equal (a->c.attrs, b->c.attrs);
    case AFN_VALUE_OBJECT:
      return a->object == b->object;
    case AFN_VALUE_GRADIENT_EDGE:
      return a->edge.node == b->edge.node && a->edge.output_nr == b->edge.output_nr;
    case AFN_VALUE_GLOBAL:
      return g_str_equal (a->global.module, b->global.module) && g_str_equal (a->global.name, b->global.name);
    default:
      return FALSE;
    }
}

/* Python's repr() of a float: the shortest digits that read back exactly;
 * positional between 1e-4 and 1e16 (with ".0" when integral), exponent form
 * (two-digit exponent at least) outside. Locale-independent. */
static void
append_float_repr (GString *out, double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE + 32];
  char format[16];
  int precision, exponent;

  if (isnan (d))
    {
      g_string_append (out, "nan");
      return;
    }
  if (isinf (d))
    {
      g_string_append (out, d > 0 ? "inf" : "-inf");
      return;
    }
  for (precision = 1; precision <= 17; precision++)
    {
      g_snprintf (format, sizeof format, "%%.%de", precision - 1);
      g_ascii_formatd (buf, sizeof buf, format, d);
      if (g_ascii_strtod (buf, NULL) == d)
        break;
    }
  exponent = atoi (strchr (buf, 'e') + 1);
  if (exponent < -4 || exponent >= 16)
    {
      g_string_append (out, buf);
      return;
    }
  g_snprintf (format, sizeof format, "%%.%df", MAX (precision - 1 - exponent, 0));
  g_ascii_formatd (buf, sizeof buf, format, d);
  g_string_append (out, buf);
  if (strchr (buf, '.') == NULL)
    g_string_append (out, ".0");
}

static void
append_str_repr (GString *out, const char *s, gsize len)
{
  gboolean has_single = memchr (s, '\'', len) != NULL;
  gboolean has_double = memchr (s, '"', len) != NULL;
  char quote = has_single && !has_double ? '"' : '\'';

  g_string_append_c (out, quote);
  for (gsize i = 0; i < len; i++)
    {
      guchar c = s[i];
      if (c == (guchar) quote || c == '\\')
        g_string_append_printf (out, "\\%c", c);
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, quote);
}

static void append_repr (GString *out, const AfnValue *self, guint depth);

static void
append_items_repr (GString *out, const AfnValue *self, guint depth)
{
  for (guint i = 0; i < self->c.len; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      append_repr (out, self->c.slots[i], depth + 1);
    }
}

static void
append_repr (GString *out, const AfnValue *self, guint depth)
{
  if (depth > 64)
    {
      g_string_append (out, "...");
      return;
    }
  switch (self->kind)
    {
    case AFN_VALUE_NONE:
      g_string_append (out, "None");
      break;
    case AFN_VALUE_BOOL:
      g_string_append (out, self->b ? "True" : "False");
      break;
    case AFN_VALUE_INT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, self->i);
      break;
    case AFN_VALUE_BIGINT:
      g_string_append (out, self->s.bytes);
      break;
    case AFN_VALUE_FLOAT:
      append_float_repr (out, self->d);
      break;
    case AFN_VALUE_STR:
      append_str_repr (out, self->s.bytes, self->s.len);
      break;
    case AFN_VALUE_LIST:
      g_string_append_c (out, '[');
      append_items_repr (out, self, depth);
      g_string_append_c (out, ']');
      break;
    case AFN_VALUE_TUPLE:
      g_string_append_c (out, '(');
      append_items_repr (out, self, depth);
      if (self->c.len == 1)
        g_string_append_c (out, ',');
      g_string_append_c (out, ')');
      break;
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      g_string_append (out, self->kind == AFN_VALUE_DICT ? "{" : "OrderedDict({");
      for (gsize i = 0; i < self->c.len; i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          append_repr (out, self->c.slots[2 * i], depth + 1);
          g_string_append (out, ": ");
          append_repr (out, self->c.slots[2 * i + 1], depth + 1);
        }
      g_string_append (out, self->kind == AFN_VALUE_DICT ? "}" : "})");
      break;
    case AFN_VALUE_OBJECT:
      g_string_append_printf (out, "<%s>", G_OBJECT_TYPE_NAME (self->object));
      break;
    case AFN_VALUE_GRADIENT_EDGE:
      g_string_append_printf (out, "GradientEdge(node=%s, output_nr=%" G_GINT64_FORMAT ")",
                              self->edge.node ? afn_node_get_name (self->edge.node) : "None",
                              self->edge.output_nr);
      break;
    case AFN_VALUE_GLOBAL:
      g_string_append_printf (out, "<global %s.%s>", self->global.module, self->global.name);
      break;
    default:
      g_assert_not_reached ();
    }
}

char *
afn_value_to_repr (const AfnValue *self)
{
  GString *out = g_string_new (NULL);
  g_return_val_if_fail (self != NULL, NULL);
  append_repr (out, self, 0);
  return g_string_free (out, FALSE);
}

char *
afn_value_to_text (const AfnValue *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  if (self->kind == AFN_VALUE_STR)
    return g_memdup2 (self->s.bytes, self->s.len + 1);
  return afn_value_to_repr (self);
}

AfnValue *
afn_value_deep_copy (const AfnValue *self)
{
  AfnValue *copy;

  g_return_val_if_fail (self != NULL, NULL);
  switch (self->kind)
    {
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      copy = value_alloc (self->kind);
      reserve_slots (copy, n_slots (self));
      for (gsize i = 0, n = n_slots (self); i < n; i++)
        copy->c.slots[i] = afn_value_deep_copy (self->c.slots[i]);
      copy->c.len = self->c.len;
      if (self->c.attrs != NULL)
        copy->c.attrs = afn_value_deep_copy (self->c.attrs);
      return copy;
    default:
      /* Scalars are immutable and objects are shared: a reference will do. */
      return afn_value_ref ((AfnValue *) self);
    }
}
