/* test-client.c: AfnOpenAIClient against the fake server on 127.0.0.1.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "fake-server.h"
#include "fast-server.h"

typedef struct {
  FakeServer *server;
  AfnOpenAIClient *client;
  char *prices_path;
} Fixture;

typedef struct {
  AfnChatReply *reply;
  GError *error;
  gboolean done;
  gint64 finished_at;
} Result;

static void
fixture_setup (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(AfnPriceTable) prices = NULL;
  g_autoptr(GError) error = NULL;
  int fd;

  fx->server = fake_server_new (0);
  fd = g_file_open_tmp ("afn-prices-XXXXXX.json", &fx->prices_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (fx->prices_path,
                       "{\"models\": {\"test-model\": {\"input\": 2, \"cached_input\": 1, \"output\": 10}}}",
                       -1, &error);
  g_assert_no_error (error);
  prices = afn_price_table_new_from_file (fx->prices_path, &error);
  g_assert_no_error (error);

  fx->client = afn_openai_client_new (fake_server_get_base_url (fx->server), "test-model");
  afn_openai_client_set_api_key (fx->client, "sk-test-key-0123456789");
  afn_openai_client_set_price_table (fx->client, prices);
  /* Short waits so that retry tests stay fast. */
  afn_openai_client_set_retry (fx->client, 3, 10, 2000);
  afn_openai_client_set_timeouts (fx->client, 2000, 5000);
}

static void
fixture_teardown (Fixture       *fx,
                  gconstpointer  data)
{
  g_assert_finalize_object (fx->client);
  fake_server_free (fx->server);
  g_unlink (fx->prices_path);
  g_free (fx->prices_path);
}

static JsonArray *
user_message (const char *text)
{
  JsonArray *messages = json_array_new ();
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", text);
  json_array_add_object_element (messages, message);
  return messages;
}

static void
chat_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Result *r = user_data;

  r->reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &r->error);
  r->done = TRUE;
  r->finished_at = g_get_monotonic_time ();
}

static void
start_chat (AfnOpenAIClient *client,
            const char      *text,
            JsonObject      *args,
            GCancellable    *cancellable,
            Result          *r)
{
  g_autoptr(JsonArray) messages = user_message (text);

  afn_model_client_chat_async (AFN_MODEL_CLIENT (client), messages, args, cancellable,
                               chat_done_cb, r);
}

static void
wait_for (Result *results,
          guint   n)
{
  for (guint i = 0; i < n; i++)
    while (!results[i].done)
      g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
}

static void
result_clear (Result *r)
{
  g_clear_pointer (&r->reply, afn_chat_reply_unref);
  g_clear_error (&r->error);
}

/* One request; returns its reply or sets @error. */
static AfnChatReply *
chat (AfnOpenAIClient  *client,
      const char       *text,
      GError          **error)
{
  Result r = { 0 };

  start_chat (client, text, NULL, NULL, &r);
  wait_for (&r, 1);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.reply;
}

