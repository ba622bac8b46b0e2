/* afs-widgets.c: set-up shared by the studio's widgets.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#include <cairo-xlib.h>
#include <X11/extensions/XShm.h>
#endif
#include "afs-widgets.h"
#include "afs-widgets-resources.h"
#ifdef __GLIBC__   /* known once glib.h has brought in libc's headers */
#include <malloc.h>
#endif

void
afs_widgets_ensure_resources (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      afs_widgets_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

void
afs_widgets_tune_allocator (void)
{
#ifdef __GLIBC__
  /* GTK 4.8's cairo renderer allocates and frees window-sized images on
   * every frame. By default glibc maps each afresh and unmaps it on free,
   * so every frame pays thousands of page faults; kept in the heap, they
   * are reused. */
  mallopt (M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 128 * 1024 * 1024);
#endif
}

#ifdef GDK_WINDOWING_X11
/* The bytes of the largest frame a window on @display can have: its
 * largest monitor, whole. */
static gsize
largest_frame_bytes (GdkDisplay *display)
{
  GListModel *monitors = gdk_display_get_monitors (display);
  gsize largest = 0;

  for (guint i = 0; i < g_list_model_get_n_items (monitors); i++)
    {
      g_autoptr(GdkMonitor) monitor = g_list_model_get_item (monitors, i);
      GdkRectangle geometry;
      gsize scale = gdk_monitor_get_scale_factor (monitor);

      gdk_monitor_get_geometry (monitor, &geometry);
      largest = MAX (largest, (gsize) geometry.width * geometry.height * 4 * scale * scale);
    }
  return largest;
}
#endif

/* GTK 4.8's cairo renderer on X11 sends each frame to the X server
 * through a shared-memory image that cairo takes from a pool of segments.
 * cairo destroys a pool as soon as nothing in it is in use, so when
 * nothing else holds shared memory every frame makes a new segment: a
 * shmget, an XShmAttach with a round trip to the server, and a page fault
 * for every 4 KiB of the frame as it is written. Keeping one image alive
 * in a pool large enough for a frame keeps that pool, and frames reuse
 * its pages. The canvas benchmark's frame median went from 12-17 ms to
 * 4-9 ms with it. It costs the kept image, half a screen-sized frame at
 * most, allocated once per display. */
void
afs_widgets_keep_frame_memory (GtkWidget *widget)
{
#ifdef GDK_WINDOWING_X11
  GdkDisplay *display = gtk_widget_get_display (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;
  Display *xdisplay;
  cairo_surface_t *root, *keep;
  gsize frame, block = 1;
  int width = 1024;

  if (!GDK_IS_X11_DISPLAY (display) || renderer == NULL || !GSK_IS_CAIRO_RENDERER (renderer) ||
      g_object_get_data (G_OBJECT (display), "afs-frame-memory") != NULL)
    return;
  xdisplay = gdk_x11_display_get_xdisplay (display);
  frame = largest_frame_bytes (display);
  if (frame == 0 || !XShmQueryExtension (xdisplay))
    return;
  /* cairo gives a pool's blocks at most the power of two above its first
   * allocation: the image kept must be over half the largest frame. */
  while (block < frame)
    block <<= 1;
  root = cairo_xlib_surface_create (xdisplay, DefaultRootWindow (xdisplay),
                                    DefaultVisual (xdisplay, DefaultScreen (xdisplay)), 1, 1);
  keep = cairo_surface_create_similar_image (root, CAIRO_FORMAT_ARGB32, width,
                                             (int) (block / 2 / (width * 4)) + 1);
  cairo_surface_destroy (root);
  g_object_set_data_full (G_OBJECT (display), "afs-frame-memory", keep,
                          (GDestroyNotify) cairo_surface_destroy);
#endif
}
