/* afn-variable.c: text, numbers or lists of them, with autodiff history.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "afn-engine-private.h"
#include "afn-grad-list.h"
#include "afn-variable-private.h"

/* What few Variables use lives apart, so that the 100,000 gradients of a
 * large backward stay small (memory touched is time spent). */
typedef struct
{
  char        *variable_id;
  AfnGradList *grads_model;  /* the GListModel view, made on first use */
  AfnValue    *py_state;
  AfnValue    *role_block;   /* the former data that the role lives in */
  AfnNode     *grad_fn;      /* an op's output's history */
  AfnNode     *accumulate;   /* this leaf's AccumulateGrad, made on first use */
  guint        output_nr;
} Extra;

typedef struct
{
  AfnValue    *data;
  char        *role;
  gpointer     grads;        /* the one gradient, or an array when n_grads > 1 */
  Extra       *extra;        /* nullable */
  AfnScratch   scratch;
  guint        n_grads : 28;
  guint        requires_grad : 1;
  guint        is_leaf : 1;
  guint        retain_grad : 1;
  guint        role_in_data : 1; /* role lives in data's block (or role_block) */
} AfnVariablePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (AfnVariable, afn_variable, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DATA,
  PROP_ROLE,
  PROP_REQUIRES_GRAD,
  PROP_IS_LEAF,
  PROP_GRAD_FN,
  PROP_OUTPUT_NR,
  PROP_RETAINS_GRAD,
  PROP_VARIABLE_ID,
  PROP_GRADS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

#define PRIV(self) ((AfnVariablePrivate *) afn_variable_get_instance_private (self))
/* Leaves and gradients have no history: it lives in Extra. */
#define GRAD_FN(priv) ((priv)->extra != NULL ? (priv)->extra->grad_fn : NULL)
#define OUTPUT_NR(priv) ((priv)->extra != NULL ? (priv)->extra->output_nr : 0u)
#define ACCUMULATE(priv) ((priv)->extra != NULL ? (priv)->extra->accumulate : NULL)

static Extra *
extra (AfnVariable *self)
{
  AfnVariablePrivate *priv = PRIV (self);

  if (priv->extra == NULL)
    priv->extra = g_new0 (Extra, 1);
  return priv->extra;
}

/* Gradient storage: one gradient is kept in place of the array pointer,
 * more in an array whose capacity is the next power of two. Each slot holds
 * an AfnGrad: pending gradients become Variables when first read. */
static inline AfnGrad **
grad_slot (AfnVariablePrivate *priv, guint i)
{
  return priv->n_grads == 1 ? (AfnGrad **) &priv->grads : &((AfnGrad **) priv->grads)[i];
}

static inline AfnVariable *
grad_at (AfnVariablePrivate *priv, guint i)
{
  return afn_grad_materialize (grad_slot (priv, i));
}

static void
push_grad (AfnVariablePrivate *priv, AfnGrad *grad)
{
  AfnGrad **array;

  if (priv->n_grads == 0)
    {
      priv->grads = grad;
      priv->n_grads = 1;
      return;
    }
  if (priv->n_grads == 1)
    {
      array = g_new (AfnGrad *, 2);
      array[0] = priv->grads;
      priv->grads = array;
    }
  else if ((priv->n_grads & (priv->n_grads - 1)) == 0)
    priv->grads = g_renew (AfnGrad *, priv->grads, priv->n_grads * 2);
  ((AfnGrad **) priv->grads)[priv->n_grads++] = grad;
}

static void
clear_grads (AfnVariablePrivate *priv)
{
  for (guint i = 0; i < priv->n_grads; i++)
    afn_grad_free (*grad_slot (priv, i));
  if (priv->n_grads > 1)
    g_free (priv->grads);
  priv->grads = NULL;
  priv->n_grads = 0;
}

static const char non_leaf_grad_hint[] =
  N_("Non-leaf Variables do not have their gradients retained by default in autodiff. "
     "To retain gradients for this Variable, call ``.retain_grad()`` before performing "
     "the backward pass.");

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char **slot, const char *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

/* Construction and life cycle -------------------------------------------- */

static void
afn_variable_dispose (GObject *object)
{
  AfnVariablePrivate *priv = PRIV (AFN_VARIABLE (object));

  if (ACCUMULATE (priv) != NULL)
    {
      afn_accumulate_grad_forget_variable (priv->extra->accumulate);
      g_clear_object (&priv->extra->accumulate);
    }
  if (GRAD_FN (priv) != NULL)
    {
      if (priv->retain_grad)
        afn_node_remove_retainer (priv->extra->grad_fn, AFN_VARIABLE (object));
      g_clear_object (&priv->extra->grad_fn);
    }
  if (priv->extra != NULL && priv->extra->grads_model != NULL)
    {
      afn_grad_list_detach (priv->extra->grads_model);
      g_clear_object (&priv->extra->grads_model);
    }
  G_OBJECT_CLASS (afn_variable_parent_class)->dispose (object);
}

static void
afn_variable_finalize (GObject *object)
{
  AfnVariablePrivate *priv = PRIV (AFN_VARIABLE (object));

  if (!priv->role_in_data)
    g_free (priv->role);
  priv->role = NULL;
  g_clear_pointer (&priv->data, afn_value_unref);
  clear_grads (priv);
  if (priv->extra != NULL)
    {
      g_free (priv->extra->variable_id);
      g_clear_pointer (&priv->extra->py_state, afn_value_unref);
      g_clear_pointer (&priv->extra->role_block, afn_value_unref);
      g_free (priv->extra);
    }
  G_OBJECT_CLASS (afn_variable_parent_class)->finalize (object);
}

static void
afn_variable_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfnVariable *self = AFN_VARIABLE (object);
  AfnVariablePrivate *priv = PRIV (self);

  switch (prop_id)
    {
    case PROP_DATA:
      g_value_set_boxed (value, priv->data);
      break;
    case PROP_ROLE:
      g_value_set_string (value, priv->role);
      break;
    case PROP_REQUIRES_GRAD:
      g_value_set_boolean (value, priv->requires_grad);
      break;
    case PROP_IS_LEAF:
      g_value_set_boolean (value, priv->is_leaf);
      break;
    case PROP_GRAD_FN:
      g_value_set_object (value, GRAD_FN (priv));
      break;
    case PROP_OUTPUT_NR:
      g_value_set_uint (value, OUTPUT_NR (priv));
      break;
    case PROP_RETAINS_GRAD:
      g_value_set_boolean (value, priv->retain_grad);
      break;
    case PROP_VARIABLE_ID:
      g_value_set_string (value, afn_variable_get_variable_id (self));
      break;
    case PROP_GRADS:
      /* The property never fails: a view may bind to it on any Variable. */
      if (extra (self)->grads_model == NULL)
        priv->extra->grads_model = afn_grad_list_new (self);
      g_value_set_object (value, priv->extra->grads_model);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_variable_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AfnVariable *self = AFN_VARIABLE (object);
  g_autoptr(GError) error = NULL;

  switch (prop_id)
    {
    case PROP_DATA:
      if (g_value_get_boxed (value) != NULL && !afn_variable_set_data (self, g_value_get_boxed (value), &error))
        g_warning ("%s", error->message);
      break;
    case PROP_ROLE:
      afn_variable_set_role (self, g_value_get_string (value));
      break;
    case PROP_REQUIRES_GRAD:
      if (!afn_variable_requires_grad_ (self, g_value_get_boolean (value), &error))
        g_warning ("%s", error->message);
      break;
    case PROP_VARIABLE_ID:
      afn_variable_set_variable_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_variable_class_init (AfnVariableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = afn_variable_dispose;
  object_class->finalize = afn_variable_finalize;
  object_class->get_property = afn_variable_get_property;
  object_class->set_property = afn_variable_set_property;

  klass->print_name = "variable";
  klass->python_class = "afnio._variable.Variable";

  props[PROP_DATA] = g_param_spec_boxed ("data", NULL, NULL, AFN_TYPE_VALUE, rw);
  props[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, rw);
  props[PROP_REQUIRES_GRAD] = g_param_spec_boolean ("requires-grad", NULL, NULL, FALSE, rw);
  props[PROP_IS_LEAF] = g_param_spec_boolean ("is-leaf", NULL, NULL, TRUE, ro);
  props[PROP_GRAD_FN] = g_param_spec_object ("grad-fn", NULL, NULL, AFN_TYPE_NODE, ro);
  props[PROP_OUTPUT_NR] = g_param_spec_uint ("output-nr", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_RETAINS_GRAD] = g_param_spec_boolean ("retains-grad", NULL, NULL, FALSE, ro);
  props[PROP_VARIABLE_ID] = g_param_spec_string ("variable-id", NULL, NULL, NULL, rw);
  props[PROP_GRADS] = g_param_spec_object ("grads", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
afn_variable_init (AfnVariable *self)
{
  PRIV (self)->is_leaf = TRUE;
}

AfnVariable *
afn_variable_new_take (GType type, AfnValue *data, char *role, gboolean requires_grad)
{
  AfnVariable *self = (AfnVariable *) g_object_new_with_properties (type, 0, NULL, NULL);
  AfnVariablePrivate *priv = PRIV (self);

  priv->data = data;
  priv->role = role;
  priv->requires_grad = !!requires_grad;
  return self;
}

AfnVariable *
afn_variable_new_role_in_data (GType type, AfnValue *data, const char *role, gboolean requires_grad)
{
  AfnVariable *self = afn_variable_new_take (type, data, (char *) role, requires_grad);

  PRIV (self)->role_in_data = role != NULL;
  return self;
}

/* Pending gradients --------------------------------------------------- */

AfnGrad *
afn_grad_new_pending (AfnValue *value)
{
  g_assert (afn_value_kind (value) == AFN_VALUE_STR);
  g_assert ((GPOINTER_TO_SIZE (value) & 1) == 0);
  return (AfnGrad *) ((char *) value + 1);
}

static inline AfnValue *
pending_value (AfnGrad *grad)
{
  return (AfnValue *) ((char *) grad - 1);
}

/* A new Variable around the pending gradient's value (a new reference). */
static AfnVariable *
pending_to_variable (AfnGrad *grad)
{
  AfnValue *value = pending_value (grad);
  gsize len;
  const char *text = afn_value_get_str (value, &len);

  return afn_variable_new_role_in_data (AFN_TYPE_VARIABLE, afn_value_ref (value), text + len + 1,
                                        FALSE);
}

AfnVariable *
afn_grad_take_variable (AfnGrad *grad)
{
  AfnVariable *variable;

  if (!afn_grad_is_pending (grad))
    return (AfnVariable *) grad;
  variable = pending_to_variable (grad);
  afn_value_unref (pending_value (grad));
  return variable;
}

AfnVariable *
afn_grad_materialize (AfnGrad **slot)
{
  AfnGrad *grad = g_atomic_pointer_get (slot);
  AfnVariable *variable;

  if (!afn_grad_is_pending (grad))
    return (AfnVariable *) grad;
  variable = pending_to_variable (grad);
  if (g_atomic_pointer_compare_and_exchange (slot, grad, (AfnGrad *) variable))
    {
      afn_value_unref (pending_value (grad));
      return variable;
    }
  /* Another thread made it first: use that one. */
  g_object_unref (variable);
  return (AfnVariable *) g_atomic_pointer_get (slot);
}

void
afn_grad_free (AfnGrad *grad)
{
  if (grad == NULL)
    return;
  if (afn_grad_is_pending (grad))
    afn_value_unref (pending_value (grad));
  else
    g_object_unref (grad);
}

/* Drops the data, except when the role lives in its block and nothing else
 * keeps that block: then it is kept (the role stays where it is, so a
 * pointer from afn_variable_get_role() stays valid as it always did). */
static void
drop_data (AfnVariable *self)
{
  AfnVariablePrivate *priv = PRIV (self);

  if (priv->role_in_data && (priv->extra == NULL || priv->extra->role_block == NULL))
    extra (self)->role_block = g_steal_pointer (&priv->data);
  else
    g_clear_pointer (&priv->data, afn_value_unref);
}

/* Data validation ---------------------------------------------------------- */

static gboolean
is_number (const AfnValue *v)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_BOOL:
    case AFN_VALUE_INT:
    case AFN_VALUE_BIGINT:
    case AFN_VALUE_FLOAT:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
is_scalar (const AfnValue *v)
{
  return is_number (v) || afn_value_kind (v) == AFN_VALUE_STR;
}

/* Python's float(x) for a number; fails only for ints too large for a double. */
static gboolean
number_to_double (const AfnValue *v, double *out, GError **error)
{
  switch (afn_value_kind (v))
    {
    case AFN_VALUE_BOOL:
      *out = afn_value_get_bool (v) ? 1.0 : 0.0;
      return TRUE;
    case AFN_VALUE_INT:
      *out = (double) afn_value_get_int (v);
      return TRUE;
    case AFN_VALUE_FLOAT:
      *out = afn_value_get_float (v);
      return TRUE;
    case AFN_VALUE_BIGINT:
      *out = g_ascii_strtod (afn_value_get_bigint (v), NULL);
      if (isinf (*out))
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                       _("int too large to convert to float: %s"), afn_value_get_bigint (v));
          return FALSE;
        }
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static AfnValue *
list_to_floats (const AfnValue *list, GError **error)
{
  g_autoptr(AfnValue) out = afn_value_new_list ();

  for (guint i = 0; i < afn_value_n_items (list); i++)
    {
      double d;
      if (!number_to_double (afn_value_get_item (list, i), &d, error))
        return NULL;
      afn_value_append_take (out, afn_value_new_float (d));
    }
  return g_steal_pointer (&out);
}

static AfnValue *
normalize_list (AfnValue *data, GError **error)
{
  guint n = afn_value_n_items (data);
  gboolean all_str = TRUE, all_num = TRUE, has_int = FALSE, has_float = FALSE;
  AfnValue *list;

  for (guint i = 0; i < n; i++)
    {
      AfnValue *item = afn_value_get_item (data, i);
      AfnValueKind kind = afn_value_kind (item);
      all_str &= kind == AFN_VALUE_STR;
      all_num &= is_number (item);
      has_float |= kind == AFN_VALUE_FLOAT;
      has_int |= is_number (item) && kind != AFN_VALUE_FLOAT;
    }
  if (!all_str && !all_num)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                   _("When `data` is a %s, it must be either all strings or all numbers (int, float)."),
                   afn_value_kind_name (afn_value_kind (data)));
      return NULL;
    }
  if (all_num && has_int && has_float)
    return list_to_floats (data, error);
  if (afn_value_kind (data) == AFN_VALUE_LIST)
    return afn_value_ref (data);
  /* A tuple becomes a list, as afnio does. */
  list = afn_value_new_list ();
  for (guint i = 0; i < n; i++)
    afn_value_append_take (list, afn_value_ref (afn_value_get_item (data, i)));
  return list;
}

AfnValue *
afn_variable_normalize_data (AfnValue *data, GError **error)
{
  g_return_val_if_fail (data != NULL, NULL);

  if (is_scalar (data))
    return afn_value_ref (data);
  if (afn_value_kind (data) == AFN_VALUE_LIST || afn_value_kind (data) == AFN_VALUE_TUPLE)
    return normalize_list (data, error);
  g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
               _("`data` must be a single value (str, int, float) or a list/tuple of such values, not %s."),
               afn_value_kind_name (afn_value_kind (data)));
  return NULL;
}

/* Constructors --------------------------------------------------------- */

/* Returns a new Variable (transfer full), or NULL with AFN_ERROR_INVALID_DATA
 * when @data is not a str, a number or a flat list of all strings or all
 * numbers. @data is not consumed (a list is shared, as in Python). */
AfnVariable *
afn_variable_new (AfnValue *data, const char *role, gboolean requires_grad, GError **error)
{
  AfnValue *normalized;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  normalized = afn_variable_normalize_data (data, error);
  if (normalized == NULL)
    return NULL;
  return afn_variable_new_take (AFN_TYPE_VARIABLE, normalized, g_strdup (role), requires_grad);
}

/* A string Variable; never fails. Transfer full. */
AfnVariable *
afn_variable_new_str (const char *s, const char *role, gboolean requires_grad)
{
  gsize len, role_len;
  char *bytes;
  AfnValue *data;

  g_return_val_if_fail (s != NULL, NULL);
  if (role == NULL)
    return afn_variable_new_take (AFN_TYPE_VARIABLE, afn_value_new_str (s, -1), NULL, requires_grad);
  /* The text and the role in one block: one allocation fewer per Variable. */
  len = strlen (s);
  role_len = strlen (role);
  data = afn_value_new_str_with_room (len, role_len + 1, &bytes);
  memcpy (bytes, s, len);
  memcpy (bytes + len + 1, role, role_len + 1);
  return afn_variable_new_role_in_data (AFN_TYPE_VARIABLE, data, bytes + len + 1, requires_grad);
}

/* A Variable of @type (AFN_TYPE_VARIABLE or a subclass) around @data, kept
 * exactly as given (a reference is taken). Transfer full. */
AfnVariable *
afn_variable_new_raw (GType type, AfnValue *data, const char *role, gboolean requires_grad)
{
  g_return_val_if_fail (g_type_is_a (type, AFN_TYPE_VARIABLE), NULL);
  g_return_val_if_fail (data != NULL, NULL);
  return afn_variable_new_take (type, afn_value_ref (data), g_strdup (role), requires_grad);
}

/* Accessors ------------------------------------------------------------ */

AfnValue *
afn_variable_get_data (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  return PRIV (self)->data;
}

/* Replaces the data after validating it like afn_variable_new(); on error
 * (AFN_ERROR_INVALID_DATA) nothing changes. */
gboolean
afn_variable_set_data (AfnVariable *self, AfnValue *data, GError **error)
{
  AfnVariablePrivate *priv;
  AfnValue *normalized;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  priv = PRIV (self);
  if (data == priv->data)
    return TRUE;
  normalized = afn_variable_normalize_data (data, error);
  if (normalized == NULL)
    return FALSE;
  drop_data (self);
  priv->data = normalized;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DATA]);
  return TRUE;
}

