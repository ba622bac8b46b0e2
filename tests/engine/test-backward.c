/* test-backward.c: the backward scheduler.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>

#include "test-nodes.h"
#include "test-util.h"

#define FEEDBACK_PREFIX "Here is the combined feedback we got for this specific "

static AfnVariable *
feedback (const char *text)
{
  return afn_variable_new_str (text, "feedback", FALSE);
}

static void
assert_grad_text (AfnVariable *v, guint i, const char *expected)
{
  g_assert_cmpuint (afn_variable_n_grads (v), >, i);
  assert_str_data (afn_variable_get_grad (v, i), expected);
}

static void
test_leaf_error (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("abc", "input", FALSE);
  g_autoptr(AfnVariable) g = feedback ("fb");
  g_autoptr(GError) error = NULL;

  g_assert_false (afn_variable_backward (x, g, FALSE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD);
  g_assert_cmpstr (error->message, ==, "Variable does not require grad or does not have a grad_fn.");
  g_clear_error (&error);
  g_assert_false (afn_variable_backward (y, g, FALSE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
}

static void
test_next_functions (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("afnio is great!", "sentence", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("!", "mark", FALSE);
  g_autoptr(GPtrArray) parts = afn_split (x, " ", -1, NULL);
  g_autoptr(AfnVariable) r = afn_add (g_ptr_array_index (parts, 2), y, NULL);
  g_autoptr(AfnVariable) s = afn_add (x, x, NULL);
  AfnNode *node = afn_variable_get_grad_fn (r);
  AfnNode *split_node, *acc0, *acc1;
  guint nr = 99;

  g_assert_cmpuint (parts->len, ==, 3);
  g_assert_cmpuint (afn_node_get_n_next_functions (node), ==, 2);
  split_node = afn_node_get_next_function (node, 0, &nr);
  g_assert_cmpstr (afn_node_get_name (split_node), ==, "SplitBackward0");
  g_assert_cmpuint (nr, ==, 2);
  g_assert_cmpuint (afn_node_get_n_outputs (split_node), ==, 3);
  g_assert_null (afn_node_get_next_function (node, 1, &nr));
  g_assert_cmpuint (nr, ==, 0);

  acc0 = afn_node_get_next_function (split_node, 0, &nr);
  g_assert_cmpstr (afn_node_get_name (acc0), ==, "AccumulateGrad");
  g_assert_true (afn_node_get_variable (acc0) == x);
  g_assert_true (afn_variable_get_accumulate_node (x) == acc0);
  g_assert_null (afn_node_get_variable (split_node));

  /* One AccumulateGrad per leaf, however often it is used. */
  g_assert_true (afn_node_get_next_function (afn_variable_get_grad_fn (s), 0, NULL) == acc0);
  acc1 = afn_node_get_next_function (afn_variable_get_grad_fn (s), 1, NULL);
  g_assert_true (acc1 == acc0);
  g_assert_cmpuint (afn_node_get_n_next_functions (acc0), ==, 0);
}

static void
test_variable_used_twice (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("ab", "word", TRUE);
  g_autoptr(AfnVariable) r = afn_add (x, x, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");
  ItemsCount seen = { 0, };

  assert_str_data (r, "abab");
  g_assert_cmpstr (afn_variable_get_role (r), ==, "word and word");
  g_signal_connect (afn_variable_get_grads (x, NULL), "items-changed", G_CALLBACK (items_count_cb), &seen);
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 2);
  assert_grad_text (x, 0, FEEDBACK_PREFIX "word and other variables: G");
  assert_grad_text (x, 1, FEEDBACK_PREFIX "word and other variables: G");
  /* Both arrive in one commit. */
  g_assert_cmpuint (seen.calls, ==, 1);
  g_assert_cmpuint (seen.added, ==, 2);
}

