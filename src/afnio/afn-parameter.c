/* afn-parameter.c: a Variable an optimizer may change.
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-parameter.h"
#include "afn-engine-private.h"

struct _AfnParameter
{
  AfnVariable parent_instance;
};

G_DEFINE_FINAL_TYPE (AfnParameter, afn_parameter, AFN_TYPE_VARIABLE)

static void
afn_parameter_class_init (AfnParameterClass *klass)
{
  AfnVariableClass *variable_class = AFN_VARIABLE_CLASS (klass);

  variable_class->print_name = "parameter";
  variable_class->python_class = "afnio.cognitive.parameter.Parameter";
}

static void
afn_parameter_init (AfnParameter *self)
{
}

/* A Parameter around @data, validated like afn_variable_new() (NULL with
 * AFN_ERROR_INVALID_DATA). Grad mode does not affect it. Transfer full. */
AfnParameter *
afn_parameter_new (AfnValue *data, const char *role, gboolean requires_grad, GError **error)
{
  AfnValue *normalized;

  g_return_val_if_fail (data != NULL, NULL);
  normalized = afn_variable_normalize_data (data, error);
  if (normalized == NULL)
    return NULL;
  return AFN_PARAMETER (afn_variable_new_take (AFN_TYPE_PARAMETER, normalized, g_strdup (role),
                                               requires_grad));
}

/* A string Parameter that requires grad. Transfer full. */
AfnParameter *
afn_parameter_new_str (const char *s, const char *role)
{
  g_return_val_if_fail (s != NULL, NULL);
  return AFN_PARAMETER (afn_variable_new_take (AFN_TYPE_PARAMETER, afn_value_new_str (s, -1),
                                               g_strdup (role), TRUE));
}
