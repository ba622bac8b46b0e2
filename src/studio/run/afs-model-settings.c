/* afs-model-settings.c: server, models and mode of studio runs.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "afs-model-settings.h"

struct _AfsModelSettings
{
  GObject     parent_instance;

  char       *base_url;
  char       *model;
  char       *backward_model;
  char       *optimizer_model;
  double      temperature;
  guint       concurrency;
  char       *api_key_env;
  char       *api_key;       /* from the UI; never exposed */
  AfsRunMode  mode;
  guint       max_attempts;
  guint       base_delay_ms;
  guint       max_delay_ms;
};

G_DEFINE_TYPE (AfsModelSettings, afs_model_settings, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_MODEL,
  PROP_BACKWARD_MODEL,
  PROP_OPTIMIZER_MODEL,
  PROP_TEMPERATURE,
  PROP_CONCURRENCY,
  PROP_API_KEY_ENV,
  PROP_MODE,
  PROP_HAS_API_KEY,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

static const GEnumValue run_mode_values[] = {
  { AFS_RUN_MODE_LIVE, "AFS_RUN_MODE_LIVE", "live" },
  { AFS_RUN_MODE_REPLAY, "AFS_RUN_MODE_REPLAY", "replay" },
  { AFS_RUN_MODE_RECORD, "AFS_RUN_MODE_RECORD", "record" },
  { 0, NULL, NULL }
};

GType
afs_run_mode_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("AfsRunMode", run_mode_values));
  return type;
}

const char *
afs_run_mode_to_string (AfsRunMode mode)
{
  for (guint i = 0; run_mode_values[i].value_nick != NULL; i++)
    if (run_mode_values[i].value == (gint) mode)
      return run_mode_values[i].value_nick;
  return "live";
}

gboolean
afs_run_mode_from_string (const char *text, AfsRunMode *mode)
{
  for (guint i = 0; text != NULL && run_mode_values[i].value_nick != NULL; i++)
    if (g_ascii_strcasecmp (text, run_mode_values[i].value_nick) == 0)
      {
        *mode = run_mode_values[i].value;
        return TRUE;
      }
  return FALSE;
}

static void
afs_model_settings_finalize (GObject *object)
{
  AfsModelSettings *self = AFS_MODEL_SETTINGS (object);

  g_free (self->base_url);
  g_free (self->model);
  g_free (self->backward_model);
  g_free (self->optimizer_model);
  g_free (self->api_key_env);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  G_OBJECT_CLASS (afs_model_settings_parent_class)->finalize (object);
}

