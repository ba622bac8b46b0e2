/* test-canvas.c: the canvas widget under Xvfb.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <adwaita.h>
#include <math.h>
#include "afs-canvas-private.h"
#include "afs-node-search.h"
#include "canvas-test-util.h"

typedef struct {
  GtkWidget *window;
  AfsCanvas *canvas;
  AfsDocument *doc;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->window = gtk_window_new ();
  f->canvas = AFS_CANVAS (afs_canvas_new ());
  f->doc = afs_document_new ();
  afs_canvas_set_document (f->canvas, f->doc);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 600);
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->canvas));
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (gtk_widget_get_width (GTK_WIDGET (f->canvas)) > 0 && gtk_widget_get_mapped (f->window), 5000);
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->canvas)), >, 0);
  gtk_widget_grab_focus (GTK_WIDGET (f->canvas));
}

/* Every widget and the document must be gone once the window is. */
static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GObject *canvas = G_OBJECT (f->canvas);
  GObject *doc = G_OBJECT (f->doc);

  g_object_add_weak_pointer (canvas, (gpointer *) &canvas);
  g_object_add_weak_pointer (doc, (gpointer *) &doc);
  g_object_unref (f->doc);
  gtk_window_destroy (GTK_WINDOW (f->window));
  WAIT_UNTIL (canvas == NULL && doc == NULL, 2000);
  g_assert_null (canvas);
  g_assert_null (doc);
}

static guint
last_node (AfsDocument *doc)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  return afs_graph_node_get_id (nodes->pdata[nodes->len - 1]);
}

static void
activate (Fixture *f, const char *action, GVariant *param)
{
  /* The call does not consume a floating parameter. */
  g_autoptr(GVariant) owned = param ? g_variant_ref_sink (param) : NULL;

  g_assert_true (gtk_widget_activate_action_variant (GTK_WIDGET (f->canvas), action, owned));
}

static void
test_build_through_actions (Fixture *f, gconstpointer data)
{
  guint x, y, add;
  g_autoptr(GArray) sel = NULL;

  activate (f, "canvas.add-node-kind", g_variant_new_string ("variable"));
  x = last_node (f->doc);
  activate (f, "canvas.add-node-kind", g_variant_new_string ("parameter"));
  y = last_node (f->doc);
  activate (f, "canvas.add-node-kind", g_variant_new_string ("add"));
  add = last_node (f->doc);
  sel = afs_canvas_get_selected_nodes (f->canvas);
  g_assert_cmpuint (sel->len, ==, 1);
  g_assert_cmpuint (g_array_index (sel, guint, 0), ==, add);   /* a new node is selected */
  activate (f, "canvas.connect", g_variant_new ("(usus)", x, "output", add, "x"));
  activate (f, "canvas.connect", g_variant_new ("(usus)", y, "output", add, "y"));
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 3);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 2);

  /* Move with the keyboard, delete, then undo everything step by step. */
  activate (f, "canvas.nudge", g_variant_new ("(ii)", 2, 0));
  g_assert_cmpfloat (afs_graph_node_get_x (afs_document_get_node (f->doc, add)), >, 0);
  activate (f, "canvas.delete", NULL);
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 2);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 0);
  for (guint i = 0; i < 3; i++)
    activate (f, "canvas.undo", NULL);
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 3);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 1);
  activate (f, "canvas.redo", NULL);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 2);

  activate (f, "canvas.select-all", NULL);
  activate (f, "canvas.duplicate", NULL);
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 6);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 4);
  activate (f, "canvas.undo", NULL);   /* the duplicate is one step */
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 3);

  activate (f, "canvas.arrange", NULL);
  g_assert_cmpfloat (afs_graph_node_get_x (afs_document_get_node (f->doc, add)), >,
                     afs_graph_node_get_x (afs_document_get_node (f->doc, x)));
  g_assert_cmpstr (afs_undo_stack_get_undo_label (afs_document_get_undo_stack (f->doc)), ==, "Arrange Nodes");
}

