/* test-ops.c: add, sum and split, the semantics.md examples and errors.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>
#include <math.h>

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

/* add -------------------------------------------------------------------- */

static AfnVariable *
from_value (AfnValue *value_take)
{
  g_autoptr(AfnValue) value = value_take;
  return afn_variable_new (value, "v", FALSE, NULL);
}

static void
assert_add (AfnValue *x_take, AfnValue *y_take, AfnValue *expected_take)
{
  g_autoptr(AfnVariable) x = from_value (x_take);
  g_autoptr(AfnVariable) y = from_value (y_take);
  g_autoptr(AfnValue) expected = expected_take;
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) r = afn_add (x, y, &error);

  g_assert_no_error (error);
  if (!afn_value_equal (afn_variable_get_data (r), expected))
    {
      g_autofree char *got = afn_value_to_repr (afn_variable_get_data (r));
      g_autofree char *want = afn_value_to_repr (expected);
      g_error ("add gave %s, expected %s", got, want);
    }
}

static void
assert_add_fails (const char *x_json, const char *y_json, int code)
{
  g_autoptr(AfnVariable) x = new_variable_json (x_json, "x", TRUE);
  g_autoptr(AfnVariable) y = new_variable_json (y_json, "y", FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) r = afn_add (x, y, &error);

  g_assert_null (r);
  g_assert_error (error, AFN_ERROR, code);
}

static void
test_add_values (void)
{
  assert_add (value_from_json ("1"), value_from_json ("2"), value_from_json ("3"));
  assert_add (value_from_json ("1"), value_from_json ("2.5"), value_from_json ("3.5"));
  assert_add (value_from_json ("true"), value_from_json ("true"), value_from_json ("2"));
  assert_add (value_from_json ("[\"a\", \"b\"]"), value_from_json ("[\"c\", \"d\"]"),
              value_from_json ("[\"ac\", \"bd\"]"));
  assert_add (value_from_json ("[1, 2]"), value_from_json ("[0.5, 1]"), value_from_json ("[1.5, 3.0]"));
  assert_add (value_from_json ("[]"), value_from_json ("[]"), value_from_json ("[]"));
  assert_add (afn_value_new_int (G_MAXINT64), afn_value_new_int (1),
              afn_value_new_bigint ("9223372036854775808"));
  assert_add (afn_value_new_int (G_MININT64), afn_value_new_int (-1),
              afn_value_new_bigint ("-9223372036854775809"));
  assert_add (afn_value_new_bigint ("-1267650600228229401496703205376"), afn_value_new_int (1),
              afn_value_new_bigint ("-1267650600228229401496703205375"));
  assert_add (afn_value_new_bigint ("99999999999999999999"), afn_value_new_bigint ("1"),
              afn_value_new_bigint ("100000000000000000000"));
  assert_add (afn_value_new_bigint ("100000000000000000000"), afn_value_new_bigint ("-100000000000000000000"),
              afn_value_new_int (0));
  assert_add (afn_value_new_bigint ("100000000000000000000"), afn_value_new_float (0.5),
              afn_value_new_float (1e20 + 0.5));
  assert_add (afn_value_new_float (-0.0), afn_value_new_float (-0.0), afn_value_new_float (-0.0));
  assert_add (afn_value_new_float (NAN), afn_value_new_int (1), afn_value_new_float (NAN));
  assert_add (afn_value_new_float (INFINITY), afn_value_new_float (1), afn_value_new_float (INFINITY));
  assert_add (afn_value_new_str ("a\0", 2), afn_value_new_str ("b", 1), afn_value_new_str ("a\0b", 3));
  assert_add (afn_value_new_str ("\xED\xA0\x80", 3), afn_value_new_str ("\xED\xB0\x80", 3),
              afn_value_new_str ("\xED\xA0\x80\xED\xB0\x80", 6));
}

