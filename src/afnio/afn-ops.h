/* afn-ops.h: ops whose backward needs no language model.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afn-variable.h"

G_BEGIN_DECLS

/* add(x, y): strings concatenate, numbers add, equal-length lists add
 * element by element. Transfer full; NULL with an AfnError on bad input. */
AfnVariable *afn_add (AfnVariable *x, AfnVariable *y, GError **error);
/* sum([x1..xn]); @xs holds AfnVariable. */
AfnVariable *afn_sum (GPtrArray *xs, GError **error);
/* split(x, sep=None, maxsplit=-1): @sep NULL splits on runs of white space;
 * @maxsplit < 0 means no limit. Returns a GPtrArray of new AfnVariables
 * (free function set). */
GPtrArray   *afn_split (AfnVariable *x, const char *sep, gint maxsplit, GError **error);

G_END_DECLS
