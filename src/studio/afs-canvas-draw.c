/* afs-canvas-draw.c: drawing. Wires and the grid go in one cairo node in
 * widget coordinates (batched per colour); nodes are GSK nodes with cached
 * Pango layouts. Only what intersects the view is drawn, and text is left
 * out when zoomed far out.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <math.h>
#include "afs-canvas-private.h"
#include "afs-widgets.h"

#define GRID_STEP 40.0

/* ---- Palette ---- */

static void
ensure_css (void)
{
  static gboolean done;
  g_autoptr(GtkCssProvider) provider = NULL;
  GdkDisplay *display = gdk_display_get_default ();

  if (done || !display)
    return;
  done = TRUE;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/afnio/Studio/widgets/afs-canvas.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION - 1);
}

static void
lookup (GtkStyleContext *ctx, const char *name, GdkRGBA *color, const char *fallback)
{
  if (!gtk_style_context_lookup_color (ctx, name, color))
    gdk_rgba_parse (color, fallback);
}

void
afs_canvas_load_palette (AfsCanvas *self)
{
  GtkStyleContext *ctx;
  Palette *p = &self->palette;

  ensure_css ();
  ctx = gtk_widget_get_style_context (GTK_WIDGET (self));
  /* Fallbacks only matter without the stylesheet (a bare GTK without
   * libadwaita); the real colours come from afs-canvas.css. */
  lookup (ctx, "afs_canvas_bg_color", &p->bg, "#ebebeb");
  lookup (ctx, "afs_canvas_grid_color", &p->grid, "rgba(0,0,0,0.07)");
  lookup (ctx, "afs_node_bg_color", &p->card, "#ffffff");
  lookup (ctx, "afs_node_fg_color", &p->card_fg, "#303030");
  lookup (ctx, "afs_node_dim_fg_color", &p->dim_fg, "rgba(0,0,0,0.55)");
  lookup (ctx, "afs_node_border_color", &p->border, "rgba(0,0,0,0.18)");
  lookup (ctx, "afs_node_header_color", &p->header, "rgba(0,0,0,0.05)");
  lookup (ctx, "afs_selection_color", &p->accent, "#3584e4");
  lookup (ctx, "afs_selection_fg_color", &p->accent_fg, "#ffffff");
  lookup (ctx, "afs_error_color", &p->error, "#c01c28");
  lookup (ctx, "afs_success_color", &p->success, "#26a269");
  lookup (ctx, "afs_warning_color", &p->warning, "#9c6e03");
  lookup (ctx, "afs_feedback_wire_color", &p->highlight, "#e66100");
  lookup (ctx, "afs_port_text_color", &p->port[0], "#3584e4");
  lookup (ctx, "afs_port_number_color", &p->port[1], "#2ec27e");
  lookup (ctx, "afs_port_list_color", &p->port[2], "#9141ac");
  lookup (ctx, "afs_port_score_color", &p->port[3], "#e5a50a");
  lookup (ctx, "afs_port_explanation_color", &p->port[4], "#e66100");
  lookup (ctx, "afs_port_any_color", &p->port_any, "#77767b");
  lookup (ctx, "afs_kind_data_color", &p->kind_data, "#3584e4");
  lookup (ctx, "afs_kind_op_color", &p->kind_op, "#2ec27e");
  lookup (ctx, "afs_kind_llm_color", &p->kind_llm, "#9141ac");
  lookup (ctx, "afs_kind_eval_color", &p->kind_eval, "#e5a50a");
}

/* Index into the wire colours: one per type, the most specific bit wins. */
static guint
type_color_index (AfsPortType type)
{
  if (type == AFS_PORT_ANY)
    return 5;
  if (type & AFS_PORT_SCORE)
    return 3;
  if (type & AFS_PORT_EXPLANATION)
    return 4;
  if (type & AFS_PORT_TEXT)
    return 0;
  if (type & AFS_PORT_NUMBER)
    return 1;
  return 2;
}

static const GdkRGBA *
color_by_index (AfsCanvas *self, guint i)
{
  return i == 5 ? &self->palette.port_any : &self->palette.port[i];
}

const GdkRGBA *
afs_canvas_port_color (AfsCanvas *self, AfsPortType type)
{
  return color_by_index (self, type_color_index (type));
}

static const GdkRGBA *
kind_color (AfsCanvas *self, AfsNodeKind *kind)
{
  const char *id = afs_node_kind_get_id (kind);

  if (afs_node_kind_is_data (kind))
    return &self->palette.kind_data;
  if (g_str_has_suffix (id, "_evaluator"))
    return &self->palette.kind_eval;
  if (g_str_equal (id, "chat_completion"))
    return &self->palette.kind_llm;
  return &self->palette.kind_op;
}

/* ---- Geometry ---- */

static int
port_index (GPtrArray *ports, const char *name)
{
  for (guint i = 0; i < ports->len; i++)
    if (((AfsPort *) ports->pdata[i])->name == name)
      return i;
  return -1;
}

void
afs_canvas_invalidate_links (AfsCanvas *self)
{
  g_clear_pointer (&self->link_views, g_array_unref);
}

