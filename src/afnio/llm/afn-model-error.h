/* afn-model-error.h: errors of language-model clients.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AFN_MODEL_ERROR (afn_model_error_quark ())

/**
 * AfnModelError:
 * Errors of a chat completion. Messages carry the server's own message when
 * it sent one, and never the API key. Cancellation reports
 * G_IO_ERROR_CANCELLED instead.
 */
typedef enum {
  AFN_MODEL_ERROR_FAILED,          /* anything not covered below */
  AFN_MODEL_ERROR_BAD_REQUEST,     /* HTTP 400 and other 4xx not listed */
  AFN_MODEL_ERROR_UNAUTHORIZED,    /* HTTP 401 or 403: missing or wrong key */
  AFN_MODEL_ERROR_NOT_FOUND,       /* HTTP 404: wrong base URL or unknown model */
  AFN_MODEL_ERROR_RATE_LIMITED,    /* HTTP 429 after every retry */
  AFN_MODEL_ERROR_SERVER,          /* HTTP 5xx after every retry */
  AFN_MODEL_ERROR_TIMEOUT,         /* connect or total timeout after every retry */
  AFN_MODEL_ERROR_MALFORMED_REPLY, /* a 2xx reply that is not a chat completion */
  AFN_MODEL_ERROR_NETWORK,         /* cannot connect, connection reset, TLS failure */
  AFN_MODEL_ERROR_REPLAY_MISS,     /* replay-only and no recording for the request */
} AfnModelError;

GQuark afn_model_error_quark (void);

G_END_DECLS
