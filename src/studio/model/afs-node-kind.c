/* afs-node-kind.c: the registry of node kinds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gio/gio.h>
#include "afs-node-kind.h"

typedef enum {
  SETTING_STRING,
  SETTING_STRING_OR_NULL,
  SETTING_BOOL,
  SETTING_INT,
  SETTING_NUMBER,
  SETTING_DATA,
  SETTING_MESSAGES,
  SETTING_REDUCTION,
} SettingType;

typedef struct {
  const char *key;
  SettingType type;
} SettingSpec;

typedef struct {
  const char *id;
  const char *name;
  const char *description;
  const char *keywords;
  gboolean is_data;
  const SettingSpec *settings;
  void (*defaults) (JsonObject *o);
  void (*ports) (JsonObject *settings, GPtrArray *in, GPtrArray *out);
} KindSpec;

struct _AfsNodeKind
{
  GObject parent_instance;
  const KindSpec *spec;
};

G_DEFINE_FINAL_TYPE (AfsNodeKind, afs_node_kind, G_TYPE_OBJECT)

enum { PROP_0, PROP_ID, PROP_NAME, PROP_DESCRIPTION, PROP_KEYWORDS, N_PROPS };
static GParamSpec *props[N_PROPS];

/* ---- Ports ---- */

void
afs_port_free (AfsPort *port)
{
  g_free (port->label);
  g_free (port);
}

static void
add_port (GPtrArray *ports, AfsPortDirection dir, const char *name,
          const char *label, AfsPortType type, gboolean multi)
{
  AfsPort *port = g_new0 (AfsPort, 1);

  port->name = g_intern_string (name);
  port->label = g_strdup (label);
  port->type = type;
  port->direction = dir;
  port->multi = multi;
  g_ptr_array_add (ports, port);
}

#define IN(p, n, l, t) add_port (p, AFS_PORT_INPUT, n, l, t, FALSE)
#define OUT(p, n, l, t) add_port (p, AFS_PORT_OUTPUT, n, l, t, FALSE)

char **
afs_extract_placeholders (const char *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *p = text;

  while (p && (p = strchr (p, '{')))
    {
      const char *end = p + 1;

      while (g_ascii_isalnum (*end) || *end == '_')
        end++;
      if (*end == '}' && end > p + 1)
        {
          char *name = g_strndup (p + 1, end - p - 1);

          if (!g_hash_table_contains (seen, name))
            {
              g_strv_builder_add (builder, name);
              g_hash_table_add (seen, name);
            }
          else
            g_free (name);
        }
      p = end;
    }
  return g_strv_builder_end (builder);
}

/* Placeholder inputs of chat completions and the LM judge: one text/list
 * input per distinct {name} in the message contents. */
static void
placeholder_ports (JsonObject *settings, GPtrArray *in, const char * const *skip)
{
  JsonArray *messages = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (json_object_has_member (settings, "messages") &&
      JSON_NODE_HOLDS_ARRAY (json_object_get_member (settings, "messages")))
    messages = json_object_get_array_member (settings, "messages");
  for (guint i = 0; messages && i < json_array_get_length (messages); i++)
    {
      JsonNode *m = json_array_get_element (messages, i);
      const char *content;
      g_auto(GStrv) names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        continue;
      content = json_object_get_string_member_with_default (json_node_get_object (m), "content", "");
      names = afs_extract_placeholders (content);
      for (guint j = 0; names[j]; j++)
        {
          const char *name = g_intern_string (names[j]);

          if (g_hash_table_contains (seen, name) || (skip && g_strv_contains (skip, name)))
            continue;
          g_hash_table_add (seen, (gpointer) name);
          IN (in, name, name, AFS_PORT_TEXT | AFS_PORT_LIST);
        }
    }
}

static void
data_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  OUT (out, "output", _("value"), AFS_PORT_ANY);
}

static void
add_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  IN (in, "x", "x", AFS_PORT_ANY);
  IN (in, "y", "y", AFS_PORT_ANY);
  OUT (out, "output", _("sum"), AFS_PORT_ANY);
}

