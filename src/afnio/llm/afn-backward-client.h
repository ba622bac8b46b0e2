/* afn-backward-client.h: the process-wide model client of LM backwards.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-model-client.h"

G_BEGIN_DECLS

/* set_backward_model_client(model_path, client_args, completion_args).
 * @model_path: "provider/model", e.g. "openai/gpt-4o"; any provider name is
 *   accepted and served by the OpenAI-compatible client (give "base_url"
 *   for a non-OpenAI server).
 * @client_args: (nullable): "api_key", "base_url", "organization",
 *   "max_concurrency" (int).
 * @completion_args: (nullable): "temperature", "max_completion_tokens", ...
 *   passed with every backward request; "model" is set from @model_path.
 * Replaces any client set before. The new client belongs to the calling
 * thread's default main context (see afn_openai_client_new()). FALSE with
 * AFN_ERROR_INVALID_DATA when @model_path is not "provider/model". */
gboolean        afn_set_backward_model_client (const char *model_path, JsonObject *client_args,
                                               JsonObject *completion_args, GError **error);
/* Sets an existing client (a replay client, a test client). @model names
 * the model sent in requests (nullable: the client's default); references
 * are taken. @client NULL unsets. */
void            afn_set_backward_model_client_instance (AfnModelClient *client, const char *model,
                                                        JsonObject *completion_args);
/* get_backward_model_client(): transfer full; NULL with
 * AFN_ERROR_NO_MODEL_CLIENT when none is set. */
AfnModelClient *afn_get_backward_model_client (GError **error);
/* The completion args of backward requests ("model" included). Transfer
 * full; NULL when no client is set. */
JsonObject     *afn_get_backward_completion_args (void);
/* "provider/model" as given, or NULL. Transfer full. */
char           *afn_get_backward_model_path (void);

G_END_DECLS
