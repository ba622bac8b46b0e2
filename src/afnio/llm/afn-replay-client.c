/* afn-replay-client.c: records and replays the replies of another client.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "afn-openai-client.h"
#include "afn-replay-client.h"

typedef struct {
  char *key;
  JsonNode *request;          /* {"args", "messages", "model"} */
  AfnChatReply *reply;
} Recording;

struct _AfnReplayClient
{
  GObject parent_instance;

  AfnModelClient *inner;
  AfnReplayMode mode;
  char *default_model;
  GPtrArray *recordings;      /* in the order first recorded */
  GHashTable *by_key;         /* key → Recording, borrowed */
  guint hits;
  guint misses;
};

typedef struct {
  char *key;
  JsonNode *request;
} Call;

static void afn_replay_client_model_client_init (AfnModelClientInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AfnReplayClient, afn_replay_client, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AFN_TYPE_MODEL_CLIENT,
                                                      afn_replay_client_model_client_init))

enum {
  PROP_0,
  PROP_INNER,
  PROP_MODE,
  PROP_HITS,
  PROP_MISSES,
  PROP_N_RECORDINGS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

GType
afn_replay_mode_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { AFN_REPLAY_MODE_RECORD, "AFN_REPLAY_MODE_RECORD", "record" },
    { AFN_REPLAY_MODE_REPLAY, "AFN_REPLAY_MODE_REPLAY", "replay" },
    { AFN_REPLAY_MODE_REPLAY_OR_CALL, "AFN_REPLAY_MODE_REPLAY_OR_CALL", "replay-or-call" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("AfnReplayMode", values));
  return type;
}

static void
recording_free (Recording *rec)
{
  g_free (rec->key);
  g_clear_pointer (&rec->request, json_node_unref);
  g_clear_pointer (&rec->reply, afn_chat_reply_unref);
  g_free (rec);
}

static void
call_free (Call *call)
{
  g_free (call->key);
  g_clear_pointer (&call->request, json_node_unref);
  g_free (call);
}

/* Takes @object. */
static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

/* ---- canonical JSON ---------------------------------------------------- */

static void canonical_append (GString *out, JsonNode *node);

static void
append_string (GString    *out,
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

static void
append_double (GString *out,
               double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  /* 1 and 1.0 are the same request. */
  if (isfinite (value) && value == floor (value) && fabs (value) < 9e15)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) value);
  else
    g_string_append (out, g_ascii_dtostr (buf, sizeof buf, value));
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      append_double (out, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
      break;
    case G_TYPE_STRING:
      append_string (out, json_node_get_string (node));
      break;
    default:
      g_string_append (out, "null");
    }
}

static void
append_object (GString    *out,
               JsonObject *object)
{
  g_autoptr(GList) names = g_list_sort (json_object_get_members (object), (GCompareFunc) strcmp);

  g_string_append_c (out, '{');
  for (GList *l = names; l != NULL; l = l->next)
    {
      if (l != names)
        g_string_append_c (out, ',');
      append_string (out, l->data);
      g_string_append_c (out, ':');
      canonical_append (out, json_object_get_member (object, l->data));
    }
  g_string_append_c (out, '}');
}

static void
canonical_append (GString  *out,
                  JsonNode *node)
{
  JsonArray *array;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      append_object (out, json_node_get_object (node));
      break;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          canonical_append (out, json_array_get_element (array, i));
        }
      g_string_append_c (out, ']');
      break;
    case JSON_NODE_VALUE:
      append_value (out, node);
      break;
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    }
}

static char *
key_of_request (JsonNode *request)
{
  g_autoptr(GString) canonical = g_string_new (NULL);

  canonical_append (canonical, request);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) canonical->str,
                                      canonical->len);
}

static const char *
model_of (AfnReplayClient *self,
          JsonObject      *args)
{
  JsonNode *node = args != NULL ? json_object_get_member (args, "model") : NULL;

  if (node != NULL && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  if (self->default_model != NULL)
    return self->default_model;
  if (AFN_IS_OPENAI_CLIENT (self->inner))
    return afn_openai_client_get_model (AFN_OPENAI_CLIENT (self->inner));
  return "";
}

/* {"args": args without "model", "messages": [...], "model": "..."} */
static JsonNode *
build_request (AfnReplayClient *self,
               JsonArray       *messages,
               JsonObject      *args)
{
  JsonObject *request = json_object_new ();
  JsonObject *rest = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (args != NULL)
    {
      json_object_iter_init (&iter, args);
      while (json_object_iter_next (&iter, &name, &value))
        if (!g_str_equal (name, "model"))
          json_object_set_member (rest, name, json_node_copy (value));
    }
  json_object_set_object_member (request, "args", rest);
  json_object_set_array_member (request, "messages", json_array_ref (messages));
  json_object_set_string_member (request, "model", model_of (self, args));
  return object_node (request);
}

/* ---- recordings -------------------------------------------------------- */

static void
add_recording (AfnReplayClient *self,
               char            *key,
               JsonNode        *request,
               AfnChatReply    *reply)
{
  Recording *rec = g_hash_table_lookup (self->by_key, key);

  if (rec != NULL)
    {
      g_free (key);
      g_clear_pointer (&rec->request, json_node_unref);
      g_clear_pointer (&rec->reply, afn_chat_reply_unref);
      rec->request = request;
      rec->reply = reply;
      return;
    }
  rec = g_new0 (Recording, 1);
  rec->key = key;
  rec->request = request;
  rec->reply = reply;
  g_ptr_array_add (self->recordings, rec);
  g_hash_table_insert (self->by_key, rec->key, rec);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_RECORDINGS]);
}

