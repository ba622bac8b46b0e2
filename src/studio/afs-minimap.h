/* afs-minimap.h: an overview of the whole graph in a corner of the canvas;
 * clicking or dragging in it moves the view.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afs-canvas.h"

G_BEGIN_DECLS

#define AFS_TYPE_MINIMAP (afs_minimap_get_type ())
G_DECLARE_FINAL_TYPE (AfsMinimap, afs_minimap, AFS, MINIMAP, GtkWidget)

/* @canvas: the canvas it shows (not referenced: the minimap is its child). */
GtkWidget *afs_minimap_new (AfsCanvas *canvas);
/* Drops the cached drawing of the nodes (call when the graph changed). */
void       afs_minimap_invalidate (AfsMinimap *self);

G_END_DECLS
