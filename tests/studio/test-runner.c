/* test-runner.c: the studio runner (GLib only): forward runs over the
 * document graph, the cache, run to/from here, node errors, cancellation,
 * backward with user feedback, optimizer steps with undo, replay and
 * record, against the fake OpenAI-compatible server on 127.0.0.1.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <string.h>

#include "afs-runner.h"
#include "fake-server.h"
#include "../main-loop-util.h"

#define GREETING_ROLE "greeting"
#define COMBINED "Here is the combined feedback we got for this specific "

/* ---- helpers ---- */

static AfsDocument *
load_demo (const char *name)
{
  g_autofree char *path = g_build_filename (AFN_SOURCE_ROOT, "data", "demos", name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  AfsDocument *doc = afs_document_new ();

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (afs_document_load_json (doc, text, -1, &error));
  g_assert_no_error (error);
  return doc;
}

static const char *
out_text (AfsRunner *runner, guint id, const char *port)
{
  AfnVariable *var = afs_runner_get_output (runner, id, port);

  g_assert_nonnull (var);
  return afn_value_get_str (afn_variable_get_data (var), NULL);
}

static AfsNodeState
state_of (AfsRunner *runner, guint id)
{
  return afs_node_run_get_state (afs_runner_get_node_run (runner, id));
}

static AfsBackwardState
bstate_of (AfsRunner *runner, guint id)
{
  return afs_node_run_get_backward_state (afs_runner_get_node_run (runner, id));
}

static char *
grad_text (AfsRunner *runner, guint id, const char *port, guint i)
{
  GListModel *grads = afs_runner_get_grads (runner, id, port);
  g_autoptr(AfnVariable) grad = NULL;

  g_assert_nonnull (grads);
  g_assert_cmpuint (i, <, g_list_model_get_n_items (grads));
  grad = g_list_model_get_item (grads, i);
  return afn_value_to_text (afn_variable_get_data (grad));
}

static guint
n_grads (AfsRunner *runner, guint id, const char *port)
{
  GListModel *grads = afs_runner_get_grads (runner, id, port);
  return grads != NULL ? g_list_model_get_n_items (grads) : 0;
}

static void
set_string_setting (AfsDocument *doc, guint id, const char *key, const char *value)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autoptr(GError) error = NULL;

  json_node_set_string (node, value);
  g_assert_true (afs_document_set_setting (doc, id, key, node, &error));
  g_assert_no_error (error);
}

/* ---- the add/sum/split pipeline (no language model) ---- */

#define PART0 "<ITEM>Hello, Ada</ITEM><ITEM>! How is the analytical engine"
#define PART1 " Any news on the notes"
#define PART2 "</ITEM><ITEM> Best, Charles</ITEM>"

static void
test_forward_pipeline (void)
{
  g_autoptr(AfsDocument) doc = load_demo ("text-pipeline.json");
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (state_of (runner, 7), ==, AFS_NODE_STATE_IDLE);
  g_assert_null (afs_runner_get_output (runner, 7, "part0"));
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (afs_runner_get_busy (runner));

  g_assert_cmpstr (out_text (runner, 3, "output"), ==, "Hello, Ada");
  g_assert_cmpstr (afn_variable_get_role (afs_runner_get_output (runner, 3, "output")), ==,
                   "greeting and user name");
  g_assert_cmpstr (out_text (runner, 6, "output"), ==,
                   "<ITEM>Hello, Ada</ITEM><ITEM>! How is the analytical engine? Any news on the "
                   "notes?</ITEM><ITEM> Best, Charles</ITEM>");
  g_assert_cmpstr (out_text (runner, 7, "part0"), ==, PART0);
  g_assert_cmpstr (out_text (runner, 7, "part1"), ==, PART1);
  g_assert_cmpstr (out_text (runner, 7, "part2"), ==, PART2);
  g_assert_true (AFN_IS_PARAMETER (afs_runner_get_output (runner, 1, "output")));
  g_assert_false (AFN_IS_PARAMETER (afs_runner_get_output (runner, 2, "output")));
  for (guint id = 1; id <= 7; id++)
    g_assert_cmpint (state_of (runner, id), ==, AFS_NODE_STATE_DONE);
  /* The preview is one line, cut with an ellipsis. */
  {
    g_autofree char *preview = afs_node_run_dup_preview (afs_runner_get_node_run (runner, 7), "part0", 10);
    g_assert_cmpstr (preview, ==, "<ITEM>Hell…");
  }
  /* Nothing asked a language model. */
  g_assert_cmpint (g_list_model_get_n_items (afs_runner_get_history (runner, 1)), ==, 0);
  {
    AfnUsage usage;
    afs_runner_get_total_usage (runner, &usage);
    g_assert_cmpint (usage.total_tokens, ==, 0);
  }
}

static void
count_state_cb (AfsRunner *runner, guint id, GHashTable *seen)
{
  g_hash_table_add (seen, GUINT_TO_POINTER (id));
}

