/* afs-canvas.c: the node-editor canvas: document tracking, selection,
 * view transform and public API. Drawing, input and actions live in
 * afs-canvas-draw.c, afs-canvas-input.c and afs-canvas-actions.c.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include "afs-canvas-private.h"
#include "afs-minimap.h"
#include "afs-node-search.h"
#include "afs-widgets.h"

G_DEFINE_FINAL_TYPE (AfsCanvas, afs_canvas, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_DOCUMENT, PROP_ZOOM, PROP_SHOW_MINIMAP, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SELECTION_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- Document tracking ---- */

static void
update_accessible (AfsCanvas *self)
{
  g_autoptr(GString) desc = g_string_new (NULL);
  guint n_nodes = g_hash_table_size (self->views);
  guint n_links = self->document ? afs_document_get_links (self->document)->len : 0;
  GHashTableIter iter;
  gpointer key;
  guint shown = 0;

  g_string_printf (desc, ngettext ("%u node", "%u nodes", n_nodes), n_nodes);
  g_string_append (desc, ", ");
  g_string_append_printf (desc, ngettext ("%u wire", "%u wires", n_links), n_links);
  g_hash_table_iter_init (&iter, self->selection);
  while (g_hash_table_iter_next (&iter, &key, NULL) && shown++ < 5)
    {
      g_autofree char *name = afs_canvas_dup_node_accessible_name (self, GPOINTER_TO_UINT (key));

      g_string_append (desc, shown == 1 ? _(". Selected: ") : "; ");
      g_string_append (desc, name);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, desc->str, -1);
}

void
afs_canvas_emit_selection_changed (AfsCanvas *self)
{
  update_accessible (self);
  afs_canvas_update_actions (self);
  if (self->minimap)
    afs_minimap_invalidate (AFS_MINIMAP (self->minimap));
  afs_canvas_redraw (self);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

static void
node_added_cb (AfsCanvas *self, AfsGraphNode *node)
{
  afs_canvas_invalidate_links (self);
  afs_canvas_index_add (self, node);
  afs_canvas_redraw (self);
}

static void
node_removed_cb (AfsCanvas *self, AfsGraphNode *node)
{
  guint id = afs_graph_node_get_id (node);

  afs_canvas_invalidate_links (self);
  afs_canvas_index_remove (self, id);
  if (g_hash_table_remove (self->selection, GUINT_TO_POINTER (id)))
    afs_canvas_emit_selection_changed (self);
  afs_canvas_redraw (self);
}

static void
node_changed_cb (AfsCanvas *self, AfsGraphNode *node, const char *what)
{
  NodeView *view = afs_canvas_view (self, afs_graph_node_get_id (node));

  if (!view)
    return;
  if (!g_str_equal (what, "position"))
    {
      afs_canvas_view_invalidate_text (view);
      afs_canvas_invalidate_links (self);
    }
  afs_canvas_index_update (self, view);
  afs_canvas_redraw (self);
}

static void
link_added_cb (AfsCanvas *self, AfsLink *link)
{
  afs_canvas_invalidate_links (self);
  afs_canvas_redraw (self);
}

static void
link_removed_cb (AfsCanvas *self, AfsLink *link)
{
  afs_canvas_invalidate_links (self);
  g_hash_table_remove (self->highlights, GUINT_TO_POINTER (afs_link_get_id (link)));
  if (self->selected_link == afs_link_get_id (link))
    {
      self->selected_link = 0;
      afs_canvas_emit_selection_changed (self);
    }
  afs_canvas_redraw (self);
}

static void
document_changed_cb (AfsCanvas *self)
{
  update_accessible (self);
  afs_canvas_update_actions (self);
  afs_canvas_redraw (self);
  if (self->minimap)
    afs_minimap_invalidate (AFS_MINIMAP (self->minimap));
}

static void
disconnect_document (AfsCanvas *self)
{
  if (!self->document)
    return;
  g_signal_handlers_disconnect_by_data (self->document, self);
  g_signal_handlers_disconnect_by_data (afs_document_get_undo_stack (self->document), self);
  g_clear_object (&self->document);
  afs_canvas_invalidate_links (self);
  afs_canvas_index_clear (self);
  g_hash_table_remove_all (self->selection);
  g_hash_table_remove_all (self->highlights);
  self->selected_link = 0;
}

void
afs_canvas_set_document (AfsCanvas *self, AfsDocument *document)
{
  GPtrArray *nodes;

  g_return_if_fail (AFS_IS_CANVAS (self));
  g_return_if_fail (!document || AFS_IS_DOCUMENT (document));

  if (self->document == document)
    return;
  disconnect_document (self);
  if (document)
    {
      self->document = g_object_ref (document);
      g_signal_connect_swapped (document, "node-added", G_CALLBACK (node_added_cb), self);
      g_signal_connect_swapped (document, "node-removed", G_CALLBACK (node_removed_cb), self);
      g_signal_connect_swapped (document, "node-changed", G_CALLBACK (node_changed_cb), self);
      g_signal_connect_swapped (document, "link-added", G_CALLBACK (link_added_cb), self);
      g_signal_connect_swapped (document, "link-removed", G_CALLBACK (link_removed_cb), self);
      g_signal_connect_swapped (document, "changed", G_CALLBACK (document_changed_cb), self);
      g_signal_connect_swapped (afs_document_get_undo_stack (document), "notify",
                                G_CALLBACK (afs_canvas_update_actions), self);
      nodes = afs_document_get_nodes (document);
      for (guint i = 0; i < nodes->len; i++)
        afs_canvas_index_add (self, nodes->pdata[i]);
    }
  document_changed_cb (self);
  afs_canvas_emit_selection_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DOCUMENT]);
}

