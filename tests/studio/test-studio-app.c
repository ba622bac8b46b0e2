/* test-studio-app.c: the application window under Xvfb: building a graph
 * through actions, undo/redo through the window, session round trips,
 * every fixture, hostile files, drafts, a screenshot, and finalization.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "afnio.h"
#include "afn-hf.h"
#include "afs-application.h"
#include "afs-drafts.h"
#include "afs-session.h"
#include "afs-canvas.h"
#include "afs-variable-info.h"
#include "afs-window.h"
#include "../main-loop-util.h"

static AfsApplication *app;

/* ---- helpers ---- */

/* Iterates the main context until @cond (@data) holds or 60 s pass (a
 * generous bound: sanitizer builds are slow; a pass never waits for it). */
static gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data)
{
  return test_wait_until (cond, data, 60000);
}

static gboolean
window_idle (gpointer data)
{
  return !afs_window_get_busy (data);
}

static void
wait_idle (AfsWindow *window)
{
  g_assert_true (wait_for (window_idle, window));
}

static AfsWindow *
new_window (void)
{
  AfsWindow *window = afs_window_new (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Destroys @window and checks that it finalizes. */
static void
destroy_and_check (AfsWindow *window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_true (wait_for (is_null, &weak));
}

/* Every AdwMessageDialog currently shown for @window. */
static GPtrArray *
find_dialogs (AfsWindow *window)
{
  GListModel *toplevels = gtk_window_get_toplevels ();
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_window_get_transient_for (w) == GTK_WINDOW (window) &&
          gtk_widget_get_visible (GTK_WIDGET (w)))
        g_ptr_array_add (found, w);
    }
  return found;
}

static gboolean
has_dialog (gpointer window)
{
  g_autoptr(GPtrArray) dialogs = find_dialogs (window);
  return dialogs->len > 0;
}

/* Answers @dialog as a button press would: the response, then the dialog
 * goes (it may already have gone with its window). */
static void
respond (AdwMessageDialog *dialog, const char *response)
{
  g_object_ref (dialog);
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
}

static void
close_dialogs (AfsWindow *window)
{
  g_autoptr(GPtrArray) dialogs = find_dialogs (window);

  for (guint i = 0; i < dialogs->len; i++)
    gtk_window_destroy (dialogs->pdata[i]);
}

static void
set_true (gboolean *flag)
{
  *flag = TRUE;
}

static gboolean
is_true (gpointer flag)
{
  return *(gboolean *) flag;
}

/* TRUE while a GtkStack under @widget animates a page change. */
static gboolean
stack_animating (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (stack_animating (child))
      return TRUE;
  return FALSE;
}

static gboolean
settled (gpointer widget)
{
  return !stack_animating (widget);
}

static gboolean
is_drawn (gpointer widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

/* With AFS_SCREENSHOT_DIR set, saves @window as NAME.png there, so that
 * dialogs can be looked at; otherwise does nothing. */
static void
maybe_save_screenshot (GtkWindow *window, const char *name)
{
  const char *dir = g_getenv ("AFS_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  graphene_rect_t bounds;
  int width, height;

  if (dir == NULL)
    return;
  g_assert_true (wait_for (is_drawn, window));
  g_assert_true (wait_for (settled, window));
  /* Wait until the window has painted a frame. */
  {
    GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
    gboolean painted = FALSE;
    gulong id = g_signal_connect_swapped (clock, "after-paint", G_CALLBACK (set_true), &painted);

    gtk_widget_queue_draw (GTK_WIDGET (window));
    g_assert_true (wait_for (is_true, &painted));
    g_signal_handler_disconnect (clock, id);
  }
  width = gtk_widget_get_width (GTK_WIDGET (window));
  height = gtk_widget_get_height (GTK_WIDGET (window));
  paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  graphene_rect_init (&bounds, 0, 0, width, height);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node, &bounds);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static void
activate (AfsWindow *window, const char *action, GVariant *param)
{
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), action));
  g_action_group_activate_action (G_ACTION_GROUP (window), action, param);
}

static guint
n_nodes (AfsWindow *window)
{
  return afs_document_get_nodes (afs_window_get_document (window))->len;
}

static char *
document_json (AfsWindow *window)
{
  return afs_document_to_json (afs_window_get_document (window), FALSE);
}

static GFile *
fixture (const char *name)
{
  const char *dir = g_getenv ("AFN_FIXTURES_DIR");

  g_assert_nonnull (dir);
  return g_file_new_build_filename (dir, name, NULL);
}

