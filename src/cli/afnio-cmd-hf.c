/* afnio-cmd-hf.c: `afnio dump`, `afnio pack` and `afnio resave`: .hf files
 * as diffable JSON, and back.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gi18n.h>
#include <stdio.h>

#include "afnio-cli.h"

static int
fail (const char *command, GError *error)
{
  fprintf (stderr, "afnio %s: %s\n", command, error->message);
  g_error_free (error);
  return 1;
}

static int
usage (const char *text)
{
  fprintf (stderr, "%s %s\n", _("Usage:"), text);
  return 2;
}

static gboolean
wants_help (int argc, char **argv)
{
  return argc > 1 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"));
}

/* afnio dump FILE.hf: the loaded value as JSON, in the fixtures' scheme. */
int
afnio_cmd_dump (int argc, char **argv)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(AfnValue) value = NULL;
  g_autofree char *json = NULL;
  GError *error = NULL;

  if (wants_help (argc, argv))
    {
      printf ("%s\n", _("Usage: afnio dump FILE.hf\n\nPrints the file's value as JSON (shared objects as __id__/__ref__)."));
      return 0;
    }
  if (argc != 2)
    return usage ("afnio dump FILE.hf");
  file = g_file_new_for_commandline_arg (argv[1]);
  value = afn_hf_load (file, NULL, &error);
  if (value == NULL)
    return fail ("dump", error);
  json = afn_hf_value_to_json (value);
  printf ("%s\n", json);
  return 0;
}

/* afnio pack FILE.json OUT.hf: the reverse of dump. */
int
afnio_cmd_pack (int argc, char **argv)
{
  g_autoptr(GFile) in = NULL;
  g_autoptr(GFile) out = NULL;
  g_autoptr(AfnValue) value = NULL;
  g_autofree char *json = NULL;
  gsize len;
  GError *error = NULL;

  if (wants_help (argc, argv))
    {
      printf ("%s\n", _("Usage: afnio pack FILE.json OUT.hf\n\nWrites the value described by FILE.json (afnio dump's format) as a .hf file."));
      return 0;
    }
  if (argc != 3)
    return usage ("afnio pack FILE.json OUT.hf");
  in = g_file_new_for_commandline_arg (argv[1]);
  out = g_file_new_for_commandline_arg (argv[2]);
  if (!g_file_load_contents (in, NULL, &json, &len, NULL, &error))
    return fail ("pack", error);
  value = afn_hf_value_from_json (json, (gssize) len, &error);
  if (value == NULL || !afn_hf_save (out, value, NULL, &error))
    return fail ("pack", error);
  return 0;
}

/* afnio resave IN.hf OUT.hf: load, then save with no changes. */
int
afnio_cmd_resave (int argc, char **argv)
{
  g_autoptr(GFile) in = NULL;
  g_autoptr(GFile) out = NULL;
  g_autoptr(AfnHfDocument) doc = NULL;
  GError *error = NULL;

  if (wants_help (argc, argv))
    {
      printf ("%s\n", _("Usage: afnio resave IN.hf OUT.hf\n\nLoads IN.hf and saves it unchanged (as pickle protocol 2) to OUT.hf."));
      return 0;
    }
  if (argc != 3)
    return usage ("afnio resave IN.hf OUT.hf");
  in = g_file_new_for_commandline_arg (argv[1]);
  out = g_file_new_for_commandline_arg (argv[2]);
  doc = afn_hf_document_load (in, NULL, NULL, &error);
  if (doc == NULL || !afn_hf_document_save (doc, out, NULL, &error))
    return fail ("resave", error);
  return 0;
}
