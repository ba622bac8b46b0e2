/* test-session.c: session files and drafts without GTK (leak-checked in
 * the sanitizer build): every fixture reads, hostile files are refused,
 * sessions round-trip, data a setting cannot hold is saved back exactly,
 * and drafts of dead processes are found.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "afnio.h"
#include "afn-hf.h"
#include "afs-document.h"
#include "afs-drafts.h"
#include "afs-session.h"

static GBytes *
fixture_bytes (const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("AFN_FIXTURES_DIR"), name, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, &error);

  g_assert_no_error (error);
  return g_mapped_file_get_bytes (mapped);
}

static GPtrArray *
fixture_names (gboolean hostile)
{
  g_autoptr(GDir) dir = g_dir_open (g_getenv ("AFN_FIXTURES_DIR"), 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".hf") && g_str_has_prefix (name, "hostile_") == hostile)
      g_ptr_array_add (names, g_strdup (name));
  return names;
}

/* Every non-hostile fixture reads into a graph that a document accepts,
 * with a node per distinct Variable. */
static void
test_read_every_fixture (void)
{
  g_autoptr(GPtrArray) names = fixture_names (FALSE);

  g_assert_cmpuint (names->len, >, 50);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GBytes) bytes = fixture_bytes (names->pdata[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) graph = afs_session_read_bytes (bytes, NULL, &error);
      g_autoptr(AfsDocument) document = afs_document_new ();

      g_test_message ("%s", (char *) names->pdata[i]);
      g_assert_no_error (error);
      g_assert_true (afs_document_load_json_node (document, graph, &error));
      g_assert_no_error (error);
      if (!g_str_equal (names->pdata[i], "state_dict_empty_module.hf"))
        g_assert_cmpuint (afs_document_get_nodes (document)->len, >, 0);
    }
}

static void
test_hostile_refused (void)
{
  g_autoptr(GPtrArray) names = fixture_names (TRUE);

  g_assert_cmpuint (names->len, >, 5);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GBytes) bytes = fixture_bytes (names->pdata[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) graph = afs_session_read_bytes (bytes, NULL, &error);

      g_assert_null (graph);
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, !=, "");
    }
}

/* A plain file saved as a session and read back gives the same document,
 * and its data.pkl holds the exact values of the original Variables, even
 * those a setting cannot show (big ints, NaN, booleans, lone surrogates). */
static void
test_exact_round_trip (gconstpointer data)
{
  const char *name = data;
  g_autoptr(GBytes) original = fixture_bytes (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) graph = afs_session_read_bytes (original, NULL, &error);
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(AfsDocument) a = afs_document_new ();
  g_autoptr(AfsDocument) b = afs_document_new ();
  g_autoptr(AfnHfDocument) before = NULL;
  g_autoptr(AfnHfDocument) after = NULL;
  AfnValue *dict;
  AfnVariable *first = NULL;

  g_assert_no_error (error);
  saved = afs_session_write_bytes (graph, &error);
  g_assert_no_error (error);
  again = afs_session_read_bytes (saved, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (afs_document_load_json_node (a, graph, NULL));
  g_assert_true (afs_document_load_json_node (b, again, NULL));
  g_assert_true (afs_document_equal (a, b));

  /* The first Variable of the original file against the session's first. */
  before = afn_hf_document_load_bytes (original, NULL, &error);
  after = afn_hf_document_load_bytes (saved, NULL, &error);
  g_assert_no_error (error);
  {
    AfnValue *v = afn_hf_document_get_value (before);
    while (afn_value_kind (v) != AFN_VALUE_OBJECT)
      v = afn_value_get_item (v, 0);
    first = afn_value_get_object (v);
  }
  dict = afn_hf_document_get_value (after);
  g_assert_cmpint (afn_value_kind (dict), ==, AFN_VALUE_ORDERED_DICT);
  {
    AfnVariable *copy = afn_value_get_object (afn_value_get_item (dict, 0));

    g_assert_true (afn_value_equal (afn_variable_get_data (first), afn_variable_get_data (copy)));
    g_assert_cmpstr (afn_variable_get_role (first), ==, afn_variable_get_role (copy));
    g_assert_cmpuint (afn_variable_n_grads (first), ==, afn_variable_n_grads (copy));
    g_assert_true (G_OBJECT_TYPE (first) == G_OBJECT_TYPE (copy));
  }
}

/* An edited setting wins over the exact value the file held. */
static void
test_edited_data_is_saved (void)
{
  g_autoptr(GBytes) original = fixture_bytes ("variable_bigint_p2.hf");
  g_autoptr(JsonNode) graph = afs_session_read_bytes (original, NULL, NULL);
  g_autoptr(AfsDocument) document = afs_document_new ();
  g_autoptr(JsonNode) data = json_node_new (JSON_NODE_VALUE);
  g_autoptr(JsonNode) edited = NULL;
  g_autoptr(GBytes) saved = NULL;
  g_autoptr(AfnHfDocument) hf = NULL;
  AfnVariable *var;

  g_assert_true (afs_document_load_json_node (document, graph, NULL));
  json_node_set_string (data, "edited");
  g_assert_true (afs_document_set_setting (document, 1, "data", data, NULL));
  edited = afs_document_to_json_node (document);
  saved = afs_session_write_bytes (edited, NULL);
  hf = afn_hf_document_load_bytes (saved, NULL, NULL);
  var = afn_value_get_object (afn_value_get_item (afn_hf_document_get_value (hf), 0));
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (var), NULL), ==, "edited");
}

