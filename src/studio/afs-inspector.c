/* afs-inspector.c: side panel editing the selected node's settings. Every
 * apply is one call to afs_document_set_setting(), so one undo step, and a
 * value that fails to parse or validate is shown in place, never applied.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include "afs-inspector.h"
#include "afs-widgets.h"

typedef enum {
  FIELD_TEXT,
  FIELD_NULLABLE_TEXT,
  FIELD_INT,
  FIELD_NUMBER,
  FIELD_BOOL,
  FIELD_REDUCTION,
  FIELD_DATA,
  FIELD_MESSAGES,
} FieldType;

typedef enum {
  DATA_TEXT,
  DATA_NUMBER,
  DATA_LIST,
} DataMode;

typedef struct {
  AfsInspector *self;
  char *key;
  FieldType type;
  GtkWidget *row;          /* entry row, switch row or combo row */
  GtkWidget *toggle;       /* the switch of a bool field */
  GtkWidget *error;
  /* data */
  GtkWidget *mode_row;
  GtkWidget *data_stack;
  GtkWidget *text_view;
  GtkWidget *list;         /* GtkListBox of item entry rows */
  /* messages */
  GtkWidget *messages;     /* GtkBox of message editors */
} Field;

struct _AfsInspector
{
  AdwBin parent_instance;

  GtkWidget *stack;
  GtkWidget *multi_page;
  GtkWidget *title_label;
  GtkWidget *kind_label;
  GtkWidget *fields_box;

  AfsCanvas *canvas;
  AfsDocument *document;
  guint node_id;
  GPtrArray *fields;
  gboolean applying;
};

G_DEFINE_FINAL_TYPE (AfsInspector, afs_inspector, ADW_TYPE_BIN)

enum { PROP_0, PROP_CANVAS, N_PROPS };
static GParamSpec *props[N_PROPS];

static void rebuild (AfsInspector *self);

/* ---- Helpers ---- */

static void
field_free (Field *f)
{
  g_free (f->key);
  g_free (f);
}

