/* afs-window-views.c: embeds the canvas and the inspector.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-window-views.h"

void
afs_window_views_init (AfsWindow *self)
{
  GtkWidget *placeholder = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (placeholder), _("Canvas"));
  gtk_widget_set_vexpand (placeholder, TRUE);
  gtk_box_append (self->canvas_slot, placeholder);
  self->canvas = placeholder;
}

void
afs_window_views_auto_layout (AfsWindow *self)
{
  afs_document_auto_layout (self->document, NULL, NULL);
}

void
afs_window_views_fit (AfsWindow *self)
{
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
