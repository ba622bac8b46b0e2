/* afs-gradients-panel.c: a GtkListView over a Variable's grads model.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-gradients-panel.h"
#include "afs-panel-util.h"

struct _AfsGradientsPanel
{
  GtkWidget parent_instance;

  AfnVariable      *variable;
  GListStore       *empty;     /* shown when there is no gradient list */
  GListModel       *grads;     /* the Variable's model, or @empty */
  GtkNoSelection   *selection;

  AfsGradOriginFunc origin_func;
  gpointer          origin_data;
  GDestroyNotify    origin_destroy;

  GtkWidget        *box;
  GtkWidget        *title;
  GtkWidget        *status;
  GtkWidget        *list_view;
};

enum { PROP_0, PROP_VARIABLE, PROP_MODEL, N_PROPS };
static GParamSpec *props[N_PROPS];

G_DEFINE_FINAL_TYPE (AfsGradientsPanel, afs_gradients_panel, GTK_TYPE_WIDGET)

static void
update_status (AfsGradientsPanel *self)
{
  guint n = g_list_model_get_n_items (self->grads);
  g_autofree char *text = NULL;

  if (!self->variable)
    text = g_strdup (_("Select a Variable to see its gradients."));
  else if (self->grads == G_LIST_MODEL (self->empty))
    text = g_strdup (_("This Variable keeps no gradients (it needs requires_grad, or retain_grad for a non-leaf)."));
  else if (n == 0)
    text = g_strdup (_("No gradients yet. Run backward to compute them."));
  else
    text = g_strdup_printf (ngettext ("%u gradient", "%u gradients", n), n);
  gtk_label_set_text (GTK_LABEL (self->status), text);
}

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added,
                  AfsGradientsPanel *self)
{
  update_status (self);
}

char *
afs_gradients_panel_dup_origin (AfsGradientsPanel *self, guint position)
{
  g_autoptr(AfnVariable) grad = NULL;

  g_return_val_if_fail (AFS_IS_GRADIENTS_PANEL (self), NULL);
  grad = g_list_model_get_item (self->grads, position);
  if (!grad || !self->origin_func)
    return NULL;
  return self->origin_func (grad, position, self->origin_data);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *role = gtk_label_new (NULL);
  GtkWidget *origin = gtk_label_new (NULL);
  GtkWidget *copy = afs_copy_button_new (NULL);
  GtkWidget *text = afs_text_label_new (NULL);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_label_set_xalign (GTK_LABEL (role), 0);
  gtk_label_set_wrap (GTK_LABEL (role), TRUE);
  gtk_widget_set_hexpand (role, TRUE);
  gtk_widget_add_css_class (role, "heading");
  gtk_widget_add_css_class (origin, "caption");
  gtk_widget_add_css_class (origin, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (origin), 0);
  gtk_box_append (GTK_BOX (head), role);
  gtk_box_append (GTK_BOX (head), copy);
  gtk_box_append (GTK_BOX (box), head);
  gtk_box_append (GTK_BOX (box), origin);
  gtk_box_append (GTK_BOX (box), text);
  g_object_set_data (G_OBJECT (box), "role", role);
  g_object_set_data (G_OBJECT (box), "origin", origin);
  g_object_set_data (G_OBJECT (box), "copy", copy);
  g_object_set_data (G_OBJECT (box), "text", text);
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, AfsGradientsPanel *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  AfnVariable *grad = gtk_list_item_get_item (item);
  guint position = gtk_list_item_get_position (item);
  g_autofree char *text = afs_dup_variable_text (grad);
  g_autofree char *origin = self->origin_func ? self->origin_func (grad, position, self->origin_data) : NULL;
  const char *role = afn_variable_get_role (grad);
  g_autofree char *head = g_strdup_printf ("%u. %s", position + 1,
                                           role && *role ? role : _("(no role)"));
  g_autofree char *from = g_strdup_printf (_("from %s"), origin ? origin : _("an unknown op"));

  gtk_label_set_text (g_object_get_data (G_OBJECT (box), "role"), head);
  gtk_label_set_text (g_object_get_data (G_OBJECT (box), "origin"), from);
  gtk_label_set_text (g_object_get_data (G_OBJECT (box), "text"), text);
  afs_copy_button_set_text (g_object_get_data (G_OBJECT (box), "copy"), text);
}

static void
set_model (AfsGradientsPanel *self, GListModel *model)
{
  if (self->grads)
    g_signal_handlers_disconnect_by_func (self->grads, items_changed_cb, self);
  g_set_object (&self->grads, model);
  g_signal_connect (self->grads, "items-changed", G_CALLBACK (items_changed_cb), self);
  gtk_no_selection_set_model (self->selection, self->grads);
  update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODEL]);
}

