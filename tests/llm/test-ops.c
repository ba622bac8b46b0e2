/* test-ops.c: chat_completion, evaluators, LM backward and TGD, end to end
 * against the fake OpenAI-compatible server on 127.0.0.1.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <string.h>

#include "fake-server.h"
#include "../main-loop-util.h"

typedef struct {
  FakeServer      *server;
  AfnOpenAIClient *client;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  fx->server = fake_server_new (0);
  fx->client = afn_openai_client_new (fake_server_get_base_url (fx->server), "test-model");
  afn_openai_client_set_api_key (fx->client, "");
  afn_openai_client_set_retry (fx->client, 1, 10, 10);
  afn_openai_client_set_timeouts (fx->client, 2000, 5000);
  afn_openai_client_set_max_concurrency (fx->client, 64);
  afn_set_backward_model_client_instance (AFN_MODEL_CLIENT (fx->client), "backward-model", NULL);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  /* Cancelled requests finish on the next iterations. */
  test_iterate_pending ();
  g_assert_finalize_object (fx->client);
  fake_server_free (fx->server);
}

/* The async form, waited for here, so that tests can cancel it from a
 * timeout (sync-backward tests afn_variable_backward() itself). */
static gboolean
backward (AfnVariable *root, AfnVariable *gradient, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  afn_variable_backward_async (root, gradient, FALSE, NULL, cancellable, test_result_cb, &result);
  return afn_variable_backward_finish (root, test_wait_result (&result), error);
}

static const char *
str_data (AfnVariable *v)
{
  return afn_value_get_str (afn_variable_get_data (v), NULL);
}

static GPtrArray *
qa_messages (AfnVariable *system, AfnVariable *user)
{
  GPtrArray *messages = afn_chat_messages_new ();

  g_ptr_array_add (messages, afn_chat_message_new ("system", system, NULL));
  g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
  return messages;
}

static void
test_chat_completion (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) system = afn_parameter_new_str ("You are terse.", "system prompt");
  g_autoptr(AfnVariable) user = afn_variable_new_str ("Colour of the {thing}?", "user query", FALSE);
  g_autoptr(GPtrArray) messages = qa_messages (AFN_VARIABLE (system), user);
  g_autoptr(AfnChatInputs) inputs = afn_chat_inputs_new ();
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  AfnUsage usage = { 0 }, node_usage = { 0 };

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "Colour of the sky?", "blue");
  afn_chat_inputs_add_str (inputs, "thing", "sky");
  answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, inputs, NULL, &usage, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (str_data (answer), ==, "blue");
  g_assert_cmpstr (afn_variable_get_role (answer), ==, AFN_CHAT_COMPLETION_OUTPUT_ROLE);
  g_assert_true (afn_variable_get_requires_grad (answer));
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (answer)), ==, "ChatCompletionBackward0");
  /* One edge per Variable in messages then inputs, in order. */
  g_assert_cmpuint (afn_node_get_n_next_functions (afn_variable_get_grad_fn (answer)), ==, 3);
  g_assert_nonnull (afn_node_get_next_function (afn_variable_get_grad_fn (answer), 0, NULL));
  g_assert_null (afn_node_get_next_function (afn_variable_get_grad_fn (answer), 1, NULL));
  g_assert_cmpint (usage.total_tokens, >, 0);
  afn_lm_node_get_forward_usage (AFN_LM_NODE (afn_variable_get_grad_fn (answer)), &node_usage);
  g_assert_cmpint (node_usage.total_tokens, ==, usage.total_tokens);

  body = fake_server_dup_body (fx->server, 0);
  g_assert_nonnull (strstr (body, "\"content\":\"You are terse.\""));
  g_assert_nonnull (strstr (body, "Colour of the sky?"));
  g_assert_nonnull (strstr (body, "\"model\":\"test-model\""));
}

static void
test_chat_completion_no_grad (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) system = afn_parameter_new_str ("sys", "system prompt");
  g_autoptr(AfnVariable) user = afn_variable_new_str ("hello", "user query", FALSE);
  g_autoptr(GPtrArray) messages = qa_messages (AFN_VARIABLE (system), user);
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(AfnNoGradGuard) guard = afn_no_grad ();

    answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, NULL, NULL, NULL, NULL, &error);
  }
  g_assert_no_error (error);
  g_assert_cmpstr (str_data (answer), ==, "hello");   /* the server echoes */
  g_assert_false (afn_variable_get_requires_grad (answer));
  g_assert_null (afn_variable_get_grad_fn (answer));
}

static void
test_chat_completion_batch (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) system = afn_parameter_new_str ("Repeat.", "system prompt");
  g_autoptr(AfnVariable) user = afn_variable_new_str ("say {word}", "user query", FALSE);
  g_autoptr(GPtrArray) messages = qa_messages (AFN_VARIABLE (system), user);
  g_autoptr(AfnChatInputs) inputs = afn_chat_inputs_new ();
  const char *words[] = { "one", "two", "three", "four", NULL };
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(GError) error = NULL;
  AfnValue *data_value;
  gint64 start;

  fake_server_set_latency (fx->server, 200);
  afn_chat_inputs_add_strv (inputs, "word", words);
  start = g_get_monotonic_time ();
  answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, inputs, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* Four requests at once: one round trip, not four. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 600 * 1000);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 4);
  g_assert_cmpuint (fake_server_get_max_in_flight (fx->server), ==, 4);
  data_value = afn_variable_get_data (answer);
  g_assert_cmpint (afn_value_kind (data_value), ==, AFN_VALUE_LIST);
  g_assert_cmpuint (afn_value_n_items (data_value), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *want = g_strdup_printf ("say %s", words[i]);

      g_assert_cmpstr (afn_value_get_str (afn_value_get_item (data_value, i), NULL), ==, want);
    }
}

static void
test_chat_completion_shape_error (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnVariable) user = afn_variable_new_str ("{a} {b}", "user query", FALSE);
  g_autoptr(GPtrArray) messages = afn_chat_messages_new ();
  g_autoptr(AfnChatInputs) inputs = afn_chat_inputs_new ();
  const char *two[] = { "x", "y", NULL }, *three[] = { "x", "y", "z", NULL };
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
  afn_chat_inputs_add_strv (inputs, "a", two);
  afn_chat_inputs_add_strv (inputs, "b", three);
  answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, inputs, NULL, NULL, NULL, &error);
  g_assert_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH);
  g_assert_null (answer);
  g_assert_nonnull (strstr (error->message, "“a”"));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 0);
}

