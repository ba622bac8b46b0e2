/* fake-server-main.c: `afnio-fake-server`, the fake server as a program.
 *
 * Prints its base URL on the first line of stdout, then serves until
 * SIGINT or SIGTERM.
 *
 * SPDX-License-Identifier: MIT
 */
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake-server.h"

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- a scriptable OpenAI-compatible server");
  g_autoptr(GError) error = NULL;
  g_autoptr(FakeServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *rules = NULL;
  g_autofree char *key = NULL;
  int port = 0, latency = 0;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (default: any free port)", "PORT" },
    { "latency", 'l', 0, G_OPTION_ARG_INT, &latency, "Delay before every answer", "MS" },
    { "rules", 'r', 0, G_OPTION_ARG_FILENAME, &rules, "Rules from a JSON file", "FILE" },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &key, "Answer 401 unless this key is sent", "KEY" },
    { NULL }
  };

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || port < 0 || port > 65535 || latency < 0)
    {
      fprintf (stderr, "afnio-fake-server: %s\n", error != NULL ? error->message : "bad --port or --latency");
      return 2;
    }
  server = fake_server_new (port);
  if (rules != NULL && !fake_server_load_rules (server, rules, &error))
    {
      fprintf (stderr, "afnio-fake-server: %s\n", error->message);
      return 1;
    }
  if (latency > 0)
    fake_server_set_latency (server, latency);
  fake_server_set_required_key (server, key);
  fake_server_set_record_bodies (server, FALSE);

  printf ("%s\n", fake_server_get_base_url (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);
  fprintf (stderr, "afnio-fake-server: %u requests\n", fake_server_get_request_count (server));
  return 0;
}
