/* afs-session-pack.c: build tool that turns a document JSON (a demo's
 * source) into a session .hf, checking it loads as a document first.
 *
 *   afs-session-pack IN.json OUT.hf
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-document.h"
#include "afs-session.h"

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(AfsDocument) document = afs_document_new ();
  g_autoptr(JsonNode) graph = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (argc != 3)
    {
      g_printerr ("usage: %s IN.json OUT.hf\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &text, &len, &error) ||
      !afs_document_load_json (document, text, len, &error))
    goto fail;
  graph = afs_document_to_json_node (document);
  bytes = afs_session_write_bytes (graph, &error);
  if (bytes == NULL ||
      !g_file_set_contents (argv[2], g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error))
    goto fail;
  return 0;

fail:
  g_printerr ("%s: %s\n", argv[1], error->message);
  return 1;
}
