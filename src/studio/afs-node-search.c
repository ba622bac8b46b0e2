/* afs-node-search.c: a popover listing node kinds, filtered by typed text
 * and, after a wire was dropped on empty space, by port compatibility.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-node-search.h"

struct _AfsNodeSearch
{
  GtkPopover parent_instance;
  GtkWidget *entry;
  GtkWidget *list;
  GtkWidget *empty;
  gboolean filter_ports;
  AfsPortDirection dir;
  AfsPortType type;
};

G_DEFINE_FINAL_TYPE (AfsNodeSearch, afs_node_search, GTK_TYPE_POPOVER)

enum { KIND_CHOSEN, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
kind_matches (AfsNodeSearch *self, AfsNodeKind *kind)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autofree char *needle = g_utf8_casefold (text, -1);
  g_autofree char *hay = NULL;

  if (self->filter_ports && !afs_node_kind_has_compatible_port (kind, self->dir, self->type))
    return FALSE;
  if (!*needle)
    return TRUE;
  hay = g_strdup_printf ("%s %s %s %s", afs_node_kind_get_name (kind), afs_node_kind_get_id (kind),
                         afs_node_kind_get_description (kind), afs_node_kind_get_keywords (kind));
  g_autofree char *folded = g_utf8_casefold (hay, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
filter_func (GtkListBoxRow *row, gpointer data)
{
  AfsNodeSearch *self = data;

  return kind_matches (self, g_object_get_data (G_OBJECT (row), "kind"));
}

static GtkListBoxRow *
first_visible_row (AfsNodeSearch *self)
{
  for (GtkWidget *c = gtk_widget_get_first_child (self->list); c; c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LIST_BOX_ROW (c) && gtk_widget_get_child_visible (c) &&
        kind_matches (self, g_object_get_data (G_OBJECT (c), "kind")))
      return GTK_LIST_BOX_ROW (c);
  return NULL;
}

static void
refilter (AfsNodeSearch *self)
{
  GtkListBoxRow *first;

  gtk_list_box_invalidate_filter (GTK_LIST_BOX (self->list));
  first = first_visible_row (self);
  gtk_list_box_select_row (GTK_LIST_BOX (self->list), first);
  gtk_widget_set_visible (self->empty, first == NULL);
}

static void
choose (AfsNodeSearch *self, GtkListBoxRow *row)
{
  AfsNodeKind *kind = g_object_get_data (G_OBJECT (row), "kind");

  g_object_ref (kind);
  g_signal_emit (self, signals[KIND_CHOSEN], 0, kind);
  g_object_unref (kind);
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
row_activated_cb (GtkListBox *list, GtkListBoxRow *row, AfsNodeSearch *self)
{
  choose (self, row);
}

gboolean
afs_node_search_activate_first (AfsNodeSearch *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (GTK_LIST_BOX (self->list));

  if (!row)
    row = first_visible_row (self);
  if (!row)
    return FALSE;
  choose (self, row);
  return TRUE;
}

static void
entry_activate_cb (AfsNodeSearch *self)
{
  afs_node_search_activate_first (self);
}

/* Up/Down in the entry move the highlighted row. */
static gboolean
entry_key_cb (GtkEventControllerKey *controller, guint keyval, guint keycode,
              GdkModifierType state, AfsNodeSearch *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (GTK_LIST_BOX (self->list));
  GtkWidget *w;

  if (keyval != GDK_KEY_Down && keyval != GDK_KEY_Up)
    return FALSE;
  w = row ? GTK_WIDGET (row) : NULL;
  do
    w = w ? (keyval == GDK_KEY_Down ? gtk_widget_get_next_sibling (w) : gtk_widget_get_prev_sibling (w))
          : gtk_widget_get_first_child (self->list);
  while (w && !(GTK_IS_LIST_BOX_ROW (w) && kind_matches (self, g_object_get_data (G_OBJECT (w), "kind"))));
  if (w)
    gtk_list_box_select_row (GTK_LIST_BOX (self->list), GTK_LIST_BOX_ROW (w));
  return TRUE;
}