GArray *
afs_canvas_get_link_views (AfsCanvas *self)
{
  GPtrArray *links;

  if (self->link_views)
    return self->link_views;
  self->link_views = g_array_new (FALSE, FALSE, sizeof (LinkView));
  links = self->document ? afs_document_get_links (self->document) : NULL;
  for (guint i = 0; links && i < links->len; i++)
    {
      LinkView lv = { links->pdata[i], NULL, NULL, -1, -1, 0 };

      lv.src = afs_canvas_view (self, afs_link_get_source (lv.link));
      lv.dst = afs_canvas_view (self, afs_link_get_target (lv.link));
      if (!lv.src || !lv.dst)
        continue;
      lv.out_index = port_index (afs_graph_node_get_outputs (lv.src->node), afs_link_get_source_port (lv.link));
      lv.in_index = port_index (afs_graph_node_get_inputs (lv.dst->node), afs_link_get_target_port (lv.link));
      if (lv.out_index < 0 || lv.in_index < 0)
        continue;
      lv.type = ((AfsPort *) afs_graph_node_get_outputs (lv.src->node)->pdata[lv.out_index])->type;
      g_array_append_val (self->link_views, lv);
    }
  return self->link_views;
}

void
afs_canvas_link_view_ends (const LinkView *lv, double *x1, double *y1, double *x2, double *y2)
{
  afs_canvas_view_port_position (lv->src, AFS_PORT_OUTPUT, lv->out_index, x1, y1);
  afs_canvas_view_port_position (lv->dst, AFS_PORT_INPUT, lv->in_index, x2, y2);
}

static double
control_offset (double x1, double x2)
{
  return MAX (40.0, fabs (x2 - x1) * 0.5);
}

static gboolean
wire_visible (double x1, double y1, double x2, double y2, const graphene_rect_t *view)
{
  double d = control_offset (x1, x2);
  double minx = MIN (x1, x2 - d), maxx = MAX (x1 + d, x2);
  graphene_rect_t r = GRAPHENE_RECT_INIT (minx, MIN (y1, y2), maxx - minx, fabs (y2 - y1) + 1);

  return graphene_rect_intersection (&r, view, NULL);
}

static void
wire_path (cairo_t *cr, double x1, double y1, double x2, double y2, gboolean straight)
{
  double d = control_offset (x1, x2);

  cairo_move_to (cr, x1, y1);
  if (straight)
    cairo_line_to (cr, x2, y2);
  else
    cairo_curve_to (cr, x1 + d, y1, x2 - d, y2, x2, y2);
}

/* ---- Wires and grid ----
 *
 * Everything here is made of GSK colour and border nodes. On the X11 cairo
 * backend those become server-side fills, while a cairo node is rasterized
 * on the client and uploaded whole each frame, which is what made big
 * graphs slow. A forward wire is two quarter-ellipse arcs (two border
 * nodes with one round corner each): an S-curve with horizontal ends, like
 * a cubic Bézier with horizontal handles. Backward wires, rare after
 * auto-layout, are real Béziers in a small cairo node of their own. */

static void
draw_grid (AfsCanvas *self, GtkSnapshot *snapshot, const graphene_rect_t *view)
{
  double x0 = floor (view->origin.x / GRID_STEP) * GRID_STEP;
  double y0 = floor (view->origin.y / GRID_STEP) * GRID_STEP;
  double lw = 1.0 / self->zoom;

  if (self->zoom < 0.5)
    return;
  for (double x = x0; x < view->origin.x + view->size.width; x += GRID_STEP)
    gtk_snapshot_append_color (snapshot, &self->palette.grid,
                               &GRAPHENE_RECT_INIT (x, view->origin.y, lw, view->size.height));
  for (double y = y0; y < view->origin.y + view->size.height; y += GRID_STEP)
    gtk_snapshot_append_color (snapshot, &self->palette.grid,
                               &GRAPHENE_RECT_INIT (view->origin.x, y, view->size.width, lw));
}

static void
arc_band (GtkSnapshot *snapshot, const GdkRGBA *color, double left, double top, double right,
          double bottom, int corner, double lw)
{
  GskRoundedRect rr;
  float widths[4] = { 0, 0, 0, 0 };
  GdkRGBA colors[4] = { *color, *color, *color, *color };

  if (right - left < lw || bottom - top < lw)
    return;
  gsk_rounded_rect_init_from_rect (&rr, &GRAPHENE_RECT_INIT (left, top, right - left, bottom - top), 0);
  rr.corner[corner] = GRAPHENE_SIZE_INIT (right - left, bottom - top);
  /* The two sides meeting at the rounded corner carry the stroke. */
  switch (corner)
    {
    case GSK_CORNER_TOP_LEFT: widths[0] = widths[3] = lw; break;
    case GSK_CORNER_TOP_RIGHT: widths[0] = widths[1] = lw; break;
    case GSK_CORNER_BOTTOM_RIGHT: widths[2] = widths[1] = lw; break;
    case GSK_CORNER_BOTTOM_LEFT: widths[2] = widths[3] = lw; break;
    default: g_assert_not_reached ();
    }
  gtk_snapshot_append_border (snapshot, &rr, widths, colors);
}

static void
backward_wire (GtkSnapshot *snapshot, const GdkRGBA *color, double x1, double y1, double x2, double y2,
               double lw)
{
  double d = control_offset (x1, x2);
  graphene_rect_t r = GRAPHENE_RECT_INIT (MIN (x2 - d, x1) - lw, MIN (y1, y2) - lw,
                                          fabs (x1 + d - (x2 - d)) + 2 * lw, fabs (y2 - y1) + 2 * lw);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &r);

  wire_path (cr, x1, y1, x2, y2, FALSE);
  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, lw);
  cairo_stroke (cr);
  cairo_destroy (cr);
}

