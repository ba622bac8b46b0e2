/* bench-llm.c: the `llm` benchmark. Prints `BENCH name value unit` lines.
 *
 * Each part is one function in parts[]; `bench-llm PART...` runs only those.
 *   (a) backward, (b) step: in bench-llm-ops.c (see bench-llm.h).
 *   (c) client_rps: 10,000 requests against a zero-latency fake server, with
 *       the concurrency cap at 64.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <stdio.h>

#include "bench-llm.h"
#include "fake-server.h"
#include "fast-server.h"

#define RPS_REQUESTS 10000
#define RPS_WARMUP 256
#define RPS_CAP 64

typedef struct {
  guint done;
  guint failed;
} Counter;

static void
count_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Counter *counter = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &error);

  counter->done++;
  if (reply == NULL)
    counter->failed++;
}

/* Sends @n requests at once and waits for all of them. */
static void
send_all (AfnModelClient *client,
          JsonArray      *messages,
          guint           n)
{
  Counter counter = { 0 };

  for (guint i = 0; i < n; i++)
    afn_model_client_chat_async (client, messages, NULL, NULL, count_done_cb, &counter);
  while (counter.done < n)
    g_main_context_iteration (NULL, TRUE);
  if (counter.failed > 0)
    g_error ("%u of %u requests failed", counter.failed, n);
}

/* The client's own cost: the server is the minimal one (fast-server.c), so
 * that what is measured is the client, not libsoup. */
static void
bench_client_rps (void)
{
  g_autoptr(FastServer) server = fast_server_new ();
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(JsonArray) messages = json_array_new ();
  JsonObject *message = json_object_new ();
  gint64 start;
  double seconds;

  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", "Reply with one short sentence.");
  json_array_add_object_element (messages, message);

  client = afn_openai_client_new (fast_server_get_base_url (server), "gpt-4o-mini");
  afn_openai_client_set_api_key (client, "sk-bench");
  afn_openai_client_set_max_concurrency (client, RPS_CAP);

  send_all (AFN_MODEL_CLIENT (client), messages, RPS_WARMUP);
  start = g_get_monotonic_time ();
  send_all (AFN_MODEL_CLIENT (client), messages, RPS_REQUESTS);
  seconds = (g_get_monotonic_time () - start) / 1e6;

  g_assert_cmpuint (fast_server_get_request_count (server), ==, RPS_WARMUP + RPS_REQUESTS);
  printf ("BENCH llm_client_rps %.0f requests/s\n", RPS_REQUESTS / seconds);
  fflush (stdout);
}

/* The same against the libsoup fake server, for comparison (not a figure of
 * the issue): `bench-llm client_rps_soup`. */
static void
bench_client_rps_soup (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(JsonArray) messages = json_array_new ();
  JsonObject *message = json_object_new ();
  gint64 start;
  double seconds;

  fake_server_set_record_bodies (server, FALSE);
  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", "Reply with one short sentence.");
  json_array_add_object_element (messages, message);

  client = afn_openai_client_new (fake_server_get_base_url (server), "gpt-4o-mini");
  afn_openai_client_set_max_concurrency (client, RPS_CAP);
  send_all (AFN_MODEL_CLIENT (client), messages, RPS_WARMUP);
  start = g_get_monotonic_time ();
  send_all (AFN_MODEL_CLIENT (client), messages, RPS_REQUESTS);
  seconds = (g_get_monotonic_time () - start) / 1e6;

  g_assert_cmpuint (fake_server_get_request_count (server), ==, RPS_WARMUP + RPS_REQUESTS);
  g_assert_cmpuint (fake_server_get_connection_count (server), <=, RPS_CAP);
  printf ("llm_client_rps_soup %.0f requests/s\n", RPS_REQUESTS / seconds);
  fflush (stdout);
}

static const struct {
  const char *name;
  void (*run) (void);
} parts[] = {
  { "backward", bench_llm_backward },
  { "step", bench_llm_step },
  { "client_rps", bench_client_rps },
  { "client_rps_soup", bench_client_rps_soup },
};

int
main (int argc, char **argv)
{
  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      /* Comparison parts run only when named. */
      gboolean wanted = argc < 2 && !g_str_has_suffix (parts[i].name, "_soup");
      for (int a = 1; a < argc; a++)
        wanted |= g_str_equal (argv[a], parts[i].name);
      if (wanted)
        parts[i].run ();
    }
  return 0;
}
