/* afs-canvas-private.h: state shared by the canvas's source files.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-canvas.h"

G_BEGIN_DECLS

#define NODE_WIDTH 220.0
#define HEADER_HEIGHT 46.0
#define PORT_ROW 22.0
#define PREVIEW_HEIGHT 54.0
#define PORT_RADIUS 5.0
#define BUCKET_SIZE 512.0
#define ZOOM_MIN 0.05
#define ZOOM_MAX 4.0
/* Below this zoom, text is not drawn. */
#define LABEL_ZOOM 0.35

/* The canvas's per-node view data: geometry, cached text layouts and run
 * decorations. Text is laid out lazily, only when the node is drawn, and
 * invalidated when the node's settings change. */
typedef struct {
  AfsGraphNode *node;
  double x, y, w, h;
  PangoLayout *title;
  PangoLayout *subtitle;
  PangoLayout *preview;
  GPtrArray *port_labels;     /* PangoLayout per input then per output */
  char *accessible_name;
  AfsRunState run_state;
  char *message;
  char *output_preview;
  guint stamp;                /* last query that returned it (dedup) */
} NodeView;

/* A wire's ends, resolved once (not per frame) and dropped whenever nodes,
 * ports or links change. */
typedef struct {
  AfsLink *link;
  NodeView *src;
  NodeView *dst;
  int out_index;
  int in_index;
  AfsPortType type;
} LinkView;

typedef enum {
  DRAG_NONE,
  DRAG_MOVE,
  DRAG_WIRE,
  DRAG_RUBBER,
  DRAG_PAN,
} DragMode;

typedef struct {
  GdkRGBA bg, grid, card, card_fg, dim_fg, border, accent, accent_fg, header;
  GdkRGBA error, success, warning, highlight;
  GdkRGBA port[5];            /* text, number, list, score, explanation */
  GdkRGBA port_any;
  GdkRGBA kind_data, kind_op, kind_llm, kind_eval;
} Palette;

struct _AfsCanvas
{
  GtkWidget parent_instance;

  AfsDocument *document;
  GHashTable *views;          /* node id -> NodeView */
  GHashTable *grid;           /* bucket key -> GPtrArray of NodeView */
  guint query_stamp;
  GHashTable *selection;      /* node ids */
  guint selected_link;
  GHashTable *highlights;     /* link ids */

  double zoom;
  double ox, oy;              /* graph point at the widget's top-left */
  double pointer_x, pointer_y;
  gboolean space_held;
  gboolean show_minimap;
  Palette palette;

  /* Dragging. */
  DragMode drag;
  double drag_start_x, drag_start_y;   /* widget coordinates */
  double drag_dx, drag_dy;             /* widget offset since start */
  double pan_start_ox, pan_start_oy;
  guint wire_node;
  const char *wire_port;
  AfsPortDirection wire_dir;
  AfsPortType wire_type;
  guint hover_node;
  const char *hover_port;
  gboolean drag_moved;
  GHashTable *accept_cache;   /* "id:port" -> 1 accept / 2 refuse, per wire drag */

  /* A wire dropped on empty space waits for the node search. */
  guint pending_node;
  const char *pending_port;
  AfsPortDirection pending_dir;
  double search_gx, search_gy;

  GtkWidget *minimap;
  GtkWidget *search;

  guint nodes_drawn, links_drawn;
  GArray *link_views;         /* LinkView, NULL when stale */

  /* The scene cache (afs-canvas-draw.c): the drawn graph in tiles of
   * TILE_SIZE pixels at a zoom level, valid while scene_rev is unchanged. */
  GPtrArray *tiles;
  guint scene_rev;            /* bumped by anything that changes the picture */
  guint tiles_rev;
  int tiles_scale;
  gboolean zoom_settled;      /* no zoom change for SETTLE_MS: draw sharp */
  guint settle_id;
  gint64 last_zoom_us;        /* when the zoom last changed */
  double drawn_level;         /* zoom the last frame's scene was drawn at */
  guint64 tile_clock;
  guint tiles_rendered;       /* in the last frame */
  guint more_tiles_tick;      /* a frame to draw the tiles still missing */
  guint tiles_idle;           /* draws the tiles in view while idle */
  guint direct_rev;           /* scene_rev last drawn directly after a change */

