/* test-grad-mode.c: grad mode is per thread, and no op records without it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>

#include "test-util.h"

static void
test_default_and_guard (void)
{
  g_assert_true (afn_is_grad_enabled ());
  {
    g_autoptr(AfnNoGradGuard) outer = afn_no_grad ();
    g_assert_false (afn_is_grad_enabled ());
    {
      g_autoptr(AfnNoGradGuard) inner = afn_no_grad ();
      g_assert_false (afn_is_grad_enabled ());
    }
    g_assert_false (afn_is_grad_enabled ());
    afn_set_grad_enabled (TRUE);
    g_assert_true (afn_is_grad_enabled ());
  }
  /* The guard restores what was in force when it was made: enabled. */
  g_assert_true (afn_is_grad_enabled ());
  afn_set_grad_enabled (FALSE);
  g_assert_false (afn_is_grad_enabled ());
  afn_set_grad_enabled (TRUE);
}

static void
test_no_grad_ops (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("a b", "input", TRUE);
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(AfnVariable) s = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  g_autoptr(AfnParameter) p = NULL;

  g_ptr_array_add (xs, x);
  {
    g_autoptr(AfnNoGradGuard) guard = afn_no_grad ();
    r = afn_add (x, x, NULL);
    s = afn_sum (xs, NULL);
    parts = afn_split (x, NULL, -1, NULL);
    p = afn_parameter_new_str ("xyz", "prompt");
  }
  g_assert_false (afn_variable_get_requires_grad (r));
  g_assert_null (afn_variable_get_grad_fn (r));
  g_assert_true (afn_variable_is_leaf (r));
  g_assert_false (afn_variable_get_requires_grad (s));
  g_assert_false (afn_variable_get_requires_grad (g_ptr_array_index (parts, 0)));
  g_assert_null (afn_variable_get_grad_fn (g_ptr_array_index (parts, 1)));
  /* Creating a Parameter is not affected. */
  g_assert_true (afn_variable_get_requires_grad (AFN_VARIABLE (p)));

  g_clear_object (&r);
  r = afn_add (x, x, NULL);
  g_assert_true (afn_variable_get_requires_grad (r));
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (r)), ==, "AddBackward0");
}

static void
test_no_input_requires_grad (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("a", "x", FALSE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("b", "y", FALSE);
  g_autoptr(AfnVariable) r = afn_add (x, y, NULL);

  g_assert_false (afn_variable_get_requires_grad (r));
  g_assert_null (afn_variable_get_grad_fn (r));
}

typedef struct {
  gboolean seen_enabled;
  gboolean records;
} ThreadData;

static gpointer
other_thread (gpointer user_data)
{
  ThreadData *data = user_data;
  g_autoptr(AfnVariable) x = afn_variable_new_str ("a", "x", TRUE);
  g_autoptr(AfnVariable) r = NULL;

  /* The main thread has grad mode off; this thread still has it on. */
  data->seen_enabled = afn_is_grad_enabled ();
  r = afn_add (x, x, NULL);
  data->records = afn_variable_get_grad_fn (r) != NULL;
  /* Turning it off here must not reach the main thread. */
  afn_set_grad_enabled (FALSE);
  return NULL;
}

static void
test_per_thread (void)
{
  ThreadData data = { 0, };
  GThread *thread;

  afn_set_grad_enabled (FALSE);
  thread = g_thread_new ("grad-mode", other_thread, &data);
  g_thread_join (thread);
  g_assert_false (afn_is_grad_enabled ());
  g_assert_true (data.seen_enabled);
  g_assert_true (data.records);

  afn_set_grad_enabled (TRUE);
  thread = g_thread_new ("grad-mode", other_thread, &data);
  g_thread_join (thread);
  g_assert_true (afn_is_grad_enabled ());
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/grad-mode/default-and-guard", test_default_and_guard);
  g_test_add_func ("/engine/grad-mode/no-grad-ops", test_no_grad_ops);
  g_test_add_func ("/engine/grad-mode/no-input-requires-grad", test_no_input_requires_grad);
  g_test_add_func ("/engine/grad-mode/per-thread", test_per_thread);
  return g_test_run ();
}
