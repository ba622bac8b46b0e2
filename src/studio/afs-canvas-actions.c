/* afs-canvas-actions.c: every canvas command as a GAction with a shortcut,
 * and the clipboard.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-canvas-private.h"

#define PASTE_OFFSET 40.0

void
afs_canvas_delete_selection (AfsCanvas *self)
{
  g_autoptr(GArray) ids = afs_canvas_get_selected_nodes (self);

  if (!self->document)
    return;
  if (ids->len > 0)
    afs_document_remove_nodes (self->document, (guint *) ids->data, ids->len);
  else if (self->selected_link)
    afs_document_unlink (self->document, &self->selected_link, 1);
}

static void
undo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);

  if (self->document)
    afs_document_undo (self->document);
}

static void
redo_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);

  if (self->document)
    afs_document_redo (self->document);
}

static void
delete_action (GtkWidget *widget, const char *name, GVariant *param)
{
  afs_canvas_delete_selection (AFS_CANVAS (widget));
}

static void
select_all_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  GPtrArray *nodes;

  if (!self->document)
    return;
  nodes = afs_document_get_nodes (self->document);
  for (guint i = 0; i < nodes->len; i++)
    g_hash_table_add (self->selection, GUINT_TO_POINTER (afs_graph_node_get_id (nodes->pdata[i])));
  self->selected_link = 0;
  afs_canvas_emit_selection_changed (self);
}

static void
select_none_action (GtkWidget *widget, const char *name, GVariant *param)
{
  afs_canvas_select_nodes (AFS_CANVAS (widget), NULL, 0, FALSE);
}

/* ---- Clipboard ---- */

static char *
copy_selection (AfsCanvas *self)
{
  g_autoptr(GArray) ids = afs_canvas_get_selected_nodes (self);

  if (!self->document || ids->len == 0)
    return NULL;
  return afs_document_copy_nodes (self->document, (guint *) ids->data, ids->len);
}

static void
copy_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autofree char *text = copy_selection (AFS_CANVAS (widget));
  g_autoptr(GBytes) bytes = NULL;
  GdkContentProvider *providers[2];
  g_autoptr(GdkContentProvider) provider = NULL;
  GValue value = G_VALUE_INIT;

  if (!text)
    return;
  /* Our own mime type for Afnio Studio windows, plain text for anything else. */
  bytes = g_bytes_new (text, strlen (text));
  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, text);
  providers[0] = gdk_content_provider_new_for_bytes (AFS_CLIPBOARD_MIME, bytes);
  providers[1] = gdk_content_provider_new_for_value (&value);
  g_value_unset (&value);
  provider = gdk_content_provider_new_union (providers, 2);
  gdk_clipboard_set_content (gtk_widget_get_clipboard (widget), provider);
}

static void
cut_action (GtkWidget *widget, const char *name, GVariant *param)
{
  copy_action (widget, name, param);
  afs_canvas_delete_selection (AFS_CANVAS (widget));
}

/* The top-left corner of the copied nodes, so they land at the pointer. */
static gboolean
clip_origin (const char *text, double *x, double *y)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *nodes;
  gboolean any = FALSE;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root) || !json_object_has_member (json_node_get_object (root), "nodes") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (root), "nodes")))
    return FALSE;
  nodes = json_object_get_array_member (json_node_get_object (root), "nodes");
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonNode *n = json_array_get_element (nodes, i);
      double nx, ny;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        continue;
      nx = json_object_get_double_member_with_default (json_node_get_object (n), "x", 0);
      ny = json_object_get_double_member_with_default (json_node_get_object (n), "y", 0);
      *x = any ? MIN (*x, nx) : nx;
      *y = any ? MIN (*y, ny) : ny;
      any = TRUE;
    }
  return any;
}

