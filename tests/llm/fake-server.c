/* fake-server.c: a scriptable OpenAI-compatible /chat/completions server.
 *
 * SPDX-License-Identifier: MIT
 */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "fake-server.h"

/* A self-signed certificate for 127.0.0.1, valid for a century, for TLS tests
 * only (made with `openssl req -x509 -newkey ec ... -addext
 * subjectAltName=IP:127.0.0.1`). */
static const char tls_certificate_pem[] =
  "-----BEGIN CERTIFICATE-----\n"
  "MIIBoDCCAUagAwIBAgIULo+q7J1SiijeguC6/4YOvGg2yuIwCgYIKoZIzj0EAwIw\n"
  "HDEaMBgGA1UEAwwRYWZuaW8tZmFrZS1zZXJ2ZXIwIBcNMjYxMTI2MjMyODQ4WhgP\n"
  "MjEyNjExMDIyMzI4NDhaMBwxGjAYBgNVBAMMEWFmbmlvLWZha2Utc2VydmVyMFkw\n"
  "EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXchUIvAh9eV6/6Cf0wGJd0+fwVcpqWYU\n"
  "OF/TqHAXb/az03WMBNs24VAJDEHS94TJZc21T5JbWGd21PXEqEbos6NkMGIwHQYD\n"
  "VR0OBBYEFDV0JUtCB0eHBGNNm0vcoyN1gMm6MB8GA1UdIwQYMBaAFDV0JUtCB0eH\n"
  "BGNNm0vcoyN1gMm6MA8GA1UdEwEB/wQFMAMBAf8wDwYDVR0RBAgwBocEfwAAATAK\n"
  "BggqhkjOPQQDAgNIADBFAiEA8j+sLHiZN2lH5dp1tayeev1jJpEjOrfevjn7bK9G\n"
  "51sCIBPjh8dT/icZh0tWAAvFzL5zR8xLfY7dJ7dcw+ZpULFy\n"
  "-----END CERTIFICATE-----\n";
static const char tls_key_pem[] =
  "-----BEGIN PRIVATE KEY-----\n"
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgExjgBwH6aAuZ5eMI\n"
  "y0Q+gfQo4C/fcuxJ5TFao/PE/FahRANCAARdyFQi8CH15Xr/oJ/TAYl3T5/BVymp\n"
  "ZhQ4X9OocBdv9rPTdYwE2zbhUAkMQdL3hMllzbVPkltYZ3bU9cSoRuiz\n"
  "-----END PRIVATE KEY-----\n";

typedef struct {
  FakeRule rule;            /* strings below are owned copies */
  GRegex *regex;
  guint used;
} Rule;

struct _FakeServer
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  SoupServer *server;
  GSocketService *service;
  GTlsCertificate *tls_certificate;
  char *base_url;
  guint port;

  GMutex lock;
  GCond cond;
  gboolean ready;
  GPtrArray *rules;
  guint latency_ms;
  char *required_key;
  gboolean record_bodies;
  guint request_count;
  guint connection_count;
  guint in_flight;
  guint max_in_flight;
  GPtrArray *bodies;
  char *last_authorization;
  GPtrArray *held;          /* hung messages, released at shutdown */
  guint barrier;
  GPtrArray *waiting;       /* Plans held at the barrier */
};

/* What to send for one request, decided under the lock. */
typedef struct {
  FakeServer *server;
  SoupServerMessage *msg;
  FakeRule rule;            /* copy; strings point into @text / owned */
  char *reply_text;
  char *error_message;
  char *model;
  gint64 prompt_chars;
  guint latency_ms;
  GBytes *body;             /* for slow bodies: what is left to send */
  gsize sent;
} Plan;

static void
rule_free (Rule *r)
{
  g_free ((char *) r->rule.pattern);
  g_free ((char *) r->rule.reply);
  g_free ((char *) r->rule.error_message);
  g_clear_pointer (&r->regex, g_regex_unref);
  g_free (r);
}

static void
plan_free (Plan *plan)
{
  if (plan == NULL)
    return;
  g_clear_object (&plan->msg);
  g_free (plan->reply_text);
  g_free (plan->error_message);
  g_free (plan->model);
  g_clear_pointer (&plan->body, g_bytes_unref);
  g_free (plan);
}

