/* test-hf.c: .hf files against the fixture corpus written by Python afnio.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <zip.h>

#include "afn-hf-private.h"
#include "afn-variable-private.h"

static const char *
fixtures_dir (void)
{
  const char *dir = g_getenv ("AFN_FIXTURES_DIR");
  g_assert_nonnull (dir);
  return dir;
}

static char *
fixture_path (const char *name, const char *suffix)
{
  g_autofree char *base = g_strconcat (name, suffix, NULL);
  return g_build_filename (fixtures_dir (), base, NULL);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every fixture name (without .hf), sorted. */
static GPtrArray *
list_fixtures (gboolean hostile)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (fixtures_dir (), 0, NULL);
  const char *entry;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".expected.json") && g_str_has_prefix (entry, "hostile_") == hostile)
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - strlen (".expected.json")));
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >, 0);
  return names;
}

static HfJson *
load_expected (const char *name)
{
  g_autofree char *path = fixture_path (name, ".expected.json");
  g_autofree char *text = NULL;
  gsize len;
  GError *error = NULL;
  HfJson *json;

  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  json = hf_json_parse (text, len, &error);
  g_assert_no_error (error);
  return json;
}

static AfnHfDocument *
load_fixture (const char *name, GError **error)
{
  g_autofree char *path = fixture_path (name, ".hf");
  g_autoptr(GFile) file = g_file_new_for_path (path);
  return afn_hf_document_load (file, NULL, NULL, error);
}

static void
assert_renders_as (AfnValue *value, HfJson *expected, const char *name)
{
  g_autofree char *text = afn_hf_value_to_json (value);
  g_autoptr(HfJson) got = NULL;
  g_autofree char *where = NULL;
  GError *error = NULL;

  got = hf_json_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  if (!hf_json_equal (got, expected, &where))
    g_error ("%s: rendering differs at value%s", name, where);
}

/* --- Identity: walk the expected JSON and the loaded objects together ------ */

typedef struct {
  GHashTable *ids;   /* __id__ -> identity pointer */
} Walk;

static void walk_value (Walk *w, HfJson *j, AfnValue *v);

static gboolean
check_identity (Walk *w, HfJson *j, gconstpointer identity)
{
  HfJson *id = hf_json_get (j, "__id__");
  HfJson *ref = hf_json_get (j, "__ref__");

  if (ref != NULL)
    {
      gpointer seen = g_hash_table_lookup (w->ids, GINT_TO_POINTER (atoi (ref->text)));
      g_assert_nonnull (seen);
      g_assert_true (seen == identity);
      return FALSE;
    }
  if (id != NULL)
    g_hash_table_insert (w->ids, GINT_TO_POINTER (atoi (id->text)), (gpointer) identity);
  return TRUE;
}

static void
walk_node (Walk *w, HfJson *j, AfnNode *node)
{
  HfJson *next;

  if (!check_identity (w, j, node))
    return;
  next = hf_json_get (j, "next_functions");
  g_assert_cmpuint (next->items->len, ==, afn_node_get_n_next_functions (node));
  for (guint i = 0; i < next->items->len; i++)
    {
      HfJson *edge = g_ptr_array_index (next->items, i);
      HfJson *jn = hf_json_get (edge, "node");
      AfnNode *n = afn_node_get_next_function (node, i, NULL);
      if (jn->kind == HF_JSON_NULL)
        g_assert_null (n);
      else
        walk_node (w, jn, n);
    }
}

static void
walk_variable (Walk *w, HfJson *j, AfnVariable *var)
{
  HfJson *grad, *fn;

  if (!check_identity (w, j, var))
    return;
  walk_value (w, hf_json_get (j, "data"), afn_variable_get_data (var));
  grad = hf_json_get (j, "grad");
  g_assert_cmpuint (grad->items->len, ==, afn_variable_n_grads (var));
  for (guint i = 0; i < grad->items->len; i++)
    walk_variable (w, g_ptr_array_index (grad->items, i), afn_variable_get_grad (var, i));
  fn = hf_json_get (j, "grad_fn");
  if (fn->kind != HF_JSON_NULL)
    walk_node (w, fn, afn_variable_get_grad_fn (var));
}

