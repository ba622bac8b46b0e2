/* bench-canvas.c: the `canvas` benchmark. A generated graph of 2,000 nodes
 * and 3,000 links is saved as a session .hf file, opened as the studio
 * opens one (timed from reading the file to the first painted frame), then
 * panned and zoomed for a few hundred frames. Each
 * frame's work is timed from the frame clock: from its "update" phase to
 * the end of "after-paint" (snapshot + render).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include "afs-canvas.h"
#include "afs-session.h"
#include "afs-widgets.h"
#include "canvas-test-util.h"

#define N_NODES 2000
#define N_FRAMES 360
/* Each op takes its inputs from the LOCALITY nodes made just before it, as
 * pipelines are built; AFS_BENCH_LOCALITY changes it (300 makes a tangle
 * of long wires across the screen). */
static int LOCALITY = 40;

typedef struct {
  AfsCanvas *canvas;
  GArray *frame_ms;
  GArray *cpu_ms;
  GArray *drawn;      /* nodes + wires shown, per frame */
  GArray *tiles;      /* scene tiles drawn, per frame */
  graphene_rect_t bounds;
  double cx, cy;      /* where the nodes are, on average: the camera circles it */
  gint64 frame_start;
  gint64 cpu_start;
  gint64 open_start;
  double open_s;
  guint frame;
  gboolean animating;
  gboolean done;
  JsonNode *loaded;   /* the session's document, once read */
  gboolean shown;     /* the canvas has it: the next frame ends the opening */
  GError *error;
} Bench;

/* 2,000 nodes: every fourth a Variable or Parameter, the others ops (add,
 * sum, exact match) each fed by two of the LOCALITY nodes before them
 * (3,000 links, acyclic by construction), on a 50 x 40 grid that the
 * smallest zoom of the run shows whole. */
static JsonNode *
generate_graph (void)
{
  g_autoptr(AfsDocument) doc = afs_document_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  static const char *ops[] = { "add", "sum", "exact_match_evaluator" };
  static const char *inputs[][2] = { { "x", "y" }, { "xs", "xs" }, { "prediction", "target" } };
  guint ids[N_NODES];

  for (guint i = 0; i < N_NODES; i++)
    {
      guint op = i % 3;
      gboolean data_node = i % 4 == 0 || i == 1;   /* a quarter are Variables/Parameters */
      const char *kind = data_node ? (i % 20 ? "variable" : "parameter") : ops[op];
      g_autoptr(JsonObject) settings = NULL;

      if (data_node)
        {
          g_autofree char *data = g_strdup_printf ("sample text %u for the benchmark", i);
          g_autofree char *role = g_strdup_printf ("input %u", i);

          settings = json_object_new ();
          json_object_set_string_member (settings, "data", data);
          json_object_set_string_member (settings, "role", role);
        }
      /* Columns of 40, as a pipeline is built by hand: each node near the
       * nodes that feed it. */
      ids[i] = afs_graph_node_get_id (afs_document_add_node (doc, kind, (i / 40) * 320.0, (i % 40) * 210.0,
                                                             settings, NULL));
      if (data_node)
        continue;
      for (guint k = 0; k < 2; k++)
        {
          AfsLink *link = NULL;

          while (!link)
            {
              guint j = g_rand_int_range (rand, MAX (0, (int) i - LOCALITY), i);
              AfsGraphNode *src = afs_document_get_node (doc, ids[j]);
              const char *out = ((AfsPort *) afs_graph_node_get_outputs (src)->pdata[0])->name;

              link = afs_document_link (doc, ids[j], out, ids[i], inputs[op][k], FALSE, NULL);
            }
        }
    }
  /* Top up to exactly 3,000 with extra items into sums. */
  while (afs_document_get_links (doc)->len < 3000)
    {
      guint i = g_rand_int_range (rand, 100, N_NODES);
      guint j = g_rand_int_range (rand, i - LOCALITY, i);
      AfsGraphNode *src = afs_document_get_node (doc, ids[j]);

      if (i % 3 == 1 && i % 4 != 0)
        afs_document_link (doc, ids[j], ((AfsPort *) afs_graph_node_get_outputs (src)->pdata[0])->name,
                           ids[i], "xs", FALSE, NULL);
    }
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, 3000);
  return afs_document_to_json_node (doc);
}

