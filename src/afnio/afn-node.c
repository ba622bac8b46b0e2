/* afn-node.c: nodes of the recorded graph, and the way ops are defined.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "afn-engine-private.h"
#include "afn-variable-private.h"

typedef struct
{
  const char *name;          /* interned */
  char       *node_id;
  GArray     *edges;         /* AfnEdge; NULL while empty */
  GPtrArray  *retainers;     /* AfnVariable, unowned; NULL while empty */
  AfnValue   *py_state;
  AfnDirectBackwardFunc direct_backward;
  AfnScratch  scratch;
  guint       n_outputs;
  guint       released : 1;
  guint       is_accumulate : 1;
} AfnNodePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (AfnNode, afn_node, G_TYPE_OBJECT)

enum {
  SIGNAL_BACKWARD_STARTED,
  SIGNAL_BACKWARD_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_NAME,
  PROP_NODE_ID,
  PROP_N_OUTPUTS,
  PROP_RELEASED,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

#define PRIV(self) ((AfnNodePrivate *) afn_node_get_instance_private (self))

static void
clear_edge (gpointer data)
{
  AfnEdge *edge = data;
  g_clear_object (&edge->node);
  g_clear_object (&edge->leaf);
}

/* Dropping the edges here lets g_object_run_dispose() break a cycle that
 * a hand-made or loaded graph may hold. */
static void
afn_node_dispose (GObject *object)
{
  g_clear_pointer (&PRIV (AFN_NODE (object))->edges, g_array_unref);
  G_OBJECT_CLASS (afn_node_parent_class)->dispose (object);
}

static void
afn_node_finalize (GObject *object)
{
  AfnNodePrivate *priv = PRIV (AFN_NODE (object));

  g_clear_pointer (&priv->node_id, g_free);
  g_clear_pointer (&priv->edges, g_array_unref);
  g_clear_pointer (&priv->retainers, g_ptr_array_unref);
  g_clear_pointer (&priv->py_state, afn_value_unref);
  G_OBJECT_CLASS (afn_node_parent_class)->finalize (object);
}

static void
afn_node_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfnNode *self = AFN_NODE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, afn_node_get_name (self));
      break;
    case PROP_NODE_ID:
      g_value_set_string (value, afn_node_get_node_id (self));
      break;
    case PROP_N_OUTPUTS:
      g_value_set_uint (value, afn_node_get_n_outputs (self));
      break;
    case PROP_RELEASED:
      g_value_set_boolean (value, afn_node_is_released (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afn_node_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AfnNode *self = AFN_NODE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      afn_node_set_name (self, g_value_get_string (value));
      break;
    case PROP_NODE_ID:
      afn_node_set_node_id (self, g_value_get_string (value));
      break;
    case PROP_N_OUTPUTS:
      afn_node_set_n_outputs (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* A node loaded from a file, or made by an op that did not override
 * backward, has nothing to run. */
static GPtrArray *
afn_node_real_backward (AfnNode *self, GPtrArray *grad_outputs, GError **error)
{
  g_set_error (error, AFN_ERROR, AFN_ERROR_FAILED,
               _("The node %s has no backward function (it was loaded from a file or made "
                 "by an op that does not define one)."),
               afn_node_get_name (self));
  return NULL;
}

static void
afn_node_real_backward_async (AfnNode *self, GPtrArray *grad_outputs, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  GPtrArray *result;

  g_task_set_source_tag (task, afn_node_real_backward_async);
  result = AFN_NODE_GET_CLASS (self)->backward (self, grad_outputs, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) g_ptr_array_unref);
}

static GPtrArray *
afn_node_real_backward_finish (AfnNode *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
afn_node_real_release_saved (AfnNode *self)
{
}

static void
afn_node_class_init (AfnNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = afn_node_dispose;
  object_class->finalize = afn_node_finalize;
  object_class->get_property = afn_node_get_property;
  object_class->set_property = afn_node_set_property;

  klass->backward = afn_node_real_backward;
  klass->backward_async = afn_node_real_backward_async;
  klass->backward_finish = afn_node_real_backward_finish;
  klass->release_saved = afn_node_real_release_saved;

  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "Node", rw);
  props[PROP_NODE_ID] = g_param_spec_string ("node-id", NULL, NULL, NULL, rw);
  props[PROP_N_OUTPUTS] = g_param_spec_uint ("n-outputs", NULL, NULL, 0, G_MAXUINT, 1, rw);
  props[PROP_RELEASED] = g_param_spec_boolean ("released", NULL, NULL, FALSE,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                               G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* For progress displays (the studio): emitted by the backward scheduler. */
  signals[SIGNAL_BACKWARD_STARTED] =
    g_signal_new ("backward-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_BACKWARD_FINISHED] =
    g_signal_new ("backward-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
}

void
afn_node_emit_backward_started (AfnNode *self)
{
  g_signal_emit (self, signals[SIGNAL_BACKWARD_STARTED], 0);
}

gboolean
afn_node_has_backward_finished_handler (AfnNode *self)
{
  return g_signal_has_handler_pending (self, signals[SIGNAL_BACKWARD_FINISHED], 0, FALSE);
}

void
afn_node_emit_backward_finished (AfnNode *self, GPtrArray *result, const GError *error)
{
  g_signal_emit (self, signals[SIGNAL_BACKWARD_FINISHED], 0, result, error);
}

static void
afn_node_init (AfnNode *self)
{
  AfnNodePrivate *priv = PRIV (self);

  priv->name = g_intern_static_string ("Node");
  priv->n_outputs = 1;
}

/* Name and id ---------------------------------------------------------- */

const char *
afn_node_get_name (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), NULL);
  return PRIV (self)->name;
}

/* Sets the name ("AddBackward0"); NULL is refused. */
void
afn_node_set_name (AfnNode *self, const char *name)
{
  const char *interned;

  g_return_if_fail (AFN_IS_NODE (self));
  g_return_if_fail (name != NULL);
  /* Names come from a handful of op names: interning makes nodes cheap. */
  interned = g_intern_string (name);
  if (PRIV (self)->name == interned)
    return;
  PRIV (self)->name = interned;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_NAME]);
}

const char *
afn_node_get_node_id (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), NULL);
  return PRIV (self)->node_id;
}

