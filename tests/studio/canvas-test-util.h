/* canvas-test-util.h: helpers shared by the canvas test and benchmark.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afs-canvas.h"

/* Spins the main loop until @cond is TRUE or @ms passed. */
#define WAIT_UNTIL(cond, ms)                                                   \
  G_STMT_START {                                                               \
    gint64 _end = g_get_monotonic_time () + (ms) * 1000;                       \
    while (!(cond) && g_get_monotonic_time () < _end)                          \
      g_main_context_iteration (NULL, FALSE);                                  \
  } G_STMT_END

static inline void
spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
count_frame_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* Waits until @widget is mapped, has a size and its frame clock has ticked
 * @n times, so pending layout has run: a snapshot taken before the first
 * layout has no render node, and a loaded machine can take far longer than
 * a fixed sleep to get there. Gives up after 30 s. */
static inline void
wait_frames (GtkWidget *widget, guint n)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, count_frame_cb, &frames, NULL);

  WAIT_UNTIL (frames >= n && gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0, 30000);
  gtk_widget_remove_tick_callback (widget, id);
}

/* Renders @widget with the cairo renderer into a texture (transfer full). */
static inline GdkTexture *
render_widget (GtkWidget *widget)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GskRenderer) renderer = gsk_cairo_renderer_new ();
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GdkTexture *texture;

  /* The widget's own snapshot vfunc: what the canvas draws, now. */
  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_true (gsk_renderer_realize (renderer, gtk_native_get_surface (gtk_widget_get_native (widget)), NULL));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_renderer_unrealize (renderer);
  return texture;
}

/* Variance of the luminance of @texture's pixels: 0 for a blank image. */
static inline double
texture_variance (GdkTexture *texture)
{
  int w = gdk_texture_get_width (texture), h = gdk_texture_get_height (texture);
  g_autofree guchar *data = g_malloc ((gsize) w * h * 4);
  double sum = 0, sum2 = 0;
  gsize n = (gsize) w * h;

  gdk_texture_download (texture, data, w * 4);
  for (gsize i = 0; i < n; i++)
    {
      double l = 0.2126 * data[4 * i + 2] + 0.7152 * data[4 * i + 1] + 0.0722 * data[4 * i];
      sum += l;
      sum2 += l * l;
    }
  return sum2 / n - (sum / n) * (sum / n);
}
