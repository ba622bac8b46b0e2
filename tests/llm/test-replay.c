/* test-replay.c: AfnReplayClient around a client talking to the fake server.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fake-server.h"

typedef struct {
  AfnChatReply *reply;
  GError *error;
  gboolean done;
} Result;

static JsonArray *
conversation (const char *system,
              const char *user)
{
  JsonArray *messages = json_array_new ();
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", "system");
  json_object_set_string_member (message, "content", system);
  json_array_add_object_element (messages, message);
  message = json_object_new ();
  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", user);
  json_array_add_object_element (messages, message);
  return messages;
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static AfnChatReply *
chat (gpointer     client,
      const char  *user,
      JsonObject  *args,
      GError     **error)
{
  g_autoptr(JsonArray) messages = conversation ("You are terse.", user);
  Result r = { 0 };

  afn_model_client_chat_async (AFN_MODEL_CLIENT (client), messages, args, NULL, done_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.reply;
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_record_replay_miss (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(AfnOpenAIClient) inner = afn_openai_client_new (fake_server_get_base_url (server), "gpt-4o-mini");
  g_autoptr(AfnReplayClient) replay = afn_replay_client_new (AFN_MODEL_CLIENT (inner),
                                                             AFN_REPLAY_MODE_RECORD);
  FakeRule rule = { .match = FAKE_MATCH_LAST_USER, .pattern = "colour", .reply = "Blue.",
                    .prompt_tokens = 30, .completion_tokens = 2 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *long_question = g_strnfill (200, 'q');
  guint hits_notified = 0, misses_notified = 0;
  AfnUsage spent, recorded_spent;

  fake_server_add_rule (server, &rule);
  json_object_set_double_member (args, "temperature", 0);
  g_signal_connect (replay, "notify::hits", G_CALLBACK (count_cb), &hits_notified);
  g_signal_connect (replay, "notify::misses", G_CALLBACK (count_cb), &misses_notified);

  reply = chat (replay, "Favourite colour?", args, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "Blue.");
  g_clear_pointer (&reply, afn_chat_reply_unref);
  reply = chat (replay, "Say hello", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, afn_chat_reply_unref);
  g_assert_cmpuint (afn_replay_client_get_n_recordings (replay), ==, 2);
  g_assert_cmpuint (fake_server_get_request_count (server), ==, 2);
  afn_model_client_get_usage (AFN_MODEL_CLIENT (replay), &recorded_spent);

  /* Replaying asks the server nothing and gives the same replies. */
  afn_replay_client_set_mode (replay, AFN_REPLAY_MODE_REPLAY);
  reply = chat (replay, "Favourite colour?", args, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "Blue.");
  g_assert_cmpint (afn_chat_reply_get_usage (reply)->prompt_tokens, ==, 30);
  g_clear_pointer (&reply, afn_chat_reply_unref);
  reply = chat (replay, "Say hello", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "Say hello");
  g_clear_pointer (&reply, afn_chat_reply_unref);
  g_assert_cmpuint (fake_server_get_request_count (server), ==, 2);
  g_assert_cmpuint (afn_replay_client_get_hits (replay), ==, 2);
  g_assert_cmpuint (hits_notified, ==, 2);

  /* Other args are another request: a miss, named in the error. */
  json_object_set_double_member (args, "temperature", 0.7);
  reply = chat (replay, "Favourite colour?", args, &error);
  g_assert_null (reply);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_REPLAY_MISS);
  g_assert_nonnull (strstr (error->message, "gpt-4o-mini"));
  g_assert_nonnull (strstr (error->message, "Favourite colour?"));
  g_clear_error (&error);
  reply = chat (replay, long_question, NULL, &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_REPLAY_MISS);
  g_assert_nonnull (strstr (error->message, long_question + 120));
  g_assert_null (strstr (error->message, long_question + 119));
  g_assert_cmpuint (afn_replay_client_get_misses (replay), ==, 2);
  g_assert_cmpuint (misses_notified, ==, 2);
  g_assert_cmpuint (fake_server_get_request_count (server), ==, 2);

  /* Usage counts what was spent: replays spent nothing. */
  afn_model_client_get_usage (AFN_MODEL_CLIENT (replay), &spent);
  g_assert_cmpint (spent.total_tokens, ==, recorded_spent.total_tokens);
  g_assert_cmpint (spent.prompt_tokens, >, 30);
}

