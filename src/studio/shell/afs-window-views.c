/* afs-window-views.c: embeds the canvas and the inspector.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-canvas.h"
#include "afs-window-views.h"

static GtkWidget *
new_inspector_placeholder (void)
{
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "view-list-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("Inspector"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page),
                                   _("Select a node to see and edit its data, role and settings."));
  gtk_widget_add_css_class (page, "compact");
  gtk_widget_set_vexpand (page, TRUE);
  return page;
}

void
afs_window_views_init (AfsWindow *self)
{
  self->canvas = afs_canvas_new ();
  gtk_widget_set_hexpand (self->canvas, TRUE);
  gtk_widget_set_vexpand (self->canvas, TRUE);
  afs_canvas_set_document (AFS_CANVAS (self->canvas), self->document);
  g_settings_bind (self->settings, "show-minimap", self->canvas, "show-minimap",
                   G_SETTINGS_BIND_DEFAULT);
  gtk_box_append (self->canvas_slot, self->canvas);

  self->inspector = new_inspector_placeholder ();
  gtk_box_append (self->inspector_slot, self->inspector);
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
