/* afn-error.h: the engine's error domain.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AFN_ERROR (afn_error_quark ())

/**
 * AfnError:
 * Errors raised by Variables, ops and backward. Messages are written for
 * users and say what to do ("call .retain_grad() before ...").
 */
typedef enum {
  AFN_ERROR_FAILED,           /* anything not covered below */
  AFN_ERROR_INVALID_DATA,     /* data of a kind a Variable cannot hold, or an op cannot compute on */
  AFN_ERROR_TYPE_MISMATCH,    /* operands of incompatible kinds (str + int, list + scalar) */
  AFN_ERROR_SHAPE_MISMATCH,   /* lists of different lengths */
  AFN_ERROR_NOT_LEAF,         /* retain_grad() on a leaf, inputs= naming a non-leaf */
  AFN_ERROR_NO_GRAD,          /* grad of a non-leaf without retain_grad(), backward on a leaf */
  AFN_ERROR_GRAPH_RELEASED,   /* second backward without retain_graph=True */
  AFN_ERROR_GRADIENT_REQUIRED,/* non-scalar output without an explicit gradient */
  AFN_ERROR_CANCELLED,        /* not used: cancellation reports G_IO_ERROR_CANCELLED */
  AFN_ERROR_NO_MODEL_CLIENT,  /* get_backward_model_client() before set */
} AfnError;

GQuark afn_error_quark (void);

G_END_DECLS