static guint
last_node_id (AfsWindow *window)
{
  GPtrArray *nodes = afs_document_get_nodes (afs_window_get_document (window));

  g_assert_cmpuint (nodes->len, >, 0);
  return afs_graph_node_get_id (nodes->pdata[nodes->len - 1]);
}

static void
canvas_action (AfsWindow *window, const char *action, GVariant *param)
{
  /* (GTK 4.8 does not sink a floating parameter here.) */
  g_autoptr(GVariant) owned = param != NULL ? g_variant_ref_sink (param) : NULL;

  g_assert_true (gtk_widget_activate_action_variant (afs_window_get_canvas (window), action, owned));
}

/* Builds parameter + variable -> add through the canvas's actions (the
 * commands behind node search and wire dragging). */
static void
build_small_graph (AfsWindow *window)
{
  AfsDocument *doc = afs_window_get_document (window);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) data = json_node_new (JSON_NODE_VALUE);
  guint p, v, add, n_links;

  canvas_action (window, "canvas.add-node-kind", g_variant_new_string ("parameter"));
  p = last_node_id (window);
  canvas_action (window, "canvas.add-node-kind", g_variant_new_string ("variable"));
  v = last_node_id (window);
  canvas_action (window, "canvas.add-node-kind", g_variant_new_string ("add"));
  add = last_node_id (window);
  g_assert_cmpuint (n_nodes (window), ==, 3);

  json_node_set_string (data, "You are a helpful assistant.");
  g_assert_true (afs_document_set_setting (doc, p, "data", data, &error));
  g_assert_no_error (error);
  n_links = afs_document_get_links (doc)->len;
  canvas_action (window, "canvas.connect", g_variant_new ("(usus)", p, "output", add, "x"));
  canvas_action (window, "canvas.connect", g_variant_new ("(usus)", v, "output", add, "y"));
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, n_links + 2);
}

/* ---- tests ---- */

static void
test_window_finalizes (void)
{
  AfsWindow *window = new_window ();

  g_assert_true (afs_window_is_pristine (window));
  g_assert_false (afs_window_get_modified (window));
  destroy_and_check (window);
}

static void
test_build_graph_through_actions (void)
{
  AfsWindow *window = new_window ();
  AfsDocument *doc = afs_window_get_document (window);
  g_autoptr(GError) error = NULL;

  build_small_graph (window);
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, 2);
  g_assert_true (afs_window_get_modified (window));
  /* Link validation: a second wire into a taken input is refused, and
   * so is a wire that would close a cycle. */
  g_assert_false (afs_document_can_link (doc, 1, "output", 3, "x", FALSE, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (afs_document_can_link (doc, 3, "output", 3, "y", TRUE, &error));
  g_assert_nonnull (error);

  destroy_and_check (window);
}

static void
test_undo_redo_through_window (void)
{
  AfsWindow *window = new_window ();
  AfsDocument *doc = afs_window_get_document (window);
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) role = json_node_new (JSON_NODE_VALUE);
  guint ids[1];
  double x = 300, y = 200;
  const guint n_edits = 7;

  /* One edit of each kind, recording the document after each. */
  g_ptr_array_add (states, document_json (window));
  build_small_graph (window);                       /* add x3, set data, link x2 */
  g_ptr_array_add (states, document_json (window));
  ids[0] = 1;
  afs_document_move_nodes (doc, ids, &x, &y, 1);    /* move */
  g_ptr_array_add (states, document_json (window));
  canvas_action (window, "canvas.arrange", NULL);   /* layout */
  g_ptr_array_add (states, document_json (window));
  json_node_set_string (role, "system prompt");
  g_assert_true (afs_document_set_setting (doc, 1, "role", role, NULL)); /* setting */
  g_ptr_array_add (states, document_json (window));
  ids[0] = afs_link_get_id (afs_document_get_links (doc)->pdata[0]);
  afs_document_unlink (doc, ids, 1);                /* unlink */
  g_ptr_array_add (states, document_json (window));
  ids[0] = 2;
  afs_document_remove_nodes (doc, ids, 1);          /* remove */
  g_ptr_array_add (states, document_json (window));

  /* Undo back through removal, unlink, setting and move via win.undo. */
  for (guint i = states->len - 1; i > 1; i--)
    {
      g_autofree char *now = NULL;

      activate (window, "undo", NULL);
      now = document_json (window);
      g_assert_cmpstr (now, ==, states->pdata[i - 1]);
    }
  /* ... and forward again via win.redo. */
  for (guint i = 2; i < states->len; i++)
    {
      g_autofree char *now = NULL;

      activate (window, "redo", NULL);
      now = document_json (window);
      g_assert_cmpstr (now, ==, states->pdata[i]);
    }
  g_assert_cmpuint (states->len, ==, n_edits);
  /* Undoing everything leaves an unmodified empty document. */
  while (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "undo"))
    activate (window, "undo", NULL);
  g_assert_cmpuint (n_nodes (window), ==, 0);
  g_assert_false (afs_window_get_modified (window));

  destroy_and_check (window);
}

