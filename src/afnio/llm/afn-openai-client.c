/* afn-openai-client.c: /chat/completions over libcurl, driven by the GLib
 * main loop through the multi socket API.
 *
 * One curl multi handle per client, bound to the thread-default main context
 * at creation. curl tells us which sockets to watch (one GSource each) and
 * when to wake it up (one timer source, replaced at each new timeout). Each
 * request is a GTask, found again from its easy handle via CURLOPT_PRIVATE.
 * Easy handles are pooled so that connections and their settings are reused.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <curl/curl.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "afn-openai-client.h"

#define DEFAULT_MAX_CONCURRENCY 16
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS 120000
#define DEFAULT_MAX_ATTEMPTS 5
#define DEFAULT_RETRY_BASE_MS 500
#define DEFAULT_RETRY_MAX_MS 30000
#define MAX_REPLY_BYTES (64 * 1024 * 1024)
#define MAX_SERVER_MESSAGE 400

struct _AfnOpenAIClient
{
  GObject parent_instance;

  char *base_url;
  char *url;
  char *model;
  char *api_key;
  char *organization;
  char *ca_file;
  struct curl_slist *headers;
  GPtrArray *old_headers;     /* lists still in use by running transfers */

  guint max_concurrency;
  guint connect_timeout_ms;
  guint timeout_ms;
  guint max_attempts;
  guint retry_base_ms;
  guint retry_max_ms;

  GMainContext *context;
  CURLM *multi;
  GSource *timer;
  GHashTable *sockets;        /* SocketSource set */
  GPtrArray *idle_easies;
  GQueue queued;              /* of GTask, links owned by their Request */
  guint in_flight;

  AfnPriceTable *prices;
  AfnUsage usage;
  gboolean cost_known;
};

typedef enum {
  REQUEST_QUEUED,
  REQUEST_RUNNING,
  REQUEST_WAITING,
  REQUEST_DONE,
} RequestState;

typedef struct {
  RequestState state;
  char *body;
  gsize body_len;
  char *model;
  CURL *easy;
  GString *reply;
  gboolean reply_too_big;
  gint64 retry_after_ms;
  guint attempt;
  GList link;                 /* in queued; data is the GTask */
  GSource *cancel_source;
  GSource *retry_source;
  char curl_error[CURL_ERROR_SIZE];
} Request;

typedef struct {
  GSource source;
  AfnOpenAIClient *client;
  curl_socket_t fd;
  gpointer tag;
} SocketSource;

static void afn_openai_client_model_client_init (AfnModelClientInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AfnOpenAIClient, afn_openai_client, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AFN_TYPE_MODEL_CLIENT,
                                                      afn_openai_client_model_client_init))

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_MODEL,
  PROP_API_KEY,
  PROP_MAX_CONCURRENCY,
  PROP_COST_KNOWN,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void start_queued (AfnOpenAIClient *self);

static void
request_free (Request *req)
{
  g_assert (req->easy == NULL);
  g_assert (req->cancel_source == NULL && req->retry_source == NULL);
  g_free (req->body);
  g_free (req->model);
  g_string_free (req->reply, TRUE);
  g_free (req);
}

/* Replaces every occurrence of the key in @message, so that a server echoing
 * it back cannot make it appear in an error. */
