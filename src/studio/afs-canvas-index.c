/* afs-canvas-index.c: per-node view data (geometry, cached text) and the
 * bucket grid that finds the nodes in a rectangle without walking them all.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include "afs-canvas-private.h"

void
node_view_free (NodeView *view)
{
  afs_canvas_view_invalidate_text (view);
  g_clear_object (&view->node);
  g_free (view->message);
  g_free (view->output_preview);
  g_free (view);
}

void
afs_canvas_view_invalidate_text (NodeView *view)
{
  g_clear_object (&view->title);
  g_clear_object (&view->subtitle);
  g_clear_object (&view->preview);
  g_clear_pointer (&view->port_labels, g_ptr_array_unref);
  g_clear_pointer (&view->accessible_name, g_free);
}

static gint64 *
bucket_key (int bx, int by)
{
  gint64 *key = g_new (gint64, 1);

  *key = (gint64) (((guint64) (guint32) bx << 32) | (guint32) by);
  return key;
}

void
afs_canvas_index_init (AfsCanvas *self)
{
  self->views = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) node_view_free);
  self->grid = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                      (GDestroyNotify) g_ptr_array_unref);
}

void
afs_canvas_index_clear (AfsCanvas *self)
{
  g_hash_table_remove_all (self->grid);
  g_hash_table_remove_all (self->views);
}

static void
bucket_range (NodeView *v, int *x0, int *y0, int *x1, int *y1)
{
  *x0 = (int) floor (v->x / BUCKET_SIZE);
  *y0 = (int) floor (v->y / BUCKET_SIZE);
  *x1 = (int) floor ((v->x + v->w) / BUCKET_SIZE);
  *y1 = (int) floor ((v->y + v->h) / BUCKET_SIZE);
}

static void
grid_insert (AfsCanvas *self, NodeView *view)
{
  int x0, y0, x1, y1;

  bucket_range (view, &x0, &y0, &x1, &y1);
  for (int bx = x0; bx <= x1; bx++)
    for (int by = y0; by <= y1; by++)
      {
        gint64 *key = bucket_key (bx, by);
        GPtrArray *bucket = g_hash_table_lookup (self->grid, key);

        if (!bucket)
          {
            bucket = g_ptr_array_new ();
            g_hash_table_insert (self->grid, key, bucket);
          }
        else
          g_free (key);
        g_ptr_array_add (bucket, view);
      }
}

static void
grid_remove (AfsCanvas *self, NodeView *view)
{
  int x0, y0, x1, y1;

  bucket_range (view, &x0, &y0, &x1, &y1);
  for (int bx = x0; bx <= x1; bx++)
    for (int by = y0; by <= y1; by++)
      {
        g_autofree gint64 *key = bucket_key (bx, by);
        GPtrArray *bucket = g_hash_table_lookup (self->grid, key);

        if (bucket)
          {
            g_ptr_array_remove_fast (bucket, view);
            if (bucket->len == 0)
              g_hash_table_remove (self->grid, key);
          }
      }
}

static void
compute_geometry (NodeView *view)
{
  guint rows = MAX (afs_graph_node_get_inputs (view->node)->len,
                    afs_graph_node_get_outputs (view->node)->len);

  view->x = afs_graph_node_get_x (view->node);
  view->y = afs_graph_node_get_y (view->node);
  view->w = NODE_WIDTH;
  view->h = HEADER_HEIGHT + PORT_ROW * MAX (rows, 1) + PREVIEW_HEIGHT;
}

NodeView *
afs_canvas_index_add (AfsCanvas *self, AfsGraphNode *node)
{
  NodeView *view = g_new0 (NodeView, 1);

  view->node = g_object_ref (node);
  compute_geometry (view);
  g_hash_table_insert (self->views, GUINT_TO_POINTER (afs_graph_node_get_id (node)), view);
  grid_insert (self, view);
  return view;
}

void
afs_canvas_index_remove (AfsCanvas *self, guint id)
{
  NodeView *view = afs_canvas_view (self, id);

  if (!view)
    return;
  grid_remove (self, view);
  g_hash_table_remove (self->views, GUINT_TO_POINTER (id));
}

/* Call after the node moved or its ports changed. */
void
afs_canvas_index_update (AfsCanvas *self, NodeView *view)
{
  grid_remove (self, view);
  compute_geometry (view);
  grid_insert (self, view);
}