static void
test_explanations (void)
{
  g_autoptr(AfnVariable) prediction = afn_variable_new_str ("green", "color prediction", TRUE);
  g_autoptr(AfnVariable) target = afn_variable_new_str ("red", "target", FALSE);
  g_autoptr(AfnValue) batch = afn_value_new_list ();
  g_autoptr(AfnValue) batch_target = afn_value_new_list ();
  g_autoptr(AfnVariable) predictions = NULL;
  g_autoptr(AfnVariable) targets = NULL;
  AfnVariable *score = NULL, *explanation = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (afn_exact_match_evaluator (prediction, target, NULL, NULL, &score, &explanation, &error));
  g_assert_no_error (error);
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (score)), ==, 0);
  g_assert_cmpstr (str_data (explanation), ==,
                   "The evaluation function, designed for 'exact match', compared the <DATA> field of the "
                   "predicted variable ('green') with the <DATA> field of the target variable ('red'), "
                   "resulting in a score: 0.");
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (explanation)), ==, "ExactMatchEvaluatorBackward0");
  g_assert_true (afn_variable_get_grad_fn (score) == afn_variable_get_grad_fn (explanation));
  g_assert_cmpuint (afn_variable_get_output_nr (explanation), ==, 1);
  g_clear_object (&score);
  g_clear_object (&explanation);

  afn_value_append_take (batch, afn_value_new_str ("green", -1));
  afn_value_append_take (batch, afn_value_new_str ("blue", -1));
  afn_value_append_take (batch_target, afn_value_new_str ("red", -1));
  afn_value_append_take (batch_target, afn_value_new_str ("blue", -1));
  predictions = afn_variable_new (batch, "color prediction", TRUE, NULL);
  targets = afn_variable_new (batch_target, "targets", FALSE, NULL);
  g_assert_true (afn_exact_match_evaluator (predictions, targets, "sum", "summation", &score, &explanation, &error));
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (score)), ==, 1);
  g_assert_cmpstr (str_data (explanation), ==,
                   "The evaluation function, designed for 'exact match', compared the <DATA> fields of the "
                   "predicted variable and the target variable across all samples in the batch, generating "
                   "individual scores for each pair. These scores were then aggregated using the reduction "
                   "function 'summation', resulting in a final aggregated score: 1.");
  g_clear_object (&score);
  g_clear_object (&explanation);

  g_assert_true (afn_deterministic_evaluator (predictions, targets, "exact", "exact match", NULL,
                                              "mean", NULL, &score, &explanation, &error));
  g_assert_cmpfloat (afn_value_get_float (afn_variable_get_data (score)), ==, 0.5);
  g_assert_nonnull (strstr (str_data (explanation), "reduction function 'mean', resulting in a final aggregated score: 0.5."));
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (score)), ==, "DeterministicEvaluatorBackward0");
  g_clear_object (&score);
  g_clear_object (&explanation);
}

static double
score_length_cb (AfnValue *prediction, AfnValue *target, const char *arg, gpointer user_data, GError **error)
{
  gsize a, b;

  afn_value_get_str (prediction, &a);
  afn_value_get_str (target, &b);
  (*(guint *) user_data)++;
  return a == b ? 1 : 0;
}

static double
deterministic_score (const char *eval_fn, const char *prediction, const char *target, GError **error)
{
  g_autoptr(AfnVariable) p = afn_variable_new_str (prediction, "prediction", FALSE);
  g_autoptr(AfnVariable) t = afn_variable_new_str (target, "target", FALSE);
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  AfnValue *v;

  if (!afn_deterministic_evaluator (p, t, eval_fn, NULL, NULL, NULL, NULL, &score, &explanation, error))
    return -1;
  v = afn_variable_get_data (score);
  return afn_value_kind (v) == AFN_VALUE_INT ? afn_value_get_int (v) : afn_value_get_float (v);
}