static FieldType
field_type_for (const char *key)
{
  static const struct { const char *key; FieldType type; } types[] = {
    { "data", FIELD_DATA }, { "messages", FIELD_MESSAGES },
    { "requires_grad", FIELD_BOOL }, { "eval_mode", FIELD_BOOL },
    { "reduction", FIELD_REDUCTION }, { "maxsplit", FIELD_INT }, { "parts", FIELD_INT },
    { "temperature", FIELD_NUMBER }, { "sep", FIELD_NULLABLE_TEXT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_equal (types[i].key, key))
      return types[i].type;
  return FIELD_TEXT;
}

static const char *
field_title (const char *key)
{
  static const struct { const char *key; const char *title; } titles[] = {
    { "data", N_("Data") }, { "role", N_("Role") }, { "requires_grad", N_("Requires Grad") },
    { "sep", N_("Separator (empty: white space)") }, { "maxsplit", N_("Max Splits (-1: no limit)") },
    { "parts", N_("Outputs Shown") }, { "model", N_("Model") }, { "temperature", N_("Temperature") },
    { "messages", N_("Messages") }, { "reduction", N_("Reduction") },
    { "reduction_purpose", N_("Reduction Purpose") }, { "eval_fn", N_("Scoring Function") },
    { "eval_fn_purpose", N_("Scoring Purpose") }, { "success_fn", N_("Success Function") },
    { "eval_mode", N_("Evaluation Mode (feedback to the prediction only)") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (titles[i].key, key))
      return _(titles[i].title);
  return key;
}

static Field *
find_field (AfsInspector *self, const char *key)
{
  for (guint i = 0; self->fields && i < self->fields->len; i++)
    if (g_str_equal (((Field *) self->fields->pdata[i])->key, key))
      return self->fields->pdata[i];
  return NULL;
}

static AfsGraphNode *
current_node (AfsInspector *self)
{
  return self->document && self->node_id ? afs_document_get_node (self->document, self->node_id) : NULL;
}

static void
show_error (Field *f, const char *message)
{
  gtk_label_set_text (GTK_LABEL (f->error), message ? message : "");
  gtk_widget_set_visible (f->error, message != NULL);
  if (f->row)
    {
      if (message)
        gtk_widget_add_css_class (f->row, "error");
      else
        gtk_widget_remove_css_class (f->row, "error");
    }
}

static char *
text_view_get (GtkWidget *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* ---- Parsing what the user typed ---- */

static JsonNode *
string_node (const char *s)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (n, s);
  return n;
}

/* A whole number or a decimal; NULL when @text is neither. */
static JsonNode *
parse_number (const char *text, gboolean integer)
{
  g_autofree char *t = g_strstrip (g_strdup (text));
  char *end = NULL;
  JsonNode *n;

  if (!*t)
    return NULL;
  if (integer || !strpbrk (t, ".eE"))
    {
      gint64 i = g_ascii_strtoll (t, &end, 10);

      if (*end == '\0')
        {
          n = json_node_new (JSON_NODE_VALUE);
          json_node_set_int (n, i);
          return n;
        }
      if (integer)
        return NULL;
    }
  {
    double d = g_ascii_strtod (t, &end);

    if (*end != '\0' || !isfinite (d))
      return NULL;
    n = json_node_new (JSON_NODE_VALUE);
    json_node_set_double (n, d);
    return n;
  }
}

/* A list item: "quoted" is always text, a number is a number, else text. */
static JsonNode *
parse_item (const char *text)
{
  gsize len = strlen (text);
  JsonNode *number;

  if (len >= 2 && text[0] == '"' && text[len - 1] == '"')
    {
      g_autofree char *inner = g_strndup (text + 1, len - 2);
      return string_node (inner);
    }
  number = parse_number (text, FALSE);
  return number ? number : string_node (text);
}

/* ---- Applying ---- */

static gboolean
apply_value (Field *f, JsonNode *value)
{
  AfsInspector *self = f->self;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (!current_node (self))
    return FALSE;
  self->applying = TRUE;
  ok = afs_document_set_setting (self->document, self->node_id, f->key, value, &error);
  self->applying = FALSE;
  show_error (f, ok ? NULL : error->message);
  return ok;
}

static DataMode
data_mode (Field *f)
{
  return adw_combo_row_get_selected (ADW_COMBO_ROW (f->mode_row));
}

static JsonNode *
collect_list (Field *f)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (GtkWidget *c = gtk_widget_get_first_child (f->list); c; c = gtk_widget_get_next_sibling (c))
    if (ADW_IS_ENTRY_ROW (c))
      json_array_add_element (array, parse_item (gtk_editable_get_text (GTK_EDITABLE (c))));
  json_node_take_array (node, array);
  return node;
}

static gboolean
apply_data (Field *f)
{
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *text = NULL;

  switch (data_mode (f))
    {
    case DATA_TEXT:
      text = text_view_get (f->text_view);
      value = string_node (text);
      break;
    case DATA_NUMBER:
      value = parse_number (gtk_editable_get_text (GTK_EDITABLE (f->row)), FALSE);
      if (!value)
        {
          g_autofree char *msg = g_strdup_printf (_("“%s” is not a number"),
                                                  gtk_editable_get_text (GTK_EDITABLE (f->row)));
          show_error (f, msg);
          return FALSE;
        }
      break;
    case DATA_LIST:
    default:
      value = collect_list (f);
      break;
    }
  return apply_value (f, value);
}

static JsonNode *
collect_messages (Field *f)
{
  static const char *roles[] = { "system", "user", "assistant" };
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (GtkWidget *c = gtk_widget_get_first_child (f->messages); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *role = g_object_get_data (G_OBJECT (c), "role");
      GtkWidget *view = g_object_get_data (G_OBJECT (c), "content");
      JsonObject *m;
      g_autofree char *content = NULL;

      if (!role || !view)
        continue;
      m = json_object_new ();
      content = text_view_get (view);
      json_object_set_string_member (m, "role", roles[MIN (gtk_drop_down_get_selected (GTK_DROP_DOWN (role)), 2)]);
      json_object_set_string_member (m, "content", content);
      json_array_add_object_element (array, m);
    }
  json_node_take_array (node, array);
  return node;
}

static gboolean
apply_field (Field *f)
{
  g_autoptr(JsonNode) value = NULL;
  const char *text;

  switch (f->type)
    {
    case FIELD_DATA:
      return apply_data (f);
    case FIELD_MESSAGES:
      value = collect_messages (f);
      return apply_value (f, value);
    case FIELD_BOOL:
      value = json_node_new (JSON_NODE_VALUE);
      json_node_set_boolean (value, gtk_switch_get_active (GTK_SWITCH (f->toggle)));
      return apply_value (f, value);
    case FIELD_REDUCTION:
      value = string_node (adw_combo_row_get_selected (ADW_COMBO_ROW (f->row)) == 1 ? "mean" : "sum");
      return apply_value (f, value);
    case FIELD_INT:
    case FIELD_NUMBER:
      text = gtk_editable_get_text (GTK_EDITABLE (f->row));
      value = parse_number (text, f->type == FIELD_INT);
      if (!value)
        {
          g_autofree char *msg = g_strdup_printf (f->type == FIELD_INT ? _("“%s” is not a whole number")
                                                                       : _("“%s” is not a number"), text);
          show_error (f, msg);
          return FALSE;
        }
      return apply_value (f, value);
    case FIELD_NULLABLE_TEXT:
      text = gtk_editable_get_text (GTK_EDITABLE (f->row));
      value = *text ? string_node (text) : json_node_new (JSON_NODE_NULL);
      return apply_value (f, value);
    case FIELD_TEXT:
    default:
      value = string_node (gtk_editable_get_text (GTK_EDITABLE (f->row)));
      return apply_value (f, value);
    }
}

static void
apply_cb (GtkWidget *widget, Field *f)
{
  apply_field (f);
}

/* ---- {placeholder} highlighting ---- */

static void
highlight_placeholders (GtkTextBuffer *buffer, GtkWidget *view)
{
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  GtkTextTag *tag;
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);
  const char *p;

  tag = gtk_text_tag_table_lookup (table, "placeholder");
  if (!tag)
    {
      GdkRGBA accent;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (view), "accent_color", &accent))
        gdk_rgba_parse (&accent, "#1c71d8");
      G_GNUC_END_IGNORE_DEPRECATIONS
      tag = gtk_text_buffer_create_tag (buffer, "placeholder", "weight", PANGO_WEIGHT_BOLD,
                                        "foreground-rgba", &accent, NULL);
    }
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag (buffer, tag, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  for (p = strchr (text, '{'); p; p = strchr (p + 1, '{'))
    {
      const char *q = p + 1;
      GtkTextIter a, b;

      while (g_ascii_isalnum (*q) || *q == '_')
        q++;
      if (*q != '}' || q == p + 1)
        continue;
      gtk_text_buffer_get_iter_at_offset (buffer, &a, g_utf8_pointer_to_offset (text, p));
      gtk_text_buffer_get_iter_at_offset (buffer, &b, g_utf8_pointer_to_offset (text, q + 1));
      gtk_text_buffer_apply_tag (buffer, tag, &a, &b);
    }
}

