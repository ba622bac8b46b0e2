/* afs-gradfn-panel.c: a GtkListView over a GtkTreeListModel of
 * AfsGradfnItem, with a GtkTreeExpander per row.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-gradfn-panel.h"
#include "afs-panel-util.h"

struct _AfsGradfnPanel
{
  GtkWidget parent_instance;

  AfnVariable        *variable;
  GListStore         *roots;
  GtkTreeListModel   *tree;
  GtkSingleSelection *selection;

  GtkWidget          *box;
  GtkWidget          *status;
  GtkWidget          *list_view;
};

enum { PROP_0, PROP_VARIABLE, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { NODE_SELECTED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AfsGradfnPanel, afs_gradfn_panel, GTK_TYPE_WIDGET)

static GListModel *
create_children_cb (gpointer item, gpointer user_data)
{
  return afs_gradfn_item_create_children (item);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), label);
  gtk_list_item_set_child (item, expander);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkTreeExpander *expander = GTK_TREE_EXPANDER (gtk_list_item_get_child (item));
  GtkTreeListRow *row = gtk_list_item_get_item (item);
  AfsGradfnItem *entry = gtk_tree_list_row_get_item (row);
  GtkWidget *label = gtk_tree_expander_get_child (expander);
  AfnNode *node = afs_gradfn_item_get_node (entry);

  gtk_tree_expander_set_list_row (expander, row);
  gtk_label_set_text (GTK_LABEL (label), afs_gradfn_item_get_label (entry));
  if (node && afn_node_is_released (node))
    gtk_widget_set_tooltip_text (label, _("Saved values released by backward"));
  else
    gtk_widget_set_tooltip_text (label, NULL);
  if (node)
    gtk_widget_remove_css_class (label, "dim-label");
  else
    gtk_widget_add_css_class (label, "dim-label");
  g_object_unref (entry);
}

static void
selection_changed_cb (GtkSingleSelection *selection, GParamSpec *pspec, AfsGradfnPanel *self)
{
  GtkTreeListRow *row = gtk_single_selection_get_selected_item (selection);
  AfnNode *node = NULL;

  if (row)
    {
      g_autoptr(AfsGradfnItem) entry = gtk_tree_list_row_get_item (row);
      node = afs_gradfn_item_get_node (entry);
    }
  g_signal_emit (self, signals[NODE_SELECTED], 0, node);
}

static void
update_status (AfsGradfnPanel *self)
{
  const char *text;

  if (!self->variable)
    text = _("Select a Variable to see its grad_fn chain.");
  else if (afn_variable_get_grad_fn (self->variable))
    text = _("Backward nodes, from this Variable towards the leaves");
  else if (afn_variable_get_requires_grad (self->variable))
    text = _("A leaf Variable: its gradients accumulate here (no grad_fn).");
  else
    text = _("This Variable does not require grad: no grad_fn.");
  gtk_label_set_text (GTK_LABEL (self->status), text);
}

void
afs_gradfn_panel_set_variable (AfsGradfnPanel *self, AfnVariable *variable)
{
  AfnNode *grad_fn;

  g_return_if_fail (AFS_IS_GRADFN_PANEL (self));
  g_return_if_fail (variable == NULL || AFN_IS_VARIABLE (variable));

  g_set_object (&self->variable, variable);
  g_list_store_remove_all (self->roots);
  grad_fn = variable ? afn_variable_get_grad_fn (variable) : NULL;
  if (grad_fn)
    {
      g_autoptr(AfsGradfnItem) root = afs_gradfn_item_new (grad_fn,
                                                           afn_variable_get_output_nr (variable), 0);
      g_list_store_append (self->roots, root);
    }
  update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VARIABLE]);
}

AfnVariable *
afs_gradfn_panel_get_variable (AfsGradfnPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_PANEL (self), NULL);
  return self->variable;
}

GtkTreeListModel *
afs_gradfn_panel_get_model (AfsGradfnPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_PANEL (self), NULL);
  return self->tree;
}

GtkSingleSelection *
afs_gradfn_panel_get_selection (AfsGradfnPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_PANEL (self), NULL);
  return self->selection;
}

const char *
afs_gradfn_panel_get_status (AfsGradfnPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADFN_PANEL (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->status));
}

void
afs_gradfn_panel_expand_all (AfsGradfnPanel *self)
{
  GListModel *model = G_LIST_MODEL (self->tree);

  g_return_if_fail (AFS_IS_GRADFN_PANEL (self));
  /* Expanding a row inserts its children after it: they are visited next. */
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, i);
      gtk_tree_list_row_set_expanded (row, TRUE);
    }
}

GtkWidget *
afs_gradfn_panel_new (void)
{
  return g_object_new (AFS_TYPE_GRADFN_PANEL, NULL);
}

static void
afs_gradfn_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsGradfnPanel *self = AFS_GRADFN_PANEL (object);

  switch (prop_id)
    {
    case PROP_VARIABLE:
      g_value_set_object (value, self->variable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_gradfn_panel_set_property (GObject *object, guint prop_id, const GValue *value,
                               GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_VARIABLE:
      afs_gradfn_panel_set_variable (AFS_GRADFN_PANEL (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_gradfn_panel_dispose (GObject *object)
{
  AfsGradfnPanel *self = AFS_GRADFN_PANEL (object);

  if (self->selection)
    g_signal_handlers_disconnect_by_func (self->selection, selection_changed_cb, self);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->tree);
  g_clear_object (&self->roots);
  g_clear_object (&self->variable);
  G_OBJECT_CLASS (afs_gradfn_panel_parent_class)->dispose (object);
}

static void
afs_gradfn_panel_class_init (AfsGradfnPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = afs_gradfn_panel_get_property;
  object_class->set_property = afs_gradfn_panel_set_property;
  object_class->dispose = afs_gradfn_panel_dispose;

  props[PROP_VARIABLE] = g_param_spec_object ("variable", NULL, NULL, AFN_TYPE_VARIABLE,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                              | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[NODE_SELECTED] = g_signal_new ("node-selected", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, AFN_TYPE_NODE);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "gradfnpanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
afs_gradfn_panel_init (AfsGradfnPanel *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkWidget *title;

  self->roots = g_list_store_new (AFS_TYPE_GRADFN_ITEM);
  self->tree = gtk_tree_list_model_new (G_LIST_MODEL (g_object_ref (self->roots)), FALSE, TRUE,
                                        create_children_cb, NULL, NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->tree)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect (self->selection, "notify::selected-item",
                    G_CALLBACK (selection_changed_cb), self);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  title = afs_panel_title_new ("grad_fn");
  self->status = afs_panel_status_new ();
  gtk_box_append (GTK_BOX (self->box), title);
  gtk_box_append (GTK_BOX (self->box), self->status);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  self->list_view = gtk_list_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)),
                                       g_object_ref (factory));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("grad_fn chain"), -1);
  afs_panel_append_scrolled (GTK_BOX (self->box), self->list_view);
  update_status (self);
}