static void
draw_wire (GtkSnapshot *snapshot, const GdkRGBA *color, double x1, double y1, double x2, double y2,
           double lw)
{
  double m = (x1 + x2) / 2, ym = (y1 + y2) / 2, h = lw / 2;

  if (x2 - x1 < 2 * lw)
    backward_wire (snapshot, color, x1, y1, x2, y2, lw);
  else if (fabs (y2 - y1) < lw)
    gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (x1, ym - h, x2 - x1, lw));
  else if (y2 > y1)
    {
      arc_band (snapshot, color, x1, y1 - h, m + h, ym, GSK_CORNER_TOP_RIGHT, lw);
      arc_band (snapshot, color, m - h, ym, x2, y2 + h, GSK_CORNER_BOTTOM_LEFT, lw);
    }
  else
    {
      arc_band (snapshot, color, x1, ym, m + h, y1 + h, GSK_CORNER_BOTTOM_RIGHT, lw);
      arc_band (snapshot, color, m - h, y2 - h, x2, ym, GSK_CORNER_TOP_LEFT, lw);
    }
}

/* Far out, wires are right-angled steps of whole-pixel rectangles drawn in
 * widget coordinates: they become plain rectangle fills. */
static void
draw_overview_wire (AfsCanvas *self, GtkSnapshot *snapshot, const GdkRGBA *color,
                    double x1, double y1, double x2, double y2, double lw)
{
  double sx1 = round ((x1 - self->ox) * self->zoom), sy1 = round ((y1 - self->oy) * self->zoom);
  double sx2 = round ((x2 - self->ox) * self->zoom), sy2 = round ((y2 - self->oy) * self->zoom);
  double m = round ((sx1 + sx2) / 2);

  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (MIN (sx1, m), sy1, fabs (m - sx1) + lw, lw));
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (m, MIN (sy1, sy2), lw, fabs (sy2 - sy1) + lw));
  gtk_snapshot_append_color (snapshot, color, &GRAPHENE_RECT_INIT (MIN (m, sx2), sy2, fabs (sx2 - m), lw));
}

static void
draw_wires (AfsCanvas *self, GtkSnapshot *snapshot, const graphene_rect_t *view, gboolean overview)
{
  GArray *lvs = afs_canvas_get_link_views (self);
  double lw = overview ? 1.0 : MAX (2.0, 1.2 / self->zoom);

  for (guint i = 0; i < lvs->len; i++)
    {
      const LinkView *lv = &g_array_index (lvs, LinkView, i);
      guint id = afs_link_get_id (lv->link);
      const GdkRGBA *color = afs_canvas_port_color (self, lv->type);
      double x1, y1, x2, y2, w = lw;

      afs_canvas_link_view_ends (lv, &x1, &y1, &x2, &y2);
      if (!wire_visible (x1, y1, x2, y2, view))
        continue;
      if (id == self->selected_link)
        color = &self->palette.accent, w = lw * 2;
      else if (g_hash_table_contains (self->highlights, GUINT_TO_POINTER (id)))
        color = &self->palette.highlight, w = lw * 2;
      if (overview)
        draw_overview_wire (self, snapshot, color, x1, y1, x2, y2, w);
      else
        draw_wire (snapshot, color, x1, y1, x2, y2, w);
    }
}

static void
draw_drag_wire (AfsCanvas *self, cairo_t *cr)
{
  NodeView *view = afs_canvas_view (self, self->wire_node);
  double px, py, gx, gy;
  int i;

  if (self->drag != DRAG_WIRE || !view)
    return;
  i = port_index (self->wire_dir == AFS_PORT_INPUT ? afs_graph_node_get_inputs (view->node)
                                                   : afs_graph_node_get_outputs (view->node),
                  self->wire_port);
  if (i < 0)
    return;
  afs_canvas_view_port_position (view, self->wire_dir, i, &px, &py);
  afs_canvas_widget_to_graph (self, self->drag_start_x + self->drag_dx,
                              self->drag_start_y + self->drag_dy, &gx, &gy);
  if (self->wire_dir == AFS_PORT_OUTPUT)
    wire_path (cr, px, py, gx, gy, FALSE);
  else
    wire_path (cr, gx, gy, px, py, FALSE);
  cairo_set_dash (cr, (double[]) { 6 / self->zoom, 4 / self->zoom }, 2, 0);
  gdk_cairo_set_source_rgba (cr, afs_canvas_port_color (self, self->wire_type));
  cairo_set_line_width (cr, MAX (2.0, 1.2 / self->zoom));
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

/* ---- Nodes ---- */

static void
fill_rounded (GtkSnapshot *snapshot, const graphene_rect_t *r, float radius, const GdkRGBA *color)
{
  GskRoundedRect rr;

  gsk_rounded_rect_init_from_rect (&rr, r, radius);
  gtk_snapshot_push_rounded_clip (snapshot, &rr);
  gtk_snapshot_append_color (snapshot, color, r);
  gtk_snapshot_pop (snapshot);
}

static void
draw_border (GtkSnapshot *snapshot, const graphene_rect_t *r, float radius, float width, const GdkRGBA *color)
{
  GskRoundedRect rr;
  float widths[4] = { width, width, width, width };
  GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&rr, r, radius);
  gtk_snapshot_append_border (snapshot, &rr, widths, colors);
}

