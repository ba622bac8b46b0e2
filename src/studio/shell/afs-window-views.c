/* afs-window-views.c: embeds the canvas and the inspector.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-canvas.h"
#include "afs-inspector.h"
#include "afs-session.h"
#include "afs-variable-info.h"
#include "afs-window-views.h"

/* The "afnio" extra's entry for node @id, or NULL (transfer none). */
static JsonObject *
lookup_variable_info (AfsDocument *document, guint id)
{
  JsonNode *extra = afs_document_get_extra (document, AFS_SESSION_AFNIO_EXTRA);
  g_autofree char *key = g_strdup_printf ("%u", id);
  JsonNode *variables, *info;

  if (extra == NULL || !JSON_NODE_HOLDS_OBJECT (extra))
    return NULL;
  variables = json_object_get_member (json_node_get_object (extra), "variables");
  if (variables == NULL || !JSON_NODE_HOLDS_OBJECT (variables))
    return NULL;
  info = json_object_get_member (json_node_get_object (variables), key);
  return info != NULL && JSON_NODE_HOLDS_OBJECT (info) ? json_node_get_object (info) : NULL;
}

static void
update_variable_info (AfsWindow *self)
{
  g_autoptr(GArray) selected = afs_canvas_get_selected_nodes (AFS_CANVAS (self->canvas));
  JsonObject *info = NULL;

  if (selected->len == 1)
    info = lookup_variable_info (self->document, g_array_index (selected, guint, 0));
  afs_variable_info_set_info (AFS_VARIABLE_INFO (self->variable_info), info);
}

void
afs_window_views_init (AfsWindow *self)
{
  GtkWidget *inspector;

  self->canvas = afs_canvas_new ();
  gtk_widget_set_hexpand (self->canvas, TRUE);
  gtk_widget_set_vexpand (self->canvas, TRUE);
  afs_canvas_set_document (AFS_CANVAS (self->canvas), self->document);
  g_settings_bind (self->settings, "show-minimap", self->canvas, "show-minimap",
                   G_SETTINGS_BIND_DEFAULT);
  gtk_box_append (self->canvas_slot, self->canvas);

  inspector = afs_inspector_new ();
  gtk_widget_set_vexpand (inspector, TRUE);
  afs_inspector_set_canvas (AFS_INSPECTOR (inspector), AFS_CANVAS (self->canvas));
  self->variable_info = afs_variable_info_new ();

  /* The inspector and, under it, what the file said about the selected
   * variable, travel together (the run panels make them one page). */
  self->inspector = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (self->inspector), inspector);
  gtk_box_append (GTK_BOX (self->inspector), self->variable_info);
  gtk_box_append (self->inspector_slot, self->inspector);

  g_signal_connect_object (self->canvas, "selection-changed",
                           G_CALLBACK (update_variable_info), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->document, "changed",
                           G_CALLBACK (update_variable_info), self, G_CONNECT_SWAPPED);
}

GtkWidget *
afs_window_get_canvas (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), NULL);
  return self->canvas;
}

gboolean
afs_window_has_canvas (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), FALSE);
  return AFS_IS_CANVAS (self->canvas);
}

void
afs_window_views_auto_layout (AfsWindow *self)
{
  /* The canvas lays out with the sizes it draws nodes at. */
  gtk_widget_activate_action (self->canvas, "canvas.arrange", NULL);
}

static gboolean
fit_when_sized_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  if (gtk_widget_get_width (widget) <= 0)
    return G_SOURCE_CONTINUE;
  afs_canvas_fit (AFS_CANVAS (widget), FALSE);
  return G_SOURCE_REMOVE;
}

void
afs_window_views_fit (AfsWindow *self)
{
  /* A new window has no size yet: fit on its first frame. */
  if (gtk_widget_get_width (self->canvas) > 0)
    afs_canvas_fit (AFS_CANVAS (self->canvas), FALSE);
  else
    gtk_widget_add_tick_callback (self->canvas, fit_when_sized_cb, NULL, NULL);
}

GdkTexture *
afs_window_views_snapshot (AfsWindow *self)
{
  int width = gtk_widget_get_width (self->canvas);
  int height = gtk_widget_get_height (self->canvas);
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  GskRenderer *renderer;
  graphene_rect_t bounds;

  if (width <= 0 || height <= 0)
    return NULL;
  snapshot = gtk_snapshot_new ();
  GTK_WIDGET_GET_CLASS (self->canvas)->snapshot (self->canvas, snapshot);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return NULL;
  renderer = gtk_native_get_renderer (gtk_widget_get_native (self->canvas));
  graphene_rect_init (&bounds, 0, 0, width, height);
  return gsk_renderer_render_texture (renderer, node, &bounds);
}