static void
test_scoring_functions (void)
{
  g_autoptr(GError) error = NULL;
  guint calls = 0;

  g_assert_cmpfloat (deterministic_score ("exact", "Paris", "Paris", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("exact", "Paris", "paris", NULL), ==, 0);
  g_assert_cmpfloat (deterministic_score ("case-insensitive", "PARIS", "paris", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("contains", "It is Paris.", "Paris", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("contains", "It is Rome.", "Paris", NULL), ==, 0);
  g_assert_cmpfloat (deterministic_score ("regex", "abc123", "[a-z]+[0-9]+", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("regex", "abc123x", "[a-z]+[0-9]+", NULL), ==, 0);
  g_assert_cmpfloat (deterministic_score ("regex:i", "ABC", "abc", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("numeric:0.01", " 3.141 ", "3.14", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("numeric:0.0001", "3.141", "3.14", NULL), ==, 0);
  g_assert_cmpfloat (deterministic_score ("numeric", "three", "3", NULL), ==, 0);
  g_assert_cmpfloat (deterministic_score ("json-field:answer", "{\"answer\": \"42\", \"why\": \"x\"}", "42", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("json-field:answer", "{\"answer\": 42}", "{\"answer\": 42}", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("json-field:answer", "not json", "42", NULL), ==, 0);

  g_assert_cmpfloat (deterministic_score ("no-such-function", "a", "a", &error), ==, -1);
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "no-such-function"));
  g_clear_error (&error);
  g_assert_cmpfloat (deterministic_score ("numeric", "1", "one", &error), ==, -1);
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_clear_error (&error);

  afn_register_scoring_function ("same-length", "equal length", TRUE, score_length_cb, &calls, NULL);
  g_assert_cmpfloat (deterministic_score ("same-length", "abc", "xyz", NULL), ==, 1);
  g_assert_cmpfloat (deterministic_score ("same-length", "abcd", "xyz", NULL), ==, 0);
  g_assert_cmpuint (calls, ==, 2);
  {
    g_autofree const char **names = afn_scoring_function_names ();

    g_assert_true (g_strv_contains (names, "same-length"));
    g_assert_true (g_strv_contains (names, "json-field"));
  }
}

/* The question-answer graph of the loop tests: a system prompt Parameter,
 * a user question, a chat completion, an exact-match evaluator. */
typedef struct {
  AfnParameter *system;
  AfnVariable  *user;
  AfnVariable  *answer;
  AfnVariable  *target;
  AfnVariable  *score;
  AfnVariable  *explanation;
} Loop;

static void
loop_clear (Loop *loop)
{
  g_clear_object (&loop->system);
  g_clear_object (&loop->user);
  g_clear_object (&loop->answer);
  g_clear_object (&loop->target);
  g_clear_object (&loop->score);
  g_clear_object (&loop->explanation);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Loop, loop_clear)

static void
loop_forward (Fixture *fx, Loop *loop, const char *target)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  loop->system = afn_parameter_new_str ("You are a helpful assistant.", "system prompt");
  loop->user = afn_variable_new_str ("What colour is the sky?", "user query", FALSE);
  messages = qa_messages (AFN_VARIABLE (loop->system), loop->user);
  loop->answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  loop->target = afn_variable_new_str (target, "expected answer", FALSE);
  g_assert_true (afn_exact_match_evaluator (loop->answer, loop->target, NULL, NULL,
                                            &loop->score, &loop->explanation, &error));
  g_assert_no_error (error);
}

#define FORWARD_RULE_PATTERN "What colour is the sky?"
#define EVAL_FEEDBACK "Answer with the colour the target names: blue."
#define PROMPT_FEEDBACK "The system prompt should tell the assistant that the sky is blue."
#define NEW_PROMPT "You are a helpful assistant. The sky is blue."

static void
add_loop_rules (Fixture *fx)
{
  /* Most specific first: the TGD request also quotes the feedback. */
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<ITEM>" PROMPT_FEEDBACK "</ITEM>",
                         "Here it is:\n<IMPROVED_VARIABLE>\n" NEW_PROMPT "\n</IMPROVED_VARIABLE>\nDone.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<FEEDBACK_ON_ANSWER>" EVAL_FEEDBACK "</FEEDBACK_ON_ANSWER>",
                         PROMPT_FEEDBACK);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<PREDICTION>green</PREDICTION>", EVAL_FEEDBACK);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, FORWARD_RULE_PATTERN, "green");
}

static void
test_full_loop (Fixture *fx, gconstpointer data)
{
  g_auto(Loop) loop = { 0 };
  g_autoptr(GPtrArray) params = g_ptr_array_new ();
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *eval_body = NULL;
  g_autofree char *backward_body = NULL;
  AfnVariable *grad;
  AfnUsage usage;

  add_loop_rules (fx);
  loop_forward (fx, &loop, "blue");
  g_assert_cmpstr (str_data (loop.answer), ==, "green");
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (loop.score)), ==, 0);

  g_assert_true (backward (loop.explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  /* One forward, then the evaluator's request, then the chat completion's. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
  eval_body = fake_server_dup_body (fx->server, 1);
  g_assert_nonnull (strstr (eval_body, "\"model\":\"backward-model\""));
  g_assert_nonnull (strstr (eval_body, "resulting in a score: 0."));
  g_assert_nonnull (strstr (eval_body, "<TARGET>blue</TARGET>"));
  backward_body = fake_server_dup_body (fx->server, 2);
  /* The backward prompt shows role, whole text, conversation and answer. */
  g_assert_nonnull (strstr (backward_body, "<VARIABLE_ROLE>system prompt</VARIABLE_ROLE>"));
  g_assert_nonnull (strstr (backward_body, "<VARIABLE>You are a helpful assistant.</VARIABLE>"));
  g_assert_nonnull (strstr (backward_body, "<MESSAGE role=\\\"user\\\">What colour is the sky?</MESSAGE>"));
  g_assert_nonnull (strstr (backward_body, "<ANSWER>green</ANSWER>"));

  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (loop.system)), ==, 1);
  grad = afn_variable_get_grad (AFN_VARIABLE (loop.system), 0);
  g_assert_cmpstr (str_data (grad), ==, PROMPT_FEEDBACK);
  g_assert_cmpstr (afn_variable_get_role (grad), ==, "feedback to system prompt");

  g_ptr_array_add (params, loop.system);
  tgd = afn_tgd_new (params, AFN_MODEL_CLIENT (fx->client), NULL, NULL, NULL, 0, NULL);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (str_data (AFN_VARIABLE (loop.system)), ==, NEW_PROMPT);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 4);
  g_assert_cmpuint (afn_tgd_get_last_step_requests (tgd), ==, 1);
  afn_tgd_get_usage (tgd, &usage);
  g_assert_cmpint (usage.total_tokens, >, 0);

  /* zero_grad empties the list; a step without feedback sends nothing. */
  afn_tgd_zero_grad (tgd);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (loop.system)), ==, 0);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 4);
}

static void
test_success_short_circuit (Fixture *fx, gconstpointer data)
{
  g_auto(Loop) loop = { 0 };
  g_autoptr(GError) error = NULL;
  AfnVariable *grad;

  add_loop_rules (fx);
  loop_forward (fx, &loop, "green");
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (loop.score)), ==, 1);
  /* No backward client is needed either: nothing is asked. */
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  g_assert_true (backward (loop.explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (loop.system)), ==, 1);
  grad = afn_variable_get_grad (AFN_VARIABLE (loop.system), 0);
  g_assert_cmpstr (str_data (grad), ==, "");
}

static void
test_no_backward_client (Fixture *fx, gconstpointer data)
{
  g_auto(Loop) loop = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnModelClient) none = NULL;

  add_loop_rules (fx);
  loop_forward (fx, &loop, "blue");
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  none = afn_get_backward_model_client (&error);
  g_assert_null (none);
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_MODEL_CLIENT);
  g_clear_error (&error);
  g_assert_false (backward (loop.explanation, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_MODEL_CLIENT);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (loop.system)), ==, 0);
}

static void
test_set_backward_client (Fixture *fx, gconstpointer data)
{
  g_autoptr(JsonObject) client_args = json_object_new ();
  g_autoptr(JsonObject) completion_args = json_object_new ();
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(AfnModelClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(AfnVariable) user = afn_variable_new_str ("ping", "user", FALSE);
  g_autoptr(AfnVariable) answer = NULL;
  g_autofree char *body = NULL;

  g_assert_false (afn_set_backward_model_client ("gpt-4o", NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "provider/model"));
  g_clear_error (&error);

  json_object_set_string_member (client_args, "base_url", fake_server_get_base_url (fx->server));
  json_object_set_string_member (client_args, "api_key", "sk-secret");
  json_object_set_double_member (completion_args, "temperature", 0.25);
  g_assert_true (afn_set_backward_model_client ("openai/gpt-test", client_args, completion_args, &error));
  client = afn_get_backward_model_client (&error);
  g_assert_no_error (error);
  g_assert_true (AFN_IS_OPENAI_CLIENT (client));
  args = afn_get_backward_completion_args ();
  g_assert_cmpstr (json_object_get_string_member (args, "model"), ==, "gpt-test");
  g_assert_cmpfloat (json_object_get_double_member (args, "temperature"), ==, 0.25);

  messages = afn_chat_messages_new ();
  g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
  answer = afn_chat_completion (client, messages, NULL, args, NULL, NULL, &error);
  g_assert_no_error (error);
  body = fake_server_dup_body (fx->server, 0);
  g_assert_nonnull (strstr (body, "\"model\":\"gpt-test\""));
  g_assert_nonnull (strstr (body, "\"temperature\":0.25"));
  g_clear_object (&client);
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
}

static void
cancel_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
}