static char *
scrub_key (AfnOpenAIClient *self,
           const char      *message)
{
  g_autoptr(GString) out = g_string_new (message);

  if (self->api_key != NULL && *self->api_key != '\0')
    g_string_replace (out, self->api_key, "[API key]", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static GError *
model_error (AfnOpenAIClient *self,
             AfnModelError    code,
             const char      *message)
{
  g_autofree char *scrubbed = scrub_key (self, message);

  return g_error_new_literal (AFN_MODEL_ERROR, code, scrubbed);
}

static void
rebuild_headers (AfnOpenAIClient *self)
{
  struct curl_slist *list = NULL;

  list = curl_slist_append (list, "Content-Type: application/json");
  list = curl_slist_append (list, "Accept: application/json");
  /* Without this curl waits for "100 Continue" before sending large bodies. */
  list = curl_slist_append (list, "Expect:");
  if (self->api_key != NULL && *self->api_key != '\0')
    {
      g_autofree char *auth = g_strconcat ("Authorization: Bearer ", self->api_key, NULL);
      list = curl_slist_append (list, auth);
      memset (auth, 0, strlen (auth));
    }
  if (self->organization != NULL && *self->organization != '\0')
    {
      g_autofree char *org = g_strconcat ("OpenAI-Organization: ", self->organization, NULL);
      list = curl_slist_append (list, org);
    }
  if (self->headers != NULL)
    g_ptr_array_add (self->old_headers, self->headers);
  self->headers = list;
}

/* ---- the main loop side of curl ---------------------------------------- */

static void
check_multi_info (AfnOpenAIClient *self);

static void
drive (AfnOpenAIClient *self,
       curl_socket_t    fd,
       int              mask)
{
  int running = 0;

  /* Completing a task can drop the last reference to the client. */
  g_object_ref (self);
  curl_multi_socket_action (self->multi, fd, mask, &running);
  check_multi_info (self);
  g_object_unref (self);
}

static gboolean
socket_source_dispatch (GSource     *source,
                        GSourceFunc  callback,
                        gpointer     user_data)
{
  SocketSource *s = (SocketSource *) source;
  GIOCondition cond = g_source_query_unix_fd (source, s->tag);
  int mask = 0;

  if (cond & G_IO_IN)
    mask |= CURL_CSELECT_IN;
  if (cond & G_IO_OUT)
    mask |= CURL_CSELECT_OUT;
  if (cond & (G_IO_ERR | G_IO_HUP))
    mask |= CURL_CSELECT_ERR;
  drive (s->client, s->fd, mask);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs socket_source_funcs = {
  NULL, NULL, socket_source_dispatch, NULL, NULL, NULL,
};

static GIOCondition
poll_to_condition (int what)
{
  GIOCondition cond = 0;

  if (what & CURL_POLL_IN)
    cond |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    cond |= G_IO_OUT;
  return cond;
}

static void
socket_source_remove (AfnOpenAIClient *self,
                      GSource         *source)
{
  g_source_destroy (source);
  g_hash_table_remove (self->sockets, source);
}

static int
socket_cb (CURL          *easy,
           curl_socket_t  fd,
           int            what,
           void          *user_data,
           void          *socket_data)
{
  AfnOpenAIClient *self = user_data;
  SocketSource *s = socket_data;

  if (what == CURL_POLL_REMOVE)
    {
      if (s != NULL)
        socket_source_remove (self, (GSource *) s);
      return 0;
    }
  if (s == NULL)
    {
      s = (SocketSource *) g_source_new (&socket_source_funcs, sizeof (SocketSource));
      s->client = self;
      s->fd = fd;
      s->tag = g_source_add_unix_fd ((GSource *) s, fd, poll_to_condition (what));
      g_source_set_static_name ((GSource *) s, "[afnio] curl socket");
      g_source_attach ((GSource *) s, self->context);
      g_hash_table_add (self->sockets, s);
      curl_multi_assign (self->multi, fd, s);
    }
  else
    g_source_modify_unix_fd ((GSource *) s, s->tag, poll_to_condition (what));
  return 0;
}

static gboolean
timer_fired_cb (gpointer user_data)
{
  AfnOpenAIClient *self = user_data;

  /* curl may set a new timer from inside drive(); this one is spent. */
  g_clear_pointer (&self->timer, g_source_unref);
  drive (self, CURL_SOCKET_TIMEOUT, 0);
  return G_SOURCE_REMOVE;
}

static int
timer_cb (CURLM    *multi,
          long      timeout_ms,
          void     *user_data)
{
  AfnOpenAIClient *self = user_data;

  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
  if (timeout_ms >= 0)
    {
      self->timer = g_timeout_source_new (timeout_ms);
      g_source_set_static_name (self->timer, "[afnio] curl timer");
      g_source_set_callback (self->timer, timer_fired_cb, self, NULL);
      g_source_attach (self->timer, self->context);
    }
  return 0;
}

/* ---- easy handles ------------------------------------------------------ */

static size_t
write_cb (char   *data,
          size_t  size,
          size_t  nmemb,
          void   *user_data)
{
  Request *req = user_data;
  gsize len = size * nmemb;

  if (req->reply->len + len > MAX_REPLY_BYTES)
    {
      req->reply_too_big = TRUE;
      return 0;
    }
  g_string_append_len (req->reply, data, len);
  return len;
}

/* OpenAI sends "retry-after-ms" beside "retry-after"; the former is finer. */
static size_t
header_cb (char   *data,
           size_t  size,
           size_t  nmemb,
           void   *user_data)
{
  Request *req = user_data;
  gsize len = size * nmemb;
  static const char name[] = "retry-after-ms:";

  if (len > sizeof name && g_ascii_strncasecmp (data, name, sizeof name - 1) == 0)
    {
      g_autofree char *value = g_strndup (data + sizeof name - 1, len - (sizeof name - 1));
      double ms = g_ascii_strtod (g_strstrip (value), NULL);
      if (ms >= 0)
        req->retry_after_ms = (gint64) ms;
    }
  return len;
}

static CURL *
take_easy (AfnOpenAIClient *self)
{
  CURL *easy;

  if (self->idle_easies->len > 0)
    return g_ptr_array_steal_index_fast (self->idle_easies, self->idle_easies->len - 1);

  easy = curl_easy_init ();
  g_assert (easy != NULL);
  curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (easy, CURLOPT_POST, 1L);
  curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (easy, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt (easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt (easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt (easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt (easy, CURLOPT_USERAGENT, "afnio-studio/" PACKAGE_VERSION);
  curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, header_cb);
  return easy;
}

static void
release_easy (AfnOpenAIClient *self,
              Request         *req)
{
  curl_multi_remove_handle (self->multi, req->easy);
  curl_easy_setopt (req->easy, CURLOPT_PRIVATE, NULL);
  curl_easy_setopt (req->easy, CURLOPT_ERRORBUFFER, NULL);
  g_ptr_array_add (self->idle_easies, g_steal_pointer (&req->easy));
  self->in_flight--;
}

static void
start_transfer (AfnOpenAIClient *self,
                GTask           *task)
{
  Request *req = g_task_get_task_data (task);
  CURL *easy = take_easy (self);

  req->easy = easy;
  req->state = REQUEST_RUNNING;
  req->attempt++;
  req->retry_after_ms = -1;
  req->reply_too_big = FALSE;
  req->curl_error[0] = '\0';
  g_string_truncate (req->reply, 0);

  curl_easy_setopt (easy, CURLOPT_URL, self->url);
  curl_easy_setopt (easy, CURLOPT_HTTPHEADER, self->headers);
  if (self->ca_file != NULL)
    curl_easy_setopt (easy, CURLOPT_CAINFO, self->ca_file);
  curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long) self->connect_timeout_ms);
  curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) self->timeout_ms);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDS, req->body);
  curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len);
  curl_easy_setopt (easy, CURLOPT_WRITEDATA, req);
  curl_easy_setopt (easy, CURLOPT_HEADERDATA, req);
  curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, req->curl_error);
  curl_easy_setopt (easy, CURLOPT_PRIVATE, task);

  self->in_flight++;
  curl_multi_add_handle (self->multi, easy);
}

