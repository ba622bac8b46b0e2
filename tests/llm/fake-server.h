/* fake-server.h: a scriptable OpenAI-compatible server for tests, on 127.0.0.1.
 *
 * It runs in its own thread with its own GMainContext, so a client driven by
 * the test's main loop can talk to it. Every function here may be called
 * from any thread.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  FAKE_MATCH_ALWAYS,
  FAKE_MATCH_LAST_USER,      /* the last message with role "user" */
  FAKE_MATCH_ANY_MESSAGE,    /* any message's content */
  FAKE_MATCH_MODEL,          /* the request's "model" */
  FAKE_MATCH_ALL_MESSAGES,   /* every message's content, joined with "\n" (a
                              * regex can then look at the system and the user
                              * message at once) */
} FakeMatch;

typedef enum {
  FAKE_FAULT_NONE,
  FAKE_FAULT_RATE_LIMIT,     /* 429 with Retry-After: retry_after_s */
  FAKE_FAULT_SERVER_ERROR,   /* 500 */
  FAKE_FAULT_STATUS,         /* @status with {"error": {"message": error_message}} */
  FAKE_FAULT_MALFORMED,      /* 200 with a body that is not JSON */
  FAKE_FAULT_HANG,           /* never answers */
  FAKE_FAULT_RESET,          /* resets the connection without answering */
  FAKE_FAULT_SLOW_BODY,      /* answers in small chunks, slow_chunk_ms apart */
} FakeFault;

/**
 * FakeRule:
 * Rules are tried in the order added; the first that matches answers. A rule
 * with @times > 0 answers only its first @times matches, then lets later
 * rules answer (e.g. "500 twice, then normal"). Zero fields mean defaults.
 */
typedef struct {
  FakeMatch    match;
  const char  *pattern;          /* substring, or a regex when @regex */
  gboolean     regex;
  const char  *reply;            /* NULL: echo the last user message */
  FakeFault    fault;
  guint        times;
  guint        status;           /* for FAKE_FAULT_STATUS */
  const char  *error_message;    /* for 429/500/STATUS */
  guint        retry_after_s;    /* for 429 */
  guint        extra_latency_ms; /* on top of the server's latency */
  guint        slow_chunk_ms;    /* for SLOW_BODY; default 50 */
  gboolean     gzip;             /* Content-Encoding: gzip */
  gboolean     chunked;          /* Transfer-Encoding: chunked, several chunks */
  gint64       prompt_tokens;    /* 0: about chars / 4 */
  gint64       completion_tokens;
  gint64       cached_tokens;
  guint        retry_after_ms;   /* for 429: also send OpenAI's retry-after-ms */
} FakeRule;

typedef struct _FakeServer FakeServer;

/* Starts a server on 127.0.0.1:@port (0: any free port). Aborts on failure. */
FakeServer *fake_server_new (guint port);
/* With @tls, serves HTTPS with a self-signed certificate for 127.0.0.1 (see
 * fake_server_get_tls_certificate_pem()); the base URL is then https://. */
FakeServer *fake_server_new_full (guint port, gboolean tls);
/* The PEM of that certificate, to trust it as a CA. Transfer none. */
const char *fake_server_get_tls_certificate_pem (void);
void        fake_server_free (FakeServer *self);

/* "http://127.0.0.1:PORT/v1", transfer none. */
const char *fake_server_get_base_url (FakeServer *self);

void        fake_server_add_rule (FakeServer *self, const FakeRule *rule);
/* A rule answering @reply to requests that @match @pattern. */
void        fake_server_add_reply (FakeServer *self, FakeMatch match, const char *pattern,
                                   const char *reply);
void        fake_server_clear_rules (FakeServer *self);
/* Rules from a JSON file (see tests/llm/fake-rules.example.json). */
gboolean    fake_server_load_rules (FakeServer *self, const char *path, GError **error);
/* Delay before every answer; answers wait without blocking the server. */
void        fake_server_set_latency (FakeServer *self, guint latency_ms);
/* Holds the next answers until @count requests wait for one, then answers
 * them all (after the latency). Once; 0 turns it off. Proves that a client
 * sends @count requests at once, however slow the machine. */
void        fake_server_set_barrier (FakeServer *self, guint count);
/* Requests without "Authorization: Bearer @key" get a 401 that quotes the
 * key they sent (as some servers do). NULL: no check. */
void        fake_server_set_required_key (FakeServer *self, const char *key);
/* Whether to keep request bodies (default TRUE; benchmarks turn it off). */
void        fake_server_set_record_bodies (FakeServer *self, gboolean record);

guint       fake_server_get_request_count (FakeServer *self);
/* Connections accepted (keep-alive reuses them). */
guint       fake_server_get_connection_count (FakeServer *self);
/* Most requests received and not yet answered at one time. */
guint       fake_server_get_max_in_flight (FakeServer *self);
/* Transfer full; the body of request @index (0 = first), or NULL. */
char       *fake_server_dup_body (FakeServer *self, guint index);
/* Transfer full; the Authorization header of the last request, or NULL. */
char       *fake_server_dup_last_authorization (FakeServer *self);
void        fake_server_reset_counters (FakeServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

G_END_DECLS