static void
draw_layout (GtkSnapshot *snapshot, PangoLayout *layout, double x, double y, const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static const GdkRGBA *
run_state_color (AfsCanvas *self, AfsRunState state)
{
  switch (state)
    {
    case AFS_RUN_STATE_QUEUED: return &self->palette.dim_fg;
    case AFS_RUN_STATE_RUNNING: return &self->palette.accent;
    case AFS_RUN_STATE_DONE: return &self->palette.success;
    case AFS_RUN_STATE_ERROR: return &self->palette.error;
    case AFS_RUN_STATE_NONE:
    default: return NULL;
    }
}

gboolean
afs_canvas_wire_accepts (AfsCanvas *self, guint node, const char *port, AfsPortDirection dir)
{
  g_autofree char *key = NULL;
  gpointer cached;
  gboolean ok;

  if (self->drag != DRAG_WIRE || dir == self->wire_dir)
    return FALSE;
  key = g_strdup_printf ("%u:%s", node, port);
  cached = g_hash_table_lookup (self->accept_cache, key);
  if (cached)
    return GPOINTER_TO_INT (cached) == 1;
  if (dir == AFS_PORT_INPUT)
    ok = afs_document_can_link (self->document, self->wire_node, self->wire_port, node, port, TRUE, NULL);
  else
    ok = afs_document_can_link (self->document, node, port, self->wire_node, self->wire_port, TRUE, NULL);
  g_hash_table_insert (self->accept_cache, g_steal_pointer (&key), GINT_TO_POINTER (ok ? 1 : 2));
  return ok;
}

static void
draw_ports (AfsCanvas *self, GtkSnapshot *snapshot, NodeView *view, gboolean labels)
{
  GPtrArray *lists[2] = { afs_graph_node_get_inputs (view->node), afs_graph_node_get_outputs (view->node) };
  guint id = afs_graph_node_get_id (view->node);
  guint label_i = 0;

  for (guint k = 0; k < 2; k++)
    for (guint i = 0; i < lists[k]->len; i++, label_i++)
      {
        AfsPort *port = lists[k]->pdata[i];
        double px, py;
        GdkRGBA color = *afs_canvas_port_color (self, port->type);
        gboolean hovered = self->hover_node == id && self->hover_port == port->name;
        double r = hovered ? PORT_RADIUS + 2 : PORT_RADIUS;

        afs_canvas_view_port_position (view, port->direction, i, &px, &py);
        if (self->drag == DRAG_WIRE && !afs_canvas_wire_accepts (self, id, port->name, port->direction) &&
            !(id == self->wire_node && port->name == self->wire_port))
          color.alpha *= 0.25;
        fill_rounded (snapshot, &GRAPHENE_RECT_INIT (px - r - 1.5, py - r - 1.5, 2 * r + 3, 2 * r + 3),
                      r + 1.5, &self->palette.card);
        fill_rounded (snapshot, &GRAPHENE_RECT_INIT (px - r, py - r, 2 * r, 2 * r), r, &color);
        if (labels && view->port_labels)
          draw_layout (snapshot, view->port_labels->pdata[label_i],
                       k == 0 ? px + 10 : px - view->w / 2 + 6, py - 8, &self->palette.card_fg);
      }
}

static gboolean
node_dimmed (AfsCanvas *self, NodeView *view)
{
  GPtrArray *ports;
  guint id = afs_graph_node_get_id (view->node);

  if (self->drag != DRAG_WIRE || id == self->wire_node)
    return FALSE;
  ports = self->wire_dir == AFS_PORT_OUTPUT ? afs_graph_node_get_inputs (view->node)
                                            : afs_graph_node_get_outputs (view->node);
  for (guint i = 0; i < ports->len; i++)
    if (afs_canvas_wire_accepts (self, id, ((AfsPort *) ports->pdata[i])->name,
                                 ((AfsPort *) ports->pdata[i])->direction))
      return FALSE;
  return TRUE;
}

/* studio-panels: a running node's spinner, eight dots turning once a second;
 * whoever runs the graph redraws the canvas every frame while it runs. */
static void
draw_spinner (GtkSnapshot *snapshot, double cx, double cy, const GdkRGBA *color)
{
  double phase = (double) (g_get_monotonic_time () % G_USEC_PER_SEC) / G_USEC_PER_SEC;

  for (guint i = 0; i < 8; i++)
    {
      double angle = 2 * G_PI * i / 8.0;
      GdkRGBA c = *color;
      double age = fmod (phase - i / 8.0 + 1.0, 1.0);

      c.alpha *= 0.25 + 0.75 * (1.0 - age);
      fill_rounded (snapshot, &GRAPHENE_RECT_INIT (cx + 6 * cos (angle) - 1.5,
                                                   cy + 6 * sin (angle) - 1.5, 3, 3), 1.5, &c);
    }
}

static void
draw_node_text (AfsCanvas *self, GtkSnapshot *snapshot, NodeView *view)
{
  const GdkRGBA *state = run_state_color (self, view->run_state);
  const GdkRGBA *preview_color = view->run_state == AFS_RUN_STATE_ERROR ? &self->palette.error
                                                                        : &self->palette.dim_fg;

  afs_canvas_view_ensure_text (self, view);
  draw_layout (snapshot, view->title, view->x + 14, view->y + 6, &self->palette.card_fg);
  draw_layout (snapshot, view->subtitle, view->x + 14, view->y + 25, &self->palette.dim_fg);
  draw_layout (snapshot, view->preview, view->x + 12, view->y + view->h - PREVIEW_HEIGHT + 6, preview_color);
  if (view->run_state == AFS_RUN_STATE_RUNNING)
    draw_spinner (snapshot, view->x + view->w - 15, view->y + 15, state);
  else if (state)
    fill_rounded (snapshot, &GRAPHENE_RECT_INIT (view->x + view->w - 20, view->y + 10, 10, 10), 5, state);
}

static void
draw_node (AfsCanvas *self, GtkSnapshot *snapshot, NodeView *view)
{
  graphene_rect_t r = GRAPHENE_RECT_INIT (view->x, view->y, view->w, view->h);
  gboolean selected = g_hash_table_contains (self->selection,
                                             GUINT_TO_POINTER (afs_graph_node_get_id (view->node)));
  GdkRGBA tint = *kind_color (self, afs_graph_node_get_kind (view->node));
  gboolean dimmed = node_dimmed (self, view);

  if (dimmed)
    gtk_snapshot_push_opacity (snapshot, 0.4);
  fill_rounded (snapshot, &r, 10, &self->palette.card);
  tint.alpha = 0.22;
  {
    GskRoundedRect header;

    gsk_rounded_rect_init (&header, &GRAPHENE_RECT_INIT (view->x, view->y, view->w, HEADER_HEIGHT),
                           &GRAPHENE_SIZE_INIT (10, 10), &GRAPHENE_SIZE_INIT (10, 10),
                           &GRAPHENE_SIZE_INIT (0, 0), &GRAPHENE_SIZE_INIT (0, 0));
    gtk_snapshot_push_rounded_clip (snapshot, &header);
    gtk_snapshot_append_color (snapshot, &tint, &header.bounds);
    tint.alpha = 1;
    gtk_snapshot_append_color (snapshot, &tint, &GRAPHENE_RECT_INIT (view->x, view->y, 4, HEADER_HEIGHT));
    gtk_snapshot_pop (snapshot);
  }
  gtk_snapshot_append_color (snapshot, &self->palette.header,
                             &GRAPHENE_RECT_INIT (view->x + 1, view->y + view->h - PREVIEW_HEIGHT,
                                                  view->w - 2, PREVIEW_HEIGHT - 10));
  draw_node_text (self, snapshot, view);
  draw_border (snapshot, &r, 10, selected ? 2.5 : 1, selected ? &self->palette.accent : &self->palette.border);
  draw_ports (self, snapshot, view, TRUE);
  if (dimmed)
    gtk_snapshot_pop (snapshot);
}

/* Far out: whole-pixel blocks in widget coordinates, no text, no ports. */
static void
draw_overview_node (AfsCanvas *self, GtkSnapshot *snapshot, NodeView *view)
{
  double x = round ((view->x - self->ox) * self->zoom), y = round ((view->y - self->oy) * self->zoom);
  double w = MAX (2, round (view->w * self->zoom)), h = MAX (2, round (view->h * self->zoom));
  double strip = MAX (1, round (HEADER_HEIGHT * self->zoom));
  gboolean selected = g_hash_table_contains (self->selection,
                                             GUINT_TO_POINTER (afs_graph_node_get_id (view->node)));

  if (selected)
    gtk_snapshot_append_color (snapshot, &self->palette.accent, &GRAPHENE_RECT_INIT (x - 2, y - 2, w + 4, h + 4));
  gtk_snapshot_append_color (snapshot, &self->palette.card, &GRAPHENE_RECT_INIT (x, y, w, h));
  gtk_snapshot_append_color (snapshot, kind_color (self, afs_graph_node_get_kind (view->node)),
                             &GRAPHENE_RECT_INIT (x, y, w, strip));
}

static void
draw_rubber_band (AfsCanvas *self, GtkSnapshot *snapshot)
{
  graphene_rect_t r;
  GdkRGBA fill = self->palette.accent;

  if (self->drag != DRAG_RUBBER)
    return;
  r = GRAPHENE_RECT_INIT (MIN (self->drag_start_x, self->drag_start_x + self->drag_dx),
                          MIN (self->drag_start_y, self->drag_start_y + self->drag_dy),
                          fabs (self->drag_dx), fabs (self->drag_dy));
  fill.alpha = 0.15;
  gtk_snapshot_append_color (snapshot, &fill, &r);
  draw_border (snapshot, &r, 0, 1, &self->palette.accent);
}

/* The graph (background, grid, wires, nodes) as seen with the current
 * zoom and origin, in a w x h widget area. */
static void
draw_scene (AfsCanvas *self, GtkSnapshot *snapshot, int w, int h)
{
  graphene_rect_t view, query;
  g_autoptr(GPtrArray) visible = NULL;
  gboolean overview = self->zoom < LABEL_ZOOM;

  gtk_snapshot_append_color (snapshot, &self->palette.bg, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!self->document)
    return;
  view = GRAPHENE_RECT_INIT (self->ox, self->oy, w / self->zoom, h / self->zoom);
  query = view;
  graphene_rect_inset (&query, -PORT_RADIUS * 2, -PORT_RADIUS * 2);
  visible = afs_canvas_index_query (self, &query);

  if (overview)
    {
      draw_wires (self, snapshot, &view, TRUE);
      for (guint i = 0; i < visible->len; i++)
        draw_overview_node (self, snapshot, visible->pdata[i]);
    }
  else
    {
      gtk_snapshot_save (snapshot);
      gtk_snapshot_scale (snapshot, self->zoom, self->zoom);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-self->ox, -self->oy));
      draw_grid (self, snapshot, &view);
      draw_wires (self, snapshot, &view, FALSE);
      for (guint i = 0; i < visible->len; i++)
        draw_node (self, snapshot, visible->pdata[i]);
      gtk_snapshot_restore (snapshot);
    }
}

