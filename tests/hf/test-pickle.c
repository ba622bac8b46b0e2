/* test-pickle.c: the pickle layer, the container and the API on crafted input.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <zip.h>

#include "afn-hf-private.h"
#include "afn-variable-private.h"
#include "../main-loop-util.h"

#define P(lit) ((const guint8 *) (lit)), (sizeof (lit) - 1)

static AfnValue *
loads_ok (const guint8 *data, gsize len)
{
  GError *error = NULL;
  AfnValue *v = afn_pickle_loads (data, len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (v);
  return v;
}

static void
assert_refused (const guint8 *data, gsize len, const AfnHfLimits *limits, AfnHfError code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  AfnValue *v = afn_pickle_loads (data, len, limits, NULL, &error);
  g_assert_null (v);
  g_assert_error (error, AFN_HF_ERROR, (gint) code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, needle);
}

static GBytes *
dumps_ok (AfnValue *v)
{
  GError *error = NULL;
  GBytes *b = afn_pickle_dumps (v, &error);
  g_assert_no_error (error);
  return b;
}

static void
test_identity (void)
{
  /* (L, L): one list twice; ("a", "a") through the memo: one string. */
  g_autoptr(AfnValue) t = loads_ok (P ("\x80\x02(]q\x00h\x00X\x01\x00\x00\x00" "aq\x01h\x01t."));
  g_assert_cmpint (afn_value_kind (t), ==, AFN_VALUE_TUPLE);
  g_assert_true (afn_value_get_item (t, 0) == afn_value_get_item (t, 1));
  g_assert_true (afn_value_get_item (t, 2) == afn_value_get_item (t, 3));
  {
    /* And a re-save writes the second occurrences as BINGETs again. */
    g_autoptr(GBytes) b = dumps_ok (t);
    g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b),
                     "\x80\x02(]q\x00h\x00X\x01\x00\x00\x00" "aq\x01h\x01tq\x02.", 22);
  }
}

static void
test_cycles_refused (void)
{
  /* A list that contains itself, at the root and off it. */
  assert_refused (P ("\x80\x02]q\x00h\x00" "a."), NULL, AFN_HF_ERROR_CORRUPT, "contains itself");
  assert_refused (P ("\x80\x02]q\x00" "0h\x00h\x00" "a0N."), NULL, AFN_HF_ERROR_CORRUPT, NULL);
  /* A dict reached from its own value. */
  assert_refused (P ("\x80\x02}q\x00K\x01h\x00s."), NULL, AFN_HF_ERROR_CORRUPT, NULL);
  /* Unhashable keys are refused as Python refuses them. */
  assert_refused (P ("\x80\x02}]K\x01s."), NULL, AFN_HF_ERROR_CORRUPT, "unhashable");
}