static void
test_cache_reuse (void)
{
  g_autoptr(AfsDocument) doc = load_demo ("text-pipeline.json");
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  AfnVariable *add_out, *leaf, *part0;

  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  add_out = afs_runner_get_output (runner, 3, "output");
  leaf = afs_runner_get_output (runner, 1, "output");

  /* Unchanged: everything is reused, the very same results. */
  g_signal_connect (runner, "node-state-changed", G_CALLBACK (count_state_cb), seen);
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 7);
  for (guint id = 1; id <= 7; id++)
    g_assert_cmpint (state_of (runner, id), ==, AFS_NODE_STATE_REUSED);
  g_assert_true (afs_runner_get_output (runner, 3, "output") == add_out);

  /* An edit drops what depends on it, at once. */
  set_string_setting (doc, 2, "data", "Grace");
  g_assert_cmpint (state_of (runner, 2), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpint (state_of (runner, 3), ==, AFS_NODE_STATE_IDLE);
  g_assert_null (afs_runner_get_output (runner, 3, "output"));
  g_assert_null (afs_runner_get_output (runner, 7, "part0"));
  g_assert_cmpint (state_of (runner, 1), ==, AFS_NODE_STATE_REUSED);
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_REUSED);
  /* The data node keeps its Variable, updated in place. */
  g_assert_cmpstr (out_text (runner, 2, "output"), ==, "Grace");

  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_cmpint (state_of (runner, 1), ==, AFS_NODE_STATE_REUSED);
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_REUSED);
  g_assert_cmpint (state_of (runner, 5), ==, AFS_NODE_STATE_REUSED);
  g_assert_cmpint (state_of (runner, 3), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpint (state_of (runner, 7), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpstr (out_text (runner, 3, "output"), ==, "Hello, Grace");
  g_assert_true (afs_runner_get_output (runner, 1, "output") == leaf);

  /* Undo brings the old text back, and its results after a run. */
  g_assert_true (afs_document_undo (doc));
  g_assert_cmpint (state_of (runner, 3), ==, AFS_NODE_STATE_IDLE);
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_cmpstr (out_text (runner, 7, "part0"), ==, PART0);

  /* Clearing the cache: nothing left, everything computed again. */
  part0 = afs_runner_get_output (runner, 7, "part0");
  afs_runner_clear_cache (runner);
  for (guint id = 1; id <= 7; id++)
    {
      g_assert_cmpint (state_of (runner, id), ==, AFS_NODE_STATE_IDLE);
      g_assert_null (afs_runner_get_output (runner, id, id == 7 ? "part0" : "output"));
    }
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  for (guint id = 1; id <= 7; id++)
    g_assert_cmpint (state_of (runner, id), ==, AFS_NODE_STATE_DONE);
  g_assert_true (afs_runner_get_output (runner, 7, "part0") != part0);
  g_assert_cmpstr (out_text (runner, 7, "part0"), ==, PART0);
}

static void
test_run_to_from (void)
{
  g_autoptr(AfsDocument) doc = load_demo ("text-pipeline.json");
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, NULL);
  g_autoptr(GError) error = NULL;
  AfnVariable *add_out;

  /* Run to the add node: it and its inputs only. */
  g_assert_true (afs_runner_run (runner, AFS_RUN_TO, 3, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out_text (runner, 3, "output"), ==, "Hello, Ada");
  g_assert_cmpint (state_of (runner, 1), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpint (state_of (runner, 2), ==, AFS_NODE_STATE_DONE);
  for (guint id = 4; id <= 7; id++)
    g_assert_cmpint (state_of (runner, id), ==, AFS_NODE_STATE_IDLE);
  add_out = afs_runner_get_output (runner, 3, "output");

  /* Run from the sum: computes what it needs upstream (4, 5), reuses the
   * add's result, recomputes itself and what follows. */
  g_assert_true (afs_runner_run (runner, AFS_RUN_FROM, 6, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (runner, 1), ==, AFS_NODE_STATE_REUSED);
  g_assert_cmpint (state_of (runner, 3), ==, AFS_NODE_STATE_REUSED);
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpint (state_of (runner, 6), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpint (state_of (runner, 7), ==, AFS_NODE_STATE_DONE);
  g_assert_true (afs_runner_get_output (runner, 3, "output") == add_out);
  g_assert_cmpstr (out_text (runner, 7, "part1"), ==, PART1);

  /* From here again: the node itself is always recomputed. */
  {
    AfnVariable *sum_out = afs_runner_get_output (runner, 6, "output");
    g_assert_true (afs_runner_run (runner, AFS_RUN_FROM, 6, NULL, &error));
    g_assert_true (afs_runner_get_output (runner, 6, "output") != sum_out);
    g_assert_cmpint (state_of (runner, 6), ==, AFS_NODE_STATE_DONE);
    g_assert_cmpint (state_of (runner, 7), ==, AFS_NODE_STATE_DONE);
    g_assert_cmpint (state_of (runner, 3), ==, AFS_NODE_STATE_REUSED);
  }

  /* An unknown node is an error, and nothing is busy after it. */
  g_assert_false (afs_runner_run (runner, AFS_RUN_TO, 99, NULL, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_SUCH_NODE);
  g_assert_false (afs_runner_get_busy (runner));
}

static void
test_backward_pipeline (void)
{
  g_autoptr(AfsDocument) doc = load_demo ("text-pipeline.json");
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) links = NULL;
  g_autofree char *g1 = NULL, *g4 = NULL, *g3 = NULL, *g6 = NULL;
  const char *sum_role = "greeting and user name and question and signature";
  g_autofree char *split_grad = NULL, *sum_to_add = NULL, *expected = NULL, *expected4 = NULL;

  /* No result yet: nothing to go back from. */
  g_assert_false (afs_runner_backward (runner, 7, "part0", "x", NULL, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_RESULT);
  g_clear_error (&error);

  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_true (afs_runner_backward (runner, 7, "part0", "Too formal.", NULL, &error));
  g_assert_no_error (error);

  split_grad = g_strdup_printf (COMBINED "%s and other variables: <ITEM>Too formal.</ITEM><ITEM></ITEM><ITEM></ITEM>",
                                sum_role);
  sum_to_add = g_strdup_printf (COMBINED "greeting and user name and other variables: %s", split_grad);
  expected = g_strdup_printf (COMBINED "greeting and other variables: %s", sum_to_add);
  expected4 = g_strdup_printf (COMBINED "question and other variables: %s", split_grad);

  g_assert_cmpuint (n_grads (runner, 1, "output"), ==, 1);
  g1 = grad_text (runner, 1, "output", 0);
  g_assert_cmpstr (g1, ==, expected);
  g4 = grad_text (runner, 4, "output", 0);
  g_assert_cmpstr (g4, ==, expected4);
  /* Op outputs keep theirs for the gradients panel. */
  g3 = grad_text (runner, 3, "output", 0);
  g_assert_cmpstr (g3, ==, sum_to_add);
  g6 = grad_text (runner, 6, "output", 0);
  g_assert_cmpstr (g6, ==, split_grad);
  g_assert_cmpuint (n_grads (runner, 2, "output"), ==, 0);
  g_assert_cmpuint (n_grads (runner, 5, "output"), ==, 0);

  /* Where each came from. */
  g_assert_cmpuint (afs_runner_get_grad_source (runner, 1, "output", 0), ==, 3);
  g_assert_cmpuint (afs_runner_get_grad_source (runner, 3, "output", 0), ==, 6);
  g_assert_cmpuint (afs_runner_get_grad_source (runner, 4, "output", 0), ==, 6);
  g_assert_cmpuint (afs_runner_get_grad_source (runner, 6, "output", 0), ==, 7);

  /* The wires that carried feedback: 1→3, 3→6, 4→6, 6→7 (links 1, 3, 4, 6). */
  links = afs_runner_dup_feedback_links (runner);
  g_assert_cmpuint (links->len, ==, 4);
  g_assert_cmpuint (g_array_index (links, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (links, guint, 1), ==, 3);
  g_assert_cmpuint (g_array_index (links, guint, 2), ==, 4);
  g_assert_cmpuint (g_array_index (links, guint, 3), ==, 6);
  g_assert_false (afs_runner_link_carried_feedback (runner, 2));
  g_assert_true (afs_runner_link_carried_feedback (runner, 6));

  /* Progress marks. */
  for (guint id = 1; id <= 7; id++)
    if (id == 2 || id == 5)
      g_assert_cmpint (bstate_of (runner, id), ==, AFS_BACKWARD_STATE_NONE);
    else
      g_assert_cmpint (bstate_of (runner, id), ==, AFS_BACKWARD_STATE_DONE);

  /* The grad_fn chain maps back to document nodes. */
  {
    AfnNode *fn = afn_variable_get_grad_fn (afs_runner_get_output (runner, 7, "part0"));
    guint nr;
    g_assert_cmpstr (afn_node_get_name (fn), ==, "SplitBackward0");
    g_assert_cmpuint (afs_runner_lookup_engine_node (runner, fn), ==, 7);
    fn = afn_node_get_next_function (fn, 0, &nr);
    g_assert_cmpuint (afs_runner_lookup_engine_node (runner, fn), ==, 6);
  }

  /* A second backward replaces the grads (they are cleared first). */
  g_assert_true (afs_runner_backward (runner, 7, "part2", "Sign with your full name.", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_grads (runner, 1, "output"), ==, 1);
  g_clear_pointer (&g1, g_free);
  g1 = grad_text (runner, 1, "output", 0);
  g_assert_nonnull (strstr (g1, "<ITEM></ITEM><ITEM></ITEM><ITEM>Sign with your full name.</ITEM>"));

  /* A step needs a model: with none recorded, replay fails and nothing changes. */
  g_assert_false (afs_runner_step (runner, NULL, &error));
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_REPLAY_MISS);
  g_assert_cmpstr (out_text (runner, 1, "output"), ==, "Hello, ");
  g_assert_false (afs_runner_get_busy (runner));
}

static void
test_document_reload (void)
{
  g_autoptr(AfsDocument) doc = load_demo ("text-pipeline.json");
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, NULL);
  g_autoptr(GError) error = NULL;
  const char *other =
    "{\"format\": \"afnio-studio-graph\", \"version\": 1, \"nodes\": ["
    "{\"id\": 1, \"kind\": \"parameter\", \"x\": 0, \"y\": 0, \"settings\": {\"data\": \"v2\", \"role\": \"p\", \"requires_grad\": true}}],"
    "\"links\": [], \"history\": {\"1\": [{\"step\": 1, \"role\": \"p\", \"before\": \"v1\", \"after\": \"v2\", "
    "\"feedback\": \"be v2\", \"undone\": false}]}}";
  g_autoptr(AfsParamChange) change = NULL;

  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_nonnull (afs_runner_get_output (runner, 1, "output"));
  /* Another graph in the same document: no stale results, its history. */
  g_assert_true (afs_document_load_json (doc, other, -1, &error));
  g_assert_no_error (error);
  g_assert_null (afs_runner_get_output (runner, 1, "output"));
  g_assert_cmpint (state_of (runner, 1), ==, AFS_NODE_STATE_IDLE);
  g_assert_null (afs_runner_get_node_run (runner, 7));
  g_assert_cmpuint (g_list_model_get_n_items (afs_runner_get_history (runner, 1)), ==, 1);
  change = g_list_model_get_item (afs_runner_get_history (runner, 1), 0);
  g_assert_cmpstr (afs_param_change_get_before (change), ==, "v1");
  g_assert_cmpstr (afs_param_change_get_feedback (change), ==, "be v2");
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_cmpstr (out_text (runner, 1, "output"), ==, "v2");
}

/* ---- language models ---- */

typedef struct {
  FakeServer       *server;
  AfsModelSettings *settings;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->server = fake_server_new (0);
  fx->settings = afs_model_settings_new ();
  afs_model_settings_set_base_url (fx->settings, fake_server_get_base_url (fx->server));
  afs_model_settings_set_api_key_env (fx->settings, "AFNIO_TEST_NO_SUCH_KEY");
  afs_model_settings_set_mode (fx->settings, AFS_RUN_MODE_LIVE);
  afs_model_settings_set_retry (fx->settings, 2, 10, 20);
  afs_model_settings_set_model (fx->settings, "forward-model");
  afs_model_settings_set_backward_model (fx->settings, "backward-model");
  afs_model_settings_set_optimizer_model (fx->settings, "optimizer-model");
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  test_iterate_pending ();
  g_clear_object (&fx->settings);
  fake_server_free (fx->server);
}

/* Two independent chat completions on one question each. */
static AfsDocument *
two_questions (void)
{
  AfsDocument *doc = afs_document_new ();
  g_autoptr(GError) error = NULL;
  const char *text =
    "{\"format\": \"afnio-studio-graph\", \"version\": 1, \"nodes\": ["
    "{\"id\": 1, \"kind\": \"parameter\", \"x\": 0, \"y\": 0, \"settings\": {\"data\": \"Answer in one word.\", \"role\": \"system prompt\", \"requires_grad\": true}},"
    "{\"id\": 2, \"kind\": \"variable\", \"x\": 0, \"y\": 0, \"settings\": {\"data\": \"sky\", \"role\": \"thing\", \"requires_grad\": false}},"
    "{\"id\": 3, \"kind\": \"variable\", \"x\": 0, \"y\": 0, \"settings\": {\"data\": \"grass\", \"role\": \"thing\", \"requires_grad\": false}},"
    "{\"id\": 4, \"kind\": \"chat_completion\", \"x\": 0, \"y\": 0, \"settings\": {\"model\": \"\", \"temperature\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"Colour of the {thing}?\"}]}},"
    "{\"id\": 5, \"kind\": \"chat_completion\", \"x\": 0, \"y\": 0, \"settings\": {\"model\": \"openai/other-model\", \"temperature\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"Colour of the {thing}?\"}]}},"
    "{\"id\": 6, \"kind\": \"add\", \"x\": 0, \"y\": 0, \"settings\": {}}"
    "], \"links\": ["
    "{\"id\": 1, \"from\": 1, \"from_port\": \"output\", \"to\": 4, \"to_port\": \"prompt\"},"
    "{\"id\": 2, \"from\": 2, \"from_port\": \"output\", \"to\": 4, \"to_port\": \"thing\"},"
    "{\"id\": 3, \"from\": 1, \"from_port\": \"output\", \"to\": 5, \"to_port\": \"prompt\"},"
    "{\"id\": 4, \"from\": 3, \"from_port\": \"output\", \"to\": 5, \"to_port\": \"thing\"},"
    "{\"id\": 5, \"from\": 4, \"from_port\": \"output\", \"to\": 6, \"to_port\": \"x\"},"
    "{\"id\": 6, \"from\": 5, \"from_port\": \"output\", \"to\": 6, \"to_port\": \"y\"}"
    "]}";

  g_assert_true (afs_document_load_json (doc, text, -1, &error));
  g_assert_no_error (error);
  return doc;
}

static void
test_lm_forward (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfsDocument) doc = two_questions ();
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, fx->settings);
  g_autoptr(GError) error = NULL;
  g_autofree char *body0 = NULL, *body1 = NULL;
  AfnUsage usage, node4, node5;

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Colour of the sky?", "Blue");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Colour of the grass?", "Green");
  fake_server_set_latency (fx->server, 100);
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out_text (runner, 4, "output"), ==, "Blue");
  g_assert_cmpstr (out_text (runner, 5, "output"), ==, "Green");
  g_assert_cmpstr (out_text (runner, 6, "output"), ==, "BlueGreen");
  /* Independent nodes asked at once. */
  g_assert_cmpuint (fake_server_get_max_in_flight (fx->server), ==, 2);
  /* The node's model, else the settings' forward model; the prompt first. */
  body0 = fake_server_dup_body (fx->server, 0);
  body1 = fake_server_dup_body (fx->server, 1);
  g_assert_true ((strstr (body0, "\"model\":\"forward-model\"") && strstr (body1, "\"model\":\"other-model\"")) ||
                 (strstr (body1, "\"model\":\"forward-model\"") && strstr (body0, "\"model\":\"other-model\"")));
  g_assert_nonnull (strstr (body0, "{\"role\":\"system\",\"content\":\"Answer in one word.\"}"));

  /* Tokens per LM node and in total. */
  afs_node_run_get_usage (afs_runner_get_node_run (runner, 4), &node4);
  afs_node_run_get_usage (afs_runner_get_node_run (runner, 5), &node5);
  afs_runner_get_total_usage (runner, &usage);
  g_assert_cmpint (node4.total_tokens, >, 0);
  g_assert_cmpint (usage.total_tokens, ==, node4.total_tokens + node5.total_tokens);
  g_assert_cmpint (afs_node_run_get_total_tokens (afs_runner_get_node_run (runner, 6)), ==, 0);

  /* Reused: no new request. */
  fake_server_reset_counters (fx->server);
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 0);
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_REUSED);
  /* Live mode records nothing. */
  g_assert_cmpuint (afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)), ==, 0);
}