static void
test_link_validation (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  guint v = afs_graph_node_get_id (afs_document_add_node (f->doc, "variable", 0, 0, NULL, NULL));
  guint a = afs_graph_node_get_id (afs_document_add_node (f->doc, "add", 300, 0, NULL, NULL));
  guint s = afs_graph_node_get_id (afs_document_add_node (f->doc, "split", 600, 0, NULL, NULL));
  guint e = afs_graph_node_get_id (afs_document_add_node (f->doc, "exact_match_evaluator", 900, 0, NULL, NULL));

  g_assert_true (afs_canvas_connect (f->canvas, v, "output", a, "x", NULL));
  g_assert_true (afs_canvas_connect (f->canvas, a, "output", s, "x", NULL));
  g_assert_false (afs_canvas_connect (f->canvas, s, "part0", a, "y", &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_CYCLE);
  g_clear_error (&error);
  g_assert_false (afs_canvas_connect (f->canvas, e, "score", s, "x", &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  /* A refused link through the action leaves the reason as the tooltip. */
  activate (f, "canvas.connect", g_variant_new ("(usus)", s, "part0", a, "y"));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (GTK_WIDGET (f->canvas)), "loop"));
  /* Dropping on an occupied input replaces the old wire. */
  g_assert_true (afs_canvas_connect (f->canvas, e, "explanation", s, "x", NULL));
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 2);
}

/* A wire dropped on empty space offers only kinds with a compatible input,
 * and the chosen node is linked (one undo step). */
static void
test_node_search_filter (Fixture *f, gconstpointer data)
{
  AfsNodeSearch *search = NULL;
  g_autoptr(GListModel) all = NULL;
  g_autoptr(GListModel) visible = NULL;
  guint e = afs_graph_node_get_id (afs_document_add_node (f->doc, "exact_match_evaluator", 0, 0, NULL, NULL));
  guint n;

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (f->canvas)); c; c = gtk_widget_get_next_sibling (c))
    if (AFS_IS_NODE_SEARCH (c))
      search = AFS_NODE_SEARCH (c);
  g_assert_nonnull (search);
  afs_node_search_set_filter (search, FALSE, AFS_PORT_INPUT, AFS_PORT_ANY);
  afs_node_search_set_text (search, NULL);
  all = afs_node_search_get_visible (search);
  g_assert_cmpuint (g_list_model_get_n_items (all), ==, 9);

  /* Scores are numbers: split and chat completion do not take them. */
  afs_node_search_set_filter (search, TRUE, AFS_PORT_INPUT, AFS_PORT_SCORE | AFS_PORT_NUMBER);
  visible = afs_node_search_get_visible (search);
  n = g_list_model_get_n_items (visible);
  g_assert_cmpuint (n, ==, 5);   /* add, sum, three evaluators */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(AfsNodeKind) kind = g_list_model_get_item (visible, i);
      g_assert_cmpstr (afs_node_kind_get_id (kind), !=, "split");
    }
  g_clear_object (&visible);
  afs_node_search_set_text (search, "sum");
  visible = afs_node_search_get_visible (search);
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 1);

  /* The canvas path: pending wire from the score, choose the first match. */
  afs_canvas_show_node_search (f->canvas, 400, 300, "sum");
  afs_canvas_test_set_pending (f->canvas, e, "score", AFS_PORT_OUTPUT);
  g_assert_true (afs_node_search_activate_first (search));
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 2);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 1);
  g_assert_cmpstr (afs_link_get_target_port (g_ptr_array_index (afs_document_get_links (f->doc), 0)), ==, "xs");
  afs_document_undo (f->doc);
  g_assert_cmpuint (afs_document_get_nodes (f->doc)->len, ==, 1);
}

