/* test-variable.c: Variables and Parameters: data, printing, methods, grads.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>
#include <math.h>

#include "afn-variable-private.h"

#include "test-util.h"

static const char non_leaf_hint[] =
  "Non-leaf Variables do not have their gradients retained by default in autodiff. "
  "To retain gradients for this Variable, call ``.retain_grad()`` before performing "
  "the backward pass.";

/* Data validation ------------------------------------------------------- */

static void
test_defaults (void)
{
  g_autoptr(AfnVariable) v = afn_variable_new_str ("abc", "input", FALSE);

  g_assert_false (afn_variable_get_requires_grad (v));
  g_assert_true (afn_variable_is_leaf (v));
  g_assert_null (afn_variable_get_grad_fn (v));
  g_assert_cmpuint (afn_variable_get_output_nr (v), ==, 0);
  g_assert_false (afn_variable_retains_grad (v));
  g_assert_null (afn_variable_get_variable_id (v));
  g_assert_cmpuint (afn_variable_n_grads (v), ==, 0);
  g_assert_cmpstr (afn_variable_get_role (v), ==, "input");
}

static void
assert_normalized (const char *json, const char *expected_json)
{
  g_autoptr(AfnVariable) v = new_variable_json (json, "r", FALSE);
  g_autoptr(AfnValue) expected = value_from_json (expected_json);

  g_assert_true (afn_value_equal (afn_variable_get_data (v), expected));
}

static void
test_data_normalization (void)
{
  assert_normalized ("[1, 2.5]", "[1.0, 2.5]");
  assert_normalized ("[true, 2.5]", "[1.0, 2.5]");
  assert_normalized ("[true, 2]", "[true, 2]");
  assert_normalized ("[1, 2]", "[1, 2]");
  assert_normalized ("[]", "[]");
  assert_normalized ("[\"a\", \"b\"]", "[\"a\", \"b\"]");
  assert_normalized ("true", "true");
}

static void
test_data_tuple_becomes_list (void)
{
  g_autoptr(AfnValue) tuple = afn_value_new_tuple ();
  g_autoptr(AfnVariable) v = NULL;

  afn_value_append_take (tuple, afn_value_new_str ("a", -1));
  afn_value_append_take (tuple, afn_value_new_str ("b", -1));
  v = afn_variable_new (tuple, "pair", FALSE, NULL);
  g_assert_cmpint (afn_value_kind (afn_variable_get_data (v)), ==, AFN_VALUE_LIST);
  g_assert_cmpuint (afn_value_n_items (afn_variable_get_data (v)), ==, 2);
}

static void
assert_refused (const char *json, const char *message)
{
  g_autoptr(AfnValue) data = value_from_json (json);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) v = afn_variable_new (data, "r", FALSE, &error);

  g_assert_null (v);
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_data_refused (void)
{
  assert_refused ("[\"a\", 1]",
                  "When `data` is a list, it must be either all strings or all numbers (int, float).");
  assert_refused ("[[1], [2]]",
                  "When `data` is a list, it must be either all strings or all numbers (int, float).");
  assert_refused ("[\"a\", [\"b\"]]",
                  "When `data` is a list, it must be either all strings or all numbers (int, float).");
  assert_refused ("null",
                  "`data` must be a single value (str, int, float) or a list/tuple of such values, not None.");
}