/* ---- The scene cache ----
 *
 * With GTK 4.8's cairo renderer every render node is rasterized again on
 * every frame, so a big graph cost its whole drawing per frame even when
 * only panned. The canvas keeps the drawn graph as textures: tiles of
 * TILE_SIZE pixels on a grid anchored at graph (0, 0), each drawn once at a
 * zoom level. Panning blits tiles; a pan only draws the tiles coming into
 * view (and, when the frame has time, one tile beyond the edge ahead of
 * need). While the zoom changes, tiles are drawn at the nearest power of
 * two and scaled; once it has settled for SETTLE_MS
 * they are drawn again at the exact zoom, sharp. Missing tiles of a new
 * level are drawn within a per-frame budget, with the previous level's
 * tiles scaled beneath until then. Anything that changes the picture
 * (afs_canvas_redraw) drops all tiles. */

#define TILE_SIZE 512
#define MAX_TILES 48
/* Each tile is drawn with a margin that is not shown: text that starts
 * left of or above a tile then sits at positive coordinates, where cairo
 * rounds glyph positions as it does in the neighbouring tile (negative
 * ones round the other way and made a one-pixel seam). */
#define TILE_MARGIN 32
#define SETTLE_MS 150
#define TILE_BUDGET_US 4000
#define PREFETCH_BUDGET_US 3000