static void
build_demo (AfsDocument *doc)
{
  g_autoptr(JsonObject) q = json_object_new ();
  g_autoptr(JsonObject) p = json_object_new ();
  g_autoptr(JsonObject) t = json_object_new ();
  guint ids[6];

  json_object_set_string_member (q, "data", "The movie was a delight from start to finish.");
  json_object_set_string_member (q, "role", "review");
  json_object_set_string_member (p, "data", "Classify the sentiment of {review} as positive or negative.");
  json_object_set_string_member (p, "role", "system prompt");
  json_object_set_string_member (t, "data", "positive");
  json_object_set_string_member (t, "role", "expected label");
  ids[0] = afs_graph_node_get_id (afs_document_add_node (doc, "variable", 0, 0, q, NULL));
  ids[1] = afs_graph_node_get_id (afs_document_add_node (doc, "parameter", 0, 200, p, NULL));
  ids[2] = afs_graph_node_get_id (afs_document_add_node (doc, "chat_completion", 300, 80, NULL, NULL));
  ids[3] = afs_graph_node_get_id (afs_document_add_node (doc, "variable", 300, 300, t, NULL));
  ids[4] = afs_graph_node_get_id (afs_document_add_node (doc, "exact_match_evaluator", 600, 120, NULL, NULL));
  ids[5] = afs_graph_node_get_id (afs_document_add_node (doc, "split", 900, 0, NULL, NULL));
  afs_document_link (doc, ids[1], "output", ids[2], "prompt", FALSE, NULL);
  afs_document_link (doc, ids[0], "output", ids[2], "input", FALSE, NULL);
  afs_document_link (doc, ids[2], "output", ids[4], "prediction", FALSE, NULL);
  afs_document_link (doc, ids[3], "output", ids[4], "target", FALSE, NULL);
  afs_document_link (doc, ids[4], "explanation", ids[5], "x", FALSE, NULL);
  afs_document_auto_layout (doc, NULL, NULL);
}

static void
test_screenshot (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "canvas-screenshot.png", NULL);
  guint nodes_drawn, links_drawn;
  GPtrArray *nodes;
  guint first;

  build_demo (f->doc);
  nodes = afs_document_get_nodes (f->doc);
  first = afs_graph_node_get_id (nodes->pdata[1]);
  afs_canvas_select_nodes (f->canvas, &first, 1, FALSE);
  afs_canvas_set_node_run_state (f->canvas, afs_graph_node_get_id (nodes->pdata[2]), AFS_RUN_STATE_DONE, NULL);
  afs_canvas_set_link_highlight (f->canvas, afs_link_get_id (afs_document_get_links (f->doc)->pdata[2]), TRUE);
  afs_canvas_fit (f->canvas, FALSE);
  texture = render_widget (GTK_WIDGET (f->canvas));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  g_assert_cmpfloat (texture_variance (texture), >, 50.0);
  afs_canvas_get_draw_stats (f->canvas, &nodes_drawn, &links_drawn);
  g_assert_cmpuint (nodes_drawn, ==, 6);
  g_assert_cmpuint (links_drawn, ==, 5);
}

/* Only what is visible is drawn. */
static void
test_culling (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkTexture) texture = NULL;
  guint nodes_drawn, links_drawn;

  for (guint i = 0; i < 400; i++)
    afs_document_add_node (f->doc, "add", (i % 20) * 300.0, (i / 20) * 200.0, NULL, NULL);
  afs_canvas_zoom_at (f->canvas, 1.0, 0, 0);
  afs_canvas_center_on (f->canvas, 450, 300);
  texture = render_widget (GTK_WIDGET (f->canvas));
  afs_canvas_get_draw_stats (f->canvas, &nodes_drawn, &links_drawn);
  g_assert_cmpuint (nodes_drawn, >, 0);
  g_assert_cmpuint (nodes_drawn, <, 40);

  /* Far out every node shows, as a block without text. */
  for (guint i = 1; i < 400; i++)
    afs_document_link (f->doc, i, "output", i + 1, i % 2 ? "x" : "y", FALSE, NULL);
  afs_canvas_fit (f->canvas, FALSE);
  g_clear_object (&texture);
  texture = render_widget (GTK_WIDGET (f->canvas));
  afs_canvas_get_draw_stats (f->canvas, &nodes_drawn, &links_drawn);
  g_assert_cmpfloat (afs_canvas_get_zoom (f->canvas), <, 0.35);
  g_assert_cmpuint (nodes_drawn, ==, 400);
  g_assert_cmpfloat (texture_variance (texture), >, 10.0);
  {
    g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "canvas-overview.png", NULL);
    g_assert_true (gdk_texture_save_to_png (texture, path));
  }
}