static void
test_set_data (void)
{
  g_autoptr(AfnVariable) v = afn_variable_new_str ("abc", "r", FALSE);
  g_autoptr(AfnValue) good = value_from_json ("[1, 2.0]");
  g_autoptr(AfnValue) bad = value_from_json ("[1, \"x\"]");
  g_autoptr(AfnValue) expected = value_from_json ("[1.0, 2.0]");
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  g_signal_connect_swapped (v, "notify::data", G_CALLBACK (count_cb), &notified);
  g_assert_false (afn_variable_set_data (v, bad, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  assert_str_data (v, "abc");
  g_assert_cmpuint (notified, ==, 0);
  g_assert_true (afn_variable_set_data (v, good, NULL));
  g_assert_true (afn_value_equal (afn_variable_get_data (v), expected));
  g_assert_cmpuint (notified, ==, 1);
}

/* Printing -------------------------------------------------------------- */

static void
assert_printed (AfnVariable *v, const char *expected)
{
  g_autofree char *text = afn_variable_to_string (v);
  g_assert_cmpstr (text, ==, expected);
}

static void
assert_printed_json (const char *json, const char *role, const char *expected)
{
  g_autoptr(AfnVariable) v = new_variable_json (json, role, FALSE);
  assert_printed (v, expected);
}

static void
test_print_scalars (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", FALSE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("abc", "input", TRUE);

  assert_printed (x, "variable(abc, role=input, requires_grad=False)");
  assert_printed (y, "variable(abc, role=input, requires_grad=True)");
  assert_printed_json ("42", "score", "variable(42, role=score, requires_grad=False)");
  assert_printed_json ("2.5", "score", "variable(2.5, role=score, requires_grad=False)");
  assert_printed_json ("3.0", "score", "variable(3.0, role=score, requires_grad=False)");
  assert_printed_json ("true", "flag", "variable(True, role=flag, requires_grad=False)");
}

static void
test_print_truncation (void)
{
  /* 40 characters stay whole; 41 and more show 20, "...", 20. */
  assert_printed_json ("\"0123456789012345678901234567890123456789\"", "r",
                       "variable(0123456789012345678901234567890123456789, role=r, requires_grad=False)");
  assert_printed_json ("\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\"", "r",
                       "variable(abcdefghijklmnopqrst...0123456789ABCDEFGHIJ, role=r, requires_grad=False)");
  /* Characters, not bytes, are counted. */
  {
    g_autoptr(GString) text = g_string_new ("\"");
    g_autoptr(GString) expected = g_string_new ("variable(");
    for (guint i = 0; i < 41; i++)
      g_string_append (text, "\xC3\xA9");
    g_string_append_c (text, '"');
    for (guint i = 0; i < 20; i++)
      g_string_append (expected, "\xC3\xA9");
    g_string_append (expected, "...");
    for (guint i = 0; i < 20; i++)
      g_string_append (expected, "\xC3\xA9");
    g_string_append (expected, ", role=r, requires_grad=False)");
    assert_printed_json (text->str, "r", expected->str);
  }
  /* The role is truncated too. */
  assert_printed_json ("\"x\"", "a role that is much longer than forty characters",
                       "variable(x, role=a role that is much ...han forty characters, requires_grad=False)");
}

static void
test_print_lists (void)
{
  assert_printed_json ("[1, 2, 3, 4, 5, 6]", "r",
                       "variable([1, 2, 3, 4, 5, 6], role=r, requires_grad=False)");
  assert_printed_json ("[1, 2, 3, 4, 5, 6, 7]", "r",
                       "variable([1, 2, 3, ..., 5, 6, 7], role=r, requires_grad=False)");
  assert_printed_json ("[1, 2.5]", "r", "variable([1.0, 2.5], role=r, requires_grad=False)");
  assert_printed_json ("[\"a\", \"b\"]", "r", "variable([a, b], role=r, requires_grad=False)");
  assert_printed_json ("[\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\", \"b\"]", "r",
                       "variable([abcdefghijklmnopqrst...0123456789ABCDEFGHIJ, b], role=r, requires_grad=False)");
  assert_printed_json ("[]", "r", "variable([], role=r, requires_grad=False)");
}

static void
test_print_grad_fn_and_parameter (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "first input", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "second input", FALSE);
  g_autoptr(AfnVariable) r = afn_add (x, y, NULL);
  g_autoptr(AfnParameter) p = afn_parameter_new_str ("You are a doctor.", "system prompt");
  g_autoptr(AfnVariable) none_role = afn_variable_new_str ("x", NULL, FALSE);

  assert_printed (r, "variable(abcdef, role=first input and second input, grad_fn=AddBackward0)");
  assert_printed (AFN_VARIABLE (p), "parameter(You are a doctor., role=system prompt, requires_grad=True)");
  assert_printed (none_role, "variable(x, role=None, requires_grad=False)");
}

static void
test_print_odd_text (void)
{
  g_autoptr(AfnValue) data = afn_value_new_str ("x\xED\xA0\x80\0y", 6);
  g_autoptr(AfnVariable) v = afn_variable_new (data, "r", FALSE, NULL);
  g_autoptr(AfnValue) big = afn_value_new_float (100.0);
  g_autoptr(AfnVariable) b = afn_variable_new (big, "r", FALSE, NULL);

  /* A lone surrogate is one character, shown as U+FFFD; so is a NUL. */
  assert_printed (v, "variable(x\xEF\xBF\xBD\xEF\xBF\xBDy, role=r, requires_grad=False)");
  assert_printed (b, "variable(100.0, role=r, requires_grad=False)");
}

/* Methods --------------------------------------------------------------- */

static void
test_detach (void)
{
  g_autoptr(AfnParameter) p = afn_parameter_new_str ("abc", "prompt");
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "other", FALSE);
  g_autoptr(AfnVariable) r = afn_add (AFN_VARIABLE (p), y, NULL);
  g_autoptr(AfnVariable) d = afn_variable_detach (r);
  g_autoptr(AfnVariable) dp = afn_variable_detach (AFN_VARIABLE (p));

  assert_str_data (d, "abcdef");
  g_assert_cmpstr (afn_variable_get_role (d), ==, "prompt and other");
  g_assert_null (afn_variable_get_grad_fn (d));
  g_assert_false (afn_variable_get_requires_grad (d));
  g_assert_true (afn_variable_is_leaf (d));
  g_assert_true (G_OBJECT_TYPE (dp) == AFN_TYPE_VARIABLE);
  g_assert_false (afn_variable_get_requires_grad (dp));
}