  /* Accessible stand-ins for the nodes in view (afs-canvas-a11y.c). */
  GHashTable *a11y_items;     /* node id -> stand-in widget */
  GPtrArray *a11y_spare;      /* hidden stand-ins kept for reuse */
  guint a11y_timer;
  gint64 a11y_changed_us;     /* last change the stand-ins must follow */
  gint64 a11y_graph_changed_us; /* first graph change not followed yet, or 0 */
  int a11y_width, a11y_height; /* the size they were made for */
};

/* afs-canvas-index.c */
void      afs_canvas_index_init (AfsCanvas *self);
void      afs_canvas_index_clear (AfsCanvas *self);
NodeView *afs_canvas_index_add (AfsCanvas *self, AfsGraphNode *node);
void      afs_canvas_index_remove (AfsCanvas *self, guint id);
void      afs_canvas_index_update (AfsCanvas *self, NodeView *view);
/* Moves a view without touching the model (live dragging). */
void      afs_canvas_index_move (AfsCanvas *self, NodeView *view, double x, double y);
NodeView *afs_canvas_view (AfsCanvas *self, guint id);
/* Visible views (transfer container) in the graph rectangle. */
GPtrArray *afs_canvas_index_query (AfsCanvas *self, const graphene_rect_t *rect);
void      afs_canvas_view_invalidate_text (NodeView *view);
void      afs_canvas_view_ensure_text (AfsCanvas *self, NodeView *view);
/* Port centre in graph coordinates. */
void      afs_canvas_view_port_position (NodeView *view, AfsPortDirection dir, guint index,
                                         double *x, double *y);
void      node_view_free (NodeView *view);
/* The text the node's preview shows (transfer full). */
char     *afs_canvas_view_dup_preview_text (NodeView *view);

/* afs-canvas-a11y.c */
void      afs_canvas_a11y_init (AfsCanvas *self);
void      afs_canvas_a11y_dispose (AfsCanvas *self);
/* Something the stand-ins show changed (@graph_changed: the graph or its
 * decorations, not only the view): they follow once changes stop. */
void      afs_canvas_a11y_schedule (AfsCanvas *self, gboolean graph_changed);
/* Brings the stand-ins up to date now. */
void      afs_canvas_a11y_update (AfsCanvas *self);
/* From size_allocate: places the stand-ins over their nodes. */
void      afs_canvas_a11y_allocate (AfsCanvas *self, int width, int height);

/* afs-canvas-actions.c */
void      afs_canvas_install_actions (GtkWidgetClass *widget_class);
void      afs_canvas_update_actions (AfsCanvas *self);
void      afs_canvas_delete_selection (AfsCanvas *self);

/* afs-canvas-draw.c */
/* The resolved wires (transfer none). */
GArray   *afs_canvas_get_link_views (AfsCanvas *self);
void      afs_canvas_invalidate_links (AfsCanvas *self);
void      afs_canvas_link_view_ends (const LinkView *lv, double *x1, double *y1, double *x2, double *y2);
void      afs_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot);
void      afs_canvas_load_palette (AfsCanvas *self);
/* The picture changed (document, selection, hover, run state, theme):
 * drops the scene cache and redraws. */
void      afs_canvas_redraw (AfsCanvas *self);
/* Only the view moved (pan) or zoomed: redraws from the scene cache. */
void      afs_canvas_view_moved (AfsCanvas *self, gboolean zoomed);
void      afs_canvas_clear_scene_cache (AfsCanvas *self);

/* afs-canvas-input.c */
void      afs_canvas_setup_input (AfsCanvas *self);
/* Hit tests in graph coordinates. */
NodeView *afs_canvas_node_at (AfsCanvas *self, double gx, double gy);
gboolean  afs_canvas_port_at (AfsCanvas *self, double gx, double gy, guint *node,
                              const char **port, AfsPortDirection *dir);
AfsLink  *afs_canvas_link_at (AfsCanvas *self, double gx, double gy);
/* TRUE when a wire being dragged could end on this port. */
gboolean  afs_canvas_wire_accepts (AfsCanvas *self, guint node, const char *port, AfsPortDirection dir);

/* afs-canvas.c */
void      afs_canvas_emit_selection_changed (AfsCanvas *self);
void      afs_canvas_add_node_at (AfsCanvas *self, const char *kind_id, double gx, double gy);
/* Port colour for @type. */
const GdkRGBA *afs_canvas_port_color (AfsCanvas *self, AfsPortType type);
const Palette *afs_canvas_get_palette (AfsCanvas *self);
/* For tests: records a wire dropped on empty space, as the input code does. */
void      afs_canvas_test_set_pending (AfsCanvas *self, guint node, const char *port, AfsPortDirection dir);

G_END_DECLS