static void
sum_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  add_port (in, AFS_PORT_INPUT, "xs", _("items"), AFS_PORT_ANY, TRUE);
  OUT (out, "output", _("sum"), AFS_PORT_ANY);
}

static void
split_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  gint64 parts = json_object_get_int_member_with_default (s, "parts", 2);

  IN (in, "x", _("text"), AFS_PORT_TEXT | AFS_PORT_LIST);
  for (gint64 i = 0; i < CLAMP (parts, 1, 64); i++)
    {
      g_autofree char *name = g_strdup_printf ("part%" G_GINT64_FORMAT, i);
      g_autofree char *label = g_strdup_printf (_("part %" G_GINT64_FORMAT), i);

      OUT (out, name, label, AFS_PORT_TEXT | AFS_PORT_LIST);
    }
}

static void
chat_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  static const char * const skip[] = { "prompt", NULL };

  IN (in, "prompt", _("prompt"), AFS_PORT_TEXT);
  placeholder_ports (s, in, skip);
  OUT (out, "output", _("response"), AFS_PORT_TEXT | AFS_PORT_LIST);
}

static void
evaluator_outputs (GPtrArray *out)
{
  OUT (out, "score", _("score"), AFS_PORT_SCORE | AFS_PORT_NUMBER);
  OUT (out, "explanation", _("explanation"), AFS_PORT_EXPLANATION | AFS_PORT_TEXT);
}

static void
evaluator_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  IN (in, "prediction", _("prediction"), AFS_PORT_TEXT | AFS_PORT_NUMBER | AFS_PORT_LIST);
  IN (in, "target", _("target"), AFS_PORT_TEXT | AFS_PORT_NUMBER | AFS_PORT_LIST);
  evaluator_outputs (out);
}

static void
judge_ports (JsonObject *s, GPtrArray *in, GPtrArray *out)
{
  static const char * const skip[] = { "prediction", "target", NULL };

  IN (in, "prediction", _("prediction"), AFS_PORT_TEXT | AFS_PORT_NUMBER | AFS_PORT_LIST);
  IN (in, "target", _("target"), AFS_PORT_TEXT | AFS_PORT_NUMBER | AFS_PORT_LIST);
  placeholder_ports (s, in, skip);
  evaluator_outputs (out);
}

/* ---- Defaults ---- */

static void
variable_defaults (JsonObject *o)
{
  json_object_set_string_member (o, "data", "");
  json_object_set_string_member (o, "role", "");
  json_object_set_boolean_member (o, "requires_grad", FALSE);
}

static void
parameter_defaults (JsonObject *o)
{
  variable_defaults (o);
  json_object_set_boolean_member (o, "requires_grad", TRUE);
}

static void
no_defaults (JsonObject *o)
{
}

static void
split_defaults (JsonObject *o)
{
  json_object_set_null_member (o, "sep");
  json_object_set_int_member (o, "maxsplit", -1);
  json_object_set_int_member (o, "parts", 2);
}

static void
add_message (JsonArray *messages, const char *role, const char *content)
{
  JsonObject *m = json_object_new ();

  json_object_set_string_member (m, "role", role);
  json_object_set_string_member (m, "content", content);
  json_array_add_object_element (messages, m);
}

static void
chat_defaults (JsonObject *o)
{
  JsonArray *messages = json_array_new ();

  add_message (messages, "user", "{input}");
  json_object_set_string_member (o, "model", "openai/gpt-4o");
  json_object_set_double_member (o, "temperature", 0.0);
  json_object_set_array_member (o, "messages", messages);
}

static void
reduction_defaults (JsonObject *o)
{
  json_object_set_string_member (o, "reduction", "sum");
  json_object_set_string_member (o, "reduction_purpose", "summation");
}

static void
deterministic_defaults (JsonObject *o)
{
  json_object_set_string_member (o, "eval_fn", "exact_match");
  json_object_set_string_member (o, "eval_fn_purpose", "exact match");
  json_object_set_string_member (o, "success_fn", "all_equal_one");
  reduction_defaults (o);
}