static void
test_node_error (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfsDocument) doc = two_questions ();
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, fx->settings);
  g_autoptr(GError) error = NULL;
  FakeRule fail = { .match = FAKE_MATCH_LAST_USER, .pattern = "Colour of the sky?",
                    .fault = FAKE_FAULT_SERVER_ERROR, .error_message = "the sky is down" };
  const char *message;

  fake_server_add_rule (fx->server, &fail);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Colour of the grass?", "Green");
  g_assert_false (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NODE_FAILED);
  g_clear_error (&error);

  /* The failing node shows why; its sibling is unaffected; what depends
   * on it says it was not run. */
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_ERROR);
  message = afs_node_run_get_message (afs_runner_get_node_run (runner, 4));
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "500"));
  g_assert_cmpint (state_of (runner, 5), ==, AFS_NODE_STATE_DONE);
  g_assert_cmpstr (out_text (runner, 5, "output"), ==, "Green");
  g_assert_cmpint (state_of (runner, 6), ==, AFS_NODE_STATE_ERROR);
  g_assert_nonnull (strstr (afs_node_run_get_message (afs_runner_get_node_run (runner, 6)), "node 4"));
  /* Two attempts were made (the retry setting). */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);

  /* The document is still editable, with undo. */
  set_string_setting (doc, 2, "data", "sea");
  g_assert_true (afs_document_get_modified (doc));
  g_assert_true (afs_document_undo (doc));

  /* A malformed reply is an error on that node too. */
  fake_server_clear_rules (fx->server);
  fake_server_add_rule (fx->server, &(FakeRule) { .match = FAKE_MATCH_LAST_USER, .pattern = "sky",
                                                  .fault = FAKE_FAULT_MALFORMED });
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "Green");
  g_assert_false (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NODE_FAILED);
  g_clear_error (&error);
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_ERROR);
  g_assert_cmpint (state_of (runner, 5), ==, AFS_NODE_STATE_REUSED);

  /* Fixed server: the node runs. */
  fake_server_clear_rules (fx->server);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "sky", "Blue");
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "Green");
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out_text (runner, 6, "output"), ==, "BlueGreen");
  g_assert_null (afs_node_run_get_message (afs_runner_get_node_run (runner, 4)));
}