static void
test_globals (void)
{
  /* Referenced only: kept as an inert global and written back unchanged. */
  g_autoptr(AfnValue) g = loads_ok (P ("\x80\x02" "c__builtin__\nsum\nq\x00."));
  g_autoptr(GBytes) b = dumps_ok (g);
  g_assert_cmpint (afn_value_kind (g), ==, AFN_VALUE_GLOBAL);
  g_assert_cmpmem (g_bytes_get_data (b, NULL), g_bytes_get_size (b), "\x80\x02" "c__builtin__\nsum\nq\x00.", 22);
  /* Protocol 4 spells it builtins; protocol 2 writes __builtin__, as fix_imports does. */
  {
    g_autoptr(AfnValue) g4 = loads_ok (P ("\x80\x04\x8c\x08" "builtins\x8c\x03sum\x93."));
    g_autoptr(GBytes) b4 = dumps_ok (g4);
    g_assert_cmpstr (afn_value_get_global_module (g4), ==, "builtins");
    g_assert_cmpmem (g_bytes_get_data (b4, NULL), g_bytes_get_size (b4), "\x80\x02" "c__builtin__\nsum\nq\x00.", 22);
  }
  /* Calling it is refused by name, whatever the opcode. */
  assert_refused (P ("\x80\x02" "c__builtin__\nsum\n)R."), NULL, AFN_HF_ERROR_UNSAFE_GLOBAL, "__builtin__.sum");
  assert_refused (P ("\x80\x02" "c__main__\nexact_match_fn\n)\x81."), NULL, AFN_HF_ERROR_UNSAFE_GLOBAL, "exact_match_fn");
  /* Anything not on the list is refused when named, before any call. */
  assert_refused (P ("\x80\x02" "cos\nsystem\n."), NULL, AFN_HF_ERROR_UNSAFE_GLOBAL, "os.system");
  assert_refused (P ("(ios\nsystem\nS'x'\n."), NULL, AFN_HF_ERROR_UNSAFE_GLOBAL, "os.system");
  assert_refused (P ("\x80\x04\x8c\x08" "builtins\x8c\x04" "eval\x93."), NULL, AFN_HF_ERROR_UNSAFE_GLOBAL, "builtins.eval");
  /* The Python 3 spelling of an allowed Python 2 name is a different name. */
  assert_refused (P ("\x80\x02" "ccopyreg\n_reconstructor\n."), NULL, AFN_HF_ERROR_UNSAFE_GLOBAL, NULL);
  /* Allowed classes with unexpected arguments are malformed, not called. */
  assert_refused (P ("\x80\x02" "ccollections\nOrderedDict\nK\x01\x85R."), NULL, AFN_HF_ERROR_CORRUPT, NULL);
}

static void
test_opcodes (void)
{
  g_autoptr(AfnValue) l = NULL;
  gsize len;
  const char *s;

  /* Protocol 0 text forms. */
  l = loads_ok (P ("(lp0\nI01\naI00\naI-7\naL123456789012345678901234567890L\naF-0.0\naFnan\n"
                   "aVa\\u00e9\\U0001f600\\\\x\xe9\naI9223372036854775808\na."));
  g_assert_cmpuint (afn_value_n_items (l), ==, 8);
  g_assert_true (afn_value_get_bool (afn_value_get_item (l, 0)));
  g_assert_false (afn_value_get_bool (afn_value_get_item (l, 1)));
  g_assert_cmpint (afn_value_get_int (afn_value_get_item (l, 2)), ==, -7);
  g_assert_cmpstr (afn_value_get_bigint (afn_value_get_item (l, 3)), ==, "123456789012345678901234567890");
  g_assert_true (signbit (afn_value_get_float (afn_value_get_item (l, 4))));
  g_assert_true (isnan (afn_value_get_float (afn_value_get_item (l, 5))));
  s = afn_value_get_str (afn_value_get_item (l, 6), &len);
  g_assert_cmpmem (s, len, "a\xc3\xa9\xf0\x9f\x98\x80\\\\x\xc3\xa9", 12);
  g_assert_cmpstr (afn_value_get_bigint (afn_value_get_item (l, 7)), ==, "9223372036854775808");

  /* LONG1 edges, BINFLOAT, MEMOIZE and FRAME (protocol 4). */
  {
    g_autoptr(AfnValue) v = loads_ok (P ("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00]\x94(\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"
                                         "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00\x8a\x00G\xbf\xf0\x00\x00\x00\x00\x00\x00" "e."));
    g_assert_cmpuint (afn_value_n_items (v), ==, 4);
    g_assert_cmpint (afn_value_get_int (afn_value_get_item (v, 0)), ==, G_MININT64);
    g_assert_cmpstr (afn_value_get_bigint (afn_value_get_item (v, 1)), ==, "9223372036854775808");
    g_assert_cmpint (afn_value_get_int (afn_value_get_item (v, 2)), ==, 0);
    g_assert_cmpfloat (afn_value_get_float (afn_value_get_item (v, 3)), ==, -1.0);
  }

  /* Unsupported opcodes are named, with their offset. */
  assert_refused (P ("\x80\x03" "B\x01\x00\x00\x00x."), NULL, AFN_HF_ERROR_UNSUPPORTED_OPCODE, "BINBYTES at byte 2");
  assert_refused (P ("\x80\x02\xff."), NULL, AFN_HF_ERROR_UNSUPPORTED_OPCODE, "0xff at byte 2");
  assert_refused (P ("\x80\x04\x8f."), NULL, AFN_HF_ERROR_UNSUPPORTED_OPCODE, "EMPTY_SET");
  /* Malformed input. */
  assert_refused (P ("\x80\x02X\x05\x00\x00\x00" "ab"), NULL, AFN_HF_ERROR_TRUNCATED, NULL);
  assert_refused (P ("\x80\x02N"), NULL, AFN_HF_ERROR_TRUNCATED, "STOP");
  assert_refused (P (""), NULL, AFN_HF_ERROR_TRUNCATED, NULL);
  assert_refused (P ("\x80\x02" "a."), NULL, AFN_HF_ERROR_CORRUPT, NULL);
  assert_refused (P ("\x80\x02NN."), NULL, AFN_HF_ERROR_CORRUPT, NULL);
  assert_refused (P ("\x80\x02X\x01\x00\x00\x00\xff."), NULL, AFN_HF_ERROR_CORRUPT, "UTF-8");
  assert_refused (P ("\x80\x02h\x03."), NULL, AFN_HF_ERROR_CORRUPT, "Memo index 3");
  assert_refused (P ("\x80\x09N."), NULL, AFN_HF_ERROR_UNSUPPORTED_OPCODE, "protocol 9");
  /* A Variable whose state never arrives, or is used before it does. */
  assert_refused (P ("\x80\x02" "cafnio._variable\nVariable\n)\x81."), NULL, AFN_HF_ERROR_CORRUPT, NULL);
  assert_refused (P ("\x80\x02" "cafnio._variable\nVariable\n)\x81q\x00}(X\x05\x00\x00\x00_datah\x00ub."),
                  NULL, AFN_HF_ERROR_CORRUPT, "before its state");
}

