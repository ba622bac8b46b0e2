/* test-inspector.c: the inspector side panel under Xvfb.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <adwaita.h>
#include "afs-canvas.h"
#include "afs-inspector.h"
#include "canvas-test-util.h"

typedef struct {
  GtkWidget *window;
  AfsCanvas *canvas;
  AfsInspector *inspector;
  AfsDocument *doc;
  guint var, chat, split;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  GtkWidget *paned = gtk_paned_new (GTK_ORIENTATION_HORIZONTAL);
  g_autoptr(JsonObject) settings = json_object_new ();

  f->window = gtk_window_new ();
  f->canvas = AFS_CANVAS (afs_canvas_new ());
  f->inspector = AFS_INSPECTOR (afs_inspector_new ());
  f->doc = afs_document_new ();
  json_object_set_string_member (settings, "data", "Summarize {article} for {audience}.");
  json_object_set_string_member (settings, "role", "summary prompt");
  f->var = afs_graph_node_get_id (afs_document_add_node (f->doc, "parameter", 0, 0, settings, NULL));
  f->chat = afs_graph_node_get_id (afs_document_add_node (f->doc, "chat_completion", 300, 0, NULL, NULL));
  f->split = afs_graph_node_get_id (afs_document_add_node (f->doc, "split", 600, 0, NULL, NULL));
  afs_document_link (f->doc, f->var, "output", f->chat, "prompt", FALSE, NULL);
  afs_document_link (f->doc, f->chat, "output", f->split, "x", FALSE, NULL);
  afs_canvas_set_document (f->canvas, f->doc);
  afs_inspector_set_canvas (f->inspector, f->canvas);
  gtk_paned_set_start_child (GTK_PANED (paned), GTK_WIDGET (f->canvas));
  gtk_paned_set_end_child (GTK_PANED (paned), GTK_WIDGET (f->inspector));
  gtk_paned_set_position (GTK_PANED (paned), 620);
  gtk_paned_set_shrink_end_child (GTK_PANED (paned), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 640);
  gtk_window_set_child (GTK_WINDOW (f->window), paned);
  gtk_window_present (GTK_WINDOW (f->window));
  WAIT_UNTIL (gtk_widget_get_mapped (f->window) && gtk_widget_get_width (GTK_WIDGET (f->inspector)) > 0, 5000);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GObject *inspector = G_OBJECT (f->inspector);
  GObject *canvas = G_OBJECT (f->canvas);
  GObject *doc = G_OBJECT (f->doc);

  g_object_add_weak_pointer (inspector, (gpointer *) &inspector);
  g_object_add_weak_pointer (canvas, (gpointer *) &canvas);
  g_object_add_weak_pointer (doc, (gpointer *) &doc);
  g_object_unref (f->doc);
  gtk_window_destroy (GTK_WINDOW (f->window));
  WAIT_UNTIL (inspector == NULL && canvas == NULL && doc == NULL, 2000);
  g_assert_null (inspector);
  g_assert_null (canvas);
  g_assert_null (doc);
}

static void
select_node (Fixture *f, guint id)
{
  afs_canvas_select_nodes (f->canvas, &id, 1, FALSE);
  g_assert_cmpuint (afs_inspector_get_node (f->inspector), ==, id);
}

static JsonNode *
setting (Fixture *f, guint id, const char *key)
{
  return json_object_get_member (afs_graph_node_get_settings (afs_document_get_node (f->doc, id)), key);
}

static guint
n_undo (Fixture *f)
{
  return afs_undo_stack_get_n_undo (afs_document_get_undo_stack (f->doc));
}

static void
test_edit_data (Fixture *f, gconstpointer data)
{
  g_autofree char *before = NULL;
  g_autofree char *shown = NULL;
  guint steps;

  select_node (f, f->var);
  steps = n_undo (f);
  g_assert_true (afs_inspector_edit (f->inspector, "data", NULL, "A {new} prompt"));
  g_assert_cmpstr (json_node_get_string (setting (f, f->var, "data")), ==, "A {new} prompt");
  g_assert_cmpuint (n_undo (f), ==, steps + 1);

  /* A list of text and numbers is refused in place; nothing changes. */
  before = afs_document_to_json (f->doc, FALSE);
  g_assert_false (afs_inspector_edit (f->inspector, "data", "list", "apples\n42"));
  g_assert_nonnull (afs_inspector_get_error (f->inspector, "data"));
  g_assert_nonnull (strstr (afs_inspector_get_error (f->inspector, "data"), "only text or only numbers"));
  g_assert_cmpuint (n_undo (f), ==, steps + 1);
  {
    g_autofree char *after = afs_document_to_json (f->doc, FALSE);
    g_assert_cmpstr (before, ==, after);
  }
  /* Fixed, it applies and the message goes away. */
  g_assert_true (afs_inspector_edit (f->inspector, "data", "list", "apples\n\"42\""));
  g_assert_null (afs_inspector_get_error (f->inspector, "data"));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (setting (f, f->var, "data"))), ==, 2);

  /* Text in a number is refused. */
  g_assert_false (afs_inspector_edit (f->inspector, "data", "number", "twelve"));
  g_assert_nonnull (strstr (afs_inspector_get_error (f->inspector, "data"), "not a number"));
  g_assert_true (afs_inspector_edit (f->inspector, "data", "number", "12.5"));
  g_assert_cmpfloat (json_node_get_double (setting (f, f->var, "data")), ==, 12.5);

  /* Undo brings the editors along. */
  afs_document_undo (f->doc);
  afs_document_undo (f->doc);
  shown = afs_inspector_dup_text (f->inspector, "data");
  g_assert_cmpstr (shown, ==, "A {new} prompt");
}