NodeView *
afs_canvas_view (AfsCanvas *self, guint id)
{
  return g_hash_table_lookup (self->views, GUINT_TO_POINTER (id));
}

static int
compare_views (gconstpointer a, gconstpointer b)
{
  guint ia = afs_graph_node_get_id ((*(NodeView **) a)->node);
  guint ib = afs_graph_node_get_id ((*(NodeView **) b)->node);

  return ia < ib ? -1 : ia > ib;
}

GPtrArray *
afs_canvas_index_query (AfsCanvas *self, const graphene_rect_t *rect)
{
  GPtrArray *result = g_ptr_array_new ();
  int x0 = (int) floor (rect->origin.x / BUCKET_SIZE);
  int y0 = (int) floor (rect->origin.y / BUCKET_SIZE);
  int x1 = (int) floor ((rect->origin.x + rect->size.width) / BUCKET_SIZE);
  int y1 = (int) floor ((rect->origin.y + rect->size.height) / BUCKET_SIZE);
  guint stamp = ++self->query_stamp;

  /* A huge zoomed-out view covers more buckets than there are nodes. */
  if ((gint64) (x1 - x0 + 1) * (y1 - y0 + 1) > g_hash_table_size (self->grid))
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->views);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        {
          NodeView *v = value;
          graphene_rect_t r = GRAPHENE_RECT_INIT (v->x, v->y, v->w, v->h);

          if (graphene_rect_intersection (&r, rect, NULL))
            g_ptr_array_add (result, v);
        }
    }
  else
    for (int bx = x0; bx <= x1; bx++)
      for (int by = y0; by <= y1; by++)
        {
          gint64 key = (gint64) (((guint64) (guint32) bx << 32) | (guint32) by);
          GPtrArray *bucket = g_hash_table_lookup (self->grid, &key);

          for (guint i = 0; bucket && i < bucket->len; i++)
            {
              NodeView *v = bucket->pdata[i];
              graphene_rect_t r = GRAPHENE_RECT_INIT (v->x, v->y, v->w, v->h);

              if (v->stamp != stamp && graphene_rect_intersection (&r, rect, NULL))
                {
                  v->stamp = stamp;
                  g_ptr_array_add (result, v);
                }
            }
        }
  g_ptr_array_sort (result, compare_views);
  return result;
}

void
afs_canvas_view_port_position (NodeView *view, AfsPortDirection dir, guint index, double *x, double *y)
{
  *x = dir == AFS_PORT_INPUT ? view->x : view->x + view->w;
  *y = view->y + HEADER_HEIGHT + PORT_ROW * index + PORT_ROW / 2;
}

/* ---- Text ---- */

static void
append_json_text (GString *s, JsonNode *n)
{
  if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    g_string_append (s, json_node_get_string (n));
  else if (JSON_NODE_HOLDS_ARRAY (n))
    {
      JsonArray *a = json_node_get_array (n);

      g_string_append_c (s, '[');
      for (guint i = 0; i < json_array_get_length (a) && s->len < 400; i++)
        {
          if (i > 0)
            g_string_append (s, ", ");
          append_json_text (s, json_array_get_element (a, i));
        }
      g_string_append_c (s, ']');
    }
  else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, json_node_get_int (n));
  else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_DOUBLE)
    g_string_append_printf (s, "%g", json_node_get_double (n));
  else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_BOOLEAN)
    g_string_append (s, json_node_get_boolean (n) ? "true" : "false");
  else if (JSON_NODE_HOLDS_NULL (n))
    g_string_append (s, _("none"));
}