static void
loaded_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Bench *b = data;
  gboolean needs_layout = FALSE;

  b->loaded = afs_session_load_finish (result, &needs_layout, &b->error);
  g_assert_false (needs_layout);
}

static void
centroid (AfsDocument *doc, double *x, double *y)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  *x = *y = 0;
  for (guint i = 0; i < nodes->len; i++)
    {
      *x += afs_graph_node_get_x (nodes->pdata[i]) / nodes->len;
      *y += afs_graph_node_get_y (nodes->pdata[i]) / nodes->len;
    }
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* This thread's CPU time, to tell our work from waiting on a busy machine. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
update_cb (GdkFrameClock *clock, Bench *b)
{
  b->frame_start = g_get_monotonic_time ();
  b->cpu_start = thread_cpu_us ();
}

static void
after_paint_cb (GdkFrameClock *clock, Bench *b)
{
  gint64 now = g_get_monotonic_time ();

  if (b->shown && b->open_s == 0)
    {
      b->open_s = (now - b->open_start) / 1e6;
      return;
    }
  if (b->animating && b->frame_start)
    {
      double ms = (now - b->frame_start) / 1000.0;
      double cpu = (thread_cpu_us () - b->cpu_start) / 1000.0;

      guint nodes, links, tiles, cached;
      double items, tiles_drawn;

      afs_canvas_get_draw_stats (b->canvas, &nodes, &links);
      afs_canvas_get_cache_stats (b->canvas, &tiles, &cached);
      items = nodes + links;
      tiles_drawn = tiles;
      g_array_append_val (b->tiles, tiles_drawn);
      g_array_append_val (b->frame_ms, ms);
      g_array_append_val (b->cpu_ms, cpu);
      g_array_append_val (b->drawn, items);
    }
  b->frame_start = 0;
}

/* Circles around the nodes' centroid at full size, zooms out until the
 * whole graph shows, then zooms back in past 1:1, always over the graph. */
static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  Bench *b = data;
  double t = (double) b->frame / N_FRAMES;
  double cx = b->cx, cy = b->cy;
  double angle = b->frame * 0.05;
  double zoom;

  if (b->frame >= N_FRAMES)
    {
      b->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (t < 1 / 3.0 || g_getenv ("AFS_BENCH_PAN_ONLY"))
    zoom = 1.0;
  else if (t < 2 / 3.0)
    zoom = 1.0 - (t - 1 / 3.0) * 3 * 0.93;
  else
    zoom = 0.07 + (t - 2 / 3.0) * 3 * 1.5;
  afs_canvas_zoom_at (b->canvas, zoom, 0, 0);
  afs_canvas_center_on (b->canvas, cx + 600 * cos (angle), cy + 400 * sin (angle));
  b->animating = TRUE;
  b->frame++;
  return G_SOURCE_CONTINUE;
}

