/* afs-canvas-input.c: pointer, touch and key handling: selecting, moving,
 * linking, rubber-band, panning and zooming.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include "afs-canvas-private.h"

#define HIT_PIXELS 8.0

/* ---- Hit tests (graph coordinates) ---- */

NodeView *
afs_canvas_node_at (AfsCanvas *self, double gx, double gy)
{
  g_autoptr(GPtrArray) hits = afs_canvas_index_query (self, &GRAPHENE_RECT_INIT (gx, gy, 0.01, 0.01));

  /* The last drawn is on top. */
  return hits->len > 0 ? hits->pdata[hits->len - 1] : NULL;
}

gboolean
afs_canvas_port_at (AfsCanvas *self, double gx, double gy, guint *node, const char **port,
                    AfsPortDirection *dir)
{
  double r = MAX (PORT_RADIUS + 3, HIT_PIXELS / self->zoom);
  g_autoptr(GPtrArray) near = afs_canvas_index_query (self, &GRAPHENE_RECT_INIT (gx - r, gy - r, 2 * r, 2 * r));

  for (guint n = near->len; n-- > 0;)
    {
      NodeView *v = near->pdata[n];
      GPtrArray *lists[2] = { afs_graph_node_get_inputs (v->node), afs_graph_node_get_outputs (v->node) };

      for (guint k = 0; k < 2; k++)
        for (guint i = 0; i < lists[k]->len; i++)
          {
            AfsPort *p = lists[k]->pdata[i];
            double px, py;

            afs_canvas_view_port_position (v, p->direction, i, &px, &py);
            if (hypot (px - gx, py - gy) <= r)
              {
                *node = afs_graph_node_get_id (v->node);
                *port = p->name;
                *dir = p->direction;
                return TRUE;
              }
          }
    }
  return FALSE;
}

static double
segment_distance (double px, double py, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? CLAMP (((px - ax) * dx + (py - ay) * dy) / len2, 0, 1) : 0;

  return hypot (px - (ax + t * dx), py - (ay + t * dy));
}

/* Distance from a point to a wire as drawn: two quarter ellipses for a
 * forward wire, a cubic Bézier for a backward one; sampled in segments. */
static void
wire_point (double t, double x1, double y1, double x2, double y2, double *x, double *y)
{
  double m = (x1 + x2) / 2, ym = (y1 + y2) / 2;

  if (x2 - x1 >= 4)
    {
      double a = (t < 0.5 ? t * 2 : t * 2 - 1) * G_PI / 2;

      if (t < 0.5)
        *x = x1 + (m - x1) * sin (a), *y = ym - (ym - y1) * cos (a);
      else
        *x = x2 - (x2 - m) * cos (a), *y = ym + (y2 - ym) * sin (a);
    }
  else
    {
      double d = MAX (40.0, fabs (x2 - x1) * 0.5), u = 1 - t;

      *x = u * u * u * x1 + 3 * u * u * t * (x1 + d) + 3 * u * t * t * (x2 - d) + t * t * t * x2;
      *y = u * u * u * y1 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y2;
    }
}

static double
wire_distance (double px, double py, double x1, double y1, double x2, double y2)
{
  double best = G_MAXDOUBLE, lx = x1, ly = y1;

  for (int i = 1; i <= 32; i++)
    {
      double x, y;

      wire_point (i / 32.0, x1, y1, x2, y2, &x, &y);
      best = MIN (best, segment_distance (px, py, lx, ly, x, y));
      lx = x;
      ly = y;
    }
  return best;
}

AfsLink *
afs_canvas_link_at (AfsCanvas *self, double gx, double gy)
{
  GArray *lvs;
  double tolerance = MAX (4.0, HIT_PIXELS / self->zoom);
  AfsLink *best = NULL;
  double best_d = tolerance;

  if (!self->document)
    return NULL;
  lvs = afs_canvas_get_link_views (self);
  for (guint i = 0; i < lvs->len; i++)
    {
      const LinkView *lv = &g_array_index (lvs, LinkView, i);
      double x1, y1, x2, y2, d;

      afs_canvas_link_view_ends (lv, &x1, &y1, &x2, &y2);
      if (gx < MIN (x1, x2) - 60 - tolerance || gx > MAX (x1, x2) + 60 + tolerance ||
          gy < MIN (y1, y2) - tolerance || gy > MAX (y1, y2) + tolerance)
        continue;
      d = wire_distance (gx, gy, x1, y1, x2, y2);
      if (d <= best_d)
        {
          best_d = d;
          best = lv->link;
        }
    }
  return best;
}

