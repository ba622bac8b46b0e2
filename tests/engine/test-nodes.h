/* test-nodes.h: ops defined in the tests through the public op API, as a
 * user or a later part of the project would define them.
 *
 * TestSyncNode: a synchronous backward that passes each incoming gradient
 * on as "{tag}({text})", counts its runs and remembers what it got; it
 * fails on request.
 * TestDelayNode: an asynchronous backward that answers after a delay on a
 * g_timeout, like a language model would.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <afnio.h>

G_BEGIN_DECLS

#define TEST_TYPE_SYNC_NODE (test_sync_node_get_type ())
G_DECLARE_FINAL_TYPE (TestSyncNode, test_sync_node, TEST, SYNC_NODE, AfnNode)

struct _TestSyncNode
{
  AfnNode parent_instance;
  char *tag;
  guint runs;
  gboolean fail;
  GPtrArray *received;   /* texts of the gradients of the last run, in order */
};

G_DEFINE_FINAL_TYPE (TestSyncNode, test_sync_node, AFN_TYPE_NODE)

static GPtrArray *
test_sync_node_backward (AfnNode *node, GPtrArray *grad_outputs, GError **error)
{
  TestSyncNode *self = TEST_SYNC_NODE (node);
  GPtrArray *incoming = g_ptr_array_index (grad_outputs, 0);
  g_autoptr(GPtrArray) result = afn_node_new_result (node);

  self->runs++;
  g_ptr_array_set_size (self->received, 0);
  if (self->fail)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_FAILED, "%s failed on purpose", self->tag);
      return NULL;
    }
  for (guint i = 0; i < incoming->len; i++)
    {
      g_autofree char *text = afn_value_to_text (afn_variable_get_data (g_ptr_array_index (incoming, i)));
      g_ptr_array_add (self->received, g_strdup (text));
      for (guint e = 0; e < result->len; e++)
        if (afn_node_get_next_function (node, e, NULL) != NULL)
          {
            g_autofree char *out = g_strdup_printf ("%s(%s)", self->tag, text);
            afn_node_result_add_take (result, e, afn_variable_new_str (out, "test feedback", FALSE));
          }
    }
  return g_steal_pointer (&result);
}

static void
test_sync_node_finalize (GObject *object)
{
  TestSyncNode *self = TEST_SYNC_NODE (object);

  g_free (self->tag);
  g_ptr_array_unref (self->received);
  G_OBJECT_CLASS (test_sync_node_parent_class)->finalize (object);
}

static void
test_sync_node_class_init (TestSyncNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_sync_node_finalize;
  AFN_NODE_CLASS (klass)->backward = test_sync_node_backward;
}

static void
test_sync_node_init (TestSyncNode *self)
{
  self->received = g_ptr_array_new_with_free_func (g_free);
}

/* The forward of the sync op: an identity whose node is returned in @node
 * (transfer none, owned by the result), NULL when nothing was recorded. */
static inline AfnVariable *
test_sync_op (AfnVariable *x, const char *tag, TestSyncNode **node)
{
  AfnVariable *y = afn_variable_new (afn_variable_get_data (x), tag, FALSE, NULL);

  *node = NULL;
  if (afn_node_should_record (&x, 1))
    {
      g_autoptr(TestSyncNode) n = g_object_new (TEST_TYPE_SYNC_NODE, "name", "SyncBackward0", NULL);
      n->tag = g_strdup (tag);
      afn_node_record (AFN_NODE (n), &x, 1, &y, 1);
      *node = n;
    }
  return y;
}

#define TEST_TYPE_DELAY_NODE (test_delay_node_get_type ())
G_DECLARE_FINAL_TYPE (TestDelayNode, test_delay_node, TEST, DELAY_NODE, AfnNode)

struct _TestDelayNode
{
  AfnNode parent_instance;
  guint delay_ms;
  guint runs;
  char *tag;
};

G_DEFINE_FINAL_TYPE (TestDelayNode, test_delay_node, AFN_TYPE_NODE)

/* How many delayed backwards have answered, across all nodes. */
static guint test_delay_answers;

static gboolean
delay_done_cb (gpointer user_data)
{
  GTask *task = user_data;

  test_delay_answers++;
  g_task_return_pointer (task, g_ptr_array_ref (g_task_get_task_data (task)),
                         (GDestroyNotify) g_ptr_array_unref);
  return G_SOURCE_REMOVE;
}

static void
test_delay_node_backward_async (AfnNode *node, GPtrArray *grad_outputs, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  TestDelayNode *self = TEST_DELAY_NODE (node);
  GTask *task = g_task_new (node, cancellable, callback, user_data);
  GPtrArray *incoming = g_ptr_array_index (grad_outputs, 0);
  GPtrArray *result = afn_node_new_result (node);
  GSource *source;

  self->runs++;
  for (guint i = 0; i < incoming->len; i++)
    {
      g_autofree char *text = afn_value_to_text (afn_variable_get_data (g_ptr_array_index (incoming, i)));
      g_autofree char *out = g_strdup_printf ("%s(%s)", self->tag, text);
      if (afn_node_get_next_function (node, 0, NULL) != NULL)
        afn_node_result_add_take (result, 0, afn_variable_new_str (out, "test feedback", FALSE));
    }
  g_task_set_task_data (task, result, (GDestroyNotify) g_ptr_array_unref);
  /* The task's context is the thread-default one: the scheduler's. */
  source = g_timeout_source_new (self->delay_ms);
  g_task_attach_source (task, source, delay_done_cb);
  g_source_unref (source);
  g_object_unref (task);
}

static GPtrArray *
test_delay_node_backward_finish (AfnNode *node, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_delay_node_finalize (GObject *object)
{
  g_free (TEST_DELAY_NODE (object)->tag);
  G_OBJECT_CLASS (test_delay_node_parent_class)->finalize (object);
}

static void
test_delay_node_class_init (TestDelayNodeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_delay_node_finalize;
  AFN_NODE_CLASS (klass)->backward_async = test_delay_node_backward_async;
  AFN_NODE_CLASS (klass)->backward_finish = test_delay_node_backward_finish;
}

static void
test_delay_node_init (TestDelayNode *self)
{
}

static inline AfnVariable *
test_delay_op (AfnVariable *x, const char *tag, guint delay_ms, TestDelayNode **node)
{
  AfnVariable *y = afn_variable_new (afn_variable_get_data (x), tag, FALSE, NULL);

  *node = NULL;
  if (afn_node_should_record (&x, 1))
    {
      g_autoptr(TestDelayNode) n = g_object_new (TEST_TYPE_DELAY_NODE, "name", "DelayBackward0", NULL);
      n->tag = g_strdup (tag);
      n->delay_ms = delay_ms;
      afn_node_record (AFN_NODE (n), &x, 1, &y, 1);
      *node = n;
    }
  return y;
}

G_END_DECLS