static void
test_save_open_round_trip (void)
{
  AfsWindow *window = new_window ();
  AfsWindow *other;
  g_autofree char *dir = g_dir_make_tmp ("afs-roundtrip-XXXXXX", NULL);
  g_autoptr(GFile) file = g_file_new_build_filename (dir, "session.hf", NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(AfnHfDocument) hf = NULL;
  g_autoptr(GError) error = NULL;
  AfnValue *dict;
  AfnVariable *prompt;

  build_small_graph (window);
  afs_window_save_to_file (window, file);
  wait_idle (window);
  g_assert_false (has_dialog (window));
  g_assert_false (afs_window_get_modified (window));
  g_assert_true (g_file_equal (afs_window_get_file (window), file));

  /* What Python's afnio.load sees: an OrderedDict of Variables. */
  bytes = g_file_load_bytes (file, NULL, NULL, &error);
  g_assert_no_error (error);
  hf = afn_hf_document_load_bytes (bytes, NULL, &error);
  g_assert_no_error (error);
  dict = afn_hf_document_get_value (hf);
  g_assert_cmpint (afn_value_kind (dict), ==, AFN_VALUE_ORDERED_DICT);
  g_assert_cmpuint (afn_value_n_items (dict), ==, 2);
  prompt = afn_value_get_object (afn_value_get_item (dict, 0));
  g_assert_true (AFN_IS_PARAMETER (prompt));
  g_assert_cmpstr (afn_value_get_str (afn_variable_get_data (prompt), NULL), ==,
                   "You are a helpful assistant.");

  /* The file is a recent one now, and opening it from the recent list in
   * another window gives the same document. */
  {
    g_autofree char *uri = g_file_get_uri (file);

    g_assert_true (gtk_recent_manager_has_item (gtk_recent_manager_get_default (), uri));
    other = new_window ();
    activate (other, "open-recent", g_variant_new_string (uri));
  }
  wait_idle (other);
  g_assert_false (has_dialog (other));
  g_assert_true (afs_document_equal (afs_window_get_document (window),
                                     afs_window_get_document (other)));
  g_assert_false (afs_window_get_modified (other));

  destroy_and_check (other);
  destroy_and_check (window);
  g_file_delete (file, NULL, NULL);
  g_rmdir (dir);
}

/* Python (stand-in classes under afnio's names) reads a saved session:
 * the OrderedDict of Variables/Parameters, with data, role and grads. */
static void
test_python_reads_session (void)
{
  AfsWindow *window = new_window ();
  g_autoptr(GFile) grads = fixture ("parameter_with_grads.hf");
  g_autofree char *dir = g_dir_make_tmp ("afs-python-XXXXXX", NULL);
  g_autoptr(GFile) file = g_file_new_build_filename (dir, "session.hf", NULL);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "check-session.py", NULL);
  const char *argv[] = { "python3", script, g_file_peek_path (file), NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status = 0;
  JsonObject *root, *var;
  JsonArray *vars, *grad_list;

  afs_window_open_file (window, grads);
  wait_idle (window);
  afs_window_save_to_file (window, file);
  wait_idle (window);
  g_assert_false (has_dialog (window));

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("check-session.py failed: %s", err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (root, "members"), 1),
                   ==, AFS_SESSION_GRAPH_MEMBER);
  vars = json_object_get_array_member (root, "variables");
  g_assert_cmpuint (json_array_get_length (vars), ==, 1);
  var = json_array_get_object_element (vars, 0);
  g_assert_cmpstr (json_object_get_string_member (var, "class"), ==, "Parameter");
  g_assert_cmpstr (json_object_get_string_member (var, "name"), ==, "value");
  grad_list = json_object_get_array_member (var, "grads");
  g_assert_cmpuint (json_array_get_length (grad_list), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (json_array_get_array_element (grad_list, 0), 0),
                   ==, "Be more concise.");
  g_assert_cmpstr (json_object_get_string_member (var, "data"), ==, "You are a doctor.");
  g_assert_cmpstr (json_object_get_string_member (var, "role"), ==, "system prompt");

  destroy_and_check (window);
  g_file_delete (file, NULL, NULL);
  g_rmdir (dir);
}

