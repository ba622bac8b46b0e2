/* afn-variable-cast.c: Variable.to(), Python's str()/int()/float() casts.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "afn-engine-private.h"

static void
set_literal_error (GError **error, const char *format, const AfnValue *v)
{
  g_autofree char *repr = afn_value_to_repr (v);
  g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA, format, repr);
}

/* Python's int() and float() strip white space and accept one underscore
 * between two digits. Returns the cleaned text, or NULL when an underscore
 * is misplaced or the text holds a NUL. */
static char *
clean_number_text (const AfnValue *v)
{
  gsize len;
  const char *s = afn_value_get_str (v, &len);
  GString *out;

  if (memchr (s, '\0', len) != NULL)
    return NULL;
  out = g_string_new (NULL);
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '_')
        {
          if (i == 0 || i + 1 >= len || !g_ascii_isdigit (s[i - 1]) || !g_ascii_isdigit (s[i + 1]))
            {
              g_string_free (out, TRUE);
              return NULL;
            }
          continue;
        }
      g_string_append_c (out, s[i]);
    }
  return g_strstrip (g_string_free (out, FALSE));
}

static AfnValue *
str_to_int (const AfnValue *v, GError **error)
{
  g_autofree char *text = clean_number_text (v);
  const char *digits;

  if (text == NULL || *text == '\0')
    goto invalid;
  digits = text + (text[0] == '+' || text[0] == '-');
  if (*digits == '\0')
    goto invalid;
  for (const char *p = digits; *p; p++)
    if (!g_ascii_isdigit (*p))
      goto invalid;
  return afn_value_new_bigint (text);

invalid:
  set_literal_error (error, _("invalid literal for int() with base 10: %s"), v);
  return NULL;
}

static AfnValue *
float_to_int (double d, GError **error)
{
  char buf[400];

  if (isnan (d))
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                           _("cannot convert float NaN to integer"));
      return NULL;
    }
  if (isinf (d))
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                           _("cannot convert float infinity to integer"));
      return NULL;
    }
  /* Every double beyond 2^53 is an integer, printed exactly by %.0f. */
  g_snprintf (buf, sizeof buf, "%.0f", trunc (d));
  return afn_value_new_bigint (buf);
}

static AfnValue *
str_to_float (const AfnValue *v, GError **error)
{
  g_autofree char *text = clean_number_text (v);
  char *end = NULL;
  double d;

  /* g_ascii_strtod() also reads hex floats and "nan(...)", which Python's
   * float() refuses. */
  if (text == NULL || *text == '\0' || strpbrk (text, "xX(") != NULL)
    goto invalid;
  d = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0')
    goto invalid;
  return afn_value_new_float (d);

invalid:
  set_literal_error (error, _("could not convert string to float: %s"), v);
  return NULL;
}

static AfnValue *
cast_scalar (const AfnValue *v, GType type, GError **error)
{
  AfnValueKind kind = afn_value_kind (v);

  if (type == G_TYPE_STRING)
    {
      char *text;
      if (kind == AFN_VALUE_STR)
        return afn_value_ref ((AfnValue *) v);
      text = afn_value_to_text (v);
      return afn_value_new_str_take (text, strlen (text));
    }
  if (type == G_TYPE_INT64)
    switch (kind)
      {
      case AFN_VALUE_STR:
        return str_to_int (v, error);
      case AFN_VALUE_BOOL:
        return afn_value_new_int (afn_value_get_bool (v));
      case AFN_VALUE_FLOAT:
        return float_to_int (afn_value_get_float (v), error);
      default:
        return afn_value_ref ((AfnValue *) v);
      }
  switch (kind)
    {
    case AFN_VALUE_STR:
      return str_to_float (v, error);
    case AFN_VALUE_BOOL:
      return afn_value_new_float (afn_value_get_bool (v));
    case AFN_VALUE_INT:
      return afn_value_new_float ((double) afn_value_get_int (v));
    case AFN_VALUE_BIGINT:
      {
        double d = g_ascii_strtod (afn_value_get_bigint (v), NULL);
        if (isinf (d))
          {
            g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                         _("int too large to convert to float: %s"), afn_value_get_bigint (v));
            return NULL;
          }
        return afn_value_new_float (d);
      }
    default:
      return afn_value_ref ((AfnValue *) v);
    }
}

static gboolean
is_scalar_kind (AfnValueKind kind)
{
  return kind == AFN_VALUE_STR || kind == AFN_VALUE_INT || kind == AFN_VALUE_BIGINT ||
         kind == AFN_VALUE_FLOAT || kind == AFN_VALUE_BOOL;
}

/* to(): a new Variable with the data cast to str (G_TYPE_STRING), int
 * (G_TYPE_INT64) or float (G_TYPE_DOUBLE), element by element for lists,
 * keeping role and requires_grad. AFN_ERROR_INVALID_DATA when a value does
 * not convert (Python's message). Transfer full. */
AfnVariable *
afn_variable_to (AfnVariable *self, GType type, GError **error)
{
  AfnValue *data;
  g_autoptr(AfnValue) cast = NULL;
  AfnValueKind kind;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), NULL);
  g_return_val_if_fail (type == G_TYPE_STRING || type == G_TYPE_INT64 || type == G_TYPE_DOUBLE, NULL);

  data = afn_variable_get_data (self);
  kind = afn_value_kind (data);
  if (is_scalar_kind (kind))
    cast = cast_scalar (data, type, error);
  else if (kind == AFN_VALUE_LIST || kind == AFN_VALUE_TUPLE)
    {
      cast = afn_value_new_list ();
      for (guint i = 0; i < afn_value_n_items (data); i++)
        {
          AfnValue *item = afn_value_get_item (data, i);
          AfnValue *c = is_scalar_kind (afn_value_kind (item)) ? cast_scalar (item, type, error) : NULL;
          if (c == NULL)
            {
              if (error != NULL && *error == NULL)
                g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                             _("Cannot cast a %s list item."), afn_value_kind_name (afn_value_kind (item)));
              return NULL;
            }
          afn_value_append_take (cast, c);
        }
    }
  else
    g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA, _("Cannot cast %s data."),
                 afn_value_kind_name (kind));
  if (cast == NULL)
    return NULL;
  return afn_variable_new_take (AFN_TYPE_VARIABLE, g_steal_pointer (&cast),
                                g_strdup (afn_variable_get_role (self)),
                                afn_variable_get_requires_grad (self));
}