static JsonNode *
usage_to_json (const AfnUsage *usage)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "prompt_tokens", usage->prompt_tokens);
  json_object_set_int_member (object, "completion_tokens", usage->completion_tokens);
  json_object_set_int_member (object, "total_tokens", usage->total_tokens);
  json_object_set_int_member (object, "cached_tokens", usage->cached_tokens);
  json_object_set_double_member (object, "cost_usd", usage->cost_usd);
  return object_node (object);
}

static JsonNode *
recording_to_json (Recording *rec)
{
  JsonObject *object = json_object_new ();
  JsonObject *response = json_object_new ();

  json_object_set_string_member (object, "key", rec->key);
  json_object_set_member (object, "request", json_node_ref (rec->request));
  json_object_set_string_member (response, "text", afn_chat_reply_get_text (rec->reply));
  json_object_set_member (response, "usage", usage_to_json (afn_chat_reply_get_usage (rec->reply)));
  json_object_set_object_member (object, "response", response);
  return object_node (object);
}

static gint64
member_count (JsonObject *object,
              const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  return (gint64) json_node_get_double (node);
}

static gboolean
recording_from_json (AfnReplayClient  *self,
                     JsonNode         *node,
                     const char       *where,
                     GError          **error)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *request = object != NULL ? json_object_get_member (object, "request") : NULL;
  JsonNode *response = object != NULL ? json_object_get_member (object, "response") : NULL;
  JsonObject *resp = response != NULL && JSON_NODE_HOLDS_OBJECT (response)
                     ? json_node_get_object (response) : NULL;
  JsonNode *text = resp != NULL ? json_object_get_member (resp, "text") : NULL;
  JsonObject *u;
  AfnUsage usage;

  if (text == NULL || json_node_get_value_type (text) != G_TYPE_STRING
      || request == NULL || !JSON_NODE_HOLDS_OBJECT (request))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s: a recording needs a “request” object and a “response” with a “text”"),
                   where);
      return FALSE;
    }
  u = json_object_get_member (resp, "usage") != NULL
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (resp, "usage"))
      ? json_object_get_object_member (resp, "usage") : NULL;
  usage = (AfnUsage) {
    .prompt_tokens = member_count (u, "prompt_tokens"),
    .completion_tokens = member_count (u, "completion_tokens"),
    .total_tokens = member_count (u, "total_tokens"),
    .cached_tokens = member_count (u, "cached_tokens"),
    .cost_usd = u != NULL && json_object_has_member (u, "cost_usd")
                ? json_object_get_double_member (u, "cost_usd") : 0,
  };
  /* The key is recomputed, so that a recording edited by hand still matches
   * the request it now shows. */
  add_recording (self, key_of_request (request), json_node_copy (request),
                 afn_chat_reply_new (json_node_get_string (text), &usage));
  return TRUE;
}

/* ---- AfnModelClient ---------------------------------------------------- */

static void
set_counter (AfnReplayClient *self,
             guint           *counter,
             guint            prop)
{
  (*counter)++;
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

static GError *
miss_error (JsonArray  *messages,
            const char *model,
            const char *key)
{
  guint n = json_array_get_length (messages);
  JsonObject *last = n > 0 ? json_array_get_object_element (messages, n - 1) : NULL;
  const char *text = last != NULL ? json_object_get_string_member_with_default (last, "content", "") : "";
  glong length = g_utf8_strlen (text, -1);
  g_autofree char *start = g_utf8_substring (text, 0, MIN (length, 80));
  gboolean cut = length > 80;

  return g_error_new (AFN_MODEL_ERROR, AFN_MODEL_ERROR_REPLAY_MISS,
                      _("No recorded reply for model “%s”, last message “%s%s” (key %.12s)"),
                      model, start, cut ? "…" : "", key);
}

static void
inner_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AfnReplayClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  AfnChatReply *reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &error);

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  add_recording (self, g_steal_pointer (&call->key), g_steal_pointer (&call->request),
                 afn_chat_reply_ref (reply));
  g_task_return_pointer (task, reply, (GDestroyNotify) afn_chat_reply_unref);
}