static gboolean
cancel_timeout_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_backward (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(AfnParameter) system = afn_parameter_new_str ("sys", "system prompt");
  g_autoptr(AfnParameter) other = afn_parameter_new_str ("other", "other prompt");
  g_autoptr(AfnVariable) user = afn_variable_new_str ("question", "user query", FALSE);
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(AfnVariable) feedback = afn_variable_new_str ("be better", "feedback", FALSE);
  g_autoptr(AfnVariable) old_grad = afn_variable_new_str ("earlier feedback", "feedback to sys", FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  FakeRule hang = { 0 };

  hang.match = FAKE_MATCH_LAST_USER;
  hang.pattern = "<FEEDBACK_ON_ANSWER>";
  hang.fault = FAKE_FAULT_HANG;
  fake_server_add_rule (fx->server, &hang);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "question", "answer");

  messages = afn_chat_messages_new ();
  g_ptr_array_add (messages, afn_chat_message_new ("system", AFN_VARIABLE (system), AFN_VARIABLE (other), NULL));
  g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
  answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  afn_variable_append_grad (AFN_VARIABLE (system), old_grad, NULL);

  g_timeout_add (100, cancel_timeout_cb, cancellable);
  g_assert_false (backward (answer, feedback, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Both backward requests were on the wire; no grad list changed. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (system)), ==, 1);
  g_assert_true (afn_variable_get_grad (AFN_VARIABLE (system), 0) == old_grad);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (other)), ==, 0);
  (void) cancel_cb;
}

static AfnTGD *
tgd_with_feedback (Fixture *fx, AfnParameter **params, guint n, guint momentum)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *value = g_strdup_printf ("prompt %u", i);
      g_autofree char *role = g_strdup_printf ("role %u", i);
      g_autofree char *text = g_strdup_printf ("make prompt %u better", i);
      g_autoptr(AfnVariable) grad = afn_variable_new_str (text, "feedback", FALSE);

      params[i] = afn_parameter_new_str (value, role);
      afn_variable_append_grad (AFN_VARIABLE (params[i]), grad, NULL);
      g_ptr_array_add (list, params[i]);
    }
  return afn_tgd_new (list, AFN_MODEL_CLIENT (fx->client), NULL, NULL, NULL, momentum, NULL);
}

static void
test_tgd_missing_tags (Fixture *fx, gconstpointer data)
{
  AfnParameter *params[2] = { NULL };
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *retry_body = NULL;

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<VARIABLE>prompt 0</VARIABLE>",
                         "<IMPROVED_VARIABLE>new prompt 0</IMPROVED_VARIABLE>");
  fake_server_add_reply (fx->server, FAKE_MATCH_ANY_MESSAGE, "prompt 1", "I would rather not use tags.");
  tgd = tgd_with_feedback (fx, params, 2, 0);
  g_assert_false (afn_tgd_step (tgd, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "role 1"));
  g_assert_nonnull (strstr (error->message, "I would rather not use tags."));
  /* Two first requests and one reminder. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
  /* All or nothing: parameter 0's good reply is not written either. */
  g_assert_cmpstr (str_data (AFN_VARIABLE (params[0])), ==, "prompt 0");
  g_assert_cmpstr (str_data (AFN_VARIABLE (params[1])), ==, "prompt 1");
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = fake_server_dup_body (fx->server, i);

      if (strstr (body, "did not contain the new value") != NULL)
        retry_body = g_steal_pointer (&body);
    }
  g_assert_nonnull (retry_body);
  g_assert_nonnull (strstr (retry_body, "\"role\":\"assistant\",\"content\":\"I would rather not use tags.\""));
  for (guint i = 0; i < 2; i++)
    g_object_unref (params[i]);
}

static void
test_tgd_retry_then_success (Fixture *fx, gconstpointer data)
{
  AfnParameter *params[1] = { NULL };
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;

  fake_server_add_rule (fx->server, &(FakeRule) { .match = FAKE_MATCH_ALWAYS, .reply = "oops", .times = 1 });
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>fixed</IMPROVED_VARIABLE>");
  tgd = tgd_with_feedback (fx, params, 1, 0);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 2);
  g_assert_cmpstr (str_data (AFN_VARIABLE (params[0])), ==, "fixed");
  g_object_unref (params[0]);
}

static void
test_tgd_concurrent (Fixture *fx, gconstpointer data)
{
  AfnParameter *params[8] = { NULL };
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  fake_server_set_latency (fx->server, 200);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *pattern = g_strdup_printf ("<VARIABLE>prompt %u</VARIABLE>", i);
      g_autofree char *reply = g_strdup_printf ("<IMPROVED_VARIABLE>better %u</IMPROVED_VARIABLE>", i);

      fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, pattern, reply);
    }
  tgd = tgd_with_feedback (fx, params, 8, 0);
  start = g_get_monotonic_time ();
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 600 * 1000);
  g_assert_cmpuint (fake_server_get_max_in_flight (fx->server), ==, 8);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *want = g_strdup_printf ("better %u", i);

      g_assert_cmpstr (str_data (AFN_VARIABLE (params[i])), ==, want);
      g_object_unref (params[i]);
    }
}

static void
test_tgd_prompt (Fixture *fx, gconstpointer data)
{
  AfnParameter *params[1] = { NULL };
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *long_text = NULL;
  g_autofree char *body = NULL;
  const char *constraints[] = { "Keep it under 50 words.", NULL };
  g_autoptr(AfnVariable) grad = afn_variable_new_str ("mention the deadline", "feedback", FALSE);
  GString *s = g_string_new (NULL);

  /* A long value is shown whole, never cut to its first and last words. */
  for (guint i = 0; i < 200; i++)
    g_string_append_printf (s, "word%u ", i);
  long_text = g_string_free (s, FALSE);
  params[0] = afn_parameter_new_str (long_text, "instructions");
  afn_variable_append_grad (AFN_VARIABLE (params[0]), grad, NULL);
  g_ptr_array_add (list, params[0]);
  tgd = afn_tgd_new (list, AFN_MODEL_CLIENT (fx->client), NULL, NULL, constraints, 2, NULL);
  afn_tgd_add_example (tgd, "Be nice.", "too vague", "Greet the user by name.");
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>v2</IMPROVED_VARIABLE>");
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  body = fake_server_dup_body (fx->server, 0);
  g_assert_nonnull (strstr (body, "word0 word1"));
  g_assert_nonnull (strstr (body, "word100 "));
  g_assert_nonnull (strstr (body, "word199"));
  g_assert_nonnull (strstr (body, "<ITEM>mention the deadline</ITEM>"));
  g_assert_nonnull (strstr (body, "<CONSTRAINT>Keep it under 50 words.</CONSTRAINT>"));
  g_assert_nonnull (strstr (body, "<BEFORE>Be nice.</BEFORE>"));
  g_assert_null (strstr (body, "<PAST_ITERATIONS>"));
  g_clear_pointer (&body, g_free);

  /* The second step shows the first value and its feedback. */
  afn_tgd_zero_grad (tgd);
  afn_variable_append_grad (AFN_VARIABLE (params[0]), grad, NULL);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  body = fake_server_dup_body (fx->server, 1);
  g_assert_nonnull (strstr (body, "<PAST_ITERATIONS>"));
  g_assert_nonnull (strstr (body, "<VALUE>word0 word1"));
  g_assert_nonnull (strstr (body, "<VARIABLE>v2</VARIABLE>"));
  g_object_unref (params[0]);
}