static void
judge_defaults (JsonObject *o)
{
  JsonArray *messages = json_array_new ();

  add_message (messages, "system",
               "You are a strict judge. Score the prediction 1 if it matches the target, else 0, and explain.");
  add_message (messages, "user", "Prediction: {prediction}\nTarget: {target}");
  json_object_set_string_member (o, "model", "openai/gpt-4o");
  json_object_set_double_member (o, "temperature", 0.0);
  json_object_set_array_member (o, "messages", messages);
  json_object_set_boolean_member (o, "eval_mode", TRUE);
  json_object_set_string_member (o, "success_fn", "all_equal_one");
  reduction_defaults (o);
}

/* ---- The table ---- */

static const SettingSpec data_settings[] = {
  { "data", SETTING_DATA }, { "role", SETTING_STRING }, { "requires_grad", SETTING_BOOL }, { NULL },
};
static const SettingSpec no_settings[] = { { NULL } };
static const SettingSpec split_settings[] = {
  { "sep", SETTING_STRING_OR_NULL }, { "maxsplit", SETTING_INT }, { "parts", SETTING_INT }, { NULL },
};
static const SettingSpec chat_settings[] = {
  { "model", SETTING_STRING }, { "temperature", SETTING_NUMBER }, { "messages", SETTING_MESSAGES }, { NULL },
};
static const SettingSpec exact_settings[] = {
  { "reduction", SETTING_REDUCTION }, { "reduction_purpose", SETTING_STRING }, { NULL },
};
static const SettingSpec deterministic_settings[] = {
  { "eval_fn", SETTING_STRING }, { "eval_fn_purpose", SETTING_STRING },
  { "success_fn", SETTING_STRING }, { "reduction", SETTING_REDUCTION },
  { "reduction_purpose", SETTING_STRING }, { NULL },
};
static const SettingSpec judge_settings[] = {
  { "model", SETTING_STRING }, { "temperature", SETTING_NUMBER }, { "messages", SETTING_MESSAGES },
  { "eval_mode", SETTING_BOOL }, { "success_fn", SETTING_STRING },
  { "reduction", SETTING_REDUCTION }, { "reduction_purpose", SETTING_STRING }, { NULL },
};

static const KindSpec kinds[] = {
  { "variable", N_("Variable"), N_("Text, a number or a list of them, with a role"),
    "input data value constant text", TRUE, data_settings, variable_defaults, data_ports },
  { "parameter", N_("Parameter"), N_("A Variable an optimizer may change, such as a prompt"),
    "prompt trainable optimizable learnable", TRUE, data_settings, parameter_defaults, data_ports },
  { "add", N_("Add"), N_("Concatenates text, adds numbers or lists element by element"),
    "plus concat concatenate join +", FALSE, no_settings, no_defaults, add_ports },
  { "sum", N_("Sum"), N_("Adds many inputs; text becomes <ITEM> blocks"),
    "aggregate combine many items total", FALSE, no_settings, no_defaults, sum_ports },
  { "split", N_("Split"), N_("Splits text like Python's str.split"),
    "separate parts tokenize words", FALSE, split_settings, split_defaults, split_ports },
  { "chat_completion", N_("Chat Completion"), N_("Asks a language model; {placeholders} become inputs"),
    "llm model gpt prompt openai chat completion language", FALSE, chat_settings, chat_defaults, chat_ports },
  { "exact_match_evaluator", N_("Exact Match Evaluator"), N_("Scores 1 per exact match, with an explanation"),
    "evaluate score loss equal compare", FALSE, exact_settings, reduction_defaults, evaluator_ports },
  { "deterministic_evaluator", N_("Deterministic Evaluator"), N_("Scores with a named function, with an explanation"),
    "evaluate score loss function compare", FALSE, deterministic_settings, deterministic_defaults, evaluator_ports },
  { "lm_judge_evaluator", N_("LM Judge Evaluator"), N_("A language model scores and explains"),
    "evaluate score loss llm judge model", FALSE, judge_settings, judge_defaults, judge_ports },
};