static void
start_queued (AfnOpenAIClient *self)
{
  while (self->in_flight < self->max_concurrency && self->queued.length > 0)
    {
      GList *link = g_queue_pop_head_link (&self->queued);
      start_transfer (self, link->data);
    }
}

/* ---- completion -------------------------------------------------------- */

static void
detach_request (AfnOpenAIClient *self,
                Request         *req)
{
  switch (req->state)
    {
    case REQUEST_QUEUED:
      g_queue_unlink (&self->queued, &req->link);
      break;
    case REQUEST_RUNNING:
      release_easy (self, req);
      break;
    case REQUEST_WAITING:
    case REQUEST_DONE:
      break;
    }
  if (req->retry_source != NULL)
    {
      g_source_destroy (req->retry_source);
      g_clear_pointer (&req->retry_source, g_source_unref);
    }
  if (req->cancel_source != NULL)
    {
      g_source_destroy (req->cancel_source);
      g_clear_pointer (&req->cancel_source, g_source_unref);
    }
  req->state = REQUEST_DONE;
}

/* Takes over the client's reference to @task. */
static void
complete (AfnOpenAIClient *self,
          GTask           *task,
          AfnChatReply    *reply,
          GError          *error)
{
  Request *req = g_task_get_task_data (task);

  detach_request (self, req);
  if (reply != NULL)
    {
      afn_usage_add (&self->usage, afn_chat_reply_get_usage (reply));
      g_task_return_pointer (task, reply, (GDestroyNotify) afn_chat_reply_unref);
    }
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

static gboolean
retry_due_cb (gpointer user_data)
{
  GTask *task = user_data;
  AfnOpenAIClient *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);

  g_clear_pointer (&req->retry_source, g_source_unref);
  req->state = REQUEST_QUEUED;
  /* A retry goes before requests that have not been tried yet. */
  g_queue_push_head_link (&self->queued, &req->link);
  g_object_ref (self);
  start_queued (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Exponential backoff with "equal jitter": half fixed, half random, so that
 * many requests refused together do not come back together. */
static guint
backoff_ms (AfnOpenAIClient *self,
            Request         *req)
{
  double delay = self->retry_base_ms;

  if (req->retry_after_ms >= 0)
    return (guint) MIN ((guint64) req->retry_after_ms, self->retry_max_ms);
  for (guint i = 1; i < req->attempt && delay < self->retry_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->retry_max_ms);
  return (guint) (delay / 2 + g_random_double () * delay / 2);
}

/* Schedules another attempt and returns TRUE, or FALSE when none is left. */
static gboolean
maybe_retry (AfnOpenAIClient *self,
             GTask           *task)
{
  Request *req = g_task_get_task_data (task);

  if (req->attempt >= self->max_attempts)
    return FALSE;
  req->state = REQUEST_WAITING;
  req->retry_source = g_timeout_source_new (backoff_ms (self, req));
  g_source_set_static_name (req->retry_source, "[afnio] retry");
  g_source_set_callback (req->retry_source, retry_due_cb, task, NULL);
  g_source_attach (req->retry_source, self->context);
  return TRUE;
}

/* The server's own words: {"error": {"message"}} (OpenAI), {"error": "..."}
 * (Ollama), {"message"} or {"detail"}; else the start of the body. */
static char *
server_message (const GString *body)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  static const char *const members[] = { "error", "message", "detail" };
  JsonObject *root;

  if (body->len > 0 && json_parser_load_from_data (parser, body->str, body->len, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      root = json_node_get_object (json_parser_get_root (parser));
      for (guint i = 0; i < G_N_ELEMENTS (members); i++)
        {
          JsonNode *node = json_object_get_member (root, members[i]);
          if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
            node = json_object_get_member (json_node_get_object (node), "message");
          if (node != NULL && json_node_get_value_type (node) == G_TYPE_STRING)
            return g_strdup (json_node_get_string (node));
        }
    }
  if (body->len == 0)
    return NULL;
  return g_utf8_make_valid (body->str, MIN (body->len, MAX_SERVER_MESSAGE));
}

static GError *
http_error (AfnOpenAIClient *self,
            Request         *req,
            long             status)
{
  g_autofree char *said = server_message (req->reply);
  g_autofree char *message = NULL;
  AfnModelError code;

  if (status == 400)
    code = AFN_MODEL_ERROR_BAD_REQUEST;
  else if (status == 401 || status == 403)
    code = AFN_MODEL_ERROR_UNAUTHORIZED;
  else if (status == 404)
    code = AFN_MODEL_ERROR_NOT_FOUND;
  else if (status == 429)
    code = AFN_MODEL_ERROR_RATE_LIMITED;
  else if (status >= 500)
    code = AFN_MODEL_ERROR_SERVER;
  else if (status >= 400)
    code = AFN_MODEL_ERROR_BAD_REQUEST;
  else
    code = AFN_MODEL_ERROR_FAILED;

  if (req->attempt > 1)
    message = g_strdup_printf (_("%s answered HTTP %ld for model “%s” after %u attempts: %s"),
                               self->url, status, req->model, req->attempt,
                               said != NULL ? said : _("(no message)"));
  else
    message = g_strdup_printf (_("%s answered HTTP %ld for model “%s”: %s"),
                               self->url, status, req->model,
                               said != NULL ? said : _("(no message)"));
  return model_error (self, code, message);
}

static GError *
malformed (AfnOpenAIClient *self,
           const char      *what)
{
  g_autofree char *message =
    g_strdup_printf (_("%s sent a reply that is not a chat completion: %s"), self->url, what);
  return model_error (self, AFN_MODEL_ERROR_MALFORMED_REPLY, message);
}

static gint64
get_count (JsonObject *object,
           const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return MAX (0, json_node_get_int (node));
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return MAX (0, (gint64) json_node_get_double (node));
  return 0;
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
parse_usage (JsonObject *root,
             AfnUsage   *usage)
{
  JsonObject *u = get_object (root, "usage");

  usage->prompt_tokens = get_count (u, "prompt_tokens");
  usage->completion_tokens = get_count (u, "completion_tokens");
  usage->total_tokens = get_count (u, "total_tokens");
  if (usage->total_tokens == 0)
    usage->total_tokens = usage->prompt_tokens + usage->completion_tokens;
  usage->cached_tokens = get_count (get_object (u, "prompt_tokens_details"), "cached_tokens");
}

static AfnChatReply *
parse_reply (AfnOpenAIClient  *self,
             Request          *req,
             GError          **error)
{
  /* Mutable: an immutable parser seals and hashes every node, which costs
   * more than the parse itself on small replies. */
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) parse_error = NULL;
  JsonObject *root, *message;
  JsonArray *choices;
  JsonNode *node, *content;
  AfnUsage usage = { 0 };

  if (!json_parser_load_from_data (parser, req->reply->str, req->reply->len, &parse_error))
    {
      *error = malformed (self, parse_error->message);
      return NULL;
    }
  node = json_parser_get_root (parser);
  root = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  node = root != NULL ? json_object_get_member (root, "choices") : NULL;
  choices = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  if (choices == NULL || json_array_get_length (choices) == 0)
    {
      *error = malformed (self, _("no “choices”"));
      return NULL;
    }
  node = json_array_get_element (choices, 0);
  message = JSON_NODE_HOLDS_OBJECT (node) ? get_object (json_node_get_object (node), "message") : NULL;
  content = message != NULL ? json_object_get_member (message, "content") : NULL;
  if (content != NULL && JSON_NODE_HOLDS_NULL (content))
    content = json_object_get_member (message, "refusal");
  if (content == NULL || json_node_get_value_type (content) != G_TYPE_STRING)
    {
      *error = malformed (self, _("no text in “choices[0].message.content”"));
      return NULL;
    }
  parse_usage (root, &usage);
  if (!afn_price_table_price_usage (self->prices, req->model, &usage) && self->cost_known)
    {
      self->cost_known = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_COST_KNOWN]);
    }
  return afn_chat_reply_new (json_node_get_string (content), &usage);
}

