/* test-util.h: helpers shared by the engine tests.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <afnio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* Builds an AfnValue from JSON text: strings, ints, floats (a JSON number
 * with '.' or 'e' is a float), bools, null and arrays. */
static inline AfnValue *
value_from_node (JsonNode *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      AfnValue *list = afn_value_new_list ();
      for (guint i = 0; i < json_array_get_length (array); i++)
        afn_value_append_take (list, value_from_node (json_array_get_element (array, i)));
      return list;
    }
  if (JSON_NODE_HOLDS_NULL (node))
    return afn_value_new_none ();
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return afn_value_new_str (json_node_get_string (node), -1);
    case G_TYPE_BOOLEAN:
      return afn_value_new_bool (json_node_get_boolean (node));
    case G_TYPE_DOUBLE:
      return afn_value_new_float (json_node_get_double (node));
    default:
      return afn_value_new_int (json_node_get_int (node));
    }
}

static inline AfnValue *
value_from_json (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_assert_nonnull (node);
  return value_from_node (node);
}

static inline AfnVariable *
new_variable_json (const char *json, const char *role, gboolean requires_grad)
{
  g_autoptr(AfnValue) data = value_from_json (json);
  g_autoptr(GError) error = NULL;
  AfnVariable *v = afn_variable_new (data, role, requires_grad, &error);
  g_assert_no_error (error);
  return v;
}

static inline void
assert_str_data (AfnVariable *v, const char *expected)
{
  AfnValue *data = afn_variable_get_data (v);
  gsize len;
  g_assert_cmpint (afn_value_kind (data), ==, AFN_VALUE_STR);
  g_assert_cmpstr (afn_value_get_str (data, &len), ==, expected);
  g_assert_cmpuint (len, ==, strlen (expected));
}

/* For notify handlers connected with g_signal_connect_swapped(). */
static inline void
count_cb (guint *counter, gpointer unused)
{
  (*counter)++;
}

/* Records "items-changed" emissions of a GListModel. */
typedef struct {
  guint calls, position, removed, added;
} ItemsCount;

static inline void
items_count_cb (GListModel *model, guint position, guint removed, guint added, ItemsCount *seen)
{
  seen->calls++;
  seen->position = position;
  seen->removed = removed;
  seen->added = added;
}
