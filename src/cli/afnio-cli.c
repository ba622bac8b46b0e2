/* afnio-cli.c: the `afnio` command-line tool: dispatches to the commands.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "afnio-cli.h"

/* Each command file defines one of these; add new ones to the table. */
static const AfnCliCommand commands[] = {
  { "demo", N_("Run the specification's examples and print the graphs and grads"), afn_cmd_demo },
  { "dump", N_("Print a .hf file as JSON"), afnio_cmd_dump },
  { "pack", N_("Write a .hf file from dump's JSON"), afnio_cmd_pack },
  { "resave", N_("Load a .hf file and save it again"), afnio_cmd_resave },
#ifdef AFN_CLI_HAVE_RUN
  { "run", N_("Run a studio session headless: forward, backward, step"), afnio_cmd_run },
#endif
  { "chat", N_("Send one prompt to an OpenAI-compatible server"), afnio_cmd_chat },
  { NULL, NULL, NULL },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n", _("Usage: afnio COMMAND [ARGS...]"), _("Commands:"));
  for (guint i = 0; commands[i].name != NULL; i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Run “afnio COMMAND --help” for a command's options."));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  for (guint i = 0; commands[i].name != NULL; i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].func (argc - 1, argv + 1);

  fprintf (stderr, _("afnio: unknown command “%s”\n\n"), argv[1]);
  print_usage (stderr);
  return 2;
}