static void
walk_items (Walk *w, HfJson *items, AfnValue *v)
{
  g_assert_cmpuint (items->items->len, ==, afn_value_n_items (v));
  for (guint i = 0; i < items->items->len; i++)
    walk_value (w, g_ptr_array_index (items->items, i), afn_value_get_item (v, i));
}

static void
walk_pairs (Walk *w, HfJson *items, AfnValue *v)
{
  g_assert_cmpuint (items->items->len, ==, afn_value_n_items (v));
  for (guint i = 0; i < items->items->len; i++)
    {
      HfJson *pair = g_ptr_array_index (items->items, i);
      walk_value (w, g_ptr_array_index (pair->items, 0), afn_value_get_key (v, i));
      walk_value (w, g_ptr_array_index (pair->items, 1), afn_value_get_item (v, i));
    }
}

static void
walk_value (Walk *w, HfJson *j, AfnValue *v)
{
  const char *tag;

  if (j->kind == HF_JSON_ARRAY)
    {
      g_assert_cmpint (afn_value_kind (v), ==, AFN_VALUE_LIST);
      walk_items (w, j, v);
      return;
    }
  if (j->kind != HF_JSON_OBJECT)
    return;
  if (afn_value_kind (v) == AFN_VALUE_OBJECT)
    {
      GObject *o = afn_value_get_object (v);
      if (AFN_IS_VARIABLE (o))
        walk_variable (w, j, AFN_VARIABLE (o));
      else
        walk_node (w, j, AFN_NODE (o));
      return;
    }
  if (afn_value_kind (v) == AFN_VALUE_GRADIENT_EDGE)
    {
      HfJson *jn = hf_json_get (j, "node");
      if (jn->kind != HF_JSON_NULL)
        walk_node (w, jn, afn_value_get_edge_node (v));
      return;
    }
  if (!check_identity (w, j, v))
    return;
  tag = hf_json_get (j, "__type__")->text;
  if (g_str_equal (tag, "list") || g_str_equal (tag, "tuple"))
    walk_items (w, hf_json_get (j, "items"), v);
  else if (g_str_equal (tag, "dict") || g_str_equal (tag, "OrderedDict"))
    walk_pairs (w, hf_json_get (j, "items"), v);
}

/* --- Tests ------------------------------------------------------------------- */

static void
test_fixtures_dump (void)
{
  g_autoptr(GPtrArray) names = list_fixtures (FALSE);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr(HfJson) expected = load_expected (name);
      g_autoptr(AfnHfDocument) doc = NULL;
      GError *error = NULL;
      Walk w = { g_hash_table_new (NULL, NULL) };

      g_test_message ("fixture %s", name);
      doc = load_fixture (name, &error);
      g_assert_no_error (error);
      assert_renders_as (afn_hf_document_get_value (doc), hf_json_get (expected, "value"), name);
      walk_value (&w, hf_json_get (expected, "value"), afn_hf_document_get_value (doc));
      g_hash_table_unref (w.ids);
    }
}

static void
test_fixtures_resave (void)
{
  g_autoptr(GPtrArray) names = list_fixtures (FALSE);
  AfnHfLimits limits;
  guint n_identical = 0;

  afn_hf_limits_init (&limits);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr(HfJson) expected = load_expected (name);
      g_autoptr(AfnHfDocument) doc = NULL;
      g_autoptr(AfnHfDocument) again = NULL;
      g_autoptr(GBytes) saved = NULL;
      g_autoptr(GBytes) pkl = NULL;
      g_autofree char *sha = NULL;
      GError *error = NULL;

      doc = load_fixture (name, &error);
      g_assert_no_error (error);
      saved = afn_hf_document_save_bytes (doc, &error);
      g_assert_no_error (error);
      /* data.pkl comes first in what we write. */
      g_assert_cmpmem (g_bytes_get_data (saved, NULL), 4, "PK\x03\x04", 4);
      g_assert_cmpmem ((const char *) g_bytes_get_data (saved, NULL) + 30, 8, "data.pkl", 8);
      g_assert_true (hf_zip_read (saved, &limits, &pkl, NULL, NULL, &error));
      g_assert_no_error (error);
      if (atoi (hf_json_get (expected, "pickle_protocol")->text) == 2)
        {
          sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, pkl);
          if (!g_str_equal (sha, hf_json_get (expected, "data_pkl_sha256")->text))
            g_error ("%s: re-saved data.pkl differs from the original", name);
          n_identical++;
        }
      /* Every protocol re-saves as 2 and still loads to the same value. */
      again = afn_hf_document_load_bytes (saved, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (afn_hf_document_get_protocol (again), ==, 2);
      assert_renders_as (afn_hf_document_get_value (again), hf_json_get (expected, "value"), name);
    }
  g_assert_cmpuint (n_identical, >=, 40);
}

