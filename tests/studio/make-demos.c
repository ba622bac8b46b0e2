/* make-demos.c: records the language-model demos' replies.
 *
 * Usage: make-demos RULES.json DEMO.json
 *
 * Runs the session DEMO.json in record mode against the fake server
 * (tests/llm/fake-server) answering by RULES.json: forward, backward from
 * the first evaluator's explanation, an optimizer step, then forward and
 * backward again with the improved Parameter. The step is undone and
 * DEMO.json is rewritten with the original graph plus the recordings, so
 * that the demo replays offline: run, backward, step, run.
 *
 * Regenerate with (from the build directory):
 *   tests/studio/make-demos ../tests/studio/demos/sentiment.rules.json ../data/demos/sentiment.json
 *   tests/studio/make-demos ../tests/studio/demos/translation.rules.json ../data/demos/translation.json
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdio.h>

#include "afs-runner.h"
#include "fake-server.h"

static guint
first_evaluator (AfsDocument *doc)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  for (guint i = 0; i < nodes->len; i++)
    if (afs_graph_node_find_port (g_ptr_array_index (nodes, i), AFS_PORT_OUTPUT, "explanation") != NULL)
      return afs_graph_node_get_id (g_ptr_array_index (nodes, i));
  return 0;
}

static gint
compare_keys (gconstpointer a, gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode **) a);
  JsonObject *y = json_node_get_object (*(JsonNode **) b);

  return g_strcmp0 (json_object_get_string_member (x, "key"), json_object_get_string_member (y, "key"));
}

/* Replies arrive in any order: sorted by key, the file only changes when
 * the recordings do. */
static void
sort_recordings (AfsDocument *doc)
{
  JsonArray *array = json_node_get_array (afs_document_get_extra (doc, "recordings"));
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(JsonArray) sorted = json_array_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (items, json_array_get_element (array, i));
  g_ptr_array_sort (items, compare_keys);
  for (guint i = 0; i < items->len; i++)
    json_array_add_element (sorted, json_node_copy (g_ptr_array_index (items, i)));
  json_node_set_array (node, sorted);
  afs_document_set_extra (doc, "recordings", node);
}

static gboolean
record (AfsRunner *runner, guint evaluator, GError **error)
{
  if (!afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, error) ||
      !afs_runner_backward (runner, evaluator, "explanation", NULL, NULL, error))
    return FALSE;
  if (!afs_runner_step (runner, NULL, error))
    return FALSE;
  if (!afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, error))
    return FALSE;
  /* With every sample right the evaluator asks no model: nothing to do. */
  return afs_runner_backward (runner, evaluator, "explanation", NULL, NULL, error);
}

int
main (int argc, char **argv)
{
  g_autoptr(FakeServer) server = NULL;
  g_autoptr(AfsDocument) doc = afs_document_new ();
  g_autoptr(AfsModelSettings) settings = afs_model_settings_new ();
  g_autoptr(AfsRunner) runner = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  guint evaluator;

  if (argc != 3)
    {
      fprintf (stderr, "Usage: make-demos RULES.json DEMO.json\n");
      return 2;
    }
  if (!g_file_get_contents (argv[2], &text, NULL, &error) ||
      !afs_document_load_json (doc, text, -1, &error))
    goto fail;
  /* Start afresh: no old recordings, history or grads. */
  afs_document_set_extra (doc, "recordings", NULL);
  afs_document_set_extra (doc, "history", NULL);
  afs_document_set_extra (doc, "afnio", NULL);
  if ((evaluator = first_evaluator (doc)) == 0)
    {
      fprintf (stderr, "make-demos: %s has no evaluator\n", argv[2]);
      return 1;
    }

  server = fake_server_new (0);
  if (!fake_server_load_rules (server, argv[1], &error))
    goto fail;
  afs_model_settings_set_base_url (settings, fake_server_get_base_url (server));
  afs_model_settings_set_api_key_env (settings, "");
  afs_model_settings_set_mode (settings, AFS_RUN_MODE_RECORD);
  afs_model_settings_set_retry (settings, 1, 0, 0);
  runner = afs_runner_new (doc, settings);
  if (!record (runner, evaluator, &error))
    goto fail;
  if (!afs_runner_undo_step (runner, &error))
    goto fail;
  afs_document_set_extra (doc, "history", NULL);
  sort_recordings (doc);

  json = afs_document_to_json (doc, TRUE);
  if (!g_file_set_contents (argv[2], json, -1, &error))
    goto fail;
  printf ("%s: %u recordings, %u requests\n", argv[2],
          afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)),
          fake_server_get_request_count (server));
  return 0;

fail:
  fprintf (stderr, "make-demos: %s\n", error->message);
  return 1;
}