static void
afn_replay_client_chat_async (AfnModelClient      *client,
                              JsonArray           *messages,
                              JsonObject          *args,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  AfnReplayClient *self = AFN_REPLAY_CLIENT (client);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);
  Recording *rec;

  g_task_set_source_tag (task, afn_replay_client_chat_async);
  call->request = build_request (self, messages, args);
  call->key = key_of_request (call->request);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  if (self->mode != AFN_REPLAY_MODE_RECORD)
    {
      rec = g_hash_table_lookup (self->by_key, call->key);
      if (rec != NULL)
        {
          set_counter (self, &self->hits, PROP_HITS);
          g_task_return_pointer (task, afn_chat_reply_ref (rec->reply),
                                 (GDestroyNotify) afn_chat_reply_unref);
          return;
        }
      set_counter (self, &self->misses, PROP_MISSES);
      if (self->mode == AFN_REPLAY_MODE_REPLAY)
        {
          g_task_return_error (task, miss_error (messages, model_of (self, args), call->key));
          return;
        }
    }
  if (self->inner == NULL)
    {
      g_task_return_new_error (task, AFN_MODEL_ERROR, AFN_MODEL_ERROR_FAILED,
                               _("The replay client has no model client to call"));
      return;
    }
  afn_model_client_chat_async (self->inner, messages, args, cancellable, inner_done_cb,
                               g_steal_pointer (&task));
}

static AfnChatReply *
afn_replay_client_chat_finish (AfnModelClient  *client,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* What was really spent: replayed replies cost nothing now. */
static void
afn_replay_client_get_usage (AfnModelClient *client,
                             AfnUsage       *usage)
{
  AfnReplayClient *self = AFN_REPLAY_CLIENT (client);

  if (self->inner != NULL)
    afn_model_client_get_usage (self->inner, usage);
}

static void
afn_replay_client_model_client_init (AfnModelClientInterface *iface)
{
  iface->chat_async = afn_replay_client_chat_async;
  iface->chat_finish = afn_replay_client_chat_finish;
  iface->get_usage = afn_replay_client_get_usage;
}

/* ---- GObject ----------------------------------------------------------- */

static void
afn_replay_client_finalize (GObject *object)
{
  AfnReplayClient *self = (AfnReplayClient *) object;

  g_clear_object (&self->inner);
  g_free (self->default_model);
  g_hash_table_unref (self->by_key);
  g_ptr_array_unref (self->recordings);

  G_OBJECT_CLASS (afn_replay_client_parent_class)->finalize (object);
}

static void
afn_replay_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  AfnReplayClient *self = AFN_REPLAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_INNER:
      g_value_set_object (value, self->inner);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_HITS:
      g_value_set_uint (value, self->hits);
      break;
    case PROP_MISSES:
      g_value_set_uint (value, self->misses);
      break;
    case PROP_N_RECORDINGS:
      g_value_set_uint (value, self->recordings->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_replay_client_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  AfnReplayClient *self = AFN_REPLAY_CLIENT (object);

  switch (prop_id)
    {
    case PROP_INNER:
      self->inner = g_value_dup_object (value);
      break;
    case PROP_MODE:
      afn_replay_client_set_mode (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_replay_client_class_init (AfnReplayClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = afn_replay_client_finalize;
  object_class->get_property = afn_replay_client_get_property;
  object_class->set_property = afn_replay_client_set_property;

  props[PROP_INNER] =
    g_param_spec_object ("inner", NULL, NULL, AFN_TYPE_MODEL_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, AFN_TYPE_REPLAY_MODE, AFN_REPLAY_MODE_REPLAY_OR_CALL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_HITS] =
    g_param_spec_uint ("hits", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_MISSES] =
    g_param_spec_uint ("misses", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  props[PROP_N_RECORDINGS] =
    g_param_spec_uint ("n-recordings", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afn_replay_client_init (AfnReplayClient *self)
{
  self->mode = AFN_REPLAY_MODE_REPLAY_OR_CALL;
  self->recordings = g_ptr_array_new_with_free_func ((GDestroyNotify) recording_free);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
}

/* ---- public API -------------------------------------------------------- */

AfnReplayClient *
afn_replay_client_new (AfnModelClient *inner,
                       AfnReplayMode   mode)
{
  g_return_val_if_fail (inner == NULL || AFN_IS_MODEL_CLIENT (inner), NULL);

  return g_object_new (AFN_TYPE_REPLAY_CLIENT, "inner", inner, "mode", mode, NULL);
}

AfnModelClient *
afn_replay_client_get_inner (AfnReplayClient *self)
{
  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), NULL);
  return self->inner;
}

AfnReplayMode
afn_replay_client_get_mode (AfnReplayClient *self)
{
  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), AFN_REPLAY_MODE_REPLAY);
  return self->mode;
}

void
afn_replay_client_set_mode (AfnReplayClient *self,
                            AfnReplayMode    mode)
{
  g_return_if_fail (AFN_IS_REPLAY_CLIENT (self));

  if (self->mode == mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODE]);
}

void
afn_replay_client_set_default_model (AfnReplayClient *self,
                                     const char      *model)
{
  g_return_if_fail (AFN_IS_REPLAY_CLIENT (self));

  g_free (self->default_model);
  self->default_model = g_strdup (model);
}

guint
afn_replay_client_get_hits (AfnReplayClient *self)
{
  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), 0);
  return self->hits;
}