static void
test_basic (Fixture       *fx,
            gconstpointer  data)
{
  FakeRule rule = { .match = FAKE_MATCH_LAST_USER, .pattern = "capital", .reply = "Paris",
                    .prompt_tokens = 1000, .completion_tokens = 500, .cached_tokens = 200 };
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *auth = NULL;
  const AfnUsage *usage;
  AfnUsage total;
  JsonObject *sent;
  Result r = { 0 };

  fake_server_add_rule (fx->server, &rule);
  json_object_set_double_member (args, "temperature", 0.25);
  json_object_set_int_member (args, "seed", 7);
  start_chat (fx->client, "What is the capital of France?", args, NULL, &r);
  wait_for (&r, 1);
  g_assert_no_error (r.error);

  g_assert_cmpstr (afn_chat_reply_get_text (r.reply), ==, "Paris");
  usage = afn_chat_reply_get_usage (r.reply);
  g_assert_cmpint (usage->prompt_tokens, ==, 1000);
  g_assert_cmpint (usage->completion_tokens, ==, 500);
  g_assert_cmpint (usage->total_tokens, ==, 1500);
  g_assert_cmpint (usage->cached_tokens, ==, 200);
  /* (800 × 2 + 200 × 1 + 500 × 10) / 1e6 */
  g_assert_cmpfloat_with_epsilon (usage->cost_usd, 0.0068, 1e-12);
  g_assert_true (afn_openai_client_get_cost_known (fx->client));

  afn_model_client_get_usage (AFN_MODEL_CLIENT (fx->client), &total);
  g_assert_cmpint (total.total_tokens, ==, 1500);
  g_assert_cmpfloat_with_epsilon (total.cost_usd, 0.0068, 1e-12);

  /* What went over the wire: model, messages, the args, the key. */
  body = fake_server_dup_body (fx->server, 0);
  g_assert_nonnull (body);
  g_assert_true (json_parser_load_from_data (parser, body, -1, &error));
  sent = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (sent, "model"), ==, "test-model");
  g_assert_cmpfloat (json_object_get_double_member (sent, "temperature"), ==, 0.25);
  g_assert_cmpint (json_object_get_int_member (sent, "seed"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (sent, "messages"), 0),
                     "content"), ==, "What is the capital of France?");
  auth = fake_server_dup_last_authorization (fx->server);
  g_assert_cmpstr (auth, ==, "Bearer sk-test-key-0123456789");

  /* A second reply adds up. */
  result_clear (&r);
  r = (Result) { 0 };
  start_chat (fx->client, "capital of Italy", NULL, NULL, &r);
  wait_for (&r, 1);
  g_assert_no_error (r.error);
  afn_model_client_get_usage (AFN_MODEL_CLIENT (fx->client), &total);
  g_assert_cmpint (total.total_tokens, ==, 3000);
  g_assert_cmpint (total.cached_tokens, ==, 400);
  result_clear (&r);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_echo_and_unknown_price (Fixture       *fx,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  guint notified = 0;

  g_signal_connect (fx->client, "notify::cost-known", G_CALLBACK (notify_cb), &notified);
  afn_openai_client_set_model (fx->client, "no-such-model");
  reply = chat (fx->client, "say this back", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "say this back");
  g_assert_cmpint (afn_chat_reply_get_usage (reply)->prompt_tokens, >, 0);
  g_assert_cmpfloat (afn_chat_reply_get_usage (reply)->cost_usd, ==, 0.0);
  g_assert_false (afn_openai_client_get_cost_known (fx->client));
  g_assert_cmpuint (notified, ==, 1);
}

static void
test_concurrency_cap (Fixture       *fx,
                      gconstpointer  data)
{
  Result r[12] = { 0 };
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  fake_server_set_latency (fx->server, 250);
  fake_server_set_barrier (fx->server, 4);
  afn_openai_client_set_max_concurrency (fx->client, 4);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    start_chat (fx->client, "hello", NULL, NULL, &r[i]);
  g_assert_cmpuint (afn_openai_client_get_in_flight (fx->client), ==, 4);
  g_assert_cmpuint (afn_openai_client_get_queued (fx->client), ==, 8);
  wait_for (r, G_N_ELEMENTS (r));
  elapsed = (g_get_monotonic_time () - start) / 1e6;

  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_assert_no_error (r[i].error);
      g_assert_cmpstr (afn_chat_reply_get_text (r[i].reply), ==, "hello");
      result_clear (&r[i]);
    }
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 12);
  g_assert_cmpuint (fake_server_get_max_in_flight (fx->server), ==, 4);
  /* Three waves of 250 ms. */
  g_assert_cmpfloat (elapsed, >=, 0.74);
  g_assert_cmpfloat (elapsed, <, 5.0);
}

static void
test_parallel (Fixture       *fx,
               gconstpointer  data)
{
  Result r[64] = { 0 };
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  /* No answer before all 64 wait for one: sent one by one, they would time out. */
  fake_server_set_barrier (fx->server, 64);
  fake_server_set_latency (fx->server, 200);
  afn_openai_client_set_max_concurrency (fx->client, 64);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_autofree char *text = g_strdup_printf ("request %u", i);
      start_chat (fx->client, text, NULL, NULL, &r[i]);
    }
  wait_for (r, G_N_ELEMENTS (r));
  elapsed = (g_get_monotonic_time () - start) / 1e6;
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_autofree char *text = g_strdup_printf ("request %u", i);
      g_assert_no_error (r[i].error);
      g_assert_cmpstr (afn_chat_reply_get_text (r[i].reply), ==, text);
      result_clear (&r[i]);
    }
  g_assert_cmpuint (fake_server_get_max_in_flight (fx->server), ==, 64);
  /* All at once (the barrier proves it): one latency, not 64 of them (12.8 s). */
  g_assert_cmpfloat (elapsed, >=, 0.19);
  g_assert_cmpfloat (elapsed, <, 10.0);
}