const char *
afn_variable_get_role (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  return PRIV (self)->role;
}

const char *
afn_variable_role_text (AfnVariable *self)
{
  const char *role = PRIV (self)->role;
  return role != NULL ? role : "None";
}

/* Sets the role; NULL is Python's None. */
void
afn_variable_set_role (AfnVariable *self, const char *role)
{
  AfnVariablePrivate *priv;
  char *copy;

  g_return_if_fail (AFN_IS_VARIABLE (self));
  priv = PRIV (self);
  if (g_strcmp0 (priv->role, role) == 0)
    return;
  /* Copied first: @role may live in the block that goes. */
  copy = g_strdup (role);
  if (priv->role_in_data)
    {
      /* The old role goes with its block; the new one is a copy of its own. */
      priv->role_in_data = FALSE;
      if (priv->extra != NULL)
        g_clear_pointer (&priv->extra->role_block, afn_value_unref);
    }
  else
    g_free (priv->role);
  priv->role = copy;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ROLE]);
}

gboolean
afn_variable_get_requires_grad (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  return PRIV (self)->requires_grad;
}

/* Sets requires_grad and is_leaf as afnio does, notifying what changed. */
static void
set_requires_grad (AfnVariable *self, gboolean requires_grad)
{
  AfnVariablePrivate *priv = PRIV (self);
  gboolean was_leaf = priv->is_leaf;

  requires_grad = !!requires_grad;
  if (priv->requires_grad == (guint) requires_grad)
    return;
  priv->requires_grad = requires_grad;
  priv->is_leaf = !requires_grad || GRAD_FN (priv) == NULL;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_REQUIRES_GRAD]);
  if ((guint) was_leaf != priv->is_leaf)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IS_LEAF]);
}

