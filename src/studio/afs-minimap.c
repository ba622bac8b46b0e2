/* afs-minimap.c: the graph overview. The nodes are drawn once into a cached
 * image (re-made only when the graph changes); each frame paints it and adds
 * the rectangle of the visible area. An image rather than a render node:
 * GTK 4.8's cairo renderer would fill each of thousands of rectangles again
 * on every frame.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-minimap.h"
#include "afs-canvas-private.h"

#define PAD 8.0

struct _AfsMinimap
{
  GtkWidget parent_instance;
  AfsCanvas *canvas;
  cairo_surface_t *cache;
  graphene_rect_t bounds;     /* graph bounds the cache was made for */
  int cache_w, cache_h;
};

G_DEFINE_FINAL_TYPE (AfsMinimap, afs_minimap, GTK_TYPE_WIDGET)

static void
afs_minimap_finalize (GObject *object)
{
  AfsMinimap *self = AFS_MINIMAP (object);

  g_clear_pointer (&self->cache, cairo_surface_destroy);
  G_OBJECT_CLASS (afs_minimap_parent_class)->finalize (object);
}

static void
afs_minimap_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                     int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 80 : 60;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 140;
}

/* Scale and offset mapping graph coordinates into the widget. */
static double
transform (AfsMinimap *self, double *tx, double *ty)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)) - 2 * PAD;
  double h = gtk_widget_get_height (GTK_WIDGET (self)) - 2 * PAD;
  double scale = MIN (w / MAX (self->bounds.size.width, 1), h / MAX (self->bounds.size.height, 1));

  *tx = PAD + (w - self->bounds.size.width * scale) / 2 - self->bounds.origin.x * scale;
  *ty = PAD + (h - self->bounds.size.height * scale) / 2 - self->bounds.origin.y * scale;
  return scale;
}

static void
build_cache (AfsMinimap *self)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  AfsDocument *doc = afs_canvas_get_document (self->canvas);
  const Palette *palette = afs_canvas_get_palette (self->canvas);
  GPtrArray *nodes = doc ? afs_document_get_nodes (doc) : NULL;
  double tx, ty, scale;
  int factor = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  g_autoptr(GskRenderNode) node = NULL;
  cairo_t *cr;

  afs_canvas_get_graph_bounds (self->canvas, &self->bounds);
  scale = transform (self, &tx, &ty);
  for (guint i = 0; nodes && i < nodes->len; i++)
    {
      NodeView *v = afs_canvas_view (self->canvas, afs_graph_node_get_id (nodes->pdata[i]));
      GdkRGBA color = g_hash_table_contains (self->canvas->selection, GUINT_TO_POINTER (afs_graph_node_get_id (v->node)))
                      ? palette->accent : palette->dim_fg;

      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT (tx + v->x * scale, ty + v->y * scale,
                                                      MAX (v->w * scale, 1.5), MAX (v->h * scale, 1.5)));
    }
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  self->cache_w = gtk_widget_get_width (GTK_WIDGET (self));
  self->cache_h = gtk_widget_get_height (GTK_WIDGET (self));
  self->cache = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, MAX (1, self->cache_w * factor),
                                            MAX (1, self->cache_h * factor));
  cairo_surface_set_device_scale (self->cache, factor, factor);
  cr = cairo_create (self->cache);
  if (node)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
}

static void
afs_minimap_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AfsMinimap *self = AFS_MINIMAP (widget);
  graphene_rect_t view;
  double tx, ty, scale;
  GskRoundedRect rr;
  const Palette *palette = afs_canvas_get_palette (self->canvas);
  float widths[4] = { 1.5, 1.5, 1.5, 1.5 };
  GdkRGBA colors[4] = { palette->accent, palette->accent, palette->accent, palette->accent };

  if (self->cache && (self->cache_w != gtk_widget_get_width (widget) ||
                      self->cache_h != gtk_widget_get_height (widget)))
    g_clear_pointer (&self->cache, cairo_surface_destroy);
  if (!self->cache)
    build_cache (self);
  {
    cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, self->cache_w, self->cache_h));

    cairo_set_source_surface (cr, self->cache, 0, 0);
    cairo_paint (cr);
    cairo_destroy (cr);
  }

  afs_canvas_get_visible_area (self->canvas, &view);
  scale = transform (self, &tx, &ty);
  gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (tx + view.origin.x * scale, ty + view.origin.y * scale,
                                                             view.size.width * scale, view.size.height * scale), 2);
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                         gtk_widget_get_height (widget)));
  gtk_snapshot_append_border (snapshot, &rr, widths, colors);
  gtk_snapshot_pop (snapshot);
}

static void
move_view (AfsMinimap *self, double x, double y)
{
  double tx, ty, scale = transform (self, &tx, &ty);

  if (scale <= 0)
    return;
  afs_canvas_center_on (self->canvas, (x - tx) / scale, (y - ty) / scale);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, AfsMinimap *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  move_view (self, x, y);
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, AfsMinimap *self)
{
  double x, y;

  gtk_gesture_drag_get_start_point (gesture, &x, &y);
  move_view (self, x + dx, y + dy);
}

static void
afs_minimap_class_init (AfsMinimapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = afs_minimap_finalize;
  widget_class->measure = afs_minimap_measure;
  widget_class->snapshot = afs_minimap_snapshot;
  gtk_widget_class_set_css_name (widget_class, "afs-minimap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
afs_minimap_init (AfsMinimap *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();

  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "pointer");
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Overview of the graph"), -1);
}

GtkWidget *
afs_minimap_new (AfsCanvas *canvas)
{
  AfsMinimap *self = g_object_new (AFS_TYPE_MINIMAP, NULL);

  self->canvas = canvas;
  return GTK_WIDGET (self);
}

void
afs_minimap_invalidate (AfsMinimap *self)
{
  g_clear_pointer (&self->cache, cairo_surface_destroy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