typedef struct {
  double level;
  int tx, ty;
  cairo_surface_t *surface;
  guint64 used;
} Tile;

static void
tile_free (gpointer data)
{
  Tile *tile = data;

  cairo_surface_destroy (tile->surface);
  g_free (tile);
}

void
afs_canvas_clear_scene_cache (AfsCanvas *self)
{
  g_clear_handle_id (&self->settle_id, g_source_remove);
  g_clear_handle_id (&self->tiles_idle, g_source_remove);
  if (self->more_tiles_tick)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->more_tiles_tick);
  self->more_tiles_tick = 0;
  g_clear_pointer (&self->tiles, g_ptr_array_unref);
}

void
afs_canvas_redraw (AfsCanvas *self)
{
  self->scene_rev++;
  afs_canvas_a11y_schedule (self, TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
settle_cb (gpointer data)
{
  AfsCanvas *self = data;

  self->settle_id = 0;
  self->zoom_settled = TRUE;
  /* Redraw only if the last frame showed scaled tiles. */
  if (self->drawn_level != self->zoom)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

void
afs_canvas_view_moved (AfsCanvas *self, gboolean zoomed)
{
  gint64 now = g_get_monotonic_time ();

  /* A single zoom step (a key, fit) is drawn sharp at once; only a zoom
   * that keeps changing (scrolling, pinching) uses the scaled levels. */
  if (zoomed && now - self->last_zoom_us < SETTLE_MS * 1000)
    {
      self->zoom_settled = FALSE;
      g_clear_handle_id (&self->settle_id, g_source_remove);
      self->settle_id = g_timeout_add (SETTLE_MS, settle_cb, self);
    }
  if (zoomed)
    self->last_zoom_us = now;
  afs_canvas_a11y_schedule (self, FALSE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static double
tile_level (AfsCanvas *self)
{
  if (self->zoom_settled)
    return self->zoom;
  return exp2 (round (log2 (self->zoom)));
}

static Tile *
find_tile (AfsCanvas *self, double level, int tx, int ty)
{
  for (guint i = 0; i < self->tiles->len; i++)
    {
      Tile *tile = self->tiles->pdata[i];

      if (tile->level == level && tile->tx == tx && tile->ty == ty)
        return tile;
    }
  return NULL;
}

/* Draws one tile: the scene seen at zoom @level from the tile's corner,
 * rasterized once into an image. */
static Tile *
render_tile (AfsCanvas *self, double level, int tx, int ty)
{
  double zoom = self->zoom, ox = self->ox, oy = self->oy;
  int scale = self->tiles_scale, size = (TILE_SIZE + 2 * TILE_MARGIN) * scale;
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  cairo_surface_t *surface;
  cairo_t *cr;
  Tile *tile;

  self->zoom = level;
  self->ox = (tx * TILE_SIZE - TILE_MARGIN) / level;
  self->oy = (ty * TILE_SIZE - TILE_MARGIN) / level;
  draw_scene (self, snapshot, TILE_SIZE + 2 * TILE_MARGIN, TILE_SIZE + 2 * TILE_MARGIN);
  self->zoom = zoom, self->ox = ox, self->oy = oy;
  node = gtk_snapshot_free_to_node (snapshot);

  /* Opaque (the background is drawn first): painting it is a plain copy. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, size, size);
  cr = cairo_create (surface);
  cairo_scale (cr, scale, scale);
  if (node)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  tile = g_new0 (Tile, 1);
  tile->level = level;
  tile->tx = tx;
  tile->ty = ty;
  tile->surface = surface;
  g_ptr_array_add (self->tiles, tile);
  self->tiles_rendered++;
  return tile;
}

/* Where the tile goes in widget coordinates. At its own zoom it lands on
 * whole pixels, so a resting view is a plain copy, sharp. */
static void
tile_rect (AfsCanvas *self, Tile *tile, graphene_rect_t *r)
{
  double s = self->zoom / tile->level;

  if (s == 1.0)
    *r = GRAPHENE_RECT_INIT (tile->tx * TILE_SIZE - round (self->ox * self->zoom),
                             tile->ty * TILE_SIZE - round (self->oy * self->zoom), TILE_SIZE, TILE_SIZE);
  else
    *r = GRAPHENE_RECT_INIT ((tile->tx * TILE_SIZE / tile->level - self->ox) * self->zoom,
                             (tile->ty * TILE_SIZE / tile->level - self->oy) * self->zoom,
                             TILE_SIZE * s, TILE_SIZE * s);
}

static void
tile_range (AfsCanvas *self, double level, int w, int h, int margin, int *x0, int *y0, int *x1, int *y1)
{
  *x0 = (int) floor (self->ox * level / TILE_SIZE) - margin;
  *y0 = (int) floor (self->oy * level / TILE_SIZE) - margin;
  *x1 = (int) floor ((self->ox + w / self->zoom) * level / TILE_SIZE) + margin;
  *y1 = (int) floor ((self->oy + h / self->zoom) * level / TILE_SIZE) + margin;
}

static int
compare_used (gconstpointer a, gconstpointer b)
{
  const Tile *x = *(Tile * const *) a, *y = *(Tile * const *) b;

  return x->used < y->used ? 1 : x->used > y->used ? -1 : 0;
}

/* Keeps the MAX_TILES most recently shown tiles. */
static void
evict_tiles (AfsCanvas *self)
{
  if (self->tiles->len <= MAX_TILES)
    return;
  g_ptr_array_sort (self->tiles, compare_used);
  g_ptr_array_set_size (self->tiles, MAX_TILES);
}

/* Tiles are painted with cairo rather than shown as GdkTextures: GTK 4.8's
 * cairo renderer converts a texture's every pixel through floats on every
 * frame, while painting an image surface is a plain copy. */
static void
paint_tile (AfsCanvas *self, cairo_t *cr, Tile *tile)
{
  graphene_rect_t r;
  double s;

  tile->used = self->tile_clock;
  tile_rect (self, tile, &r);
  s = r.size.width / (TILE_SIZE * self->tiles_scale);
  cairo_save (cr);
  cairo_translate (cr, r.origin.x, r.origin.y);
  cairo_scale (cr, s, s);
  cairo_set_source_surface (cr, tile->surface, -TILE_MARGIN * self->tiles_scale, -TILE_MARGIN * self->tiles_scale);
  /* Scaled only for a moment while zooming: bilinear is enough (cairo's
   * default for shrinking is a far slower convolution), padded so that
   * neighbouring tiles meet without a seam. */
  if (s != 1.0)
    {
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_BILINEAR);
      cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
    }
  cairo_rectangle (cr, 0, 0, TILE_SIZE * self->tiles_scale, TILE_SIZE * self->tiles_scale);
  cairo_fill (cr);
  cairo_restore (cr);
}

static gboolean
more_tiles_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  AFS_CANVAS (widget)->more_tiles_tick = 0;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_REMOVE;
}

static gboolean scene_is_live (AfsCanvas *self);

/* After a change the frame was drawn directly; the tiles in view are drawn
 * now, one per idle turn, for the next pan or zoom. */
static gboolean
tiles_idle_cb (gpointer data)
{
  AfsCanvas *self = data;
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));
  double level = tile_level (self);
  int x0, y0, x1, y1;

  if (!self->tiles || self->tiles_rev != self->scene_rev || !self->document || scene_is_live (self))
    {
      self->tiles_idle = 0;
      return G_SOURCE_REMOVE;
    }
  tile_range (self, level, w, h, 0, &x0, &y0, &x1, &y1);
  for (int ty = y0; ty <= y1; ty++)
    for (int tx = x0; tx <= x1; tx++)
      if (!find_tile (self, level, tx, ty))
        {
          render_tile (self, level, tx, ty)->used = self->tile_clock;
          return G_SOURCE_CONTINUE;
        }
  self->tiles_idle = 0;
  return G_SOURCE_REMOVE;
}

static void
snapshot_cached (AfsCanvas *self, GtkSnapshot *snapshot, int w, int h)
{
  double level = tile_level (self);
  gint64 start = g_get_monotonic_time ();
  gboolean missing = FALSE, fallback = FALSE;
  graphene_rect_t screen = GRAPHENE_RECT_INIT (0, 0, w, h);
  int x0, y0, x1, y1, scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  cairo_t *cr;

  if (!self->tiles || self->tiles_rev != self->scene_rev || self->tiles_scale != scale)
    {
      g_clear_pointer (&self->tiles, g_ptr_array_unref);
      self->tiles = g_ptr_array_new_with_free_func (tile_free);
      self->tiles_rev = self->scene_rev;
      self->tiles_scale = scale;
    }
  /* The picture just changed: drawing the view directly is cheaper than
   * drawing the larger area of the tiles that cover it. If the view moves
   * before the idle time came, the next frame draws the tiles. */
  if (self->tiles->len == 0 && self->direct_rev != self->scene_rev)
    {
      self->direct_rev = self->scene_rev;
      self->drawn_level = self->zoom;
      draw_scene (self, snapshot, w, h);
      if (!self->tiles_idle)
        self->tiles_idle = g_idle_add_full (G_PRIORITY_LOW, tiles_idle_cb, self, NULL);
      return;
    }
  self->tile_clock++;
  self->drawn_level = level;
  tile_range (self, level, w, h, 0, &x0, &y0, &x1, &y1);
  for (int ty = y0; ty <= y1 && !missing; ty++)
    for (int tx = x0; tx <= x1 && !missing; tx++)
      missing = !find_tile (self, level, tx, ty);

  cr = gtk_snapshot_append_cairo (snapshot, &screen);
  /* A new level: the other levels' tiles, scaled, until it is drawn. */
  if (missing)
    {
      gdk_cairo_set_source_rgba (cr, &self->palette.bg);
      cairo_paint (cr);
    }
  if (missing)
    for (guint i = 0; i < self->tiles->len; i++)
      {
        Tile *tile = self->tiles->pdata[i];
        graphene_rect_t r;

        tile_rect (self, tile, &r);
        if (tile->level != level && graphene_rect_intersection (&r, &screen, NULL))
          {
            paint_tile (self, cr, tile);
            fallback = TRUE;
          }
      }

  for (int ty = y0; ty <= y1; ty++)
    for (int tx = x0; tx <= x1; tx++)
      {
        Tile *tile = find_tile (self, level, tx, ty);

        /* Without anything to show instead, every tile is drawn now. */
        if (!tile && (!fallback || g_get_monotonic_time () - start < TILE_BUDGET_US))
          tile = render_tile (self, level, tx, ty);
        if (tile)
          paint_tile (self, cr, tile);
        else if (!self->more_tiles_tick)
          self->more_tiles_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), more_tiles_cb, NULL, NULL);
      }

  /* Time left: one tile beyond the edge, ahead of a pan. */
  if (self->zoom_settled && g_get_monotonic_time () - start < PREFETCH_BUDGET_US)
    {
      int px0, py0, px1, py1;
      gboolean done = FALSE;

      tile_range (self, level, w, h, 1, &px0, &py0, &px1, &py1);
      for (int ty = py0; ty <= py1 && !done; ty++)
        for (int tx = px0; tx <= px1 && !done; tx++)
          if (!find_tile (self, level, tx, ty))
            {
              render_tile (self, level, tx, ty)->used = self->tile_clock;
              done = TRUE;
            }
    }
  cairo_destroy (cr);
  evict_tiles (self);
}