/* requires_grad_(): sets the flag in place. Turning it off on a non-leaf is
 * AFN_ERROR_NOT_LEAF (use detach() instead), as in PyTorch. */
gboolean
afn_variable_requires_grad_ (AfnVariable *self, gboolean requires_grad, GError **error)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);

  if (!requires_grad && !PRIV (self)->is_leaf)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_NOT_LEAF,
                   _("You can only change requires_grad flags of leaf Variables. If you want to "
                     "use a computed Variable in a subgraph that doesn't require differentiation "
                     "use var_no_grad = var.detach()."));
      return FALSE;
    }
  set_requires_grad (self, requires_grad);
  return TRUE;
}

gboolean
afn_variable_is_leaf (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), TRUE);
  return PRIV (self)->is_leaf;
}

AfnNode *
afn_variable_get_grad_fn (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  return GRAD_FN (PRIV (self));
}

static void
replace_grad_fn (AfnVariable *self, AfnNode *grad_fn, guint output_nr)
{
  AfnVariablePrivate *priv = PRIV (self);

  if (GRAD_FN (priv) != NULL && priv->retain_grad)
    afn_node_remove_retainer (priv->extra->grad_fn, self);
  if (grad_fn == NULL && output_nr == 0 && priv->extra == NULL)
    return;
  g_set_object (&extra (self)->grad_fn, grad_fn);
  priv->extra->output_nr = output_nr;
  if (grad_fn != NULL && priv->retain_grad)
    afn_node_add_retainer (grad_fn, self);
}