static void
paste_text (AfsCanvas *self, const char *text, gboolean at_pointer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = NULL;
  double x0 = 0, y0 = 0, gx, gy, dx = PASTE_OFFSET, dy = PASTE_OFFSET;

  if (!self->document || !text)
    return;
  if (at_pointer && clip_origin (text, &x0, &y0))
    {
      afs_canvas_widget_to_graph (self, self->pointer_x, self->pointer_y, &gx, &gy);
      dx = gx - x0;
      dy = gy - y0;
    }
  ids = afs_document_paste_nodes (self->document, text, dx, dy, &error);
  if (!ids)
    {
      g_debug ("Nothing to paste: %s", error->message);
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  afs_canvas_select_nodes (self, (guint *) ids->data, ids->len, FALSE);
}

static void
paste_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AfsCanvas) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);

  if (!text)
    {
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  paste_text (self, text, TRUE);
}

static void
paste_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, paste_ready_cb,
                                 g_object_ref (widget));
}

static void
duplicate_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autofree char *text = copy_selection (AFS_CANVAS (widget));

  paste_text (AFS_CANVAS (widget), text, FALSE);
}

/* ---- View ---- */

static void
zoom_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  double factor = g_str_equal (name, "canvas.zoom-in") ? 1.25 : g_str_equal (name, "canvas.zoom-out") ? 0.8 : 0;
  double zoom = factor > 0 ? self->zoom * factor : 1.0;

  afs_canvas_zoom_at (self, zoom, gtk_widget_get_width (widget) / 2.0, gtk_widget_get_height (widget) / 2.0);
}

static void
fit_action (GtkWidget *widget, const char *name, GVariant *param)
{
  afs_canvas_fit (AFS_CANVAS (widget), FALSE);
}

static void
node_size (AfsGraphNode *node, double *w, double *h, gpointer data)
{
  NodeView *view = afs_canvas_view (data, afs_graph_node_get_id (node));

  *w = view->w;
  *h = view->h;
}

static void
arrange_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);

  if (!self->document)
    return;
  afs_document_auto_layout (self->document, node_size, self);
  afs_canvas_fit (self, FALSE);
}

static void
toggle_minimap_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);

  g_object_set (self, "show-minimap", !self->show_minimap, NULL);
}

/* ---- Adding and linking ---- */

static void
add_node_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  double x = self->pointer_x, y = self->pointer_y;

  if (x <= 0 || y <= 0 || x >= gtk_widget_get_width (widget) || y >= gtk_widget_get_height (widget))
    {
      x = gtk_widget_get_width (widget) / 2.0;
      y = gtk_widget_get_height (widget) / 2.0;
    }
  afs_canvas_show_node_search (self, x, y, NULL);
}

static void
add_node_kind_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  double gx, gy;
  guint n;

  if (!self->document)
    return;
  /* New nodes cascade from the view centre so they do not stack up. */
  afs_canvas_widget_to_graph (self, gtk_widget_get_width (widget) / 2.0 - NODE_WIDTH / 2,
                              gtk_widget_get_height (widget) / 3.0, &gx, &gy);
  n = afs_document_get_nodes (self->document)->len % 8;
  afs_canvas_add_node_at (self, g_variant_get_string (param, NULL), gx + 30 * n, gy + 30 * n);
}

static void
connect_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  g_autoptr(GError) error = NULL;
  guint src, dst;
  const char *out, *in;

  g_variant_get (param, "(u&su&s)", &src, &out, &dst, &in);
  if (!self->document || !afs_canvas_connect (self, src, out, dst, in, &error))
    {
      gtk_widget_set_tooltip_text (widget, error ? error->message : NULL);
      gtk_widget_error_bell (widget);
    }
}

static void
nudge_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  g_autoptr(GArray) ids = afs_canvas_get_selected_nodes (self);
  int dx, dy;

  g_variant_get (param, "(ii)", &dx, &dy);
  if (self->document && ids->len > 0)
    afs_document_translate_nodes (self->document, (guint *) ids->data, ids->len, dx * 10.0, dy * 10.0);
}