static gboolean
is_hostile (const char *name)
{
  return g_str_has_prefix (name, "hostile_");
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static guint
count_fixtures (gboolean hostile, GPtrArray *names)
{
  g_autoptr(GDir) dir = g_dir_open (g_getenv ("AFN_FIXTURES_DIR"), 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".hf") && is_hostile (name) == hostile)
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names->len;
}

static void
test_open_fixtures (void)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  AfsWindow *window = new_window ();

  g_assert_cmpuint (count_fixtures (FALSE, names), >, 50);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GFile) file = fixture (names->pdata[i]);

      g_test_message ("opening %s", (char *) names->pdata[i]);
      afs_window_open_file (window, file);
      wait_idle (window);
      g_assert_false (has_dialog (window));
      g_assert_true (g_file_equal (afs_window_get_file (window), file));
      g_assert_false (afs_window_get_modified (window));
      /* Only an empty module's state dict holds no Variable. */
      if (!g_str_equal (names->pdata[i], "state_dict_empty_module.hf"))
        g_assert_cmpuint (n_nodes (window), >, 0);
    }
  destroy_and_check (window);
}

static JsonObject *
afnio_variables (AfsWindow *window)
{
  JsonNode *extra = afs_document_get_extra (afs_window_get_document (window), AFS_SESSION_AFNIO_EXTRA);

  g_assert_nonnull (extra);
  return json_object_get_object_member (json_node_get_object (extra), "variables");
}

static void
test_grads_and_grad_fn (void)
{
  AfsWindow *window = new_window ();
  g_autoptr(GFile) grads = fixture ("parameter_with_grads.hf");
  g_autoptr(GFile) graph = fixture ("graph_p2.hf");
  JsonObject *vars, *c;

  afs_window_open_file (window, grads);
  wait_idle (window);
  vars = afnio_variables (window);
  g_assert_cmpuint (json_object_get_size (vars), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_object_get_object_member (vars, "1"), "grads")), ==, 2);

  /* [a, b, c, e]: c = a + b has an AddBackward0 whose first edge is a's
   * AccumulateGrad and whose second is empty (b needs no grad); e = sum
   * (c, a) reaches the same AddBackward0. */
  afs_window_open_file (window, graph);
  wait_idle (window);
  g_assert_cmpuint (n_nodes (window), ==, 4);
  vars = afnio_variables (window);
  c = json_object_get_object_member (vars, "3");
  g_assert_cmpstr (json_object_get_string_member (c, "name"), ==, "[2]");
  {
    JsonObject *fn = json_object_get_object_member (c, "grad_fn");
    JsonArray *next = json_object_get_array_member (fn, "next_functions");
    JsonObject *acc = json_object_get_object_member (json_array_get_object_element (next, 0), "node");

    g_assert_cmpstr (json_object_get_string_member (fn, "name"), ==, "AddBackward0");
    g_assert_cmpstr (json_object_get_string_member (acc, "name"), ==, "AccumulateGrad");
    g_assert_true (json_object_get_null_member (json_array_get_object_element (next, 1), "node"));
  }
  {
    JsonObject *e = json_object_get_object_member (vars, "4");
    JsonObject *fn = json_object_get_object_member (e, "grad_fn");
    JsonArray *next = json_object_get_array_member (fn, "next_functions");
    JsonObject *add = json_object_get_object_member (json_array_get_object_element (next, 0), "node");

    g_assert_cmpstr (json_object_get_string_member (fn, "name"), ==, "SumBackward0");
    g_assert_cmpstr (json_object_get_string_member (add, "name"), ==, "AddBackward0");
  }
  destroy_and_check (window);
}

static GtkWidget *
find_descendant (GtkWidget *widget, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Selecting a variable from a plain file shows its grads and grad_fn
 * chain under the inspector; a node without file data hides the panel. */
static void
test_variable_info_panel (void)
{
  AfsWindow *window = new_window ();
  g_autoptr(GFile) grads = fixture ("parameter_with_grads.hf");
  g_autoptr(GFile) graph = fixture ("graph_p2.hf");
  AfsCanvas *canvas = AFS_CANVAS (afs_window_get_canvas (window));
  AfsVariableInfo *info = AFS_VARIABLE_INFO (find_descendant (GTK_WIDGET (window), AFS_TYPE_VARIABLE_INFO));
  guint id;

  g_assert_nonnull (info);
  afs_window_open_file (window, grads);
  wait_idle (window);
  id = 1;
  afs_canvas_select_nodes (canvas, &id, 1, FALSE);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (info)));
  g_assert_cmpuint (afs_variable_info_get_n_grads (info), ==, 2);
  g_assert_cmpuint (afs_variable_info_get_n_grad_fn_nodes (info), ==, 0);

  afs_window_open_file (window, graph);
  wait_idle (window);
  id = 4;   /* e = sum (c, a): SumBackward0 -> AddBackward0 -> AccumulateGrad, and AccumulateGrad */
  afs_canvas_select_nodes (canvas, &id, 1, FALSE);
  g_assert_cmpuint (afs_variable_info_get_n_grad_fn_nodes (info), ==, 4);
  maybe_save_screenshot (GTK_WINDOW (window), "variable-info");

  canvas_action (window, "canvas.add-node-kind", g_variant_new_string ("variable"));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (info)));
  while (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "undo"))
    activate (window, "undo", NULL);
  destroy_and_check (window);
}