static gboolean
text_key_cb (GtkEventControllerKey *controller, guint keyval, guint keycode,
             GdkModifierType state, Field *f)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && (state & GDK_CONTROL_MASK))
    {
      apply_field (f);
      return TRUE;
    }
  return FALSE;
}

static GtkWidget *
make_text_view (Field *f, const char *text, const char *label)
{
  GtkWidget *view = gtk_text_view_new ();
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 8);
  gtk_widget_set_size_request (view, -1, 90);
  gtk_widget_add_css_class (view, "card");
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  g_signal_connect (buffer, "changed", G_CALLBACK (highlight_placeholders), view);
  gtk_text_buffer_set_text (buffer, text, -1);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (text_key_cb), f);
  gtk_widget_add_controller (view, keys);
  return view;
}

static GtkWidget *
apply_button (Field *f, const char *label)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_halign (button, GTK_ALIGN_END);
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_tooltip_text (button, _("Apply (Ctrl+Enter)"));
  g_signal_connect (button, "clicked", G_CALLBACK (apply_cb), f);
  return button;
}

/* ---- Editors ---- */

static GtkWidget *
boxed_list (GtkWidget *child)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  if (child)
    gtk_list_box_append (GTK_LIST_BOX (list), child);
  return list;
}

static void
entry_row_apply_cb (AdwEntryRow *row, Field *f)
{
  apply_field (f);
}