static void
test_limits (void)
{
  AfnHfLimits limits;

  afn_hf_limits_init (&limits);
  limits.max_depth = 5;
  assert_refused (P ("\x80\x02]]]]]]]."), &limits, AFN_HF_ERROR_TOO_DEEP, NULL);
  assert_refused (P ("\x80\x02((((((."), &limits, AFN_HF_ERROR_TOO_DEEP, NULL);
  /* Depth through the memo: each list appended to the one before. */
  assert_refused (P ("\x80\x02]q\x00" "0]q\x01" "0]q\x02" "0]q\x03" "0]q\x04" "0]q\x05" "0]q\x06"
                     "0h\x00h\x01" "a0h\x01h\x02" "a0h\x02h\x03" "a0h\x03h\x04" "a0h\x04h\x05" "a0h\x05h\x06"
                     "a0h\x00."),
                  &limits, AFN_HF_ERROR_TOO_DEEP, "nests deeper");
  afn_hf_limits_init (&limits);
  limits.max_memo = 10;
  assert_refused (P ("\x80\x02Nr\x0b\x00\x00\x00."), &limits, AFN_HF_ERROR_TOO_LARGE, "Memo index 11");
  assert_refused (P ("Np99999999999\n."), NULL, AFN_HF_ERROR_TOO_LARGE, NULL);
}

/* Python's batching: dict exact (empty last batch at 1000), OrderedDict via
 * its items iterator (lone SETITEM), list (no empty batch). */
