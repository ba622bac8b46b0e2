/* afs-model-preferences.c: GSettings-bound rows, libsecret, a test request.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-api-key.h"
#include "afs-model-preferences.h"
#include "afn-openai-client.h"

struct _AfsModelPreferences
{
  AdwPreferencesGroup parent_instance;

  GSettings    *settings;
  GCancellable *cancellable;    /* cancelled on dispose */
  gboolean      testing;
  char         *test_result;
  char         *key_status;

  GtkWidget    *url_row;
  GtkWidget    *source_row;
  GtkWidget    *variable_row;
  GtkWidget    *key_row;
  GtkWidget    *status_row;
  GtkWidget    *test_row;
  GtkWidget    *test_button;
  GtkWidget    *test_spinner;
};

enum { PROP_0, PROP_TESTING, PROP_TEST_RESULT, PROP_KEY_STATUS, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { TEST_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AfsModelPreferences, afs_model_preferences, ADW_TYPE_PREFERENCES_GROUP)

static void refresh_key_status (AfsModelPreferences *self);

static void
set_key_status (AfsModelPreferences *self, const char *text)
{
  g_free (self->key_status);
  self->key_status = g_strdup (text);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->status_row), text);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_KEY_STATUS]);
}

static void
set_test_result (AfsModelPreferences *self, gboolean testing, const char *text)
{
  self->testing = testing;
  g_free (self->test_result);
  self->test_result = g_strdup (text);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->test_row), text ? text : "");
  gtk_spinner_set_spinning (GTK_SPINNER (self->test_spinner), testing);
  gtk_widget_set_visible (self->test_spinner, testing);
  gtk_widget_set_sensitive (self->test_button, !testing);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TESTING]);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TEST_RESULT]);
}

/* ---- key status ---- */

static void
status_lookup_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  char *key = afs_api_key_lookup_finish (result, &error);
  AfsModelPreferences *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = AFS_MODEL_PREFERENCES (user_data);
  if (error)
    set_key_status (self, error->message);
  else if (g_settings_get_enum (self->settings, "api-key-source") == 0)
    {
      g_autofree char *var = g_settings_get_string (self->settings, "api-key-variable");
      g_autofree char *text = key
        ? g_strdup_printf (_("Read from the environment variable %s"), var)
        : g_strdup_printf (_("%s is not set: no key is sent (enough for a local server)"), var);
      set_key_status (self, text);
    }
  else
    set_key_status (self, key ? _("Stored in the desktop keyring for this server")
                              : _("No key stored for this server: no key is sent"));
  afs_api_key_free (key);
}

static void
refresh_key_status (AfsModelPreferences *self)
{
  g_autofree char *url = g_settings_get_string (self->settings, "model-base-url");
  gboolean keyring = g_settings_get_enum (self->settings, "api-key-source") == 1;

  gtk_widget_set_visible (self->variable_row, !keyring);
  gtk_widget_set_visible (self->key_row, keyring);
  afs_api_key_lookup_async (self->settings, url, self->cancellable, status_lookup_cb, self);
}

static void
settings_changed_cb (GSettings *settings, const char *key, AfsModelPreferences *self)
{
  if (g_str_equal (key, "api-key-source") || g_str_equal (key, "api-key-variable")
      || g_str_equal (key, "model-base-url"))
    refresh_key_status (self);
}

static void
store_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!afs_api_key_store_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_key_status (AFS_MODEL_PREFERENCES (user_data), error->message);
      return;
    }
  refresh_key_status (AFS_MODEL_PREFERENCES (user_data));
}

void
afs_model_preferences_store_key (AfsModelPreferences *self, const char *key)
{
  g_autofree char *url = NULL;

  g_return_if_fail (AFS_IS_MODEL_PREFERENCES (self));
  url = g_settings_get_string (self->settings, "model-base-url");
  set_key_status (self, _("Saving…"));
  afs_api_key_store_async (url, key, self->cancellable, store_cb, self);
}

static void
key_apply_cb (AdwEntryRow *row, AfsModelPreferences *self)
{
  afs_model_preferences_store_key (self, gtk_editable_get_text (GTK_EDITABLE (row)));
  /* Don't keep the secret in the widget longer than needed. */
  gtk_editable_set_text (GTK_EDITABLE (row), "");
}

/* ---- connection test ---- */

typedef struct {
  AfsModelPreferences *self;   /* weak: NULL once disposed */
  AfnOpenAIClient     *client;
} TestData;

static void
test_data_free (TestData *data)
{
  g_clear_weak_pointer (&data->self);
  g_clear_object (&data->client);
  g_free (data);
}

static void
finish_test (TestData *data, gboolean ok, const char *message)
{
  AfsModelPreferences *self = data->self;

  /* After dispose the rows are gone: report nothing. */
  if (self && !g_cancellable_is_cancelled (self->cancellable))
    {
      set_test_result (self, FALSE, message);
      g_signal_emit (self, signals[TEST_FINISHED], 0, ok);
    }
  test_data_free (data);
}