static void
test_add_errors (void)
{
  g_autoptr(AfnValue) huge = afn_value_new_bigint ("1" "000000000000000000000000000000000000000000000000000000000000"
                                                   "000000000000000000000000000000000000000000000000000000000000"
                                                   "000000000000000000000000000000000000000000000000000000000000"
                                                   "000000000000000000000000000000000000000000000000000000000000"
                                                   "000000000000000000000000000000000000000000000000000000000000"
                                                   "000000000000000000000000000000000000000000000000000000000000");
  g_autoptr(AfnVariable) h = afn_variable_new (huge, "huge", FALSE, NULL);
  g_autoptr(AfnVariable) f = new_variable_json ("1.5", "f", FALSE);
  g_autoptr(GError) error = NULL;

  assert_add_fails ("\"a\"", "1", AFN_ERROR_TYPE_MISMATCH);
  assert_add_fails ("[\"a\"]", "\"a\"", AFN_ERROR_TYPE_MISMATCH);
  assert_add_fails ("1", "[1]", AFN_ERROR_TYPE_MISMATCH);
  assert_add_fails ("[\"a\"]", "[1]", AFN_ERROR_TYPE_MISMATCH);
  assert_add_fails ("[1, 2]", "[1]", AFN_ERROR_SHAPE_MISMATCH);
  /* A number afnio files can hold but a float cannot: an error, not a crash. */
  g_assert_null (afn_add (h, f, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
}

static void
test_add_roles_and_grad (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("a", NULL, FALSE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("b", "y", TRUE);
  g_autoptr(AfnVariable) r = afn_add (x, y, NULL);
  g_autoptr(AfnVariable) g = afn_variable_new_str ("G", "feedback", FALSE);

  g_assert_cmpstr (afn_variable_get_role (r), ==, "None and y");
  g_assert_true (afn_variable_get_requires_grad (r));
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (x), ==, 0);
  assert_str_data (afn_variable_get_grad (y, 0),
                   "Here is the combined feedback we got for this specific y and other variables: G");
  g_assert_cmpstr (afn_variable_get_role (afn_variable_get_grad (y, 0)), ==, "feedback to y");
  /* The gradient's role shares its text's block; it outlives new data. */
  {
    g_autoptr(AfnValue) other = afn_value_new_str ("other", -1);
    g_assert_true (afn_variable_set_data (afn_variable_get_grad (y, 0), other, NULL));
    g_assert_cmpstr (afn_variable_get_role (afn_variable_get_grad (y, 0)), ==, "feedback to y");
    assert_str_data (afn_variable_get_grad (y, 0), "other");
  }
}

/* sum -------------------------------------------------------------------- */

static AfnVariable *
sum_json (const char *const *jsons, guint n, GError **error)
{
  g_autoptr(GPtrArray) xs = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (xs, new_variable_json (jsons[i], "x", TRUE));
  return afn_sum (xs, error);
}

static void
assert_sum (const char *const *jsons, guint n, const char *expected_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) r = sum_json (jsons, n, &error);
  g_autoptr(AfnValue) expected = value_from_json (expected_json);

  g_assert_no_error (error);
  g_assert_true (afn_value_equal (afn_variable_get_data (r), expected));
}

static void
test_sum_values (void)
{
  const char *strings[] = { "\"x1\"", "\"x2\"", "\"x3\"" };
  const char *numbers[] = { "1", "2", "3.5" };
  const char *bools[] = { "true", "true" };
  const char *lists[] = { "[\"a\", \"b\"]", "[\"c\", \"d\"]" };
  const char *one[] = { "\"only\"" };
  const char *neg_zero[] = { "-0.0" };

  assert_sum (strings, 3, "\"<ITEM>x1</ITEM><ITEM>x2</ITEM><ITEM>x3</ITEM>\"");
  assert_sum (numbers, 3, "6.5");
  assert_sum (bools, 2, "2");
  assert_sum (lists, 2, "[\"<ITEM>a</ITEM><ITEM>c</ITEM>\", \"<ITEM>b</ITEM><ITEM>d</ITEM>\"]");
  assert_sum (one, 1, "\"<ITEM>only</ITEM>\"");
  /* Python's sum() starts from 0, and 0 + -0.0 is 0.0. */
  assert_sum (neg_zero, 1, "0.0");
}

static void
test_sum_errors (void)
{
  const char *mixed[] = { "\"a\"", "1" };
  const char *mixed2[] = { "1", "\"a\"" };
  const char *lengths[] = { "[1, 2]", "[1]" };
  const char *list_scalar[] = { "[1]", "1" };
  const char *scalar_list[] = { "1", "[1]" };
  g_autoptr(GPtrArray) empty = g_ptr_array_new ();
  GError *error = NULL;

  g_assert_null (sum_json (mixed, 2, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (sum_json (mixed2, 2, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (sum_json (lengths, 2, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (sum_json (list_scalar, 2, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (sum_json (scalar_list, 2, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (afn_sum (empty, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_clear_error (&error);
}

static void
test_sum_backward (void)
{
  g_autoptr(AfnVariable) a = afn_variable_new_str ("1", "first", TRUE);
  g_autoptr(AfnVariable) b = afn_variable_new_str ("2", "second", FALSE);
  g_autoptr(AfnVariable) c = afn_variable_new_str ("3", "third", TRUE);
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(AfnVariable) g = afn_variable_new_str ("G", "feedback", FALSE);

  g_ptr_array_add (xs, a);
  g_ptr_array_add (xs, b);
  g_ptr_array_add (xs, c);
  r = afn_sum (xs, NULL);
  g_assert_cmpstr (afn_variable_get_role (r), ==, "first and second and third");
  g_assert_cmpstr (afn_node_get_name (afn_variable_get_grad_fn (r)), ==, "SumBackward0");
  g_assert_null (afn_node_get_next_function (afn_variable_get_grad_fn (r), 1, NULL));
  g_assert_true (afn_variable_backward (r, g, FALSE, NULL, NULL, NULL));
  g_assert_cmpuint (afn_variable_n_grads (a), ==, 1);
  g_assert_cmpuint (afn_variable_n_grads (b), ==, 0);
  assert_str_data (afn_variable_get_grad (c, 0),
                   "Here is the combined feedback we got for this specific third and other variables: G");
}

/* split ------------------------------------------------------------------ */

static void
assert_split (AfnValue *data_take, const char *sep, gint maxsplit, const char *expected_json)
{
  g_autoptr(AfnVariable) x = from_value (data_take);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parts = afn_split (x, sep, maxsplit, &error);
  g_autoptr(AfnValue) expected = value_from_json (expected_json);
  g_autoptr(AfnValue) got = afn_value_new_list ();

  g_assert_no_error (error);
  for (guint i = 0; i < parts->len; i++)
    afn_value_append_take (got, afn_value_ref (afn_variable_get_data (g_ptr_array_index (parts, i))));
  if (!afn_value_equal (got, expected))
    {
      g_autofree char *got_repr = afn_value_to_repr (got);
      g_error ("split gave %s, expected %s", got_repr, expected_json);
    }
}

static void
test_split_python (void)
{
  assert_split (afn_value_new_str ("  a  b\tc\n", -1), NULL, -1, "[\"a\", \"b\", \"c\"]");
  assert_split (afn_value_new_str ("  a  b c  ", -1), NULL, 1, "[\"a\", \"b c  \"]");
  assert_split (afn_value_new_str ("a b", -1), NULL, 0, "[\"a b\"]");
  assert_split (afn_value_new_str ("   ", -1), NULL, -1, "[]");
  assert_split (afn_value_new_str ("", -1), NULL, -1, "[]");
  assert_split (afn_value_new_str ("a,,b", -1), ",", -1, "[\"a\", \"\", \"b\"]");
  assert_split (afn_value_new_str ("a,b,c", -1), ",", 1, "[\"a\", \"b,c\"]");
  assert_split (afn_value_new_str ("", -1), ",", -1, "[\"\"]");
  assert_split (afn_value_new_str ("xabyabz", -1), "ab", -1, "[\"x\", \"y\", \"z\"]");
  /* Python's white space includes U+3000 and U+0085. */
  assert_split (afn_value_new_str ("a\xE3\x80\x80" "b\xC2\x85" "c", -1), NULL, -1, "[\"a\", \"b\", \"c\"]");
}

static void
test_split_odd_text (void)
{
  g_autoptr(AfnVariable) x = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  gsize len;
  const char *s;

  x = from_value (afn_value_new_str ("a\0b c\xED\xA0\x80", 8));
  parts = afn_split (x, NULL, -1, NULL);
  g_assert_cmpuint (parts->len, ==, 2);
  s = afn_value_get_str (afn_variable_get_data (g_ptr_array_index (parts, 0)), &len);
  g_assert_cmpmem (s, len, "a\0b", 3);
  s = afn_value_get_str (afn_variable_get_data (g_ptr_array_index (parts, 1)), &len);
  g_assert_cmpmem (s, len, "c\xED\xA0\x80", 4);
}

static void
test_split_errors_and_grad (void)
{
  g_autoptr(AfnVariable) n = new_variable_json ("42", "number", TRUE);
  g_autoptr(AfnVariable) ns = new_variable_json ("[1, 2]", "numbers", TRUE);
  g_autoptr(AfnVariable) x = afn_variable_new_str ("a b", "text", FALSE);
  g_autoptr(AfnVariable) e = afn_variable_new_str ("", "empty", TRUE);
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (afn_split (n, NULL, -1, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (afn_split (ns, NULL, -1, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_null (afn_split (x, "", -1, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, "split(): empty separator");
  g_clear_error (&error);

  parts = afn_split (x, NULL, -1, NULL);
  g_assert_cmpuint (parts->len, ==, 2);
  g_assert_false (afn_variable_get_requires_grad (g_ptr_array_index (parts, 0)));
  g_assert_cmpstr (afn_variable_get_role (g_ptr_array_index (parts, 1)), ==, "split part 1 of text");
  g_clear_pointer (&parts, g_ptr_array_unref);

  parts = afn_split (e, NULL, -1, NULL);
  g_assert_cmpuint (parts->len, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/ops/add-example", test_add_example);
  g_test_add_func ("/engine/ops/sum-example", test_sum_example);
  g_test_add_func ("/engine/ops/split-example", test_split_example);
  g_test_add_func ("/engine/ops/split-list-example", test_split_list_example);
  g_test_add_func ("/engine/ops/add-values", test_add_values);
  g_test_add_func ("/engine/ops/add-errors", test_add_errors);
  g_test_add_func ("/engine/ops/add-roles-and-grad", test_add_roles_and_grad);
  g_test_add_func ("/engine/ops/sum-values", test_sum_values);
  g_test_add_func ("/engine/ops/sum-errors", test_sum_errors);
  g_test_add_func ("/engine/ops/sum-backward", test_sum_backward);
  g_test_add_func ("/engine/ops/split-python", test_split_python);
  g_test_add_func ("/engine/ops/split-odd-text", test_split_odd_text);
  g_test_add_func ("/engine/ops/split-errors-and-grad", test_split_errors_and_grad);
  return g_test_run ();
}
