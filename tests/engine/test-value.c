/* test-value.c: the value tree that Variable data is made of.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>
#include <math.h>
#include <string.h>

static void
assert_repr (AfnValue *value_take, const char *expected)
{
  g_autoptr(AfnValue) value = value_take;
  g_autofree char *repr = afn_value_to_repr (value);

  g_assert_cmpstr (repr, ==, expected);
}

static void
test_float_repr (void)
{
  /* Python's repr(), digit for digit. */
  assert_repr (afn_value_new_float (100.0), "100.0");
  assert_repr (afn_value_new_float (1e15), "1000000000000000.0");
  assert_repr (afn_value_new_float (1e16), "1e+16");
  assert_repr (afn_value_new_float (0.1), "0.1");
  assert_repr (afn_value_new_float (1e-5), "1e-05");
  assert_repr (afn_value_new_float (0.0001), "0.0001");
  assert_repr (afn_value_new_float (123456789012345680.0), "1.2345678901234568e+17");
  assert_repr (afn_value_new_float (1234.5), "1234.5");
  assert_repr (afn_value_new_float (-0.0), "-0.0");
  assert_repr (afn_value_new_float (5e-324), "5e-324");
  assert_repr (afn_value_new_float (1.7976931348623157e308), "1.7976931348623157e+308");
  assert_repr (afn_value_new_float (NAN), "nan");
  assert_repr (afn_value_new_float (-INFINITY), "-inf");
}

static void
test_bigint_normalization (void)
{
  g_autoptr(AfnValue) small = afn_value_new_bigint ("0009");
  g_autoptr(AfnValue) zero = afn_value_new_bigint ("-0");
  g_autoptr(AfnValue) min = afn_value_new_bigint ("-9223372036854775808");
  g_autoptr(AfnValue) big = afn_value_new_bigint ("9223372036854775808");

  g_assert_cmpint (afn_value_kind (small), ==, AFN_VALUE_INT);
  g_assert_cmpint (afn_value_get_int (small), ==, 9);
  g_assert_cmpint (afn_value_get_int (zero), ==, 0);
  g_assert_cmpint (afn_value_get_int (min), ==, G_MININT64);
  g_assert_cmpint (afn_value_kind (big), ==, AFN_VALUE_BIGINT);
  g_assert_cmpstr (afn_value_get_bigint (big), ==, "9223372036854775808");
  assert_repr (afn_value_ref (big), "9223372036854775808");
}

static void
test_str (void)
{
  g_autoptr(AfnValue) nul = afn_value_new_str ("a\0b", 3);
  g_autoptr(AfnValue) surrogate = afn_value_new_str ("x\xED\xA0\x80", 4);
  g_autofree char *shown = afn_value_dup_display_string (surrogate);
  gsize len;

  g_assert_cmpmem (afn_value_get_str (nul, &len), len, "a\0b", 3);
  g_assert_cmpstr (shown, ==, "x\xEF\xBF\xBD");
  assert_repr (afn_value_new_str ("it's", -1), "\"it's\"");
  assert_repr (afn_value_new_str ("a\nb\\", -1), "'a\\nb\\\\'");
  assert_repr (afn_value_ref (nul), "'a\\x00b'");
}

static void
test_equality_and_copy (void)
{
  g_autoptr(AfnValue) a = afn_value_new_list ();
  g_autoptr(AfnValue) b = NULL;
  g_autoptr(AfnValue) pz = afn_value_new_float (0.0);
  g_autoptr(AfnValue) nz = afn_value_new_float (-0.0);
  g_autoptr(AfnValue) n1 = afn_value_new_float (NAN);
  g_autoptr(AfnValue) n2 = afn_value_new_float (NAN);

  afn_value_append_take (a, afn_value_new_str ("x", -1));
  afn_value_append_take (a, afn_value_new_int (1));
  b = afn_value_deep_copy (a);
  g_assert_true (a != b);
  g_assert_true (afn_value_equal (a, b));
  g_assert_true (afn_value_get_item (a, 0) == afn_value_get_item (b, 0));
  afn_value_append_take (b, afn_value_new_none ());
  g_assert_false (afn_value_equal (a, b));
  g_assert_false (afn_value_equal (pz, nz));
  g_assert_true (afn_value_equal (n1, n2));
}

static void
test_deep_nesting_frees (void)
{
  AfnValue *root = afn_value_new_list ();
  AfnValue *at = root;

  /* Deep enough to matter, shallow enough for a sanitizer build's time. */
  for (guint i = 0; i < 20000; i++)
    {
      AfnValue *child = afn_value_new_list ();
      afn_value_append_take (at, child);
      at = child;
    }
  afn_value_unref (root);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/value/float-repr", test_float_repr);
  g_test_add_func ("/engine/value/bigint", test_bigint_normalization);
  g_test_add_func ("/engine/value/str", test_str);
  g_test_add_func ("/engine/value/equality-and-copy", test_equality_and_copy);
  g_test_add_func ("/engine/value/deep-nesting", test_deep_nesting_frees);
  return g_test_run ();
}