/* Keyboard navigation: selects the next/previous node in document order
 * and brings it into view. */
static void
select_step_action (GtkWidget *widget, const char *name, GVariant *param)
{
  AfsCanvas *self = AFS_CANVAS (widget);
  g_autoptr(GArray) ids = afs_canvas_get_selected_nodes (self);
  gboolean forward = g_str_equal (name, "canvas.select-next");
  GPtrArray *nodes;
  guint i = 0, id;
  NodeView *v;

  if (!self->document || afs_document_get_nodes (self->document)->len == 0)
    return;
  nodes = afs_document_get_nodes (self->document);
  if (ids->len > 0)
    {
      guint cur = g_array_index (ids, guint, forward ? ids->len - 1 : 0);

      while (i < nodes->len && afs_graph_node_get_id (nodes->pdata[i]) != cur)
        i++;
      i = forward ? (i + 1) % nodes->len : (i + nodes->len - 1) % nodes->len;
    }
  else if (!forward)
    i = nodes->len - 1;
  id = afs_graph_node_get_id (nodes->pdata[i]);
  afs_canvas_select_nodes (self, &id, 1, FALSE);
  v = afs_canvas_view (self, id);
  afs_canvas_center_on (self, v->x + v->w / 2, v->y + v->h / 2);
}

void
afs_canvas_update_actions (AfsCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  AfsUndoStack *undo = self->document ? afs_document_get_undo_stack (self->document) : NULL;
  gboolean has_nodes = g_hash_table_size (self->selection) > 0;

  gtk_widget_action_set_enabled (widget, "canvas.undo", undo && afs_undo_stack_can_undo (undo));
  gtk_widget_action_set_enabled (widget, "canvas.redo", undo && afs_undo_stack_can_redo (undo));
  gtk_widget_action_set_enabled (widget, "canvas.delete", has_nodes || self->selected_link);
  gtk_widget_action_set_enabled (widget, "canvas.copy", has_nodes);
  gtk_widget_action_set_enabled (widget, "canvas.cut", has_nodes);
  gtk_widget_action_set_enabled (widget, "canvas.duplicate", has_nodes);
  gtk_widget_action_set_enabled (widget, "canvas.nudge", has_nodes);
  gtk_widget_action_set_enabled (widget, "canvas.paste", self->document != NULL);
}

#define SHORTCUT(key, mods, action, ...) \
  gtk_widget_class_add_binding_action (widget_class, key, mods, action, __VA_ARGS__)