static AfnValue *
lookup (AfnValue *dict, const char *key)
{
  AfnValue *v = afn_value_dict_lookup (dict, key);

  g_assert_nonnull (v);
  return v;
}

static void
test_tgd_state_dict (Fixture *fx, gconstpointer data)
{
  AfnParameter *params[2] = { NULL };
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(AfnTGD) fresh = NULL;
  g_autoptr(AfnValue) state = NULL;
  g_autoptr(AfnValue) reloaded = NULL;
  g_autoptr(AfnValue) bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *fixture = NULL;
  AfnValue *group, *buffer, *entry, *messages;
  JsonArray *expected_group, *root_items;

  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>next</IMPROVED_VARIABLE>");
  tgd = tgd_with_feedback (fx, params, 2, 2);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  state = afn_tgd_state_dict (tgd);

  g_assert_cmpint (afn_value_kind (state), ==, AFN_VALUE_DICT);
  g_assert_cmpstr (afn_value_get_str (afn_value_get_key (state, 0), NULL), ==, "state");
  g_assert_cmpstr (afn_value_get_str (afn_value_get_key (state, 1), NULL), ==, "param_groups");
  g_assert_cmpuint (afn_value_n_items (lookup (state, "state")), ==, 2);
  g_assert_cmpint (afn_value_get_int (afn_value_get_key (lookup (state, "state"), 1)), ==, 1);
  buffer = lookup (afn_value_get_item (lookup (state, "state"), 0), "momentum_buffer");
  g_assert_cmpuint (afn_value_n_items (buffer), ==, 1);
  entry = afn_value_get_item (buffer, 0);
  g_assert_cmpint (afn_value_kind (entry), ==, AFN_VALUE_TUPLE);
  g_assert_true (AFN_IS_PARAMETER (afn_value_get_object (afn_value_get_item (entry, 0))));
  /* The buffer keeps the value before the step, with its feedback. */
  g_assert_cmpstr (str_data (afn_value_get_object (afn_value_get_item (entry, 0))), ==, "prompt 0");
  g_assert_cmpstr (str_data (afn_value_get_object (afn_value_get_item (afn_value_get_item (entry, 1), 0))),
                   ==, "make prompt 0 better");
  g_assert_cmpstr (str_data (AFN_VARIABLE (params[0])), ==, "next");

  /* The group's keys, in the order afnio wrote them in the fixture. */
  fixture = g_build_filename (g_getenv ("AFN_FIXTURES_DIR"), "optimizer_state_dict_p2.expected.json", NULL);
  g_assert_true (json_parser_load_from_file (parser, fixture, &error));
  root_items = json_object_get_array_member (
      json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "value"), "items");
  g_assert_cmpstr (json_array_get_string_element (json_array_get_array_element (root_items, 0), 0), ==, "state");
  expected_group = json_object_get_array_member (
      json_array_get_object_element (json_array_get_array_element (json_array_get_array_element (root_items, 1), 1), 0),
      "items");
  group = afn_value_get_item (lookup (state, "param_groups"), 0);
  g_assert_cmpuint (afn_value_n_items (group), ==, json_array_get_length (expected_group));
  for (guint i = 0; i < afn_value_n_items (group); i++)
    g_assert_cmpstr (afn_value_get_str (afn_value_get_key (group, i), NULL), ==,
                     json_array_get_string_element (json_array_get_array_element (expected_group, i), 0));
  g_assert_cmpint (afn_value_get_int (lookup (group, "momentum")), ==, 2);
  g_assert_cmpstr (afn_value_get_str (lookup (lookup (group, "model_client"), "class_type"), NULL), ==, "AsyncOpenAI");
  messages = lookup (group, "messages");
  g_assert_cmpuint (afn_value_n_items (messages), ==, 2);
  g_assert_cmpstr (str_data (afn_value_get_object (afn_value_get_item (lookup (afn_value_get_item (messages, 0), "content"), 0))),
                   ==, "Placeholder for Textual Gradient Descent optimizer system prompt");

  /* A new optimizer resumes with the buffers. */
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (list, params[i]);
  fresh = afn_tgd_new (list, AFN_MODEL_CLIENT (fx->client), NULL, NULL, NULL, 0, NULL);
  g_assert_true (afn_tgd_load_state_dict (fresh, state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_tgd_get_momentum (fresh), ==, 2);
  reloaded = afn_tgd_state_dict (fresh);
  g_assert_true (afn_value_get_item (lookup (afn_value_get_item (lookup (reloaded, "state"), 0), "momentum_buffer"), 0)
                 == entry);

  /* A broken state changes nothing. */
  bad = afn_value_deep_copy (state);
  afn_value_dict_set_take (afn_value_get_item (lookup (bad, "param_groups"), 0),
                           afn_value_new_str ("momentum", -1), afn_value_new_str ("two", -1));
  g_assert_false (afn_tgd_load_state_dict (fresh, bad, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "momentum"));
  g_assert_cmpuint (afn_tgd_get_momentum (fresh), ==, 2);
  for (guint i = 0; i < 2; i++)
    g_object_unref (params[i]);
}

static GPtrArray *
judge_messages (AfnVariable *task)
{
  g_autoptr(AfnVariable) format = afn_variable_new_str (
      "Reply in JSON with 'score' (0 or 1) and 'explanation'.", "output format", FALSE);
  g_autoptr(AfnVariable) user = afn_variable_new_str (
      "<PREDICTION>{prediction}</PREDICTION><TARGET>{target}</TARGET>", "user query", FALSE);
  GPtrArray *messages = afn_chat_messages_new ();

  g_ptr_array_add (messages, afn_chat_message_new ("system", task, format, NULL));
  g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
  return messages;
}

