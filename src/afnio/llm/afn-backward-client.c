/* afn-backward-client.c: the process-wide model client of LM backwards.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "afn-backward-client.h"
#include "afn-llm-private.h"
#include "afn-openai-client.h"

/* One client for the whole process, as afnio has: ops on any thread read it,
 * so it sits behind a lock and readers get their own reference. */
static GMutex lock;
static AfnModelClient *backward_client;
static JsonObject *backward_args;
static char *backward_path;

static void
set_locked (AfnModelClient *client, JsonObject *args, const char *path)
{
  g_mutex_lock (&lock);
  g_clear_object (&backward_client);
  g_clear_pointer (&backward_args, json_object_unref);
  g_clear_pointer (&backward_path, g_free);
  backward_client = client;
  backward_args = args;
  backward_path = g_strdup (path);
  g_mutex_unlock (&lock);
}

void
afn_set_backward_model_client_instance (AfnModelClient *client, const char *model,
                                        JsonObject *completion_args)
{
  JsonObject *args;

  g_return_if_fail (client == NULL || AFN_IS_MODEL_CLIENT (client));
  if (client == NULL)
    {
      set_locked (NULL, NULL, NULL);
      return;
    }
  args = afn_llm_json_object_copy (completion_args);
  if (model != NULL)
    json_object_set_string_member (args, "model", model);
  set_locked (g_object_ref (client), args, model);
}

static const char *
string_arg (JsonObject *args, const char *name)
{
  if (args == NULL || !json_object_has_member (args, name))
    return NULL;
  return json_object_get_string_member_with_default (args, name, NULL);
}

gboolean
afn_set_backward_model_client (const char *model_path, JsonObject *client_args,
                               JsonObject *completion_args, GError **error)
{
  const char *slash = model_path != NULL ? strchr (model_path, '/') : NULL;
  AfnOpenAIClient *client;
  JsonObject *args;

  if (slash == NULL || slash == model_path || slash[1] == '\0')
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                   _("Model path “%s” is not of the form provider/model (e.g. openai/gpt-4o)"),
                   model_path != NULL ? model_path : "");
      return FALSE;
    }
  client = afn_openai_client_new (string_arg (client_args, "base_url"), slash + 1);
  if (string_arg (client_args, "api_key") != NULL)
    afn_openai_client_set_api_key (client, string_arg (client_args, "api_key"));
  if (string_arg (client_args, "organization") != NULL)
    afn_openai_client_set_organization (client, string_arg (client_args, "organization"));
  if (client_args != NULL && json_object_has_member (client_args, "max_concurrency"))
    afn_openai_client_set_max_concurrency (client,
                                           json_object_get_int_member (client_args, "max_concurrency"));

  args = afn_llm_json_object_copy (completion_args);
  json_object_set_string_member (args, "model", slash + 1);
  set_locked (AFN_MODEL_CLIENT (client), args, model_path);
  return TRUE;
}

AfnModelClient *
afn_get_backward_model_client (GError **error)
{
  AfnModelClient *client = NULL;

  g_mutex_lock (&lock);
  if (backward_client != NULL)
    client = g_object_ref (backward_client);
  g_mutex_unlock (&lock);
  if (client == NULL)
    g_set_error_literal (error, AFN_ERROR, AFN_ERROR_NO_MODEL_CLIENT,
                         _("No backward model client is set: call set_backward_model_client() "
                           "(afn_set_backward_model_client()) before a backward pass that needs a language model"));
  return client;
}

JsonObject *
afn_get_backward_completion_args (void)
{
  JsonObject *args = NULL;

  g_mutex_lock (&lock);
  if (backward_args != NULL)
    args = afn_llm_json_object_copy (backward_args);
  g_mutex_unlock (&lock);
  return args;
}

char *
afn_get_backward_model_path (void)
{
  char *path;

  g_mutex_lock (&lock);
  path = g_strdup (backward_path);
  g_mutex_unlock (&lock);
  return path;
}
