/* afs-layout.c: automatic layered layout (Sugiyama-like): layers by longest
 * path from the sources, order inside a layer by barycenter sweeps, then
 * coordinates that keep each node near its neighbours without overlaps.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>
#include "afs-document-private.h"
#include "afs-command.h"

#define LAYER_GAP 90.0
#define NODE_GAP 40.0
#define SWEEPS 6

typedef struct {
  AfsGraphNode *node;
  guint layer;
  double order;       /* position inside the layer (barycenter key) */
  double w, h;
  double x, y;
  GArray *preds;      /* indices */
  GArray *succs;
} Item;

typedef struct {
  Item *items;
  guint n;
  GPtrArray *layers;  /* GArray of item indices per layer */
} Layout;

static void
default_size (AfsGraphNode *node, double *w, double *h, gpointer data)
{
  *w = 220;
  *h = 80 + 22 * MAX (afs_graph_node_get_inputs (node)->len, afs_graph_node_get_outputs (node)->len);
}

static void
build_items (Layout *lay, AfsDocument *doc, AfsNodeSizeFunc get_size, gpointer data)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);
  GPtrArray *links = afs_document_get_links (doc);
  g_autoptr(GHashTable) index = g_hash_table_new (NULL, NULL);

  lay->n = nodes->len;
  lay->items = g_new0 (Item, lay->n);
  for (guint i = 0; i < lay->n; i++)
    {
      Item *it = &lay->items[i];

      it->node = nodes->pdata[i];
      it->preds = g_array_new (FALSE, FALSE, sizeof (guint));
      it->succs = g_array_new (FALSE, FALSE, sizeof (guint));
      (get_size ? get_size : default_size) (it->node, &it->w, &it->h, data);
      g_hash_table_insert (index, GUINT_TO_POINTER (afs_graph_node_get_id (it->node)), GUINT_TO_POINTER (i));
    }
  for (guint i = 0; i < links->len; i++)
    {
      guint s = GPOINTER_TO_UINT (g_hash_table_lookup (index, GUINT_TO_POINTER (afs_link_get_source (links->pdata[i]))));
      guint t = GPOINTER_TO_UINT (g_hash_table_lookup (index, GUINT_TO_POINTER (afs_link_get_target (links->pdata[i]))));

      g_array_append_val (lay->items[s].succs, t);
      g_array_append_val (lay->items[t].preds, s);
    }
}

/* Longest path layering over a topological order (the graph is acyclic). */
static void
assign_layers (Layout *lay)
{
  g_autofree guint *indegree = g_new0 (guint, lay->n);
  g_autoptr(GArray) queue = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; i < lay->n; i++)
    if ((indegree[i] = lay->items[i].preds->len) == 0)
      g_array_append_val (queue, i);
  for (guint q = 0; q < queue->len; q++)
    {
      Item *it = &lay->items[g_array_index (queue, guint, q)];

      for (guint j = 0; j < it->succs->len; j++)
        {
          guint s = g_array_index (it->succs, guint, j);

          lay->items[s].layer = MAX (lay->items[s].layer, it->layer + 1);
          if (--indegree[s] == 0)
            g_array_append_val (queue, s);
        }
    }
  lay->layers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < lay->n; i++)
    {
      while (lay->layers->len <= lay->items[i].layer)
        g_ptr_array_add (lay->layers, g_array_new (FALSE, FALSE, sizeof (guint)));
      lay->items[i].order = ((GArray *) lay->layers->pdata[lay->items[i].layer])->len;
      g_array_append_val (lay->layers->pdata[lay->items[i].layer], i);
    }
}

static double
barycenter (Layout *lay, GArray *neighbours, double fallback)
{
  double sum = 0;

  if (neighbours->len == 0)
    return fallback;
  for (guint i = 0; i < neighbours->len; i++)
    sum += lay->items[g_array_index (neighbours, guint, i)].order;
  return sum / neighbours->len;
}

static Layout *sort_layout;

static int
compare_order (gconstpointer a, gconstpointer b)
{
  double oa = sort_layout->items[*(const guint *) a].order;
  double ob = sort_layout->items[*(const guint *) b].order;

  return oa < ob ? -1 : oa > ob;
}

static void
sweep (Layout *lay, gboolean down)
{
  for (guint k = 0; k < lay->layers->len; k++)
    {
      GArray *layer = lay->layers->pdata[down ? k : lay->layers->len - 1 - k];

      for (guint i = 0; i < layer->len; i++)
        {
          Item *it = &lay->items[g_array_index (layer, guint, i)];
          it->order = barycenter (lay, down ? it->preds : it->succs, it->order);
        }
      sort_layout = lay;
      g_array_sort (layer, compare_order);
      for (guint i = 0; i < layer->len; i++)
        lay->items[g_array_index (layer, guint, i)].order = i;
    }
}

/* x from the layer widths; y near the neighbours' centres, pushed down to
 * avoid overlaps. */
static void
assign_coordinates (Layout *lay)
{
  double x = 0;

  for (guint k = 0; k < lay->layers->len; k++)
    {
      GArray *layer = lay->layers->pdata[k];
      double width = 0, bottom = -G_MAXDOUBLE;

      for (guint i = 0; i < layer->len; i++)
        {
          Item *it = &lay->items[g_array_index (layer, guint, i)];
          double want = i == 0 ? 0 : bottom + NODE_GAP;

          if (it->preds->len > 0)
            {
              double sum = 0;

              for (guint j = 0; j < it->preds->len; j++)
                {
                  Item *p = &lay->items[g_array_index (it->preds, guint, j)];
                  sum += p->y + p->h / 2;
                }
              want = sum / it->preds->len - it->h / 2;
            }
          it->x = x;
          it->y = i == 0 ? want : MAX (want, bottom + NODE_GAP);
          bottom = it->y + it->h;
          width = MAX (width, it->w);
        }
      x += width + LAYER_GAP;
    }
}

static void
free_layout (Layout *lay)
{
  for (guint i = 0; i < lay->n; i++)
    {
      g_array_unref (lay->items[i].preds);
      g_array_unref (lay->items[i].succs);
    }
  g_free (lay->items);
  g_clear_pointer (&lay->layers, g_ptr_array_unref);
}

void
afs_document_auto_layout (AfsDocument *self, AfsNodeSizeFunc get_size, gpointer user_data)
{
  Layout lay = { 0 };
  g_autofree guint *ids = NULL;
  g_autofree double *xs = NULL;
  g_autofree double *ys = NULL;

  g_return_if_fail (AFS_IS_DOCUMENT (self));

  build_items (&lay, self, get_size, user_data);
  assign_layers (&lay);
  for (guint s = 0; s < SWEEPS; s++)
    sweep (&lay, s % 2 == 0);
  assign_coordinates (&lay);

  ids = g_new (guint, lay.n);
  xs = g_new (double, lay.n);
  ys = g_new (double, lay.n);
  for (guint i = 0; i < lay.n; i++)
    {
      ids[i] = afs_graph_node_get_id (lay.items[i].node);
      xs[i] = lay.items[i].x;
      ys[i] = lay.items[i].y;
    }
  afs_document_move_nodes_labeled (self, ids, xs, ys, lay.n, _("Arrange Nodes"));
  free_layout (&lay);
}