static void
test_keep_alive (Fixture       *fx,
                 gconstpointer  data)
{
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AfnChatReply) reply = chat (fx->client, "again", &error);
      g_assert_no_error (error);
    }
  /* One after the other, all on one connection. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 10);
  g_assert_cmpuint (fake_server_get_connection_count (fx->server), ==, 1);
}

static void
test_retry_after (Fixture       *fx,
                  gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_RATE_LIMIT, .times = 1, .retry_after_s = 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "after the limit", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "after the limit");
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 2);
  /* The retry waited for Retry-After, not the 10 ms backoff. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 950000);
}

static void
test_retry_after_ms (Fixture       *fx,
                     gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_RATE_LIMIT, .times = 2, .retry_after_s = 5,
                    .retry_after_ms = 300 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "soon", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
  /* retry-after-ms wins over the coarser Retry-After: two waits of 300 ms. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 590000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 4000000);
}

typedef struct {
  const char *base_url;
  char *text;
} ThreadChat;

static gpointer
thread_chat (gpointer user_data)
{
  ThreadChat *tc = user_data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  client = afn_openai_client_new (tc->base_url, "m");
  reply = chat (client, "from a thread", &error);   /* iterates @context */
  g_assert_no_error (error);
  tc->text = g_strdup (afn_chat_reply_get_text (reply));
  g_clear_object (&client);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_thread_context (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  ThreadChat tc = { .base_url = fake_server_get_base_url (server) };
  GThread *thread;

  /* The client lives on the context that was the thread-default when it was
   * made: this thread's default context is never iterated meanwhile. */
  thread = g_thread_new ("chat", thread_chat, &tc);
  g_thread_join (thread);
  g_assert_cmpstr (tc.text, ==, "from a thread");
  g_assert_false (g_main_context_pending (NULL));
  g_free (tc.text);
}

static void
test_rate_limited (Fixture       *fx,
                   gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_RATE_LIMIT, .error_message = "Slow down please" };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_RATE_LIMITED);
  g_assert_nonnull (strstr (error->message, "Slow down please"));
  g_assert_nonnull (strstr (error->message, "429"));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
}

static void
test_server_error_retried (Fixture       *fx,
                           gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_SERVER_ERROR, .times = 2 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "third time lucky", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "third time lucky");
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
}

static void
test_server_error_gives_up (Fixture       *fx,
                            gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_SERVER_ERROR, .error_message = "The engine is overloaded" };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "x", &error);
  g_assert_null (reply);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_SERVER);
  g_assert_nonnull (strstr (error->message, "The engine is overloaded"));
  g_assert_nonnull (strstr (error->message, "3 attempts"));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
}

static void
test_malformed (Fixture       *fx,
                gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_MALFORMED };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_MALFORMED_REPLY);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 1);
}

static void
test_hang_times_out (Fixture       *fx,
                     gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_HANG };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  gint64 start = g_get_monotonic_time ();

  fake_server_add_rule (fx->server, &rule);
  afn_openai_client_set_timeouts (fx->client, 1000, 300);
  afn_openai_client_set_retry (fx->client, 2, 10, 100);
  reply = chat (fx->client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_TIMEOUT);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 2);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 600000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3000000);
}

