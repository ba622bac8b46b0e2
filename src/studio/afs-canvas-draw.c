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

#define N_WIRE_COLORS 6
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

gboolean
afs_canvas_link_ends (AfsCanvas *self, AfsLink *link, double *x1, double *y1, double *x2, double *y2)
{
  NodeView *a = afs_canvas_view (self, afs_link_get_source (link));
  NodeView *b = afs_canvas_view (self, afs_link_get_target (link));
  int i, j;

  if (!a || !b)
    return FALSE;
  i = port_index (afs_graph_node_get_outputs (a->node), afs_link_get_source_port (link));
  j = port_index (afs_graph_node_get_inputs (b->node), afs_link_get_target_port (link));
  if (i < 0 || j < 0)
    return FALSE;
  afs_canvas_view_port_position (a, AFS_PORT_OUTPUT, i, x1, y1);
  afs_canvas_view_port_position (b, AFS_PORT_INPUT, j, x2, y2);
  return TRUE;
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

/* ---- Wires and grid ---- */

static void
draw_grid (AfsCanvas *self, cairo_t *cr, const graphene_rect_t *view)
{
  double x0 = floor (view->origin.x / GRID_STEP) * GRID_STEP;
  double y0 = floor (view->origin.y / GRID_STEP) * GRID_STEP;

  if (self->zoom < 0.5)
    return;
  gdk_cairo_set_source_rgba (cr, &self->palette.grid);
  cairo_set_line_width (cr, 1.0 / self->zoom);
  for (double x = x0; x < view->origin.x + view->size.width; x += GRID_STEP)
    {
      cairo_move_to (cr, x, view->origin.y);
      cairo_line_to (cr, x, view->origin.y + view->size.height);
    }
  for (double y = y0; y < view->origin.y + view->size.height; y += GRID_STEP)
    {
      cairo_move_to (cr, view->origin.x, y);
      cairo_line_to (cr, view->origin.x + view->size.width, y);
    }
  cairo_stroke (cr);
}

static void
stroke_with (cairo_t *cr, const GdkRGBA *color, double width)
{
  gdk_cairo_set_source_rgba (cr, color);
  cairo_set_line_width (cr, width);
  cairo_stroke (cr);
}

static void
draw_wires (AfsCanvas *self, cairo_t *cr, const graphene_rect_t *view)
{
  GPtrArray *links = afs_document_get_links (self->document);
  gboolean straight = self->zoom < LABEL_ZOOM;
  double lw = MAX (2.0, 1.2 / self->zoom);
  GArray *ends[N_WIRE_COLORS + 2];

  /* Wires are collected per colour and stroked as one path each: a stroke
   * per wire would dominate the frame on big graphs. The two extra lists
   * are highlighted and selected wires, drawn last and wider. */
  for (guint c = 0; c < N_WIRE_COLORS + 2; c++)
    ends[c] = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < links->len; i++)
    {
      AfsLink *link = links->pdata[i];
      NodeView *src;
      double xy[4];
      guint c;
      int p;

      if (!afs_canvas_link_ends (self, link, &xy[0], &xy[1], &xy[2], &xy[3]) ||
          !wire_visible (xy[0], xy[1], xy[2], xy[3], view))
        continue;
      src = afs_canvas_view (self, afs_link_get_source (link));
      p = port_index (afs_graph_node_get_outputs (src->node), afs_link_get_source_port (link));
      c = type_color_index (((AfsPort *) afs_graph_node_get_outputs (src->node)->pdata[p])->type);
      if (g_hash_table_contains (self->highlights, GUINT_TO_POINTER (afs_link_get_id (link))))
        c = N_WIRE_COLORS;
      if (afs_link_get_id (link) == self->selected_link)
        c = N_WIRE_COLORS + 1;
      g_array_append_vals (ends[c], xy, 4);
      self->links_drawn++;
    }
  for (guint c = 0; c < N_WIRE_COLORS + 2; c++)
    {
      const GdkRGBA *color = c < N_WIRE_COLORS ? color_by_index (self, c)
                             : c == N_WIRE_COLORS ? &self->palette.highlight : &self->palette.accent;
      double *xy = (double *) ends[c]->data;

      if (ends[c]->len == 0)
        continue;
      for (guint i = 0; i < ends[c]->len; i += 4)
        wire_path (cr, xy[i], xy[i + 1], xy[i + 2], xy[i + 3], straight);
      stroke_with (cr, color, c < N_WIRE_COLORS ? lw : lw * 2);
    }
  for (guint c = 0; c < N_WIRE_COLORS + 2; c++)
    g_array_unref (ends[c]);
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
  stroke_with (cr, afs_canvas_port_color (self, self->wire_type), MAX (2.0, 1.2 / self->zoom));
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
draw_node (AfsCanvas *self, GtkSnapshot *snapshot, NodeView *view, gboolean detailed)
{
  graphene_rect_t r = GRAPHENE_RECT_INIT (view->x, view->y, view->w, view->h);
  gboolean selected = g_hash_table_contains (self->selection,
                                             GUINT_TO_POINTER (afs_graph_node_get_id (view->node)));
  GdkRGBA tint = *kind_color (self, afs_graph_node_get_kind (view->node));
  gboolean dimmed = node_dimmed (self, view);

  if (dimmed)
    gtk_snapshot_push_opacity (snapshot, 0.4);
  if (!detailed)
    {
      /* Far out: flat blocks, no text, no rounded clips. */
      gtk_snapshot_append_color (snapshot, selected ? &self->palette.accent : &tint, &r);
      if (dimmed)
        gtk_snapshot_pop (snapshot);
      return;
    }
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
  if (self->zoom >= LABEL_ZOOM)
    draw_node_text (self, snapshot, view);
  draw_border (snapshot, &r, 10, selected ? 2.5 : 1, selected ? &self->palette.accent : &self->palette.border);
  draw_ports (self, snapshot, view, self->zoom >= LABEL_ZOOM);
  if (dimmed)
    gtk_snapshot_pop (snapshot);
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

void
afs_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  graphene_rect_t view, query;
  g_autoptr(GPtrArray) visible = NULL;
  cairo_t *cr;
  gboolean detailed = self->zoom >= 0.2;

  self->nodes_drawn = self->links_drawn = 0;
  gtk_snapshot_append_color (snapshot, &self->palette.bg, &GRAPHENE_RECT_INIT (0, 0, w, h));
  if (!self->document)
    return;
  afs_canvas_get_visible_area (self, &view);
  query = view;
  graphene_rect_inset (&query, -PORT_RADIUS * 2, -PORT_RADIUS * 2);
  visible = afs_canvas_index_query (self, &query);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_scale (cr, self->zoom, self->zoom);
  cairo_translate (cr, -self->ox, -self->oy);
  draw_grid (self, cr, &view);
  draw_wires (self, cr, &view);
  cairo_destroy (cr);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_scale (snapshot, self->zoom, self->zoom);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (-self->ox, -self->oy));
  for (guint i = 0; i < visible->len; i++)
    draw_node (self, snapshot, visible->pdata[i], detailed);
  self->nodes_drawn = visible->len;
  /* The wire being dragged goes over the nodes. */
  if (self->drag == DRAG_WIRE)
    {
      cr = gtk_snapshot_append_cairo (snapshot, &view);
      draw_drag_wire (self, cr);
      cairo_destroy (cr);
    }
  gtk_snapshot_restore (snapshot);

  draw_rubber_band (self, snapshot);
  if (self->minimap && gtk_widget_get_visible (self->minimap))
    gtk_widget_snapshot_child (widget, self->minimap, snapshot);
}
