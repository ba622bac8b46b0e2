/* test-demo.c: `afnio demo --base-url URL --model NAME` against the
 * afnio-fake-server program, both run as real processes.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#define RULES \
  "{\"rules\": [" \
  " {\"match\": \"last_user\", \"pattern\": \"<ITEM>Mention that answers are in capitals.</ITEM>\"," \
  "  \"reply\": \"<IMPROVED_VARIABLE>You answer in capital letters.</IMPROVED_VARIABLE>\", \"usage\": {}}," \
  " {\"match\": \"last_user\", \"pattern\": \"<FEEDBACK_ON_ANSWER>\"," \
  "  \"reply\": \"Mention that answers are in capitals.\", \"usage\": {}}," \
  " {\"match\": \"last_user\", \"pattern\": \"<PREDICTION>Paris</PREDICTION>\"," \
  "  \"reply\": \"Write PARIS in capitals.\", \"usage\": {}}," \
  " {\"match\": \"always\", \"reply\": \"Paris\", \"usage\": {}}" \
  "]}"

typedef struct {
  GSubprocess *server;
  char        *base_url;
  char        *rules_path;
} Server;

static void
server_start (Server *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  int fd = g_file_open_tmp ("afn-demo-rules-XXXXXX.json", &s->rules_path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (s->rules_path, RULES, -1, &error));
  s->server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                g_getenv ("AFNIO_FAKE_SERVER"), "--rules", s->rules_path,
                                "--api-key", "sk-demo-key", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->server));
  s->base_url = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (s->base_url, "http://127.0.0.1:"));
}

static void
server_stop (Server *s)
{
  g_subprocess_send_signal (s->server, SIGTERM);
  g_subprocess_wait (s->server, NULL, NULL);
  g_clear_object (&s->server);
  g_unlink (s->rules_path);
  g_free (s->rules_path);
  g_free (s->base_url);
}

static int
run_afnio (const char *key, char **out, char **err, ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list ap;

  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "OPENAI_API_KEY");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_ptr_array_add (argv, (char *) g_getenv ("AFNIO_CLI"));
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err, &error));
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (proc);
}

static void
test_demo_loop (void)
{
  Server s = { 0 };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  server_start (&s);
  status = run_afnio ("sk-demo-key", &out, &err, "demo", "--base-url", s.base_url,
                      "--model", "demo-model", NULL);
  g_test_message ("stdout:\n%s\nstderr:\n%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "1. Forward: demo-model answered “Paris”"));
  g_assert_nonnull (strstr (out, "2. Evaluator: The evaluation function, designed for 'exact match', compared "
                                 "the <DATA> field of the predicted variable ('Paris') with the <DATA> field of "
                                 "the target variable ('PARIS'), resulting in a score: 0."));
  g_assert_nonnull (strstr (out, "   - Mention that answers are in capitals."));
  g_assert_nonnull (strstr (out, "to   “You answer in capital letters.”"));
  g_assert_nonnull (strstr (out, "Usage: "));
  g_assert_null (strstr (out, "sk-demo-key"));
  server_stop (&s);
}

static void
test_demo_errors (void)
{
  Server s = { 0 };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;

  g_assert_cmpint (run_afnio (NULL, &out, &err, "demo", "--base-url", "http://127.0.0.1:1/v1", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--model"));

  /* A wrong key: the server's 401 is reported, the key never shown. */
  server_start (&s);
  g_assert_cmpint (run_afnio ("sk-wrong-key", &out2, &err2, "demo", "--base-url", s.base_url,
                              "--model", "demo-model", NULL), ==, 1);
  g_assert_nonnull (strstr (err2, "afnio demo: "));
  g_assert_null (strstr (err2, "sk-wrong-key"));
  server_stop (&s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llm/demo/loop", test_demo_loop);
  g_test_add_func ("/llm/demo/errors", test_demo_errors);
  return g_test_run ();
}
