/* afn-openai-client.h: an OpenAI-compatible chat completion client over libcurl.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-model-client.h"
#include "afn-price-table.h"

G_BEGIN_DECLS

#define AFN_OPENAI_DEFAULT_BASE_URL "https://api.openai.com/v1"

#define AFN_TYPE_OPENAI_CLIENT (afn_openai_client_get_type ())
G_DECLARE_FINAL_TYPE (AfnOpenAIClient, afn_openai_client, AFN, OPENAI_CLIENT, GObject)

/* Transfer full. @base_url NULL means $OPENAI_BASE_URL, else the OpenAI API;
 * @model is used when a request's args name none. The API key comes from
 * $OPENAI_API_KEY until afn_openai_client_set_api_key() is called. The client
 * belongs to the thread-default main context at the time of the call: call
 * it, and let it complete, from that context only. */
AfnOpenAIClient *afn_openai_client_new (const char *base_url, const char *model);

/* Transfer full. A client from afnio's client args, a JSON object with any of
 * "api_key", "base_url", "organization", "max_concurrency", "timeout"
 * (seconds per attempt), "connect_timeout" (seconds), "max_retries" (retries
 * after the first attempt). @model is the default model ("openai/" is
 * stripped). NULL with G_IO_ERROR_INVALID_ARGUMENT naming a member of the
 * wrong type. */
AfnOpenAIClient *afn_openai_client_new_from_args (const char *model, JsonObject *client_args,
                                                  GError **error);

/* @api_key NULL or "" sends no Authorization header (local servers). The key
 * is kept only in memory: no property returns it, no error contains it. */
void        afn_openai_client_set_api_key (AfnOpenAIClient *self, const char *api_key);
gboolean    afn_openai_client_has_api_key (AfnOpenAIClient *self);
void        afn_openai_client_set_organization (AfnOpenAIClient *self, const char *organization);
/* Certificates to trust instead of the system's (a PEM file, e.g. a company
 * proxy's CA); NULL restores the system's. Verification stays on. */
void        afn_openai_client_set_ca_file (AfnOpenAIClient *self, const char *ca_file);

const char *afn_openai_client_get_base_url (AfnOpenAIClient *self);
const char *afn_openai_client_get_model (AfnOpenAIClient *self);
void        afn_openai_client_set_model (AfnOpenAIClient *self, const char *model);

/* At most @max_concurrency requests on the wire; later ones wait in order.
 * Default 16. */
void        afn_openai_client_set_max_concurrency (AfnOpenAIClient *self, guint max_concurrency);
guint       afn_openai_client_get_max_concurrency (AfnOpenAIClient *self);
/* Defaults: connect 10 s, total 120 s per attempt; 0 means no limit. */
void        afn_openai_client_set_timeouts (AfnOpenAIClient *self, guint connect_timeout_ms,
                                            guint timeout_ms);
/* Attempts per request including the first (default 5, at least 1), and the
 * backoff: base_ms × 2^(retry − 1), at most max_ms, with jitter; a server's
 * Retry-After is waited for instead, up to max_ms. Defaults 500 ms, 30 s. */
void        afn_openai_client_set_retry (AfnOpenAIClient *self, guint max_attempts,
                                         guint base_delay_ms, guint max_delay_ms);

/* @table NULL means the default table (see afn_price_table_new_default()). */
void        afn_openai_client_set_price_table (AfnOpenAIClient *self, AfnPriceTable *table);
/* FALSE once a reply came for a model missing from the price table (its cost
 * counted as 0). */
gboolean    afn_openai_client_get_cost_known (AfnOpenAIClient *self);

/* Requests waiting for a slot, and on the wire (for progress displays). */
guint       afn_openai_client_get_queued (AfnOpenAIClient *self);
guint       afn_openai_client_get_in_flight (AfnOpenAIClient *self);

G_END_DECLS