void
afn_node_set_node_id (AfnNode *self, const char *node_id)
{
  AfnNodePrivate *priv;

  g_return_if_fail (AFN_IS_NODE (self));
  priv = PRIV (self);
  if (g_strcmp0 (priv->node_id, node_id) == 0)
    return;
  g_free (priv->node_id);
  priv->node_id = g_strdup (node_id);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_NODE_ID]);
}

/* Edges ---------------------------------------------------------------- */

guint
afn_node_get_n_next_functions (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), 0);
  return PRIV (self)->edges != NULL ? PRIV (self)->edges->len : 0;
}

/* Edge @i: its node (transfer none, NULL for an input that does not require
 * grad) and, in @output_nr (nullable), which output of that node. */
AfnNode *
afn_node_get_next_function (AfnNode *self, guint i, guint *output_nr)
{
  AfnEdge *edge;

  g_return_val_if_fail (AFN_IS_NODE (self), NULL);
  g_return_val_if_fail (i < afn_node_get_n_next_functions (self), NULL);
  edge = &g_array_index (PRIV (self)->edges, AfnEdge, i);
  /* The leaf's AccumulateGrad is made now that someone looks at it. */
  if (edge->node == NULL && edge->leaf != NULL)
    edge->node = g_object_ref (afn_variable_get_accumulate_node (edge->leaf));
  if (output_nr != NULL)
    *output_nr = edge->output_nr;
  return edge->node;
}

