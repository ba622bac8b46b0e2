/* afnio-cmd-chat.c: `afnio chat`, one chat completion from the command line.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "afnio-cli.h"

typedef struct {
  GMainLoop *loop;
  AfnChatReply *reply;
  GError *error;
} Chat;

static void
chat_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Chat *chat = user_data;

  chat->reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &chat->error);
  g_main_loop_quit (chat->loop);
}

static gboolean
interrupt_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

/* The prompt: the remaining arguments joined by spaces, or stdin when there
 * are none or the only one is "-". */
static char *
read_prompt (int argc, char **argv, GError **error)
{
  g_autoptr(GString) in = NULL;
  char buf[4096];
  size_t n;

  if (argc > 1 && !(argc == 2 && g_str_equal (argv[1], "-")))
    return g_strjoinv (" ", argv + 1);
  if (argc == 1 && isatty (STDIN_FILENO))
    return NULL;
  in = g_string_new (NULL);
  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_string_append_len (in, buf, n);
  if (!g_utf8_validate (in->str, in->len, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The prompt on standard input is not UTF-8 text"));
      return NULL;
    }
  return g_strdup (g_strchomp (in->str));
}

static JsonArray *
build_messages (const char *system, const char *prompt)
{
  JsonArray *messages = json_array_new ();
  JsonObject *message;

  if (system != NULL)
    {
      message = json_object_new ();
      json_object_set_string_member (message, "role", "system");
      json_object_set_string_member (message, "content", system);
      json_array_add_object_element (messages, message);
    }
  message = json_object_new ();
  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", prompt);
  json_array_add_object_element (messages, message);
  return messages;
}

static void
print_usage (AfnOpenAIClient *client, const AfnUsage *usage)
{
  fprintf (stderr, _("%s: %" G_GINT64_FORMAT " prompt (%" G_GINT64_FORMAT " cached) + %"
                     G_GINT64_FORMAT " completion = %" G_GINT64_FORMAT " tokens"),
           afn_openai_client_get_model (client), usage->prompt_tokens, usage->cached_tokens,
           usage->completion_tokens, usage->total_tokens);
  if (afn_openai_client_get_cost_known (client))
    fprintf (stderr, _(", cost $%.6f\n"), usage->cost_usd);
  else
    fprintf (stderr, _(", cost unknown (model not in the price table)\n"));
}

int
afnio_cmd_chat (int argc, char **argv)
{
  g_autoptr(GOptionContext) options = g_option_context_new (_("PROMPT… — one chat completion"));
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnOpenAIClient) client = NULL;
  g_autoptr(AfnPriceTable) prices = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonArray) messages = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *base_url = NULL, *model = NULL, *system = NULL, *prices_path = NULL;
  g_autofree char *ca_file = NULL;
  g_autofree char *prompt = NULL;
  double temperature = -1, timeout = 120;
  int max_tokens = 0, attempts = 5;
  Chat chat = { 0 };
  guint sigint;
  GOptionEntry entries[] = {
    { "base-url", 'u', 0, G_OPTION_ARG_STRING, &base_url,
      N_("OpenAI-compatible API root (default: $OPENAI_BASE_URL, else OpenAI)"), "URL" },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model, N_("Model name (default: gpt-4o-mini)"), "NAME" },
    { "system", 's', 0, G_OPTION_ARG_STRING, &system, N_("A system message"), "TEXT" },
    { "temperature", 't', 0, G_OPTION_ARG_DOUBLE, &temperature, N_("Sampling temperature"), "T" },
    { "max-tokens", 0, 0, G_OPTION_ARG_INT, &max_tokens, N_("max_completion_tokens"), "N" },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout, N_("Seconds per attempt (default: 120)"), "S" },
    { "attempts", 0, 0, G_OPTION_ARG_INT, &attempts, N_("Attempts on 429, 5xx and timeouts (default: 5)"), "N" },
    { "prices", 0, 0, G_OPTION_ARG_FILENAME, &prices_path, N_("Price table (JSON)"), "FILE" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
      N_("Trust these CA certificates (PEM) instead of the system's"), "FILE" },
    { NULL }
  };

  g_option_context_add_main_entries (options, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (options,
    _("The reply goes to standard output, token usage and cost to standard error.\n"
      "The API key is read from $OPENAI_API_KEY; without it no key is sent."));
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      fprintf (stderr, "afnio chat: %s\n", error->message);
      return 2;
    }
  prompt = read_prompt (argc, argv, &error);
  if (prompt == NULL || *prompt == '\0')
    {
      fprintf (stderr, "afnio chat: %s\n", error != NULL ? error->message : _("no prompt given"));
      return 2;
    }
  if (prices_path != NULL && (prices = afn_price_table_new_from_file (prices_path, &error)) == NULL)
    {
      fprintf (stderr, "afnio chat: %s\n", error->message);
      return 2;
    }

  client = afn_openai_client_new (base_url, model);
  afn_openai_client_set_timeouts (client, 10000, (guint) (timeout * 1000));
  afn_openai_client_set_retry (client, MAX (attempts, 1), 500, 30000);
  if (prices != NULL)
    afn_openai_client_set_price_table (client, prices);
  if (ca_file != NULL)
    afn_openai_client_set_ca_file (client, ca_file);
  if (temperature >= 0)
    json_object_set_double_member (args, "temperature", temperature);
  if (max_tokens > 0)
    json_object_set_int_member (args, "max_completion_tokens", max_tokens);
  messages = build_messages (system, prompt);

  chat.loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, interrupt_cb, cancellable);
  afn_model_client_chat_async (AFN_MODEL_CLIENT (client), messages, args, cancellable,
                               chat_done_cb, &chat);
  g_main_loop_run (chat.loop);
  g_source_remove (sigint);
  g_main_loop_unref (chat.loop);

  if (chat.reply == NULL)
    {
      fprintf (stderr, "afnio chat: %s\n", chat.error->message);
      g_error_free (chat.error);
      return 1;
    }
  printf ("%s\n", afn_chat_reply_get_text (chat.reply));
  fflush (stdout);
  print_usage (client, afn_chat_reply_get_usage (chat.reply));
  afn_chat_reply_unref (chat.reply);
  return 0;
}
