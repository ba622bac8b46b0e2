/* afn-chat-completion.h: chat_completion, the op that calls a language model.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-chat-messages.h"
#include "afn-model-client.h"

G_BEGIN_DECLS

/* The role of chat_completion's output Variable. */
#define AFN_CHAT_COMPLETION_OUTPUT_ROLE "response from the language model"

/**
 * afn_chat_completion_async:
 * chat_completion(model_client, messages, inputs, **completion_args).
 * @messages: AfnChatMessage elements (see afn_chat_messages_new()).
 * @inputs: (nullable): values for `{name}` placeholders.
 * @completion_args: (nullable): "model", "temperature", ... sent as they are.
 *
 * Sends one request, or, when a Variable in @messages or @inputs holds a
 * list (or an input is a list of Variables), one request per element, all at
 * once. Records a ChatCompletionBackward0 node (an AfnLmNode) when grad mode
 * is on and an input requires grad; the decision is taken at this call.
 */
void         afn_chat_completion_async  (AfnModelClient *client, GPtrArray *messages,
                                         AfnChatInputs *inputs, JsonObject *completion_args,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback, gpointer user_data);
/* The answer: a string Variable, or a list of strings for a batch, with
 * role AFN_CHAT_COMPLETION_OUTPUT_ROLE. @usage (nullable) gets what the
 * requests spent. Transfer full; NULL with the client's error, an
 * AFN_ERROR for bad messages, or G_IO_ERROR_CANCELLED. */
AfnVariable *afn_chat_completion_finish (GAsyncResult *result, AfnUsage *usage, GError **error);
/* The same, waiting on the thread-default main context. */
AfnVariable *afn_chat_completion (AfnModelClient *client, GPtrArray *messages,
                                  AfnChatInputs *inputs, JsonObject *completion_args,
                                  AfnUsage *usage, GCancellable *cancellable, GError **error);

G_END_DECLS