static void
test_node_runs_once (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("ab", "word", TRUE);
  g_autoptr(AfnVariable) z = afn_variable_new_str ("z", "other", FALSE);
  TestSyncNode *node;
  g_autoptr(AfnVariable) e = test_sync_op (x, "E", &node);
  g_autoptr(AfnVariable) left = afn_add (e, z, NULL);
  g_autoptr(AfnVariable) right = afn_add (z, e, NULL);
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(AfnVariable) g = feedback ("G");

  g_ptr_array_add (xs, left);
  g_ptr_array_add (xs, right);
  r = afn_sum (xs, NULL);
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));

  /* E got two gradients for its one output, ran once, kept both in the
   * order of the edges that sent them. */
  g_assert_cmpuint (node->runs, ==, 1);
  g_assert_cmpuint (node->received->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (node->received, 0), ==,
                   FEEDBACK_PREFIX "E and other variables: "
                   FEEDBACK_PREFIX "E and other and other variables: G");
  g_assert_cmpstr (g_ptr_array_index (node->received, 1), ==,
                   FEEDBACK_PREFIX "E and other variables: "
                   FEEDBACK_PREFIX "other and E and other variables: G");
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 2);
  assert_grad_text (x, 0, "E(" FEEDBACK_PREFIX "E and other variables: "
                          FEEDBACK_PREFIX "E and other and other variables: G)");
}

