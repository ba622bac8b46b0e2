/* afs-api-key.h: the model server's API key, from an environment variable
 * or the desktop keyring (libsecret). The key is only ever held in memory:
 * never in settings, session files or logs.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Looks the key up as @settings say (api-key-source, api-key-variable),
 * for the server at @base_url. The result is NULL with no error when no
 * key is set (a local server needs none); a keyring that cannot be
 * reached is an error that says so. */
void   afs_api_key_lookup_async  (GSettings *settings, const char *base_url,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
/* Transfer full (free with afs_api_key_free), nullable. */
char  *afs_api_key_lookup_finish (GAsyncResult *result, GError **error);

/* Stores @key for @base_url in the default keyring; "" or NULL removes it. */
void     afs_api_key_store_async  (const char *base_url, const char *key,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean afs_api_key_store_finish (GAsyncResult *result, GError **error);

/* Wipes and frees a key. */
void   afs_api_key_free (char *key);

G_END_DECLS