AfsDocument *
afs_canvas_get_document (AfsCanvas *self)
{
  g_return_val_if_fail (AFS_IS_CANVAS (self), NULL);
  return self->document;
}

/* ---- GObject / GtkWidget ---- */

static void
afs_canvas_dispose (GObject *object)
{
  AfsCanvas *self = AFS_CANVAS (object);

  disconnect_document (self);
  afs_canvas_a11y_dispose (self);
  afs_canvas_clear_scene_cache (self);
  g_clear_pointer (&self->minimap, gtk_widget_unparent);
  g_clear_pointer (&self->search, gtk_widget_unparent);
  G_OBJECT_CLASS (afs_canvas_parent_class)->dispose (object);
}

static void
afs_canvas_finalize (GObject *object)
{
  AfsCanvas *self = AFS_CANVAS (object);

  g_hash_table_unref (self->views);
  g_hash_table_unref (self->grid);
  g_hash_table_unref (self->selection);
  g_hash_table_unref (self->highlights);
  g_hash_table_unref (self->accept_cache);
  afs_canvas_invalidate_links (self);
  G_OBJECT_CLASS (afs_canvas_parent_class)->finalize (object);
}

static void
afs_canvas_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsCanvas *self = AFS_CANVAS (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT: g_value_set_object (value, self->document); break;
    case PROP_ZOOM: g_value_set_double (value, self->zoom); break;
    case PROP_SHOW_MINIMAP: g_value_set_boolean (value, self->show_minimap); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_show_minimap (AfsCanvas *self, gboolean show)
{
  if (self->show_minimap == show)
    return;
  self->show_minimap = show;
  gtk_widget_set_visible (self->minimap, show);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SHOW_MINIMAP]);
}

static void
afs_canvas_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AfsCanvas *self = AFS_CANVAS (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT: afs_canvas_set_document (self, g_value_get_object (value)); break;
    case PROP_ZOOM:
      afs_canvas_zoom_at (self, g_value_get_double (value),
                          gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
                          gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
      break;
    case PROP_SHOW_MINIMAP: set_show_minimap (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_canvas_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  int mw, mh;

  if (self->minimap && gtk_widget_get_visible (self->minimap))
    {
      gtk_widget_measure (self->minimap, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &mw, NULL, NULL);
      gtk_widget_measure (self->minimap, GTK_ORIENTATION_VERTICAL, mw, NULL, &mh, NULL, NULL);
      mw = MIN (mw, MAX (0, width - 24));
      mh = MIN (mh, MAX (0, height - 24));
      gtk_widget_size_allocate (self->minimap,
                                &(GtkAllocation) { width - mw - 12, height - mh - 12, mw, mh }, -1);
    }
  if (self->search && gtk_widget_get_visible (self->search))
    gtk_popover_present (GTK_POPOVER (self->search));
  afs_canvas_a11y_allocate (self, width, height);
}

static void
afs_canvas_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (afs_canvas_parent_class)->realize (widget);
  /* Panning repaints the whole window on every frame. */
  afs_widgets_keep_frame_memory (widget);
}

static void
afs_canvas_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                    int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 100;
  *natural = 600;
}

