/* afn-accumulate-grad.h: the node that appends to a leaf's grad list.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-node.h"

G_BEGIN_DECLS

#define AFN_TYPE_ACCUMULATE_GRAD (afn_accumulate_grad_get_type ())
G_DECLARE_FINAL_TYPE (AfnAccumulateGrad, afn_accumulate_grad, AFN, ACCUMULATE_GRAD, AfnNode)

G_END_DECLS
