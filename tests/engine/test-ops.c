/* test-ops.c: add, sum and split, the semantics.md examples and errors.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>

#include "test-util.h"

static void
test_add_example (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "first input", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "second input", FALSE);
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(AfnVariable) feedback = afn_variable_new_str ("MY_FEEDBACK", "add gradient", FALSE);
  g_autoptr(GError) error = NULL;
  AfnVariable *g;

  r = afn_add (x, y, &error);
  g_assert_no_error (error);
  assert_str_data (r, "abcdef");
  g_assert_cmpstr (afn_variable_get_role (r), ==, "first input and second input");
  g_assert_true (afn_variable_get_requires_grad (r));
  g_assert_false (afn_variable_is_leaf (r));
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (r)), ==, "AddBackward0");

  g_assert_true (afn_variable_backward (r, feedback, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 1);
  g = afn_variable_get_grad (x, 0);
  assert_str_data (g, "Here is the combined feedback we got for this specific first input and other variables: MY_FEEDBACK");
  g_assert_cmpstr (afn_variable_get_role (g), ==, "feedback to first input");
  g_assert_false (afn_variable_get_requires_grad (g));
  g_assert_cmpuint (afn_variable_n_grads (y), ==, 0);
}

static void
test_sum_example (void)
{
  g_autoptr(AfnVariable) a = new_variable_json ("[1, 2, 3.5]", NULL, FALSE);
  g_autoptr(AfnVariable) b = new_variable_json ("[4, 5, 6]", NULL, FALSE);
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(AfnValue) expected = value_from_json ("[5.0, 7.0, 9.5]");
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (xs, a);
  g_ptr_array_add (xs, b);
  r = afn_sum (xs, &error);
  g_assert_no_error (error);
  g_assert_true (afn_value_equal (afn_variable_get_data (r), expected));
  g_assert_false (afn_variable_get_requires_grad (r));
  g_assert_null (afn_variable_get_grad_fn (r));
}

static void
test_split_example (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("afnio is great!", "sentence", TRUE);
  g_autoptr(AfnVariable) f1 = afn_variable_new_str ("MY_FIRST_FEEDBACK", NULL, FALSE);
  g_autoptr(AfnVariable) f2 = afn_variable_new_str ("MY_SECOND_FEEDBACK", NULL, FALSE);
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GError) error = NULL;

  parts = afn_split (x, " ", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parts->len, ==, 2);
  assert_str_data (g_ptr_array_index (parts, 0), "afnio");
  assert_str_data (g_ptr_array_index (parts, 1), "is great!");
  g_assert_cmpstr (afn_variable_get_role (g_ptr_array_index (parts, 1)), ==, "split part 1 of sentence");
  g_assert_cmpuint (afn_variable_get_output_nr (g_ptr_array_index (parts, 1)), ==, 1);

  g_assert_true (afn_variable_backward (g_ptr_array_index (parts, 0), f1, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (afn_variable_backward (g_ptr_array_index (parts, 1), f2, FALSE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 2);
  assert_str_data (afn_variable_get_grad (x, 0),
                   "Here is the combined feedback we got for this specific sentence and other variables: <ITEM>MY_FIRST_FEEDBACK</ITEM><ITEM></ITEM>");
  assert_str_data (afn_variable_get_grad (x, 1),
                   "Here is the combined feedback we got for this specific sentence and other variables: <ITEM></ITEM><ITEM>MY_SECOND_FEEDBACK</ITEM>");
}

static void
test_split_list_example (void)
{
  g_autoptr(AfnVariable) x = new_variable_json ("[\"afnio is great!\", \"Deep learning\"]", NULL, FALSE);
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "[\"afnio\", \"Deep\"]", "[\"is\", \"learning\"]", "[\"great!\", \"\"]" };

  parts = afn_split (x, " ", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (parts->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(AfnValue) want = value_from_json (expected[i]);
      g_assert_true (afn_value_equal (afn_variable_get_data (g_ptr_array_index (parts, i)), want));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/ops/add-example", test_add_example);
  g_test_add_func ("/engine/ops/sum-example", test_sum_example);
  g_test_add_func ("/engine/ops/split-example", test_split_example);
  g_test_add_func ("/engine/ops/split-list-example", test_split_list_example);
  return g_test_run ();
}