/* What the frame shows, for tests and the benchmark: the nodes and wires
 * in view, whether drawn afresh or from the cache. */
static void
count_shown (AfsCanvas *self, int w, int h)
{
  graphene_rect_t view = GRAPHENE_RECT_INIT (self->ox, self->oy, w / self->zoom, h / self->zoom);
  graphene_rect_t query = view;
  g_autoptr(GPtrArray) visible = NULL;
  GArray *lvs = afs_canvas_get_link_views (self);

  graphene_rect_inset (&query, -PORT_RADIUS * 2, -PORT_RADIUS * 2);
  visible = afs_canvas_index_query (self, &query);
  self->nodes_drawn = visible->len;
  self->links_drawn = 0;
  for (guint i = 0; i < lvs->len; i++)
    {
      double x1, y1, x2, y2;

      afs_canvas_link_view_ends (&g_array_index (lvs, LinkView, i), &x1, &y1, &x2, &y2);
      if (wire_visible (x1, y1, x2, y2, &view))
        self->links_drawn++;
    }
}

/* A running node's spinner turns every frame, and nodes being dragged move
 * every frame: then the scene is drawn directly. */
static gboolean
scene_is_live (AfsCanvas *self)
{
  GHashTableIter iter;
  gpointer value;

  if (self->drag == DRAG_MOVE)
    return TRUE;
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((NodeView *) value)->run_state == AFS_RUN_STATE_RUNNING)
      return TRUE;
  return FALSE;
}

void
afs_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);

  self->nodes_drawn = self->links_drawn = 0;
  self->tiles_rendered = 0;
  if (!self->document || scene_is_live (self))
    {
      self->drawn_level = self->zoom;
      g_clear_pointer (&self->tiles, g_ptr_array_unref);
      draw_scene (self, snapshot, w, h);
    }
  else
    snapshot_cached (self, snapshot, w, h);
  if (self->document)
    count_shown (self, w, h);
  /* The wire being dragged goes over the nodes. */
  if (self->drag == DRAG_WIRE)
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));

      cairo_scale (cr, self->zoom, self->zoom);
      cairo_translate (cr, -self->ox, -self->oy);
      draw_drag_wire (self, cr);
      cairo_destroy (cr);
    }
  draw_rubber_band (self, snapshot);
  if (self->minimap && gtk_widget_get_visible (self->minimap))
    gtk_widget_snapshot_child (widget, self->minimap, snapshot);
}