void
afn_variable_attach_grad_fn (AfnVariable *self, AfnNode *node, guint output_nr)
{
  AfnVariablePrivate *priv = PRIV (self);

  replace_grad_fn (self, node, output_nr);
  priv->requires_grad = TRUE;
  priv->is_leaf = FALSE;
}

/* Sets grad_fn and output_nr (the engine and loaders only). Fails with
 * AFN_ERROR_NO_GRAD when @self does not require grad. @grad_fn may be NULL. */
gboolean
afn_variable_set_grad_fn (AfnVariable *self, AfnNode *grad_fn, guint output_nr, GError **error)
{
  AfnVariablePrivate *priv;
  gboolean was_leaf;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  g_return_val_if_fail (grad_fn == NULL || AFN_IS_NODE (grad_fn), FALSE);
  priv = PRIV (self);

  if (!priv->requires_grad)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD,
                   _("Cannot set `grad_fn` on a variable that does not require gradients. To "
                     "enable gradient tracking for this variable, call `.requires_grad_()` before "
                     "setting `grad_fn`. Only variables with `requires_grad=True` can have a "
                     "gradient function (`grad_fn`)."));
      return FALSE;
    }
  was_leaf = priv->is_leaf;
  g_object_freeze_notify (G_OBJECT (self));
  if (GRAD_FN (priv) != grad_fn)
    {
      replace_grad_fn (self, grad_fn, OUTPUT_NR (priv));
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_GRAD_FN]);
    }
  if (OUTPUT_NR (priv) != output_nr)
    {
      extra (self)->output_nr = output_nr;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_OUTPUT_NR]);
    }
  priv->is_leaf = grad_fn == NULL;
  if ((guint) was_leaf != priv->is_leaf)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IS_LEAF]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