void
afs_gradients_panel_set_variable (AfsGradientsPanel *self, AfnVariable *variable,
                                  const char *title)
{
  GListModel *grads = NULL;   /* transfer none */
  const char *name;

  g_return_if_fail (AFS_IS_GRADIENTS_PANEL (self));
  g_return_if_fail (variable == NULL || AFN_IS_VARIABLE (variable));

  g_set_object (&self->variable, variable);
  if (variable)
    grads = afn_variable_get_grads (variable, NULL);
  set_model (self, grads ? grads : G_LIST_MODEL (self->empty));

  name = title ? title : variable ? afn_variable_get_role (variable) : NULL;
  gtk_label_set_text (GTK_LABEL (self->title), name && *name ? name : _("Gradients"));
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VARIABLE]);
}

AfnVariable *
afs_gradients_panel_get_variable (AfsGradientsPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADIENTS_PANEL (self), NULL);
  return self->variable;
}

GListModel *
afs_gradients_panel_get_model (AfsGradientsPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADIENTS_PANEL (self), NULL);
  return self->grads;
}

const char *
afs_gradients_panel_get_status (AfsGradientsPanel *self)
{
  g_return_val_if_fail (AFS_IS_GRADIENTS_PANEL (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->status));
}

void
afs_gradients_panel_set_origin_func (AfsGradientsPanel *self, AfsGradOriginFunc func,
                                     gpointer user_data, GDestroyNotify destroy)
{
  g_return_if_fail (AFS_IS_GRADIENTS_PANEL (self));

  if (self->origin_destroy)
    self->origin_destroy (self->origin_data);
  self->origin_func = func;
  self->origin_data = user_data;
  self->origin_destroy = destroy;
  /* Rebind the rows so they show the new names. */
  gtk_no_selection_set_model (self->selection, NULL);
  gtk_no_selection_set_model (self->selection, self->grads);
}

GtkWidget *
afs_gradients_panel_new (void)
{
  return g_object_new (AFS_TYPE_GRADIENTS_PANEL, NULL);
}

static void
afs_gradients_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsGradientsPanel *self = AFS_GRADIENTS_PANEL (object);

  switch (prop_id)
    {
    case PROP_VARIABLE:
      g_value_set_object (value, self->variable);
      break;
    case PROP_MODEL:
      g_value_set_object (value, self->grads);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_gradients_panel_set_property (GObject *object, guint prop_id, const GValue *value,
                                  GParamSpec *pspec)
{
  AfsGradientsPanel *self = AFS_GRADIENTS_PANEL (object);

  switch (prop_id)
    {
    case PROP_VARIABLE:
      afs_gradients_panel_set_variable (self, g_value_get_object (value), NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_gradients_panel_dispose (GObject *object)
{
  AfsGradientsPanel *self = AFS_GRADIENTS_PANEL (object);

  if (self->grads)
    g_signal_handlers_disconnect_by_func (self->grads, items_changed_cb, self);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->grads);
  g_clear_object (&self->empty);
  g_clear_object (&self->variable);
  if (self->origin_destroy)
    self->origin_destroy (self->origin_data);
  self->origin_destroy = NULL;
  self->origin_func = NULL;
  G_OBJECT_CLASS (afs_gradients_panel_parent_class)->dispose (object);
}

static void
afs_gradients_panel_class_init (AfsGradientsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = afs_gradients_panel_get_property;
  object_class->set_property = afs_gradients_panel_set_property;
  object_class->dispose = afs_gradients_panel_dispose;

  props[PROP_VARIABLE] = g_param_spec_object ("variable", NULL, NULL, AFN_TYPE_VARIABLE,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS
                                              | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_MODEL] = g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                           | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "gradientspanel");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
afs_gradients_panel_init (AfsGradientsPanel *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  self->empty = g_list_store_new (AFN_TYPE_VARIABLE);
  self->selection = gtk_no_selection_new (NULL);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  self->title = afs_panel_title_new (_("Gradients"));
  gtk_label_set_ellipsize (GTK_LABEL (self->title), PANGO_ELLIPSIZE_END);
  self->status = afs_panel_status_new ();
  gtk_box_append (GTK_BOX (self->box), self->title);
  gtk_box_append (GTK_BOX (self->box), self->status);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  self->list_view = gtk_list_view_new (GTK_SELECTION_MODEL (g_object_ref (self->selection)),
                                       g_object_ref (factory));
  gtk_widget_add_css_class (self->list_view, "rich-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Gradients"), -1);
  afs_panel_append_scrolled (GTK_BOX (self->box), self->list_view);

  set_model (self, G_LIST_MODEL (self->empty));
}