static void
afs_model_settings_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsModelSettings *self = AFS_MODEL_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    case PROP_MODEL: g_value_set_string (value, self->model); break;
    case PROP_BACKWARD_MODEL: g_value_set_string (value, self->backward_model); break;
    case PROP_OPTIMIZER_MODEL: g_value_set_string (value, self->optimizer_model); break;
    case PROP_TEMPERATURE: g_value_set_double (value, self->temperature); break;
    case PROP_CONCURRENCY: g_value_set_uint (value, self->concurrency); break;
    case PROP_API_KEY_ENV: g_value_set_string (value, self->api_key_env); break;
    case PROP_MODE: g_value_set_enum (value, self->mode); break;
    case PROP_HAS_API_KEY: g_value_set_boolean (value, afs_model_settings_has_api_key (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_model_settings_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AfsModelSettings *self = AFS_MODEL_SETTINGS (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: afs_model_settings_set_base_url (self, g_value_get_string (value)); break;
    case PROP_MODEL: afs_model_settings_set_model (self, g_value_get_string (value)); break;
    case PROP_BACKWARD_MODEL: afs_model_settings_set_backward_model (self, g_value_get_string (value)); break;
    case PROP_OPTIMIZER_MODEL: afs_model_settings_set_optimizer_model (self, g_value_get_string (value)); break;
    case PROP_TEMPERATURE: afs_model_settings_set_temperature (self, g_value_get_double (value)); break;
    case PROP_CONCURRENCY: afs_model_settings_set_concurrency (self, g_value_get_uint (value)); break;
    case PROP_API_KEY_ENV: afs_model_settings_set_api_key_env (self, g_value_get_string (value)); break;
    case PROP_MODE: afs_model_settings_set_mode (self, g_value_get_enum (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_model_settings_class_init (AfsModelSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = afs_model_settings_finalize;
  object_class->get_property = afs_model_settings_get_property;
  object_class->set_property = afs_model_settings_set_property;

  props[PROP_BASE_URL] = g_param_spec_string ("base-url", NULL, NULL, AFN_OPENAI_DEFAULT_BASE_URL, rw);
  props[PROP_MODEL] = g_param_spec_string ("model", NULL, NULL, AFS_DEFAULT_MODEL, rw);
  props[PROP_BACKWARD_MODEL] = g_param_spec_string ("backward-model", NULL, NULL, AFS_DEFAULT_MODEL, rw);
  props[PROP_OPTIMIZER_MODEL] = g_param_spec_string ("optimizer-model", NULL, NULL, AFS_DEFAULT_MODEL, rw);
  props[PROP_TEMPERATURE] = g_param_spec_double ("temperature", NULL, NULL, -1, 2, 0, rw);
  props[PROP_CONCURRENCY] = g_param_spec_uint ("concurrency", NULL, NULL, 1, 256, 8, rw);
  props[PROP_API_KEY_ENV] = g_param_spec_string ("api-key-env", NULL, NULL, AFS_DEFAULT_API_KEY_ENV, rw);
  props[PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, AFS_TYPE_RUN_MODE, AFS_RUN_MODE_REPLAY, rw);
  props[PROP_HAS_API_KEY] = g_param_spec_boolean ("has-api-key", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afs_model_settings_init (AfsModelSettings *self)
{
  self->base_url = g_strdup (AFN_OPENAI_DEFAULT_BASE_URL);
  self->model = g_strdup (AFS_DEFAULT_MODEL);
  self->backward_model = g_strdup (AFS_DEFAULT_MODEL);
  self->optimizer_model = g_strdup (AFS_DEFAULT_MODEL);
  self->concurrency = 8;
  self->api_key_env = g_strdup (AFS_DEFAULT_API_KEY_ENV);
  self->mode = AFS_RUN_MODE_REPLAY;
  self->max_attempts = 5;
  self->base_delay_ms = 500;
  self->max_delay_ms = 30000;
}

void
afs_model_settings_set_retry (AfsModelSettings *self, guint max_attempts,
                              guint base_delay_ms, guint max_delay_ms)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  self->max_attempts = MAX (max_attempts, 1);
  self->base_delay_ms = base_delay_ms;
  self->max_delay_ms = max_delay_ms;
}

AfsModelSettings *
afs_model_settings_new (void)
{
  return g_object_new (AFS_TYPE_MODEL_SETTINGS, NULL);
}

static const char *
env_value (const char *name)
{
  const char *value = g_getenv (name);
  return value != NULL && *value != '\0' ? value : NULL;
}

AfsModelSettings *
afs_model_settings_new_from_env (void)
{
  AfsModelSettings *self = afs_model_settings_new ();
  const char *value;
  AfsRunMode mode;

  if ((value = env_value (AFS_ENV_BASE_URL)) != NULL)
    afs_model_settings_set_base_url (self, value);
  if ((value = env_value (AFS_ENV_MODEL)) != NULL)
    {
      afs_model_settings_set_model (self, value);
      afs_model_settings_set_backward_model (self, value);
      afs_model_settings_set_optimizer_model (self, value);
    }
  if ((value = env_value (AFS_ENV_BACKWARD_MODEL)) != NULL)
    afs_model_settings_set_backward_model (self, value);
  if ((value = env_value (AFS_ENV_OPTIMIZER_MODEL)) != NULL)
    afs_model_settings_set_optimizer_model (self, value);
  if ((value = env_value (AFS_ENV_MODE)) != NULL && afs_run_mode_from_string (value, &mode))
    afs_model_settings_set_mode (self, mode);
  return self;
}

static void
set_string (AfsModelSettings *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value != NULL ? value : "");
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

const char *afs_model_settings_get_base_url (AfsModelSettings *self) { return self->base_url; }
const char *afs_model_settings_get_model (AfsModelSettings *self) { return self->model; }
const char *afs_model_settings_get_backward_model (AfsModelSettings *self) { return self->backward_model; }
const char *afs_model_settings_get_optimizer_model (AfsModelSettings *self) { return self->optimizer_model; }
double      afs_model_settings_get_temperature (AfsModelSettings *self) { return self->temperature; }
guint       afs_model_settings_get_concurrency (AfsModelSettings *self) { return self->concurrency; }
const char *afs_model_settings_get_api_key_env (AfsModelSettings *self) { return self->api_key_env; }
AfsRunMode  afs_model_settings_get_mode (AfsModelSettings *self) { return self->mode; }

void
afs_model_settings_set_base_url (AfsModelSettings *self, const char *base_url)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  set_string (self, &self->base_url, base_url, PROP_BASE_URL);
}

void
afs_model_settings_set_model (AfsModelSettings *self, const char *model)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  set_string (self, &self->model, model, PROP_MODEL);
}

void
afs_model_settings_set_backward_model (AfsModelSettings *self, const char *model)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  set_string (self, &self->backward_model, model, PROP_BACKWARD_MODEL);
}

void
afs_model_settings_set_optimizer_model (AfsModelSettings *self, const char *model)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  set_string (self, &self->optimizer_model, model, PROP_OPTIMIZER_MODEL);
}

void
afs_model_settings_set_temperature (AfsModelSettings *self, double temperature)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  temperature = CLAMP (temperature, -1.0, 2.0);
  if (self->temperature == temperature)
    return;
  self->temperature = temperature;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TEMPERATURE]);
}