/* How many pixels of two same-sized textures differ. */
static gsize
pixels_differing (GdkTexture *a, GdkTexture *b)
{
  int w = gdk_texture_get_width (a), h = gdk_texture_get_height (a);
  g_autofree guint32 *da = g_malloc ((gsize) w * h * 4);
  g_autofree guint32 *db = g_malloc ((gsize) w * h * 4);
  gsize n = 0;

  g_assert_cmpint (w, ==, gdk_texture_get_width (b));
  g_assert_cmpint (h, ==, gdk_texture_get_height (b));
  gdk_texture_download (a, (guchar *) da, w * 4);
  gdk_texture_download (b, (guchar *) db, w * 4);
  for (gsize i = 0; i < (gsize) w * h; i++)
    n += da[i] != db[i];
  return n;
}

/* The scene cache: a pan reuses the drawn tiles and shows what drawing
 * afresh showed (but for a few antialiased pixels of glyphs that cross a
 * tile's edge); any change to the picture (here the selection) drops them. */
static void
test_scene_cache (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkTexture) first = NULL;
  g_autoptr(GdkTexture) back = NULL;
  g_autoptr(GdkTexture) selected = NULL;
  g_autoptr(GdkTexture) unselected = NULL;
  g_autoptr(GdkTexture) panned = NULL;
  guint drawn, cached, id;

  build_demo (f->doc);
  afs_canvas_zoom_at (f->canvas, 1.0, 0, 0);
  afs_canvas_center_on (f->canvas, 450, 250);
  /* A changed picture is drawn directly; the tiles follow while idle. */
  first = render_widget (GTK_WIDGET (f->canvas));
  afs_canvas_get_cache_stats (f->canvas, &drawn, &cached);
  g_assert_cmpuint (drawn, ==, 0);
  WAIT_UNTIL ((afs_canvas_get_cache_stats (f->canvas, &drawn, &cached), cached >= 4), 5000);
  g_assert_cmpuint (cached, >=, 4);

  afs_canvas_pan (f->canvas, 37, 23);
  panned = render_widget (GTK_WIDGET (f->canvas));
  g_assert_cmpuint (pixels_differing (first, panned), >, 1000);
  /* The picture from tiles is the one drawn directly. */
  afs_canvas_pan (f->canvas, -37, -23);
  back = render_widget (GTK_WIDGET (f->canvas));
  g_assert_cmpuint (pixels_differing (first, back), <=, 16);

  id = afs_graph_node_get_id (afs_document_get_nodes (f->doc)->pdata[2]);
  afs_canvas_select_nodes (f->canvas, &id, 1, FALSE);
  selected = render_widget (GTK_WIDGET (f->canvas));
  afs_canvas_get_cache_stats (f->canvas, &drawn, &cached);
  g_assert_cmpuint (cached, ==, 0);
  g_assert_cmpuint (pixels_differing (first, selected), >, 100);
  afs_canvas_select_nodes (f->canvas, NULL, 0, FALSE);
  unselected = render_widget (GTK_WIDGET (f->canvas));
  g_assert_cmpuint (pixels_differing (first, unselected), <=, 16);
}