static void
test_batching (void)
{
  g_autoptr(AfnValue) d = afn_value_new_dict ();
  g_autoptr(AfnValue) od = afn_value_new_ordered_dict ();
  g_autoptr(AfnValue) l = afn_value_new_list ();
  g_autoptr(GBytes) bd = NULL, bod = NULL, bl = NULL, bempty = NULL;
  g_autoptr(AfnValue) empty = afn_value_new_ordered_dict ();
  const char *p;
  gsize n;

  for (int i = 0; i < 1000; i++)
    {
      afn_value_dict_set_take (d, afn_value_new_int (i), afn_value_new_int (i));
      afn_value_append_take (l, afn_value_new_int (i));
    }
  for (int i = 0; i < 1001; i++)
    afn_value_dict_set_take (od, afn_value_new_int (i), afn_value_new_int (i));
  bd = dumps_ok (d);
  bod = dumps_ok (od);
  bl = dumps_ok (l);
  bempty = dumps_ok (empty);
  p = g_bytes_get_data (bd, &n);
  g_assert_cmpmem (p + n - 4, 4, "u(u.", 4);
  p = g_bytes_get_data (bod, &n);
  g_assert_cmpmem (p + n - 9, 9, "uM\xe8\x03M\xe8\x03s.", 9);
  p = g_bytes_get_data (bl, &n);
  g_assert_cmpmem (p + n - 8, 8, "M\xe6\x03M\xe7\x03" "e.", 8);
  p = g_bytes_get_data (bempty, &n);
  g_assert_cmpmem (p, n, "\x80\x02" "ccollections\nOrderedDict\nq\x00)Rq\x01.", 34);

  /* A big dict read back keeps Python semantics for a repeated key. */
  {
    g_autoptr(GString) s = g_string_new ("\x80\x02}(");
    g_autoptr(AfnValue) v = NULL;
    for (int i = 0; i < 40; i++)
      {
        g_string_append_len (s, "X\x02\x00\x00\x00k", 6);
        g_string_append_c (s, (char) ('A' + i));
        g_string_append_c (s, 'K');
        g_string_append_c (s, (char) i);
      }
    g_string_append_len (s, "X\x02\x00\x00\x00kCK\x63u.", 11);
    v = loads_ok ((const guint8 *) s->str, s->len);
    g_assert_cmpuint (afn_value_n_items (v), ==, 40);
    g_assert_cmpint (afn_value_get_int (afn_value_dict_lookup (v, "kC")), ==, 0x63);
  }
}

/* Objects made in this process have no py_state: the canonical __dict__. */
static AfnVariable *
item_variable (AfnValue *list, guint i)
{
  return afn_value_get_object (afn_value_get_item (list, i));
}

/* A Variable whose __dict__ the writer would write from the Variable alone
 * keeps no copy of it; one whose key object is also used elsewhere keeps
 * it, and both re-save byte for byte. */