/* ---- Dragging ---- */

static gboolean
extend_modifier (GtkGesture *gesture)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  return (mods & (GDK_CONTROL_MASK | GDK_SHIFT_MASK)) != 0;
}

static void
begin_wire (AfsCanvas *self, guint node, const char *port, AfsPortDirection dir)
{
  AfsGraphNode *n = afs_document_get_node (self->document, node);

  self->drag = DRAG_WIRE;
  self->wire_node = node;
  self->wire_port = port;
  self->wire_dir = dir;
  self->wire_type = afs_graph_node_find_port (n, dir, port)->type;
  g_hash_table_remove_all (self->accept_cache);
}

static void
begin_move_or_select (AfsCanvas *self, GtkGesture *gesture, NodeView *view)
{
  guint id = afs_graph_node_get_id (view->node);
  gboolean selected = g_hash_table_contains (self->selection, GUINT_TO_POINTER (id));

  if (extend_modifier (gesture) && selected)
    {
      /* Ctrl/Shift-click on a selected node takes it out of the selection. */
      g_hash_table_remove (self->selection, GUINT_TO_POINTER (id));
      afs_canvas_emit_selection_changed (self);
      self->drag = DRAG_NONE;
      return;
    }
  if (!selected)
    afs_canvas_select_nodes (self, &id, 1, extend_modifier (gesture));
  self->drag = DRAG_MOVE;
}

static void
drag_begin_cb (GtkGestureDrag *gesture, double x, double y, AfsCanvas *self)
{
  double gx, gy;
  guint node;
  const char *port;
  AfsPortDirection dir;
  NodeView *view;
  AfsLink *link;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->drag_start_x = x;
  self->drag_start_y = y;
  self->drag_dx = self->drag_dy = 0;
  self->drag_moved = FALSE;
  self->pan_start_ox = self->ox;
  self->pan_start_oy = self->oy;
  if (!self->document)
    return;
  afs_canvas_widget_to_graph (self, x, y, &gx, &gy);

  if (self->space_held)
    self->drag = DRAG_PAN;
  else if (afs_canvas_port_at (self, gx, gy, &node, &port, &dir))
    begin_wire (self, node, port, dir);
  else if ((view = afs_canvas_node_at (self, gx, gy)))
    begin_move_or_select (self, GTK_GESTURE (gesture), view);
  else if ((link = afs_canvas_link_at (self, gx, gy)))
    {
      afs_canvas_select_link (self, afs_link_get_id (link));
      self->drag = DRAG_NONE;
    }
  else
    self->drag = DRAG_RUBBER;
  afs_canvas_redraw (self);
}

static void
move_selection_views (AfsCanvas *self)
{
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->selection);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      NodeView *v = afs_canvas_view (self, GPOINTER_TO_UINT (key));

      afs_canvas_index_move (self, v,
                             afs_graph_node_get_x (v->node) + self->drag_dx / self->zoom,
                             afs_graph_node_get_y (v->node) + self->drag_dy / self->zoom);
    }
}

static void
update_hover (AfsCanvas *self, double x, double y)
{
  double gx, gy;
  guint node = 0;
  const char *port = NULL;
  AfsPortDirection dir;

  afs_canvas_widget_to_graph (self, x, y, &gx, &gy);
  if (!afs_canvas_port_at (self, gx, gy, &node, &port, &dir))
    node = 0, port = NULL;
  if (node != self->hover_node || port != self->hover_port)
    {
      self->hover_node = node;
      self->hover_port = port;
      afs_canvas_redraw (self);
    }
}

static void
drag_update_cb (GtkGestureDrag *gesture, double dx, double dy, AfsCanvas *self)
{
  self->drag_dx = dx;
  self->drag_dy = dy;
  if (hypot (dx, dy) > 3)
    self->drag_moved = TRUE;
  switch (self->drag)
    {
    case DRAG_MOVE:
      move_selection_views (self);
      break;
    case DRAG_PAN:
      self->ox = self->pan_start_ox - dx / self->zoom;
      self->oy = self->pan_start_oy - dy / self->zoom;
      break;
    case DRAG_WIRE:
      update_hover (self, self->drag_start_x + dx, self->drag_start_y + dy);
      break;
    case DRAG_RUBBER:
    case DRAG_NONE:
    default:
      break;
    }
  /* Only moved nodes change the scene; a pan, the rubber band and the
   * wire being dragged (drawn over it) leave it as it is. */
  if (self->drag == DRAG_MOVE)
    afs_canvas_redraw (self);
  else
    afs_canvas_view_moved (self, FALSE);
}