/* Appends the edge (@node, @output_nr); @node may be NULL. */
void
afn_node_add_next_function (AfnNode *self, AfnNode *node, guint output_nr)
{
  AfnNodePrivate *priv;
  AfnEdge edge = { NULL, NULL, output_nr };

  g_return_if_fail (AFN_IS_NODE (self));
  g_return_if_fail (node == NULL || AFN_IS_NODE (node));
  priv = PRIV (self);
  if (priv->edges == NULL)
    {
      priv->edges = g_array_new (FALSE, FALSE, sizeof (AfnEdge));
      g_array_set_clear_func (priv->edges, clear_edge);
    }
  if (node != NULL)
    edge.node = g_object_ref (node);
  g_array_append_val (priv->edges, edge);
}

const AfnEdge *
afn_node_peek_edges (AfnNode *self, guint *n_edges)
{
  AfnNodePrivate *priv = PRIV (self);

  *n_edges = priv->edges != NULL ? priv->edges->len : 0;
  return priv->edges != NULL ? (const AfnEdge *) priv->edges->data : NULL;
}

guint
afn_node_get_n_outputs (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), 1);
  return PRIV (self)->n_outputs;
}

void
afn_node_set_n_outputs (AfnNode *self, guint n_outputs)
{
  g_return_if_fail (AFN_IS_NODE (self));
  if (PRIV (self)->n_outputs == n_outputs)
    return;
  PRIV (self)->n_outputs = n_outputs;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_OUTPUTS]);
}

gboolean
afn_node_is_released (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), FALSE);
  return PRIV (self)->released;
}

void
afn_node_mark_released (AfnNode *self)
{
  AfnNodePrivate *priv = PRIV (self);

  if (priv->released || priv->is_accumulate)
    return;
  AFN_NODE_GET_CLASS (self)->release_saved (self);
  priv->released = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RELEASED]);
}

gboolean
afn_node_is_accumulate (AfnNode *self)
{
  return PRIV (self)->is_accumulate;
}

AfnScratch *
afn_node_scratch (AfnNode *self)
{
  return &PRIV (self)->scratch;
}

void
afn_node_set_direct_backward (AfnNode *self, AfnDirectBackwardFunc func)
{
  PRIV (self)->direct_backward = func;
}

AfnDirectBackwardFunc
afn_node_get_direct_backward (AfnNode *self)
{
  return PRIV (self)->direct_backward;
}

gboolean
afn_node_has_sync_backward (AfnNode *self)
{
  return AFN_NODE_GET_CLASS (self)->backward_async == afn_node_real_backward_async;
}

/* Retainers ------------------------------------------------------------ */

GPtrArray *
afn_node_peek_retainers (AfnNode *self)
{
  return PRIV (self)->retainers;
}

void
afn_node_add_retainer (AfnNode *self, AfnVariable *variable)
{
  AfnNodePrivate *priv = PRIV (self);

  if (priv->retainers == NULL)
    priv->retainers = g_ptr_array_new ();
  g_ptr_array_add (priv->retainers, variable);
}

void
afn_node_remove_retainer (AfnNode *self, AfnVariable *variable)
{
  AfnNodePrivate *priv = PRIV (self);

  if (priv->retainers != NULL)
    g_ptr_array_remove (priv->retainers, variable);
}

/* Results -------------------------------------------------------------- */

static void
free_grad_list (gpointer data)
{
  if (data != NULL)
    g_ptr_array_unref (data);
}

GPtrArray *
afn_node_new_result (AfnNode *self)
{
  guint n;
  GPtrArray *result;

  g_return_val_if_fail (AFN_IS_NODE (self), NULL);
  n = afn_node_get_n_next_functions (self);
  result = g_ptr_array_new_full (n, free_grad_list);
  g_ptr_array_set_size (result, n);
  return result;
}

void
afn_node_result_add_take (GPtrArray *result, guint i, AfnVariable *grad)
{
  g_return_if_fail (result != NULL && i < result->len);
  g_return_if_fail (AFN_IS_VARIABLE (grad));
  if (g_ptr_array_index (result, i) == NULL)
    g_ptr_array_index (result, i) = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (g_ptr_array_index (result, i), grad);
}