static void
test_replay_or_call (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(AfnOpenAIClient) inner = afn_openai_client_new (fake_server_get_base_url (server), "m1");
  g_autoptr(AfnReplayClient) replay = afn_replay_client_new (AFN_MODEL_CLIENT (inner),
                                                             AFN_REPLAY_MODE_REPLAY_OR_CALL);
  g_autoptr(AfnReplayClient) empty = afn_replay_client_new (NULL, AFN_REPLAY_MODE_REPLAY_OR_CALL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  for (guint i = 0; i < 3; i++)
    {
      reply = chat (replay, "once only", NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "once only");
      g_clear_pointer (&reply, afn_chat_reply_unref);
    }
  g_assert_cmpuint (fake_server_get_request_count (server), ==, 1);
  g_assert_cmpuint (afn_replay_client_get_misses (replay), ==, 1);
  g_assert_cmpuint (afn_replay_client_get_hits (replay), ==, 2);

  /* A model named in args is part of the key. */
  {
    g_autoptr(JsonObject) args = json_object_new ();
    json_object_set_string_member (args, "model", "m2");
    reply = chat (replay, "once only", args, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (fake_server_get_request_count (server), ==, 2);
  }

  g_clear_pointer (&reply, afn_chat_reply_unref);
  reply = chat (empty, "anything", NULL, &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_FAILED);
}

static void
test_key (void)
{
  g_autoptr(AfnReplayClient) replay = afn_replay_client_new (NULL, AFN_REPLAY_MODE_REPLAY);
  g_autoptr(JsonArray) messages = conversation ("sys", "user");
  g_autoptr(JsonArray) other = conversation ("sys", "user!");
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  g_autoptr(JsonParser) p3 = json_parser_new ();
  g_autofree char *k1 = NULL, *k2 = NULL, *k3 = NULL, *k4 = NULL, *k5 = NULL;

  g_assert_true (json_parser_load_from_data (p1, "{\"model\": \"a\", \"temperature\": 1, \"seed\": 3}", -1, NULL));
  g_assert_true (json_parser_load_from_data (p2, "{\"seed\": 3, \"temperature\": 1.0, \"model\": \"a\"}", -1, NULL));
  g_assert_true (json_parser_load_from_data (p3, "{\"seed\": 3, \"temperature\": 1.5, \"model\": \"a\"}", -1, NULL));
  k1 = afn_replay_client_compute_key (replay, messages, json_node_get_object (json_parser_get_root (p1)));
  k2 = afn_replay_client_compute_key (replay, messages, json_node_get_object (json_parser_get_root (p2)));
  k3 = afn_replay_client_compute_key (replay, messages, json_node_get_object (json_parser_get_root (p3)));
  k4 = afn_replay_client_compute_key (replay, other, json_node_get_object (json_parser_get_root (p1)));
  afn_replay_client_set_default_model (replay, "a");
  k5 = afn_replay_client_compute_key (replay, messages, NULL);

  g_assert_cmpuint (strlen (k1), ==, 64);
  g_assert_cmpstr (k1, ==, k2);       /* member order and 1 vs 1.0 do not matter */
  g_assert_cmpstr (k1, !=, k3);
  g_assert_cmpstr (k1, !=, k4);
  g_assert_cmpstr (k1, !=, k5);
}

static AfnReplayClient *
recorded_client (FakeServer *server)
{
  g_autoptr(AfnOpenAIClient) inner = afn_openai_client_new (fake_server_get_base_url (server), "m");
  AfnReplayClient *replay = afn_replay_client_new (AFN_MODEL_CLIENT (inner), AFN_REPLAY_MODE_RECORD);
  const char *questions[] = { "one", "two \"quoted\"\nline", "три ✓" };

  afn_openai_client_set_api_key (inner, "sk-never-saved");

  for (guint i = 0; i < G_N_ELEMENTS (questions); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AfnChatReply) reply = chat (replay, questions[i], NULL, &error);
      g_assert_no_error (error);
    }
  return replay;
}

static void
assert_replays (AfnReplayClient *replay)
{
  const char *questions[] = { "one", "two \"quoted\"\nline", "три ✓" };

  g_assert_cmpuint (afn_replay_client_get_n_recordings (replay), ==, 3);
  afn_replay_client_set_default_model (replay, "m");
  for (guint i = 0; i < G_N_ELEMENTS (questions); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AfnChatReply) reply = chat (replay, questions[i], NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, questions[i]);
      g_assert_cmpint (afn_chat_reply_get_usage (reply)->completion_tokens, >, 0);
    }
  g_assert_cmpuint (afn_replay_client_get_hits (replay), ==, 3);
}

