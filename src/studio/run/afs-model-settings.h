/* afs-model-settings.h: which language-model server and models a studio run
 * uses, and whether it calls the server, replays recordings or records.
 * GLib only. The API key is held in memory only: no property returns it,
 * nothing writes it to a session file or a log.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afnio.h"

G_BEGIN_DECLS

/**
 * AfsRunMode:
 * @AFS_RUN_MODE_LIVE: every request goes to the server; nothing is recorded
 * @AFS_RUN_MODE_REPLAY: answers come from the session's recordings only; a
 *   request that was never recorded fails (no network is used)
 * @AFS_RUN_MODE_RECORD: requests go to the server and every reply is added
 *   to the session's recordings
 */
typedef enum {
  AFS_RUN_MODE_LIVE,
  AFS_RUN_MODE_REPLAY,
  AFS_RUN_MODE_RECORD,
} AfsRunMode;

#define AFS_TYPE_RUN_MODE (afs_run_mode_get_type ())
GType afs_run_mode_get_type (void) G_GNUC_CONST;
/* "live", "replay", "record" (transfer none) / parse them (FALSE when unknown). */
const char *afs_run_mode_to_string (AfsRunMode mode);
gboolean    afs_run_mode_from_string (const char *text, AfsRunMode *mode);

/* The environment variables headless runs read (see docs/running.md). */
#define AFS_ENV_BASE_URL        "AFNIO_BASE_URL"
#define AFS_ENV_MODEL           "AFNIO_MODEL"
#define AFS_ENV_BACKWARD_MODEL  "AFNIO_BACKWARD_MODEL"
#define AFS_ENV_OPTIMIZER_MODEL "AFNIO_OPTIMIZER_MODEL"
#define AFS_ENV_MODE            "AFNIO_MODE"
#define AFS_DEFAULT_API_KEY_ENV "OPENAI_API_KEY"
#define AFS_DEFAULT_MODEL       "gpt-4o-mini"

#define AFS_TYPE_MODEL_SETTINGS (afs_model_settings_get_type ())
G_DECLARE_FINAL_TYPE (AfsModelSettings, afs_model_settings, AFS, MODEL_SETTINGS, GObject)

/*
 * Properties (read/write, notify on change; the UI binds them to GSettings):
 *   "base-url"        string  (default AFN_OPENAI_DEFAULT_BASE_URL)
 *   "model"           string  forward model, e.g. chat completion nodes
 *                             whose own "model" setting is empty
 *   "backward-model"  string  the model that writes textual gradients
 *   "optimizer-model" string  the model TGD asks for new values
 *   "temperature"     double  (default 0; -1 = send none)
 *   "concurrency"     uint    requests on the wire at once (default 8)
 *   "api-key-env"     string  the environment variable read for the key
 *                             when none was set (default OPENAI_API_KEY)
 *   "mode"            AfsRunMode (default AFS_RUN_MODE_REPLAY)
 *   "has-api-key"     bool, read-only: a key is available (set or from env)
 * Changing any of them makes the runner build new clients at its next run.
 */
AfsModelSettings *afs_model_settings_new (void);
/* Defaults overridden by AFNIO_BASE_URL, AFNIO_MODEL, AFNIO_BACKWARD_MODEL,
 * AFNIO_OPTIMIZER_MODEL and AFNIO_MODE when they are set (backward and
 * optimizer models default to the forward model). */
AfsModelSettings *afs_model_settings_new_from_env (void);

const char *afs_model_settings_get_base_url (AfsModelSettings *self);
void        afs_model_settings_set_base_url (AfsModelSettings *self, const char *base_url);
const char *afs_model_settings_get_model (AfsModelSettings *self);
void        afs_model_settings_set_model (AfsModelSettings *self, const char *model);
const char *afs_model_settings_get_backward_model (AfsModelSettings *self);
void        afs_model_settings_set_backward_model (AfsModelSettings *self, const char *model);
const char *afs_model_settings_get_optimizer_model (AfsModelSettings *self);
void        afs_model_settings_set_optimizer_model (AfsModelSettings *self, const char *model);
double      afs_model_settings_get_temperature (AfsModelSettings *self);
void        afs_model_settings_set_temperature (AfsModelSettings *self, double temperature);
guint       afs_model_settings_get_concurrency (AfsModelSettings *self);
void        afs_model_settings_set_concurrency (AfsModelSettings *self, guint concurrency);
const char *afs_model_settings_get_api_key_env (AfsModelSettings *self);
void        afs_model_settings_set_api_key_env (AfsModelSettings *self, const char *name);
AfsRunMode  afs_model_settings_get_mode (AfsModelSettings *self);
void        afs_model_settings_set_mode (AfsModelSettings *self, AfsRunMode mode);

/* A key given by the UI (from the keyring). NULL or "" goes back to the
 * environment variable. Kept in memory only. */
void        afs_model_settings_set_api_key (AfsModelSettings *self, const char *api_key);
gboolean    afs_model_settings_has_api_key (AfsModelSettings *self);

/* Attempts per request (default 5) and backoff (default 500 ms doubling up
 * to 30 s) of the server client; for tests and impatient scripts. */
void        afs_model_settings_set_retry (AfsModelSettings *self, guint max_attempts,
                                          guint base_delay_ms, guint max_delay_ms);

/* A new client for the server (transfer full): an AfnOpenAIClient with the
 * base URL, key, forward model and concurrency. Never fails (a missing key
 * shows up as the server's 401). */
AfnModelClient *afs_model_settings_create_server_client (AfsModelSettings *self);

/* Sends one tiny request ("Reply with OK.") with the forward model and
 * reports the reply text, or the error (unreachable, 401, unknown model). */
void        afs_model_settings_test_connection_async  (AfsModelSettings *self,
                                                       GCancellable *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer user_data);
/* Transfer full: the reply text, or NULL with the error. */
char       *afs_model_settings_test_connection_finish (AfsModelSettings *self,
                                                       GAsyncResult *result,
                                                       GError **error);

G_END_DECLS