static gboolean
is_transient (CURLcode result)
{
  switch (result)
    {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TRUE;
    default:
      return FALSE;
    }
}

static GError *
transfer_error (AfnOpenAIClient *self,
                Request         *req,
                CURLcode         result)
{
  g_autofree char *message = NULL;
  const char *why = req->curl_error[0] != '\0' ? req->curl_error : curl_easy_strerror (result);
  AfnModelError code = AFN_MODEL_ERROR_NETWORK;

  if (result == CURLE_OPERATION_TIMEDOUT)
    code = AFN_MODEL_ERROR_TIMEOUT;
  else if (req->reply_too_big)
    {
      code = AFN_MODEL_ERROR_MALFORMED_REPLY;
      why = _("the reply is larger than 64 MiB");
    }
  message = g_strdup_printf (_("Request to %s for model “%s” failed after %u attempt(s): %s"),
                             self->url, req->model, req->attempt, why);
  return model_error (self, code, message);
}

static void
transfer_done (AfnOpenAIClient *self,
               GTask           *task,
               CURLcode         result)
{
  Request *req = g_task_get_task_data (task);
  long status = 0;
  curl_off_t retry_after = -1;
  GError *error = NULL;
  AfnChatReply *reply;

  curl_easy_getinfo (req->easy, CURLINFO_RESPONSE_CODE, &status);
  if (req->retry_after_ms < 0
      && curl_easy_getinfo (req->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK
      && retry_after >= 0 && (status == 429 || status == 503))
    req->retry_after_ms = (gint64) retry_after * 1000;
  release_easy (self, req);
  req->state = REQUEST_DONE;

  if (result != CURLE_OK)
    {
      if (is_transient (result) && !req->reply_too_big && maybe_retry (self, task))
        return;
      complete (self, task, NULL, transfer_error (self, req, result));
      return;
    }
  if (status == 429 || status >= 500)
    {
      if (maybe_retry (self, task))
        return;
      complete (self, task, NULL, http_error (self, req, status));
      return;
    }
  if (status < 200 || status >= 300)
    {
      complete (self, task, NULL, http_error (self, req, status));
      return;
    }
  reply = parse_reply (self, req, &error);
  complete (self, task, reply, error);
}

static void
check_multi_info (AfnOpenAIClient *self)
{
  CURLMsg *msg;
  int left;

  while ((msg = curl_multi_info_read (self->multi, &left)) != NULL)
    {
      GTask *task = NULL;

      if (msg->msg != CURLMSG_DONE)
        continue;
      curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &task);
      g_assert (G_IS_TASK (task));
      transfer_done (self, task, msg->data.result);
    }
  start_queued (self);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  GTask *task = user_data;
  AfnOpenAIClient *self = g_object_ref (g_task_get_source_object (task));
  Request *req = g_task_get_task_data (task);

  /* complete() destroys this source, so the request is still pending. */
  if (req->state != REQUEST_DONE)
    {
      complete (self, task, NULL,
                g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Operation was cancelled")));
      start_queued (self);
    }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* ---- AfnModelClient ---------------------------------------------------- */

static const char *
request_model (AfnOpenAIClient *self,
               JsonObject      *args)
{
  if (args != NULL && json_object_has_member (args, "model")
      && json_node_get_value_type (json_object_get_member (args, "model")) == G_TYPE_STRING)
    return json_object_get_string_member (args, "model");
  return self->model;
}

static char *
build_body (AfnOpenAIClient *self,
            JsonArray       *messages,
            JsonObject      *args,
            gsize           *len)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_set_string_member (body, "model", request_model (self, args));
  json_object_set_array_member (body, "messages", json_array_ref (messages));
  if (args != NULL)
    {
      json_object_iter_init (&iter, args);
      while (json_object_iter_next (&iter, &name, &value))
        if (!g_str_equal (name, "model") && !g_str_equal (name, "messages"))
          json_object_set_member (body, name, json_node_copy (value));
    }
  json_node_set_object (root, body);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, len);
}