guint
afn_variable_get_output_nr (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), 0);
  return OUTPUT_NR (PRIV (self));
}

gboolean
afn_variable_retains_grad (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  return PRIV (self)->retain_grad;
}

/* retain_grad(): a non-leaf keeps the gradients it receives from now on.
 * AFN_ERROR_NOT_LEAF on a leaf. */
gboolean
afn_variable_retain_grad (AfnVariable *self, GError **error)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);

  if (PRIV (self)->is_leaf)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_NOT_LEAF,
                           _("Cannot call retain_grad on a leaf variable"));
      return FALSE;
    }
  afn_variable_set_retain_grad_raw (self, TRUE);
  return TRUE;
}

const char *
afn_variable_get_variable_id (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  return PRIV (self)->extra != NULL ? PRIV (self)->extra->variable_id : NULL;
}

void
afn_variable_set_variable_id (AfnVariable *self, const char *id)
{
  g_return_if_fail (AFN_IS_VARIABLE (self));
  if (g_strcmp0 (afn_variable_get_variable_id (self), id) != 0 && set_str (&extra (self)->variable_id, id))
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_VARIABLE_ID]);
}

/* Gradient list -------------------------------------------------------- */

/* @what is marked with N_() and translated only for the error: loading a
 * file appends a gradient to thousands of Variables. */
