/* afs-model-preferences.h: the Models page of Preferences: the server, the
 * API key (environment or keyring), a connection test, and the models and
 * sampling settings used to run graphs.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define AFS_TYPE_MODEL_PREFERENCES (afs_model_preferences_get_type ())
G_DECLARE_FINAL_TYPE (AfsModelPreferences, afs_model_preferences, AFS, MODEL_PREFERENCES,
                      AdwPreferencesGroup)

/*
 * The "Server" group. Properties:
 *   "testing"       bool, read-only: a connection test is running
 *   "test-result"   string, read-only: the last test's message
 *   "key-status"    string, read-only: where the key comes from, or why not
 * Signals:
 *   "test-finished" (gboolean ok)
 */
AfsModelPreferences *afs_model_preferences_new (GSettings *settings);
/* Adds this group and a "Models" group (names, temperature, concurrency)
 * to @page. */
void                 afs_model_preferences_add_to_page (AdwPreferencesPage *page,
                                                        GSettings *settings);
void                 afs_model_preferences_test_connection (AfsModelPreferences *self);
gboolean             afs_model_preferences_get_testing (AfsModelPreferences *self);
const char          *afs_model_preferences_get_test_result (AfsModelPreferences *self);
const char          *afs_model_preferences_get_key_status (AfsModelPreferences *self);
/* Stores @key in the keyring for the current server (as the key row's
 * apply button does); the status says how it went. */
void                 afs_model_preferences_store_key (AfsModelPreferences *self, const char *key);

G_END_DECLS
