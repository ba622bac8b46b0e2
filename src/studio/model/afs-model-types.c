/* afs-model-types.c: error domain and port type helpers.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-model-types.h"

G_DEFINE_QUARK (afs-document-error-quark, afs_document_error)

char *
afs_port_type_to_string (AfsPortType type)
{
  static const struct { AfsPortType bit; const char *name; } names[] = {
    { AFS_PORT_TEXT, N_("text") },
    { AFS_PORT_NUMBER, N_("number") },
    { AFS_PORT_LIST, N_("list") },
    { AFS_PORT_SCORE, N_("score") },
    { AFS_PORT_EXPLANATION, N_("explanation") },
  };
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  if (type == AFS_PORT_ANY)
    return g_strdup (_("any variable"));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (type & names[i].bit)
      g_ptr_array_add (parts, (gpointer) _(names[i].name));
  g_ptr_array_add (parts, NULL);
  /* Translators: joins port type names, "text or list" */
  return g_strjoinv (_(" or "), (char **) parts->pdata);
}

gboolean
afs_port_type_compatible (AfsPortType out, AfsPortType in)
{
  return (out & in) != 0;
}
