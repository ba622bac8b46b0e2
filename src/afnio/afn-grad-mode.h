/* afn-grad-mode.h: per-thread switch for recording the graph.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean afn_is_grad_enabled (void);
void     afn_set_grad_enabled (gboolean enabled);

/* A scoped no_grad(): disables grad mode until freed, then restores the
 * previous setting.  g_autoptr (AfnNoGradGuard) guard = afn_no_grad (); */
typedef struct _AfnNoGradGuard AfnNoGradGuard;
AfnNoGradGuard *afn_no_grad (void);
void            afn_no_grad_guard_free (AfnNoGradGuard *guard);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnNoGradGuard, afn_no_grad_guard_free)

G_END_DECLS