static gboolean
check_grad_access (AfnVariable *self, const char *what, GError **error)
{
  AfnVariablePrivate *priv = PRIV (self);

  if (priv->is_leaf || priv->retain_grad)
    return TRUE;
  g_set_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD,
               _("Attempted to %s for a non-leaf Variable without retain_grad enabled. %s"),
               _(what), _(non_leaf_grad_hint));
  return FALSE;
}

static void
grads_changed (AfnVariable *self, guint position, guint removed, guint added)
{
  AfnVariablePrivate *priv = PRIV (self);

  if (priv->extra != NULL && priv->extra->grads_model != NULL)
    afn_grad_list_items_changed (priv->extra->grads_model, position, removed, added);
}

/* The gradient list as a GListModel of AfnVariable (transfer none), or NULL
 * with AFN_ERROR_NO_GRAD on a non-leaf that does not retain its grad. */
GListModel *
afn_variable_get_grads (AfnVariable *self, GError **error)
{
  AfnVariablePrivate *priv;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  if (!check_grad_access (self, N_("access .grad"), error))
    return NULL;
  priv = PRIV (self);
  if (extra (self)->grads_model == NULL)
    priv->extra->grads_model = afn_grad_list_new (self);
  return G_LIST_MODEL (priv->extra->grads_model);
}

void
afn_variable_append_grads_internal (AfnVariable *self, AfnVariable **grads, guint n)
{
  AfnVariablePrivate *priv = PRIV (self);
  guint position = priv->n_grads;

  for (guint i = 0; i < n; i++)
    push_grad (priv, afn_grad_from_variable (g_object_ref (grads[i])));
  grads_changed (self, position, 0, n);
}

void
afn_variable_append_grads_take (AfnVariable *self, AfnGrad **grads, guint n)
{
  AfnVariablePrivate *priv = PRIV (self);
  guint position = priv->n_grads;

  for (guint i = 0; i < n; i++)
    push_grad (priv, grads[i]);
  grads_changed (self, position, 0, n);
}

/* append_grad(): appends @grad (a reference is taken). AFN_ERROR_NO_GRAD on
 * a non-leaf that does not retain its grad. */
gboolean
afn_variable_append_grad (AfnVariable *self, AfnVariable *grad, GError **error)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  g_return_val_if_fail (AFN_IS_VARIABLE (grad), FALSE);

  if (!check_grad_access (self, N_("append to .grad"), error))
    return FALSE;
  afn_variable_append_grads_internal (self, &grad, 1);
  return TRUE;
}

/* The grad setter: replaces the list with @grads (AfnVariable elements,
 * references taken; NULL clears). AFN_ERROR_NO_GRAD as for append. */
gboolean
afn_variable_set_grads (AfnVariable *self, GPtrArray *grads, GError **error)
{
  AfnVariablePrivate *priv;
  AfnVariablePrivate old = { 0, };
  guint removed, added = grads != NULL ? grads->len : 0;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  for (guint i = 0; i < added; i++)
    g_return_val_if_fail (AFN_IS_VARIABLE (g_ptr_array_index (grads, i)), FALSE);
  if (!check_grad_access (self, N_("set .grad"), error))
    return FALSE;

  priv = PRIV (self);
  /* Take the new references before dropping the old: they may overlap. */
  old.grads = priv->grads;
  old.n_grads = removed = priv->n_grads;
  priv->grads = NULL;
  priv->n_grads = 0;
  for (guint i = 0; i < added; i++)
    push_grad (priv, afn_grad_from_variable (g_object_ref (g_ptr_array_index (grads, i))));
  clear_grads (&old);
  grads_changed (self, 0, removed, added);
  return TRUE;
}

/* How many gradients the list holds (0 when it may not be read). */
guint
afn_variable_n_grads (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), 0);
  return PRIV (self)->n_grads;
}

/* Gradient @i (transfer none). */
AfnVariable *
afn_variable_get_grad (AfnVariable *self, guint i)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  g_return_val_if_fail (i < PRIV (self)->n_grads, NULL);
  return grad_at (PRIV (self), i);
}

/* Methods -------------------------------------------------------------- */

/* detach(): a new Variable with the same data and role, no history, not
 * requiring grad. Transfer full. */
AfnVariable *
afn_variable_detach (AfnVariable *self)
{
  AfnVariablePrivate *priv;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  priv = PRIV (self);
  return afn_variable_new_take (AFN_TYPE_VARIABLE, afn_value_ref (priv->data),
                                g_strdup (priv->role), FALSE);
}