static void
afn_openai_client_chat_async (AfnModelClient      *client,
                              JsonArray           *messages,
                              JsonObject          *args,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  AfnOpenAIClient *self = AFN_OPENAI_CLIENT (client);
  GTask *task;
  Request *req;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, afn_openai_client_chat_async);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  req = g_new0 (Request, 1);
  req->body = build_body (self, messages, args, &req->body_len);
  req->model = g_strdup (request_model (self, args));
  req->reply = g_string_new (NULL);
  req->link.data = task;
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);

  if (cancellable != NULL)
    {
      req->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (req->cancel_source, G_SOURCE_FUNC (cancelled_cb), task, NULL);
      g_source_attach (req->cancel_source, self->context);
    }
  /* The client's reference to the task lasts until complete(). */
  req->state = REQUEST_QUEUED;
  g_queue_push_tail_link (&self->queued, &req->link);
  start_queued (self);
}

static AfnChatReply *
afn_openai_client_chat_finish (AfnModelClient  *client,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
afn_openai_client_get_usage (AfnModelClient *client,
                             AfnUsage       *usage)
{
  *usage = AFN_OPENAI_CLIENT (client)->usage;
}

static void
afn_openai_client_model_client_init (AfnModelClientInterface *iface)
{
  iface->chat_async = afn_openai_client_chat_async;
  iface->chat_finish = afn_openai_client_chat_finish;
  iface->get_usage = afn_openai_client_get_usage;
}

/* ---- GObject ----------------------------------------------------------- */

static void
set_base_url (AfnOpenAIClient *self,
              const char      *base_url)
{
  g_autofree char *trimmed = NULL;

  if (base_url == NULL || *base_url == '\0')
    base_url = g_getenv ("OPENAI_BASE_URL");
  if (base_url == NULL || *base_url == '\0')
    base_url = AFN_OPENAI_DEFAULT_BASE_URL;
  trimmed = g_strdup (base_url);
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  g_free (self->base_url);
  g_free (self->url);
  self->base_url = g_steal_pointer (&trimmed);
  self->url = g_strconcat (self->base_url, "/chat/completions", NULL);
}

static void
afn_openai_client_finalize (GObject *object)
{
  AfnOpenAIClient *self = (AfnOpenAIClient *) object;
  GHashTableIter iter;
  gpointer source;

  g_assert (self->queued.length == 0 && self->in_flight == 0);

  for (guint i = 0; i < self->idle_easies->len; i++)
    curl_easy_cleanup (self->idle_easies->pdata[i]);
  g_ptr_array_unref (self->idle_easies);
  /* Closing cached connections calls socket_cb, which drops their sources. */
  curl_multi_cleanup (self->multi);
  g_hash_table_iter_init (&iter, self->sockets);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    g_source_destroy (source);
  g_hash_table_unref (self->sockets);
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_source_unref (self->timer);
    }
  g_main_context_unref (self->context);

  curl_slist_free_all (self->headers);
  g_ptr_array_unref (self->old_headers);
  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  g_free (self->organization);
  g_free (self->ca_file);
  g_free (self->base_url);
  g_free (self->url);
  g_free (self->model);
  g_clear_pointer (&self->prices, afn_price_table_unref);

  G_OBJECT_CLASS (afn_openai_client_parent_class)->finalize (object);
}

