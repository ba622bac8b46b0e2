/* bench-llm-ops.c: `llm` benchmark parts (a) and (b), against the fake
 * server with 200 ms latency and a concurrency cap of 64.
 *
 * The ratio is wall time divided by the critical-path bound: latency times
 * the longest chain of requests that wait on each other (2 for (a): the
 * evaluator's request, then the chat completions'; 1 for (b)). Each figure
 * is the best of RUNS runs, since the machine is shared.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <stdio.h>

#include "bench-llm.h"
#include "fake-server.h"
#include "../main-loop-util.h"

#define N 64
#define LATENCY_MS 200
#define RUNS 3

static void
forward_all (AfnOpenAIClient *client, AfnParameter **params, AfnVariable **answers)
{
  GAsyncResult *results[N] = { NULL };

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *question = g_strdup_printf ("question %u", i);
      g_autoptr(AfnVariable) user = afn_variable_new_str (question, "user query", FALSE);
      g_autoptr(GPtrArray) messages = afn_chat_messages_new ();

      g_ptr_array_add (messages, afn_chat_message_new ("system", AFN_VARIABLE (params[i]), NULL));
      g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
      afn_chat_completion_async (AFN_MODEL_CLIENT (client), messages, NULL, NULL, NULL,
                                 test_result_cb, &results[i]);
    }
  for (guint i = 0; i < N; i++)
    {
      g_autoptr(GError) error = NULL;

      test_wait_result (&results[i]);
      answers[i] = afn_chat_completion_finish (results[i], NULL, &error);
      g_assert_no_error (error);
      g_object_unref (results[i]);
    }
}

/* (a): one timed backward; returns its wall time in microseconds. */
static gint64
bench_backward (FakeServer *server, AfnOpenAIClient *client)
{
  AfnParameter *params[N];
  AfnVariable *answers[N];
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  g_autoptr(AfnVariable) all = NULL;
  g_autoptr(AfnVariable) target = afn_variable_new_str ("never", "target", FALSE);
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, wall;
  guint before;

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("system prompt %u", i);

      params[i] = afn_parameter_new_str (text, "system prompt");
    }
  forward_all (client, params, answers);
  for (guint i = 0; i < N; i++)
    g_ptr_array_add (parts, answers[i]);
  all = afn_sum (parts, &error);
  g_assert_no_error (error);
  g_assert_true (afn_exact_match_evaluator (all, target, NULL, NULL, &score, &explanation, &error));

  before = fake_server_get_request_count (server);
  start = g_get_monotonic_time ();
  afn_variable_backward_async (explanation, NULL, FALSE, NULL, NULL, test_result_cb, &result);
  test_wait_result (&result);
  wall = g_get_monotonic_time () - start;
  g_assert_true (afn_variable_backward_finish (explanation, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_server_get_request_count (server) - before, ==, N + 1);
  for (guint i = 0; i < N; i++)
    g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (params[i])), ==, 1);

  for (guint i = 0; i < N; i++)
    {
      g_object_unref (params[i]);
      g_object_unref (answers[i]);
    }
  return wall;
}

/* (b): one timed step; returns its wall time in microseconds. */
static gint64
bench_step (FakeServer *server, AfnOpenAIClient *client)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, wall;

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *text = g_strdup_printf ("prompt %u", i);
      AfnParameter *p = afn_parameter_new_str (text, "system prompt");
      g_autoptr(AfnVariable) grad = afn_variable_new_str ("be more specific", "feedback to system prompt", FALSE);

      afn_variable_append_grad (AFN_VARIABLE (p), grad, NULL);
      g_ptr_array_add (params, p);
    }
  tgd = afn_tgd_new (params, AFN_MODEL_CLIENT (client), NULL, NULL, NULL, 0, NULL);
  start = g_get_monotonic_time ();
  afn_tgd_step_async (tgd, NULL, test_result_cb, &result);
  test_wait_result (&result);
  wall = g_get_monotonic_time () - start;
  g_assert_true (afn_tgd_step_finish (tgd, result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (g_ptr_array_index (params, 0)), NULL), ==, "improved");

  return wall;
}

/* A fake server with the benchmark's latency and a client capped at 64,
 * also set as the backward model client. */
static void
setup (FakeServer **server, AfnOpenAIClient **client)
{
  FakeRule rule = { .match = FAKE_MATCH_ALWAYS, .reply = "<IMPROVED_VARIABLE>improved</IMPROVED_VARIABLE>" };

  *server = fake_server_new (0);
  *client = afn_openai_client_new (fake_server_get_base_url (*server), "bench-model");
  fake_server_add_rule (*server, &rule);
  fake_server_set_record_bodies (*server, FALSE);
  fake_server_set_latency (*server, LATENCY_MS);
  afn_openai_client_set_api_key (*client, "");
  afn_openai_client_set_max_concurrency (*client, N);
  afn_set_backward_model_client_instance (AFN_MODEL_CLIENT (*client), "bench-model", NULL);
}

static void
teardown (FakeServer *server, AfnOpenAIClient *client)
{
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  g_object_unref (client);
  fake_server_free (server);
}

/* The machine is shared, so each figure is the best of a few runs. */
static gint64
best_of (gint64 (*run) (FakeServer *, AfnOpenAIClient *), FakeServer *server, AfnOpenAIClient *client)
{
  gint64 best = G_MAXINT64;

  for (guint r = 0; r < RUNS; r++)
    best = MIN (best, run (server, client));
  return best;
}

void
bench_llm_backward (void)
{
  FakeServer *server;
  AfnOpenAIClient *client;
  gint64 wall;

  setup (&server, &client);
  wall = best_of (bench_backward, server, client);
  teardown (server, client);
  printf ("BENCH llm_backward_s %.3f s\n", wall / 1e6);
  printf ("BENCH llm_backward_ratio %.3f ratio\n", wall / (LATENCY_MS * 1e3 * 2));
}

/* Opens the client's connections, as the forward and backward passes before
 * a step would have, so that the step measures the step. */
static void
warm_up (AfnOpenAIClient *client)
{
  AfnParameter *params[N];
  AfnVariable *answers[N];

  for (guint i = 0; i < N; i++)
    params[i] = afn_parameter_new_str ("warm-up", "system prompt");
  forward_all (client, params, answers);
  for (guint i = 0; i < N; i++)
    {
      g_object_unref (params[i]);
      g_object_unref (answers[i]);
    }
}

void
bench_llm_step (void)
{
  FakeServer *server;
  AfnOpenAIClient *client;
  gint64 wall;

  setup (&server, &client);
  warm_up (client);
  wall = best_of (bench_step, server, client);
  teardown (server, client);
  printf ("BENCH llm_step_s %.3f s\n", wall / 1e6);
  printf ("BENCH llm_step_ratio %.3f ratio\n", wall / (LATENCY_MS * 1e3));
}