static void
test_hostile_fixture_keeps_document (void)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  AfsWindow *window = new_window ();
  g_autofree char *before = NULL;

  build_small_graph (window);
  before = document_json (window);
  g_assert_cmpuint (count_fixtures (TRUE, names), >, 5);
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(GFile) file = fixture (names->pdata[i]);
      g_autoptr(GPtrArray) dialogs = NULL;
      g_autofree char *after = NULL;
      const char *body;

      afs_window_open_file (window, file);
      wait_idle (window);
      g_assert_true (wait_for (has_dialog, window));
      dialogs = find_dialogs (window);
      if (i == 0)
        maybe_save_screenshot (dialogs->pdata[0], "open-error-dialog");
      body = adw_message_dialog_get_body (dialogs->pdata[0]);
      /* The message names the file. */
      g_assert_nonnull (strstr (body, names->pdata[i]));
      close_dialogs (window);
      after = document_json (window);
      g_assert_cmpstr (after, ==, before);
      g_assert_null (afs_window_get_file (window));
      g_assert_true (afs_window_get_modified (window));
    }
  /* Discard the changes so that closing does not prompt. */
  while (g_action_group_get_action_enabled (G_ACTION_GROUP (window), "undo"))
    activate (window, "undo", NULL);
  destroy_and_check (window);
}

/* A pid that belonged to a process that has exited. */
static pid_t
dead_pid (void)
{
  pid_t pid = fork ();

  if (pid == 0)
    _exit (0);
  g_assert_cmpint (pid, >, 0);
  waitpid (pid, NULL, 0);
  return pid;
}

static void
orphans_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GPtrArray **) data = afs_drafts_list_orphans_finish (result, NULL);
}

static gboolean
not_null (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static gboolean
file_missing (gpointer file)
{
  return !g_file_query_exists (file, NULL);
}

/* The first draft session in the drafts folder, or NULL. */
static GFile *
find_draft (GFile *dir)
{
  g_autoptr(GFileEnumerator) e =
    g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, 0, NULL, NULL);
  GFile *found = NULL;
  GFileInfo *info;

  while (e != NULL && (info = g_file_enumerator_next_file (e, NULL, NULL)) != NULL)
    {
      if (found == NULL && g_str_has_suffix (g_file_info_get_name (info), ".hf"))
        found = g_file_get_child (dir, g_file_info_get_name (info));
      g_object_unref (info);
    }
  return found;
}

static gboolean
draft_written (gpointer data)
{
  GFile **out = data;
  g_autoptr(GFile) dir = afs_drafts_dup_dir ();

  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) graph = NULL;

  /* A new file is written in place (only an existing one is replaced
   * through a temporary file), so wait until the draft reads back. */
  g_clear_object (out);
  *out = find_draft (dir);
  if (*out != NULL)
    bytes = g_file_load_bytes (*out, NULL, NULL, NULL);
  if (bytes != NULL)
    graph = afs_session_read_bytes (bytes, NULL, NULL);
  return graph != NULL;
}

/* Copies @draft and its sidecar under the name of a process that has
 * exited, as a crash would have left them. Returns the copy. */
static GFile *
make_orphan (GFile *draft)
{
  g_autofree char *name = g_file_get_basename (draft);
  g_autoptr(GFile) dir = g_file_get_parent (draft);
  g_autofree char *orphan_name = g_strdup_printf ("%d%s", (int) dead_pid (), strchr (name, '-'));
  GFile *orphan = g_file_get_child (dir, orphan_name);
  g_autofree char *src_info_path = g_strconcat (g_file_peek_path (draft), ".info", NULL);
  g_autofree char *dst_info_path = g_strconcat (g_file_peek_path (orphan), ".info", NULL);
  g_autoptr(GFile) src_info = g_file_new_for_path (src_info_path);
  g_autoptr(GFile) dst_info = g_file_new_for_path (dst_info_path);

  g_assert_true (g_file_copy (draft, orphan, G_FILE_COPY_NONE, NULL, NULL, NULL, NULL));
  g_assert_true (g_file_copy (src_info, dst_info, G_FILE_COPY_NONE, NULL, NULL, NULL, NULL));
  return orphan;
}

