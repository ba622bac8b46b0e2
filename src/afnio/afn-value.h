/* afn-value.h: the value tree that Variable data and .hf files are made of.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib-object.h>
#include "afn-types.h"

G_BEGIN_DECLS

/**
 * AfnValueKind:
 * The kinds of value that afnio files and Variables hold. Every value that a
 * real afnio file holds round-trips through these without loss:
 *
 * - %AFN_VALUE_STR holds bytes in Python's "surrogatepass" UTF-8: valid
 *   UTF-8, except that a lone surrogate U+D800..U+DFFF is encoded as its
 *   three bytes (ED A0 80 for U+D800). NUL bytes are allowed; the length is
 *   explicit. Use afn_value_dup_display_string() for text shown to people.
 * - %AFN_VALUE_INT is a gint64; integers outside int64 are %AFN_VALUE_BIGINT,
 *   kept as their decimal text ("-1267650600228229401496703205376").
 * - %AFN_VALUE_FLOAT is a double, -0.0, NaN and infinities included.
 * - %AFN_VALUE_DICT and %AFN_VALUE_ORDERED_DICT keep insertion order and
 *   keys of any kind; an ordered dict also has "attrs" (its instance
 *   __dict__, e.g. `_metadata`), a dict value or %NULL.
 * - %AFN_VALUE_OBJECT holds a GObject: an #AfnVariable (or #AfnParameter)
 *   or an #AfnNode.
 * - %AFN_VALUE_GRADIENT_EDGE is afnio's GradientEdge(node, output_nr); the
 *   node may be %NULL.
 * - %AFN_VALUE_GLOBAL is an inert reference to a Python global
 *   ("__builtin__", "sum"), kept with its raw spelling and never called.
 *
 * Values are reference counted; sharing a list between two places means
 * holding two references to one #AfnValue, and identity is pointer identity.
 * Containers are mutable; scalars are immutable.
 */
typedef enum {
  AFN_VALUE_NONE,
  AFN_VALUE_BOOL,
  AFN_VALUE_INT,
  AFN_VALUE_BIGINT,
  AFN_VALUE_FLOAT,
  AFN_VALUE_STR,
  AFN_VALUE_LIST,
  AFN_VALUE_TUPLE,
  AFN_VALUE_DICT,
  AFN_VALUE_ORDERED_DICT,
  AFN_VALUE_OBJECT,
  AFN_VALUE_GRADIENT_EDGE,
  AFN_VALUE_GLOBAL,
} AfnValueKind;

#define AFN_TYPE_VALUE (afn_value_get_type ())
GType afn_value_get_type (void) G_GNUC_CONST;

/* Constructors: all return a new reference (transfer full). */
AfnValue *afn_value_new_none (void);
AfnValue *afn_value_new_bool (gboolean b);
AfnValue *afn_value_new_int (gint64 i);
/* @decimal: optional '-' then digits. Returns an INT when it fits int64. */
AfnValue *afn_value_new_bigint (const char *decimal);
AfnValue *afn_value_new_float (double d);
/* @len: byte length, or -1 for a NUL-terminated string. Bytes are copied. */
AfnValue *afn_value_new_str (const char *s, gssize len);
/* Takes ownership of @s (allocated with g_malloc, @len bytes, NUL added by caller or not needed). */
AfnValue *afn_value_new_str_take (char *s, gsize len);
AfnValue *afn_value_new_list (void);
AfnValue *afn_value_new_tuple (void);
AfnValue *afn_value_new_dict (void);
AfnValue *afn_value_new_ordered_dict (void);
/* @object: an AfnVariable or AfnNode; a reference is taken. */
AfnValue *afn_value_new_object (gpointer object);
/* @node: (nullable): a reference is taken. */
AfnValue *afn_value_new_gradient_edge (AfnNode *node, gint64 output_nr);
AfnValue *afn_value_new_global (const char *module, const char *name);

AfnValue *afn_value_ref (AfnValue *self);
void      afn_value_unref (AfnValue *self);

AfnValueKind afn_value_kind (const AfnValue *self);
const char  *afn_value_kind_name (AfnValueKind kind);

/* Scalar accessors; calling one on the wrong kind is a programmer error. */
gboolean    afn_value_get_bool (const AfnValue *self);
gint64      afn_value_get_int (const AfnValue *self);
const char *afn_value_get_bigint (const AfnValue *self);   /* decimal text, transfer none */
double      afn_value_get_float (const AfnValue *self);
/* Returns the bytes (always followed by a NUL, which @len does not count). */
const char *afn_value_get_str (const AfnValue *self, gsize *len);
/* A valid-UTF-8 copy for display: lone surrogates become U+FFFD. Transfer full. */
char       *afn_value_dup_display_string (const AfnValue *self);
gpointer    afn_value_get_object (const AfnValue *self);   /* transfer none */
AfnNode    *afn_value_get_edge_node (const AfnValue *self); /* transfer none, nullable */
gint64      afn_value_get_edge_output_nr (const AfnValue *self);
const char *afn_value_get_global_module (const AfnValue *self);
const char *afn_value_get_global_name (const AfnValue *self);

/* Sequences (LIST, TUPLE) and mappings (DICT, ORDERED_DICT). */
guint     afn_value_n_items (const AfnValue *self);
AfnValue *afn_value_get_item (const AfnValue *self, guint i);   /* transfer none */
/* Appends to a LIST or TUPLE; takes ownership of @item. */
void      afn_value_append_take (AfnValue *self, AfnValue *item);
/* Replaces item @i of a LIST; takes ownership of @item. */
void      afn_value_set_item_take (AfnValue *self, guint i, AfnValue *item);
/* Mappings: item @i is (key i, value i) in insertion order. */
AfnValue *afn_value_get_key (const AfnValue *self, guint i);    /* transfer none */
/* Sets @key to @value (both taken), replacing the value in place when an
 * equal key exists (Python semantics: the key keeps its position). */
void      afn_value_dict_set_take (AfnValue *self, AfnValue *key, AfnValue *value);
/* Appends @key and @value (both taken) without looking for an equal key:
 * for callers (the .hf reader) that already know @key is new. */
void      afn_value_dict_append_take (AfnValue *self, AfnValue *key, AfnValue *value);
/* Appends @n items (LIST, TUPLE) or @n key/value pairs given as 2*@n
 * alternating values (DICT, ORDERED_DICT, without looking for equal keys),
 * taking ownership of all of them, with one allocation: for loaders. */
void      afn_value_extend_take (AfnValue *self, AfnValue **items, guint n);
/* Looks up a string key; transfer none; NULL when absent. */
AfnValue *afn_value_dict_lookup (const AfnValue *self, const char *key);
/* ORDERED_DICT attributes (a DICT), nullable, transfer none / take. */
AfnValue *afn_value_get_attrs (const AfnValue *self);
void      afn_value_set_attrs_take (AfnValue *self, AfnValue *attrs);

/* Deep structural equality. Floats compare bitwise (so -0.0 != 0.0 and NaN
 * equals NaN); objects compare by identity. */
gboolean  afn_value_equal (const AfnValue *a, const AfnValue *b);
/* Python-like repr for messages and printing ("'abc'", "[1, 2.5]"). Transfer full. */
char     *afn_value_to_repr (const AfnValue *self);
/* The value as text without quotes for a STR, repr otherwise. Transfer full. */
char     *afn_value_to_text (const AfnValue *self);
/* A deep copy of containers (objects are shared, not copied). */
AfnValue *afn_value_deep_copy (const AfnValue *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnValue, afn_value_unref)

G_END_DECLS