static void
afs_node_kind_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsNodeKind *self = AFS_NODE_KIND (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->spec->id); break;
    case PROP_NAME: g_value_set_string (value, afs_node_kind_get_name (self)); break;
    case PROP_DESCRIPTION: g_value_set_string (value, afs_node_kind_get_description (self)); break;
    case PROP_KEYWORDS: g_value_set_string (value, self->spec->keywords); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_node_kind_class_init (AfsNodeKindClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = afs_node_kind_get_property;
  props[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_KEYWORDS] = g_param_spec_string ("keywords", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afs_node_kind_init (AfsNodeKind *self)
{
}

GListModel *
afs_node_kind_list (void)
{
  static GListStore *store;

  if (g_once_init_enter (&store))
    {
      GListStore *s = g_list_store_new (AFS_TYPE_NODE_KIND);

      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        {
          g_autoptr(AfsNodeKind) kind = g_object_new (AFS_TYPE_NODE_KIND, NULL);

          kind->spec = &kinds[i];
          g_list_store_append (s, kind);
        }
      g_once_init_leave (&store, s);
    }
  return G_LIST_MODEL (store);
}

AfsNodeKind *
afs_node_kind_lookup (const char *id)
{
  GListModel *list = afs_node_kind_list ();

  for (guint i = 0; id && i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kinds[i].id, id))
      {
        g_autoptr(AfsNodeKind) kind = g_list_model_get_item (list, i);
        return kind;  /* the store keeps it alive */
      }
  return NULL;
}

const char *afs_node_kind_get_id (AfsNodeKind *self) { return self->spec->id; }
const char *afs_node_kind_get_name (AfsNodeKind *self) { return _(self->spec->name); }
const char *afs_node_kind_get_description (AfsNodeKind *self) { return _(self->spec->description); }
const char *afs_node_kind_get_keywords (AfsNodeKind *self) { return self->spec->keywords; }
gboolean afs_node_kind_is_data (AfsNodeKind *self) { return self->spec->is_data; }

JsonObject *
afs_node_kind_default_settings (AfsNodeKind *self)
{
  JsonObject *o = json_object_new ();

  self->spec->defaults (o);
  return o;
}

void
afs_node_kind_compute_ports (AfsNodeKind *self, JsonObject *settings,
                             GPtrArray **inputs, GPtrArray **outputs)
{
  *inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) afs_port_free);
  *outputs = g_ptr_array_new_with_free_func ((GDestroyNotify) afs_port_free);
  self->spec->ports (settings, *inputs, *outputs);
}

gboolean
afs_node_kind_has_compatible_port (AfsNodeKind *self, AfsPortDirection dir, AfsPortType type)
{
  g_autoptr(JsonObject) settings = afs_node_kind_default_settings (self);
  g_autoptr(GPtrArray) in = NULL;
  g_autoptr(GPtrArray) out = NULL;
  GPtrArray *ports;

  afs_node_kind_compute_ports (self, settings, &in, &out);
  ports = dir == AFS_PORT_INPUT ? in : out;
  for (guint i = 0; i < ports->len; i++)
    {
      AfsPort *p = g_ptr_array_index (ports, i);

      if (dir == AFS_PORT_INPUT ? afs_port_type_compatible (type, p->type)
                                : afs_port_type_compatible (p->type, type))
        return TRUE;
    }
  return FALSE;
}

/* ---- Validation ---- */

static gboolean
is_number (JsonNode *n)
{
  GType t;

  if (!JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  t = json_node_get_value_type (n);
  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static gboolean
is_string (JsonNode *n)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING;
}

static gboolean
is_bool (JsonNode *n)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN;
}

static gboolean
invalid (GError **error, const char *key, const char *message)
{
  g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_INVALID_SETTING,
               /* Translators: "role: must be text" */
               _("%s: %s"), key, message);
  return FALSE;
}