void
afs_canvas_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "canvas.undo", NULL, undo_action);
  gtk_widget_class_install_action (widget_class, "canvas.redo", NULL, redo_action);
  gtk_widget_class_install_action (widget_class, "canvas.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "canvas.select-all", NULL, select_all_action);
  gtk_widget_class_install_action (widget_class, "canvas.select-none", NULL, select_none_action);
  gtk_widget_class_install_action (widget_class, "canvas.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "canvas.cut", NULL, cut_action);
  gtk_widget_class_install_action (widget_class, "canvas.paste", NULL, paste_action);
  gtk_widget_class_install_action (widget_class, "canvas.duplicate", NULL, duplicate_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.zoom-reset", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "canvas.fit", NULL, fit_action);
  gtk_widget_class_install_action (widget_class, "canvas.arrange", NULL, arrange_action);
  gtk_widget_class_install_action (widget_class, "canvas.toggle-minimap", NULL, toggle_minimap_action);
  gtk_widget_class_install_action (widget_class, "canvas.add-node", NULL, add_node_action);
  gtk_widget_class_install_action (widget_class, "canvas.add-node-kind", "s", add_node_kind_action);
  gtk_widget_class_install_action (widget_class, "canvas.connect", "(usus)", connect_action);
  gtk_widget_class_install_action (widget_class, "canvas.nudge", "(ii)", nudge_action);
  gtk_widget_class_install_action (widget_class, "canvas.select-next", NULL, select_step_action);
  gtk_widget_class_install_action (widget_class, "canvas.select-previous", NULL, select_step_action);

  SHORTCUT (GDK_KEY_z, GDK_CONTROL_MASK, "canvas.undo", NULL);
  SHORTCUT (GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "canvas.redo", NULL);
  SHORTCUT (GDK_KEY_y, GDK_CONTROL_MASK, "canvas.redo", NULL);
  SHORTCUT (GDK_KEY_Delete, 0, "canvas.delete", NULL);
  SHORTCUT (GDK_KEY_BackSpace, 0, "canvas.delete", NULL);
  SHORTCUT (GDK_KEY_a, GDK_CONTROL_MASK, "canvas.select-all", NULL);
  SHORTCUT (GDK_KEY_Escape, 0, "canvas.select-none", NULL);
  SHORTCUT (GDK_KEY_c, GDK_CONTROL_MASK, "canvas.copy", NULL);
  SHORTCUT (GDK_KEY_x, GDK_CONTROL_MASK, "canvas.cut", NULL);
  SHORTCUT (GDK_KEY_v, GDK_CONTROL_MASK, "canvas.paste", NULL);
  SHORTCUT (GDK_KEY_d, GDK_CONTROL_MASK, "canvas.duplicate", NULL);
  SHORTCUT (GDK_KEY_plus, 0, "canvas.zoom-in", NULL);
  SHORTCUT (GDK_KEY_equal, 0, "canvas.zoom-in", NULL);
  SHORTCUT (GDK_KEY_KP_Add, 0, "canvas.zoom-in", NULL);
  SHORTCUT (GDK_KEY_plus, GDK_CONTROL_MASK, "canvas.zoom-in", NULL);
  SHORTCUT (GDK_KEY_equal, GDK_CONTROL_MASK, "canvas.zoom-in", NULL);
  SHORTCUT (GDK_KEY_minus, 0, "canvas.zoom-out", NULL);
  SHORTCUT (GDK_KEY_KP_Subtract, 0, "canvas.zoom-out", NULL);
  SHORTCUT (GDK_KEY_minus, GDK_CONTROL_MASK, "canvas.zoom-out", NULL);
  SHORTCUT (GDK_KEY_0, 0, "canvas.zoom-reset", NULL);
  SHORTCUT (GDK_KEY_0, GDK_CONTROL_MASK, "canvas.zoom-reset", NULL);
  SHORTCUT (GDK_KEY_Home, 0, "canvas.fit", NULL);
  SHORTCUT (GDK_KEY_1, GDK_CONTROL_MASK, "canvas.fit", NULL);
  SHORTCUT (GDK_KEY_l, GDK_CONTROL_MASK, "canvas.arrange", NULL);
  SHORTCUT (GDK_KEY_m, GDK_CONTROL_MASK, "canvas.toggle-minimap", NULL);
  SHORTCUT (GDK_KEY_a, GDK_SHIFT_MASK, "canvas.add-node", NULL);
  SHORTCUT (GDK_KEY_space, GDK_CONTROL_MASK, "canvas.add-node", NULL);
  SHORTCUT (GDK_KEY_Left, 0, "canvas.nudge", "(ii)", -1, 0);
  SHORTCUT (GDK_KEY_Right, 0, "canvas.nudge", "(ii)", 1, 0);
  SHORTCUT (GDK_KEY_Up, 0, "canvas.nudge", "(ii)", 0, -1);
  SHORTCUT (GDK_KEY_Down, 0, "canvas.nudge", "(ii)", 0, 1);
  SHORTCUT (GDK_KEY_bracketright, 0, "canvas.select-next", NULL);
  SHORTCUT (GDK_KEY_bracketleft, 0, "canvas.select-previous", NULL);
  SHORTCUT (GDK_KEY_Tab, GDK_CONTROL_MASK, "canvas.select-next", NULL);
  SHORTCUT (GDK_KEY_Tab, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "canvas.select-previous", NULL);
}