static void
test_drafts_recovered_after_crash (void)
{
  AfsWindow *window = new_window ();
  g_autoptr(GFile) draft = NULL;
  g_autoptr(GFile) orphan = NULL;
  g_autoptr(GPtrArray) orphans = NULL;
  g_autoptr(GPtrArray) dialogs = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *got = NULL;

  build_small_graph (window);
  expected = document_json (window);
  afs_window_save_draft (window);
  g_assert_true (wait_for (draft_written, &draft));

  orphan = make_orphan (draft);
  afs_drafts_list_orphans_async (NULL, orphans_cb, &orphans);
  g_assert_true (wait_for (not_null, &orphans));
  /* The live window's own draft is not an orphan. */
  g_assert_cmpuint (orphans->len, ==, 1);
  g_assert_true (g_file_equal (((AfsDraft *) orphans->pdata[0])->file, orphan));

  /* A window that goes away takes its own draft with it. */
  destroy_and_check (window);
  g_assert_true (wait_for (file_missing, draft));
  g_assert_true (g_file_query_exists (orphan, NULL));

  /* A new start offers the orphan back; restoring opens it unsaved, and
   * the orphan goes once the new window has written its own draft. */
  window = new_window ();
  afs_window_offer_draft_recovery (window);
  g_assert_true (wait_for (has_dialog, window));
  dialogs = find_dialogs (window);
  maybe_save_screenshot (dialogs->pdata[0], "restore-drafts-dialog");
  respond (dialogs->pdata[0], "restore");
  wait_idle (window);
  {
    g_autoptr(GPtrArray) left = find_dialogs (window);
    for (guint i = 0; i < left->len; i++)
      g_test_message ("dialog: %s: %s", adw_message_dialog_get_heading (left->pdata[i]),
                      adw_message_dialog_get_body (left->pdata[i]));
    g_assert_cmpuint (left->len, ==, 0);
  }
  got = document_json (window);
  g_assert_cmpstr (got, ==, expected);
  g_assert_true (afs_window_get_modified (window));
  g_assert_true (wait_for (file_missing, orphan));

  destroy_and_check (window);
}

static AdwMessageDialog *
expect_one_dialog (AfsWindow *window)
{
  g_autoptr(GPtrArray) dialogs = NULL;

  g_assert_true (wait_for (has_dialog, window));
  dialogs = find_dialogs (window);
  g_assert_cmpuint (dialogs->len, ==, 1);
  return dialogs->pdata[0];
}

/* Closing with unsaved changes asks first: Cancel keeps the window, Save
 * writes the file and then closes, Discard closes without saving. */
static void
test_close_prompts_for_unsaved_changes (void)
{
  AfsWindow *window = new_window ();
  g_autofree char *dir = g_dir_make_tmp ("afs-close-XXXXXX", NULL);
  g_autoptr(GFile) file = g_file_new_build_filename (dir, "closing.hf", NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) graph = NULL;
  AdwMessageDialog *dialog;
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  build_small_graph (window);
  afs_window_save_to_file (window, file);
  wait_idle (window);
  canvas_action (window, "canvas.add-node-kind", g_variant_new_string ("sum"));
  g_assert_true (afs_window_get_modified (window));

  gtk_window_close (GTK_WINDOW (window));
  dialog = expect_one_dialog (window);
  maybe_save_screenshot (GTK_WINDOW (dialog), "save-changes-dialog");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "closing.hf"));
  respond (dialog, "cancel");
  g_assert_nonnull (weak);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  gtk_window_close (GTK_WINDOW (window));
  dialog = expect_one_dialog (window);
  respond (dialog, "save");
  g_assert_true (wait_for (is_null, &weak));
  bytes = g_file_load_bytes (file, NULL, NULL, NULL);
  graph = afs_session_read_bytes (bytes, NULL, NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (graph), "nodes")),
                    ==, 4);

  window = new_window ();
  weak = window;
  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  canvas_action (window, "canvas.add-node-kind", g_variant_new_string ("sum"));
  gtk_window_close (GTK_WINDOW (window));
  dialog = expect_one_dialog (window);
  respond (dialog, "discard");
  g_assert_true (wait_for (is_null, &weak));

  g_file_delete (file, NULL, NULL);
  g_rmdir (dir);
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}