static char *
json_to_text (JsonNode *n)
{
  if (!n || JSON_NODE_HOLDS_NULL (n))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (n));
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (n));
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_DOUBLE)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (n)));
    }
  return json_to_string (n, FALSE);
}

static GtkWidget *
make_entry_row (Field *f, const char *title, JsonNode *value)
{
  GtkWidget *row = adw_entry_row_new ();
  g_autofree char *text = json_to_text (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (row), TRUE);
  g_signal_connect (row, "apply", G_CALLBACK (entry_row_apply_cb), f);
  g_signal_connect (row, "entry-activated", G_CALLBACK (entry_row_apply_cb), f);
  return row;
}

static void
switch_cb (GtkSwitch *toggle, GParamSpec *pspec, Field *f)
{
  if (!f->self->applying)
    apply_field (f);
}

static void
combo_cb (AdwComboRow *row, GParamSpec *pspec, Field *f)
{
  if (!f->self->applying)
    apply_field (f);
}

static GtkWidget *
make_simple_editor (Field *f, JsonNode *value)
{
  const char *title = field_title (f->key);

  switch (f->type)
    {
    case FIELD_BOOL:
      f->row = adw_action_row_new ();
      f->toggle = gtk_switch_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (f->row), title);
      gtk_widget_set_valign (f->toggle, GTK_ALIGN_CENTER);
      gtk_switch_set_active (GTK_SWITCH (f->toggle), value && JSON_NODE_HOLDS_VALUE (value) &&
                                                     json_node_get_value_type (value) == G_TYPE_BOOLEAN &&
                                                     json_node_get_boolean (value));
      adw_action_row_add_suffix (ADW_ACTION_ROW (f->row), f->toggle);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (f->row), f->toggle);
      g_signal_connect (f->toggle, "notify::active", G_CALLBACK (switch_cb), f);
      break;
    case FIELD_REDUCTION:
      {
        const char *items[] = { "sum", "mean", NULL };
        g_autoptr(GtkStringList) model = gtk_string_list_new (items);

        f->row = adw_combo_row_new ();
        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (f->row), title);
        adw_combo_row_set_model (ADW_COMBO_ROW (f->row), G_LIST_MODEL (model));
        adw_combo_row_set_selected (ADW_COMBO_ROW (f->row),
                                    value && JSON_NODE_HOLDS_VALUE (value) &&
                                    g_strcmp0 (json_node_get_string (value), "mean") == 0);
        g_signal_connect (f->row, "notify::selected", G_CALLBACK (combo_cb), f);
      }
      break;
    case FIELD_TEXT:
    case FIELD_NULLABLE_TEXT:
    case FIELD_INT:
    case FIELD_NUMBER:
    case FIELD_DATA:
    case FIELD_MESSAGES:
    default:
      f->row = make_entry_row (f, title, value);
      break;
    }
  return boxed_list (f->row);
}

static void
remove_row_cb (GtkButton *button, GtkWidget *row)
{
  gtk_list_box_remove (GTK_LIST_BOX (gtk_widget_get_parent (row)), row);
}

static void
add_list_item (Field *f, const char *text)
{
  GtkWidget *row = adw_entry_row_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
  g_autofree char *title = g_strdup_printf (_("Item"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove Item"));
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_row_cb), row);
  adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), remove);
  g_signal_connect (row, "entry-activated", G_CALLBACK (entry_row_apply_cb), f);
  gtk_list_box_append (GTK_LIST_BOX (f->list), row);
}