static void
orphans_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GPtrArray **) data = afs_drafts_list_orphans_finish (result, NULL);
}

static void
written_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (afs_drafts_write_info_finish (result, NULL));
  *(gboolean *) data = TRUE;
}

/* A draft named after a live process (ours) is not an orphan; one named
 * after a process that exited is, with its origin and title. */
static void
test_drafts_orphans (void)
{
  g_autoptr(GFile) mine = afs_drafts_new_file ();
  g_autoptr(GFile) dir = afs_drafts_dup_dir ();
  g_autoptr(GFile) orphan = NULL;
  g_autoptr(GPtrArray) orphans = NULL;
  g_autofree char *name = g_file_get_basename (mine);
  g_autofree char *orphan_name = NULL;
  gboolean written = FALSE;
  pid_t pid = fork ();
  AfsDraft *draft;

  if (pid == 0)
    _exit (0);
  waitpid (pid, NULL, 0);
  orphan_name = g_strdup_printf ("%d%s", (int) pid, strchr (name, '-'));
  orphan = g_file_get_child (dir, orphan_name);

  afs_drafts_write_info_async (mine, NULL, "mine", NULL, written_cb, &written);
  while (!written)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_file_replace_contents (mine, "x", 1, NULL, FALSE, 0, NULL, NULL, NULL));
  written = FALSE;
  afs_drafts_write_info_async (orphan, "file:///tmp/origin.hf", "origin.hf", NULL, written_cb, &written);
  while (!written)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_file_replace_contents (orphan, "x", 1, NULL, FALSE, 0, NULL, NULL, NULL));

  afs_drafts_list_orphans_async (NULL, orphans_cb, &orphans);
  while (orphans == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (orphans->len, ==, 1);
  draft = orphans->pdata[0];
  g_assert_true (g_file_equal (draft->file, orphan));
  g_assert_cmpstr (draft->origin_uri, ==, "file:///tmp/origin.hf");
  g_assert_cmpstr (draft->title, ==, "origin.hf");

  afs_drafts_delete (mine);
  afs_drafts_delete (orphan);
  while (g_file_query_exists (orphan, NULL) || g_file_query_exists (mine, NULL))
    g_main_context_iteration (NULL, FALSE);
}

int
main (int argc, char *argv[])
{
  static const char *const exact[] = {
    "variable_bigint_p2.hf", "variable_float_nonfinite_p2.hf", "variable_bool_true.hf",
    "variable_str_lone_surrogate.hf", "variable_unicode_p2.hf", "parameter_with_grads.hf",
    "parameter_role_none.hf", "variable_list_bool_int.hf", "variable_tuple_data.hf",
  };

  g_autofree char *state = g_dir_make_tmp ("afs-session-test-XXXXXX", NULL);
  g_autofree char *drafts = NULL;
  int ret;

  /* Drafts go to a private state folder (set before GLib reads it;
   * G_TEST_OPTION_ISOLATE_DIRS would allocate per test). */
  g_setenv ("XDG_STATE_HOME", state, TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/studio/session/read-every-fixture", test_read_every_fixture);
  g_test_add_func ("/studio/session/hostile-refused", test_hostile_refused);
  for (guint i = 0; i < G_N_ELEMENTS (exact); i++)
    {
      g_autofree char *path = g_strdup_printf ("/studio/session/exact-round-trip/%s", exact[i]);
      g_test_add_data_func (path, exact[i], test_exact_round_trip);
    }
  g_test_add_func ("/studio/session/edited-data-is-saved", test_edited_data_is_saved);
  g_test_add_func ("/studio/session/drafts-orphans", test_drafts_orphans);
  ret = g_test_run ();
  drafts = g_build_filename (state, "afnio-studio", "drafts", NULL);
  g_rmdir (drafts);
  *strrchr (drafts, '/') = '\0';
  g_rmdir (drafts);
  g_rmdir (state);
  return ret;
}