/* ---- reading the request ----------------------------------------------- */

static const char *
message_text (JsonNode *message)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (message) ? json_node_get_object (message) : NULL;
  JsonNode *content = object != NULL ? json_object_get_member (object, "content") : NULL;

  if (content == NULL || json_node_get_value_type (content) != G_TYPE_STRING)
    return "";
  return json_node_get_string (content);
}

static const char *
message_role (JsonNode *message)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (message) ? json_node_get_object (message) : NULL;
  JsonNode *role = object != NULL ? json_object_get_member (object, "role") : NULL;

  if (role == NULL || json_node_get_value_type (role) != G_TYPE_STRING)
    return "";
  return json_node_get_string (role);
}

static const char *
last_user_text (JsonArray *messages)
{
  for (guint i = messages != NULL ? json_array_get_length (messages) : 0; i > 0; i--)
    if (g_str_equal (message_role (json_array_get_element (messages, i - 1)), "user"))
      return message_text (json_array_get_element (messages, i - 1));
  return "";
}

static gboolean
text_matches (Rule       *r,
              const char *text)
{
  if (r->regex != NULL)
    return g_regex_match (r->regex, text, 0, NULL);
  return r->rule.pattern == NULL || strstr (text, r->rule.pattern) != NULL;
}

static gboolean
rule_matches (Rule       *r,
              const char *model,
              JsonArray  *messages)
{
  switch (r->rule.match)
    {
    case FAKE_MATCH_ALWAYS:
      return TRUE;
    case FAKE_MATCH_LAST_USER:
      return text_matches (r, last_user_text (messages));
    case FAKE_MATCH_MODEL:
      return text_matches (r, model);
    case FAKE_MATCH_ANY_MESSAGE:
      for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
        if (text_matches (r, message_text (json_array_get_element (messages, i))))
          return TRUE;
      return FALSE;
    case FAKE_MATCH_ALL_MESSAGES:
      {
        g_autoptr(GString) all = g_string_new (NULL);
        for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
          g_string_append_printf (all, "%s%s", i > 0 ? "\n" : "",
                                  message_text (json_array_get_element (messages, i)));
        return text_matches (r, all->str);
      }
    }
  return FALSE;
}

/* ---- writing the answer ------------------------------------------------ */

static void
set_json (SoupServerMessage *msg,
          guint              status,
          char              *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, json, strlen (json));
}

static char *
error_json (const char *message,
            const char *type)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, type);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
append_json_string (GString    *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* Written by hand rather than with JsonBuilder: the benchmark's server must
 * cost little next to the client it measures. */
static char *
completion_json (Plan *plan)
{
  GString *out = g_string_sized_new (512);
  gint64 prompt = plan->rule.prompt_tokens ? plan->rule.prompt_tokens : plan->prompt_chars / 4 + 1;
  gint64 completion = plan->rule.completion_tokens ? plan->rule.completion_tokens
                                                   : (gint64) strlen (plan->reply_text) / 4 + 1;

  g_string_append (out, "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"model\":");
  append_json_string (out, plan->model);
  g_string_append (out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  append_json_string (out, plan->reply_text);
  g_string_append_printf (out, "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%" G_GINT64_FORMAT
                          ",\"completion_tokens\":%" G_GINT64_FORMAT ",\"total_tokens\":%" G_GINT64_FORMAT
                          ",\"prompt_tokens_details\":{\"cached_tokens\":%" G_GINT64_FORMAT "}}}",
                          prompt, completion, prompt + completion, plan->rule.cached_tokens);
  return g_string_free (out, FALSE);
}

static GBytes *
gzip_bytes (const char *data,
            gsize       len)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (memory, G_CONVERTER (compressor));

  g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
  g_output_stream_close (out, NULL, NULL);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static void
send_chunked (SoupServerMessage *msg,
              const char        *data,
              gsize              len)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);
  gsize piece = MAX (len / 4, 1);

  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg),
                                     SOUP_ENCODING_CHUNKED);
  for (gsize at = 0; at < len; at += piece)
    soup_message_body_append (body, SOUP_MEMORY_COPY, data + at, MIN (piece, len - at));
  soup_message_body_complete (body);
}