static void
test_canonical_state (void)
{
  g_autoptr(AfnVariable) a = afn_variable_new_str ("Hello", "first", TRUE);
  g_autoptr(AfnVariable) g = afn_variable_new_str ("better", "grad", FALSE);
  g_autoptr(AfnVariable) c = afn_variable_new_str ("World", "second", FALSE);
  g_autoptr(AfnValue) list = afn_value_new_list ();
  g_autoptr(AfnValue) back = NULL, back2 = NULL;
  g_autoptr(GBytes) b = NULL, again = NULL, b2 = NULL, again2 = NULL;

  g_assert_true (afn_variable_append_grad (a, g, NULL));
  afn_value_append_take (list, afn_value_new_object (a));
  afn_value_append_take (list, afn_value_new_object (c));
  b = dumps_ok (list);
  back = loads_ok (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_assert_null (afn_variable_get_py_state (item_variable (back, 0)));
  g_assert_null (afn_variable_get_py_state (item_variable (back, 1)));
  g_assert_null (afn_variable_get_py_state (afn_variable_get_grad (item_variable (back, 0), 0)));
  g_assert_cmpstr (afn_variable_get_role (item_variable (back, 1)), ==, "second");
  again = dumps_ok (back);
  g_assert_true (g_bytes_equal (b, again));

  /* The key "role" itself, fetched again as a list item. */
  afn_value_append_take (list, afn_value_ref (hf_var_key_value (HF_VKEY_ROLE)));
  b2 = dumps_ok (list);
  back2 = loads_ok (g_bytes_get_data (b2, NULL), g_bytes_get_size (b2));
  g_assert_cmpuint (afn_value_n_items (afn_variable_get_py_state (item_variable (back2, 0))), ==, 13);
  g_assert_true (afn_value_get_item (back2, 2) ==
                 afn_value_get_key (afn_variable_get_py_state (item_variable (back2, 1)), HF_VKEY_ROLE));
  again2 = dumps_ok (back2);
  g_assert_true (g_bytes_equal (b2, again2));
}

static void
test_engine_objects (void)
{
  g_autoptr(AfnVariable) a = afn_variable_new_str ("Hello", "first", TRUE);
  g_autoptr(AfnVariable) g = afn_variable_new_str ("better", "grad", FALSE);
  g_autoptr(AfnValue) list = afn_value_new_list ();
  g_autoptr(AfnValue) back = NULL;
  g_autoptr(GBytes) b = NULL;
  g_autofree char *json1 = NULL, *json2 = NULL;
  AfnVariable *a2;

  g_assert_true (afn_variable_append_grad (a, g, NULL));
  afn_value_append_take (list, afn_value_new_object (a));
  afn_value_append_take (list, afn_value_new_object (a));
  b = dumps_ok (list);
  back = loads_ok (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  json1 = afn_hf_value_to_json (list);
  json2 = afn_hf_value_to_json (back);
  g_assert_cmpstr (json1, ==, json2);
  a2 = afn_value_get_object (afn_value_get_item (back, 0));
  g_assert_true (afn_value_get_object (afn_value_get_item (back, 1)) == a2);
  g_assert_cmpstr (afn_variable_get_role (a2), ==, "first");
  g_assert_cmpuint (afn_variable_n_grads (a2), ==, 1);
  g_assert_cmpuint (afn_value_n_items (afn_variable_get_py_state (a2)), ==, 13);
  g_assert_nonnull (strstr (json2, "\"attr_order\": [\"variable_id\", \"_initialized\""));
}

/* --- Container --------------------------------------------------------------- */

static GBytes *
make_zip (const char *name, const void *data, gsize len, gboolean store)
{
  zip_source_t *out = zip_source_buffer_create (NULL, 0, 0, NULL);
  zip_t *za;
  zip_source_t *src;
  zip_int64_t idx;
  zip_stat_t st;
  guint8 *buf;

  zip_source_keep (out);
  za = zip_open_from_source (out, ZIP_TRUNCATE, NULL);
  src = zip_source_buffer (za, data, len, 0);
  idx = zip_file_add (za, name, src, 0);
  zip_set_file_compression (za, (zip_uint64_t) idx, store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0);
  g_assert_cmpint (zip_close (za), ==, 0);
  zip_stat_init (&st);
  g_assert_cmpint (zip_source_stat (out, &st), ==, 0);
  g_assert_cmpint (zip_source_open (out), ==, 0);
  buf = g_malloc (st.size);
  g_assert_cmpint (zip_source_read (out, buf, st.size), ==, (zip_int64_t) st.size);
  zip_source_close (out);
  zip_source_free (out);
  return g_bytes_new_take (buf, st.size);
}

static void
assert_load_refused (GBytes *bytes, const AfnHfLimits *limits, AfnHfError code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnHfDocument) doc = afn_hf_document_load_bytes (bytes, limits, &error);
  g_assert_null (doc);
  g_assert_error (error, AFN_HF_ERROR, (gint) code);
}

static void
test_container (void)
{
  static const char pkl[] = "\x80\x02X\x05\x00\x00\x00helloq\x00.";
  g_autoptr(GBytes) stored = make_zip ("data.pkl", pkl, sizeof pkl - 1, TRUE);
  g_autoptr(GBytes) other = make_zip ("model.pkl", pkl, sizeof pkl - 1, FALSE);
  g_autoptr(AfnHfDocument) doc = NULL;
  GError *error = NULL;
  guint8 *bad;
  gsize n;

  /* A stored (not deflated) data.pkl reads. */
  doc = afn_hf_document_load_bytes (stored, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_value_get_str (afn_hf_document_get_value (doc), NULL), ==, "hello");
  assert_load_refused (other, NULL, AFN_HF_ERROR_MISSING_MEMBER);

  /* One flipped payload byte: the CRC no longer matches. */
  bad = (guint8 *) g_bytes_get_data (stored, &n);
  bad = g_memdup2 (bad, n);
  bad[30 + 8 + 5] ^= 0x01;
  {
    g_autoptr(GBytes) b = g_bytes_new_take (bad, n);
    assert_load_refused (b, NULL, AFN_HF_ERROR_CRC_MISMATCH);
  }
  /* The archive cut short, and no archive at all. */
  {
    g_autoptr(GBytes) cut = g_bytes_new_from_bytes (stored, 0, n - 10);
    g_autoptr(GBytes) junk = g_bytes_new_static ("hello world, no zip here", 24);
    g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
    assert_load_refused (cut, NULL, AFN_HF_ERROR_TRUNCATED);
    assert_load_refused (junk, NULL, AFN_HF_ERROR_NOT_ARCHIVE);
    assert_load_refused (empty, NULL, AFN_HF_ERROR_NOT_ARCHIVE);
  }
}

/* The limit is checked while inflating: a member that lies about its size
 * in both headers is still stopped at the limit. */
static void
test_inflate_limit (void)
{
  gsize big = 4 * 1024 * 1024;
  g_autofree guint8 *zeros = g_malloc0 (big);
  g_autoptr(GBytes) zip = make_zip ("data.pkl", zeros, big, FALSE);
  gsize n;
  const guint8 *orig = g_bytes_get_data (zip, &n);
  guint8 *p = g_memdup2 (orig, n);
  g_autoptr(GBytes) lying = NULL;
  AfnHfLimits limits;

  /* Patch the uncompressed size (local header at 22, central at 24). */
  for (gsize i = 0; i + 4 <= n; i++)
    if (memcmp (p + i, "PK\x03\x04", 4) == 0)
      memcpy (p + i + 22, "\x10\x00\x00\x00", 4);
    else if (memcmp (p + i, "PK\x01\x02", 4) == 0)
      memcpy (p + i + 24, "\x10\x00\x00\x00", 4);
  lying = g_bytes_new_take (p, n);
  afn_hf_limits_init (&limits);
  limits.max_inflated = 1024 * 1024;
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(AfnHfDocument) doc = afn_hf_document_load_bytes (lying, &limits, &error);
    g_assert_null (doc);
    g_assert_nonnull (error);
    g_test_message ("lying size: %s", error->message);
    g_assert_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_LARGE);
  }
  /* The honest archive is refused up front under the same limit. */
  assert_load_refused (zip, &limits, AFN_HF_ERROR_TOO_LARGE);
}

