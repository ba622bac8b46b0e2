/* afs-preferences-window.h: the preferences window.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define AFS_TYPE_PREFERENCES_WINDOW (afs_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (AfsPreferencesWindow, afs_preferences_window, AFS, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* A window whose rows are bound to @settings (transfer floating/toplevel). */
AfsPreferencesWindow *afs_preferences_window_new (GSettings *settings);
/* The "Models" page, for the part that configures language models (transfer none). */
AdwPreferencesPage   *afs_preferences_window_get_models_page (AfsPreferencesWindow *self);

G_END_DECLS
