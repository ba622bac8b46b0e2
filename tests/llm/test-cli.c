/* test-cli.c: `afnio chat` against `afnio-fake-server`, both as programs.
 *
 * Usage: test-llm-cli FAKE-SERVER-PROGRAM AFNIO-PROGRAM RULES-FILE
 *
 * SPDX-License-Identifier: MIT
 */
#include <gio/gio.h>
#include <signal.h>
#include <string.h>

static const char *server_program;
static const char *afnio_program;
static const char *rules_file;

typedef struct {
  GSubprocess *server;
  char *base_url;
} Server;

static void
server_start (Server *s, const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;

  s->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, server_program,
                                "--rules", rules_file, "--api-key", key, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->server));
  s->base_url = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (s->base_url, "http://127.0.0.1:"));
}

static void
server_stop (Server *s)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (s->server, SIGTERM);
  g_subprocess_wait_check (s->server, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&s->server);
  g_free (s->base_url);
}

/* Runs afnio with @argv (NULL-terminated) and OPENAI_API_KEY=@key. */
static int
run_afnio (const char  *key,
           const char  *input,
           char       **out,
           char       **err,
           const char  *first,
           ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  va_list ap;

  g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", key, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_ptr_array_add (argv, (char *) afnio_program);
  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, input, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (proc);
}

static void
test_chat (void)
{
  Server s = { 0 };
  g_autofree char *out = NULL, *err = NULL;

  server_start (&s, "sk-cli-test");
  g_assert_cmpint (run_afnio ("sk-cli-test", NULL, &out, &err, "chat", "--base-url", s.base_url,
                              "--model", "gpt-4o-mini", "What is the capital of France?", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "Paris\n");
  /* (176 × 0.15 + 1024 × 0.075 + 3 × 0.60) / 1e6 with the shipped prices */
  g_assert_nonnull (strstr (err, "1200 prompt (1024 cached) + 3 completion = 1203 tokens"));
  g_assert_nonnull (strstr (err, "$0.000105"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The prompt from standard input; a model without a price. */
  g_assert_cmpint (run_afnio ("sk-cli-test", "echo me\n", &out, &err, "chat", "-u", s.base_url,
                              "-m", "llama3.2", "-", NULL), ==, 0);
  g_assert_cmpstr (out, ==, "echo me\n");
  g_assert_nonnull (strstr (err, "cost unknown"));
  server_stop (&s);
}

static void
test_errors (void)
{
  Server s = { 0 };
  g_autofree char *out = NULL, *err = NULL;

  server_start (&s, "sk-right");
  g_assert_cmpint (run_afnio ("sk-wrong-key-42", NULL, &out, &err, "chat", "--base-url", s.base_url,
                              "hello", NULL), ==, 1);
  g_assert_cmpstr (out, ==, "");
  g_assert_nonnull (strstr (err, "401"));
  g_assert_nonnull (strstr (err, "Incorrect API key provided"));
  g_assert_null (strstr (err, "sk-wrong-key-42"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_afnio ("sk-right", NULL, &out, &err, "chat", "--base-url", s.base_url,
                              "this is forbidden", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "You may not use this model"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_afnio ("sk-right", "", &out, &err, "chat", "--base-url", s.base_url, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "no prompt"));
  server_stop (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 4);
  server_program = argv[1];
  afnio_program = argv[2];
  rules_file = argv[3];

  g_test_add_func ("/llm/cli/chat", test_chat);
  g_test_add_func ("/llm/cli/errors", test_errors);

  return g_test_run ();
}