/* copy_(): takes data, role and requires_grad from @src. A scalar into a
 * list or back is AFN_ERROR_TYPE_MISMATCH; lists of different lengths are
 * AFN_ERROR_SHAPE_MISMATCH. On error nothing changes. */
gboolean
afn_variable_copy_ (AfnVariable *self, AfnVariable *src, GError **error)
{
  AfnValue *self_data, *src_data;
  g_autoptr(AfnValue) data = NULL;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  g_return_val_if_fail (AFN_IS_VARIABLE (src), FALSE);

  self_data = PRIV (self)->data;
  src_data = PRIV (src)->data;
  if (is_scalar (self_data) && is_scalar (src_data))
    data = afn_value_ref (src_data);
  else if (!is_scalar (self_data) && !is_scalar (src_data))
    {
      if (afn_value_n_items (self_data) != afn_value_n_items (src_data))
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH,
                       _("Cannot copy list `.data` fields of different lengths: %u vs %u."),
                       afn_value_n_items (self_data), afn_value_n_items (src_data));
          return FALSE;
        }
      data = afn_value_deep_copy (src_data);
    }
  else
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH,
                   _("Cannot copy data from %s to %s."),
                   afn_value_kind_name (afn_value_kind (src_data)),
                   afn_value_kind_name (afn_value_kind (self_data)));
      return FALSE;
    }

  g_object_freeze_notify (G_OBJECT (self));
  drop_data (self);
  PRIV (self)->data = g_steal_pointer (&data);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DATA]);
  afn_variable_set_role (self, PRIV (src)->role);
  set_requires_grad (self, PRIV (src)->requires_grad);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

gboolean
afn_variable_is_floating_point (AfnVariable *self)
{
  AfnValue *data;
  guint n;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);
  data = PRIV (self)->data;
  if (afn_value_kind (data) == AFN_VALUE_FLOAT)
    return TRUE;
  if (afn_value_kind (data) != AFN_VALUE_LIST && afn_value_kind (data) != AFN_VALUE_TUPLE)
    return FALSE;
  n = afn_value_n_items (data);
  for (guint i = 0; i < n; i++)
    if (afn_value_kind (afn_value_get_item (data, i)) != AFN_VALUE_FLOAT)
      return FALSE;
  return n > 0;
}

/* Printed form ----------------------------------------------------------- */

/* Counts code points the way Python does for surrogatepass text: every byte
 * that does not continue a sequence starts one. */
static gsize
count_chars (const char *s, gsize len)
{
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    n += ((guchar) s[i] & 0xC0) != 0x80;
  return n;
}

/* Byte offset of code point @index. */
static gsize
char_offset (const char *s, gsize len, gsize index)
{
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    if (((guchar) s[i] & 0xC0) != 0x80 && n++ == index)
      return i;
  return len;
}

/* afnio's truncate_str(): more than 40 characters show as the first 20,
 * "...", the last 20. */
static void
append_truncated (GString *out, const char *s, gsize len)
{
  gsize n = count_chars (s, len);

  if (n <= 40)
    {
      g_string_append_len (out, s, len);
      return;
    }
  g_string_append_len (out, s, char_offset (s, len, 20));
  g_string_append (out, "...");
  g_string_append (out, s + char_offset (s, len, n - 20));
}

static void
append_value_truncated (GString *out, const AfnValue *v)
{
  if (afn_value_kind (v) == AFN_VALUE_STR)
    {
      gsize len;
      const char *s = afn_value_get_str (v, &len);
      append_truncated (out, s, len);
    }
  else
    {
      g_autofree char *text = afn_value_to_repr (v);
      g_string_append (out, text);
    }
}

/* afnio's format_list(): more than 6 items show as the first 3, "...", the
 * last 3, each truncated. */
static void
append_list (GString *out, const AfnValue *list)
{
  guint n = afn_value_n_items (list);

  g_string_append_c (out, '[');
  for (guint i = 0; i < n; i++)
    {
      if (n > 6 && i >= 3 && i < n - 3)
        {
          if (i == 3)
            g_string_append (out, ", ...");
          continue;
        }
      if (i > 0)
        g_string_append (out, ", ");
      append_value_truncated (out, afn_value_get_item (list, i));
    }
  g_string_append_c (out, ']');
}

/* Text shown to people must be valid UTF-8 and a C string: a lone
 * surrogate, a stray byte or a NUL each show as U+FFFD. */
static char *
finish_display (GString *out)
{
  char *text = afn_utf8_for_display (out->str, out->len, TRUE);
  g_string_free (out, TRUE);
  return text;
}

/* The printed form, afnio's str(): `variable(DATA, role=ROLE,
 * requires_grad=BOOL)` or `variable(DATA, role=ROLE, grad_fn=NAME)`.
 * Transfer full. */