static void
add_item_cb (GtkButton *button, Field *f)
{
  add_list_item (f, "");
}

static void
clear_list (Field *f)
{
  GtkWidget *c;

  while ((c = gtk_widget_get_first_child (f->list)))
    gtk_list_box_remove (GTK_LIST_BOX (f->list), c);
}

static void
fill_list (Field *f, JsonNode *value)
{
  clear_list (f);
  if (value && JSON_NODE_HOLDS_ARRAY (value))
    {
      JsonArray *a = json_node_get_array (value);

      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          g_autofree char *t = json_to_text (json_array_get_element (a, i));
          add_list_item (f, t);
        }
    }
}

static void
mode_changed_cb (AdwComboRow *row, GParamSpec *pspec, Field *f)
{
  static const char *pages[] = { "text", "number", "list" };

  gtk_stack_set_visible_child_name (GTK_STACK (f->data_stack), pages[MIN (data_mode (f), 2)]);
  show_error (f, NULL);
}

static DataMode
mode_of (JsonNode *value)
{
  if (value && JSON_NODE_HOLDS_ARRAY (value))
    return DATA_LIST;
  if (value && JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) != G_TYPE_STRING)
    return DATA_NUMBER;
  return DATA_TEXT;
}

static GtkWidget *
make_data_editor (Field *f, JsonNode *value)
{
  const char *modes[] = { N_("Text"), N_("Number"), N_("List"), NULL };
  const char *translated[] = { _(modes[0]), _(modes[1]), _(modes[2]), NULL };
  g_autoptr(GtkStringList) model = gtk_string_list_new (translated);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *list_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *text_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *add = gtk_button_new_with_mnemonic (_("_Add Item"));
  g_autofree char *text = mode_of (value) == DATA_TEXT ? json_to_text (value) : g_strdup ("");
  g_autofree char *number = mode_of (value) == DATA_NUMBER ? json_to_text (value) : g_strdup ("");

  f->mode_row = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (f->mode_row), _("Data"));
  adw_combo_row_set_model (ADW_COMBO_ROW (f->mode_row), G_LIST_MODEL (model));
  gtk_box_append (GTK_BOX (box), boxed_list (f->mode_row));

  f->data_stack = gtk_stack_new ();
  gtk_stack_set_vhomogeneous (GTK_STACK (f->data_stack), FALSE);
  f->text_view = make_text_view (f, text, _("Data"));
  gtk_box_append (GTK_BOX (text_box), f->text_view);
  gtk_box_append (GTK_BOX (text_box), apply_button (f, _("_Apply")));
  gtk_stack_add_named (GTK_STACK (f->data_stack), text_box, "text");

  f->row = make_entry_row (f, _("Number"), NULL);
  gtk_editable_set_text (GTK_EDITABLE (f->row), number);
  gtk_stack_add_named (GTK_STACK (f->data_stack), boxed_list (f->row), "number");

  f->list = boxed_list (NULL);
  fill_list (f, value);
  g_signal_connect (add, "clicked", G_CALLBACK (add_item_cb), f);
  gtk_box_append (GTK_BOX (buttons), add);
  gtk_widget_set_hexpand (add, TRUE);
  gtk_widget_set_halign (add, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (buttons), apply_button (f, _("_Apply")));
  gtk_box_append (GTK_BOX (list_box), f->list);
  gtk_box_append (GTK_BOX (list_box), buttons);
  gtk_stack_add_named (GTK_STACK (f->data_stack), list_box, "list");

  adw_combo_row_set_selected (ADW_COMBO_ROW (f->mode_row), mode_of (value));
  g_signal_connect (f->mode_row, "notify::selected", G_CALLBACK (mode_changed_cb), f);
  mode_changed_cb (NULL, NULL, f);
  gtk_box_append (GTK_BOX (box), f->data_stack);
  return box;
}

