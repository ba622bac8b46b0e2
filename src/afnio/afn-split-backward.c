/* afn-split-backward.c: SplitBackward0.
 *
 * A gradient for output i of n becomes one gradient for the input: the
 * combined-feedback sentence followed by n <ITEM> elements, all empty but
 * item i, which holds the gradient's text. When several outputs (or one
 * output several times) got gradients, each is kept: outputs in order, and
 * within an output in order of arrival.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "afn-ops-private.h"

struct _AfnSplitBackward
{
  AfnNode parent_instance;
  AfnVariable *input;   /* saved; NULL once released */
};

G_DEFINE_FINAL_TYPE (AfnSplitBackward, afn_split_backward, AFN_TYPE_NODE)

static AfnVariable *
item_gradient (const char *role, guint n, guint i, AfnVariable *grad)
{
  g_autofree char *text = NULL;
  gsize len;
  GString *items;
  AfnVariable *grad_var;

  text = afn_variable_dup_data_text (grad, &len);
  items = g_string_sized_new (n * 13 + len);
  for (guint k = 0; k < n; k++)
    {
      g_string_append (items, "<ITEM>");
      if (k == i)
        g_string_append_len (items, text, len);
      g_string_append (items, "</ITEM>");
    }
  grad_var = afn_grad_take_variable (afn_feedback_grad (NULL, role, strlen (role), items->str, items->len));
  g_string_free (items, TRUE);
  return grad_var;
}

static GPtrArray *
afn_split_backward_backward (AfnNode *node, GPtrArray *grad_outputs, GError **error)
{
  AfnSplitBackward *self = AFN_SPLIT_BACKWARD (node);
  g_autoptr(GPtrArray) result = afn_node_new_result (node);
  const char *role;
  guint n = grad_outputs->len, n_edges;
  const AfnEdge *edges = afn_node_peek_edges (node, &n_edges);

  if (self->input == NULL)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED,
                   _("%s was already run and its saved values were freed: specify "
                     "retain_graph=True to backward through the graph a second time."),
                   afn_node_get_name (node));
      return NULL;
    }
  if (n_edges == 0 || (edges[0].node == NULL && edges[0].leaf == NULL))
    return g_steal_pointer (&result);
  role = afn_variable_role_text (self->input);
  for (guint i = 0; i < n; i++)
    {
      GPtrArray *incoming = g_ptr_array_index (grad_outputs, i);
      for (guint j = 0; j < incoming->len; j++)
        afn_node_result_add_take (result, 0, item_gradient (role, n, i, g_ptr_array_index (incoming, j)));
    }
  return g_steal_pointer (&result);
}

static void
afn_split_backward_release_saved (AfnNode *node)
{
  g_clear_object (&AFN_SPLIT_BACKWARD (node)->input);
}

static void
afn_split_backward_finalize (GObject *object)
{
  g_clear_object (&AFN_SPLIT_BACKWARD (object)->input);
  G_OBJECT_CLASS (afn_split_backward_parent_class)->finalize (object);
}

static void
afn_split_backward_class_init (AfnSplitBackwardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afn_split_backward_finalize;
  AFN_NODE_CLASS (klass)->backward = afn_split_backward_backward;
  AFN_NODE_CLASS (klass)->release_saved = afn_split_backward_release_saved;
}

static void
afn_split_backward_init (AfnSplitBackward *self)
{
}

AfnNode *
afn_split_backward_new (AfnVariable *input)
{
  AfnSplitBackward *self = g_object_new (AFN_TYPE_SPLIT_BACKWARD, NULL);

  afn_node_set_name (AFN_NODE (self), "SplitBackward0");
  self->input = g_object_ref (input);
  return AFN_NODE (self);
}