char *
afn_variable_to_string (AfnVariable *self)
{
  AfnVariablePrivate *priv;
  GString *out;
  AfnValueKind kind;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  priv = PRIV (self);
  kind = afn_value_kind (priv->data);

  out = g_string_new (AFN_VARIABLE_GET_CLASS (self)->print_name);
  g_string_append_c (out, '(');
  if (kind == AFN_VALUE_LIST || kind == AFN_VALUE_TUPLE)
    append_list (out, priv->data);
  else
    append_value_truncated (out, priv->data);
  g_string_append (out, ", role=");
  append_truncated (out, afn_variable_role_text (self), strlen (afn_variable_role_text (self)));
  if (GRAD_FN (priv) != NULL)
    g_string_append_printf (out, ", grad_fn=%s)", afn_node_get_name (GRAD_FN (priv)));
  else
    g_string_append_printf (out, ", requires_grad=%s)", priv->requires_grad ? "True" : "False");
  return finish_display (out);
}

char *
afn_variable_dup_data_text (AfnVariable *self, gsize *len)
{
  AfnValue *data = PRIV (self)->data;
  char *text;

  if (afn_value_kind (data) == AFN_VALUE_STR)
    {
      const char *s = afn_value_get_str (data, len);
      return g_memdup2 (s, *len + 1);
    }
  text = afn_value_to_repr (data);
  *len = strlen (text);
  return text;
}

/* Private state for the .hf codec -------------------------------------- */

AfnValue *
afn_variable_get_py_state (AfnVariable *self)
{
  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  return PRIV (self)->extra != NULL ? PRIV (self)->extra->py_state : NULL;
}

void
afn_variable_set_py_state (AfnVariable *self, AfnValue *state)
{
  AfnVariablePrivate *priv;

  g_return_if_fail (AFN_IS_VARIABLE (self));
  priv = PRIV (self);
  if (state == NULL && priv->extra == NULL)
    return;
  if (state != NULL)
    afn_value_ref (state);
  g_clear_pointer (&extra (self)->py_state, afn_value_unref);
  priv->extra->py_state = state;
}

void
afn_variable_set_is_leaf_raw (AfnVariable *self, gboolean is_leaf)
{
  g_return_if_fail (AFN_IS_VARIABLE (self));
  if (PRIV (self)->is_leaf == (guint) !!is_leaf)
    return;
  PRIV (self)->is_leaf = !!is_leaf;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_IS_LEAF]);
}

void
afn_variable_set_retain_grad_raw (AfnVariable *self, gboolean retain)
{
  AfnVariablePrivate *priv;

  g_return_if_fail (AFN_IS_VARIABLE (self));
  priv = PRIV (self);
  if (priv->retain_grad == (guint) !!retain)
    return;
  if (GRAD_FN (priv) != NULL && priv->retain_grad)
    afn_node_remove_retainer (GRAD_FN (priv), self);
  priv->retain_grad = !!retain;
  if (GRAD_FN (priv) != NULL && priv->retain_grad)
    afn_node_add_retainer (GRAD_FN (priv), self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RETAINS_GRAD]);
}

/* The leaf's AccumulateGrad node, made on first use. Transfer none. */
AfnNode *
afn_variable_get_accumulate_node (AfnVariable *variable)
{
  AfnVariablePrivate *priv;

  g_return_val_if_fail (AFN_IS_VARIABLE (variable), NULL);
  priv = PRIV (variable);
  if (ACCUMULATE (priv) == NULL)
    extra (variable)->accumulate = afn_accumulate_grad_new (variable);
  return priv->extra->accumulate;
}

/* Unchecked access for the engine's hot loops ------------------------- */

AfnScratch *
afn_variable_scratch (AfnVariable *self)
{
  return &PRIV (self)->scratch;
}

/* Loops over 100,000 leaves mostly wait for memory: they ask for the
 * Variable a few iterations ahead, then for its data block (which also
 * holds the role of a string Variable). */
void
afn_variable_prefetch (AfnVariable *self)
{
  __builtin_prefetch (self);
  __builtin_prefetch (PRIV (self));
}

void
afn_variable_prefetch_data (AfnVariable *self)
{
  AfnVariablePrivate *priv = PRIV (self);

  __builtin_prefetch (priv->data);
  __builtin_prefetch (priv->role);
}

AfnValue *
afn_variable_peek_data (AfnVariable *self)
{
  return PRIV (self)->data;
}

gboolean
afn_variable_peek_requires_grad (AfnVariable *self)
{
  return PRIV (self)->requires_grad;
}

gboolean
afn_variable_peek_is_leaf (AfnVariable *self)
{
  return PRIV (self)->is_leaf;
}

AfnNode *
afn_variable_peek_grad_fn (AfnVariable *self)
{
  return GRAD_FN (PRIV (self));
}

guint
afn_variable_peek_output_nr (AfnVariable *self)
{
  return OUTPUT_NR (PRIV (self));
}

AfnNode *
afn_variable_peek_accumulate_node (AfnVariable *self)
{
  return ACCUMULATE (PRIV (self));
}