static void
test_fixtures_pack_roundtrip (void)
{
  g_autoptr(GPtrArray) names = list_fixtures (FALSE);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr(HfJson) expected = load_expected (name);
      g_autoptr(AfnHfDocument) doc = NULL;
      g_autoptr(AfnValue) packed = NULL;
      g_autoptr(AfnValue) reloaded = NULL;
      g_autoptr(GBytes) pkl = NULL;
      g_autofree char *json = NULL;
      GError *error = NULL;

      doc = load_fixture (name, &error);
      g_assert_no_error (error);
      json = afn_hf_value_to_json (afn_hf_document_get_value (doc));
      packed = afn_hf_value_from_json (json, -1, &error);
      g_assert_no_error (error);
      assert_renders_as (packed, hf_json_get (expected, "value"), name);
      /* ... and what pack builds pickles and loads back the same. */
      pkl = afn_pickle_dumps (packed, &error);
      g_assert_no_error (error);
      reloaded = afn_pickle_loads (g_bytes_get_data (pkl, NULL), g_bytes_get_size (pkl), NULL, NULL, &error);
      g_assert_no_error (error);
      assert_renders_as (reloaded, hf_json_get (expected, "value"), name);
    }
}

static glong
peak_rss_kb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

static const struct {
  const char *name;
  AfnHfError  code;
} hostile_codes[] = {
  { "hostile_builtins_eval", AFN_HF_ERROR_UNSAFE_GLOBAL },
  { "hostile_commands_popen", AFN_HF_ERROR_UNSAFE_GLOBAL },
  { "hostile_deep_nesting", AFN_HF_ERROR_TOO_DEEP },
  { "hostile_empty_file", AFN_HF_ERROR_NOT_ARCHIVE },
  { "hostile_memo_out_of_range", AFN_HF_ERROR_CORRUPT },
  { "hostile_nested_in_variable", AFN_HF_ERROR_UNSAFE_GLOBAL },
  { "hostile_no_data_pkl", AFN_HF_ERROR_MISSING_MEMBER },
  { "hostile_not_a_zip", AFN_HF_ERROR_NOT_ARCHIVE },
  { "hostile_os_system", AFN_HF_ERROR_UNSAFE_GLOBAL },
  { "hostile_subprocess_popen", AFN_HF_ERROR_UNSAFE_GLOBAL },
  { "hostile_truncated_pickle", AFN_HF_ERROR_TRUNCATED },
  { "hostile_truncated_zip", AFN_HF_ERROR_TRUNCATED },
  { "hostile_zip_bomb", AFN_HF_ERROR_TOO_LARGE },
};

/* "Under a second" on a plain build; sanitizers slow everything down. */
#if defined(__SANITIZE_ADDRESS__)
#define REFUSAL_BUDGET_USEC (5 * G_USEC_PER_SEC)
#else
#define REFUSAL_BUDGET_USEC G_USEC_PER_SEC
#endif

/* CPU time of this thread, in microseconds: the "under a second" bound is
 * about the work the reader does, so other processes on a loaded machine
 * (CI runs both builds' tests in parallel) must not count. */