static void
afn_openai_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  AfnOpenAIClient *self = AFN_OPENAI_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_MAX_CONCURRENCY:
      g_value_set_uint (value, self->max_concurrency);
      break;
    case PROP_COST_KNOWN:
      g_value_set_boolean (value, self->cost_known);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_openai_client_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  AfnOpenAIClient *self = AFN_OPENAI_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      set_base_url (self, g_value_get_string (value));
      break;
    case PROP_MODEL:
      afn_openai_client_set_model (self, g_value_get_string (value));
      break;
    case PROP_API_KEY:
      if (g_value_get_string (value) != NULL)
        afn_openai_client_set_api_key (self, g_value_get_string (value));
      break;
    case PROP_MAX_CONCURRENCY:
      afn_openai_client_set_max_concurrency (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_openai_client_class_init (AfnOpenAIClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = afn_openai_client_finalize;
  object_class->get_property = afn_openai_client_get_property;
  object_class->set_property = afn_openai_client_set_property;

  props[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, "gpt-4o-mini",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Write-only, so that nothing can read the key back out. */
  props[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_MAX_CONCURRENCY] =
    g_param_spec_uint ("max-concurrency", NULL, NULL, 1, 4096, DEFAULT_MAX_CONCURRENCY,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_COST_KNOWN] =
    g_param_spec_boolean ("cost-known", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* Once per process, before any thread could be using curl. */
  curl_global_init (CURL_GLOBAL_DEFAULT);
}

static void
afn_openai_client_init (AfnOpenAIClient *self)
{
  self->model = g_strdup ("gpt-4o-mini");
  self->max_concurrency = DEFAULT_MAX_CONCURRENCY;
  self->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->retry_base_ms = DEFAULT_RETRY_BASE_MS;
  self->retry_max_ms = DEFAULT_RETRY_MAX_MS;
  self->cost_known = TRUE;
  self->api_key = g_strdup (g_getenv ("OPENAI_API_KEY"));
  self->old_headers = g_ptr_array_new_with_free_func ((GDestroyNotify) curl_slist_free_all);
  self->idle_easies = g_ptr_array_new ();
  self->sockets = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) g_source_unref, NULL);
  self->prices = afn_price_table_new_default ();
  set_base_url (self, NULL);
  rebuild_headers (self);

  self->context = g_main_context_ref_thread_default ();
  self->multi = curl_multi_init ();
  g_assert (self->multi != NULL);
  curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
  curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, (long) DEFAULT_MAX_CONCURRENCY * 2);
}