static void
test_lm_judge (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) task = afn_parameter_new_str ("Is the translation accurate?", "evaluation task");
  g_autoptr(GPtrArray) messages = judge_messages (AFN_VARIABLE (task));
  g_autoptr(AfnVariable) prediction = afn_variable_new_str ("Hola Mundo", "translated text", TRUE);
  g_autoptr(AfnVariable) target = afn_variable_new_str ("Ciao Mondo", "expected output", FALSE);
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  g_autoptr(GError) error = NULL;

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<VARIABLE_ROLE>evaluation task</VARIABLE_ROLE>",
                         "Ask about the target language.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<JUDGE_REASONING>Spanish, not Italian.</JUDGE_REASONING>",
                         "Translate into Italian.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<PREDICTION>Hola Mundo</PREDICTION><TARGET>Ciao Mondo</TARGET>",
                         "```json\n{\"score\": 0, \"explanation\": \"Spanish, not Italian.\"}\n```");
  g_assert_true (afn_lm_judge_evaluator (AFN_MODEL_CLIENT (fx->client), messages, prediction, target, NULL,
                                         "score>=1", NULL, NULL, TRUE, NULL, &score, &explanation, NULL,
                                         NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (score)), ==, 0);
  g_assert_cmpstr (str_data (explanation), ==,
                   "The evaluation function, designed using an LM as the judge, compared the <DATA> field of "
                   "the predicted variable ('Hola Mundo') with the <DATA> field of the target variable "
                   "('Ciao Mondo'), resulting in a score: 0.");
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (explanation)), ==, "LMJudgeEvaluatorBackward0");
  g_assert_true (backward (explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (prediction), ==, 1);
  g_assert_cmpstr (str_data (afn_variable_get_grad (prediction, 0)), ==, "Translate into Italian.");
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (task)), ==, 0);
  g_clear_object (&score);
  g_clear_object (&explanation);

  /* eval_mode FALSE: feedback goes to the judge's own messages. */
  g_assert_true (afn_lm_judge_evaluator (AFN_MODEL_CLIENT (fx->client), messages, prediction, target, NULL,
                                         "score>=1", NULL, NULL, FALSE, NULL, &score, &explanation, NULL,
                                         NULL, &error));
  g_assert_true (backward (explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (prediction), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (task)), ==, 1);
  g_assert_cmpstr (str_data (afn_variable_get_grad (AFN_VARIABLE (task), 0)), ==, "Ask about the target language.");
}

static void
test_lm_judge_batch (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) task = afn_parameter_new_str ("Judge.", "evaluation task");
  g_autoptr(GPtrArray) messages = judge_messages (AFN_VARIABLE (task));
  g_autoptr(AfnValue) p = afn_value_new_list ();
  g_autoptr(AfnValue) t = afn_value_new_list ();
  g_autoptr(AfnVariable) prediction = NULL;
  g_autoptr(AfnVariable) target = NULL;
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  g_autoptr(GError) error = NULL;
  AfnValue *grad;

  afn_value_append_take (p, afn_value_new_str ("Hola", -1));
  afn_value_append_take (p, afn_value_new_str ("Ciao", -1));
  afn_value_append_take (t, afn_value_new_str ("Ciao", -1));
  afn_value_append_take (t, afn_value_new_str ("Ciao", -1));
  prediction = afn_variable_new (p, "translated text", TRUE, NULL);
  target = afn_variable_new (t, "expected output", FALSE, NULL);
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<JUDGE_REASONING>wrong</JUDGE_REASONING>", "Use Italian.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<PREDICTION>Hola</PREDICTION>", "{\"score\": 0, \"explanation\": \"wrong\"}");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<PREDICTION>Ciao</PREDICTION><TARGET>", "{\"score\": 1, \"explanation\": \"right\"}");
  g_assert_true (afn_lm_judge_evaluator (AFN_MODEL_CLIENT (fx->client), messages, prediction, target, NULL,
                                         "score>=1", "sum", "summation", TRUE, NULL, &score, &explanation,
                                         NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (score)), ==, 1);
  g_assert_cmpstr (str_data (explanation), ==,
                   "The evaluation function, designed using an LM as the judge, compared the <DATA> fields of "
                   "the predicted variable and the target variable across all samples in the batch, generating "
                   "individual scores for each pair. These scores were then aggregated using the reduction "
                   "function 'summation', resulting in a final aggregated score: 1.");
  g_assert_true (backward (explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  /* Only the failing sample is asked about. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 3);
  grad = afn_variable_get_data (afn_variable_get_grad (prediction, 0));
  g_assert_cmpuint (afn_value_n_items (grad), ==, 2);
  g_assert_cmpstr (afn_value_get_str (afn_value_get_item (grad, 0), NULL), ==, "Use Italian.");
  g_assert_cmpstr (afn_value_get_str (afn_value_get_item (grad, 1), NULL), ==, "");
}

static void
test_lm_judge_bad_reply (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) task = afn_parameter_new_str ("Judge.", "evaluation task");
  g_autoptr(GPtrArray) messages = judge_messages (AFN_VARIABLE (task));
  g_autoptr(AfnVariable) prediction = afn_variable_new_str ("x", "prediction", TRUE);
  AfnVariable *score = NULL, *explanation = NULL;
  g_autoptr(GError) error = NULL;

  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "I think it is fine.");
  g_assert_false (afn_lm_judge_evaluator (AFN_MODEL_CLIENT (fx->client), messages, prediction, NULL, NULL,
                                          NULL, NULL, NULL, TRUE, NULL, &score, &explanation, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "I think it is fine."));
  g_assert_null (score);
}

static void
test_batch_backward (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnParameter) system = afn_parameter_new_str ("Repeat the word.", "system prompt");
  g_autoptr(AfnVariable) user = afn_variable_new_str ("say {word}", "user query", FALSE);
  g_autoptr(GPtrArray) messages = qa_messages (AFN_VARIABLE (system), user);
  g_autoptr(AfnChatInputs) inputs = afn_chat_inputs_new ();
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(AfnValue) targets_value = afn_value_new_list ();
  g_autoptr(AfnVariable) targets = NULL;
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  g_autoptr(GError) error = NULL;
  AfnVariable *w0, *w1;

  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<VARIABLE_ROLE>word 1</VARIABLE_ROLE>", "Pick a word that starts with x.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<VARIABLE_ROLE>system prompt</VARIABLE_ROLE>", "Ask for the word x.");
  fake_server_add_reply (fx->server, FAKE_MATCH_LAST_USER, "<PREDICTION>say two</PREDICTION>", "The second answer should be x.");
  g_ptr_array_add (words, afn_variable_new_str ("one", "word 0", TRUE));
  g_ptr_array_add (words, afn_variable_new_str ("two", "word 1", TRUE));
  w0 = g_ptr_array_index (words, 0);
  w1 = g_ptr_array_index (words, 1);
  afn_chat_inputs_add_variables (inputs, "word", words);
  answer = afn_chat_completion (AFN_MODEL_CLIENT (fx->client), messages, inputs, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  afn_value_append_take (targets_value, afn_value_new_str ("say one", -1));
  afn_value_append_take (targets_value, afn_value_new_str ("x", -1));
  targets = afn_variable_new (targets_value, "targets", FALSE, NULL);
  g_assert_true (afn_exact_match_evaluator (answer, targets, NULL, NULL, &score, &explanation, &error));
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (score)), ==, 1);

  g_assert_true (backward (explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  /* 2 forward; 1 for the failing sample; then for element 1 only: the
   * system prompt and the word used there. */
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 5);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (system)), ==, 1);
  g_assert_cmpstr (str_data (afn_variable_get_grad (AFN_VARIABLE (system), 0)), ==, "Ask for the word x.");
  g_assert_cmpuint (afn_variable_n_grads (w0), ==, 1);
  g_assert_cmpstr (str_data (afn_variable_get_grad (w0, 0)), ==, "");
  g_assert_cmpuint (afn_variable_n_grads (w1), ==, 1);
  g_assert_cmpstr (str_data (afn_variable_get_grad (w1, 0)), ==, "Pick a word that starts with x.");
  g_assert_cmpstr (afn_variable_get_role (afn_variable_get_grad (w1, 0)), ==, "feedback to word 1");

  /* The graph was released: a second backward says how to keep it. */
  g_assert_false (backward (explanation, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 5);
}