/* A .hf file dropped on the window opens. */
static void
test_drop_file_opens_it (void)
{
  AfsWindow *window = new_window ();
  g_autoptr(GFile) file = fixture ("list_of_variables.hf");
  GtkDropTarget *target = find_drop_target (GTK_WIDGET (window));
  GSList *files = g_slist_append (NULL, file);
  GdkFileList *list = gdk_file_list_new_from_list (files);
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;

  g_assert_nonnull (target);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, list);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  g_slist_free (files);
  g_assert_true (accepted);
  wait_idle (window);
  g_assert_true (g_file_equal (afs_window_get_file (window), file));
  g_assert_cmpuint (n_nodes (window), ==, 3);
  destroy_and_check (window);
}

static gboolean
has_window (gpointer data)
{
  return gtk_application_get_active_window (GTK_APPLICATION (app)) != NULL;
}

/* The first start opens the demo; later starts open an empty window. */
static void
test_first_run_opens_demo (void)
{
  GSettings *settings = afs_application_get_settings (app);
  AfsWindow *window;

  g_settings_set_boolean (settings, "first-run", TRUE);
  g_application_activate (G_APPLICATION (app));
  g_assert_true (wait_for (has_window, NULL));
  window = AFS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  wait_idle (window);
  /* The sentiment demo: prompt, reviews, chat completion, labels, evaluator. */
  g_assert_cmpuint (n_nodes (window), ==, 5);
  g_assert_null (afs_window_get_file (window));
  g_assert_false (afs_window_get_modified (window));
  g_assert_false (g_settings_get_boolean (settings, "first-run"));
  destroy_and_check (window);

  g_application_activate (G_APPLICATION (app));
  g_assert_true (wait_for (has_window, NULL));
  window = AFS_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  wait_idle (window);
  g_assert_true (afs_window_is_pristine (window));
  destroy_and_check (window);
}

static gboolean
canvas_has_size (gpointer window)
{
  return gtk_widget_get_mapped (window) && gtk_widget_get_width (window) > 100;
}

/* The demo renders to a PNG that is not blank: many pixels differ from
 * the most common (background) colour. */
static void
test_screenshot_demo (void)
{
  AfsWindow *window = new_window ();
  g_autoptr(GFile) demo = afs_application_dup_demo_file (app);

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 780);
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  g_autofree char *png = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ?: ".", "studio-demo.png", NULL);
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  guint width, height, most = 0, differing;
  gsize stride;

  if (!afs_window_has_canvas (window))
    {
      g_test_skip ("the canvas widget has not landed on this branch yet");
      destroy_and_check (window);
      return;
    }
  afs_window_open_as_template (window, demo);
  wait_idle (window);
  g_assert_false (has_dialog (window));
  /* The sentiment demo: prompt, reviews, chat completion, labels, evaluator. */
  g_assert_cmpuint (n_nodes (window), ==, 5);
  g_assert_true (wait_for (canvas_has_size, window));
  texture = afs_window_snapshot_canvas (window);
  g_assert_nonnull (texture);
  g_assert_true (gdk_texture_save_to_png (texture, png));

  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  stride = width * 4;
  pixels = g_malloc (stride * height);
  gdk_texture_download (texture, pixels, stride);
  for (guint i = 0; i < width * height; i++)
    {
      guint32 px = ((guint32 *) pixels)[i];
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (px))) + 1;

      g_hash_table_insert (counts, GUINT_TO_POINTER (px), GUINT_TO_POINTER (n));
      most = MAX (most, n);
    }
  differing = width * height - most;
  g_test_message ("%ux%u, %u colours, %u pixels differ from the background",
                  width, height, g_hash_table_size (counts), differing);
  g_assert_cmpuint (g_hash_table_size (counts), >, 16);
  g_assert_cmpuint (differing, >, width * height / 50);

  /* The whole window with the first node in the inspector (the README's
   * and the metainfo's screenshot, when AFS_SCREENSHOT_DIR is set). */
  {
    guint id = 1;

    afs_canvas_select_nodes (AFS_CANVAS (afs_window_get_canvas (window)), &id, 1, FALSE);
    maybe_save_screenshot (GTK_WINDOW (window), "main-window");
  }
  destroy_and_check (window);
}

static void
test_preferences_window (void)
{
  GtkWindow *prefs;
  gpointer weak;
  AfsWindow *window = new_window ();

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  prefs = NULL;
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);
        if (ADW_IS_PREFERENCES_WINDOW (w))
          prefs = w;
      }
  }
  g_assert_nonnull (prefs);
  maybe_save_screenshot (prefs, "preferences");
  /* The style follows the system unless a scheme is forced. */
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==,
                   ADW_COLOR_SCHEME_DEFAULT);
  g_settings_set_string (afs_application_get_settings (app), "color-scheme", "dark");
  g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  g_settings_reset (afs_application_get_settings (app), "color-scheme");
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==,
                   ADW_COLOR_SCHEME_DEFAULT);
  weak = prefs;
  g_object_add_weak_pointer (G_OBJECT (prefs), &weak);
  gtk_window_destroy (prefs);
  g_assert_true (wait_for (is_null, &weak));
  destroy_and_check (window);
}