/* ---- public API -------------------------------------------------------- */

AfnOpenAIClient *
afn_openai_client_new (const char *base_url,
                       const char *model)
{
  return g_object_new (AFN_TYPE_OPENAI_CLIENT,
                       "base-url", base_url,
                       "model", model != NULL ? model : "gpt-4o-mini",
                       NULL);
}

static gboolean
arg_string (JsonObject  *args,
            const char  *name,
            const char **out,
            GError     **error)
{
  JsonNode *node = args != NULL ? json_object_get_member (args, name) : NULL;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Client argument “%s” must be a string"), name);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

static gboolean
arg_number (JsonObject  *args,
            const char  *name,
            double      *out,
            GError     **error)
{
  JsonNode *node = args != NULL ? json_object_get_member (args, name) : NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if ((json_node_get_value_type (node) != G_TYPE_INT64
       && json_node_get_value_type (node) != G_TYPE_DOUBLE)
      || json_node_get_double (node) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Client argument “%s” must be a non-negative number"), name);
      return FALSE;
    }
  *out = json_node_get_double (node);
  return TRUE;
}

AfnOpenAIClient *
afn_openai_client_new_from_args (const char  *model,
                                 JsonObject  *client_args,
                                 GError     **error)
{
  g_autoptr(AfnOpenAIClient) self = NULL;
  const char *api_key, *base_url, *organization;
  double cap = DEFAULT_MAX_CONCURRENCY, timeout = DEFAULT_TIMEOUT_MS / 1000.0;
  double connect_timeout = DEFAULT_CONNECT_TIMEOUT_MS / 1000.0, retries = DEFAULT_MAX_ATTEMPTS - 1;

  if (!arg_string (client_args, "api_key", &api_key, error)
      || !arg_string (client_args, "base_url", &base_url, error)
      || !arg_string (client_args, "organization", &organization, error)
      || !arg_number (client_args, "max_concurrency", &cap, error)
      || !arg_number (client_args, "timeout", &timeout, error)
      || !arg_number (client_args, "connect_timeout", &connect_timeout, error)
      || !arg_number (client_args, "max_retries", &retries, error))
    return NULL;
  if (model != NULL && g_str_has_prefix (model, "openai/"))
    model += strlen ("openai/");

  self = afn_openai_client_new (base_url, model);
  if (api_key != NULL)
    afn_openai_client_set_api_key (self, api_key);
  if (organization != NULL)
    afn_openai_client_set_organization (self, organization);
  afn_openai_client_set_max_concurrency (self, (guint) CLAMP (cap, 1, 4096));
  afn_openai_client_set_timeouts (self, (guint) (connect_timeout * 1000), (guint) (timeout * 1000));
  afn_openai_client_set_retry (self, (guint) MIN (retries, 100) + 1, self->retry_base_ms,
                               self->retry_max_ms);
  return g_steal_pointer (&self);
}

void
afn_openai_client_set_api_key (AfnOpenAIClient *self,
                               const char      *api_key)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));

  if (self->api_key != NULL)
    memset (self->api_key, 0, strlen (self->api_key));
  g_free (self->api_key);
  self->api_key = g_strdup (api_key);
  rebuild_headers (self);
}

