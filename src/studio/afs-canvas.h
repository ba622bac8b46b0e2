/* afs-canvas.h: the node-editor canvas. One drawn surface showing an
 * AfsDocument: nodes, ports and wires, with selection, linking, search,
 * clipboard, zoom/pan, auto-layout and a minimap.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afs-document.h"

G_BEGIN_DECLS

#define AFS_TYPE_CANVAS (afs_canvas_get_type ())
G_DECLARE_FINAL_TYPE (AfsCanvas, afs_canvas, AFS, CANVAS, GtkWidget)

/* What a node shows about the last run (decorations drawn by the canvas;
 * set by whoever runs the graph). */
typedef enum {
  AFS_RUN_STATE_NONE,
  AFS_RUN_STATE_QUEUED,
  AFS_RUN_STATE_RUNNING,
  AFS_RUN_STATE_DONE,
  AFS_RUN_STATE_ERROR,
} AfsRunState;

/*
 * Properties: "document" (AfsDocument, read/write), "zoom" (double),
 * "show-minimap" (bool).
 * Signals: "selection-changed" ().
 *
 * Actions (group "canvas", each with a shortcut; see docs/studio-canvas.md):
 *   canvas.undo canvas.redo canvas.delete canvas.select-all
 *   canvas.select-none canvas.copy canvas.cut canvas.paste canvas.duplicate
 *   canvas.zoom-in canvas.zoom-out canvas.zoom-reset canvas.fit
 *   canvas.arrange canvas.add-node (opens node search)
 *   canvas.add-node-kind ("s": kind id; adds at the view centre and selects it)
 *   canvas.connect ("(usus)": source id, output, target id, input)
 *   canvas.nudge ("(ii)": moves the selection by steps of 10)
 *   canvas.select-next canvas.select-previous canvas.toggle-minimap
 */
GtkWidget   *afs_canvas_new (void);
AfsDocument *afs_canvas_get_document (AfsCanvas *self);      /* transfer none, nullable */
void         afs_canvas_set_document (AfsCanvas *self, AfsDocument *document);

/* Selection. The returned array lists node ids (transfer full). */
GArray      *afs_canvas_get_selected_nodes (AfsCanvas *self);
/* Replaces (or extends with @extend) the selection. */
void         afs_canvas_select_nodes (AfsCanvas *self, const guint *ids, guint n_ids, gboolean extend);
/* The selected wire, 0 when none. */
guint        afs_canvas_get_selected_link (AfsCanvas *self);
void         afs_canvas_select_link (AfsCanvas *self, guint link_id);

/* Links like a dropped wire (types checked, cycles refused, an occupied
 * single input replaced), as one undo step. */
gboolean     afs_canvas_connect (AfsCanvas *self, guint source, const char *output,
                                 guint target, const char *input, GError **error);

/* View. Zoom is clamped to [0.05, 4]; (@x, @y) is the widget point that
 * stays put. */
double       afs_canvas_get_zoom (AfsCanvas *self);
void         afs_canvas_zoom_at (AfsCanvas *self, double zoom, double x, double y);
/* Moves the view by (@dx, @dy) widget pixels. */
void         afs_canvas_pan (AfsCanvas *self, double dx, double dy);
/* Fits all nodes (or the selection when @selection) in view. */
void         afs_canvas_fit (AfsCanvas *self, gboolean selection);
/* Converts a widget point to graph coordinates. */
void         afs_canvas_widget_to_graph (AfsCanvas *self, double x, double y, double *gx, double *gy);
/* The visible graph rectangle. */
void         afs_canvas_get_visible_area (AfsCanvas *self, graphene_rect_t *rect);
/* The bounds of all nodes (empty rect when there are none). */
void         afs_canvas_get_graph_bounds (AfsCanvas *self, graphene_rect_t *rect);
/* Centres the view on graph point (@gx, @gy). */
void         afs_canvas_center_on (AfsCanvas *self, double gx, double gy);

/* The accessible stand-in of a node in view: an empty child widget over
 * the node that carries its accessible name, description and states; NULL
 * when the node is out of view. They follow changes once the view and the
 * graph stop changing. Transfer none. */
GtkWidget   *afs_canvas_get_node_accessible (AfsCanvas *self, guint node_id);

/* Opens node search at widget point (@x, @y). */
void         afs_canvas_show_node_search (AfsCanvas *self, double x, double y, const char *text);

/* Run decorations (for the run/backward views). @message / @preview nullable. */
void         afs_canvas_set_node_run_state (AfsCanvas *self, guint node_id, AfsRunState state,
                                            const char *message);
AfsRunState  afs_canvas_get_node_run_state (AfsCanvas *self, guint node_id);
void         afs_canvas_set_node_output_preview (AfsCanvas *self, guint node_id, const char *preview);
void         afs_canvas_set_link_highlight (AfsCanvas *self, guint link_id, gboolean highlight);
gboolean     afs_canvas_get_link_highlight (AfsCanvas *self, guint link_id);
void         afs_canvas_clear_decorations (AfsCanvas *self);

/* The accessible name of node @id ("Variable “question”, 1 input, ..."), transfer full. */
char        *afs_canvas_dup_node_accessible_name (AfsCanvas *self, guint node_id);

/* Counters for tests and benchmarks: nodes and wires shown in the last
 * frame (drawn afresh or from the scene cache). */
void         afs_canvas_get_draw_stats (AfsCanvas *self, guint *nodes_drawn, guint *links_drawn);
/* The scene cache: tiles drawn for the last frame, and tiles held. */
void         afs_canvas_get_cache_stats (AfsCanvas *self, guint *tiles_drawn, guint *tiles_cached);

G_END_DECLS