static void
finish_move (AfsCanvas *self)
{
  g_autoptr(GArray) ids = afs_canvas_get_selected_nodes (self);

  if (self->drag_moved)
    afs_document_translate_nodes (self->document, (guint *) ids->data, ids->len,
                                  self->drag_dx / self->zoom, self->drag_dy / self->zoom);
  /* Views follow the model again (a no-op after a move). */
  for (guint i = 0; i < ids->len; i++)
    afs_canvas_index_update (self, afs_canvas_view (self, g_array_index (ids, guint, i)));
}

static void
finish_wire (AfsCanvas *self, double x, double y)
{
  double gx, gy;
  guint node;
  const char *port;
  AfsPortDirection dir;
  g_autoptr(GError) error = NULL;

  afs_canvas_widget_to_graph (self, x, y, &gx, &gy);
  if (afs_canvas_port_at (self, gx, gy, &node, &port, &dir))
    {
      if (dir == self->wire_dir)
        return;
      if (dir == AFS_PORT_INPUT)
        afs_canvas_connect (self, self->wire_node, self->wire_port, node, port, &error);
      else
        afs_canvas_connect (self, node, port, self->wire_node, self->wire_port, &error);
      if (error)
        {
          /* Shown to the user as the canvas's tooltip until the pointer moves. */
          gtk_widget_set_tooltip_text (GTK_WIDGET (self), error->message);
          gtk_widget_error_bell (GTK_WIDGET (self));
        }
      return;
    }
  if (!afs_canvas_node_at (self, gx, gy) && self->drag_moved)
    {
      self->pending_node = self->wire_node;
      self->pending_port = self->wire_port;
      self->pending_dir = self->wire_dir;
      afs_canvas_show_node_search (self, x, y, NULL);
    }
}

static void
finish_rubber_band (AfsCanvas *self, GtkGesture *gesture)
{
  double gx, gy;
  graphene_rect_t r;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

  afs_canvas_widget_to_graph (self, MIN (self->drag_start_x, self->drag_start_x + self->drag_dx),
                              MIN (self->drag_start_y, self->drag_start_y + self->drag_dy), &gx, &gy);
  r = GRAPHENE_RECT_INIT (gx, gy, fabs (self->drag_dx) / self->zoom, fabs (self->drag_dy) / self->zoom);
  hits = afs_canvas_index_query (self, &r);
  for (guint i = 0; i < hits->len; i++)
    {
      guint id = afs_graph_node_get_id (((NodeView *) hits->pdata[i])->node);
      g_array_append_val (ids, id);
    }
  if (self->drag_moved || !extend_modifier (gesture))
    afs_canvas_select_nodes (self, (guint *) ids->data, ids->len, extend_modifier (gesture));
}

static void
drag_end_cb (GtkGestureDrag *gesture, double dx, double dy, AfsCanvas *self)
{
  DragMode mode = self->drag;

  self->drag_dx = dx;
  self->drag_dy = dy;
  self->drag = DRAG_NONE;
  if (!self->document)
    return;
  switch (mode)
    {
    case DRAG_MOVE: finish_move (self); break;
    case DRAG_WIRE: finish_wire (self, self->drag_start_x + dx, self->drag_start_y + dy); break;
    case DRAG_RUBBER: finish_rubber_band (self, GTK_GESTURE (gesture)); break;
    case DRAG_PAN:
    case DRAG_NONE:
    default: break;
    }
  self->hover_node = 0;
  self->hover_port = NULL;
  afs_canvas_redraw (self);
}

static void
drag_cancel_cb (GtkGesture *gesture, GdkEventSequence *sequence, AfsCanvas *self)
{
  if (self->drag == DRAG_MOVE)
    {
      self->drag_moved = FALSE;
      finish_move (self);
    }
  self->drag = DRAG_NONE;
  afs_canvas_redraw (self);
}

/* ---- Clicks, panning, zooming ---- */

static void
click_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, AfsCanvas *self)
{
  double gx, gy;

  if (n_press != 2 || !self->document)
    return;
  afs_canvas_widget_to_graph (self, x, y, &gx, &gy);
  if (!afs_canvas_node_at (self, gx, gy) && !afs_canvas_link_at (self, gx, gy))
    afs_canvas_show_node_search (self, x, y, NULL);
}