static gboolean
give_up_cb (gpointer data)
{
  g_error ("the canvas benchmark did not finish its frames in 120 s");
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  guint timeout_id;
  g_autoptr(JsonNode) graph = NULL;
  g_autoptr(GBytes) session = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AfsDocument) doc = NULL;
  GtkWidget *window;
  GdkFrameClock *clock;
  Bench b = { 0 };
  double *ms;
  guint nodes_drawn, links_drawn;

  /* As the application's main() does. */
  afs_widgets_tune_allocator ();
  gtk_init ();
  adw_init ();
  if (g_getenv ("AFS_BENCH_LOCALITY"))
    LOCALITY = MAX (2, atoi (g_getenv ("AFS_BENCH_LOCALITY")));
  graph = generate_graph ();
  session = afs_session_write_bytes (graph, &error);
  g_assert_no_error (error);
  path = g_build_filename (g_get_tmp_dir (), "afs-bench-canvas.hf", NULL);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (session, NULL), g_bytes_get_size (session), NULL));
  file = g_file_new_for_path (path);

  window = gtk_window_new ();
  b.canvas = AFS_CANVAS (afs_canvas_new ());
  b.frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  b.cpu_ms = g_array_new (FALSE, FALSE, sizeof (double));
  b.drawn = g_array_new (FALSE, FALSE, sizeof (double));
  b.tiles = g_array_new (FALSE, FALSE, sizeof (double));
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (b.canvas));
  gtk_window_present (GTK_WINDOW (window));
  WAIT_UNTIL (gtk_widget_get_mapped (window) && gtk_widget_get_width (GTK_WIDGET (b.canvas)) > 0, 5000);
  spin (200);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (b.canvas));
  g_signal_connect (clock, "update", G_CALLBACK (update_cb), &b);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &b);

  /* Open as the studio does: read and decode the session off the main
   * thread, load the document, show it; timed to its first frame. */
  b.open_start = g_get_monotonic_time ();
  afs_session_load_async (file, NULL, loaded_cb, &b);
  WAIT_UNTIL (b.loaded || b.error, 10000);
  if (b.error)
    g_error ("%s", b.error->message);
  doc = afs_document_new ();
  if (!afs_document_load_json_node (doc, b.loaded, &error))
    g_error ("%s", error->message);
  json_node_unref (b.loaded);
  afs_canvas_set_document (b.canvas, doc);
  b.shown = TRUE;
  afs_canvas_get_graph_bounds (b.canvas, &b.bounds);
  centroid (doc, &b.cx, &b.cy);
  afs_canvas_center_on (b.canvas, b.cx, b.cy);
  WAIT_UNTIL (b.open_s > 0, 10000);

  gtk_widget_add_tick_callback (GTK_WIDGET (b.canvas), tick_cb, &b, NULL);
  /* Block between frames, as the application's main loop does: a loop
   * that polls without blocking would take a whole core from the X server
   * and from the rest of the machine. The tick callback ends the run. */
  timeout_id = g_timeout_add_seconds (120, give_up_cb, &b);
  while (!b.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout_id);
  spin (100);
  afs_canvas_get_draw_stats (b.canvas, &nodes_drawn, &links_drawn);

  for (guint phase = 0; phase < 3; phase++)
    {
      static const char *names[] = { "pan at 100%", "zoom out to 7%", "zoom in to 157%" };
      guint from = b.frame_ms->len * phase / 3, to = b.frame_ms->len * (phase + 1) / 3;
      g_autoptr(GArray) part = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));

      g_array_append_vals (part, &g_array_index (b.frame_ms, double, from), to - from);
      g_array_append_vals (cpu, &g_array_index (b.cpu_ms, double, from), to - from);
      double items = 0, tiles = 0;
      for (guint i = from; i < to; i++)
        {
          items += g_array_index (b.drawn, double, i);
          tiles += g_array_index (b.tiles, double, i);
        }
      g_array_sort (part, compare_double);
      g_array_sort (cpu, compare_double);
      g_print ("# %s: frame median %.2f ms (CPU %.2f ms), %.0f nodes + wires shown and %.2f tiles drawn per frame\n",
               names[phase], g_array_index (part, double, part->len / 2), g_array_index (cpu, double, cpu->len / 2),
               items / MAX (to - from, 1), tiles / MAX (to - from, 1));
    }
  g_array_sort (b.frame_ms, compare_double);
  g_array_sort (b.cpu_ms, compare_double);
  g_print ("# frame CPU time in this thread: median %.2f ms, p95 %.2f ms\n",
           g_array_index (b.cpu_ms, double, b.cpu_ms->len / 2),
           g_array_index (b.cpu_ms, double, (guint) (b.cpu_ms->len * 0.95)));
  ms = (double *) b.frame_ms->data;
  g_print ("# %u frames timed; graph %.0f x %.0f; last frame drew %u nodes and %u wires\n",
           b.frame_ms->len, b.bounds.size.width, b.bounds.size.height, nodes_drawn, links_drawn);
  g_print ("BENCH canvas_frame_median_ms %.2f ms\n", ms[b.frame_ms->len / 2]);
  g_print ("BENCH canvas_frame_p95_ms %.2f ms\n", ms[(guint) (b.frame_ms->len * 0.95)]);
  g_print ("BENCH canvas_open_s %.3f s\n", b.open_s);

  g_unlink (path);
  g_array_unref (b.frame_ms);
  g_array_unref (b.cpu_ms);
  g_array_unref (b.drawn);
  g_array_unref (b.tiles);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
