/* afs-window-run.h: the window's running part (studio-panels): the run
 * controller, its panels, status bar and mode selector, placed in the
 * window; kept apart so the window core does not depend on the runner.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-window-private.h"

G_BEGIN_DECLS

/* Call after the window's own actions exist: it replaces the run placeholders. */
void     afs_window_run_init (AfsWindow *self);
void     afs_window_run_dispose (AfsWindow *self);
/* Writes the runner's results (recordings, grads, optimizer history) into
 * the document's extras; call before serializing it. */
void     afs_window_run_store (AfsWindow *self);
/* The window's run controller (an AfsRunController), or NULL. */
GObject *afs_window_get_run_controller (AfsWindow *self);

G_END_DECLS