static void
test_jsonl_round_trip (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(AfnReplayClient) recorder = recorded_client (server);
  g_autoptr(AfnReplayClient) from_file = afn_replay_client_new (NULL, AFN_REPLAY_MODE_REPLAY);
  g_autoptr(AfnReplayClient) from_array = NULL;
  g_autoptr(AfnReplayClient) from_string = afn_replay_client_new (NULL, AFN_REPLAY_MODE_REPLAY);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) array = NULL;
  g_autoptr(JsonNode) string = NULL;
  g_autofree char *dir = g_dir_make_tmp ("afn-replay-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "rec.jsonl", NULL);
  g_autofree char *jsonl = NULL;
  g_autofree char *data = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_no_error (error);
  g_assert_true (afn_replay_client_save_jsonl (recorder, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, NULL, NULL));
  lines = g_strsplit (data, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);    /* three lines and a final newline */
  g_assert_true (g_str_has_prefix (lines[0], "{\"key\":\""));
  g_assert_nonnull (strstr (lines[0], "\"request\":"));
  g_assert_nonnull (strstr (lines[0], "\"response\":"));
  g_assert_null (strstr (data, "sk-never-saved"));

  g_assert_true (afn_replay_client_load_jsonl (from_file, path, &error));
  g_assert_no_error (error);
  assert_replays (from_file);

  /* The forms a session file embeds: an array, or the JSONL as a string. */
  array = afn_replay_client_to_json (recorder);
  from_array = afn_replay_client_new_from_json (NULL, AFN_REPLAY_MODE_REPLAY, array, &error);
  g_assert_no_error (error);
  assert_replays (from_array);
  jsonl = afn_replay_client_to_jsonl (recorder);
  string = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (string, jsonl);
  g_assert_true (afn_replay_client_load_json (from_string, string, &error));
  g_assert_no_error (error);
  assert_replays (from_string);
  g_assert_cmpstr (jsonl, ==, data);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_load_errors (void)
{
  g_autoptr(AfnReplayClient) replay = afn_replay_client_new (NULL, AFN_REPLAY_MODE_REPLAY);
  g_autoptr(GError) error = NULL;
  const char *bad_json = "\n{\"key\": \"k\", \"request\": {}, \"response\": {\"text\": \"x\"}}\n{oops\n";
  const char *no_text = "{\"key\": \"k\", \"request\": {}, \"response\": {}}\n";

  g_assert_false (afn_replay_client_load_jsonl_data (replay, bad_json, -1, "rec.jsonl", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "rec.jsonl:3:"));
  g_clear_error (&error);
  g_assert_false (afn_replay_client_load_jsonl_data (replay, no_text, -1, "rec.jsonl", &error));
  g_assert_true (g_str_has_prefix (error->message, "rec.jsonl:1:"));
  g_clear_error (&error);
  g_assert_false (afn_replay_client_load_jsonl (replay, "/nonexistent/rec.jsonl", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/llm/replay/record-replay-miss", test_record_replay_miss);
  g_test_add_func ("/llm/replay/replay-or-call", test_replay_or_call);
  g_test_add_func ("/llm/replay/key", test_key);
  g_test_add_func ("/llm/replay/jsonl-round-trip", test_jsonl_round_trip);
  g_test_add_func ("/llm/replay/load-errors", test_load_errors);

  return g_test_run ();
}