static void
send_completion (Plan *plan)
{
  SoupServerMessage *msg = plan->msg;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *json = completion_json (plan);
  g_autoptr(GBytes) gz = NULL;
  const char *data = json;
  gsize len = strlen (json);

  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_content_type (headers, "application/json", NULL);
  if (plan->rule.gzip)
    {
      gz = gzip_bytes (json, len);
      data = g_bytes_get_data (gz, &len);
      soup_message_headers_replace (headers, "Content-Encoding", "gzip");
    }
  if (plan->rule.chunked)
    send_chunked (msg, data, len);
  else
    soup_message_body_append (soup_server_message_get_response_body (msg),
                              SOUP_MEMORY_COPY, data, len);
}

static gboolean
slow_chunk_cb (gpointer user_data)
{
  Plan *plan = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (plan->msg);
  gsize len = g_bytes_get_size (plan->body);
  gsize piece = MIN (MAX (len / 5, 1), len - plan->sent);

  soup_message_body_append (body, SOUP_MEMORY_COPY,
                            (const char *) g_bytes_get_data (plan->body, NULL) + plan->sent, piece);
  plan->sent += piece;
  if (plan->sent >= len)
    soup_message_body_complete (body);
  soup_server_message_unpause (plan->msg);
  return plan->sent < len ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static void
start_slow_body (Plan *plan)
{
  g_autofree char *json = completion_json (plan);
  GSource *source;
  gsize len = strlen (json);

  soup_server_message_set_status (plan->msg, 200, NULL);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (plan->msg),
                                         "application/json", NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (plan->msg),
                                     SOUP_ENCODING_CHUNKED);
  plan->body = g_bytes_new_take (g_steal_pointer (&json), len);
  source = g_timeout_source_new (plan->rule.slow_chunk_ms ? plan->rule.slow_chunk_ms : 50);
  g_source_set_callback (source, slow_chunk_cb, plan, (GDestroyNotify) plan_free);
  g_source_attach (source, plan->server->context);
  g_source_unref (source);
}

/* A reset (RST), not a clean close: SO_LINGER with a zero timeout. */
static void
reset_connection (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (msg);
  struct linger lin = { 1, 0 };

  if (G_IS_SOCKET_CONNECTION (stream))
    setsockopt (g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream))),
                SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* Answers now, or starts an answer that continues later. Takes @plan. */
static void
answer (Plan *plan)
{
  SoupServerMessage *msg = plan->msg;
  g_autofree char *retry = NULL;

  switch (plan->rule.fault)
    {
    case FAKE_FAULT_NONE:
      send_completion (plan);
      break;
    case FAKE_FAULT_RATE_LIMIT:
      retry = g_strdup_printf ("%u", plan->rule.retry_after_s);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", retry);
      if (plan->rule.retry_after_ms > 0)
        {
          g_free (retry);
          retry = g_strdup_printf ("%u", plan->rule.retry_after_ms);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "retry-after-ms", retry);
        }
      set_json (msg, 429, error_json (plan->error_message ? plan->error_message : "Rate limit reached",
                                      "rate_limit_exceeded"));
      break;
    case FAKE_FAULT_SERVER_ERROR:
      set_json (msg, 500, error_json (plan->error_message ? plan->error_message : "Internal server error",
                                      "server_error"));
      break;
    case FAKE_FAULT_STATUS:
      set_json (msg, plan->rule.status ? plan->rule.status : 400,
                error_json (plan->error_message ? plan->error_message : "Bad request",
                            "invalid_request_error"));
      break;
    case FAKE_FAULT_MALFORMED:
      set_json (msg, 200, g_strdup ("{\"choices\": [{\"message\": {\"content\": \"cut"));
      break;
    case FAKE_FAULT_RESET:
      reset_connection (msg);
      plan_free (plan);
      return;
    case FAKE_FAULT_SLOW_BODY:
      start_slow_body (plan);
      soup_server_message_unpause (msg);
      return;
    case FAKE_FAULT_HANG:
      g_mutex_lock (&plan->server->lock);
      g_ptr_array_add (plan->server->held, g_object_ref (msg));
      g_mutex_unlock (&plan->server->lock);
      plan_free (plan);
      return;
    }
  soup_server_message_unpause (msg);
  plan_free (plan);
}

/* The source keeps an empty shell of the plan: answers still pending when
 * the server stops are freed with their source. */
