/* afn-grad-mode.c: per-thread switch for recording the graph.
 *
 * SPDX-License-Identifier: MIT
 */
#include "afn-grad-mode.h"

/* The per-thread value is a "disabled" flag, so that a thread that never
 * touched the setting reads NULL, which means enabled. */
static GPrivate grad_disabled;

struct _AfnNoGradGuard
{
  gboolean previous;
};

/* Returns TRUE when ops record the graph on this thread (the default). */
gboolean
afn_is_grad_enabled (void)
{
  return g_private_get (&grad_disabled) == NULL;
}

/* Turns recording on or off for the calling thread only. */
void
afn_set_grad_enabled (gboolean enabled)
{
  g_private_set (&grad_disabled, enabled ? NULL : GINT_TO_POINTER (1));
}

/* Disables grad mode on this thread until the guard is freed, which restores
 * the previous setting. Transfer full; free with afn_no_grad_guard_free(). */
AfnNoGradGuard *
afn_no_grad (void)
{
  AfnNoGradGuard *guard = g_new (AfnNoGradGuard, 1);

  guard->previous = afn_is_grad_enabled ();
  afn_set_grad_enabled (FALSE);
  return guard;
}

/* Restores the setting that was in force when @guard was made. */
void
afn_no_grad_guard_free (AfnNoGradGuard *guard)
{
  if (guard == NULL)
    return;
  afn_set_grad_enabled (guard->previous);
  g_free (guard);
}
