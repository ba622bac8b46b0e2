/* afn-parameter.h: a Variable an optimizer may change.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-variable.h"

G_BEGIN_DECLS

#define AFN_TYPE_PARAMETER (afn_parameter_get_type ())
G_DECLARE_FINAL_TYPE (AfnParameter, afn_parameter, AFN, PARAMETER, AfnVariable)

/* A Parameter requires grad by default, and creating one is not affected by
 * no_grad. Same validation as afn_variable_new(). Transfer full. */
AfnParameter *afn_parameter_new (AfnValue *data, const char *role, gboolean requires_grad, GError **error);
AfnParameter *afn_parameter_new_str (const char *s, const char *role);

G_END_DECLS