static gboolean
answer_later_cb (gpointer user_data)
{
  Plan *plan = user_data;

  answer (g_memdup2 (plan, sizeof *plan));
  memset (plan, 0, sizeof *plan);
  return G_SOURCE_REMOVE;
}

static void
schedule (Plan *plan)
{
  GSource *source;

  if (plan->latency_ms == 0)
    {
      answer (plan);
      return;
    }
  source = g_timeout_source_new (plan->latency_ms);
  g_source_set_callback (source, answer_later_cb, plan, (GDestroyNotify) plan_free);
  g_source_attach (source, plan->server->context);
  g_source_unref (source);
}

/* Holds @plan while fewer than the barrier's count have arrived; TRUE when
 * it is held. The last arrival releases them all. */
static gboolean
wait_at_barrier (FakeServer *self,
                 Plan       *plan)
{
  g_autoptr(GPtrArray) released = NULL;

  g_mutex_lock (&self->lock);
  if (self->barrier == 0)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  g_ptr_array_add (self->waiting, plan);
  if (self->waiting->len >= self->barrier)
    {
      released = g_steal_pointer (&self->waiting);
      self->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_free);
      self->barrier = 0;
    }
  g_mutex_unlock (&self->lock);
  for (guint i = 0; released != NULL && i < released->len; i++)
    schedule (g_steal_pointer (&released->pdata[i]));
  return TRUE;
}

/* ---- the handler ------------------------------------------------------- */

static void
finished_cb (SoupServerMessage *msg,
             FakeServer        *self)
{
  g_mutex_lock (&self->lock);
  self->in_flight--;
  g_mutex_unlock (&self->lock);
}

static void
count_request (FakeServer        *self,
               SoupServerMessage *msg,
               SoupMessageBody   *body)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  g_mutex_lock (&self->lock);
  self->request_count++;
  self->in_flight++;
  self->max_in_flight = MAX (self->max_in_flight, self->in_flight);
  if (self->record_bodies)
    {
      g_ptr_array_add (self->bodies, g_strndup (body->data, body->length));
      g_free (self->last_authorization);
      self->last_authorization = g_strdup (auth);
    }
  g_mutex_unlock (&self->lock);
  g_signal_connect (msg, "finished", G_CALLBACK (finished_cb), self);
}

/* The key check of fake_server_set_required_key(); NULL when it passes. */
static char *
check_key (FakeServer        *self,
           SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  g_autofree char *expected = NULL;
  char *message = NULL;

  g_mutex_lock (&self->lock);
  if (self->required_key != NULL)
    {
      expected = g_strconcat ("Bearer ", self->required_key, NULL);
      if (g_strcmp0 (auth, expected) != 0)
        message = g_strdup_printf ("Incorrect API key provided: %s.",
                                   auth != NULL && g_str_has_prefix (auth, "Bearer ") ? auth + 7 : "(none)");
    }
  g_mutex_unlock (&self->lock);
  return message;
}

static Plan *
make_plan (FakeServer        *self,
           SoupServerMessage *msg,
           JsonObject        *request,
           guint             *latency_ms)
{
  JsonNode *node = json_object_get_member (request, "messages");
  JsonArray *messages = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  const char *model = json_object_has_member (request, "model")
                      ? json_object_get_string_member_with_default (request, "model", "") : "";
  Plan *plan = g_new0 (Plan, 1);

  plan->server = self;
  plan->msg = g_object_ref (msg);
  plan->model = g_strdup (model);
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    plan->prompt_chars += strlen (message_text (json_array_get_element (messages, i)));

  g_mutex_lock (&self->lock);
  *latency_ms = self->latency_ms;
  for (guint i = 0; i < self->rules->len; i++)
    {
      Rule *r = self->rules->pdata[i];
      if ((r->rule.times != 0 && r->used >= r->rule.times) || !rule_matches (r, model, messages))
        continue;
      r->used++;
      plan->rule = r->rule;
      plan->reply_text = g_strdup (r->rule.reply);
      plan->error_message = g_strdup (r->rule.error_message);
      *latency_ms += r->rule.extra_latency_ms;
      break;
    }
  g_mutex_unlock (&self->lock);
  plan->rule.pattern = plan->rule.reply = plan->rule.error_message = NULL;
  if (plan->reply_text == NULL)
    plan->reply_text = g_strdup (last_user_text (messages));
  return plan;
}