static void
running_cb (AfsRunner *runner, guint id, GCancellable *cancellable)
{
  if (id == 4 && state_of (runner, 4) == AFS_NODE_STATE_RUNNING)
    g_cancellable_cancel (cancellable);
}

static void
test_cancel (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfsDocument) doc = two_questions ();
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, fx->settings);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  FakeRule hang = { .match = FAKE_MATCH_ALWAYS, .fault = FAKE_FAULT_HANG };
  gint64 start;
  gulong handler;

  fake_server_add_rule (fx->server, &hang);
  handler = g_signal_connect (runner, "node-state-changed", G_CALLBACK (running_cb), cancellable);
  start = g_get_monotonic_time ();
  afs_runner_run_async (runner, AFS_RUN_ALL, 0, cancellable, test_result_cb, &result);
  g_assert_true (afs_runner_get_busy (runner));
  /* A second operation is refused meanwhile. */
  g_assert_false (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_BUSY);
  g_clear_error (&error);

  g_assert_false (afs_runner_run_finish (runner, test_wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  g_signal_handler_disconnect (runner, handler);
  g_assert_false (afs_runner_get_busy (runner));
  /* Unfinished nodes are back where they were; data nodes that ran keep
   * their results. */
  g_assert_cmpint (state_of (runner, 4), ==, AFS_NODE_STATE_IDLE);
  g_assert_cmpint (state_of (runner, 5), ==, AFS_NODE_STATE_IDLE);
  g_assert_cmpint (state_of (runner, 6), ==, AFS_NODE_STATE_IDLE);
  g_assert_null (afs_runner_get_output (runner, 4, "output"));
  g_assert_cmpint (state_of (runner, 1), ==, AFS_NODE_STATE_DONE);

  /* The runner works again afterwards. */
  fake_server_clear_rules (fx->server);
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "Red");
  g_clear_error (&error);
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out_text (runner, 6, "output"), ==, "RedRed");
}