static void
test_members_kept (void)
{
  g_autoptr(AfnValue) v = afn_value_new_str ("x", -1);
  g_autoptr(AfnHfDocument) doc = afn_hf_document_new (v);
  g_autoptr(GBytes) extra = g_bytes_new_static ("notes", 5);
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(AfnHfDocument) again = NULL;
  GError *error = NULL;

  afn_hf_document_add_member (doc, "extra/notes.txt", extra);
  saved = afn_hf_document_save_bytes (doc, &error);
  g_assert_no_error (error);
  g_assert_cmpmem ((const char *) g_bytes_get_data (saved, NULL) + 30, 8, "data.pkl", 8);
  again = afn_hf_document_load_bytes (saved, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (afn_hf_document_get_n_members (again), ==, 1);
  g_assert_cmpstr (afn_hf_document_get_member_name (again, 0), ==, "extra/notes.txt");
  g_assert_true (g_bytes_equal (afn_hf_document_get_member_data (again, 0), extra));
}

/* --- API: files and streams, sync and async ------------------------------------ */

static void
test_api (void)
{
  g_autofree char *dir = g_dir_make_tmp ("afn-hf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "out.hf", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(AfnVariable) var = afn_variable_new_str ("You are a doctor.", "system prompt", FALSE);
  g_autoptr(AfnValue) value = afn_value_new_object (var);
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL;
  g_autoptr(AfnValue) loaded = NULL, loaded2 = NULL, loaded3 = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  GError *error = NULL;

  g_assert_true (afn_hf_save (file, value, NULL, &error));
  g_assert_no_error (error);
  loaded = afn_hf_load (file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_variable_get_role (afn_value_get_object (loaded)), ==, "system prompt");

  afn_hf_save_async (file, value, NULL, test_result_cb, &r1);
  g_assert_true (afn_hf_save_finish (test_wait_result (&r1), &error));
  g_assert_no_error (error);
  afn_hf_load_async (file, NULL, test_result_cb, &r2);
  loaded2 = afn_hf_load_finish (test_wait_result (&r2), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (afn_value_get_object (loaded2)), NULL), ==, "You are a doctor.");

  afn_hf_save_stream_async (out, value, NULL, test_result_cb, &r3);
  g_assert_true (afn_hf_save_stream_finish (test_wait_result (&r3), &error));
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, NULL);
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  in = g_memory_input_stream_new_from_bytes (bytes);
  afn_hf_load_stream_async (in, NULL, test_result_cb, &r4);
  loaded3 = afn_hf_load_stream_finish (test_wait_result (&r4), &error);
  g_assert_no_error (error);
  g_assert_cmpint (afn_value_kind (loaded3), ==, AFN_VALUE_OBJECT);

  /* A cancelled load reports cancellation and a refused one its code. */
  g_cancellable_cancel (cancelled);
  g_assert_null (afn_hf_load (file, cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  {
    g_autoptr(GInputStream) junk = g_memory_input_stream_new_from_data ("nope", 4, NULL);
    g_assert_null (afn_hf_load_stream (junk, NULL, &error));
    g_assert_error (error, AFN_HF_ERROR, AFN_HF_ERROR_NOT_ARCHIVE);
    g_clear_error (&error);
  }
  g_assert_true (g_file_delete (file, NULL, NULL));
  g_rmdir (dir);
}

/* Crashes the fuzzer found become cases here (see tests/hf/fuzz/). */
static void
test_fuzz_regressions (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "fuzz", "regressions", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *data = NULL;
      gsize len;
      g_autoptr(AfnValue) v = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (g_file_get_contents (path, &data, &len, NULL));
      if (len >= 4 && memcmp (data, "PK\x03\x04", 4) == 0)
        {
          g_autoptr(GBytes) bytes = g_bytes_new_static (data, len);
          g_autoptr(AfnHfDocument) doc = afn_hf_document_load_bytes (bytes, NULL, &error);
          v = doc != NULL ? afn_value_ref (afn_hf_document_get_value (doc)) : NULL;
        }
      else
        v = afn_pickle_loads ((const guint8 *) data, len, NULL, NULL, &error);
      g_assert_true ((v == NULL) != (error == NULL));
      if (v != NULL)
        {
          g_autoptr(GBytes) b = afn_pickle_dumps (v, NULL);
          g_autofree char *json = afn_hf_value_to_json (v);
          g_assert_nonnull (json);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hf/pickle/identity", test_identity);
  g_test_add_func ("/hf/pickle/cycles-refused", test_cycles_refused);
  g_test_add_func ("/hf/pickle/globals", test_globals);
  g_test_add_func ("/hf/pickle/opcodes", test_opcodes);
  g_test_add_func ("/hf/pickle/limits", test_limits);
  g_test_add_func ("/hf/pickle/batching", test_batching);
  g_test_add_func ("/hf/pickle/engine-objects", test_engine_objects);
  g_test_add_func ("/hf/pickle/canonical-state", test_canonical_state);
  g_test_add_func ("/hf/container/errors", test_container);
  g_test_add_func ("/hf/container/inflate-limit", test_inflate_limit);
  g_test_add_func ("/hf/container/members-kept", test_members_kept);
  g_test_add_func ("/hf/api/files-and-streams", test_api);
  g_test_add_func ("/hf/fuzz/regressions", test_fuzz_regressions);
  return g_test_run ();
}