static void
remove_message_cb (GtkButton *button, GtkWidget *editor)
{
  gtk_box_remove (GTK_BOX (gtk_widget_get_parent (editor)), editor);
}

static void
add_message (Field *f, const char *role, const char *content)
{
  const char *roles[] = { "system", "user", "assistant", NULL };
  GtkWidget *editor = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *drop = gtk_drop_down_new_from_strings (roles);
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  GtkWidget *view = make_text_view (f, content, _("Message content"));
  guint selected = 1;

  for (guint i = 0; roles[i]; i++)
    if (g_strcmp0 (roles[i], role) == 0)
      selected = i;
  gtk_drop_down_set_selected (GTK_DROP_DOWN (drop), selected);
  gtk_accessible_update_property (GTK_ACCESSIBLE (drop), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Message role"), -1);
  gtk_widget_set_hexpand (drop, TRUE);
  gtk_widget_set_halign (drop, GTK_ALIGN_START);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove Message"));
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_message_cb), editor);
  gtk_box_append (GTK_BOX (header), drop);
  gtk_box_append (GTK_BOX (header), remove);
  gtk_box_append (GTK_BOX (editor), header);
  gtk_box_append (GTK_BOX (editor), view);
  g_object_set_data (G_OBJECT (editor), "role", drop);
  g_object_set_data (G_OBJECT (editor), "content", view);
  gtk_box_append (GTK_BOX (f->messages), editor);
}

static void
add_message_cb (GtkButton *button, Field *f)
{
  add_message (f, "user", "");
}

static void
fill_messages (Field *f, JsonNode *value)
{
  GtkWidget *c;

  while ((c = gtk_widget_get_first_child (f->messages)))
    gtk_box_remove (GTK_BOX (f->messages), c);
  if (!value || !JSON_NODE_HOLDS_ARRAY (value))
    return;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (value)); i++)
    {
      JsonObject *m = json_array_get_object_element (json_node_get_array (value), i);

      add_message (f, json_object_get_string_member_with_default (m, "role", "user"),
                   json_object_get_string_member_with_default (m, "content", ""));
    }
}

static GtkWidget *
make_messages_editor (Field *f, JsonNode *value)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (field_title (f->key));
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *add = gtk_button_new_with_mnemonic (_("Add _Message"));

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "heading");
  f->messages = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  fill_messages (f, value);
  g_signal_connect (add, "clicked", G_CALLBACK (add_message_cb), f);
  gtk_widget_set_hexpand (add, TRUE);
  gtk_widget_set_halign (add, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (buttons), add);
  gtk_box_append (GTK_BOX (buttons), apply_button (f, _("_Apply")));
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), f->messages);
  gtk_box_append (GTK_BOX (box), buttons);
  return box;
}

static void
add_field (AfsInspector *self, const char *key, JsonNode *value)
{
  Field *f = g_new0 (Field, 1);
  GtkWidget *group = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *editor;

  f->self = self;
  f->key = g_strdup (key);
  f->type = field_type_for (key);
  f->error = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (f->error), 0);
  gtk_label_set_wrap (GTK_LABEL (f->error), TRUE);
  gtk_widget_add_css_class (f->error, "error");
  gtk_widget_add_css_class (f->error, "caption");
  gtk_widget_set_visible (f->error, FALSE);
  if (f->type == FIELD_DATA)
    editor = make_data_editor (f, value);
  else if (f->type == FIELD_MESSAGES)
    editor = make_messages_editor (f, value);
  else
    editor = make_simple_editor (f, value);
  gtk_box_append (GTK_BOX (group), editor);
  gtk_box_append (GTK_BOX (group), f->error);
  gtk_box_append (GTK_BOX (self->fields_box), group);
  g_ptr_array_add (self->fields, f);
}

/* ---- Following the canvas ---- */