static GtkWidget *
make_row (AfsNodeKind *kind)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (afs_node_kind_get_name (kind));
  GtkWidget *desc = gtk_label_new (afs_node_kind_get_description (kind));

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (desc), 0);
  gtk_label_set_wrap (GTK_LABEL (desc), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (desc), 36);
  gtk_widget_add_css_class (title, "heading");
  gtk_widget_add_css_class (desc, "dim-label");
  gtk_widget_add_css_class (desc, "caption");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), desc);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "kind", g_object_ref (kind), g_object_unref);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  afs_node_kind_get_name (kind), -1);
  return row;
}

static void
afs_node_search_class_init (AfsNodeSearchClass *klass)
{
  signals[KIND_CHOSEN] = g_signal_new ("kind-chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, AFS_TYPE_NODE_KIND);
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "afs-node-search");
}

static void
afs_node_search_init (AfsNodeSearch *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();
  GListModel *kinds = afs_node_kind_list ();

  gtk_widget_add_css_class (GTK_WIDGET (self), "menu");
  gtk_popover_set_has_arrow (GTK_POPOVER (self), FALSE);
  gtk_popover_set_position (GTK_POPOVER (self), GTK_POS_BOTTOM);

  self->entry = gtk_search_entry_new ();
  g_object_set (self->entry, "placeholder-text", _("Add a node…"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Search node kinds"), -1);
  g_signal_connect_swapped (self->entry, "search-changed", G_CALLBACK (refilter), self);
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (entry_activate_cb), self);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (entry_key_cb), self);
  gtk_widget_add_controller (self->entry, keys);

  self->list = gtk_list_box_new ();
  gtk_list_box_set_filter_func (GTK_LIST_BOX (self->list), filter_func, self, NULL);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (row_activated_cb), self);
  for (guint i = 0; i < g_list_model_get_n_items (kinds); i++)
    {
      g_autoptr(AfsNodeKind) kind = g_list_model_get_item (kinds, i);
      gtk_list_box_append (GTK_LIST_BOX (self->list), make_row (kind));
    }
  self->empty = gtk_label_new (_("No matching node kinds"));
  gtk_widget_add_css_class (self->empty, "dim-label");
  gtk_widget_set_visible (self->empty, FALSE);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), 360);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->list);
  gtk_box_append (GTK_BOX (box), self->entry);
  gtk_box_append (GTK_BOX (box), scroller);
  gtk_box_append (GTK_BOX (box), self->empty);
  gtk_popover_set_child (GTK_POPOVER (self), box);
  gtk_popover_set_default_widget (GTK_POPOVER (self), NULL);
}

GtkWidget *
afs_node_search_new (void)
{
  return g_object_new (AFS_TYPE_NODE_SEARCH, NULL);
}

void
afs_node_search_set_filter (AfsNodeSearch *self, gboolean enabled, AfsPortDirection dir, AfsPortType type)
{
  self->filter_ports = enabled;
  self->dir = dir;
  self->type = type;
  refilter (self);
}

void
afs_node_search_set_text (AfsNodeSearch *self, const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (self->entry), text ? text : "");
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
  refilter (self);
  gtk_widget_grab_focus (self->entry);
}

GListModel *
afs_node_search_get_visible (AfsNodeSearch *self)
{
  GListStore *store = g_list_store_new (AFS_TYPE_NODE_KIND);
  GListModel *kinds = afs_node_kind_list ();

  for (guint i = 0; i < g_list_model_get_n_items (kinds); i++)
    {
      g_autoptr(AfsNodeKind) kind = g_list_model_get_item (kinds, i);

      if (kind_matches (self, kind))
        g_list_store_append (store, kind);
    }
  return G_LIST_MODEL (store);
}
