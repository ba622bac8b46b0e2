/* afn-variable-private.h: engine-internal access to Variables and Nodes,
 * shared by the .hf codec so that files round-trip byte for byte.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afnio.h"

G_BEGIN_DECLS

/* The attributes a loaded Variable or Node carried in its pickled __dict__
 * that the engine does not model (`_initialized`, `_pending_grad_fn_id`,
 * `_pending_grad`, `_pending_data`, key order, a requires_grad stored as an
 * int, ...), as a DICT value kept verbatim for re-saving. NULL for objects
 * made in this process. Transfer none / a reference is taken. */
AfnValue *afn_variable_get_py_state (AfnVariable *self);
void      afn_variable_set_py_state (AfnVariable *self, AfnValue *state);
AfnValue *afn_node_get_py_state (AfnNode *self);
void      afn_node_set_py_state (AfnNode *self, AfnValue *state);

/* Loaders set the leaf flag and retain flag as stored, without checks. */
void      afn_variable_set_is_leaf_raw (AfnVariable *self, gboolean is_leaf);
void      afn_variable_set_retain_grad_raw (AfnVariable *self, gboolean retain);

G_END_DECLS