static void
rebuild (AfsInspector *self)
{
  AfsGraphNode *node = current_node (self);
  GtkWidget *c;
  g_autoptr(GList) keys = NULL;
  g_autofree char *title = NULL;

  while ((c = gtk_widget_get_first_child (self->fields_box)))
    gtk_box_remove (GTK_BOX (self->fields_box), c);
  g_ptr_array_set_size (self->fields, 0);
  if (!node)
    return;
  title = afs_graph_node_dup_title (node);
  gtk_label_set_text (GTK_LABEL (self->title_label), title);
  gtk_label_set_text (GTK_LABEL (self->kind_label),
                      afs_node_kind_get_description (afs_graph_node_get_kind (node)));
  keys = json_object_get_members (afs_graph_node_get_settings (node));
  for (GList *l = keys; l; l = l->next)
    add_field (self, l->data, json_object_get_member (afs_graph_node_get_settings (node), l->data));
}

static void
selection_changed_cb (AfsInspector *self)
{
  g_autoptr(GArray) ids = self->canvas ? afs_canvas_get_selected_nodes (self->canvas) : NULL;
  guint n = ids ? ids->len : 0;
  guint id = n == 1 ? g_array_index (ids, guint, 0) : 0;

  if (n > 1)
    {
      g_autofree char *title = g_strdup_printf (ngettext ("%u Node Selected", "%u Nodes Selected", n), n);

      adw_status_page_set_title (ADW_STATUS_PAGE (self->multi_page), title);
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "multi");
    }
  else
    gtk_stack_set_visible_child_name (GTK_STACK (self->stack), n == 1 ? "node" : "empty");
  if (id == self->node_id)
    return;
  self->node_id = id;
  rebuild (self);
}

static void
node_changed_cb (AfsInspector *self, AfsGraphNode *node, const char *what)
{
  /* Our own edits already show their value; undo, redo and other views
   * need the editors refreshed. */
  if (afs_graph_node_get_id (node) != self->node_id || self->applying || g_str_equal (what, "position"))
    return;
  rebuild (self);
}

static void
document_changed_cb (AfsInspector *self)
{
  AfsDocument *doc = self->canvas ? afs_canvas_get_document (self->canvas) : NULL;

  if (doc == self->document)
    return;
  if (self->document)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_set_object (&self->document, doc);
  if (doc)
    g_signal_connect_swapped (doc, "node-changed", G_CALLBACK (node_changed_cb), self);
  self->node_id = 0;
  selection_changed_cb (self);
  rebuild (self);
}

void
afs_inspector_set_canvas (AfsInspector *self, AfsCanvas *canvas)
{
  g_return_if_fail (AFS_IS_INSPECTOR (self));

  if (self->canvas == canvas)
    return;
  if (self->canvas)
    g_signal_handlers_disconnect_by_data (self->canvas, self);
  g_set_object (&self->canvas, canvas);
  if (canvas)
    {
      g_signal_connect_swapped (canvas, "selection-changed", G_CALLBACK (selection_changed_cb), self);
      g_signal_connect_swapped (canvas, "notify::document", G_CALLBACK (document_changed_cb), self);
    }
  document_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_CANVAS]);
}

AfsCanvas *
afs_inspector_get_canvas (AfsInspector *self)
{
  return self->canvas;
}

guint
afs_inspector_get_node (AfsInspector *self)
{
  return self->node_id;
}

/* ---- Scripted edits ---- */

static void
set_list_items (Field *f, const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  clear_list (f);
  for (guint i = 0; lines[i]; i++)
    add_list_item (f, lines[i]);
}

