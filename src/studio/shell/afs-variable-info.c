/* afs-variable-info.c: a read-only panel under the inspector.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-variable-info.h"

/* Rows beyond these are summarized, so a huge chain stays cheap. */
#define MAX_GRAD_ROWS 50
#define MAX_GRAD_FN_ROWS 100

struct _AfsVariableInfo
{
  AdwBin     parent_instance;

  GtkWidget *group;      /* rebuilt for every node */
  guint      n_grads;
  guint      n_grad_fn_nodes;
};

G_DEFINE_FINAL_TYPE (AfsVariableInfo, afs_variable_info, ADW_TYPE_BIN)

GtkWidget *
afs_variable_info_new (void)
{
  return g_object_new (AFS_TYPE_VARIABLE_INFO, NULL);
}

guint
afs_variable_info_get_n_grads (AfsVariableInfo *self)
{
  g_return_val_if_fail (AFS_IS_VARIABLE_INFO (self), 0);
  return self->n_grads;
}

guint
afs_variable_info_get_n_grad_fn_nodes (AfsVariableInfo *self)
{
  g_return_val_if_fail (AFS_IS_VARIABLE_INFO (self), 0);
  return self->n_grad_fn_nodes;
}

/* Text of a data value as the document stores it (text, number, list). */
static char *
dup_data_text (JsonNode *data)
{
  g_autoptr(JsonGenerator) generator = NULL;

  if (data == NULL)
    return g_strdup ("");
  if (JSON_NODE_HOLDS_VALUE (data) && json_node_get_value_type (data) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (data));
  generator = json_generator_new ();
  json_generator_set_root (generator, data);
  return json_generator_to_data (generator, NULL);
}

static GtkWidget *
new_text_row (const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_subtitle = g_markup_escape_text (subtitle, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), escaped_title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped_subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 6);
  return row;
}

static void
add_grads (AfsVariableInfo *self, AdwPreferencesGroup *group, JsonArray *grads)
{
  GtkWidget *expander = adw_expander_row_new ();
  guint n = grads ? json_array_get_length (grads) : 0;
  g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u gradient", "%u gradients", n), n);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), title);
  gtk_widget_set_sensitive (expander, n > 0);
  for (guint i = 0; i < MIN (n, MAX_GRAD_ROWS); i++)
    {
      JsonNode *g = json_array_get_element (grads, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (g) ? json_node_get_object (g) : NULL;
      const char *role = o ? json_object_get_string_member_with_default (o, "role", "") : "";
      g_autofree char *text = dup_data_text (o ? json_object_get_member (o, "data") : NULL);

      adw_expander_row_add_row (ADW_EXPANDER_ROW (expander),
                                new_text_row (*role ? role : _("no role"), text));
    }
  self->n_grads = n;
  adw_preferences_group_add (group, expander);
}

/* Flattens the chain depth first into indented rows. */
static void
add_grad_fn_rows (AfsVariableInfo *self, AdwExpanderRow *expander, JsonObject *fn,
                  guint depth, guint output_nr)
{
  JsonNode *next = json_object_get_member (fn, "next_functions");
  JsonArray *edges = next && JSON_NODE_HOLDS_ARRAY (next) ? json_node_get_array (next) : NULL;
  g_autofree char *indent = g_strnfill (MIN (depth, 20) * 2, ' ');
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;

  if (self->n_grad_fn_nodes >= MAX_GRAD_FN_ROWS)
    return;
  self->n_grad_fn_nodes++;
  title = g_strdup_printf ("%s%s%s", indent, depth > 0 ? "↳ " : "",
                           json_object_get_string_member_with_default (fn, "name", "?"));
  /* Translators: which output of the op a gradient edge leads to. */
  subtitle = depth > 0 ? g_strdup_printf (_("output %u"), output_nr) : g_strdup ("");
  adw_expander_row_add_row (expander, new_text_row (title, subtitle));

  for (guint i = 0; edges != NULL && i < json_array_get_length (edges); i++)
    {
      JsonNode *e = json_array_get_element (edges, i);
      JsonObject *edge = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      JsonNode *child = edge ? json_object_get_member (edge, "node") : NULL;

      if (child != NULL && JSON_NODE_HOLDS_OBJECT (child))
        add_grad_fn_rows (self, expander, json_node_get_object (child), depth + 1,
                          json_object_get_int_member_with_default (edge, "output_nr", 0));
    }
}

static void
add_grad_fn (AfsVariableInfo *self, AdwPreferencesGroup *group, JsonNode *grad_fn)
{
  GtkWidget *expander = adw_expander_row_new ();
  JsonObject *fn = grad_fn && JSON_NODE_HOLDS_OBJECT (grad_fn) ? json_node_get_object (grad_fn) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), "grad_fn");
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (expander),
                                 fn ? json_object_get_string_member_with_default (fn, "name", "?")
                                    : _("none (a leaf)"));
  gtk_widget_set_sensitive (expander, fn != NULL);
  if (fn != NULL)
    add_grad_fn_rows (self, ADW_EXPANDER_ROW (expander), fn, 0, 0);
  adw_preferences_group_add (group, expander);
}

void
afs_variable_info_set_info (AfsVariableInfo *self, JsonObject *info)
{
  AdwPreferencesGroup *group;
  g_autofree char *description = NULL;
  JsonNode *grads;

  g_return_if_fail (AFS_IS_VARIABLE_INFO (self));

  self->n_grads = 0;
  self->n_grad_fn_nodes = 0;
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_set_visible (GTK_WIDGET (self), info != NULL);
  if (info == NULL)
    return;

  group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (group, _("From the File"));
  /* Translators: "name in the file · Python class". */
  description = g_strdup_printf (_("“%s” · %s"),
                                 json_object_get_string_member_with_default (info, "name", ""),
                                 json_object_get_string_member_with_default (info, "class", ""));
  adw_preferences_group_set_description (group, description);
  grads = json_object_get_member (info, "grads");
  add_grads (self, group, grads && JSON_NODE_HOLDS_ARRAY (grads) ? json_node_get_array (grads) : NULL);
  add_grad_fn (self, group, json_object_get_member (info, "grad_fn"));
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (group));
}

static void
afs_variable_info_class_init (AfsVariableInfoClass *klass)
{
  gtk_widget_class_set_accessible_role (GTK_WIDGET_CLASS (klass), GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
afs_variable_info_init (AfsVariableInfo *self)
{
  gtk_widget_set_margin_start (GTK_WIDGET (self), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self), 12);
  gtk_widget_set_margin_top (GTK_WIDGET (self), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self), 12);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