char *
afs_canvas_view_dup_preview_text (NodeView *view)
{
  AfsGraphNode *node = view->node;
  JsonObject *settings = afs_graph_node_get_settings (node);
  const char *id = afs_node_kind_get_id (afs_graph_node_get_kind (node));
  GString *s = g_string_new (NULL);

  if (view->run_state == AFS_RUN_STATE_ERROR && view->message)
    g_string_append (s, view->message);
  else if (view->output_preview)
    g_string_append (s, view->output_preview);
  else if (afs_node_kind_is_data (afs_graph_node_get_kind (node)))
    append_json_text (s, json_object_get_member (settings, "data"));
  else if (g_str_equal (id, "split"))
    {
      g_string_append (s, _("sep: "));
      append_json_text (s, json_object_get_member (settings, "sep"));
      g_string_append_printf (s, _(" · maxsplit: %" G_GINT64_FORMAT),
                              json_object_get_int_member_with_default (settings, "maxsplit", -1));
    }
  else if (json_object_has_member (settings, "model"))
    g_string_append_printf (s, "%s · T=%g", json_object_get_string_member_with_default (settings, "model", ""),
                            json_object_get_double_member_with_default (settings, "temperature", 0));
  else if (json_object_has_member (settings, "reduction"))
    g_string_append_printf (s, _("reduction: %s"),
                            json_object_get_string_member_with_default (settings, "reduction", ""));
  return g_string_free (s, FALSE);
}

static char *
subtitle_text (NodeView *view)
{
  AfsNodeKind *kind = afs_graph_node_get_kind (view->node);
  const char *role = afs_graph_node_get_string (view->node, "role", "");

  if (!afs_node_kind_is_data (kind))
    return g_strdup (afs_node_kind_get_description (kind));
  if (afs_graph_node_get_boolean (view->node, "requires_grad", FALSE))
    return g_strdup_printf (_("%s · requires grad"), afs_node_kind_get_name (kind));
  return g_strdup (*role ? afs_node_kind_get_name (kind) : _("no role"));
}

static PangoLayout *
make_layout (AfsCanvas *self, const char *text, double width, int lines, gboolean bold, double scale)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), NULL);
  PangoAttrList *attrs = pango_attr_list_new ();

  /* Keep previews cheap: a huge string is cut before Pango sees it. */
  pango_layout_set_text (layout, text, MIN ((int) strlen (text), 600));
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_height (layout, -lines);
  pango_layout_set_single_paragraph_mode (layout, lines == 1);
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

void
afs_canvas_view_ensure_text (AfsCanvas *self, NodeView *view)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *preview = NULL;
  GPtrArray *ports[2];

  if (view->title)
    return;
  title = afs_graph_node_dup_title (view->node);
  subtitle = subtitle_text (view);
  preview = afs_canvas_view_dup_preview_text (view);
  view->title = make_layout (self, title, view->w - 36, 1, TRUE, 1.0);
  view->subtitle = make_layout (self, subtitle, view->w - 24, 1, FALSE, 0.8);
  view->preview = make_layout (self, preview, view->w - 24, 3, FALSE, 0.85);
  view->port_labels = g_ptr_array_new_with_free_func (g_object_unref);
  ports[0] = afs_graph_node_get_inputs (view->node);
  ports[1] = afs_graph_node_get_outputs (view->node);
  for (guint k = 0; k < 2; k++)
    for (guint i = 0; i < ports[k]->len; i++)
      {
        PangoLayout *l = make_layout (self, ((AfsPort *) ports[k]->pdata[i])->label,
                                      view->w / 2 - 16, 1, FALSE, 0.8);

        if (k == 1)
          pango_layout_set_alignment (l, PANGO_ALIGN_RIGHT);
        g_ptr_array_add (view->port_labels, l);
      }
}

void
afs_canvas_index_move (AfsCanvas *self, NodeView *view, double x, double y)
{
  grid_remove (self, view);
  view->x = x;
  view->y = y;
  grid_insert (self, view);
}
