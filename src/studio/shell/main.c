/* main.c: afnio-studio entry point.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "afs-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr(AfsApplication) app = NULL;
  /* AFS_LOCALEDIR points an uninstalled or relocated build at its
   * message catalogues (e.g. a `meson install --destdir` tree). */
  const char *localedir = g_getenv ("AFS_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_("Afnio Studio"));
  app = afs_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
