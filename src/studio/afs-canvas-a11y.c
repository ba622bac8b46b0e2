/* afs-canvas-a11y.c: the nodes in view as accessible objects.
 *
 * The canvas draws its nodes itself, and GTK 4.8 can expose only widgets to
 * assistive technologies (GtkAccessible for other objects is GTK 4.10). So
 * each node in view gets a stand-in: an empty, untargetable child widget
 * that covers the node's rectangle and carries its accessible name, a
 * description (the text the node shows) and its selected and busy states.
 * Like a list view's rows, stand-ins exist only for what is in view, and
 * hidden ones are kept for reuse. They are brought up to date a short while
 * after the view or the graph stops changing, never in a frame: panning a
 * large graph pays nothing for them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-canvas-private.h"

/* Quiet time before the stand-ins follow a change. */
#define A11Y_DELAY_MS 150
/* A graph that keeps changing (a run updating its nodes) is followed at
 * least this often; a view that keeps moving is not, so that panning stays
 * smooth. */
#define A11Y_MAX_WAIT_MS 1000
/* Hidden stand-ins kept for reuse; more are dropped. */
#define A11Y_SPARE_MAX 64
/* Longest description, in characters: a preview, not the whole text. */
#define A11Y_DESCRIPTION_MAX 200

#define AFS_TYPE_CANVAS_NODE_ITEM (afs_canvas_node_item_get_type ())
G_DECLARE_FINAL_TYPE (AfsCanvasNodeItem, afs_canvas_node_item, AFS, CANVAS_NODE_ITEM, GtkWidget)

struct _AfsCanvasNodeItem
{
  GtkWidget parent_instance;

  guint node_id;
  double x, y, w, h;          /* the node's rectangle, graph coordinates */
  char *label;
  char *description;
  gboolean selected;
  gboolean busy;
  gboolean fresh;             /* new to its node: states not told yet */
};

G_DEFINE_FINAL_TYPE (AfsCanvasNodeItem, afs_canvas_node_item, GTK_TYPE_WIDGET)

static void
afs_canvas_node_item_finalize (GObject *object)
{
  AfsCanvasNodeItem *self = AFS_CANVAS_NODE_ITEM (object);

  g_free (self->label);
  g_free (self->description);
  G_OBJECT_CLASS (afs_canvas_node_item_parent_class)->finalize (object);
}

/* Draws nothing: the canvas draws the node. */
static void
afs_canvas_node_item_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
}

static void
afs_canvas_node_item_class_init (AfsCanvasNodeItemClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = afs_canvas_node_item_finalize;
  widget_class->snapshot = afs_canvas_node_item_snapshot;
  gtk_widget_class_set_css_name (widget_class, "afs-canvas-node");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
afs_canvas_node_item_init (AfsCanvasNodeItem *self)
{
  /* Pointer and keyboard stay with the canvas. */
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
  gtk_widget_set_focusable (GTK_WIDGET (self), FALSE);
  gtk_widget_set_can_focus (GTK_WIDGET (self), FALSE);
}

/* Replaces *@slot with @value (taken) and tells the accessible, when it
 * differs. */
static void
update_text (AfsCanvasNodeItem *self, char **slot, char *value, GtkAccessibleProperty property)
{
  if (g_strcmp0 (*slot, value) == 0)
    {
      g_free (value);
      return;
    }
  g_free (*slot);
  *slot = value;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), property, value, -1);
}

/* A description of at most A11Y_DESCRIPTION_MAX characters on one line. */
static char *
short_description (char *text)
{
  glong chars = g_utf8_strlen (text, -1);

  g_strdelimit (text, "\n\r\t", ' ');
  if (chars <= A11Y_DESCRIPTION_MAX)
    return text;
  *g_utf8_offset_to_pointer (text, A11Y_DESCRIPTION_MAX) = '\0';
  {
    char *cut = g_strconcat (text, "…", NULL);
    g_free (text);
    return cut;
  }
}