static void
test_reset (Fixture       *fx,
            gconstpointer  data)
{
  FakeRule once = { .fault = FAKE_FAULT_RESET, .times = 1 };
  FakeRule always = { .fault = FAKE_FAULT_RESET };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  fake_server_add_rule (fx->server, &once);
  reply = chat (fx->client, "after a reset", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "after a reset");
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 2);
  g_clear_pointer (&reply, afn_chat_reply_unref);

  fake_server_clear_rules (fx->server);
  fake_server_add_rule (fx->server, &always);
  fake_server_reset_counters (fx->server);
  reply = chat (fx->client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_NETWORK);
  /* Three attempts; curl itself resends once when a reused connection
   * turns out dead, so the server may see a few more. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), >=, 3);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), <=, 6);
}

static void
test_encodings (Fixture       *fx,
                gconstpointer  data)
{
  FakeRule slow = { .match = FAKE_MATCH_LAST_USER, .pattern = "slow", .reply = "a slow answer",
                    .fault = FAKE_FAULT_SLOW_BODY, .slow_chunk_ms = 40 };
  FakeRule gzip = { .match = FAKE_MATCH_LAST_USER, .pattern = "gzip", .reply = "a gzip answer",
                    .gzip = TRUE };
  FakeRule both = { .match = FAKE_MATCH_LAST_USER, .pattern = "both", .reply = "gzip and chunks",
                    .gzip = TRUE, .chunked = TRUE };
  FakeRule chunked = { .match = FAKE_MATCH_ANY_MESSAGE, .pattern = "^chunk", .regex = TRUE,
                       .reply = "in chunks", .chunked = TRUE };
  const char *cases[][2] = {
    { "slow", "a slow answer" }, { "gzip", "a gzip answer" },
    { "both", "gzip and chunks" }, { "chunked", "in chunks" },
  };

  fake_server_add_rule (fx->server, &slow);
  fake_server_add_rule (fx->server, &gzip);
  fake_server_add_rule (fx->server, &both);
  fake_server_add_rule (fx->server, &chunked);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AfnChatReply) reply = chat (fx->client, cases[i][0], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, cases[i][1]);
    }
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 4);
}

static void
test_unauthorized_hides_key (Fixture       *fx,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;

  fake_server_set_required_key (fx->server, "sk-the-right-one");
  reply = chat (fx->client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "Incorrect API key provided"));
  g_assert_nonnull (strstr (error->message, "401"));
  /* The server quoted the key back; the error must not. */
  g_assert_null (strstr (error->message, "sk-test-key-0123456789"));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 1);
}

static void
test_bad_request_and_not_found (Fixture       *fx,
                                gconstpointer  data)
{
  FakeRule rule = { .fault = FAKE_FAULT_STATUS, .status = 400,
                    .error_message = "Invalid value for 'temperature': 7 is above 2." };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(AfnOpenAIClient) wrong = NULL;
  g_autofree char *url = NULL;

  fake_server_add_rule (fx->server, &rule);
  reply = chat (fx->client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (error->message, "Invalid value for 'temperature'"));
  g_clear_error (&error);
  fake_server_clear_rules (fx->server);

  url = g_strdup_printf ("%s/nowhere/", fake_server_get_base_url (fx->server));
  url[strlen (url) - strlen ("/v1/nowhere/")] = '\0';   /* the server root: no /v1 */
  wrong = afn_openai_client_new (url, "test-model");
  reply = chat (wrong, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "only POST /v1/chat/completions exists"));
}