static void
backward_running_cb (AfsRunner *runner, guint id, GCancellable *cancellable)
{
  if (afs_node_run_get_backward_state (afs_runner_get_node_run (runner, id)) == AFS_BACKWARD_STATE_RUNNING &&
      afs_node_kind_is_data (afs_graph_node_get_kind (afs_document_get_node (afs_runner_get_document (runner), id))) == FALSE)
    g_cancellable_cancel (cancellable);
}

static void
test_backward_cancel (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfsDocument) doc = two_questions ();
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, fx->settings);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  FakeRule hang = { .match = FAKE_MATCH_LAST_USER, .pattern = "How should the", .fault = FAKE_FAULT_HANG };
  gulong handler;

  fake_server_add_rule (fx->server, &hang);
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "Blue");
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);

  handler = g_signal_connect (runner, "node-state-changed", G_CALLBACK (backward_running_cb), cancellable);
  afs_runner_backward_async (runner, 6, "output", "Be brief.", cancellable, test_result_cb, &result);
  g_assert_false (afs_runner_backward_finish (runner, test_wait_result (&result), &error));
  g_signal_handler_disconnect (runner, handler);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  /* No gradient anywhere, no progress marks left, not busy. */
  g_assert_false (afs_runner_get_busy (runner));
  g_assert_cmpuint (n_grads (runner, 1, "output"), ==, 0);
  for (guint id = 1; id <= 6; id++)
    g_assert_cmpint (bstate_of (runner, id), ==, AFS_BACKWARD_STATE_NONE);
  {
    g_autoptr(GArray) links = afs_runner_dup_feedback_links (runner);
    g_assert_cmpuint (links->len, ==, 0);
  }

  /* And it works when the server answers. */
  fake_server_clear_rules (fx->server);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "How should the system prompt change?", "Say one word.");
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "Blue");
  g_assert_true (afs_runner_backward (runner, 6, "output", "Be brief.", NULL, &error));
  g_assert_no_error (error);
  /* The prompt fed both completions: one gradient from each. */
  g_assert_cmpuint (n_grads (runner, 1, "output"), ==, 2);
  {
    guint a = afs_runner_get_grad_source (runner, 1, "output", 0);
    guint b = afs_runner_get_grad_source (runner, 1, "output", 1);
    g_assert_true ((a == 4 && b == 5) || (a == 5 && b == 4));
  }
  g_assert_true (afs_runner_link_carried_feedback (runner, 1));
  g_assert_true (afs_runner_link_carried_feedback (runner, 3));
  g_assert_false (afs_runner_link_carried_feedback (runner, 2));
}