static void
test_diamond_order (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("ab", "word", TRUE);
  TestSyncNode *na, *nb;
  g_autoptr(AfnVariable) a = test_sync_op (x, "A", &na);
  g_autoptr(AfnVariable) b = test_sync_op (x, "B", &nb);
  g_autoptr(AfnVariable) r = afn_add (b, a, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");

  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (na->runs, ==, 1);
  g_assert_cmpuint (nb->runs, ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 2);
  /* B is the first argument of add, so its gradient comes first. */
  assert_grad_text (x, 0, "B(" FEEDBACK_PREFIX "B and other variables: G)");
  assert_grad_text (x, 1, "A(" FEEDBACK_PREFIX "A and other variables: G)");
}

static void
test_retain_graph (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("afnio is great!", "sentence", TRUE);
  g_autoptr(GPtrArray) parts = afn_split (x, " ", 1, NULL);
  g_autoptr(AfnVariable) f1 = feedback ("F1");
  g_autoptr(AfnVariable) f2 = feedback ("F2");
  g_autoptr(GError) error = NULL;
  AfnNode *node = afn_variable_get_grad_fn (g_ptr_array_index (parts, 0));

  g_assert_true (afn_variable_backward (g_ptr_array_index (parts, 0), f1, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (afn_node_is_released (node));
  g_assert_false (afn_variable_backward (g_ptr_array_index (parts, 1), f2, FALSE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED);
  g_assert_nonnull (strstr (error->message, "retain_graph=True"));
  g_assert_nonnull (strstr (error->message, "SplitBackward0"));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 1);
  g_clear_error (&error);

  /* Released for good: retain_graph=True now cannot bring it back. */
  g_assert_false (afn_variable_backward (g_ptr_array_index (parts, 1), f2, TRUE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED);
}

static void
test_retain_graph_twice (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "first input", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "second input", FALSE);
  g_autoptr(AfnVariable) r = afn_add (x, y, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");

  g_assert_true (afn_variable_backward (r, g, TRUE, NULL, NULL, NULL));
  g_assert_false (afn_node_is_released (afn_variable_get_grad_fn (r)));
  g_assert_true (afn_variable_backward (r, g, TRUE, NULL, NULL, NULL));
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_true (afn_node_is_released (afn_variable_get_grad_fn (r)));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 3);
}

static void
test_inputs (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("y", "y", TRUE);
  g_autoptr(AfnVariable) z = afn_variable_new_str ("z", "z", FALSE);
  TestSyncNode *node;
  g_autoptr(AfnVariable) a = test_sync_op (x, "A", &node);
  g_autoptr(AfnVariable) r = afn_add (a, y, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (inputs, a);
  g_assert_false (afn_variable_backward (r, g, TRUE, inputs, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NOT_LEAF);
  g_clear_error (&error);

  g_ptr_array_index (inputs, 0) = z;
  g_assert_false (afn_variable_backward (r, g, TRUE, inputs, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD);
  g_clear_error (&error);
  g_assert_cmpuint (afn_variable_n_grads (x) + afn_variable_n_grads (y), ==, 0);

  /* Only y: the branch through A does not run at all. */
  g_ptr_array_index (inputs, 0) = y;
  g_assert_true (afn_variable_backward (r, g, TRUE, inputs, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (y), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
  g_assert_cmpuint (node->runs, ==, 0);

  /* Only x: non-leaves that retain their grad get nothing either. */
  g_assert_true (afn_variable_retain_grad (a, NULL));
  g_ptr_array_index (inputs, 0) = x;
  g_assert_true (afn_variable_backward (r, g, TRUE, inputs, NULL, &error));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (y), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (a), ==, 0);
  g_assert_cmpuint (node->runs, ==, 1);
}

static void
test_retain_grad (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(AfnVariable) z = afn_variable_new_str ("z", "z", FALSE);
  g_autoptr(AfnVariable) w = afn_variable_new_str ("w", "w", FALSE);
  g_autoptr(AfnVariable) y = afn_add (x, z, NULL);
  g_autoptr(AfnVariable) r = afn_add (y, w, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");

  g_assert_true (afn_variable_retain_grad (y, NULL));
  g_assert_true (afn_variable_retain_grad (r, NULL));
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (r), ==, 1);
  g_assert_true (afn_variable_get_grad (r, 0) == g);
  g_assert_cmpuint (afn_variable_n_grads (y), ==, 1);
  assert_grad_text (y, 0, FEEDBACK_PREFIX "x and z and other variables: G");
  assert_grad_text (x, 0, FEEDBACK_PREFIX "x and other variables: "
                          FEEDBACK_PREFIX "x and z and other variables: G");
}

static void
test_gradient_argument (void)
{
  g_autoptr(AfnVariable) a = new_variable_json ("[\"a\", \"b\"]", "list", TRUE);
  g_autoptr(AfnVariable) b = new_variable_json ("[\"c\", \"d\"]", "other", FALSE);
  g_autoptr(AfnVariable) r = afn_add (a, b, NULL);
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(AfnVariable) s = afn_add (x, x, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnValue) expected = value_from_json ("[\"ac\", \"bd\"]");

  g_assert_true (afn_value_equal (afn_variable_get_data (r), expected));
  g_assert_false (afn_variable_backward (r, NULL, FALSE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_GRADIENT_REQUIRED);
  g_clear_error (&error);

  /* A scalar needs no gradient; add has nothing to pass on without one. */
  g_assert_true (afn_variable_backward (s, NULL, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
}

static void
test_split_both_outputs (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("a b", "sentence", TRUE);
  g_autoptr(GPtrArray) parts = afn_split (x, NULL, -1, NULL);
  g_autoptr(AfnVariable) r = afn_sum (parts, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");

  assert_str_data (r, "<ITEM>a</ITEM><ITEM>b</ITEM>");
  g_assert_cmpstr (afn_variable_get_role (r), ==, "split part 0 of sentence and split part 1 of sentence");
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 2);
  assert_grad_text (x, 0, FEEDBACK_PREFIX "sentence and other variables: <ITEM>"
                          FEEDBACK_PREFIX "split part 0 of sentence and other variables: G</ITEM><ITEM></ITEM>");
  assert_grad_text (x, 1, FEEDBACK_PREFIX "sentence and other variables: <ITEM></ITEM><ITEM>"
                          FEEDBACK_PREFIX "split part 1 of sentence and other variables: G</ITEM>");
}

static void
test_failure_leaves_grads (void)
{
  g_autoptr(AfnVariable) x1 = afn_variable_new_str ("1", "one", TRUE);
  g_autoptr(AfnVariable) x2 = afn_variable_new_str ("2", "two", TRUE);
  TestSyncNode *ok_node, *bad_node;
  g_autoptr(AfnVariable) a = test_sync_op (x1, "OK", &ok_node);
  g_autoptr(AfnVariable) b = test_sync_op (x2, "BAD", &bad_node);
  g_autoptr(AfnVariable) direct = afn_add (x1, x2, NULL);
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (xs, direct);
  g_ptr_array_add (xs, a);
  g_ptr_array_add (xs, b);
  r = afn_sum (xs, NULL);
  bad_node->fail = TRUE;
  g_assert_false (afn_variable_backward (r, g, FALSE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==, "BAD failed on purpose");
  g_clear_error (&error);
  g_assert_cmpuint (ok_node->runs, ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (x1), ==, 0);
  g_assert_cmpuint (afn_variable_n_grads (x2), ==, 0);
  /* Nothing was released: the same backward can run again. */
  g_assert_false (afn_node_is_released (afn_variable_get_grad_fn (r)));
  bad_node->fail = FALSE;
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (x1), ==, 2);
  g_assert_cmpuint (afn_variable_n_grads (x2), ==, 2);
}

static void
test_cancel_before (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(AfnVariable) r = afn_add (x, x, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (afn_variable_backward (r, g, FALSE, NULL, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
  g_assert_false (afn_node_is_released (afn_variable_get_grad_fn (r)));
}

/* Async helpers ----------------------------------------------------------- */

typedef struct {
  GAsyncResult *result;
} AsyncWait;

static void
async_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncWait *wait = user_data;
  wait->result = g_object_ref (result);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* A sum over @n leaves, each behind its own delayed node. */
static AfnVariable *
delayed_fan_in (guint n, guint delay_ms, GPtrArray *leaves, GPtrArray *keep)
{
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *role = g_strdup_printf ("leaf %u", i);
      g_autofree char *tag = g_strdup_printf ("D%u", i);
      AfnVariable *leaf = afn_variable_new_str ("v", role, TRUE);
      TestDelayNode *node;
      AfnVariable *d = test_delay_op (leaf, tag, delay_ms, &node);
      g_ptr_array_add (leaves, leaf);
      g_ptr_array_add (keep, d);
      g_ptr_array_add (xs, d);
    }
  return afn_sum (xs, NULL);
}

static void
test_concurrency (void)
{
  g_autoptr(GPtrArray) leaves = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(AfnVariable) r = delayed_fan_in (16, 300, leaves, keep);
  g_autoptr(AfnVariable) g = feedback ("G");
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  test_delay_answers = 0;
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  elapsed = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("16 nodes of 0.3 s each took %.3f s", elapsed);
  /* Sixteen one after the other would take 4.8 s; the bound leaves room
   * for a loaded machine or a sanitizer build. */
  g_assert_cmpfloat (elapsed, >=, 0.29);
  g_assert_cmpfloat (elapsed, <, 2.4);
  g_assert_cmpuint (test_delay_answers, ==, 16);
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *expected = g_strdup_printf ("D%u(" FEEDBACK_PREFIX "D%u and other variables: G)", i, i);
      assert_grad_text (g_ptr_array_index (leaves, i), 0, expected);
    }
}

static void
test_async_order_is_stable (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  TestDelayNode *slow, *fast;
  g_autoptr(AfnVariable) a = test_delay_op (x, "SLOW", 200, &slow);
  g_autoptr(AfnVariable) b = test_delay_op (x, "FAST", 10, &fast);
  g_autoptr(AfnVariable) r = afn_add (a, b, NULL);
  g_autoptr(AfnVariable) g = feedback ("G");

  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 2);
  /* FAST answered first, but SLOW is the first argument. */
  assert_grad_text (x, 0, "SLOW(" FEEDBACK_PREFIX "SLOW and other variables: G)");
  assert_grad_text (x, 1, "FAST(" FEEDBACK_PREFIX "FAST and other variables: G)");
}

static void
test_cancel_during (void)
{
  g_autoptr(GPtrArray) leaves = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(AfnVariable) r = delayed_fan_in (4, 800, leaves, keep);
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  AsyncWait wait = { NULL };
  gint64 start;

  g_main_context_push_thread_default (context);
  test_delay_answers = 0;
  start = g_get_monotonic_time ();
  afn_variable_backward_async (r, g, FALSE, NULL, cancellable, async_done_cb, &wait);
  {
    GSource *timer = g_timeout_source_new (50);
    g_source_set_callback (timer, cancel_cb, cancellable, NULL);
    g_source_attach (timer, context);
    g_source_unref (timer);
  }
  while (wait.result == NULL)
    g_main_context_iteration (context, TRUE);
  /* The delayed nodes ignore the cancellable; the backward still ends now,
   * long before they answer. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 600000);
  g_assert_false (afn_variable_backward_finish (r, wait.result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&wait.result);
  for (guint i = 0; i < leaves->len; i++)
    g_assert_cmpuint (afn_variable_n_grads (g_ptr_array_index (leaves, i)), ==, 0);
  g_assert_false (afn_node_is_released (afn_variable_get_grad_fn (r)));

  /* Let the abandoned nodes answer: their results go nowhere. */
  while (test_delay_answers < 4)
    g_main_context_iteration (context, TRUE);
  for (guint i = 0; i < leaves->len; i++)
    g_assert_cmpuint (afn_variable_n_grads (g_ptr_array_index (leaves, i)), ==, 0);
  g_main_context_pop_thread_default (context);

  /* And the graph is intact for another try. */
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  for (guint i = 0; i < leaves->len; i++)
    g_assert_cmpuint (afn_variable_n_grads (g_ptr_array_index (leaves, i)), ==, 1);
}

static void
test_async_api (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("afnio is great!", "sentence", TRUE);
  g_autoptr(GPtrArray) parts = afn_split (x, " ", 1, NULL);
  g_autoptr(AfnVariable) g = feedback ("MY_FIRST_FEEDBACK");
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  AsyncWait wait = { NULL };

  g_main_context_push_thread_default (context);
  afn_variable_backward_async (g_ptr_array_index (parts, 0), g, FALSE, NULL, NULL, async_done_cb, &wait);
  /* The callback never runs before the call returns. */
  g_assert_null (wait.result);
  while (wait.result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_assert_true (afn_variable_backward_finish (g_ptr_array_index (parts, 0), wait.result, &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
  assert_grad_text (x, 0, FEEDBACK_PREFIX "sentence and other variables: <ITEM>MY_FIRST_FEEDBACK</ITEM><ITEM></ITEM>");
}

static gpointer
backward_thread (gpointer data)
{
  AfnVariable *r = data;
  g_autoptr(AfnVariable) g = feedback ("G");
  return GINT_TO_POINTER (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
}

static void
test_backward_in_thread (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(GPtrArray) leaves = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(AfnVariable) r = delayed_fan_in (2, 20, leaves, keep);
  GThread *thread = g_thread_new ("backward", backward_thread, r);

  g_assert_true (GPOINTER_TO_INT (g_thread_join (thread)));
  g_assert_cmpuint (afn_variable_n_grads (g_ptr_array_index (leaves, 1)), ==, 1);
}

static void
test_graph_is_freed (void)
{
  AfnVariable *x = afn_variable_new_str ("x", "x", TRUE);
  AfnVariable *y = afn_variable_new_str ("y", "y", FALSE);
  AfnVariable *r = afn_add (x, y, NULL);
  AfnVariable *g = feedback ("G");
  gpointer wx = x, wy = y, wr = r, wg = g, wnode = afn_variable_get_grad_fn (r), wacc, wgrad;

  g_assert_true (afn_variable_backward (r, g, TRUE, NULL, NULL, NULL));
  wacc = afn_node_get_next_function (wnode, 0, NULL);
  wgrad = afn_variable_get_grad (x, 0);
  g_object_add_weak_pointer (wx, &wx);
  g_object_add_weak_pointer (wy, &wy);
  g_object_add_weak_pointer (wr, &wr);
  g_object_add_weak_pointer (wg, &wg);
  g_object_add_weak_pointer (wnode, &wnode);
  g_object_add_weak_pointer (wacc, &wacc);
  g_object_add_weak_pointer (wgrad, &wgrad);

  g_object_unref (g);
  g_object_unref (r);
  g_assert_null (wr);
  g_assert_null (wnode);
  g_assert_nonnull (wx);
  g_object_unref (y);
  g_object_unref (x);
  g_assert_null (wx);
  g_assert_null (wy);
  g_assert_null (wg);
  g_assert_null (wacc);
  g_assert_null (wgrad);
}

/* The graph keeps its leaves alive (as PyTorch's AccumulateGrad does). */
static void
test_graph_keeps_leaves (void)
{
  AfnVariable *x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("y", "y", TRUE);
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  AfnVariable *r;
  g_autoptr(AfnVariable) g = feedback ("G");
  gpointer wx = x;

  g_ptr_array_add (xs, x);
  g_ptr_array_add (xs, y);
  r = afn_sum (xs, NULL);
  /* Whether or not the AccumulateGrad node was made. */
  g_assert_nonnull (afn_node_get_next_function (afn_variable_get_grad_fn (r), 0, NULL));
  g_object_add_weak_pointer (wx, &wx);
  g_object_unref (x);
  g_assert_nonnull (wx);
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (wx), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (y), ==, 1);
  g_object_unref (r);
  g_assert_null (wx);
}

/* A node made by hand may point at a leaf's AccumulateGrad node only; when
 * that leaf goes away its gradients go nowhere. */
static void
test_leaf_gone_behind_node (void)
{
  AfnVariable *x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(TestSyncNode) node = g_object_new (TEST_TYPE_SYNC_NODE, "name", "HandBackward0", NULL);
  g_autoptr(AfnVariable) v = afn_variable_new_str ("v", "v", TRUE);
  g_autoptr(AfnVariable) g = feedback ("G");
  AfnNode *acc = afn_variable_get_accumulate_node (x);
  gpointer wx = x;

  node->tag = g_strdup ("H");
  afn_node_add_next_function (AFN_NODE (node), acc, 0);
  g_assert_true (afn_variable_set_grad_fn (v, AFN_NODE (node), 0, NULL));
  g_object_add_weak_pointer (wx, &wx);
  g_object_unref (x);
  g_assert_null (wx);
  g_assert_null (afn_node_get_variable (acc));
  g_assert_true (afn_variable_backward (v, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (node->runs, ==, 1);
}

/* Only a hand-made (or loaded) graph can have a cycle: an error, no hang. */
static void
test_cycle (void)
{
  g_autoptr(TestSyncNode) a = g_object_new (TEST_TYPE_SYNC_NODE, "name", "ABackward0", NULL);
  g_autoptr(TestSyncNode) b = g_object_new (TEST_TYPE_SYNC_NODE, "name", "BBackward0", NULL);
  g_autoptr(AfnVariable) x = afn_variable_new_str ("x", "x", TRUE);
  g_autoptr(AfnVariable) v = afn_variable_new_str ("v", "v", TRUE);
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(GError) error = NULL;

  a->tag = g_strdup ("A");
  b->tag = g_strdup ("B");
  afn_node_add_next_function (AFN_NODE (a), AFN_NODE (b), 0);
  afn_node_add_next_function (AFN_NODE (b), AFN_NODE (a), 0);
  afn_node_add_next_function (AFN_NODE (b), afn_variable_get_accumulate_node (x), 0);
  g_assert_true (afn_variable_set_grad_fn (v, AFN_NODE (a), 0, NULL));
  g_assert_false (afn_variable_backward (v, g, FALSE, NULL, NULL, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "cycle"));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
  g_assert_cmpuint (a->runs, ==, 1);
  g_clear_error (&error);

  /* A cycle below the root: its nodes never get all their gradients. */
  {
    g_autoptr(TestSyncNode) top = g_object_new (TEST_TYPE_SYNC_NODE, "name", "TopBackward0", NULL);
    g_autoptr(AfnVariable) w = afn_variable_new_str ("w", "w", TRUE);
    top->tag = g_strdup ("T");
    afn_node_add_next_function (AFN_NODE (top), AFN_NODE (a), 0);
    g_assert_true (afn_variable_set_grad_fn (w, AFN_NODE (top), 0, NULL));
    g_assert_false (afn_variable_backward (w, g, FALSE, NULL, NULL, &error));
    g_assert_error (error, AFN_ERROR, AFN_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "cycle"));
    g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
  }
  /* Break the cycle so that the nodes can be freed. */
  g_object_run_dispose (G_OBJECT (b));
}

/* A sum large enough that its backward makes its gradients on several
 * threads and keeps them pending until read. */
#define LARGE_SUM 20000
#define USED_TWICE 5

static GPtrArray *
large_sum_leaves (void)
{
  GPtrArray *leaves = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < LARGE_SUM; i++)
    {
      g_autofree char *data = g_strdup_printf ("value %u", i);
      g_autofree char *role = g_strdup_printf ("item %u", i);
      /* Every seventh leaf does not require grad and gets none. */
      g_ptr_array_add (leaves, afn_variable_new_str (data, role, i % 7 != 3));
    }
  return leaves;
}

static AfnVariable *
large_sum (GPtrArray *leaves)
{
  g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  AfnVariable *r;

  for (guint i = 0; i < leaves->len; i++)
    g_ptr_array_add (inputs, g_ptr_array_index (leaves, i));
  g_ptr_array_add (inputs, g_ptr_array_index (leaves, USED_TWICE));
  r = afn_sum (inputs, &error);
  g_assert_no_error (error);
  return r;
}

/* Every leaf has exactly the gradients semantics.md gives, in order, and
 * reading one twice (or through the list model) gives one object. */
static void
assert_large_sum_grads (GPtrArray *leaves, GHashTable *expected_objects)
{
  for (guint i = 0; i < leaves->len; i++)
    {
      AfnVariable *leaf = g_ptr_array_index (leaves, i);
      guint n = i % 7 == 3 ? 0 : i == USED_TWICE ? 2 : 1;
      g_autofree char *text = g_strdup_printf (FEEDBACK_PREFIX "item %u and other variables: G", i);
      g_autofree char *role = g_strdup_printf ("feedback to item %u", i);

      g_assert_cmpuint (afn_variable_n_grads (leaf), ==, n);
      for (guint j = 0; j < n; j++)
        {
          AfnVariable *grad = afn_variable_get_grad (leaf, j);
          g_autoptr(AfnVariable) item = g_list_model_get_item (afn_variable_get_grads (leaf, NULL), j);

          assert_str_data (grad, text);
          g_assert_cmpstr (afn_variable_get_role (grad), ==, role);
          g_assert_false (afn_variable_get_requires_grad (grad));
          g_assert_true (afn_variable_get_grad (leaf, j) == grad);
          g_assert_true (item == grad);
          if (expected_objects != NULL)
            g_assert_true (g_hash_table_contains (expected_objects, grad));
        }
    }
}

static void
test_large_sum (void)
{
  g_autoptr(GPtrArray) leaves = large_sum_leaves ();
  g_autoptr(AfnVariable) r = large_sum (leaves);
  g_autoptr(AfnVariable) g = feedback ("G");

  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  assert_large_sum_grads (leaves, NULL);
}

/* Gradients never read are freed with their leaf (ASan checks the leaks),
 * and the data of one read later is still intact. */
static void
test_large_sum_unread (void)
{
  g_autoptr(GPtrArray) leaves = large_sum_leaves ();
  g_autoptr(AfnVariable) r = large_sum (leaves);
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(AfnVariable) last = g_object_ref (g_ptr_array_index (leaves, LARGE_SUM - 1));

  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_clear_object (&r);
  g_ptr_array_set_size (leaves, 0);
  assert_str_data (afn_variable_get_grad (last, 0),
                   FEEDBACK_PREFIX "item 19999 and other variables: G");
  g_assert_true (afn_variable_set_grads (last, NULL, NULL));
}

static void
collect_finished_cb (AfnNode *node, gpointer result, gpointer error, gpointer user_data)
{
  GHashTable *seen = user_data;
  GPtrArray *lists = result;

  g_assert_null (error);
  for (guint e = 0; lists != NULL && e < lists->len; e++)
    {
      GPtrArray *grads = g_ptr_array_index (lists, e);
      for (guint j = 0; grads != NULL && j < grads->len; j++)
        g_hash_table_add (seen, g_object_ref (g_ptr_array_index (grads, j)));
    }
}

/* A listener on the node sees the very objects the leaves then hold. */
static void
test_large_sum_listener (void)
{
  g_autoptr(GPtrArray) leaves = large_sum_leaves ();
  g_autoptr(AfnVariable) r = large_sum (leaves);
  g_autoptr(AfnVariable) g = feedback ("G");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);

  g_signal_connect (afn_variable_get_grad_fn (r), "backward-finished",
                    G_CALLBACK (collect_finished_cb), seen);
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (g_hash_table_size (seen), ==, LARGE_SUM - (LARGE_SUM + 3) / 7 + 1);
  assert_large_sum_grads (leaves, seen);
}

static gpointer
read_grads_thread (gpointer data)
{
  GPtrArray *leaves = data;
  GPtrArray *read = g_ptr_array_new ();

  for (guint i = 0; i < leaves->len; i++)
    if (afn_variable_n_grads (g_ptr_array_index (leaves, i)) > 0)
      g_ptr_array_add (read, afn_variable_get_grad (g_ptr_array_index (leaves, i), 0));
    else
      g_ptr_array_add (read, NULL);
  return read;
}

/* Two threads reading the same pending gradients agree on the objects. */
static void
test_large_sum_read_in_threads (void)
{
  g_autoptr(GPtrArray) leaves = large_sum_leaves ();
  g_autoptr(AfnVariable) r = large_sum (leaves);
  g_autoptr(AfnVariable) g = feedback ("G");
  GThread *a, *b;
  g_autoptr(GPtrArray) read_a = NULL, read_b = NULL;

  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  a = g_thread_new ("read-a", read_grads_thread, leaves);
  b = g_thread_new ("read-b", read_grads_thread, leaves);
  read_a = g_thread_join (a);
  read_b = g_thread_join (b);
  for (guint i = 0; i < leaves->len; i++)
    g_assert_true (g_ptr_array_index (read_a, i) == g_ptr_array_index (read_b, i));
  assert_large_sum_grads (leaves, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/backward/leaf-error", test_leaf_error);
  g_test_add_func ("/engine/backward/next-functions", test_next_functions);
  g_test_add_func ("/engine/backward/variable-used-twice", test_variable_used_twice);
  g_test_add_func ("/engine/backward/node-runs-once", test_node_runs_once);
  g_test_add_func ("/engine/backward/diamond-order", test_diamond_order);
  g_test_add_func ("/engine/backward/retain-graph", test_retain_graph);
  g_test_add_func ("/engine/backward/retain-graph-twice", test_retain_graph_twice);
  g_test_add_func ("/engine/backward/inputs", test_inputs);
  g_test_add_func ("/engine/backward/retain-grad", test_retain_grad);
  g_test_add_func ("/engine/backward/gradient-argument", test_gradient_argument);
  g_test_add_func ("/engine/backward/split-both-outputs", test_split_both_outputs);
  g_test_add_func ("/engine/backward/failure-leaves-grads", test_failure_leaves_grads);
  g_test_add_func ("/engine/backward/cancel-before", test_cancel_before);
  g_test_add_func ("/engine/backward/concurrency", test_concurrency);
  g_test_add_func ("/engine/backward/async-order", test_async_order_is_stable);
  g_test_add_func ("/engine/backward/cancel-during", test_cancel_during);
  g_test_add_func ("/engine/backward/async-api", test_async_api);
  g_test_add_func ("/engine/backward/thread", test_backward_in_thread);
  g_test_add_func ("/engine/backward/graph-freed", test_graph_is_freed);
  g_test_add_func ("/engine/backward/graph-keeps-leaves", test_graph_keeps_leaves);
  g_test_add_func ("/engine/backward/leaf-gone-behind-node", test_leaf_gone_behind_node);
  g_test_add_func ("/engine/backward/cycle", test_cycle);
  g_test_add_func ("/engine/backward/large-sum", test_large_sum);
  g_test_add_func ("/engine/backward/large-sum-unread", test_large_sum_unread);
  g_test_add_func ("/engine/backward/large-sum-listener", test_large_sum_listener);
  g_test_add_func ("/engine/backward/large-sum-read-in-threads", test_large_sum_read_in_threads);
  return g_test_run ();
}