static void
test_connection_refused (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  /* A port that was free a moment ago. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  client = afn_openai_client_new (url, "m");
  afn_openai_client_set_api_key (client, "sk-secret-do-not-print");
  reply = chat (client, "x", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_NETWORK);
  g_assert_null (strstr (error->message, "sk-secret-do-not-print"));
  g_assert_nonnull (strstr (error->message, url));
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(GCancellable) running = g_cancellable_new ();
  g_autoptr(GCancellable) queued = g_cancellable_new ();
  g_autoptr(GCancellable) early = g_cancellable_new ();
  Result r[4] = { 0 };
  gint64 start = g_get_monotonic_time ();

  fake_server_set_latency (fx->server, 1000);
  afn_openai_client_set_max_concurrency (fx->client, 2);
  g_cancellable_cancel (early);
  start_chat (fx->client, "running", NULL, running, &r[0]);
  start_chat (fx->client, "kept", NULL, NULL, &r[1]);
  start_chat (fx->client, "queued", NULL, queued, &r[2]);
  start_chat (fx->client, "early", NULL, early, &r[3]);
  /* The early one never queued. */
  g_assert_cmpuint (afn_openai_client_get_queued (fx->client), ==, 1);
  g_timeout_add (100, cancel_cb, running);
  g_timeout_add (50, cancel_cb, queued);
  wait_for (r, G_N_ELEMENTS (r));

  g_assert_error (r[0].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (r[2].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (r[3].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Cancelled requests end at once, not when the server would answer. */
  g_assert_cmpint (r[0].finished_at - start, <, 900000);
  g_assert_cmpint (r[2].finished_at - start, <, 900000);
  g_assert_cmpint (r[0].finished_at, <, r[1].finished_at);
  g_assert_no_error (r[1].error);
  g_assert_cmpstr (afn_chat_reply_get_text (r[1].reply), ==, "kept");
  /* The queued and the early ones never reached the server. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    result_clear (&r[i]);
}

static void
test_key_from_environment (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = NULL;

  client = afn_openai_client_new (fake_server_get_base_url (server), "m");
  g_assert_true (afn_openai_client_has_api_key (client));
  reply = chat (client, "x", &error);
  g_assert_no_error (error);
  auth = fake_server_dup_last_authorization (server);
  g_assert_cmpstr (auth, ==, "Bearer sk-from-env");

  /* No key: no header at all, for local servers. */
  afn_openai_client_set_api_key (client, NULL);
  g_clear_pointer (&reply, afn_chat_reply_unref);
  reply = chat (client, "x", &error);
  g_assert_no_error (error);
  g_clear_pointer (&auth, g_free);
  auth = fake_server_dup_last_authorization (server);
  g_assert_null (auth);
}

static void
test_from_args (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *body = NULL;

  json_object_set_string_member (args, "base_url", fake_server_get_base_url (server));
  json_object_set_string_member (args, "api_key", "sk-args");
  json_object_set_int_member (args, "max_concurrency", 3);
  json_object_set_double_member (args, "timeout", 2.5);
  client = afn_openai_client_new_from_args ("openai/gpt-4o", args, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_openai_client_get_model (client), ==, "gpt-4o");
  g_assert_cmpuint (afn_openai_client_get_max_concurrency (client), ==, 3);
  reply = chat (client, "x", &error);
  g_assert_no_error (error);
  auth = fake_server_dup_last_authorization (server);
  g_assert_cmpstr (auth, ==, "Bearer sk-args");
  body = fake_server_dup_body (server, 0);
  g_assert_nonnull (strstr (body, "\"model\":\"gpt-4o\""));
  g_clear_object (&client);

  json_object_set_string_member (args, "timeout", "soon");
  client = afn_openai_client_new_from_args ("gpt-4o", args, &error);
  g_assert_null (client);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "timeout"));
}

/* Only a one-certificate CA file is used: loading the system's bundle takes
 * minutes under ASan with full malloc stacks. */
static void
test_tls (void)
{
  g_autoptr(FakeServer) server = fake_server_new_full (0, TRUE);
  g_autoptr(AfnOpenAIClient) client = afn_openai_client_new (fake_server_get_base_url (server), "m");
  g_autoptr(AfnOpenAIClient) wrong_name = NULL;
  g_autoptr(AfnChatReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_path = NULL;
  g_autofree char *localhost_url = NULL;
  int fd;

  g_assert_true (g_str_has_prefix (fake_server_get_base_url (server), "https://127.0.0.1:"));
  fd = g_file_open_tmp ("afn-ca-XXXXXX.pem", &ca_path, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (ca_path, fake_server_get_tls_certificate_pem (), -1, &error);
  g_assert_no_error (error);

  /* Trusted, but issued for 127.0.0.1, not "localhost": refused. */
  localhost_url = g_strdup_printf ("https://localhost:%s",
                                   strrchr (fake_server_get_base_url (server), ':') + 1);
  wrong_name = afn_openai_client_new (localhost_url, "m");
  afn_openai_client_set_ca_file (wrong_name, ca_path);
  /* TLS set-up is slow under sanitizers. */
  afn_openai_client_set_timeouts (wrong_name, 60000, 60000);
  afn_openai_client_set_timeouts (client, 60000, 60000);
  reply = chat (wrong_name, "secret", &error);
  g_assert_error (error, AFN_MODEL_ERROR, AFN_MODEL_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "certificate"));
  g_assert_cmpuint (fake_server_get_request_count (server), ==, 0);
  g_clear_error (&error);

  afn_openai_client_set_ca_file (client, ca_path);
  reply = chat (client, "secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (afn_chat_reply_get_text (reply), ==, "secret");
  g_assert_cmpuint (fake_server_get_request_count (server), ==, 1);
  g_unlink (ca_path);
}

/* The benchmark's minimal server answers the client correctly. */
static void
test_fast_server (void)
{
  g_autoptr(FastServer) server = fast_server_new ();
  g_autoptr(AfnOpenAIClient) client = afn_openai_client_new (fast_server_get_base_url (server), "m");
  Result r[100] = { 0 };

  afn_openai_client_set_max_concurrency (client, 8);
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    start_chat (client, "anything", NULL, NULL, &r[i]);
  wait_for (r, G_N_ELEMENTS (r));
  for (guint i = 0; i < G_N_ELEMENTS (r); i++)
    {
      g_assert_no_error (r[i].error);
      g_assert_cmpstr (afn_chat_reply_get_text (r[i].reply), ==, "ok");
      g_assert_cmpint (afn_chat_reply_get_usage (r[i].reply)->total_tokens, ==, 13);
      result_clear (&r[i]);
    }
  g_assert_cmpuint (fast_server_get_request_count (server), ==, 100);
}

static void
test_price_table (void)
{
  g_autoptr(AfnPriceTable) table = afn_price_table_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnPriceTable) missing = NULL;
  AfnModelPrice price;
  AfnUsage usage = { .prompt_tokens = 1000000, .completion_tokens = 1000000 };

  /* The shipped table knows OpenAI's models, snapshots and provider prefixes. */
  g_assert_true (afn_price_table_lookup (table, "gpt-4o-mini", &price));
  g_assert_cmpfloat (price.input, >, 0);
  g_assert_true (afn_price_table_lookup (table, "openai/gpt-4o-mini-2024-07-18", &price));
  g_assert_true (afn_price_table_lookup (table, "gpt-4o-2024-08-06", &price));
  g_assert_true (afn_price_table_price_usage (table, "gpt-4o", &usage));
  g_assert_cmpfloat_with_epsilon (usage.cost_usd, price.input + price.output, 1e-9);
  g_assert_false (afn_price_table_lookup (table, "llama3.2", &price));
  g_assert_false (afn_price_table_lookup (table, "gpt-4ox", &price));

  missing = afn_price_table_new_from_file ("/nonexistent/prices.json", &error);
  g_assert_null (missing);
  g_assert_nonnull (error);
}

int
main (int argc, char **argv)
{
  /* Set before any thread starts: setenv() is not thread-safe. */
  g_setenv ("OPENAI_API_KEY", "sk-from-env", TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/llm/client/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("basic", test_basic);
  ADD ("echo-unknown-price", test_echo_and_unknown_price);
  ADD ("concurrency-cap", test_concurrency_cap);
  ADD ("parallel", test_parallel);
  ADD ("keep-alive", test_keep_alive);
  ADD ("retry-after", test_retry_after);
  ADD ("retry-after-ms", test_retry_after_ms);
  ADD ("rate-limited", test_rate_limited);
  ADD ("server-error-retried", test_server_error_retried);
  ADD ("server-error-gives-up", test_server_error_gives_up);
  ADD ("malformed", test_malformed);
  ADD ("hang-times-out", test_hang_times_out);
  ADD ("reset", test_reset);
  ADD ("encodings", test_encodings);
  ADD ("unauthorized-hides-key", test_unauthorized_hides_key);
  ADD ("bad-request-not-found", test_bad_request_and_not_found);
  ADD ("connection-refused", test_connection_refused);
  ADD ("cancel", test_cancel);
#undef ADD
  g_test_add_func ("/llm/client/key-from-environment", test_key_from_environment);
  g_test_add_func ("/llm/client/price-table", test_price_table);
  g_test_add_func ("/llm/client/from-args", test_from_args);
  g_test_add_func ("/llm/client/thread-context", test_thread_context);
  g_test_add_func ("/llm/client/fast-server", test_fast_server);
  g_test_add_func ("/llm/client/tls", test_tls);

  return g_test_run ();
}