static gboolean
validate_data (const char *key, JsonNode *value, GError **error)
{
  JsonArray *array;
  gboolean text = FALSE;

  if (is_string (value) || is_number (value))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (value))
    return invalid (error, key, _("must be text, a number, or a list of them"));
  array = json_node_get_array (value);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!is_string (item) && !is_number (item))
        {
          g_autofree char *msg = g_strdup_printf (_("item %u is neither text nor a number"), i + 1);
          return invalid (error, key, msg);
        }
      if (i == 0)
        text = is_string (item);
      else if (text != is_string (item))
        {
          g_autofree char *msg =
            g_strdup_printf (_("a list must hold only text or only numbers, but item 1 is %s and item %u is %s"),
                             text ? _("text") : _("a number"), i + 1,
                             is_string (item) ? _("text") : _("a number"));
          return invalid (error, key, msg);
        }
    }
  return TRUE;
}

static gboolean
validate_messages (const char *key, JsonNode *value, GError **error)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (value))
    return invalid (error, key, _("must be a list of messages"));
  array = json_node_get_array (value);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *m = json_array_get_element (array, i);
      JsonObject *o;
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        return invalid (error, key, _("each message must have a role and a content"));
      o = json_node_get_object (m);
      role = json_object_has_member (o, "role") && is_string (json_object_get_member (o, "role"))
             ? json_object_get_string_member (o, "role") : NULL;
      if (!role || !(g_str_equal (role, "system") || g_str_equal (role, "user") || g_str_equal (role, "assistant")))
        {
          g_autofree char *msg = g_strdup_printf (_("message %u: the role must be system, user or assistant"), i + 1);
          return invalid (error, key, msg);
        }
      if (!json_object_has_member (o, "content") || !is_string (json_object_get_member (o, "content")))
        {
          g_autofree char *msg = g_strdup_printf (_("message %u: the content must be text"), i + 1);
          return invalid (error, key, msg);
        }
    }
  return TRUE;
}

static gboolean
validate_typed (const char *key, SettingType type, JsonNode *value, GError **error)
{
  switch (type)
    {
    case SETTING_STRING:
      return is_string (value) || invalid (error, key, _("must be text"));
    case SETTING_STRING_OR_NULL:
      return JSON_NODE_HOLDS_NULL (value) || is_string (value) || invalid (error, key, _("must be text or empty"));
    case SETTING_BOOL:
      return is_bool (value) || invalid (error, key, _("must be true or false"));
    case SETTING_INT:
      return (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64)
             || invalid (error, key, _("must be a whole number"));
    case SETTING_NUMBER:
      return is_number (value) || invalid (error, key, _("must be a number"));
    case SETTING_DATA:
      return validate_data (key, value, error);
    case SETTING_MESSAGES:
      return validate_messages (key, value, error);
    case SETTING_REDUCTION:
      if (is_string (value) && (g_str_equal (json_node_get_string (value), "sum") ||
                                g_str_equal (json_node_get_string (value), "mean")))
        return TRUE;
      return invalid (error, key, _("must be sum or mean"));
    default:
      g_assert_not_reached ();
    }
}

/* Range checks beyond the JSON type. */
static gboolean
validate_range (const char *key, JsonNode *value, GError **error)
{
  if (g_str_equal (key, "parts") && (json_node_get_int (value) < 1 || json_node_get_int (value) > 64))
    return invalid (error, key, _("must be between 1 and 64"));
  if (g_str_equal (key, "maxsplit") && json_node_get_int (value) < -1)
    return invalid (error, key, _("must be -1 (no limit) or more"));
  if (g_str_equal (key, "temperature") &&
      (json_node_get_double (value) < 0 || json_node_get_double (value) > 2))
    return invalid (error, key, _("must be between 0 and 2"));
  return TRUE;
}

gboolean
afs_node_kind_validate_setting (AfsNodeKind *self, const char *key, JsonNode *value, GError **error)
{
  g_return_val_if_fail (AFS_IS_NODE_KIND (self), FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);

  for (const SettingSpec *s = self->spec->settings; s->key; s++)
    if (g_str_equal (s->key, key))
      return validate_typed (key, s->type, value, error) && validate_range (key, value, error);

  g_set_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_INVALID_SETTING,
               _("%s has no setting named “%s”"), afs_node_kind_get_name (self), key);
  return FALSE;
}