static void
test_backward_client_error (Fixture *fx, gconstpointer data)
{
  g_auto(Loop) loop = { 0 };
  g_autoptr(GError) error = NULL;
  FakeRule fail = { .match = FAKE_MATCH_LAST_USER, .pattern = "<PREDICTION>", .fault = FAKE_FAULT_STATUS,
                    .status = 400, .error_message = "context too long" };

  fake_server_add_rule (fx->server, &fail);
  add_loop_rules (fx);
  loop_forward (fx, &loop, "blue");
  g_assert_false (backward (loop.explanation, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "context too long"));
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (loop.system)), ==, 0);
}

/* A value tree from the fixtures' JSON rendering (the subset that optimizer
 * state dicts use: dicts, tuples, lists, Variables, scalars). */
static AfnValue *
value_from_rendering (JsonNode *node)
{
  JsonObject *o;
  const char *type;
  AfnValue *out;

  if (JSON_NODE_HOLDS_NULL (node))
    return afn_value_new_none ();
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      out = afn_value_new_list ();
      for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
        afn_value_append_take (out, value_from_rendering (json_array_get_element (json_node_get_array (node), i)));
      return out;
    }
  if (JSON_NODE_HOLDS_VALUE (node))
    switch (json_node_get_value_type (node))
      {
      case G_TYPE_BOOLEAN: return afn_value_new_bool (json_node_get_boolean (node));
      case G_TYPE_INT64:   return afn_value_new_int (json_node_get_int (node));
      case G_TYPE_DOUBLE:  return afn_value_new_float (json_node_get_double (node));
      default:             return afn_value_new_str (json_node_get_string (node), -1);
      }
  o = json_node_get_object (node);
  type = json_object_get_string_member (o, "__type__");
  if (g_str_equal (type, "Variable"))
    {
      g_autoptr(AfnValue) data = value_from_rendering (json_object_get_member (o, "data"));
      gboolean is_param = g_str_has_suffix (json_object_get_string_member (o, "class"), "Parameter");
      g_autoptr(AfnVariable) v = afn_variable_new_raw (is_param ? AFN_TYPE_PARAMETER : AFN_TYPE_VARIABLE, data,
                                                       json_object_get_string_member (o, "role"),
                                                       json_object_get_boolean_member (o, "requires_grad"));

      return afn_value_new_object (v);
    }
  out = g_str_equal (type, "tuple") ? afn_value_new_tuple () : afn_value_new_dict ();
  for (guint i = 0; i < json_array_get_length (json_object_get_array_member (o, "items")); i++)
    {
      JsonNode *item = json_array_get_element (json_object_get_array_member (o, "items"), i);

      if (g_str_equal (type, "tuple"))
        afn_value_append_take (out, value_from_rendering (item));
      else
        afn_value_dict_set_take (out, value_from_rendering (json_array_get_element (json_node_get_array (item), 0)),
                                 value_from_rendering (json_array_get_element (json_node_get_array (item), 1)));
    }
  return out;
}

static void
test_tgd_load_afnio_state (Fixture *fx, gconstpointer data)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = g_build_filename (g_getenv ("AFN_FIXTURES_DIR"), "optimizer_state_dict_p2.expected.json", NULL);
  g_autoptr(AfnValue) state = NULL;
  g_autoptr(AfnValue) again = NULL;
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  g_autoptr(AfnVariable) grad = afn_variable_new_str ("be concise", "feedback to system prompt", FALSE);
  AfnValue *group;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  state = value_from_rendering (json_object_get_member (json_node_get_object (json_parser_get_root (parser)), "value"));
  g_ptr_array_add (params, afn_parameter_new_str ("You are a doctor.", "system prompt"));
  g_ptr_array_add (params, afn_parameter_new_str ("Answer this: {q}", "instruction prompt"));
  tgd = afn_tgd_new (params, AFN_MODEL_CLIENT (fx->client), NULL, NULL, NULL, 0, NULL);
  g_assert_true (afn_tgd_load_state_dict (tgd, state, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_tgd_get_momentum (tgd), ==, 2);

  /* The resumed optimizer shows afnio's saved feedback as a past value, and
   * uses its completion args. */
  afn_variable_append_grad (g_ptr_array_index (params, 0), grad, NULL);
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>You are a concise doctor.</IMPROVED_VARIABLE>");
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  body = fake_server_dup_body (fx->server, 0);
  g_assert_nonnull (strstr (body, "<FEEDBACK>Make 'system prompt' more specific.</FEEDBACK>"));
  g_assert_nonnull (strstr (body, "\"model\":\"gpt-4o\""));
  g_assert_nonnull (strstr (body, "\"temperature\":0.2"));
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 1);

  /* Saved again: the buffer holds afnio's entry and the new one. */
  again = afn_tgd_state_dict (tgd);
  g_assert_cmpuint (afn_value_n_items (afn_value_dict_lookup (afn_value_get_item (afn_value_dict_lookup (again, "state"), 0),
                                                              "momentum_buffer")), ==, 2);
  group = afn_value_get_item (afn_value_dict_lookup (again, "param_groups"), 0);
  g_assert_cmpint (afn_value_get_int (afn_value_dict_lookup (group, "momentum")), ==, 2);
  g_assert_cmpfloat (afn_value_get_float (afn_value_dict_lookup (afn_value_dict_lookup (group, "completion_args"),
                                                                 "temperature")), ==, 0.2);
}