static void
handle_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  FakeServer *self = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *key_error = NULL;
  JsonNode *root;
  Plan *plan;
  guint latency_ms;

  count_request (self, msg, body);
  if (!g_str_equal (soup_server_message_get_method (msg), "POST")
      || !g_str_equal (path, "/v1/chat/completions"))
    {
      set_json (msg, 404, error_json ("Unknown URL: only POST /v1/chat/completions exists",
                                      "invalid_request_error"));
      return;
    }
  if ((key_error = check_key (self, msg)) != NULL)
    {
      set_json (msg, 401, error_json (key_error, "invalid_request_error"));
      return;
    }
  if (!json_parser_load_from_data (parser, body->data, body->length, &error)
      || !JSON_NODE_HOLDS_OBJECT ((root = json_parser_get_root (parser))))
    {
      set_json (msg, 400, error_json ("We could not parse the JSON body of your request.",
                                      "invalid_request_error"));
      return;
    }
  plan = make_plan (self, msg, json_node_get_object (root), &latency_ms);
  plan->latency_ms = latency_ms;
  soup_server_message_pause (msg);
  if (!wait_at_barrier (self, plan))
    schedule (plan);
}

/* ---- the thread -------------------------------------------------------- */

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             FakeServer        *self)
{
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  g_mutex_lock (&self->lock);
  self->connection_count++;
  g_mutex_unlock (&self->lock);
  g_autoptr(GIOStream) tls = NULL;

  /* Headers and body go out in separate writes; Nagle would hold the body. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       TRUE, NULL);
  if (self->tls_certificate != NULL)
    {
      /* No certificate database: loading the system's takes minutes under
       * ASan with full malloc stacks, and a server without client
       * certificates never uses it. */
      tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                            NULL, NULL, "base-io-stream", connection,
                            "certificate", self->tls_certificate, "database", NULL, NULL);
      if (tls == NULL)
        return TRUE;
    }
  soup_server_accept_iostream (self->server, tls != NULL ? tls : G_IO_STREAM (connection),
                               local, remote, NULL);
  return TRUE;
}

static gboolean
add_idle_listener (FakeServer    *self,
                   GInetAddress  *loopback,
                   GError       **error)
{
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);

  return socket != NULL
         && g_socket_bind (socket, any_port, TRUE, error)
         && g_socket_listen (socket, error)
         && soup_server_listen_socket (self->server, socket, 0, error);
}

/* We accept connections ourselves and hand them to the server: GSocket's
 * default backlog of 10 drops the SYNs of 64 simultaneous connections (the
 * kernel resends them only after 1 s), and libsoup 3.2's own accept loop
 * leaks every socket. */
static gboolean
listen_loopback (FakeServer  *self,
                 GError     **error)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);
  g_autoptr(GSocketAddress) bound = NULL;

  /* libsoup keeps connections alive only while it has a listener of its
   * own; this one is never connected to. */
  if (!add_idle_listener (self, loopback, error))
    return FALSE;
  self->service = g_socket_service_new ();
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->service), 1024);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &bound, error))
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (self->service, "incoming", G_CALLBACK (incoming_cb), self);
  g_socket_service_start (self->service);
  return TRUE;
}