static void
chat_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TestData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnChatReply) reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source),
                                                                result, &error);
  g_autofree char *message = NULL;

  if (!reply)
    {
      message = g_strdup_printf (_("Failed: %s"), error->message);
      finish_test (data, FALSE, message);
      return;
    }
  {
    g_autofree char *text = g_utf8_make_valid (afn_chat_reply_get_text (reply), -1);
    const AfnUsage *usage = afn_chat_reply_get_usage (reply);

    if (g_utf8_strlen (text, -1) > 40)
      *g_utf8_offset_to_pointer (text, 40) = '\0';
    g_strstrip (text);
    /* Translators: the model, its reply, then a token count. */
    message = g_strdup_printf (_("Connected: %s replied “%s” (%" G_GINT64_FORMAT " tokens)"),
                               afn_openai_client_get_model (data->client), text,
                               usage ? usage->total_tokens : 0);
  }
  finish_test (data, TRUE, message);
}

static void
test_key_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  TestData *data = user_data;
  g_autoptr(GError) error = NULL;
  char *key = afs_api_key_lookup_finish (result, &error);
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autoptr(JsonObject) args = json_object_new ();
  JsonObject *msg;
  g_autofree char *url = NULL, *model = NULL;

  if (!data->self || error || g_cancellable_is_cancelled (data->self->cancellable))
    {
      g_autofree char *message = error ? g_strdup_printf (_("Failed: %s"), error->message) : NULL;
      afs_api_key_free (key);
      finish_test (data, FALSE, message);
      return;
    }
  url = g_settings_get_string (data->self->settings, "model-base-url");
  model = g_settings_get_string (data->self->settings, "model-forward");
  data->client = afn_openai_client_new (url, model);
  afn_openai_client_set_api_key (data->client, key ? key : "");
  afs_api_key_free (key);
  afn_openai_client_set_timeouts (data->client, 5000, 20000);
  afn_openai_client_set_retry (data->client, 1, 100, 100);

  msg = json_object_new ();
  json_object_set_string_member (msg, "role", "user");
  json_object_set_string_member (msg, "content", "Reply with the single word OK.");
  json_array_add_object_element (messages, msg);
  json_object_set_int_member (args, "max_tokens", 5);
  json_object_set_double_member (args, "temperature", 0);
  afn_model_client_chat_async (AFN_MODEL_CLIENT (data->client), messages, args,
                               data->self->cancellable, chat_cb, data);
}

void
afs_model_preferences_test_connection (AfsModelPreferences *self)
{
  g_autofree char *url = NULL;
  TestData *data;

  g_return_if_fail (AFS_IS_MODEL_PREFERENCES (self));
  if (self->testing)
    return;
  set_test_result (self, TRUE, _("Testing…"));
  data = g_new0 (TestData, 1);
  g_set_weak_pointer (&data->self, self);
  url = g_settings_get_string (self->settings, "model-base-url");
  afs_api_key_lookup_async (self->settings, url, self->cancellable, test_key_cb, data);
}

static void
test_clicked_cb (GtkButton *button, AfsModelPreferences *self)
{
  afs_model_preferences_test_connection (self);
}

gboolean
afs_model_preferences_get_testing (AfsModelPreferences *self)
{
  g_return_val_if_fail (AFS_IS_MODEL_PREFERENCES (self), FALSE);
  return self->testing;
}

const char *
afs_model_preferences_get_test_result (AfsModelPreferences *self)
{
  g_return_val_if_fail (AFS_IS_MODEL_PREFERENCES (self), NULL);
  return self->test_result;
}

const char *
afs_model_preferences_get_key_status (AfsModelPreferences *self)
{
  g_return_val_if_fail (AFS_IS_MODEL_PREFERENCES (self), NULL);
  return self->key_status;
}

/* ---- construction ---- */

static gboolean
source_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  g_value_set_uint (value, g_str_equal (g_variant_get_string (variant, NULL), "keyring"));
  return TRUE;
}

static GVariant *
source_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  return g_variant_new_string (g_value_get_uint (value) == 1 ? "keyring" : "environment");
}

static GtkWidget *
spin_row (const char *title, const char *subtitle, double lower, double upper, double step,
          guint digits, GSettings *settings, const char *key)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  g_settings_bind (settings, key, spin, "value", G_SETTINGS_BIND_DEFAULT);
  return row;
}

static GtkWidget *
entry_row (const char *title, GSettings *settings, const char *key)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_settings_bind (settings, key, row, "text", G_SETTINGS_BIND_DEFAULT);
  return row;
}

