/* afn-model-client.c: the chat completion interface, replies and usage.
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-model-client.h"
#include "afn-model-error.h"

G_DEFINE_QUARK (afn-model-error-quark, afn_model_error)

struct _AfnChatReply
{
  gatomicrefcount ref_count;
  char *text;
  AfnUsage usage;
};

G_DEFINE_BOXED_TYPE (AfnChatReply, afn_chat_reply, afn_chat_reply_ref, afn_chat_reply_unref)

/* Adds @other's counts and cost to @into. */
void
afn_usage_add (AfnUsage       *into,
               const AfnUsage *other)
{
  g_return_if_fail (into != NULL);
  g_return_if_fail (other != NULL);

  into->prompt_tokens += other->prompt_tokens;
  into->completion_tokens += other->completion_tokens;
  into->total_tokens += other->total_tokens;
  into->cached_tokens += other->cached_tokens;
  into->cost_usd += other->cost_usd;
}

/* Transfer full. @usage NULL means nothing was counted. */
AfnChatReply *
afn_chat_reply_new (const char     *text,
                    const AfnUsage *usage)
{
  AfnChatReply *self;

  g_return_val_if_fail (text != NULL, NULL);

  self = g_new0 (AfnChatReply, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->text = g_strdup (text);
  if (usage != NULL)
    self->usage = *usage;
  return self;
}

AfnChatReply *
afn_chat_reply_ref (AfnChatReply *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
afn_chat_reply_unref (AfnChatReply *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->text);
      g_free (self);
    }
}

/* Transfer none. */
const char *
afn_chat_reply_get_text (const AfnChatReply *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->text;
}

/* Transfer none. */
const AfnUsage *
afn_chat_reply_get_usage (const AfnChatReply *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return &self->usage;
}

G_DEFINE_INTERFACE (AfnModelClient, afn_model_client, G_TYPE_OBJECT)

static void
afn_model_client_default_init (AfnModelClientInterface *iface)
{
}

/* Sends one chat completion; see AfnModelClientInterface. @messages and
 * @args are borrowed for the duration of the call only. */
void
afn_model_client_chat_async (AfnModelClient      *self,
                             JsonArray           *messages,
                             JsonObject          *args,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (AFN_IS_MODEL_CLIENT (self));
  g_return_if_fail (messages != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  AFN_MODEL_CLIENT_GET_IFACE (self)->chat_async (self, messages, args, cancellable,
                                                 callback, user_data);
}

/* Transfer full; NULL with @error set (AFN_MODEL_ERROR or G_IO_ERROR_CANCELLED). */
AfnChatReply *
afn_model_client_chat_finish (AfnModelClient  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (AFN_IS_MODEL_CLIENT (self), NULL);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), NULL);

  return AFN_MODEL_CLIENT_GET_IFACE (self)->chat_finish (self, result, error);
}

/* Fills @usage with the totals over every reply so far. */
void
afn_model_client_get_usage (AfnModelClient *self,
                            AfnUsage       *usage)
{
  g_return_if_fail (AFN_IS_MODEL_CLIENT (self));
  g_return_if_fail (usage != NULL);

  *usage = (AfnUsage) { 0 };
  if (AFN_MODEL_CLIENT_GET_IFACE (self)->get_usage != NULL)
    AFN_MODEL_CLIENT_GET_IFACE (self)->get_usage (self, usage);
}
