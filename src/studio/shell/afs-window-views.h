/* afs-window-views.h: the widgets that show the window's document (the
 * canvas and the inspector), kept apart so the window core does not depend
 * on their API.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-window-private.h"

G_BEGIN_DECLS

void       afs_window_views_init (AfsWindow *self);
/* Lays the whole graph out (one undo step). */
void       afs_window_views_auto_layout (AfsWindow *self);
/* Fits the view to the graph. */
void       afs_window_views_fit (AfsWindow *self);
/* Renders the canvas to a texture of its current size (transfer full), or
 * NULL when it has no size yet. */
GdkTexture *afs_window_views_snapshot (AfsWindow *self);

G_END_DECLS