/* Recording ------------------------------------------------------------ */

/* TRUE when grad mode is on and at least one of @inputs requires grad. */
gboolean
afn_node_should_record (AfnVariable **inputs, guint n_inputs)
{
  if (!afn_is_grad_enabled ())
    return FALSE;
  for (guint i = 0; i < n_inputs; i++)
    if (inputs[i] != NULL && afn_variable_peek_requires_grad (inputs[i]))
      return TRUE;
  return FALSE;
}

GArray *
afn_edges_new (guint n)
{
  GArray *edges = g_array_sized_new (FALSE, FALSE, sizeof (AfnEdge), n);

  g_array_set_clear_func (edges, clear_edge);
  return edges;
}

void
afn_edge_fill (AfnEdge *edge, AfnVariable *input)
{
  AfnNode *grad_fn;

  edge->node = NULL;
  edge->leaf = NULL;
  edge->output_nr = 0;
  if (input == NULL || !afn_variable_peek_requires_grad (input))
    return;
  grad_fn = afn_variable_peek_grad_fn (input);
  if (grad_fn != NULL && !afn_variable_peek_is_leaf (input))
    {
      edge->node = g_object_ref (grad_fn);
      edge->output_nr = afn_variable_peek_output_nr (input);
    }
  else
    {
      /* The graph keeps its leaves alive, as AccumulateGrad does in PyTorch. */
      edge->leaf = g_object_ref (input);
      if (afn_variable_peek_accumulate_node (input) != NULL)
        edge->node = g_object_ref (afn_variable_peek_accumulate_node (input));
    }
}

/* Fills @node's next_functions from @inputs and makes each of @outputs
 * require grad with @node as grad_fn and output_nr its index. */
void
afn_node_record (AfnNode *node, AfnVariable **inputs, guint n_inputs,
                 AfnVariable **outputs, guint n_outputs)
{
  g_autoptr(GArray) edges = NULL;

  g_return_if_fail (AFN_IS_NODE (node));
  edges = afn_edges_new (n_inputs);
  g_array_set_size (edges, n_inputs);
  for (guint i = 0; i < n_inputs; i++)
    afn_edge_fill (&g_array_index (edges, AfnEdge, i), inputs[i]);
  afn_node_record_edges (node, g_steal_pointer (&edges), outputs, n_outputs);
}

void
afn_node_record_edges (AfnNode *node, GArray *edges, AfnVariable **outputs, guint n_outputs)
{
  AfnNodePrivate *priv = PRIV (node);

  if (priv->edges == NULL)
    priv->edges = edges;
  else
    {
      /* Edges added before: keep them first. The new ones move over. */
      g_array_append_vals (priv->edges, edges->data, edges->len);
      g_array_set_clear_func (edges, NULL);
      g_array_unref (edges);
    }
  priv->n_outputs = n_outputs;
  for (guint i = 0; i < n_outputs; i++)
    afn_variable_attach_grad_fn (outputs[i], node, i);
}

/* Private state for the .hf codec -------------------------------------- */

AfnValue *
afn_node_get_py_state (AfnNode *self)
{
  g_return_val_if_fail (AFN_IS_NODE (self), NULL);
  return PRIV (self)->py_state;
}

void
afn_node_set_py_state (AfnNode *self, AfnValue *state)
{
  AfnNodePrivate *priv;

  g_return_if_fail (AFN_IS_NODE (self));
  priv = PRIV (self);
  if (state != NULL)
    afn_value_ref (state);
  g_clear_pointer (&priv->py_state, afn_value_unref);
  priv->py_state = state;
}

void
afn_node_set_accumulate_flag (AfnNode *self)
{
  PRIV (self)->is_accumulate = TRUE;
  PRIV (self)->name = g_intern_static_string ("AccumulateGrad");
}