static void
sync_item (AfsCanvas *self, AfsCanvasNodeItem *item, NodeView *view)
{
  gboolean selected = g_hash_table_contains (self->selection, GUINT_TO_POINTER (item->node_id));
  gboolean busy = view->run_state == AFS_RUN_STATE_QUEUED || view->run_state == AFS_RUN_STATE_RUNNING;

  item->x = view->x;
  item->y = view->y;
  item->w = view->w;
  item->h = view->h;
  update_text (item, &item->label, afs_canvas_dup_node_accessible_name (self, item->node_id),
               GTK_ACCESSIBLE_PROPERTY_LABEL);
  update_text (item, &item->description, short_description (afs_canvas_view_dup_preview_text (view)),
               GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  if (item->fresh || item->selected != selected || item->busy != busy)
    {
      item->fresh = FALSE;
      item->selected = selected;
      item->busy = busy;
      gtk_accessible_update_state (GTK_ACCESSIBLE (item),
                                   GTK_ACCESSIBLE_STATE_SELECTED, selected,
                                   GTK_ACCESSIBLE_STATE_BUSY, busy,
                                   -1);
    }
}

static AfsCanvasNodeItem *
take_item (AfsCanvas *self, guint node_id)
{
  AfsCanvasNodeItem *item;

  if (self->a11y_spare->len > 0)
    {
      item = g_ptr_array_steal_index_fast (self->a11y_spare, self->a11y_spare->len - 1);
      gtk_widget_set_visible (GTK_WIDGET (item), TRUE);
    }
  else
    {
      item = g_object_new (AFS_TYPE_CANVAS_NODE_ITEM, NULL);
      gtk_widget_set_parent (GTK_WIDGET (item), GTK_WIDGET (self));
    }
  item->node_id = node_id;
  /* A reused stand-in must not keep its former node's texts and states. */
  g_clear_pointer (&item->label, g_free);
  g_clear_pointer (&item->description, g_free);
  item->fresh = TRUE;
  return item;
}

static void
release_item (AfsCanvas *self, AfsCanvasNodeItem *item)
{
  if (self->a11y_spare->len < A11Y_SPARE_MAX)
    {
      gtk_widget_set_visible (GTK_WIDGET (item), FALSE);
      g_ptr_array_add (self->a11y_spare, item);
    }
  else
    gtk_widget_unparent (GTK_WIDGET (item));
}

/* Left to right, then top to bottom: the order data flows in a laid-out
 * graph, so a screen reader reads sources first. */
static int
compare_reading_order (gconstpointer a, gconstpointer b)
{
  const NodeView *va = *(NodeView * const *) a;
  const NodeView *vb = *(NodeView * const *) b;

  if (va->x != vb->x)
    return va->x < vb->x ? -1 : 1;
  if (va->y != vb->y)
    return va->y < vb->y ? -1 : 1;
  return afs_graph_node_get_id (va->node) < afs_graph_node_get_id (vb->node) ? -1 : 1;
}

void
afs_canvas_a11y_update (AfsCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autoptr(GHashTable) items = self->a11y_items;
  g_autoptr(GPtrArray) visible = NULL;
  GtkWidget *prev = NULL;
  graphene_rect_t area;
  GHashTableIter iter;
  gpointer value;

  g_clear_handle_id (&self->a11y_timer, g_source_remove);
  self->a11y_graph_changed_us = 0;
  self->a11y_width = gtk_widget_get_width (widget);
  self->a11y_height = gtk_widget_get_height (widget);
  afs_canvas_get_visible_area (self, &area);
  visible = self->a11y_width > 0 && self->a11y_height > 0 ? afs_canvas_index_query (self, &area)
                                                          : g_ptr_array_new ();
  g_ptr_array_sort (visible, compare_reading_order);

  self->a11y_items = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < visible->len; i++)
    {
      NodeView *view = visible->pdata[i];
      gpointer key = GUINT_TO_POINTER (afs_graph_node_get_id (view->node));
      AfsCanvasNodeItem *item = NULL;

      if (!g_hash_table_steal_extended (items, key, NULL, (gpointer *) &item))
        item = take_item (self, GPOINTER_TO_UINT (key));
      g_hash_table_insert (self->a11y_items, key, item);
      sync_item (self, item, view);
      if (gtk_widget_get_prev_sibling (GTK_WIDGET (item)) != prev)
        gtk_widget_insert_after (GTK_WIDGET (item), widget, prev);
      prev = GTK_WIDGET (item);
    }
  /* What is left went out of view (or out of the graph). */
  g_hash_table_iter_init (&iter, items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    release_item (self, value);
  gtk_widget_queue_allocate (widget);
}

static gboolean
a11y_timeout_cb (gpointer data)
{
  AfsCanvas *self = data;
  gint64 now = g_get_monotonic_time ();

  /* Still changing (a pan, a drag): wait for it to stop, but not forever
   * when the graph itself changes. */
  if (now - self->a11y_changed_us < A11Y_DELAY_MS * 1000 &&
      (self->a11y_graph_changed_us == 0 || now - self->a11y_graph_changed_us < A11Y_MAX_WAIT_MS * 1000))
    return G_SOURCE_CONTINUE;
  self->a11y_timer = 0;
  afs_canvas_a11y_update (self);
  return G_SOURCE_REMOVE;
}

void
afs_canvas_a11y_schedule (AfsCanvas *self, gboolean graph_changed)
{
  if (self->a11y_items == NULL)   /* disposed */
    return;
  self->a11y_changed_us = g_get_monotonic_time ();
  if (graph_changed && self->a11y_graph_changed_us == 0)
    self->a11y_graph_changed_us = self->a11y_changed_us;
  if (self->a11y_timer == 0)
    self->a11y_timer = g_timeout_add_full (G_PRIORITY_LOW, A11Y_DELAY_MS, a11y_timeout_cb, self, NULL);
}

void
afs_canvas_a11y_allocate (AfsCanvas *self, int width, int height)
{
  GHashTableIter iter;
  gpointer value;

  if (width != self->a11y_width || height != self->a11y_height)
    afs_canvas_a11y_schedule (self, FALSE);
  g_hash_table_iter_init (&iter, self->a11y_items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      AfsCanvasNodeItem *item = value;
      GtkAllocation a = {
        (int) ((item->x - self->ox) * self->zoom),
        (int) ((item->y - self->oy) * self->zoom),
        MAX (1, (int) (item->w * self->zoom)),
        MAX (1, (int) (item->h * self->zoom)),
      };

      gtk_widget_measure (GTK_WIDGET (item), GTK_ORIENTATION_HORIZONTAL, -1, NULL, NULL, NULL, NULL);
      gtk_widget_size_allocate (GTK_WIDGET (item), &a, -1);
    }
}

void
afs_canvas_a11y_init (AfsCanvas *self)
{
  self->a11y_items = g_hash_table_new (NULL, NULL);
  self->a11y_spare = g_ptr_array_new ();
}

void
afs_canvas_a11y_dispose (AfsCanvas *self)
{
  GHashTableIter iter;
  gpointer value;

  g_clear_handle_id (&self->a11y_timer, g_source_remove);
  if (self->a11y_items != NULL)
    {
      g_hash_table_iter_init (&iter, self->a11y_items);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        gtk_widget_unparent (value);
      g_clear_pointer (&self->a11y_items, g_hash_table_unref);
    }
  if (self->a11y_spare != NULL)
    {
      for (guint i = 0; i < self->a11y_spare->len; i++)
        gtk_widget_unparent (self->a11y_spare->pdata[i]);
      g_clear_pointer (&self->a11y_spare, g_ptr_array_unref);
    }
}

GtkWidget *
afs_canvas_get_node_accessible (AfsCanvas *self, guint node_id)
{
  g_return_val_if_fail (AFS_IS_CANVAS (self), NULL);
  return self->a11y_items ? g_hash_table_lookup (self->a11y_items, GUINT_TO_POINTER (node_id)) : NULL;
}