static void
afs_canvas_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  GHashTableIter iter;
  gpointer value;

  GTK_WIDGET_CLASS (afs_canvas_parent_class)->css_changed (widget, change);
  afs_canvas_load_palette (self);
  /* Fonts may have changed: drop cached layouts. */
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    afs_canvas_view_invalidate_text (value);
  if (self->minimap)
    afs_minimap_invalidate (AFS_MINIMAP (self->minimap));
  afs_canvas_redraw (self);
}

static void
search_chosen_cb (AfsCanvas *self, AfsNodeKind *kind)
{
  afs_canvas_add_node_at (self, afs_node_kind_get_id (kind), self->search_gx, self->search_gy);
}

static void
search_closed_cb (AfsCanvas *self)
{
  self->pending_node = 0;
  self->pending_port = NULL;
  afs_canvas_redraw (self);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
afs_canvas_class_init (AfsCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = afs_canvas_dispose;
  object_class->finalize = afs_canvas_finalize;
  object_class->get_property = afs_canvas_get_property;
  object_class->set_property = afs_canvas_set_property;
  widget_class->snapshot = afs_canvas_snapshot;
  widget_class->size_allocate = afs_canvas_size_allocate;
  widget_class->realize = afs_canvas_realize;
  widget_class->measure = afs_canvas_measure;
  widget_class->css_changed = afs_canvas_css_changed;

  props[PROP_DOCUMENT] = g_param_spec_object ("document", NULL, NULL, AFS_TYPE_DOCUMENT,
                                              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_ZOOM] = g_param_spec_double ("zoom", NULL, NULL, ZOOM_MIN, ZOOM_MAX, 1.0,
                                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_SHOW_MINIMAP] = g_param_spec_boolean ("show-minimap", NULL, NULL, TRUE,
                                                   G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SELECTION_CHANGED] = g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  afs_widgets_ensure_resources ();
  gtk_widget_class_set_css_name (widget_class, "afs-canvas");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  afs_canvas_install_actions (widget_class);
}

static void
afs_canvas_init (AfsCanvas *self)
{
  afs_canvas_index_init (self);
  afs_canvas_a11y_init (self);
  self->selection = g_hash_table_new (NULL, NULL);
  self->highlights = g_hash_table_new (NULL, NULL);
  self->zoom = 1.0;
  self->ox = -40;
  self->oy = -40;
  self->show_minimap = TRUE;
  self->zoom_settled = TRUE;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Graph canvas"), -1);

  self->minimap = afs_minimap_new (self);
  gtk_widget_set_parent (self->minimap, GTK_WIDGET (self));
  self->search = afs_node_search_new ();
  gtk_widget_set_parent (self->search, GTK_WIDGET (self));
  g_signal_connect_swapped (self->search, "kind-chosen", G_CALLBACK (search_chosen_cb), self);
  g_signal_connect_swapped (self->search, "closed", G_CALLBACK (search_closed_cb), self);

  afs_canvas_setup_input (self);
  afs_canvas_load_palette (self);
  afs_canvas_update_actions (self);
}

GtkWidget *
afs_canvas_new (void)
{
  return g_object_new (AFS_TYPE_CANVAS, NULL);
}

/* ---- Selection ---- */

GArray *
afs_canvas_get_selected_nodes (AfsCanvas *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *nodes;

  g_return_val_if_fail (AFS_IS_CANVAS (self), ids);
  if (!self->document)
    return ids;
  /* In document order, so results are stable. */
  nodes = afs_document_get_nodes (self->document);
  for (guint i = 0; i < nodes->len; i++)
    {
      guint id = afs_graph_node_get_id (nodes->pdata[i]);

      if (g_hash_table_contains (self->selection, GUINT_TO_POINTER (id)))
        g_array_append_val (ids, id);
    }
  return ids;
}

void
afs_canvas_select_nodes (AfsCanvas *self, const guint *ids, guint n_ids, gboolean extend)
{
  g_return_if_fail (AFS_IS_CANVAS (self));

  if (!extend)
    g_hash_table_remove_all (self->selection);
  for (guint i = 0; i < n_ids; i++)
    if (afs_canvas_view (self, ids[i]))
      g_hash_table_add (self->selection, GUINT_TO_POINTER (ids[i]));
  if (n_ids > 0 || !extend)
    self->selected_link = 0;
  afs_canvas_emit_selection_changed (self);
}

guint
afs_canvas_get_selected_link (AfsCanvas *self)
{
  g_return_val_if_fail (AFS_IS_CANVAS (self), 0);
  return self->selected_link;
}

void
afs_canvas_select_link (AfsCanvas *self, guint link_id)
{
  g_return_if_fail (AFS_IS_CANVAS (self));

  g_hash_table_remove_all (self->selection);
  self->selected_link = self->document && afs_document_get_link (self->document, link_id) ? link_id : 0;
  afs_canvas_emit_selection_changed (self);
}

/* ---- Editing helpers ---- */

gboolean
afs_canvas_connect (AfsCanvas *self, guint source, const char *output,
                    guint target, const char *input, GError **error)
{
  g_return_val_if_fail (AFS_IS_CANVAS (self), FALSE);
  g_return_val_if_fail (self->document != NULL, FALSE);

  return afs_document_link (self->document, source, output, target, input, TRUE, error) != NULL;
}

/* The first port of @node that the pending wire can join. */
static const char *
first_compatible_port (AfsCanvas *self, AfsGraphNode *node)
{
  AfsGraphNode *other = afs_document_get_node (self->document, self->pending_node);
  AfsPort *from;
  GPtrArray *ports;

  if (!other)
    return NULL;
  from = afs_graph_node_find_port (other, self->pending_dir, self->pending_port);
  ports = self->pending_dir == AFS_PORT_OUTPUT ? afs_graph_node_get_inputs (node)
                                               : afs_graph_node_get_outputs (node);
  for (guint i = 0; from && i < ports->len; i++)
    {
      AfsPort *p = ports->pdata[i];

      if (self->pending_dir == AFS_PORT_OUTPUT ? afs_port_type_compatible (from->type, p->type)
                                               : afs_port_type_compatible (p->type, from->type))
        return p->name;
    }
  return NULL;
}

void
afs_canvas_add_node_at (AfsCanvas *self, const char *kind_id, double gx, double gy)
{
  g_autoptr(GError) error = NULL;
  AfsGraphNode *node;
  const char *port;
  guint id;

  if (!self->document)
    return;
  afs_document_begin_group (self->document, _("Add Node"));
  node = afs_document_add_node (self->document, kind_id, gx, gy, NULL, &error);
  if (node && self->pending_node && (port = first_compatible_port (self, node)))
    {
      guint new_id = afs_graph_node_get_id (node);

      if (self->pending_dir == AFS_PORT_OUTPUT)
        afs_document_link (self->document, self->pending_node, self->pending_port, new_id, port, TRUE, &error);
      else
        afs_document_link (self->document, new_id, port, self->pending_node, self->pending_port, TRUE, &error);
    }
  afs_document_end_group (self->document);
  self->pending_node = 0;
  self->pending_port = NULL;
  if (error)
    g_warning ("Could not add %s: %s", kind_id, error->message);
  if (node)
    {
      id = afs_graph_node_get_id (node);
      afs_canvas_select_nodes (self, &id, 1, FALSE);
    }
}

/* ---- View ---- */

double
afs_canvas_get_zoom (AfsCanvas *self)
{
  g_return_val_if_fail (AFS_IS_CANVAS (self), 1.0);
  return self->zoom;
}

void
afs_canvas_zoom_at (AfsCanvas *self, double zoom, double x, double y)
{
  double gx, gy;

  g_return_if_fail (AFS_IS_CANVAS (self));

  zoom = CLAMP (zoom, ZOOM_MIN, ZOOM_MAX);
  if (zoom == self->zoom)
    return;
  afs_canvas_widget_to_graph (self, x, y, &gx, &gy);
  self->zoom = zoom;
  self->ox = gx - x / zoom;
  self->oy = gy - y / zoom;
  afs_canvas_view_moved (self, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ZOOM]);
}