guint
afn_replay_client_get_misses (AfnReplayClient *self)
{
  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), 0);
  return self->misses;
}

guint
afn_replay_client_get_n_recordings (AfnReplayClient *self)
{
  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), 0);
  return self->recordings->len;
}

/* Forgets every recording (the counters stay). */
void
afn_replay_client_clear (AfnReplayClient *self)
{
  g_return_if_fail (AFN_IS_REPLAY_CLIENT (self));

  if (self->recordings->len == 0)
    return;
  g_hash_table_remove_all (self->by_key);
  g_ptr_array_set_size (self->recordings, 0);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_RECORDINGS]);
}

char *
afn_replay_client_compute_key (AfnReplayClient *self,
                               JsonArray       *messages,
                               JsonObject      *args)
{
  g_autoptr(JsonNode) request = NULL;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), NULL);
  g_return_val_if_fail (messages != NULL, NULL);

  request = build_request (self, messages, args);
  return key_of_request (request);
}

JsonNode *
afn_replay_client_to_json (AfnReplayClient *self)
{
  JsonArray *array;
  JsonNode *node;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), NULL);

  array = json_array_sized_new (self->recordings->len);
  for (guint i = 0; i < self->recordings->len; i++)
    json_array_add_element (array, recording_to_json (self->recordings->pdata[i]));
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, array);
  return node;
}

gboolean
afn_replay_client_load_json (AfnReplayClient  *self,
                             JsonNode         *node,
                             GError          **error)
{
  JsonArray *array;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), FALSE);
  g_return_val_if_fail (node != NULL, FALSE);

  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return afn_replay_client_load_jsonl_data (self, json_node_get_string (node), -1,
                                              _("recordings"), error);
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Recordings must be an array or a JSONL string"));
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *where = g_strdup_printf (_("recording %u"), i + 1);
      if (!recording_from_json (self, json_array_get_element (array, i), where, error))
        return FALSE;
    }
  return TRUE;
}

AfnReplayClient *
afn_replay_client_new_from_json (AfnModelClient  *inner,
                                 AfnReplayMode    mode,
                                 JsonNode        *node,
                                 GError         **error)
{
  g_autoptr(AfnReplayClient) self = afn_replay_client_new (inner, mode);

  if (!afn_replay_client_load_json (self, node, error))
    return NULL;
  return g_steal_pointer (&self);
}

char *
afn_replay_client_to_jsonl (AfnReplayClient *self)
{
  GString *out;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < self->recordings->len; i++)
    {
      g_autoptr(JsonNode) node = recording_to_json (self->recordings->pdata[i]);
      g_autofree char *line = json_to_string (node, FALSE);
      g_string_append (out, line);
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* @name says where the data came from, for errors ("file.jsonl:3: ..."). */
gboolean
afn_replay_client_load_jsonl_data (AfnReplayClient  *self,
                                   const char       *data,
                                   gssize            length,
                                   const char       *name,
                                   GError          **error)
{
  g_autofree char *copy = NULL;
  g_auto(GStrv) lines = NULL;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);

  copy = length < 0 ? g_strdup (data) : g_strndup (data, length);
  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      g_autoptr(GError) parse_error = NULL;
      g_autofree char *where = g_strdup_printf ("%s:%u", name, i + 1);

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &parse_error))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", where,
                       parse_error->message);
          return FALSE;
        }
      if (!recording_from_json (self, json_parser_get_root (parser), where, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
afn_replay_client_load_jsonl (AfnReplayClient  *self,
                              const char       *path,
                              GError          **error)
{
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &data, &length, error))
    return FALSE;
  return afn_replay_client_load_jsonl_data (self, data, length, path, error);
}

gboolean
afn_replay_client_save_jsonl (AfnReplayClient  *self,
                              const char       *path,
                              GError          **error)
{
  g_autofree char *data = NULL;

  g_return_val_if_fail (AFN_IS_REPLAY_CLIENT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  data = afn_replay_client_to_jsonl (self);
  /* Written to a temporary file and renamed over @path. */
  return g_file_set_contents (path, data, -1, error);
}
