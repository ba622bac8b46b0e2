/* afs-api-key.c: environment or keyring, one secret per server URL.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>

#include "afs-api-key.h"

static const SecretSchema *
key_schema (void)
{
  static const SecretSchema schema = {
    "io.github.afnio.Studio.ApiKey", SECRET_SCHEMA_NONE,
    {
      { "base-url", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0,
  };
  return &schema;
}

void
afs_api_key_free (char *key)
{
  if (key)
    secret_password_free (key);
}

/* A keyring failure as the user should read it. */
static GError *
keyring_error (GError *cause, const char *what)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                      /* Translators: %s is what failed, then the reason. */
                      _("Could not %s in the desktop keyring (is a keyring service such as "
                        "GNOME Keyring running?): %s"), what, cause->message);
}

static void
lookup_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *key = secret_password_lookup_finish (result, &error);

  if (error && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (error)
    g_task_return_error (task, keyring_error (error, _("read the API key")));
  else
    g_task_return_pointer (task, key, (GDestroyNotify) afs_api_key_free);
}

void
afs_api_key_lookup_async (GSettings *settings, const char *base_url,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_SETTINGS (settings));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, afs_api_key_lookup_async);
  if (g_settings_get_enum (settings, "api-key-source") == 0)
    {
      g_autofree char *var = g_settings_get_string (settings, "api-key-variable");
      const char *value = *var ? g_getenv (var) : NULL;

      g_task_return_pointer (task, value && *value ? g_strdup (value) : NULL, g_free);
      return;
    }
  secret_password_lookup (key_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                          "base-url", base_url ? base_url : "", NULL);
}

char *
afs_api_key_lookup_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gboolean removing = GPOINTER_TO_INT (g_task_get_task_data (task));

  if (removing)
    secret_password_clear_finish (result, &error);
  else
    secret_password_store_finish (result, &error);
  if (error && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (error)
    g_task_return_error (task, keyring_error (error, removing ? _("remove the API key")
                                                              : _("store the API key")));
  else
    g_task_return_boolean (task, TRUE);
}

void
afs_api_key_store_async (const char *base_url, const char *key,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  const char *url = base_url ? base_url : "";

  g_task_set_source_tag (task, afs_api_key_store_async);
  if (!key || !*key)
    {
      g_task_set_task_data (task, GINT_TO_POINTER (TRUE), NULL);
      secret_password_clear (key_schema (), cancellable, store_cb, task, "base-url", url, NULL);
      return;
    }
  {
    /* Translators: the keyring item's label; %s is the server URL. */
    g_autofree char *label = g_strdup_printf (_("Afnio Studio API key for %s"), url);

    secret_password_store (key_schema (), SECRET_COLLECTION_DEFAULT, label, key, cancellable,
                           store_cb, task, "base-url", url, NULL);
  }
}

gboolean
afs_api_key_store_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