void
afs_canvas_pan (AfsCanvas *self, double dx, double dy)
{
  g_return_if_fail (AFS_IS_CANVAS (self));

  self->ox += dx / self->zoom;
  self->oy += dy / self->zoom;
  afs_canvas_view_moved (self, FALSE);
  if (self->minimap)
    gtk_widget_queue_draw (self->minimap);
}

void
afs_canvas_widget_to_graph (AfsCanvas *self, double x, double y, double *gx, double *gy)
{
  *gx = self->ox + x / self->zoom;
  *gy = self->oy + y / self->zoom;
}

void
afs_canvas_get_visible_area (AfsCanvas *self, graphene_rect_t *rect)
{
  graphene_rect_init (rect, self->ox, self->oy,
                      gtk_widget_get_width (GTK_WIDGET (self)) / self->zoom,
                      gtk_widget_get_height (GTK_WIDGET (self)) / self->zoom);
}

static void
bounds_of (AfsCanvas *self, gboolean selection, graphene_rect_t *rect)
{
  GHashTableIter iter;
  gpointer key, value;
  gboolean any = FALSE;

  graphene_rect_init (rect, 0, 0, 0, 0);
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      NodeView *v = value;
      graphene_rect_t r = GRAPHENE_RECT_INIT (v->x, v->y, v->w, v->h);

      if (selection && !g_hash_table_contains (self->selection, key))
        continue;
      if (any)
        graphene_rect_union (rect, &r, rect);
      else
        *rect = r;
      any = TRUE;
    }
}