void
afs_model_settings_set_concurrency (AfsModelSettings *self, guint concurrency)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  concurrency = CLAMP (concurrency, 1, 256);
  if (self->concurrency == concurrency)
    return;
  self->concurrency = concurrency;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CONCURRENCY]);
}

void
afs_model_settings_set_api_key_env (AfsModelSettings *self, const char *name)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  set_string (self, &self->api_key_env, name, PROP_API_KEY_ENV);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_HAS_API_KEY]);
}

void
afs_model_settings_set_mode (AfsModelSettings *self, AfsRunMode mode)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  if (self->mode == mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODE]);
}

void
afs_model_settings_set_api_key (AfsModelSettings *self, const char *api_key)
{
  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_clear_pointer (&self->api_key, g_free);
  if (api_key != NULL && *api_key != '\0')
    self->api_key = g_strdup (api_key);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_HAS_API_KEY]);
}

/* The key to send: the UI's, else the environment variable's (nullable). */
static const char *
effective_key (AfsModelSettings *self)
{
  if (self->api_key != NULL)
    return self->api_key;
  return self->api_key_env != NULL && *self->api_key_env != '\0' ? env_value (self->api_key_env) : NULL;
}

gboolean
afs_model_settings_has_api_key (AfsModelSettings *self)
{
  g_return_val_if_fail (AFS_IS_MODEL_SETTINGS (self), FALSE);
  return effective_key (self) != NULL;
}

AfnModelClient *
afs_model_settings_create_server_client (AfsModelSettings *self)
{
  AfnOpenAIClient *client;

  g_return_val_if_fail (AFS_IS_MODEL_SETTINGS (self), NULL);
  client = afn_openai_client_new (*self->base_url != '\0' ? self->base_url : AFN_OPENAI_DEFAULT_BASE_URL,
                                  self->model);
  /* Always set, so that $OPENAI_API_KEY is not used behind the settings' back. */
  afn_openai_client_set_api_key (client, effective_key (self));
  afn_openai_client_set_max_concurrency (client, self->concurrency);
  afn_openai_client_set_retry (client, self->max_attempts, self->base_delay_ms, self->max_delay_ms);
  return AFN_MODEL_CLIENT (client);
}

/* ---- Test connection ---- */

static void
test_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_strdup (afn_chat_reply_get_text (reply)), g_free);
}

void
afs_model_settings_test_connection_async (AfsModelSettings   *self,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data)
{
  g_autoptr(AfnModelClient) client = NULL;
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autoptr(JsonObject) args = json_object_new ();
  JsonObject *message = json_object_new ();
  GTask *task;

  g_return_if_fail (AFS_IS_MODEL_SETTINGS (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, afs_model_settings_test_connection_async);
  client = afs_model_settings_create_server_client (self);
  g_task_set_task_data (task, g_object_ref (client), g_object_unref);
  /* One attempt: the user is waiting for a yes or no. */
  afn_openai_client_set_retry (AFN_OPENAI_CLIENT (client), 1, 0, 0);
  afn_openai_client_set_timeouts (AFN_OPENAI_CLIENT (client), 10000, 30000);
  json_object_set_string_member (message, "role", "user");
  json_object_set_string_member (message, "content", "Reply with OK.");
  json_array_add_object_element (messages, message);
  json_object_set_string_member (args, "model", self->model);
  json_object_set_int_member (args, "max_completion_tokens", 5);
  afn_model_client_chat_async (client, messages, args, cancellable, test_reply_cb, task);
}

char *
afs_model_settings_test_connection_finish (AfsModelSettings *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