static void
test_copy (void)
{
  g_autoptr(AfnVariable) a = new_variable_json ("[\"a\", \"b\", \"c\"]", "letters", FALSE);
  g_autoptr(AfnVariable) b = new_variable_json ("[\"x\", \"y\", \"z\"]", "other letters", TRUE);
  g_autoptr(AfnVariable) short_list = new_variable_json ("[\"x\", \"y\"]", "two", FALSE);
  g_autoptr(AfnVariable) s = afn_variable_new_str ("abc", "text", FALSE);
  g_autoptr(AfnVariable) n = new_variable_json ("7", "number", TRUE);
  g_autoptr(GError) error = NULL;

  g_assert_false (afn_variable_copy_ (a, short_list, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH);
  g_assert_cmpstr (error->message, ==, "Cannot copy list `.data` fields of different lengths: 3 vs 2.");
  g_clear_error (&error);

  g_assert_false (afn_variable_copy_ (a, s, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_TYPE_MISMATCH);
  g_assert_cmpstr (error->message, ==, "Cannot copy data from str to list.");
  g_clear_error (&error);
  g_assert_false (afn_variable_copy_ (s, a, &error));
  g_assert_cmpstr (error->message, ==, "Cannot copy data from list to str.");
  g_clear_error (&error);
  g_assert_cmpstr (afn_variable_get_role (a), ==, "letters");

  g_assert_true (afn_variable_copy_ (a, b, &error));
  g_assert_no_error (error);
  g_assert_true (afn_value_equal (afn_variable_get_data (a), afn_variable_get_data (b)));
  g_assert_true (afn_variable_get_data (a) != afn_variable_get_data (b));
  g_assert_cmpstr (afn_variable_get_role (a), ==, "other letters");
  g_assert_true (afn_variable_get_requires_grad (a));

  /* Scalars of different kinds copy into each other, as in afnio. */
  g_assert_true (afn_variable_copy_ (s, n, NULL));
  g_assert_cmpint (afn_value_get_int (afn_variable_get_data (s)), ==, 7);
  g_assert_true (afn_variable_get_requires_grad (s));
}

static void
assert_cast (const char *json, GType type, const char *expected_json)
{
  g_autoptr(AfnVariable) v = new_variable_json (json, "r", TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) c = afn_variable_to (v, type, &error);
  g_autoptr(AfnValue) expected = value_from_json (expected_json);

  g_assert_no_error (error);
  g_assert_true (afn_value_equal (afn_variable_get_data (c), expected));
  g_assert_cmpstr (afn_variable_get_role (c), ==, "r");
  g_assert_true (afn_variable_get_requires_grad (c));
}

static void
assert_cast_fails (const char *json, GType type, const char *message)
{
  g_autoptr(AfnVariable) v = new_variable_json (json, "r", FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) c = afn_variable_to (v, type, &error);

  g_assert_null (c);
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_to (void)
{
  assert_cast ("\"42\"", G_TYPE_INT64, "42");
  assert_cast ("\" -7 \"", G_TYPE_INT64, "-7");
  assert_cast ("\"1_000\"", G_TYPE_INT64, "1000");
  assert_cast ("3.9", G_TYPE_INT64, "3");
  assert_cast ("-3.9", G_TYPE_INT64, "-3");
  assert_cast ("true", G_TYPE_INT64, "1");
  assert_cast ("[\"1\", \"2\"]", G_TYPE_INT64, "[1, 2]");
  assert_cast ("\"2.5\"", G_TYPE_DOUBLE, "2.5");
  assert_cast ("\"1e3\"", G_TYPE_DOUBLE, "1000.0");
  assert_cast ("7", G_TYPE_DOUBLE, "7.0");
  assert_cast ("42", G_TYPE_STRING, "\"42\"");
  assert_cast ("2.5", G_TYPE_STRING, "\"2.5\"");
  assert_cast ("true", G_TYPE_STRING, "\"True\"");
  assert_cast ("[1, 2.5]", G_TYPE_STRING, "[\"1.0\", \"2.5\"]");

  assert_cast_fails ("\"3.5\"", G_TYPE_INT64, "invalid literal for int() with base 10: '3.5'");
  assert_cast_fails ("\"abc\"", G_TYPE_INT64, "invalid literal for int() with base 10: 'abc'");
  assert_cast_fails ("\"1__0\"", G_TYPE_INT64, "invalid literal for int() with base 10: '1__0'");
  assert_cast_fails ("\"abc\"", G_TYPE_DOUBLE, "could not convert string to float: 'abc'");
  assert_cast_fails ("\"0x10\"", G_TYPE_DOUBLE, "could not convert string to float: '0x10'");
  assert_cast_fails ("[\"1\", \"x\"]", G_TYPE_INT64, "invalid literal for int() with base 10: 'x'");
}

static void
test_to_special_numbers (void)
{
  g_autoptr(AfnValue) nan_value = afn_value_new_float (NAN);
  g_autoptr(AfnValue) inf_value = afn_value_new_float (-INFINITY);
  g_autoptr(AfnValue) big_float = afn_value_new_float (1e20);
  g_autoptr(AfnValue) huge = afn_value_new_bigint ("1" "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000"
                                                   "0000000000000000000000000000000000000000");
  g_autoptr(AfnValue) inf_text = afn_value_new_str ("-inf", -1);
  g_autoptr(AfnVariable) v = NULL;
  g_autoptr(AfnVariable) c = NULL;
  g_autoptr(GError) error = NULL;

  v = afn_variable_new (nan_value, "r", FALSE, NULL);
  g_assert_null (afn_variable_to (v, G_TYPE_INT64, &error));
  g_assert_cmpstr (error->message, ==, "cannot convert float NaN to integer");
  g_clear_error (&error);
  g_clear_object (&v);

  v = afn_variable_new (inf_value, "r", FALSE, NULL);
  g_assert_null (afn_variable_to (v, G_TYPE_INT64, &error));
  g_assert_cmpstr (error->message, ==, "cannot convert float infinity to integer");
  g_clear_error (&error);
  c = afn_variable_to (v, G_TYPE_STRING, NULL);
  assert_str_data (c, "-inf");
  g_clear_object (&c);
  g_clear_object (&v);

  v = afn_variable_new (big_float, "r", FALSE, NULL);
  c = afn_variable_to (v, G_TYPE_INT64, NULL);
  g_assert_cmpint (afn_value_kind (afn_variable_get_data (c)), ==, AFN_VALUE_BIGINT);
  g_assert_cmpstr (afn_value_get_bigint (afn_variable_get_data (c)), ==, "100000000000000000000");
  g_clear_object (&c);
  g_clear_object (&v);

  v = afn_variable_new (huge, "r", FALSE, NULL);
  g_assert_null (afn_variable_to (v, G_TYPE_DOUBLE, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "int too large to convert to float"));
  g_clear_error (&error);
  g_clear_object (&v);

  v = afn_variable_new (inf_text, "r", FALSE, NULL);
  c = afn_variable_to (v, G_TYPE_DOUBLE, NULL);
  g_assert_true (isinf (afn_value_get_float (afn_variable_get_data (c))));
  g_assert_true (afn_value_get_float (afn_variable_get_data (c)) < 0);
}

static void
test_is_floating_point (void)
{
  struct { const char *json; gboolean expected; } cases[] = {
    { "1.5", TRUE }, { "1", FALSE }, { "[1.0, 2.0]", TRUE }, { "[1.0, 2]", TRUE },
    { "[1, 2]", FALSE }, { "[]", FALSE }, { "\"1.5\"", FALSE }, { "[\"a\"]", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(AfnVariable) v = new_variable_json (cases[i].json, "r", FALSE);
      g_assert_cmpint (afn_variable_is_floating_point (v), ==, cases[i].expected);
    }
}

static void
test_requires_grad_ (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", FALSE);
  g_autoptr(AfnVariable) r = NULL;
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  g_signal_connect_swapped (x, "notify::requires-grad", G_CALLBACK (count_cb), &notified);
  g_assert_true (afn_variable_requires_grad_ (x, TRUE, NULL));
  g_assert_true (afn_variable_get_requires_grad (x));
  g_assert_true (afn_variable_is_leaf (x));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (afn_variable_requires_grad_ (x, TRUE, NULL));
  g_assert_cmpuint (notified, ==, 1);

  r = afn_add (x, x, NULL);
  g_assert_false (afn_variable_requires_grad_ (r, FALSE, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NOT_LEAF);
  g_assert_true (afn_variable_get_requires_grad (r));

  g_assert_true (afn_variable_requires_grad_ (x, FALSE, NULL));
  g_assert_false (afn_variable_get_requires_grad (x));
  g_assert_cmpuint (notified, ==, 2);
}

static void
test_retain_grad_on_leaf (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", TRUE);
  g_autoptr(AfnVariable) r = afn_add (x, x, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (afn_variable_retain_grad (x, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NOT_LEAF);
  g_assert_cmpstr (error->message, ==, "Cannot call retain_grad on a leaf variable");
  g_assert_true (afn_variable_retain_grad (r, NULL));
  g_assert_true (afn_variable_retains_grad (r));
}

static void
test_grad_of_non_leaf (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", TRUE);
  g_autoptr(AfnVariable) g = afn_variable_new_str ("fb", "feedback", FALSE);
  g_autoptr(AfnVariable) r = afn_add (x, x, NULL);
  g_autoptr(GPtrArray) grads = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *access = g_strconcat ("Attempted to access .grad for a non-leaf Variable without "
                                         "retain_grad enabled. ", non_leaf_hint, NULL);
  g_autofree char *append = g_strconcat ("Attempted to append to .grad for a non-leaf Variable "
                                         "without retain_grad enabled. ", non_leaf_hint, NULL);
  g_autofree char *set = g_strconcat ("Attempted to set .grad for a non-leaf Variable without "
                                      "retain_grad enabled. ", non_leaf_hint, NULL);

  g_assert_null (afn_variable_get_grads (r, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD);
  g_assert_cmpstr (error->message, ==, access);
  g_clear_error (&error);
  g_assert_false (afn_variable_append_grad (r, g, &error));
  g_assert_cmpstr (error->message, ==, append);
  g_clear_error (&error);
  g_assert_false (afn_variable_set_grads (r, grads, &error));
  g_assert_cmpstr (error->message, ==, set);
  g_clear_error (&error);

  g_assert_true (afn_variable_retain_grad (r, NULL));
  g_assert_nonnull (afn_variable_get_grads (r, NULL));
  g_assert_true (afn_variable_append_grad (r, g, NULL));
  g_assert_cmpuint (afn_variable_n_grads (r), ==, 1);
}

typedef struct {
  guint calls, position, removed, added;
} ItemsChanged;

static void
items_changed_cb (GListModel *model, guint position, guint removed, guint added, ItemsChanged *seen)
{
  seen->calls++;
  seen->position = position;
  seen->removed = removed;
  seen->added = added;
}

static void
test_grads_model (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", TRUE);
  g_autoptr(AfnVariable) g1 = afn_variable_new_str ("one", "feedback", FALSE);
  g_autoptr(AfnVariable) g2 = afn_variable_new_str ("two", "feedback", FALSE);
  g_autoptr(AfnVariable) g3 = afn_variable_new_str ("three", "feedback", FALSE);
  g_autoptr(GPtrArray) replacement = g_ptr_array_new ();
  g_autoptr(AfnVariable) item = NULL;
  g_autoptr(GListModel) from_property = NULL;
  ItemsChanged seen = { 0, };
  GListModel *model = afn_variable_get_grads (x, NULL);

  g_object_get (x, "grads", &from_property, NULL);
  g_assert_true (from_property == model);
  g_assert_true (g_list_model_get_item_type (model) == AFN_TYPE_VARIABLE);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &seen);

  g_assert_true (afn_variable_append_grad (x, g1, NULL));
  g_assert_cmpuint (seen.calls, ==, 1);
  g_assert_cmpuint (seen.position, ==, 0);
  g_assert_cmpuint (seen.added, ==, 1);
  g_assert_true (afn_variable_append_grad (x, g2, NULL));
  g_assert_true (afn_variable_append_grad (x, g1, NULL));
  g_assert_cmpuint (seen.position, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  item = g_list_model_get_item (model, 1);
  g_assert_true (item == g2);
  g_assert_null (g_list_model_get_item (model, 3));

  g_ptr_array_add (replacement, g3);
  g_ptr_array_add (replacement, g1);
  g_assert_true (afn_variable_set_grads (x, replacement, NULL));
  g_assert_cmpuint (seen.calls, ==, 4);
  g_assert_cmpuint (seen.removed, ==, 3);
  g_assert_cmpuint (seen.added, ==, 2);
  g_assert_true (afn_variable_get_grad (x, 0) == g3);
  g_assert_true (afn_variable_get_grad (x, 1) == g1);
  g_assert_true (afn_variable_set_grads (x, NULL, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
}

static void
test_grads_model_outlives_variable (void)
{
  AfnVariable *x = afn_variable_new_str ("abc", "input", TRUE);
  g_autoptr(AfnVariable) g1 = afn_variable_new_str ("one", "feedback", FALSE);
  g_autoptr(GListModel) model = NULL;

  afn_variable_append_grad (x, g1, NULL);
  model = g_object_ref (afn_variable_get_grads (x, NULL));
  g_object_unref (x);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
}

static void
test_set_grad_fn (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", FALSE);
  g_autoptr(AfnNode) node = g_object_new (AFN_TYPE_NODE, "name", "CustomBackward0", NULL);
  g_autoptr(GError) error = NULL;
  guint notified = 0;

  g_assert_false (afn_variable_set_grad_fn (x, node, 0, &error));
  g_assert_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD);
  g_assert_cmpstr (error->message, ==,
                   "Cannot set `grad_fn` on a variable that does not require gradients. To enable "
                   "gradient tracking for this variable, call `.requires_grad_()` before setting "
                   "`grad_fn`. Only variables with `requires_grad=True` can have a gradient "
                   "function (`grad_fn`).");
  g_clear_error (&error);

  afn_variable_requires_grad_ (x, TRUE, NULL);
  g_signal_connect_swapped (x, "notify::grad-fn", G_CALLBACK (count_cb), &notified);
  g_assert_true (afn_variable_set_grad_fn (x, node, 2, &error));
  g_assert_true (afn_variable_get_grad_fn (x) == node);
  g_assert_cmpuint (afn_variable_get_output_nr (x), ==, 2);
  g_assert_false (afn_variable_is_leaf (x));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (afn_variable_set_grad_fn (x, NULL, 0, &error));
  g_assert_true (afn_variable_is_leaf (x));
}

static void
test_properties_and_notify (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "input", FALSE);
  g_autofree char *role = NULL;
  g_autoptr(AfnValue) data = NULL;
  gboolean requires_grad, is_leaf;
  guint notified = 0;

  g_signal_connect_swapped (x, "notify::role", G_CALLBACK (count_cb), &notified);
  afn_variable_set_role (x, "input");
  g_assert_cmpuint (notified, ==, 0);
  g_object_set (x, "role", "new role", "requires-grad", TRUE, "variable-id", "id-1", NULL);
  g_assert_cmpuint (notified, ==, 1);
  g_object_get (x, "role", &role, "data", &data, "requires-grad", &requires_grad,
                "is-leaf", &is_leaf, NULL);
  g_assert_cmpstr (role, ==, "new role");
  g_assert_true (data == afn_variable_get_data (x));
  g_assert_true (requires_grad);
  g_assert_true (is_leaf);
  g_assert_cmpstr (afn_variable_get_variable_id (x), ==, "id-1");
  afn_variable_set_role (x, NULL);
  g_assert_null (afn_variable_get_role (x));
  g_assert_cmpuint (notified, ==, 2);
}

static void
test_parameter (void)
{
  g_autoptr(AfnParameter) p = afn_parameter_new_str ("You are a doctor.", "system prompt");
  g_autoptr(AfnValue) data = value_from_json ("[1, 2]");
  g_autoptr(AfnParameter) frozen = afn_parameter_new (data, "numbers", FALSE, NULL);

  g_assert_true (AFN_IS_VARIABLE (p));
  g_assert_true (afn_variable_get_requires_grad (AFN_VARIABLE (p)));
  g_assert_true (afn_variable_is_leaf (AFN_VARIABLE (p)));
  g_assert_cmpstr (AFN_VARIABLE_GET_CLASS (p)->python_class, ==, "afnio.cognitive.parameter.Parameter");
  g_assert_false (afn_variable_get_requires_grad (AFN_VARIABLE (frozen)));
}

/* Values every afnio file can hold --------------------------------------- */

static void
test_roundtrip_special_values (void)
{
  static const char nul_text[] = "a\0b";
  static const char surrogate[] = "x\xED\xA0\x80y";   /* a lone U+D800 */
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) afn_value_unref);

  g_ptr_array_add (values, afn_value_new_bigint ("-1267650600228229401496703205376"));
  g_ptr_array_add (values, afn_value_new_float (-0.0));
  g_ptr_array_add (values, afn_value_new_float (NAN));
  g_ptr_array_add (values, afn_value_new_float (INFINITY));
  g_ptr_array_add (values, afn_value_new_str (nul_text, 3));
  g_ptr_array_add (values, afn_value_new_str (surrogate, sizeof surrogate - 1));
  g_ptr_array_add (values, afn_value_new_bool (TRUE));

  for (guint i = 0; i < values->len; i++)
    {
      AfnValue *value = g_ptr_array_index (values, i);
      g_autoptr(AfnVariable) v = afn_variable_new (value, "r", TRUE, NULL);
      g_autoptr(AfnVariable) d = afn_variable_detach (v);
      g_autoptr(AfnVariable) c = afn_variable_new_str ("", "c", FALSE);
      g_autofree char *printed = afn_variable_to_string (v);

      g_assert_true (afn_value_equal (afn_variable_get_data (v), value));
      g_assert_true (afn_value_equal (afn_variable_get_data (d), value));
      g_assert_true (afn_variable_copy_ (c, v, NULL));
      g_assert_true (afn_value_equal (afn_variable_get_data (c), value));
      g_assert_true (g_utf8_validate (printed, -1, NULL));
    }
}

static void
test_raw_variable (void)
{
  g_autoptr(AfnValue) odd = value_from_json ("[\"a\", 1, [2]]");
  g_autoptr(AfnVariable) v = afn_variable_new_raw (AFN_TYPE_PARAMETER, odd, NULL, FALSE);
  g_autoptr(AfnValue) state = afn_value_new_dict ();
  g_autofree char *printed = NULL;

  g_assert_true (AFN_IS_PARAMETER (v));
  g_assert_true (afn_variable_get_data (v) == odd);
  g_assert_false (afn_variable_get_requires_grad (v));
  printed = afn_variable_to_string (v);
  g_assert_cmpstr (printed, ==, "parameter([a, 1, [2]], role=None, requires_grad=False)");

  g_assert_null (afn_variable_get_py_state (v));
  afn_variable_set_py_state (v, state);
  g_assert_true (afn_variable_get_py_state (v) == state);
  afn_variable_set_is_leaf_raw (v, FALSE);
  g_assert_false (afn_variable_is_leaf (v));
  afn_variable_set_retain_grad_raw (v, TRUE);
  g_assert_true (afn_variable_retains_grad (v));
}

/* A string Variable keeps its role in its data's block: the role must
 * outlive a data change, and survive role changes in any order. */
static void
test_role_shares_data_block (void)
{
  g_autoptr(AfnVariable) v = afn_variable_new_str ("abc", "input", FALSE);
  g_autoptr(AfnVariable) none = afn_variable_new_str ("abc", NULL, FALSE);
  g_autoptr(AfnValue) text = afn_value_new_str ("xyz", -1);
  g_autoptr(AfnValue) other = afn_value_new_str ("uvw", -1);
  const char *role = afn_variable_get_role (v);
  g_autoptr(GError) error = NULL;

  g_assert_true (afn_variable_set_data (v, text, &error));
  g_assert_no_error (error);
  /* The pointer handed out before stays valid, as with a role of its own. */
  g_assert_cmpstr (role, ==, "input");
  g_assert_true (afn_variable_get_role (v) == role);
  g_assert_true (afn_variable_set_data (v, other, &error));
  g_assert_cmpstr (afn_variable_get_role (v), ==, "input");
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (v), NULL), ==, "uvw");
  afn_variable_set_role (v, "input");
  g_assert_true (afn_variable_get_role (v) == role);
  afn_variable_set_role (v, NULL);
  g_assert_null (afn_variable_get_role (v));
  afn_variable_set_role (v, "again");
  g_assert_cmpstr (afn_variable_get_role (v), ==, "again");

  g_assert_null (afn_variable_get_role (none));
  afn_variable_set_role (none, "late");
  g_assert_cmpstr (afn_variable_get_role (none), ==, "late");
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (none), NULL), ==, "abc");
}

/* The role may change before the data does, too. */
static void
test_role_changed_then_data (void)
{
  g_autoptr(AfnVariable) v = afn_variable_new_str ("abc", "input", TRUE);
  g_autoptr(AfnValue) text = afn_value_new_str ("xyz", -1);
  g_autoptr(GError) error = NULL;

  afn_variable_set_role (v, "renamed");
  g_assert_true (afn_variable_set_data (v, text, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (afn_variable_get_role (v), ==, "renamed");
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (v), NULL), ==, "xyz");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/variable/defaults", test_defaults);
  g_test_add_func ("/engine/variable/data-normalization", test_data_normalization);
  g_test_add_func ("/engine/variable/data-tuple", test_data_tuple_becomes_list);
  g_test_add_func ("/engine/variable/data-refused", test_data_refused);
  g_test_add_func ("/engine/variable/set-data", test_set_data);
  g_test_add_func ("/engine/variable/role-shares-data-block", test_role_shares_data_block);
  g_test_add_func ("/engine/variable/role-changed-then-data", test_role_changed_then_data);
  g_test_add_func ("/engine/variable/print-scalars", test_print_scalars);
  g_test_add_func ("/engine/variable/print-truncation", test_print_truncation);
  g_test_add_func ("/engine/variable/print-lists", test_print_lists);
  g_test_add_func ("/engine/variable/print-grad-fn", test_print_grad_fn_and_parameter);
  g_test_add_func ("/engine/variable/print-odd-text", test_print_odd_text);
  g_test_add_func ("/engine/variable/detach", test_detach);
  g_test_add_func ("/engine/variable/copy", test_copy);
  g_test_add_func ("/engine/variable/to", test_to);
  g_test_add_func ("/engine/variable/to-special-numbers", test_to_special_numbers);
  g_test_add_func ("/engine/variable/is-floating-point", test_is_floating_point);
  g_test_add_func ("/engine/variable/requires-grad", test_requires_grad_);
  g_test_add_func ("/engine/variable/retain-grad-leaf", test_retain_grad_on_leaf);
  g_test_add_func ("/engine/variable/grad-non-leaf", test_grad_of_non_leaf);
  g_test_add_func ("/engine/variable/grads-model", test_grads_model);
  g_test_add_func ("/engine/variable/grads-model-outlives", test_grads_model_outlives_variable);
  g_test_add_func ("/engine/variable/set-grad-fn", test_set_grad_fn);
  g_test_add_func ("/engine/variable/properties", test_properties_and_notify);
  g_test_add_func ("/engine/variable/parameter", test_parameter);
  g_test_add_func ("/engine/variable/special-values", test_roundtrip_special_values);
  g_test_add_func ("/engine/variable/raw", test_raw_variable);
  return g_test_run ();
}