/* ---- the sentiment demo, live ---- */

#define SENTIMENT_PROMPT_BEFORE "Classify the sentiment of the review."
#define SENTIMENT_PROMPT_AFTER  "Classify the sentiment of the review as exactly one lowercase word: positive, negative or neutral."
#define BACKWARD_FEEDBACK "Say that the answer must be one lowercase word with no punctuation."

static guint
node_by_role (AfsDocument *doc, const char *role)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  for (guint i = 0; i < nodes->len; i++)
    if (g_strcmp0 (afs_graph_node_get_string (g_ptr_array_index (nodes, i), "role", NULL), role) == 0)
      return afs_graph_node_get_id (g_ptr_array_index (nodes, i));
  g_assert_not_reached ();
}

static guint
node_by_kind (AfsDocument *doc, const char *kind)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  for (guint i = 0; i < nodes->len; i++)
    if (g_str_equal (afs_node_kind_get_id (afs_graph_node_get_kind (g_ptr_array_index (nodes, i))), kind))
      return afs_graph_node_get_id (g_ptr_array_index (nodes, i));
  g_assert_not_reached ();
}

static void
step_done_cb (AfsRunner *runner, guint *count)
{
  (*count)++;
}

static void
test_sentiment_live (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfsDocument) doc = load_demo ("sentiment.json");
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, fx->settings);
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt_grad = NULL;
  g_autoptr(AfsParamChange) change = NULL;
  guint prompt, chat, eval, steps = 0;
  GListModel *history;

  prompt = node_by_role (doc, "system prompt");
  chat = node_by_kind (doc, "chat_completion");
  eval = node_by_kind (doc, "exact_match_evaluator");
  g_assert_cmpstr (afs_graph_node_get_string (afs_document_get_node (doc, prompt), "data", NULL), ==,
                   SENTIMENT_PROMPT_BEFORE);

  /* Forward: the model answers "Positive." where "positive" was expected,
   * and "Neutral" for "neutral": one sample in three matches. */
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "How should the system prompt change?", BACKWARD_FEEDBACK);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "How should the ", "Answer with the bare label, in lowercase.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Write the improved system prompt",
                         "<IMPROVED_VARIABLE>" SENTIMENT_PROMPT_AFTER "</IMPROVED_VARIABLE>");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "battery", "Positive.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Stopped working", "negative");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "box says", "Neutral");
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  {
    AfnValue *answers = afn_variable_get_data (afs_runner_get_output (runner, chat, "output"));
    AfnValue *score = afn_variable_get_data (afs_runner_get_output (runner, eval, "score"));
    g_assert_cmpuint (afn_value_n_items (answers), ==, 3);
    g_assert_cmpstr (afn_value_get_str (afn_value_get_item (answers, 0), NULL), ==, "Positive.");
    g_assert_cmpstr (afn_value_get_str (afn_value_get_item (answers, 1), NULL), ==, "negative");
    g_assert_cmpint (afn_value_kind (score) == AFN_VALUE_INT ? afn_value_get_int (score)
                                                             : (gint64) afn_value_get_float (score), ==, 1);
  }

  /* Backward from the explanation, with the user's own words too. */
  g_assert_true (afs_runner_backward (runner, eval, "explanation", "Labels must match exactly.", NULL, &error));
  g_assert_no_error (error);
  /* The two wrong samples each sent feedback to the prompt. */
  g_assert_cmpuint (n_grads (runner, prompt, "output"), >=, 1);
  for (guint i = 0; i < n_grads (runner, prompt, "output"); i++)
    {
      g_autofree char *text = grad_text (runner, prompt, "output", i);
      g_assert_nonnull (strstr (text, BACKWARD_FEEDBACK));
      g_assert_cmpuint (afs_runner_get_grad_source (runner, prompt, "output", i), ==, chat);
    }
  prompt_grad = grad_text (runner, prompt, "output", 0);
  g_assert_cmpint (bstate_of (runner, chat), ==, AFS_BACKWARD_STATE_DONE);
  g_assert_cmpint (bstate_of (runner, eval), ==, AFS_BACKWARD_STATE_DONE);
  g_assert_cmpint (bstate_of (runner, prompt), ==, AFS_BACKWARD_STATE_DONE);
  g_assert_cmpint (afs_node_run_get_total_tokens (afs_runner_get_node_run (runner, chat)), >, 0);

  /* Step: the prompt changes as scripted, as one undoable edit. */
  g_signal_connect (runner, "step-done", G_CALLBACK (step_done_cb), &steps);
  g_assert_true (afs_runner_step (runner, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (steps, ==, 1);
  g_assert_cmpstr (afs_graph_node_get_string (afs_document_get_node (doc, prompt), "data", NULL), ==,
                   SENTIMENT_PROMPT_AFTER);
  g_assert_cmpstr (out_text (runner, prompt, "output"), ==, SENTIMENT_PROMPT_AFTER);
  g_assert_cmpstr (afs_undo_stack_get_undo_label (afs_document_get_undo_stack (doc)), ==, "Optimizer Step");
  g_assert_cmpuint (g_list_model_get_n_items (afs_runner_get_last_changes (runner)), ==, 1);
  history = afs_runner_get_history (runner, prompt);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 1);
  change = g_list_model_get_item (history, 0);
  g_assert_cmpstr (afs_param_change_get_before (change), ==, SENTIMENT_PROMPT_BEFORE);
  g_assert_cmpstr (afs_param_change_get_after (change), ==, SENTIMENT_PROMPT_AFTER);
  g_assert_nonnull (strstr (afs_param_change_get_feedback (change), BACKWARD_FEEDBACK));
  g_assert_cmpuint (afs_param_change_get_step (change), ==, 1);
  g_assert_false (afs_param_change_get_undone (change));
  /* The request went to the optimizer model the session pins. */
  {
    guint n = fake_server_get_request_count (fx->server);
    g_autofree char *body = fake_server_dup_body (fx->server, n - 1);
    g_assert_nonnull (strstr (body, "Write the improved system prompt"));
    g_assert_nonnull (strstr (body, "\"model\":\"gpt-4o-mini\""));
    g_assert_nonnull (strstr (body, "Keep the prompt under 40 words."));
  }
  /* Downstream results are stale now. */
  g_assert_cmpint (state_of (runner, chat), ==, AFS_NODE_STATE_IDLE);

  /* Undo restores the previous value, in the document and the Variable. */
  g_assert_true (afs_runner_undo_step (runner, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (steps, ==, 2);
  g_assert_cmpstr (afs_graph_node_get_string (afs_document_get_node (doc, prompt), "data", NULL), ==,
                   SENTIMENT_PROMPT_BEFORE);
  g_assert_cmpstr (out_text (runner, prompt, "output"), ==, SENTIMENT_PROMPT_BEFORE);
  g_assert_true (afs_param_change_get_undone (change));
  g_assert_false (afs_runner_undo_step (runner, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NOTHING_TO_DO);
  g_clear_error (&error);

  /* Redo (Ctrl+Shift+Z) applies it again. */
  g_assert_true (afs_document_redo (doc));
  g_assert_false (afs_param_change_get_undone (change));
  g_assert_cmpstr (out_text (runner, prompt, "output"), ==, SENTIMENT_PROMPT_AFTER);

  /* The history and grads go into the document for saving. */
  afs_runner_store_in_document (runner);
  {
    JsonNode *history_extra = afs_document_get_extra (doc, "history");
    JsonNode *afnio = afs_document_get_extra (doc, "afnio");
    g_autofree char *text = json_to_string (history_extra, FALSE);
    g_autofree char *afnio_text = json_to_string (afnio, FALSE);
    g_assert_nonnull (strstr (text, SENTIMENT_PROMPT_AFTER));
    g_assert_nonnull (strstr (afnio_text, BACKWARD_FEEDBACK));
  }
}

/* ---- record, then replay offline ---- */

static void
test_record_replay (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfsDocument) doc = two_questions ();
  g_autoptr(AfsRunner) runner = afs_runner_new (doc, fx->settings);
  g_autoptr(AfsDocument) copy = NULL;
  g_autoptr(AfsRunner) replay = NULL;
  g_autoptr(AfsModelSettings) offline = afs_model_settings_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = NULL;

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "sky", "Blue");
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "Green");
  afs_model_settings_set_mode (fx->settings, AFS_RUN_MODE_RECORD);
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)), ==, 2);
  g_assert_nonnull (afs_document_get_extra (doc, "recordings"));

  /* The session carries its recordings: a copy runs with no server. */
  saved = afs_document_to_json (doc, FALSE);
  copy = afs_document_new ();
  g_assert_true (afs_document_load_json (copy, saved, -1, &error));
  afs_model_settings_set_base_url (offline, "http://127.0.0.1:1/v1");
  afs_model_settings_set_model (offline, "forward-model");
  g_assert_cmpint (afs_model_settings_get_mode (offline), ==, AFS_RUN_MODE_REPLAY);
  replay = afs_runner_new (copy, offline);
  fake_server_reset_counters (fx->server);
  g_assert_true (afs_runner_run (replay, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out_text (replay, 6, "output"), ==, "BlueGreen");
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 0);
  /* Recorded usage is replayed too. */
  g_assert_cmpint (afs_node_run_get_total_tokens (afs_runner_get_node_run (replay, 4)), >, 0);

  /* A request never recorded is that node's error in replay mode. */
  set_string_setting (copy, 3, "data", "sea");
  g_assert_false (afs_runner_run (replay, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NODE_FAILED);
  g_assert_cmpint (state_of (replay, 5), ==, AFS_NODE_STATE_ERROR);
  g_assert_cmpint (state_of (replay, 4), ==, AFS_NODE_STATE_REUSED);
}

