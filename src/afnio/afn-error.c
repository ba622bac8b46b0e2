/* afn-error.c
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-error.h"

G_DEFINE_QUARK (afn-error-quark, afn_error)
