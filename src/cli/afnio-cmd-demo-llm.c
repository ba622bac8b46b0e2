/* afnio-cmd-demo-llm.c: `afnio demo --base-url URL --model NAME`: the whole
 * loop (forward, evaluator, backward, TGD step) against any OpenAI-compatible
 * server. The key comes from OPENAI_API_KEY.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "afnio-cmd-demo-llm.h"

typedef struct {
  char *base_url;
  char *model;
  char *backward_model;
  char *system;
  char *question;
  char *target;
  int   max_concurrency;
} DemoOptions;

static void
demo_options_clear (DemoOptions *o)
{
  g_free (o->base_url);
  g_free (o->model);
  g_free (o->backward_model);
  g_free (o->system);
  g_free (o->question);
  g_free (o->target);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DemoOptions, demo_options_clear)

gboolean
afnio_cmd_demo_llm_wanted (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--base-url") || g_str_has_prefix (argv[i], "--base-url="))
      return TRUE;
  return FALSE;
}

static gboolean
parse_options (DemoOptions *o, int *argc, char ***argv, GError **error)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("- run forward, evaluator, backward and a TGD step"));
  GOptionEntry entries[] = {
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &o->base_url, N_("OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1"), "URL" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &o->model, N_("Model that answers the question"), "NAME" },
    { "backward-model", 0, 0, G_OPTION_ARG_STRING, &o->backward_model, N_("Model that writes feedback and rewrites the prompt (default: --model)"), "NAME" },
    { "system", 0, 0, G_OPTION_ARG_STRING, &o->system, N_("Initial system prompt (the Parameter)"), "TEXT" },
    { "question", 0, 0, G_OPTION_ARG_STRING, &o->question, N_("The user question"), "TEXT" },
    { "target", 0, 0, G_OPTION_ARG_STRING, &o->target, N_("The exact answer expected"), "TEXT" },
    { "max-concurrency", 0, 0, G_OPTION_ARG_INT, &o->max_concurrency, N_("Requests on the wire at once (default 16)"), "N" },
    { NULL }
  };

  g_option_context_set_summary (context, _("The API key is read from OPENAI_API_KEY (none is sent when it is unset)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (o->base_url == NULL || o->model == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--base-url and --model are both required"));
      return FALSE;
    }
  if (o->backward_model == NULL)
    o->backward_model = g_strdup (o->model);
  if (o->system == NULL)
    o->system = g_strdup ("You are a helpful assistant.");
  if (o->question == NULL)
    o->question = g_strdup ("What is the capital of France?");
  if (o->target == NULL)
    o->target = g_strdup ("PARIS");
  return TRUE;
}

static void
result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static const char *
text_of (AfnVariable *v)
{
  return afn_value_get_str (afn_variable_get_data (v), NULL);
}

static void
print_grads (AfnVariable *param)
{
  guint n = afn_variable_n_grads (param);

  printf (_("3. Backward: %u gradient(s) for the %s:\n"), n, afn_variable_get_role (param));
  for (guint i = 0; i < n; i++)
    {
      const char *text = text_of (afn_variable_get_grad (param, i));

      printf ("   - %s\n", *text != '\0' ? text : _("(empty: nothing to change)"));
    }
}

static gboolean
run_forward (AfnModelClient *client, DemoOptions *o, AfnParameter *system,
             AfnVariable **answer, GError **error)
{
  g_autoptr(AfnVariable) user = afn_variable_new_str (o->question, "user question", FALSE);
  g_autoptr(GPtrArray) messages = afn_chat_messages_new ();
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GAsyncResult) result = NULL;
  AfnUsage usage = { 0 };

  json_object_set_string_member (args, "model", o->model);
  g_ptr_array_add (messages, afn_chat_message_new ("system", AFN_VARIABLE (system), NULL));
  g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
  afn_chat_completion_async (client, messages, NULL, args, NULL, result_cb, &result);
  *answer = afn_chat_completion_finish (wait_for (&result), &usage, error);
  if (*answer == NULL)
    return FALSE;
  printf (_("1. Forward: %s answered “%s” (%" G_GINT64_FORMAT " tokens)\n"),
          o->model, text_of (*answer), usage.total_tokens);
  return TRUE;
}

static gboolean
run_backward (AfnVariable *explanation, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  afn_variable_backward_async (explanation, NULL, FALSE, NULL, NULL, result_cb, &result);
  return afn_variable_backward_finish (explanation, wait_for (&result), error);
}

static gboolean
run_step (AfnModelClient *client, DemoOptions *o, AfnParameter *system, GError **error)
{
  g_autoptr(GPtrArray) params = g_ptr_array_new ();
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(AfnTGD) tgd = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *before = g_strdup (text_of (AFN_VARIABLE (system)));

  json_object_set_string_member (args, "model", o->backward_model);
  g_ptr_array_add (params, system);
  tgd = afn_tgd_new (params, client, NULL, NULL, NULL, 0, args);
  afn_tgd_step_async (tgd, NULL, result_cb, &result);
  if (!afn_tgd_step_finish (tgd, wait_for (&result), error))
    return FALSE;
  if (afn_tgd_get_last_step_requests (tgd) == 0)
    printf (_("4. TGD step: no feedback, the %s stays “%s”\n"), afn_variable_get_role (AFN_VARIABLE (system)), before);
  else
    printf (_("4. TGD step (%u request(s)): the %s changed\n   from “%s”\n   to   “%s”\n"),
            afn_tgd_get_last_step_requests (tgd), afn_variable_get_role (AFN_VARIABLE (system)),
            before, text_of (AFN_VARIABLE (system)));
  return TRUE;
}

static gboolean
run_demo (DemoOptions *o, GError **error)
{
  g_autoptr(AfnOpenAIClient) client = afn_openai_client_new (o->base_url, o->model);
  g_autoptr(AfnParameter) system = afn_parameter_new_str (o->system, "system prompt");
  g_autoptr(AfnVariable) answer = NULL;
  g_autoptr(AfnVariable) target = afn_variable_new_str (o->target, "expected answer", FALSE);
  g_autoptr(AfnVariable) score = NULL;
  g_autoptr(AfnVariable) explanation = NULL;
  AfnUsage usage = { 0 };

  if (o->max_concurrency > 0)
    afn_openai_client_set_max_concurrency (client, o->max_concurrency);
  afn_set_backward_model_client_instance (AFN_MODEL_CLIENT (client), o->backward_model, NULL);
  printf (_("Server %s, model %s, backward model %s\n"), o->base_url, o->model, o->backward_model);
  printf (_("0. Parameter: %s = “%s”\n"), afn_variable_get_role (AFN_VARIABLE (system)), o->system);

  if (!run_forward (AFN_MODEL_CLIENT (client), o, system, &answer, error)
      || !afn_exact_match_evaluator (answer, target, NULL, NULL, &score, &explanation, error))
    return FALSE;
  printf (_("2. Evaluator: %s\n"), text_of (explanation));
  if (!run_backward (explanation, error))
    return FALSE;
  print_grads (AFN_VARIABLE (system));
  if (!run_step (AFN_MODEL_CLIENT (client), o, system, error))
    return FALSE;

  afn_model_client_get_usage (AFN_MODEL_CLIENT (client), &usage);
  printf (_("Usage: %" G_GINT64_FORMAT " prompt + %" G_GINT64_FORMAT " completion = %" G_GINT64_FORMAT
            " tokens, cost $%.6f\n"),
          usage.prompt_tokens, usage.completion_tokens, usage.total_tokens, usage.cost_usd);
  afn_set_backward_model_client_instance (NULL, NULL, NULL);
  return TRUE;
}

int
afnio_cmd_demo_llm (int argc, char **argv)
{
  g_auto(DemoOptions) options = { 0 };
  g_autoptr(GError) error = NULL;

  if (!parse_options (&options, &argc, &argv, &error))
    {
      fprintf (stderr, "afnio demo: %s\n", error->message);
      return 2;
    }
  if (!run_demo (&options, &error))
    {
      fprintf (stderr, "afnio demo: %s\n", error->message);
      afn_set_backward_model_client_instance (NULL, NULL, NULL);
      return 1;
    }
  return 0;
}
