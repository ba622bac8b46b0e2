/* afn-replay-client.h: records and replays chat completions.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-model-client.h"

G_BEGIN_DECLS

/**
 * AfnReplayMode:
 * @AFN_REPLAY_MODE_RECORD: always call the wrapped client; record every reply
 * @AFN_REPLAY_MODE_REPLAY: answer from the recordings only; a miss is an
 *   AFN_MODEL_ERROR_REPLAY_MISS error naming the request
 * @AFN_REPLAY_MODE_REPLAY_OR_CALL: answer from the recordings, call (and
 *   record) on a miss
 */
typedef enum {
  AFN_REPLAY_MODE_RECORD,
  AFN_REPLAY_MODE_REPLAY,
  AFN_REPLAY_MODE_REPLAY_OR_CALL,
} AfnReplayMode;

#define AFN_TYPE_REPLAY_MODE (afn_replay_mode_get_type ())
GType afn_replay_mode_get_type (void) G_GNUC_CONST;

#define AFN_TYPE_REPLAY_CLIENT (afn_replay_client_get_type ())
G_DECLARE_FINAL_TYPE (AfnReplayClient, afn_replay_client, AFN, REPLAY_CLIENT, GObject)

/* Transfer full. @inner may be NULL for replay-only use. When @inner is an
 * AfnOpenAIClient, its model is the one keys use for requests whose args
 * name none (see afn_replay_client_set_default_model()). */
AfnReplayClient *afn_replay_client_new (AfnModelClient *inner, AfnReplayMode mode);

/* Transfer none; NULL when there is none. */
AfnModelClient *afn_replay_client_get_inner (AfnReplayClient *self);
AfnReplayMode   afn_replay_client_get_mode (AfnReplayClient *self);
void            afn_replay_client_set_mode (AfnReplayClient *self, AfnReplayMode mode);
void            afn_replay_client_set_default_model (AfnReplayClient *self, const char *model);

/* Requests answered from recordings, requests not found, and the number of
 * recordings held. Each is a property ("hits", "misses", "n-recordings")
 * that notifies when it changes. */
guint           afn_replay_client_get_hits (AfnReplayClient *self);
guint           afn_replay_client_get_misses (AfnReplayClient *self);
guint           afn_replay_client_get_n_recordings (AfnReplayClient *self);
void            afn_replay_client_clear (AfnReplayClient *self);

/* Transfer full. The lowercase hex SHA-256 of the canonical JSON (sorted
 * keys, no spaces, integral numbers without ".0") of {"args", "messages",
 * "model"}, args without "model". */
char           *afn_replay_client_compute_key (AfnReplayClient *self, JsonArray *messages,
                                               JsonObject *args);

/* Transfer full. A JSON array of {"key", "request", "response"} objects,
 * ready to embed in a session file. */
JsonNode       *afn_replay_client_to_json (AfnReplayClient *self);
/* Adds the recordings in @node: an array as written by
 * afn_replay_client_to_json(), or a string holding JSONL. Recordings with the
 * same key are replaced. FALSE with G_IO_ERROR_INVALID_DATA naming the entry. */
gboolean        afn_replay_client_load_json (AfnReplayClient *self, JsonNode *node,
                                             GError **error);

/* Transfer full. A client holding the recordings in @node (see
 * afn_replay_client_load_json()), or NULL with @error set. */
AfnReplayClient *afn_replay_client_new_from_json (AfnModelClient *inner, AfnReplayMode mode,
                                                  JsonNode *node, GError **error);

/* Transfer full. One {"key", "request", "response"} object per line. */
char           *afn_replay_client_to_jsonl (AfnReplayClient *self);
gboolean        afn_replay_client_load_jsonl_data (AfnReplayClient *self, const char *data,
                                                   gssize length, const char *name,
                                                   GError **error);
/* Reads or atomically writes a JSONL file. FALSE with a G_FILE_ERROR or
 * G_IO_ERROR_INVALID_DATA naming the file and line. */
gboolean        afn_replay_client_load_jsonl (AfnReplayClient *self, const char *path,
                                              GError **error);
gboolean        afn_replay_client_save_jsonl (AfnReplayClient *self, const char *path,
                                              GError **error);

G_END_DECLS