/* Runs the loop with @client for everything; returns the new system prompt. */
static char *
run_loop_with (AfnModelClient *client)
{
  g_autoptr(AfnParameter) system = afn_parameter_new_str ("You are a helpful assistant.", "system prompt");
  g_autoptr(AfnVariable) user = afn_variable_new_str ("What colour is the sky?", "user query", FALSE);
  g_autoptr(GPtrArray) messages = qa_messages (AFN_VARIABLE (system), user);
  g_autoptr(AfnVariable) target = afn_variable_new_str ("blue", "expected answer", FALSE);
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  g_autoptr(GPtrArray) params = g_ptr_array_new ();
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GError) error = NULL;

  afn_set_backward_model_client_instance (client, "backward-model", NULL);
  answer = afn_chat_completion (client, messages, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (afn_exact_match_evaluator (answer, target, NULL, NULL, &score, &explanation, &error));
  g_assert_true (backward (explanation, NULL, NULL, &error));
  g_assert_no_error (error);
  g_ptr_array_add (params, system);
  tgd = afn_tgd_new (params, client, NULL, NULL, NULL, 0, NULL);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  return g_strdup (str_data (AFN_VARIABLE (system)));
}

static void
test_replay_loop (Fixture *fx, gconstpointer data)
{
  g_autoptr(AfnReplayClient) recorder = afn_replay_client_new (AFN_MODEL_CLIENT (fx->client), AFN_REPLAY_MODE_RECORD);
  g_autoptr(AfnReplayClient) player = afn_replay_client_new (AFN_MODEL_CLIENT (fx->client), AFN_REPLAY_MODE_REPLAY);
  g_autofree char *recorded = NULL;
  g_autofree char *replayed = NULL;
  g_autofree char *jsonl = NULL;
  g_autoptr(GError) error = NULL;

  add_loop_rules (fx);
  recorded = run_loop_with (AFN_MODEL_CLIENT (recorder));
  g_assert_cmpstr (recorded, ==, NEW_PROMPT);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 4);
  jsonl = afn_replay_client_to_jsonl (recorder);
  g_assert_true (afn_replay_client_load_jsonl_data (player, jsonl, -1, "recording", &error));
  g_assert_no_error (error);

  /* The same prompts, byte for byte: every request is a hit, none is sent. */
  fake_server_clear_rules (fx->server);
  replayed = run_loop_with (AFN_MODEL_CLIENT (player));
  g_assert_cmpstr (replayed, ==, NEW_PROMPT);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, 4);
  g_assert_cmpuint (afn_replay_client_get_hits (player), ==, 4);
  g_assert_cmpuint (afn_replay_client_get_misses (player), ==, 0);
  g_clear_object (&recorder);
  g_clear_object (&player);
}

static void
test_tgd_cancel_and_failure (Fixture *fx, gconstpointer data)
{
  AfnParameter *params[3] = { NULL };
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  FakeRule hang = { .match = FAKE_MATCH_LAST_USER, .pattern = "<VARIABLE>prompt 2</VARIABLE>",
                    .fault = FAKE_FAULT_HANG, .times = 1 };
  FakeRule fail = { .match = FAKE_MATCH_LAST_USER, .pattern = "<VARIABLE>prompt 1</VARIABLE>",
                    .fault = FAKE_FAULT_STATUS, .status = 400, .error_message = "bad prompt" };

  fake_server_add_rule (fx->server, &hang);
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>changed</IMPROVED_VARIABLE>");
  tgd = tgd_with_feedback (fx, params, 3, 1);

  /* Cancelled while one request hangs: nothing is written. */
  g_timeout_add (100, cancel_timeout_cb, cancellable);
  g_assert_false (afn_tgd_step (tgd, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *want = g_strdup_printf ("prompt %u", i);

      g_assert_cmpstr (str_data (AFN_VARIABLE (params[i])), ==, want);
    }

  /* One request refused by the server: the others' values are not written. */
  fake_server_clear_rules (fx->server);
  fake_server_add_rule (fx->server, &fail);
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>changed</IMPROVED_VARIABLE>");
  g_assert_false (afn_tgd_step (tgd, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "bad prompt"));
  g_assert_cmpstr (str_data (AFN_VARIABLE (params[0])), ==, "prompt 0");
  g_assert_cmpstr (str_data (AFN_VARIABLE (params[2])), ==, "prompt 2");
  {
    g_autoptr(AfnValue) state = afn_tgd_state_dict (tgd);

    /* Nor were the momentum buffers advanced. */
    g_assert_cmpuint (afn_value_n_items (afn_value_dict_lookup (state, "state")), ==, 0);
  }

  /* And once the server is fine, the same step goes through. */
  fake_server_clear_rules (fx->server);
  fake_server_add_reply (fx->server, FAKE_MATCH_ALWAYS, NULL, "<IMPROVED_VARIABLE>changed</IMPROVED_VARIABLE>");
  g_clear_error (&error);
  g_assert_true (afn_tgd_step (tgd, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpstr (str_data (AFN_VARIABLE (params[i])), ==, "changed");
      g_object_unref (params[i]);
    }
}

static void
test_sync_backward (Fixture *fx, gconstpointer data)
{
  g_auto(Loop) loop = { 0 };
  g_autoptr(GError) error = NULL;

  add_loop_rules (fx);
  loop_forward (fx, &loop, "blue");
  /* The synchronous backward must let the client's requests progress. */
  g_assert_true (afn_variable_backward (loop.explanation, NULL, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (AFN_VARIABLE (loop.system)), ==, 1);
  g_assert_cmpstr (str_data (afn_variable_get_grad (AFN_VARIABLE (loop.system), 0)), ==, PROMPT_FEEDBACK);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/llm/ops/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("chat-completion", test_chat_completion);
  ADD ("chat-completion-no-grad", test_chat_completion_no_grad);
  ADD ("chat-completion-batch", test_chat_completion_batch);
  ADD ("chat-completion-shape-error", test_chat_completion_shape_error);
  ADD ("full-loop", test_full_loop);
  ADD ("sync-backward", test_sync_backward);
  ADD ("success-short-circuit", test_success_short_circuit);
  ADD ("no-backward-client", test_no_backward_client);
  ADD ("set-backward-client", test_set_backward_client);
  ADD ("cancel-backward", test_cancel_backward);
  ADD ("batch-backward", test_batch_backward);
  ADD ("backward-client-error", test_backward_client_error);
  ADD ("tgd-missing-tags", test_tgd_missing_tags);
  ADD ("tgd-retry-then-success", test_tgd_retry_then_success);
  ADD ("tgd-concurrent", test_tgd_concurrent);
  ADD ("tgd-cancel-and-failure", test_tgd_cancel_and_failure);
  ADD ("tgd-prompt", test_tgd_prompt);
  ADD ("tgd-state-dict", test_tgd_state_dict);
  ADD ("tgd-load-afnio-state", test_tgd_load_afnio_state);
  ADD ("replay-loop", test_replay_loop);
  ADD ("lm-judge", test_lm_judge);
  ADD ("lm-judge-batch", test_lm_judge_batch);
  ADD ("lm-judge-bad-reply", test_lm_judge_bad_reply);
  g_test_add_func ("/llm/ops/explanations", test_explanations);
  g_test_add_func ("/llm/ops/scoring-functions", test_scoring_functions);
#undef ADD

  return g_test_run ();
}