void
afs_canvas_get_graph_bounds (AfsCanvas *self, graphene_rect_t *rect)
{
  bounds_of (self, FALSE, rect);
}

void
afs_canvas_fit (AfsCanvas *self, gboolean selection)
{
  graphene_rect_t r;
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self));
  double zoom;

  g_return_if_fail (AFS_IS_CANVAS (self));

  bounds_of (self, selection && g_hash_table_size (self->selection) > 0, &r);
  if (r.size.width <= 0 || w <= 0 || h <= 0)
    return;
  graphene_rect_inset (&r, -40, -40);
  zoom = CLAMP (MIN (w / r.size.width, h / r.size.height), ZOOM_MIN, 1.5);
  self->zoom = zoom;
  self->ox = r.origin.x + r.size.width / 2 - w / 2.0 / zoom;
  self->oy = r.origin.y + r.size.height / 2 - h / 2.0 / zoom;
  afs_canvas_view_moved (self, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ZOOM]);
}

void
afs_canvas_center_on (AfsCanvas *self, double gx, double gy)
{
  self->ox = gx - gtk_widget_get_width (GTK_WIDGET (self)) / 2.0 / self->zoom;
  self->oy = gy - gtk_widget_get_height (GTK_WIDGET (self)) / 2.0 / self->zoom;
  afs_canvas_view_moved (self, FALSE);
}

void
afs_canvas_show_node_search (AfsCanvas *self, double x, double y, const char *text)
{
  AfsGraphNode *from = NULL;
  AfsPort *port = NULL;

  g_return_if_fail (AFS_IS_CANVAS (self));

  afs_canvas_widget_to_graph (self, x, y, &self->search_gx, &self->search_gy);
  if (self->pending_node && self->document)
    from = afs_document_get_node (self->document, self->pending_node);
  if (from)
    port = afs_graph_node_find_port (from, self->pending_dir, self->pending_port);
  if (port)
    afs_node_search_set_filter (AFS_NODE_SEARCH (self->search), TRUE,
                                self->pending_dir == AFS_PORT_OUTPUT ? AFS_PORT_INPUT : AFS_PORT_OUTPUT,
                                port->type);
  else
    afs_node_search_set_filter (AFS_NODE_SEARCH (self->search), FALSE, AFS_PORT_INPUT, AFS_PORT_ANY);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->search), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  afs_node_search_set_text (AFS_NODE_SEARCH (self->search), text);
  gtk_popover_popup (GTK_POPOVER (self->search));
}

/* ---- Decorations ---- */