static void
test_selection_and_accessible (Fixture *f, gconstpointer data)
{
  g_autofree char *name = NULL;
  g_autoptr(GArray) sel = NULL;
  AfsGraphNode *n;
  guint id;

  build_demo (f->doc);
  n = g_ptr_array_index (afs_document_get_nodes (f->doc), 0);
  id = afs_graph_node_get_id (n);
  name = afs_canvas_dup_node_accessible_name (f->canvas, id);
  g_assert_cmpstr (name, ==, "Variable “review”, 0 inputs, 1 output");
  g_clear_pointer (&name, g_free);
  /* An op without a title of its own is named once. */
  name = afs_canvas_dup_node_accessible_name (f->canvas, afs_graph_node_get_id (g_ptr_array_index (afs_document_get_nodes (f->doc), 2)));
  g_assert_cmpstr (name, ==, "Chat Completion, 2 inputs, 1 output");
  activate (f, "canvas.select-next", NULL);
  activate (f, "canvas.select-next", NULL);
  sel = afs_canvas_get_selected_nodes (f->canvas);
  g_assert_cmpuint (sel->len, ==, 1);
  g_assert_cmpuint (g_array_index (sel, guint, 0), ==, afs_graph_node_get_id (g_ptr_array_index (afs_document_get_nodes (f->doc), 1)));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (f->canvas)), ==, GTK_ACCESSIBLE_ROLE_GROUP);

  /* A selected wire is deleted with the delete action. */
  afs_canvas_select_link (f->canvas, afs_link_get_id (afs_document_get_links (f->doc)->pdata[0]));
  activate (f, "canvas.delete", NULL);
  g_assert_cmpuint (afs_document_get_links (f->doc)->len, ==, 4);
}

static guint
node_id_at (AfsDocument *doc, guint i)
{
  return afs_graph_node_get_id (g_ptr_array_index (afs_document_get_nodes (doc), i));
}

/* The stand-ins that carry the nodes' accessible names: one per node in
 * view, over the node, untargetable, following names, selection, run state
 * and the view once changes stop. */