static void
test_edit_settings (Fixture *f, gconstpointer data)
{
  guint steps;

  select_node (f, f->chat);
  steps = n_undo (f);
  g_assert_false (afs_inspector_edit (f->inspector, "temperature", NULL, "hot"));
  g_assert_nonnull (strstr (afs_inspector_get_error (f->inspector, "temperature"), "not a number"));
  g_assert_false (afs_inspector_edit (f->inspector, "temperature", NULL, "7"));
  g_assert_nonnull (strstr (afs_inspector_get_error (f->inspector, "temperature"), "between 0 and 2"));
  g_assert_cmpuint (n_undo (f), ==, steps);
  g_assert_true (afs_inspector_edit (f->inspector, "temperature", NULL, "0.7"));
  g_assert_cmpfloat (json_node_get_double (setting (f, f->chat, "temperature")), ==, 0.7);
  g_assert_true (afs_inspector_edit (f->inspector, "model", NULL, "openai/gpt-4o-mini"));
  g_assert_true (afs_inspector_edit (f->inspector, "messages", NULL,
                                     "[{\"role\":\"system\",\"content\":\"Use {style}\"},"
                                     "{\"role\":\"user\",\"content\":\"{question}\"}]"));
  g_assert_cmpuint (afs_graph_node_get_inputs (afs_document_get_node (f->doc, f->chat))->len, ==, 3);
  g_assert_cmpuint (n_undo (f), ==, steps + 3);

  select_node (f, f->split);
  g_assert_false (afs_inspector_edit (f->inspector, "parts", NULL, "2.5"));
  g_assert_nonnull (strstr (afs_inspector_get_error (f->inspector, "parts"), "whole number"));
  g_assert_true (afs_inspector_edit (f->inspector, "parts", NULL, "4"));
  g_assert_cmpuint (afs_graph_node_get_outputs (afs_document_get_node (f->doc, f->split))->len, ==, 4);
  g_assert_true (afs_inspector_edit (f->inspector, "sep", NULL, ""));
  g_assert_true (JSON_NODE_HOLDS_NULL (setting (f, f->split, "sep")));
  g_assert_true (afs_inspector_edit (f->inspector, "sep", NULL, ","));
  g_assert_cmpstr (json_node_get_string (setting (f, f->split, "sep")), ==, ",");

  select_node (f, f->var);
  g_assert_true (afs_inspector_edit (f->inspector, "requires_grad", NULL, "false"));
  g_assert_false (json_node_get_boolean (setting (f, f->var, "requires_grad")));
  g_assert_true (afs_inspector_edit (f->inspector, "role", NULL, "the prompt"));
  g_assert_cmpstr (json_node_get_string (setting (f, f->var, "role")), ==, "the prompt");
}

static void
test_screenshot (Fixture *f, gconstpointer data)
{
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "inspector-screenshot.png", NULL);

  select_node (f, f->var);
  afs_canvas_fit (f->canvas, FALSE);
  spin (300);
  wait_frames (f->window, 3);
  texture = render_widget (f->window);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  g_assert_cmpfloat (texture_variance (texture), >, 50.0);
  /* For looking at the real window (CSS backgrounds included):
   * AFS_TEST_IMPORT=/tmp/shot.png grabs the X screen with ImageMagick. */
  if (g_getenv ("AFS_TEST_IMPORT"))
    {
      g_autofree char *cmd = g_strdup_printf ("import -window root %s", g_getenv ("AFS_TEST_IMPORT"));
      g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
    }
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  if (g_getenv ("AFS_TEST_DARK"))
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
#define ADD(path, fn) g_test_add ("/studio/inspector/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("edit-data", test_edit_data);
  ADD ("edit-settings", test_edit_settings);
  ADD ("screenshot", test_screenshot);
  return g_test_run ();
}
