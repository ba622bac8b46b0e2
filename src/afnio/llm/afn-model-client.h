/* afn-model-client.h: an asynchronous, cancellable chat completion.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "afn-model-error.h"

G_BEGIN_DECLS

/**
 * AfnUsage:
 * Token counts and cost of one reply, or accumulated over a client's life.
 * cost_usd = (uncached_input * input + cached * cached_input + output * output) / 1e6
 * with the prices from the price table (data/model-prices.json).
 */
typedef struct {
  gint64 prompt_tokens;
  gint64 completion_tokens;
  gint64 total_tokens;
  gint64 cached_tokens;
  double cost_usd;
} AfnUsage;

void afn_usage_add (AfnUsage *into, const AfnUsage *other);

/**
 * AfnChatReply:
 * The model's answer text and what it cost. Reference counted, immutable.
 */
typedef struct _AfnChatReply AfnChatReply;
#define AFN_TYPE_CHAT_REPLY (afn_chat_reply_get_type ())
GType          afn_chat_reply_get_type (void) G_GNUC_CONST;
AfnChatReply  *afn_chat_reply_new (const char *text, const AfnUsage *usage);
AfnChatReply  *afn_chat_reply_ref (AfnChatReply *self);
void           afn_chat_reply_unref (AfnChatReply *self);
const char    *afn_chat_reply_get_text (const AfnChatReply *self);
const AfnUsage *afn_chat_reply_get_usage (const AfnChatReply *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnChatReply, afn_chat_reply_unref)

#define AFN_TYPE_MODEL_CLIENT (afn_model_client_get_type ())
G_DECLARE_INTERFACE (AfnModelClient, afn_model_client, AFN, MODEL_CLIENT, GObject)

/**
 * AfnModelClientInterface:
 * @chat_async: sends @messages (a JSON array of {"role", "content"} objects,
 *   content a string) with @args (a JSON object: "model", "temperature",
 *   "max_completion_tokens", "response_format", "seed", and any other member,
 *   passed through to the server). Completes on the thread-default main
 *   context of the caller.
 * @chat_finish: the reply, or NULL with an error (AFN_MODEL_ERROR or
 *   G_IO_ERROR_CANCELLED).
 * @get_usage: totals over every reply this client received.
 */
struct _AfnModelClientInterface
{
  GTypeInterface parent_iface;

  void          (*chat_async)  (AfnModelClient      *self,
                                JsonArray           *messages,
                                JsonObject          *args,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
  AfnChatReply *(*chat_finish) (AfnModelClient      *self,
                                GAsyncResult        *result,
                                GError             **error);
  void          (*get_usage)   (AfnModelClient      *self,
                                AfnUsage            *usage);
};

void          afn_model_client_chat_async  (AfnModelClient *self, JsonArray *messages,
                                            JsonObject *args, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
/* Transfer full; NULL with @error set. */
AfnChatReply *afn_model_client_chat_finish (AfnModelClient *self, GAsyncResult *result,
                                            GError **error);
void          afn_model_client_get_usage   (AfnModelClient *self, AfnUsage *usage);

G_END_DECLS