void
afs_canvas_set_node_run_state (AfsCanvas *self, guint node_id, AfsRunState state, const char *message)
{
  NodeView *view = afs_canvas_view (self, node_id);

  if (!view)
    return;
  view->run_state = state;
  g_free (view->message);
  view->message = g_strdup (message);
  afs_canvas_view_invalidate_text (view);
  afs_canvas_redraw (self);
}

AfsRunState
afs_canvas_get_node_run_state (AfsCanvas *self, guint node_id)
{
  NodeView *view = afs_canvas_view (self, node_id);

  return view ? view->run_state : AFS_RUN_STATE_NONE;
}

void
afs_canvas_set_node_output_preview (AfsCanvas *self, guint node_id, const char *preview)
{
  NodeView *view = afs_canvas_view (self, node_id);

  if (!view)
    return;
  g_free (view->output_preview);
  view->output_preview = g_strdup (preview);
  afs_canvas_view_invalidate_text (view);
  afs_canvas_redraw (self);
}

void
afs_canvas_set_link_highlight (AfsCanvas *self, guint link_id, gboolean highlight)
{
  if (highlight)
    g_hash_table_add (self->highlights, GUINT_TO_POINTER (link_id));
  else
    g_hash_table_remove (self->highlights, GUINT_TO_POINTER (link_id));
  afs_canvas_redraw (self);
}

gboolean
afs_canvas_get_link_highlight (AfsCanvas *self, guint link_id)
{
  return g_hash_table_contains (self->highlights, GUINT_TO_POINTER (link_id));
}

void
afs_canvas_clear_decorations (AfsCanvas *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_remove_all (self->highlights);
  g_hash_table_iter_init (&iter, self->views);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      NodeView *v = value;

      v->run_state = AFS_RUN_STATE_NONE;
      g_clear_pointer (&v->message, g_free);
      g_clear_pointer (&v->output_preview, g_free);
      afs_canvas_view_invalidate_text (v);
    }
  afs_canvas_redraw (self);
}

char *
afs_canvas_dup_node_accessible_name (AfsCanvas *self, guint node_id)
{
  NodeView *view = afs_canvas_view (self, node_id);
  g_autofree char *title = NULL;
  g_autofree char *named = NULL;
  g_autofree char *inputs = NULL;
  g_autofree char *outputs = NULL;
  const char *kind_name;
  guint n_in, n_out;

  if (!view)
    return NULL;
  if (view->accessible_name)
    return g_strdup (view->accessible_name);
  title = afs_graph_node_dup_title (view->node);
  kind_name = afs_node_kind_get_name (afs_graph_node_get_kind (view->node));
  n_in = afs_graph_node_get_inputs (view->node)->len;
  n_out = afs_graph_node_get_outputs (view->node)->len;
  /* An op without a title of its own is named once, not twice. */
  if (g_strcmp0 (title, kind_name) == 0)
    named = g_strdup (kind_name);
  else
    /* Translators: a node's kind and its title, as in "Variable “question”" */
    named = g_strdup_printf (_("%s “%s”"), kind_name, title);
  inputs = g_strdup_printf (ngettext ("%u input", "%u inputs", n_in), n_in);
  outputs = g_strdup_printf (ngettext ("%u output", "%u outputs", n_out), n_out);
  /* Translators: a node's accessible name: "Variable “question”", "0 inputs",
   * "1 output" */
  view->accessible_name = g_strdup_printf (_("%s, %s, %s"), named, inputs, outputs);
  return g_strdup (view->accessible_name);
}

void
afs_canvas_get_draw_stats (AfsCanvas *self, guint *nodes_drawn, guint *links_drawn)
{
  *nodes_drawn = self->nodes_drawn;
  *links_drawn = self->links_drawn;
}

void
afs_canvas_get_cache_stats (AfsCanvas *self, guint *tiles_drawn, guint *tiles_cached)
{
  *tiles_drawn = self->tiles_rendered;
  *tiles_cached = self->tiles ? self->tiles->len : 0;
}

const Palette *
afs_canvas_get_palette (AfsCanvas *self)
{
  return &self->palette;
}

void
afs_canvas_test_set_pending (AfsCanvas *self, guint node, const char *port, AfsPortDirection dir)
{
  self->pending_node = node;
  self->pending_port = g_intern_string (port);
  self->pending_dir = dir;
}