/* ---- the demos replay offline ---- */

static gint64
score_of (AfsRunner *runner, guint id)
{
  AfnValue *v = afn_variable_get_data (afs_runner_get_output (runner, id, "score"));
  return afn_value_kind (v) == AFN_VALUE_INT ? afn_value_get_int (v) : (gint64) afn_value_get_float (v);
}

static void
test_demo_replay (gconstpointer data)
{
  const char *name = data;
  gboolean sentiment = g_str_has_prefix (name, "sentiment");
  g_autoptr(AfsDocument) doc = load_demo (name);
  g_autoptr(AfsModelSettings) settings = afs_model_settings_new ();
  g_autoptr(AfsRunner) runner = NULL;
  g_autoptr(GError) error = NULL;
  guint prompt, eval;
  g_autofree char *before = NULL;
  const char *after;
  AfnUsage usage;

  /* Nothing listens there: any request would fail. */
  afs_model_settings_set_base_url (settings, "http://127.0.0.1:1/v1");
  afs_model_settings_set_mode (settings, AFS_RUN_MODE_REPLAY);
  runner = afs_runner_new (doc, settings);
  g_assert_cmpuint (afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)), ==, 0);
  prompt = node_by_role (doc, "system prompt");
  eval = node_by_kind (doc, sentiment ? "exact_match_evaluator" : "lm_judge_evaluator");
  before = g_strdup (afs_graph_node_get_string (afs_document_get_node (doc, prompt), "data", NULL));

  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)), >, 5);
  g_assert_cmpint (score_of (runner, eval), ==, sentiment ? 1 : 0);
  g_assert_true (afs_runner_backward (runner, eval, "explanation", NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_grads (runner, prompt, "output"), >=, 1);
  g_assert_true (afs_runner_step (runner, NULL, &error));
  g_assert_no_error (error);
  after = afs_graph_node_get_string (afs_document_get_node (doc, prompt), "data", NULL);
  g_assert_cmpstr (after, !=, before);
  g_assert_nonnull (strstr (after, sentiment ? "lowercase" : "Italian"));
  g_assert_true (afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (score_of (runner, eval), ==, sentiment ? 3 : 1);
  afs_runner_get_total_usage (runner, &usage);
  g_assert_cmpint (usage.total_tokens, >, 0);
  g_assert_cmpfloat (usage.cost_usd, >, 0);
}

/* ---- settings ---- */

static void
test_settings_env (void)
{
  g_autoptr(AfsModelSettings) settings = NULL;

  g_setenv ("AFNIO_BASE_URL", "http://127.0.0.1:9/v1", TRUE);
  g_setenv ("AFNIO_MODEL", "m-forward", TRUE);
  g_setenv ("AFNIO_BACKWARD_MODEL", "m-backward", TRUE);
  g_unsetenv ("AFNIO_OPTIMIZER_MODEL");
  g_setenv ("AFNIO_MODE", "record", TRUE);
  g_setenv ("AFNIO_TEST_KEY", "sk-secret", TRUE);
  settings = afs_model_settings_new_from_env ();
  g_assert_cmpstr (afs_model_settings_get_base_url (settings), ==, "http://127.0.0.1:9/v1");
  g_assert_cmpstr (afs_model_settings_get_model (settings), ==, "m-forward");
  g_assert_cmpstr (afs_model_settings_get_backward_model (settings), ==, "m-backward");
  g_assert_cmpstr (afs_model_settings_get_optimizer_model (settings), ==, "m-forward");
  g_assert_cmpint (afs_model_settings_get_mode (settings), ==, AFS_RUN_MODE_RECORD);

  afs_model_settings_set_api_key_env (settings, "AFNIO_TEST_NO_SUCH_KEY");
  g_assert_false (afs_model_settings_has_api_key (settings));
  afs_model_settings_set_api_key_env (settings, "AFNIO_TEST_KEY");
  g_assert_true (afs_model_settings_has_api_key (settings));
  afs_model_settings_set_api_key_env (settings, "AFNIO_TEST_NO_SUCH_KEY");
  afs_model_settings_set_api_key (settings, "sk-from-keyring");
  g_assert_true (afs_model_settings_has_api_key (settings));
  /* No property gives the key away. */
  for (guint i = 0; i < 1; i++)
    {
      guint n;
      g_autofree GParamSpec **specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (settings), &n);
      for (guint p = 0; p < n; p++)
        if (specs[p]->value_type == G_TYPE_STRING)
          {
            g_autofree char *value = NULL;
            g_object_get (settings, specs[p]->name, &value, NULL);
            g_assert_null (value != NULL ? strstr (value, "sk-from-keyring") : NULL);
          }
    }
  {
    AfsRunMode mode;
    g_assert_true (afs_run_mode_from_string ("REPLAY", &mode));
    g_assert_cmpint (mode, ==, AFS_RUN_MODE_REPLAY);
    g_assert_false (afs_run_mode_from_string ("sometimes", &mode));
  }
  g_unsetenv ("AFNIO_BASE_URL");
  g_unsetenv ("AFNIO_MODEL");
  g_unsetenv ("AFNIO_BACKWARD_MODEL");
  g_unsetenv ("AFNIO_MODE");
}