static void
test_node_accessibles (Fixture *f, gconstpointer data)
{
  GPtrArray *nodes;
  GtkWidget *item;
  graphene_rect_t bounds;
  g_autoptr(JsonNode) role = json_node_init_string (json_node_alloc (), "film review");
  guint first, visible = 0;

  build_demo (f->doc);
  nodes = afs_document_get_nodes (f->doc);
  activate (f, "canvas.fit", NULL);
  first = node_id_at (f->doc, 0);
  /* The real, delayed update. */
  WAIT_UNTIL (afs_canvas_get_node_accessible (f->canvas, first) != NULL, 5000);
  wait_frames (GTK_WIDGET (f->canvas), 2);   /* laid out */
  for (guint i = 0; i < nodes->len; i++)
    {
      guint id = node_id_at (f->doc, i);
      g_autofree char *name = afs_canvas_dup_node_accessible_name (f->canvas, id);
      NodeView *view = afs_canvas_view (f->canvas, id);
      double cx = (view->x + view->w / 2 - f->canvas->ox) * f->canvas->zoom;
      double cy = (view->y + view->h / 2 - f->canvas->oy) * f->canvas->zoom;

      item = afs_canvas_get_node_accessible (f->canvas, id);
      g_assert_nonnull (item);
      g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (item)), ==, GTK_ACCESSIBLE_ROLE_GROUP);
      gtk_test_accessible_assert_property (item, GTK_ACCESSIBLE_PROPERTY_LABEL, name);
      gtk_test_accessible_assert_state (item, GTK_ACCESSIBLE_STATE_SELECTED, FALSE);
      /* Over its node, on screen, but the pointer still reaches the canvas. */
      g_assert_true (gtk_widget_compute_bounds (item, GTK_WIDGET (f->canvas), &bounds));
      g_assert_cmpfloat (fabs (bounds.origin.x - (view->x - f->canvas->ox) * f->canvas->zoom), <=, 1);
      g_assert_cmpfloat (fabs (bounds.origin.y - (view->y - f->canvas->oy) * f->canvas->zoom), <=, 1);
      g_assert_cmpfloat (fabs (bounds.size.width - view->w * f->canvas->zoom), <=, 1);
      g_assert_true (gtk_widget_pick (GTK_WIDGET (f->canvas), cx, cy, GTK_PICK_DEFAULT) == GTK_WIDGET (f->canvas));
    }
  gtk_test_accessible_assert_property (afs_canvas_get_node_accessible (f->canvas, first),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                       "The movie was a delight from start to finish.");

  /* Selection, run state and a renamed role reach them. */
  afs_canvas_select_nodes (f->canvas, &first, 1, FALSE);
  afs_canvas_set_node_run_state (f->canvas, node_id_at (f->doc, 2), AFS_RUN_STATE_RUNNING, NULL);
  g_assert_true (afs_document_set_setting (f->doc, first, "role", role, NULL));
  afs_canvas_a11y_update (f->canvas);
  item = afs_canvas_get_node_accessible (f->canvas, first);
  gtk_test_accessible_assert_state (item, GTK_ACCESSIBLE_STATE_SELECTED, TRUE);
  gtk_test_accessible_assert_state (afs_canvas_get_node_accessible (f->canvas, node_id_at (f->doc, 1)),
                                    GTK_ACCESSIBLE_STATE_SELECTED, FALSE);
  gtk_test_accessible_assert_state (afs_canvas_get_node_accessible (f->canvas, node_id_at (f->doc, 2)),
                                    GTK_ACCESSIBLE_STATE_BUSY, TRUE);
  {
    g_autofree char *name = afs_canvas_dup_node_accessible_name (f->canvas, first);
    g_assert_nonnull (strstr (name, "film review"));
    gtk_test_accessible_assert_property (item, GTK_ACCESSIBLE_PROPERTY_LABEL, name);
  }

  /* A removed node loses its stand-in. */
  afs_document_remove_nodes (f->doc, &first, 1);
  afs_canvas_a11y_update (f->canvas);
  g_assert_null (afs_canvas_get_node_accessible (f->canvas, first));

  /* Out of view, nothing is exposed; back in view, all are again. */
  afs_canvas_pan (f->canvas, -100000, 0);
  WAIT_UNTIL (afs_canvas_get_node_accessible (f->canvas, node_id_at (f->doc, 0)) == NULL, 5000);
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (f->canvas)); c; c = gtk_widget_get_next_sibling (c))
    if (g_str_equal (gtk_widget_get_css_name (c), "afs-canvas-node") && gtk_widget_get_visible (c))
      visible++;
  g_assert_cmpuint (visible, ==, 0);
  activate (f, "canvas.fit", NULL);
  afs_canvas_a11y_update (f->canvas);
  for (guint i = 0; i < nodes->len; i++)
    g_assert_nonnull (afs_canvas_get_node_accessible (f->canvas, node_id_at (f->doc, i)));

  /* A graph that never stops changing (a run updating its nodes every
   * 40 ms) is still followed, within about a second. */
  {
    guint busy_id = node_id_at (f->doc, 0);   /* not running yet */
    gint64 start = g_get_monotonic_time ();
    gboolean followed = FALSE;

    item = afs_canvas_get_node_accessible (f->canvas, busy_id);
    gtk_test_accessible_assert_state (item, GTK_ACCESSIBLE_STATE_BUSY, FALSE);
    while (!followed && g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
      {
        g_autofree char *mismatch = NULL;

        afs_canvas_set_node_run_state (f->canvas, busy_id, AFS_RUN_STATE_RUNNING, NULL);
        spin (40);
        mismatch = gtk_test_accessible_check_state (GTK_ACCESSIBLE (item), GTK_ACCESSIBLE_STATE_BUSY, TRUE);
        followed = mismatch == NULL;
      }
    g_assert_true (followed);
    g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * G_USEC_PER_SEC);
  }
}

/* On X11 with the cairo renderer (the test environment), realizing a
 * canvas keeps cairo's frame memory for the display. */
