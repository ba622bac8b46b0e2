/* afn-grad-list.c: the GListModel view of a Variable's gradient list.
 *
 * A Variable keeps its gradients in a plain vector and makes this model
 * only when someone asks for it: a backward over 100,000 leaves then creates
 * no list objects at all.
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-grad-list.h"
#include "afn-variable.h"

struct _AfnGradList
{
  GObject parent_instance;
  AfnVariable *owner;   /* unowned; NULL once detached */
  GPtrArray *snapshot;  /* the items kept after detaching */
};

enum {
  PROP_0,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static GType
grad_list_get_item_type (GListModel *model)
{
  return AFN_TYPE_VARIABLE;
}

static guint
grad_list_get_n_items (GListModel *model)
{
  AfnGradList *self = AFN_GRAD_LIST (model);

  if (self->owner != NULL)
    return afn_variable_n_grads (self->owner);
  return self->snapshot != NULL ? self->snapshot->len : 0;
}

static gpointer
grad_list_get_item (GListModel *model, guint position)
{
  AfnGradList *self = AFN_GRAD_LIST (model);

  if (position >= grad_list_get_n_items (model))
    return NULL;
  if (self->owner != NULL)
    return g_object_ref (afn_variable_get_grad (self->owner, position));
  return g_object_ref (g_ptr_array_index (self->snapshot, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = grad_list_get_item_type;
  iface->get_n_items = grad_list_get_n_items;
  iface->get_item = grad_list_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (AfnGradList, afn_grad_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
afn_grad_list_finalize (GObject *object)
{
  AfnGradList *self = AFN_GRAD_LIST (object);

  g_clear_pointer (&self->snapshot, g_ptr_array_unref);
  G_OBJECT_CLASS (afn_grad_list_parent_class)->finalize (object);
}

static void
afn_grad_list_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfnGradList *self = AFN_GRAD_LIST (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, grad_list_get_n_items (G_LIST_MODEL (self)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_grad_list_class_init (AfnGradListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = afn_grad_list_finalize;
  object_class->get_property = afn_grad_list_get_property;

  props[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afn_grad_list_init (AfnGradList *self)
{
}

AfnGradList *
afn_grad_list_new (AfnVariable *owner)
{
  AfnGradList *self = g_object_new (AFN_TYPE_GRAD_LIST, NULL);

  self->owner = owner;
  return self;
}

void
afn_grad_list_detach (AfnGradList *self)
{
  guint n;

  g_return_if_fail (AFN_IS_GRAD_LIST (self));
  if (self->owner == NULL)
    return;
  n = afn_variable_n_grads (self->owner);
  self->snapshot = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (self->snapshot, g_object_ref (afn_variable_get_grad (self->owner, i)));
  self->owner = NULL;
}

void
afn_grad_list_items_changed (AfnGradList *self, guint position, guint removed, guint added)
{
  g_return_if_fail (AFN_IS_GRAD_LIST (self));

  if (removed == 0 && added == 0)
    return;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_ITEMS]);
}