static gint64
thread_cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
test_fixtures_hostile (void)
{
  g_autoptr(GPtrArray) names = list_fixtures (TRUE);
  g_autoptr(AfnHfDocument) warm = load_fixture ("variable_str_p2", NULL);

  /* Loading one good file first keeps one-time set-up out of the timings. */
  g_assert_nonnull (warm);

  /* Every hostile fixture has an expected code here. */
  g_assert_cmpuint (names->len, ==, G_N_ELEMENTS (hostile_codes));
  for (guint i = 0; i < G_N_ELEMENTS (hostile_codes); i++)
    {
      g_autoptr(AfnHfDocument) doc = NULL;
      g_autoptr(GError) error = NULL;
      glong rss_before = peak_rss_kb ();
      gint64 start = thread_cpu_usec ();

      g_assert_cmpstr (hostile_codes[i].name, ==, g_ptr_array_index (names, i));
      doc = load_fixture (hostile_codes[i].name, &error);
      g_assert_null (doc);
      g_assert_error (error, AFN_HF_ERROR, (gint) hostile_codes[i].code);
      g_test_message ("%s: %s", hostile_codes[i].name, error->message);
      g_assert_cmpint (thread_cpu_usec () - start, <, REFUSAL_BUDGET_USEC);
      g_assert_cmpint (peak_rss_kb () - rss_before, <, 64 * 1024);
    }
  /* The unsafe ones name the global they refused. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(AfnHfDocument) doc = load_fixture ("hostile_nested_in_variable", &error);
    g_assert_nonnull (strstr (error->message, "posix.system"));
  }
}

/* A multi-megabyte data.pkl goes through the reader that gives its pages
 * back as it reads: every value must come out intact, and data.pkl must
 * re-save to the same bytes. With @shared_key, a key of the Variables'
 * state is also a value elsewhere, which makes the loader read again. */
static void
check_large_load (gboolean shared_key)
{
  g_autoptr(AfnValue) sd = afn_value_new_ordered_dict ();
  g_autoptr(AfnHfDocument) doc = NULL;
  g_autoptr(AfnHfDocument) loaded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) want_pkl = NULL;
  g_autoptr(GError) error = NULL;
  AfnValue *value;
  const guint n = 1500;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("layers.%u.prompt", i);
      g_autoptr(GString) data = g_string_new (NULL);
      g_autoptr(AfnVariable) var = NULL;
      for (guint k = 0; data->len < 2500; k++)
        g_string_append_printf (data, "variable %u line %u; ", i, k * 7919 % 10007);
      var = afn_variable_new_str (data->str, key, i % 2 == 0);
      afn_value_dict_set_take (sd, afn_value_new_str (key, -1), afn_value_new_object (var));
    }
  if (shared_key)
    afn_value_dict_set_take (sd, afn_value_new_str ("shared", -1), afn_value_ref (hf_var_key_value (HF_VKEY_ROLE)));
  doc = afn_hf_document_new (sd);
  bytes = afn_hf_document_save_bytes (doc, &error);
  g_assert_no_error (error);
  loaded = afn_hf_document_load_bytes (bytes, NULL, &error);
  g_assert_no_error (error);
  value = afn_hf_document_get_value (loaded);
  g_assert_cmpuint (afn_value_n_items (value), ==, n + (shared_key ? 1 : 0));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("layers.%u.prompt", i);
      AfnValue *want = afn_value_dict_lookup (sd, key);
      AfnValue *got = afn_value_dict_lookup (value, key);
      AfnVariable *w, *g;
      gsize wlen, glen;
      const char *ws, *gs;

      g_assert_nonnull (got);
      w = afn_value_get_object (want);
      g = afn_value_get_object (got);
      g_assert_true (AFN_IS_VARIABLE (g));
      ws = afn_value_get_str (afn_variable_get_data (w), &wlen);
      gs = afn_value_get_str (afn_variable_get_data (g), &glen);
      g_assert_cmpmem (gs, glen, ws, wlen);
      g_assert_cmpstr (afn_variable_get_role (g), ==, key);
      g_assert_cmpint (afn_variable_get_requires_grad (g), ==, i % 2 == 0);
      g_assert_true ((afn_variable_get_py_state (g) != NULL) == shared_key);
    }
  /* The zip has a time stamp; data.pkl must be the same bytes. */
  again = afn_pickle_dumps (value, &error);
  g_assert_no_error (error);
  want_pkl = afn_pickle_dumps (sd, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, want_pkl));
}

static void
test_large_release (void)
{
  check_large_load (FALSE);
  check_large_load (TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hf/fixtures/hostile", test_fixtures_hostile);
  g_test_add_func ("/hf/fixtures/dump", test_fixtures_dump);
  g_test_add_func ("/hf/fixtures/resave", test_fixtures_resave);
  g_test_add_func ("/hf/fixtures/pack-roundtrip", test_fixtures_pack_roundtrip);
  g_test_add_func ("/hf/load/large-release", test_large_release);
  return g_test_run ();
}