static void
test_frame_memory (Fixture *f, gconstpointer data)
{
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (f->canvas));
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (GTK_WIDGET (f->canvas)));
  cairo_surface_t *kept;

  if (!GSK_IS_CAIRO_RENDERER (renderer) || g_strcmp0 (G_OBJECT_TYPE_NAME (display), "GdkX11Display") != 0)
    {
      g_test_skip ("needs X11 and GSK_RENDERER=cairo");
      return;
    }
  kept = g_object_get_data (G_OBJECT (display), "afs-frame-memory");
  g_assert_nonnull (kept);
  g_assert_cmpint (cairo_surface_status (kept), ==, CAIRO_STATUS_SUCCESS);
  /* Over half the largest frame a window on this screen can have. */
  g_assert_cmpint ((gint64) cairo_image_surface_get_stride (kept) * cairo_image_surface_get_height (kept), >,
                   (gint64) gtk_widget_get_width (f->window) * gtk_widget_get_height (f->window) * 4 / 2);
}

static void
test_zoom_around_point (Fixture *f, gconstpointer data)
{
  double gx0, gy0, gx1, gy1;

  afs_canvas_widget_to_graph (f->canvas, 200, 150, &gx0, &gy0);
  afs_canvas_zoom_at (f->canvas, 2.0, 200, 150);
  afs_canvas_widget_to_graph (f->canvas, 200, 150, &gx1, &gy1);
  g_assert_cmpfloat_with_epsilon (gx0, gx1, 1e-9);
  g_assert_cmpfloat_with_epsilon (gy0, gy1, 1e-9);
  activate (f, "canvas.zoom-reset", NULL);
  g_assert_cmpfloat (afs_canvas_get_zoom (f->canvas), ==, 1.0);
  afs_canvas_zoom_at (f->canvas, 100, 0, 0);
  g_assert_cmpfloat (afs_canvas_get_zoom (f->canvas), ==, 4.0);
}

static void
paste_done_cb (AfsDocument *doc, gpointer data)
{
  (*(gboolean *) data) = TRUE;
}

/* Copy in one window, paste in another, through the display clipboard. */
static void
test_clipboard_across_windows (Fixture *f, gconstpointer data)
{
  GtkWidget *window2 = gtk_window_new ();
  AfsCanvas *canvas2 = AFS_CANVAS (afs_canvas_new ());
  g_autoptr(AfsDocument) doc2 = afs_document_new ();
  gboolean changed = FALSE;

  build_demo (f->doc);
  afs_canvas_set_document (canvas2, doc2);
  gtk_window_set_child (GTK_WINDOW (window2), GTK_WIDGET (canvas2));
  gtk_window_present (GTK_WINDOW (window2));
  WAIT_UNTIL (gtk_widget_get_mapped (window2), 5000);

  activate (f, "canvas.select-all", NULL);
  activate (f, "canvas.copy", NULL);
  g_signal_connect (doc2, "changed", G_CALLBACK (paste_done_cb), &changed);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (canvas2), "canvas.paste", NULL));
  WAIT_UNTIL (changed, 5000);
  g_assert_true (changed);
  g_assert_cmpuint (afs_document_get_nodes (doc2)->len, ==, 6);
  g_assert_cmpuint (afs_document_get_links (doc2)->len, ==, 5);
  gtk_window_destroy (GTK_WINDOW (window2));
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
#define ADD(path, fn) g_test_add ("/studio/canvas/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("build-through-actions", test_build_through_actions);
  ADD ("link-validation", test_link_validation);
  ADD ("node-search-filter", test_node_search_filter);
  ADD ("screenshot", test_screenshot);
  ADD ("culling", test_culling);
  ADD ("scene-cache", test_scene_cache);
  ADD ("selection-accessible", test_selection_and_accessible);
  ADD ("node-accessibles", test_node_accessibles);
  ADD ("frame-memory", test_frame_memory);
  ADD ("zoom-around-point", test_zoom_around_point);
  ADD ("clipboard-across-windows", test_clipboard_across_windows);
  return g_test_run ();
}