gboolean
afs_inspector_edit (AfsInspector *self, const char *key, const char *mode, const char *text)
{
  Field *f = find_field (self, key);

  g_return_val_if_fail (AFS_IS_INSPECTOR (self), FALSE);
  if (!f)
    return FALSE;
  switch (f->type)
    {
    case FIELD_DATA:
      if (mode)
        adw_combo_row_set_selected (ADW_COMBO_ROW (f->mode_row),
                                    g_str_equal (mode, "list") ? DATA_LIST :
                                    g_str_equal (mode, "number") ? DATA_NUMBER : DATA_TEXT);
      if (data_mode (f) == DATA_TEXT)
        gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (f->text_view)), text, -1);
      else if (data_mode (f) == DATA_NUMBER)
        gtk_editable_set_text (GTK_EDITABLE (f->row), text);
      else
        set_list_items (f, text);
      break;
    case FIELD_MESSAGES:
      {
        g_autoptr(JsonNode) parsed = json_from_string (text, NULL);
        fill_messages (f, parsed);
      }
      break;
    case FIELD_BOOL:
      self->applying = TRUE;
      gtk_switch_set_active (GTK_SWITCH (f->toggle), g_str_equal (text, "true"));
      self->applying = FALSE;
      break;
    case FIELD_REDUCTION:
      self->applying = TRUE;
      adw_combo_row_set_selected (ADW_COMBO_ROW (f->row), g_str_equal (text, "mean"));
      self->applying = FALSE;
      break;
    case FIELD_TEXT:
    case FIELD_NULLABLE_TEXT:
    case FIELD_INT:
    case FIELD_NUMBER:
    default:
      gtk_editable_set_text (GTK_EDITABLE (f->row), text);
      break;
    }
  return apply_field (f);
}

const char *
afs_inspector_get_error (AfsInspector *self, const char *key)
{
  Field *f = find_field (self, key);

  if (!f || !gtk_widget_get_visible (f->error))
    return NULL;
  return gtk_label_get_text (GTK_LABEL (f->error));
}

char *
afs_inspector_dup_text (AfsInspector *self, const char *key)
{
  Field *f = find_field (self, key);

  if (!f)
    return NULL;
  if (f->type == FIELD_DATA && data_mode (f) == DATA_TEXT)
    return text_view_get (f->text_view);
  if (f->row && GTK_IS_EDITABLE (f->row))
    return g_strdup (gtk_editable_get_text (GTK_EDITABLE (f->row)));
  return NULL;
}

/* ---- GObject ---- */

static void
afs_inspector_dispose (GObject *object)
{
  AfsInspector *self = AFS_INSPECTOR (object);

  if (self->canvas)
    g_signal_handlers_disconnect_by_data (self->canvas, self);
  if (self->document)
    g_signal_handlers_disconnect_by_data (self->document, self);
  g_clear_object (&self->canvas);
  g_clear_object (&self->document);
  /* AdwBin owns the template's top widget; release it before the template. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), AFS_TYPE_INSPECTOR);
  G_OBJECT_CLASS (afs_inspector_parent_class)->dispose (object);
}

static void
afs_inspector_finalize (GObject *object)
{
  AfsInspector *self = AFS_INSPECTOR (object);

  g_ptr_array_unref (self->fields);
  G_OBJECT_CLASS (afs_inspector_parent_class)->finalize (object);
}

static void
afs_inspector_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CANVAS: g_value_set_object (value, AFS_INSPECTOR (object)->canvas); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_inspector_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_CANVAS: afs_inspector_set_canvas (AFS_INSPECTOR (object), g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_inspector_class_init (AfsInspectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = afs_inspector_dispose;
  object_class->finalize = afs_inspector_finalize;
  object_class->get_property = afs_inspector_get_property;
  object_class->set_property = afs_inspector_set_property;
  props[PROP_CANVAS] = g_param_spec_object ("canvas", NULL, NULL, AFS_TYPE_CANVAS,
                                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  afs_widgets_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/afnio/Studio/widgets/ui/afs-inspector.ui");
  gtk_widget_class_bind_template_child (widget_class, AfsInspector, stack);
  gtk_widget_class_bind_template_child (widget_class, AfsInspector, multi_page);
  gtk_widget_class_bind_template_child (widget_class, AfsInspector, title_label);
  gtk_widget_class_bind_template_child (widget_class, AfsInspector, kind_label);
  gtk_widget_class_bind_template_child (widget_class, AfsInspector, fields_box);
  gtk_widget_class_set_css_name (widget_class, "afs-inspector");
}

static void
afs_inspector_init (AfsInspector *self)
{
  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
afs_inspector_new (void)
{
  return g_object_new (AFS_TYPE_INSPECTOR, NULL);
}
