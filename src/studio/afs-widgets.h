/* afs-widgets.h: set-up shared by the studio's widgets.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Registers the widgets' GResource (templates, CSS) once. Widgets call it
 * from class_init; it is linked from a static library, so it cannot rely on
 * a constructor. */
void afs_widgets_ensure_resources (void);

/* Process-wide malloc settings for a GTK process that draws large frames
 * (see afs-widgets.c). Call once from main(), before GTK starts: the
 * application and the canvas benchmark do. */
void afs_widgets_tune_allocator (void);

G_END_DECLS