static void
test_connection (Fixture *fx, gconstpointer data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Reply with OK.", "OK");
  fake_server_set_required_key (fx->server, "sk-right");
  afs_model_settings_set_api_key (fx->settings, "sk-right");
  afs_model_settings_test_connection_async (fx->settings, NULL, test_result_cb, &result);
  reply = afs_model_settings_test_connection_finish (fx->settings, test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (reply, ==, "OK");

  g_clear_object (&result);
  afs_model_settings_set_api_key (fx->settings, "sk-wrong");
  afs_model_settings_test_connection_async (fx->settings, NULL, test_result_cb, &result);
  g_assert_null (afs_model_settings_test_connection_finish (fx->settings, test_wait_result (&result), &error));
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_UNAUTHORIZED);
  g_assert_null (strstr (error->message, "sk-wrong"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_setenv ("LC_ALL", "C", TRUE);

  /* First: it sets environment variables before any thread exists. */
  g_test_add_func ("/studio/runner/settings-env", test_settings_env);
  g_test_add_func ("/studio/runner/forward-pipeline", test_forward_pipeline);
  g_test_add_func ("/studio/runner/cache-reuse-clear", test_cache_reuse);
  g_test_add_func ("/studio/runner/run-to-from-here", test_run_to_from);
  g_test_add_func ("/studio/runner/backward-pipeline", test_backward_pipeline);
  g_test_add_func ("/studio/runner/document-reload", test_document_reload);
  g_test_add_data_func ("/studio/runner/demo-replay/sentiment", "sentiment.json", test_demo_replay);
  g_test_add_data_func ("/studio/runner/demo-replay/translation", "translation.json", test_demo_replay);
#define ADD(name, fn) g_test_add ("/studio/runner/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("lm-forward", test_lm_forward);
  ADD ("node-error", test_node_error);
  ADD ("cancel", test_cancel);
  ADD ("backward-cancel", test_backward_cancel);
  ADD ("sentiment-live-backward-step-undo", test_sentiment_live);
  ADD ("record-replay", test_record_replay);
  ADD ("test-connection", test_connection);
  return g_test_run ();
}
