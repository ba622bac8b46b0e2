/* afs-application-scripting.h: application actions that drive the active
 * window, so that `gapplication action io.github.afnio.Studio backward`
 * works on a running studio.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-application.h"

G_BEGIN_DECLS

/*
 * app.open (s: a path or URI)  app.run  app.backward
 * app.backward-with-feedback (s)  app.step  app.save  app.demo is the shell's.
 * They act on the active window (a new one for app.open when there is none);
 * app.backward never opens the feedback dialog.
 */
void afs_application_add_scripting_actions (AfsApplication *self);

G_END_DECLS
