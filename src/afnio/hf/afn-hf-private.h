/* afn-hf-private.h: what the .hf codec's files share with each other.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-hf.h"
#include "afnio.h"

G_BEGIN_DECLS

/* The classes and functions a pickle may name, by their raw spelling. */
typedef enum {
  HF_GLOBAL_NONE,
  HF_GLOBAL_VARIABLE,        /* afnio._variable Variable */
  HF_GLOBAL_PARAMETER,       /* afnio.cognitive.parameter Parameter */
  HF_GLOBAL_NODE,            /* afnio.autodiff.graph Node */
  HF_GLOBAL_GRADIENT_EDGE,   /* afnio.autodiff.graph GradientEdge */
  HF_GLOBAL_ORDERED_DICT,    /* collections OrderedDict */
  HF_GLOBAL_RECONSTRUCTOR,   /* copy_reg _reconstructor (protocols 0 and 1) */
  HF_GLOBAL_OBJECT,          /* __builtin__ object */
  HF_GLOBAL_TUPLE,           /* __builtin__ tuple */
  HF_GLOBAL_INERT,           /* referenced, never called: sum, exact_match_fn */
  HF_N_GLOBALS,
} HfGlobal;

/* Which allow-listed global @module/@name is, or HF_GLOBAL_NONE. */
HfGlobal hf_global_lookup (const char *module, gsize module_len, const char *name, gsize name_len);
/* Python 3 spelling of a raw module name ("__builtin__" -> "builtins"), and
 * the Python 2 spelling protocol 2 writes ("builtins" -> "__builtin__"). */
const char *hf_module_py3 (const char *raw);
const char *hf_module_py2 (const char *name);

/* The keys of a Variable's pickled __dict__, in afnio's order. */
typedef enum {
  HF_VKEY_VARIABLE_ID,
  HF_VKEY_INITIALIZED,
  HF_VKEY_PENDING_GRAD_FN_ID,
  HF_VKEY_PENDING_GRAD,
  HF_VKEY_PENDING_DATA,
  HF_VKEY_DATA,
  HF_VKEY_ROLE,
  HF_VKEY_REQUIRES_GRAD,
  HF_VKEY_RETAIN_GRAD,
  HF_VKEY_GRAD,
  HF_VKEY_OUTPUT_NR,
  HF_VKEY_GRAD_FN,
  HF_VKEY_IS_LEAF,
  HF_N_VKEYS,
  HF_VKEY_OTHER = HF_N_VKEYS,
} HfVarKey;

typedef enum {
  HF_NKEY_NEXT_FUNCTIONS,
  HF_NKEY_NAME,
  HF_NKEY_NODE_ID,
  HF_N_NKEYS,
  HF_NKEY_OTHER = HF_N_NKEYS,
} HfNodeKey;

HfVarKey    hf_var_key (const char *s, gsize len);
HfNodeKey   hf_node_key (const char *s, gsize len);
/* Process-wide interned key strings (one AfnValue per name), so that keys of
 * objects made here are memoized once, as CPython's interned names are. */
AfnValue   *hf_var_key_value (HfVarKey key);     /* transfer none */
AfnValue   *hf_node_key_value (HfNodeKey key);   /* transfer none */

/* Remembers which key each position of the last __dict__ held: every
 * Variable in a file has the same key objects, so classifying them is a
 * pointer comparison. Holds references; clear with hf_key_cache_clear(). */
#define HF_KEY_CACHE_SIZE 16
typedef struct {
  AfnValue *key[HF_KEY_CACHE_SIZE];
  int       kind[HF_KEY_CACHE_SIZE];
} HfKeyCache;

HfVarKey    hf_key_cache_var_key (HfKeyCache *cache, guint position, AfnValue *key);
void        hf_key_cache_clear (HfKeyCache *cache);

/* Builds an engine object from its pickled __dict__ (@state, a DICT).
 * The state is kept as the object's py_state. @cache may be NULL.
 * Transfer full. */
AfnValue   *hf_build_variable (GType type, AfnValue *state, HfKeyCache *cache, GError **error);
/* The same; with @canon_keys (HF_N_VKEYS slots, NULL until the first
 * use, references owned by the caller), a state that the writer would
 * reproduce byte for byte from the Variable alone is not kept at all. */
AfnValue   *hf_build_variable_full (GType type, AfnValue *state, HfKeyCache *cache,
                                    AfnValue **canon_keys, GError **error);
AfnValue   *hf_build_node (AfnValue *state, GError **error);

/* Python truthiness of a stored flag. */
gboolean    hf_value_truthy (const AfnValue *v);

/* Validates "surrogatepass" UTF-8 (NUL allowed). */
gboolean    hf_utf8_valid (const guint8 *s, gsize len);

/* afn_pickle_loads's first pass over @data, a page-aligned private
 * mapping (data.pkl from hf_zip_read) that the reader gives back to the
 * kernel as it reads: @data holds zeros behind the cursor afterwards. When
 * *@again is set, the result must be loaded afresh with afn_pickle_loads
 * from new bytes. */
AfnValue   *hf_pickle_loads_consuming (const guint8 *data, gsize len, const AfnHfLimits *limits,
                                       int *protocol, gboolean *again, GError **error);

/* Zip container. data.pkl comes in an anonymous mapping of its own. */
gboolean    hf_zip_read (GBytes *archive, const AfnHfLimits *limits,
                         GBytes **data_pkl, GPtrArray **other_names, GPtrArray **other_data,
                         GError **error);
GBytes     *hf_zip_write (GBytes *data_pkl, GPtrArray *names, GPtrArray *data, GError **error);

/* The allowed depth of value trees handed to the writer and renderer. */
#define HF_MAX_WRITE_DEPTH 100000

G_END_DECLS

G_BEGIN_DECLS

/* A parsed JSON document, kept exact: numbers keep their text, strings their
 * bytes (a lone \udXXX escape becomes its surrogatepass bytes). Used by
 * `afnio pack` and by tests that compare renderings structurally. */
typedef enum {
  HF_JSON_NULL,
  HF_JSON_TRUE,
  HF_JSON_FALSE,
  HF_JSON_NUMBER,
  HF_JSON_STRING,
  HF_JSON_ARRAY,
  HF_JSON_OBJECT,
} HfJsonKind;

typedef struct _HfJson HfJson;
struct _HfJson {
  HfJsonKind kind;
  char      *text;     /* NUMBER: as written; STRING: bytes (NUL-terminated) */
  gsize      len;      /* STRING: byte length */
  GPtrArray *items;    /* ARRAY: HfJson*; OBJECT: HfJson* values */
  GPtrArray *keys;     /* OBJECT: HfJson* (STRING) keys, in order */
};

HfJson  *hf_json_parse (const char *text, gsize len, GError **error);
void     hf_json_free (HfJson *node);
HfJson  *hf_json_get (HfJson *object, const char *key);   /* transfer none, nullable */
/* Structural equality: object key order ignored, numbers compared as
 * int64 when integral text, else as double bits (so -0.0 != 0.0). On a
 * difference, *where says the JSON path. */
gboolean hf_json_equal (HfJson *a, HfJson *b, char **where);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HfJson, hf_json_free)

G_END_DECLS
