/* afs-application.h: the Afnio Studio application (AdwApplication).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define AFS_TYPE_APPLICATION (afs_application_get_type ())
G_DECLARE_FINAL_TYPE (AfsApplication, afs_application, AFS, APPLICATION, AdwApplication)

/* A new application with id APP_ID (transfer full). */
AfsApplication *afs_application_new (void);
/* The application's settings (transfer none). */
GSettings      *afs_application_get_settings (AfsApplication *self);
/* The demo session shipped with the app: the source tree's data/demos when
 * run uninstalled (or $AFS_DEMO_DIR), else the installed copy. Transfer full. */
GFile          *afs_application_dup_demo_file (AfsApplication *self);
/* Opens the demo in a new window and returns the window (transfer none). */
GtkWindow      *afs_application_open_demo (AfsApplication *self);

G_END_DECLS
