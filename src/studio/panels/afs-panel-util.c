/* afs-panel-util.c: text of Variables, copyable labels, usage figures.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-panel-util.h"

static void
append_value (GString *s, AfnValue *value)
{
  switch (afn_value_kind (value))
    {
    case AFN_VALUE_STR:
      {
        g_autofree char *text = afn_value_dup_display_string (value);
        g_string_append (s, text);
      }
      break;
    case AFN_VALUE_INT:
      g_string_append_printf (s, "%" G_GINT64_FORMAT, afn_value_get_int (value));
      break;
    case AFN_VALUE_FLOAT:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_string_append (s, g_ascii_dtostr (buf, sizeof buf, afn_value_get_float (value)));
      }
      break;
    case AFN_VALUE_LIST:
      for (guint i = 0; i < afn_value_n_items (value); i++)
        {
          if (i > 0)
            g_string_append_c (s, '\n');
          g_string_append_printf (s, "[%u] ", i);
          append_value (s, afn_value_get_item (value, i));
        }
      break;
    default:
      g_string_append (s, afn_value_kind_name (afn_value_kind (value)));
      break;
    }
}

char *
afs_dup_variable_text (AfnVariable *variable)
{
  GString *s = g_string_new (NULL);
  AfnValue *data;

  g_return_val_if_fail (AFN_IS_VARIABLE (variable), NULL);

  data = afn_variable_get_data (variable);
  if (data)
    append_value (s, data);
  return g_string_free (s, FALSE);
}

GtkWidget *
afs_text_label_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_yalign (GTK_LABEL (label), 0);
  /* Keep the natural width small so the label wraps to the pane. */
  gtk_label_set_width_chars (GTK_LABEL (label), 10);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 40);
  gtk_widget_set_hexpand (label, TRUE);
  return label;
}

static void
copy_clicked_cb (GtkButton *button, gpointer user_data)
{
  const char *text = g_object_get_data (G_OBJECT (button), "afs-copy-text");

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Copied"));
}

GtkWidget *
afs_copy_button_new (const char *text)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("edit-copy-symbolic");

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_START);
  gtk_widget_set_tooltip_text (button, _("Copy"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Copy"), -1);
  afs_copy_button_set_text (button, text);
  g_signal_connect (button, "clicked", G_CALLBACK (copy_clicked_cb), NULL);
  return button;
}

void
afs_copy_button_set_text (GtkWidget *button, const char *text)
{
  g_object_set_data_full (G_OBJECT (button), "afs-copy-text", g_strdup (text), g_free);
  gtk_widget_set_tooltip_text (button, _("Copy"));
}

GtkWidget *
afs_panel_title_new (const char *text)
{
  GtkWidget *title = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_add_css_class (title, "title-4");
  gtk_widget_set_margin_start (title, 6);
  return title;
}

GtkWidget *
afs_panel_status_new (void)
{
  GtkWidget *status = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (status), 0);
  gtk_label_set_wrap (GTK_LABEL (status), TRUE);
  gtk_widget_add_css_class (status, "dim-label");
  gtk_widget_set_margin_start (status, 6);
  return status;
}

void
afs_panel_append_scrolled (GtkBox *box, GtkWidget *child)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), child);
  gtk_widget_set_vexpand (scrolled, TRUE);
  gtk_box_append (box, scrolled);
}

char *
afs_format_usage (gint64 tokens, double cost_usd)
{
  g_autofree char *t = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%'" G_GINT64_FORMAT " token",
                                                     "%'" G_GINT64_FORMAT " tokens",
                                                     (gulong) tokens), tokens);

  if (cost_usd < 0)
    return g_steal_pointer (&t);
  /* Translators: token count, then a cost in US dollars. */
  return g_strdup_printf (_("%s · $%.4f"), t, cost_usd);
}
