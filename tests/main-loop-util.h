/* main-loop-util.h: main-loop helpers shared by the tests and benchmarks
 * (included as "../main-loop-util.h").
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

/* A GAsyncReadyCallback that stores a reference to the result in the
 * GAsyncResult * that @user_data points to. */
static inline void
test_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the default main context until test_result_cb() filled @slot;
 * returns it (still owned by @slot). */
static inline GAsyncResult *
test_wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* Dispatches whatever is pending on the default main context, without
 * blocking. */
static inline void
test_iterate_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static inline gboolean
test_timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default main context until @cond (@data) holds or
 * @timeout_ms pass; FALSE when the time ran out. */
static inline gboolean
test_wait_until (gboolean (*cond) (gpointer), gpointer data, guint timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, test_timeout_cb, &timed_out);

  while (!cond (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return !timed_out;
}