static void
pan_begin_cb (GtkGestureDrag *gesture, double x, double y, AfsCanvas *self)
{
  self->pan_start_ox = self->ox;
  self->pan_start_oy = self->oy;
}

static void
pan_update_cb (GtkGestureDrag *gesture, double dx, double dy, AfsCanvas *self)
{
  self->ox = self->pan_start_ox - dx / self->zoom;
  self->oy = self->pan_start_oy - dy / self->zoom;
  afs_canvas_view_moved (self, FALSE);
}

static gboolean
scroll_cb (GtkEventControllerScroll *controller, double dx, double dy, AfsCanvas *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double step = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL ? 40 : 1;

  if (mods & GDK_CONTROL_MASK)
    afs_canvas_zoom_at (self, self->zoom * pow (1.1, -dy * (step > 1 ? 1 : 0.1)),
                        self->pointer_x, self->pointer_y);
  else if (mods & GDK_SHIFT_MASK)
    afs_canvas_pan (self, dy * step, dx * step);
  else
    afs_canvas_pan (self, dx * step, dy * step);
  return TRUE;
}

static double zoom_gesture_start;

static void
zoom_begin_cb (GtkGesture *gesture, GdkEventSequence *sequence, AfsCanvas *self)
{
  zoom_gesture_start = self->zoom;
}

static void
zoom_scale_cb (GtkGestureZoom *gesture, double scale, AfsCanvas *self)
{
  double cx, cy;

  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &cx, &cy))
    cx = self->pointer_x, cy = self->pointer_y;
  afs_canvas_zoom_at (self, zoom_gesture_start * scale, cx, cy);
}

static void
motion_cb (GtkEventControllerMotion *controller, double x, double y, AfsCanvas *self)
{
  if (self->pointer_x != x || self->pointer_y != y)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
  self->pointer_x = x;
  self->pointer_y = y;
  if (self->document && self->drag == DRAG_NONE)
    update_hover (self, x, y);
}

/* ---- Keys: Space for panning, typing opens node search ---- */

static gboolean
key_pressed_cb (GtkEventControllerKey *controller, guint keyval, guint keycode,
                GdkModifierType state, AfsCanvas *self)
{
  gunichar c = gdk_keyval_to_unicode (keyval);
  char text[8] = { 0 };

  if (keyval == GDK_KEY_space && !(state & GDK_CONTROL_MASK))
    {
      self->space_held = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
      return TRUE;
    }
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK))
    return FALSE;
  if (c && g_unichar_isgraph (c) && self->document)
    {
      g_unichar_to_utf8 (c, text);
      afs_canvas_show_node_search (self, self->pointer_x, self->pointer_y, text);
      return TRUE;
    }
  return FALSE;
}

static void
key_released_cb (GtkEventControllerKey *controller, guint keyval, guint keycode,
                 GdkModifierType state, AfsCanvas *self)
{
  if (keyval == GDK_KEY_space)
    {
      self->space_held = FALSE;
      gtk_widget_set_cursor (GTK_WIDGET (self), NULL);
    }
}

void
afs_canvas_setup_input (AfsCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *pan = gtk_gesture_drag_new ();
  GtkGesture *zoom = gtk_gesture_zoom_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *keys = gtk_event_controller_key_new ();

  self->accept_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update_cb), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  g_signal_connect (drag, "cancel", G_CALLBACK (drag_cancel_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (drag));

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "pressed", G_CALLBACK (click_pressed_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (pan), GDK_BUTTON_MIDDLE);
  g_signal_connect (pan, "drag-begin", G_CALLBACK (pan_begin_cb), self);
  g_signal_connect (pan, "drag-update", G_CALLBACK (pan_update_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (pan));

  g_signal_connect (zoom, "begin", G_CALLBACK (zoom_begin_cb), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (zoom_scale_cb), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (zoom));

  g_signal_connect (scroll, "scroll", G_CALLBACK (scroll_cb), self);
  gtk_widget_add_controller (widget, scroll);
  g_signal_connect (motion, "motion", G_CALLBACK (motion_cb), self);
  gtk_widget_add_controller (widget, motion);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect (keys, "key-released", G_CALLBACK (key_released_cb), self);
  gtk_widget_add_controller (widget, keys);
}