static void
build (AfsModelPreferences *self)
{
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (self);
  g_autoptr(GtkStringList) sources = gtk_string_list_new (NULL);
  GtkWidget *box;

  adw_preferences_group_set_title (group, _("Server"));
  adw_preferences_group_set_description (group,
    _("An OpenAI-compatible server, used in live and record modes. Replay mode answers from "
      "the session’s recordings and needs no server."));

  self->url_row = entry_row (_("Server URL"), self->settings, "model-base-url");
  adw_preferences_group_add (group, self->url_row);

  gtk_string_list_append (sources, _("Environment Variable"));
  gtk_string_list_append (sources, _("Desktop Keyring"));
  self->source_row = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->source_row), _("API Key From"));
  adw_combo_row_set_model (ADW_COMBO_ROW (self->source_row), G_LIST_MODEL (sources));
  g_settings_bind_with_mapping (self->settings, "api-key-source", self->source_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, source_get_mapping, source_set_mapping,
                                NULL, NULL);
  adw_preferences_group_add (group, self->source_row);

  self->variable_row = entry_row (_("Variable Name"), self->settings, "api-key-variable");
  adw_preferences_group_add (group, self->variable_row);

  self->key_row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row), _("New Key"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (self->key_row), TRUE);
  g_signal_connect (self->key_row, "apply", G_CALLBACK (key_apply_cb), self);
  adw_preferences_group_add (group, self->key_row);

  self->status_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->status_row), _("Key Status"));
  adw_preferences_group_add (group, self->status_row);

  self->test_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->test_row), _("Test Connection"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->test_row),
                               _("Sends one short request to the forward model"));
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->test_spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->test_spinner, FALSE);
  self->test_button = gtk_button_new_with_mnemonic (_("_Test"));
  gtk_widget_set_valign (self->test_button, GTK_ALIGN_CENTER);
  g_signal_connect (self->test_button, "clicked", G_CALLBACK (test_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), self->test_spinner);
  gtk_box_append (GTK_BOX (box), self->test_button);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self->test_row), box);
  adw_preferences_group_add (group, self->test_row);

  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, 0);
  refresh_key_status (self);
}

AfsModelPreferences *
afs_model_preferences_new (GSettings *settings)
{
  AfsModelPreferences *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (AFS_TYPE_MODEL_PREFERENCES, NULL);
  self->settings = g_object_ref (settings);
  build (self);
  return self;
}

void
afs_model_preferences_add_to_page (AdwPreferencesPage *page, GSettings *settings)
{
  AdwPreferencesGroup *models = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_page_add (page, ADW_PREFERENCES_GROUP (afs_model_preferences_new (settings)));

  adw_preferences_group_set_title (models, _("Models"));
  adw_preferences_group_add (models, entry_row (_("Forward Model"), settings, "model-forward"));
  adw_preferences_group_add (models, entry_row (_("Backward Model"), settings, "model-backward"));
  adw_preferences_group_add (models, entry_row (_("Optimizer Model"), settings, "model-optimizer"));
  adw_preferences_group_add (models, spin_row (_("Temperature"), _("Sampling temperature of forward calls"),
                                               0, 2, 0.1, 1, settings, "model-temperature"));
  adw_preferences_group_add (models, spin_row (_("Concurrent Requests"),
                                               _("At most this many requests at once"),
                                               1, 64, 1, 0, settings, "model-concurrency"));
  adw_preferences_page_add (page, models);
}

static void
afs_model_preferences_get_property (GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
  AfsModelPreferences *self = AFS_MODEL_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_TESTING:
      g_value_set_boolean (value, self->testing);
      break;
    case PROP_TEST_RESULT:
      g_value_set_string (value, self->test_result);
      break;
    case PROP_KEY_STATUS:
      g_value_set_string (value, self->key_status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_model_preferences_dispose (GObject *object)
{
  AfsModelPreferences *self = AFS_MODEL_PREFERENCES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (afs_model_preferences_parent_class)->dispose (object);
}

static void
afs_model_preferences_finalize (GObject *object)
{
  AfsModelPreferences *self = AFS_MODEL_PREFERENCES (object);

  g_clear_object (&self->cancellable);
  g_free (self->test_result);
  g_free (self->key_status);
  G_OBJECT_CLASS (afs_model_preferences_parent_class)->finalize (object);
}

static void
afs_model_preferences_class_init (AfsModelPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = afs_model_preferences_get_property;
  object_class->dispose = afs_model_preferences_dispose;
  object_class->finalize = afs_model_preferences_finalize;

  props[PROP_TESTING] = g_param_spec_boolean ("testing", NULL, NULL, FALSE,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                              | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_TEST_RESULT] = g_param_spec_string ("test-result", NULL, NULL, NULL,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                 | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_KEY_STATUS] = g_param_spec_string ("key-status", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                                | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[TEST_FINISHED] = g_signal_new ("test-finished", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
afs_model_preferences_init (AfsModelPreferences *self)
{
  self->cancellable = g_cancellable_new ();
}
