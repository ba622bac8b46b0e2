/* main.c: afnio-studio entry point.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "afs-application.h"
#include "afs-widgets.h"

/* A binary run from its build tree finds the schema compiled there, so
 * that `_build/plain/src/studio/afnio-studio --demo` runs uninstalled. */
static void
use_build_tree_when_uninstalled (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  if (exe != NULL && g_str_has_prefix (exe, AFN_BUILD_ROOT "/"))
    g_setenv ("GSETTINGS_SCHEMA_DIR", AFS_UNINSTALLED_SCHEMA_DIR, FALSE);
}

int
main (int argc, char *argv[])
{
  g_autoptr(AfsApplication) app = NULL;
  /* AFS_LOCALEDIR points an uninstalled or relocated build at its
   * message catalogues (e.g. a `meson install --destdir` tree). */
  const char *localedir = g_getenv ("AFS_LOCALEDIR");

  afs_widgets_tune_allocator ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  use_build_tree_when_uninstalled ();
  g_set_application_name (_("Afnio Studio"));
  app = afs_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
