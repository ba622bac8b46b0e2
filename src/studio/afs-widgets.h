/* afs-widgets.h: set-up shared by the studio's widgets.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Registers the widgets' GResource (templates, CSS) once. Widgets call it
 * from class_init; it is linked from a static library, so it cannot rely on
 * a constructor. */
void afs_widgets_ensure_resources (void);

/* Process-wide malloc settings for a GTK process that draws large frames
 * (see afs-widgets.c). Call once from main(), before GTK starts: the
 * application and the canvas benchmark do. */
void afs_widgets_tune_allocator (void);

/* On X11 with GTK's cairo renderer, keeps the shared memory through which
 * frames reach the X server from one frame to the next (see
 * afs-widgets.c). Once per display; a widget that repaints its whole
 * window on every frame (the canvas) calls it when it is realized. */
void afs_widgets_keep_frame_memory (GtkWidget *widget);

G_END_DECLS