gboolean
afn_openai_client_has_api_key (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), FALSE);
  return self->api_key != NULL && *self->api_key != '\0';
}

void
afn_openai_client_set_organization (AfnOpenAIClient *self,
                                    const char      *organization)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));

  g_free (self->organization);
  self->organization = g_strdup (organization);
  rebuild_headers (self);
}

void
afn_openai_client_set_ca_file (AfnOpenAIClient *self,
                               const char      *ca_file)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));

  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
  /* Idle handles keep their CA setting: new ones start from the default. */
  for (guint i = 0; i < self->idle_easies->len; i++)
    curl_easy_cleanup (self->idle_easies->pdata[i]);
  g_ptr_array_set_size (self->idle_easies, 0);
}

/* Transfer none. Without the trailing slash. */
const char *
afn_openai_client_get_base_url (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), NULL);
  return self->base_url;
}

/* Transfer none. */
const char *
afn_openai_client_get_model (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), NULL);
  return self->model;
}

void
afn_openai_client_set_model (AfnOpenAIClient *self,
                             const char      *model)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));
  g_return_if_fail (model != NULL);

  if (g_strcmp0 (self->model, model) == 0)
    return;
  g_free (self->model);
  self->model = g_strdup (model);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL]);
}

void
afn_openai_client_set_max_concurrency (AfnOpenAIClient *self,
                                       guint            max_concurrency)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));
  g_return_if_fail (max_concurrency >= 1);

  if (self->max_concurrency == max_concurrency)
    return;
  self->max_concurrency = max_concurrency;
  curl_multi_setopt (self->multi, CURLMOPT_MAXCONNECTS, (long) MAX (max_concurrency * 2, 8));
  start_queued (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_CONCURRENCY]);
}

guint
afn_openai_client_get_max_concurrency (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), 0);
  return self->max_concurrency;
}

void
afn_openai_client_set_timeouts (AfnOpenAIClient *self,
                                guint            connect_timeout_ms,
                                guint            timeout_ms)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));

  self->connect_timeout_ms = connect_timeout_ms;
  self->timeout_ms = timeout_ms;
}

void
afn_openai_client_set_retry (AfnOpenAIClient *self,
                             guint            max_attempts,
                             guint            base_delay_ms,
                             guint            max_delay_ms)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));

  self->max_attempts = MAX (max_attempts, 1);
  self->retry_base_ms = base_delay_ms;
  self->retry_max_ms = MAX (max_delay_ms, base_delay_ms);
}

void
afn_openai_client_set_price_table (AfnOpenAIClient *self,
                                   AfnPriceTable   *table)
{
  g_return_if_fail (AFN_IS_OPENAI_CLIENT (self));

  g_clear_pointer (&self->prices, afn_price_table_unref);
  self->prices = table != NULL ? afn_price_table_ref (table) : afn_price_table_new_default ();
}

gboolean
afn_openai_client_get_cost_known (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), FALSE);
  return self->cost_known;
}

guint
afn_openai_client_get_queued (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), 0);
  return self->queued.length;
}

guint
afn_openai_client_get_in_flight (AfnOpenAIClient *self)
{
  g_return_val_if_fail (AFN_IS_OPENAI_CLIENT (self), 0);
  return self->in_flight;
}