static void
remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children =
    g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                               NULL, NULL);
  GFileInfo *info;

  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autoptr(GFile) child = g_file_get_child (file, g_file_info_get_name (info));

      remove_tree (child);
      g_object_unref (info);
    }
  g_file_delete (file, NULL, NULL);
}

/* One private home for the whole run: GTK's recent-files manager is a
 * singleton that keeps the first path it saw, so the per-test folders of
 * G_TEST_OPTION_ISOLATE_DIRS would vanish under it. */
static char *
isolate_home (void)
{
  char *home = g_dir_make_tmp ("afs-studio-test-XXXXXX", NULL);
  const char *vars[][2] = {
    { "HOME", "home" }, { "XDG_DATA_HOME", "data" }, { "XDG_STATE_HOME", "state" },
    { "XDG_CONFIG_HOME", "config" }, { "XDG_CACHE_HOME", "cache" },
  };

  g_assert_nonnull (home);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, vars[i][1], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (vars[i][0], dir, TRUE);
    }
  return home;
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) w = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return w;
    }
  return NULL;
}

static void
destroy_toplevel_and_check (GtkWindow *window)
{
  gpointer weak = window;

  g_object_add_weak_pointer (G_OBJECT (window), &weak);
  gtk_window_destroy (window);
  g_assert_true (wait_for (is_null, &weak));
}

/* The shortcuts window (from gtk/help-overlay.ui) and the about window. */
static void
test_shortcuts_and_about_windows (void)
{
  AfsWindow *window = new_window ();
  GtkWindow *shortcuts, *about;

  activate (window, "show-help-overlay", NULL);
  shortcuts = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  g_assert_nonnull (shortcuts);
  maybe_save_screenshot (shortcuts, "shortcuts");
  gtk_widget_set_visible (GTK_WIDGET (shortcuts), FALSE);

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_application_name (ADW_ABOUT_WINDOW (about)), ==, "Afnio Studio");
  maybe_save_screenshot (about, "about");
  destroy_toplevel_and_check (about);

  destroy_and_check (window);
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = isolate_home ();
  g_autoptr(GFile) home_file = g_file_new_for_path (home);
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* Any warning is a failure ("without a warning"). */
  g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL);

  app = afs_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  /* GTK 4.8 leaks a GDateTime each time it prunes old recent files; keep
   * every item so that it never prunes (the sanitizer build checks leaks). */
  g_object_set (gtk_settings_get_default (), "gtk-recent-files-max-age", -1, NULL);

  g_test_add_func ("/studio/app/window-finalizes", test_window_finalizes);
  g_test_add_func ("/studio/app/build-graph-through-actions", test_build_graph_through_actions);
  g_test_add_func ("/studio/app/undo-redo-through-window", test_undo_redo_through_window);
  g_test_add_func ("/studio/app/save-open-round-trip", test_save_open_round_trip);
  g_test_add_func ("/studio/app/python-reads-session", test_python_reads_session);
  g_test_add_func ("/studio/app/open-every-fixture", test_open_fixtures);
  g_test_add_func ("/studio/app/grads-and-grad-fn", test_grads_and_grad_fn);
  g_test_add_func ("/studio/app/variable-info-panel", test_variable_info_panel);
  g_test_add_func ("/studio/app/hostile-fixture-keeps-document", test_hostile_fixture_keeps_document);
  g_test_add_func ("/studio/app/drafts-recovered-after-crash", test_drafts_recovered_after_crash);
  g_test_add_func ("/studio/app/close-prompts-for-unsaved-changes", test_close_prompts_for_unsaved_changes);
  g_test_add_func ("/studio/app/drop-file-opens-it", test_drop_file_opens_it);
  g_test_add_func ("/studio/app/first-run-opens-demo", test_first_run_opens_demo);
  g_test_add_func ("/studio/app/screenshot-demo", test_screenshot_demo);
  g_test_add_func ("/studio/app/preferences-window", test_preferences_window);
  g_test_add_func ("/studio/app/shortcuts-and-about-windows", test_shortcuts_and_about_windows);

  ret = g_test_run ();
  g_object_unref (app);
  remove_tree (home_file);
  return ret;
}