static gpointer
server_thread (gpointer user_data)
{
  FakeServer *self = user_data;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);
  self->server = soup_server_new ("server-header", "afnio-fake-server", NULL);
  soup_server_add_handler (self->server, NULL, handle_cb, self, NULL);
  if (!listen_loopback (self, &error))
    g_error ("fake server: cannot listen on 127.0.0.1:%u: %s", self->port, error->message);

  g_mutex_lock (&self->lock);
  self->base_url = g_strdup_printf ("%s://127.0.0.1:%u/v1",
                                    self->tls_certificate != NULL ? "https" : "http", self->port);
  self->ready = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);

  g_main_loop_run (self->loop);

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_clear_object (&self->service);
  soup_server_disconnect (self->server);
  g_ptr_array_set_size (self->held, 0);
  g_ptr_array_set_size (self->waiting, 0);
  g_clear_object (&self->server);
  /* Let the connections and pending answers wind down. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

FakeServer *
fake_server_new (guint port)
{
  return fake_server_new_full (port, FALSE);
}

FakeServer *
fake_server_new_full (guint    port,
                      gboolean tls)
{
  FakeServer *self = g_new0 (FakeServer, 1);
  g_autoptr(GError) error = NULL;

  if (tls)
    {
      g_autofree char *pem = g_strconcat (tls_certificate_pem, tls_key_pem, NULL);
      self->tls_certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
      if (self->tls_certificate == NULL)
        g_error ("fake server: cannot load its certificate: %s", error->message);
    }

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->port = port;
  self->record_bodies = TRUE;
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  self->bodies = g_ptr_array_new_with_free_func (g_free);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  self->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_free);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("fake-server", server_thread, self);

  g_mutex_lock (&self->lock);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return self;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

void
fake_server_free (FakeServer *self)
{
  if (self == NULL)
    return;
  g_main_context_invoke (self->context, quit_cb, self->loop);
  g_thread_join (self->thread);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->rules);
  g_ptr_array_unref (self->bodies);
  g_ptr_array_unref (self->held);
  g_ptr_array_unref (self->waiting);
  g_clear_object (&self->tls_certificate);
  g_free (self->base_url);
  g_free (self->required_key);
  g_free (self->last_authorization);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

const char *
fake_server_get_tls_certificate_pem (void)
{
  return tls_certificate_pem;
}

const char *
fake_server_get_base_url (FakeServer *self)
{
  return self->base_url;
}

void
fake_server_add_rule (FakeServer     *self,
                      const FakeRule *rule)
{
  Rule *r = g_new0 (Rule, 1);

  r->rule = *rule;
  r->rule.pattern = g_strdup (rule->pattern);
  r->rule.reply = g_strdup (rule->reply);
  r->rule.error_message = g_strdup (rule->error_message);
  if (rule->regex && rule->pattern != NULL)
    r->regex = g_regex_new (rule->pattern, 0, 0, NULL);
  g_assert (!rule->regex || r->regex != NULL);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->rules, r);
  g_mutex_unlock (&self->lock);
}

void
fake_server_add_reply (FakeServer *self, FakeMatch match, const char *pattern, const char *reply)
{
  FakeRule rule = { 0 };

  rule.match = match;
  rule.pattern = pattern;
  rule.reply = reply;
  fake_server_add_rule (self, &rule);
}

void
fake_server_clear_rules (FakeServer *self)
{
  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->rules, 0);
  g_mutex_unlock (&self->lock);
}

void
fake_server_set_latency (FakeServer *self,
                         guint       latency_ms)
{
  g_mutex_lock (&self->lock);
  self->latency_ms = latency_ms;
  g_mutex_unlock (&self->lock);
}

void
fake_server_set_barrier (FakeServer *self,
                         guint       count)
{
  g_mutex_lock (&self->lock);
  self->barrier = count;
  g_mutex_unlock (&self->lock);
}

void
fake_server_set_required_key (FakeServer *self,
                              const char *key)
{
  g_mutex_lock (&self->lock);
  g_free (self->required_key);
  self->required_key = g_strdup (key);
  g_mutex_unlock (&self->lock);
}

void
fake_server_set_record_bodies (FakeServer *self,
                               gboolean    record)
{
  g_mutex_lock (&self->lock);
  self->record_bodies = record;
  g_mutex_unlock (&self->lock);
}

guint
fake_server_get_request_count (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->request_count;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
fake_server_get_connection_count (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->connection_count;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
fake_server_get_max_in_flight (FakeServer *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->max_in_flight;
  g_mutex_unlock (&self->lock);
  return n;
}

char *
fake_server_dup_body (FakeServer *self,
                      guint       index)
{
  char *body = NULL;

  g_mutex_lock (&self->lock);
  if (index < self->bodies->len)
    body = g_strdup (self->bodies->pdata[index]);
  g_mutex_unlock (&self->lock);
  return body;
}

char *
fake_server_dup_last_authorization (FakeServer *self)
{
  char *auth;

  g_mutex_lock (&self->lock);
  auth = g_strdup (self->last_authorization);
  g_mutex_unlock (&self->lock);
  return auth;
}

void
fake_server_reset_counters (FakeServer *self)
{
  g_mutex_lock (&self->lock);
  self->request_count = 0;
  self->connection_count = 0;
  self->max_in_flight = self->in_flight;
  g_ptr_array_set_size (self->bodies, 0);
  g_clear_pointer (&self->last_authorization, g_free);
  g_mutex_unlock (&self->lock);
}

/* ---- rules from JSON --------------------------------------------------- */

static gboolean
parse_enum (const char  *value,
            const char  *const *names,
            guint        n_names,
            guint       *out)
{
  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (value, names[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
parse_rule (JsonObject  *o,
            FakeRule    *rule,
            GError     **error)
{
  static const char *const matches[] = { "always", "last_user", "any_message", "model",
                                          "all_messages" };
  static const char *const faults[] = { "none", "rate_limit", "server_error", "status",
                                        "malformed", "hang", "reset", "slow_body" };
  JsonNode *usage_node = json_object_get_member (o, "usage");
  JsonObject *usage = usage_node != NULL && JSON_NODE_HOLDS_OBJECT (usage_node)
                      ? json_node_get_object (usage_node) : NULL;
  guint value;

  if (!parse_enum (json_object_get_string_member_with_default (o, "match", "always"),
                   matches, G_N_ELEMENTS (matches), &value))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown “match”");
      return FALSE;
    }
  rule->match = value;
  if (!parse_enum (json_object_get_string_member_with_default (o, "fault", "none"),
                   faults, G_N_ELEMENTS (faults), &value))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unknown “fault”");
      return FALSE;
    }
  rule->fault = value;
  rule->pattern = json_object_get_string_member_with_default (o, "pattern", NULL);
  rule->regex = json_object_get_boolean_member_with_default (o, "regex", FALSE);
  rule->reply = json_object_get_string_member_with_default (o, "reply", NULL);
  rule->times = json_object_get_int_member_with_default (o, "times", 0);
  rule->status = json_object_get_int_member_with_default (o, "status", 0);
  rule->error_message = json_object_get_string_member_with_default (o, "error_message", NULL);
  rule->retry_after_s = json_object_get_int_member_with_default (o, "retry_after", 0);
  rule->retry_after_ms = json_object_get_int_member_with_default (o, "retry_after_ms", 0);
  rule->extra_latency_ms = json_object_get_int_member_with_default (o, "latency_ms", 0);
  rule->slow_chunk_ms = json_object_get_int_member_with_default (o, "slow_chunk_ms", 0);
  rule->gzip = json_object_get_boolean_member_with_default (o, "gzip", FALSE);
  rule->chunked = json_object_get_boolean_member_with_default (o, "chunked", FALSE);
  if (usage != NULL)
    {
      rule->prompt_tokens = json_object_get_int_member_with_default (usage, "prompt_tokens", 0);
      rule->completion_tokens = json_object_get_int_member_with_default (usage, "completion_tokens", 0);
      rule->cached_tokens = json_object_get_int_member_with_default (usage, "cached_tokens", 0);
    }
  if (rule->regex && rule->pattern != NULL)
    {
      g_autoptr(GRegex) regex = g_regex_new (rule->pattern, 0, 0, error);
      if (regex == NULL)
        return FALSE;
    }
  return TRUE;
}

/* {"latency_ms": N, "rules": [{"match": "last_user", "pattern": "...",
 * "reply": "...", "fault": "rate_limit", "times": 2, ...}, ...]} */
gboolean
fake_server_load_rules (FakeServer  *self,
                        const char  *path,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *rules;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a JSON object", path);
      return FALSE;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  fake_server_set_latency (self, json_object_get_int_member_with_default (root, "latency_ms", 0));
  rules = json_object_has_member (root, "rules") ? json_object_get_array_member (root, "rules") : NULL;
  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    {
      FakeRule rule = { 0 };
      JsonNode *node = json_array_get_element (rules, i);

      if (!JSON_NODE_HOLDS_OBJECT (node) || !parse_rule (json_node_get_object (node), &rule, error))
        {
          g_prefix_error (error, "%s: rule %u: ", path, i + 1);
          if (error != NULL && *error == NULL)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: rule %u is not an object",
                         path, i + 1);
          return FALSE;
        }
      fake_server_add_rule (self, &rule);
    }
  return TRUE;
}
