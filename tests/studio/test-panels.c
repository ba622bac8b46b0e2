/* test-panels.c: the run panels on their own under Xvfb: word diff,
 * gradients list, grad_fn tree, finalization.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <adwaita.h>

#include "afnio.h"
#include "afs-gradfn-panel.h"
#include "afs-gradients-panel.h"
#include "afs-model-preferences.h"
#include "fake-server.h"
#include "afs-panel-util.h"
#include "afs-word-diff.h"
#include "../main-loop-util.h"

static char *
diff_plain (const char *a, const char *b)
{
  g_autoptr(GArray) segs = afs_word_diff (a, b);
  return afs_word_diff_to_plain (segs);
}

static void
test_word_diff (void)
{
  g_autofree char *same = diff_plain ("a b c", "a b c");
  g_autofree char *one = diff_plain ("Classify the review.", "Classify the movie review.");
  g_autofree char *repl = diff_plain ("Say yes or no", "Say positive or negative");
  g_autofree char *empty = diff_plain ("", "new text");
  g_autoptr(GArray) segs = afs_word_diff ("the quick brown fox", "the slow brown dog");
  g_autofree char *markup = afs_word_diff_to_markup (segs);
  g_autoptr(GArray) esc = afs_word_diff ("a <b>", "a <i>");
  g_autofree char *esc_markup = afs_word_diff_to_markup (esc);
  guint d = 0, i = 0;

  g_assert_cmpstr (same, ==, "a b c");
  g_assert_cmpstr (one, ==, "Classify the {+movie +}review.");
  g_assert_cmpstr (repl, ==, "Say [-yes-]{+positive+} or [-no-]{+negative+}");
  g_assert_cmpstr (empty, ==, "{+new text+}");
  afs_word_diff_count (segs, &d, &i);
  g_assert_cmpuint (d, ==, 2);
  g_assert_cmpuint (i, ==, 2);
  g_assert_nonnull (strstr (markup, "strikethrough"));
  g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, NULL));
  g_assert_true (pango_parse_markup (esc_markup, -1, 0, NULL, NULL, NULL, NULL));
  g_assert_nonnull (strstr (esc_markup, "&lt;i&gt;"));
}

static void
test_word_diff_adjacent (void)
{
  /* Two neighbouring replaced words read as one change. */
  g_autofree char *s = diff_plain ("one two three four", "one TWO THREE four");

  g_assert_cmpstr (s, ==, "one [-two three-]{+TWO THREE+} four");
}

/* Adds two Variables, backpropagates two feedbacks and checks the list. */
static void
test_gradients_panel (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "first input", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "second input", TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) r = afn_add (x, y, &error);
  g_autoptr(AfnVariable) fb = afn_variable_new_str ("MY_FEEDBACK", "add gradient", FALSE);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *panel = afs_gradients_panel_new ();
  gpointer weak = panel;
  GListModel *model;

  g_assert_no_error (error);
  g_object_add_weak_pointer (G_OBJECT (panel), &weak);
  gtk_window_set_child (GTK_WINDOW (window), panel);
  gtk_window_set_default_size (GTK_WINDOW (window), 300, 400);
  gtk_window_present (GTK_WINDOW (window));

  g_assert_cmpuint (g_list_model_get_n_items (afs_gradients_panel_get_model (AFS_GRADIENTS_PANEL (panel))), ==, 0);
  g_assert_nonnull (strstr (afs_gradients_panel_get_status (AFS_GRADIENTS_PANEL (panel)), "Select"));

  afs_gradients_panel_set_variable (AFS_GRADIENTS_PANEL (panel), x, NULL);
  model = afs_gradients_panel_get_model (AFS_GRADIENTS_PANEL (panel));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_nonnull (strstr (afs_gradients_panel_get_status (AFS_GRADIENTS_PANEL (panel)), "No gradients"));

  g_assert_true (afn_variable_backward (r, fb, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (afn_variable_backward (r, fb, TRUE, NULL, NULL, &error));
  g_assert_no_error (error);
  test_iterate_pending ();
  /* The panel follows the Variable's live list. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpstr (afs_gradients_panel_get_status (AFS_GRADIENTS_PANEL (panel)), ==, "2 gradients");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(AfnVariable) g = g_list_model_get_item (model, i);
      g_autofree char *text = afs_dup_variable_text (g);

      g_assert_cmpstr (afn_variable_get_role (g), ==, "feedback to first input");
      g_assert_nonnull (strstr (text, "MY_FEEDBACK"));
    }
  g_assert_null (afs_gradients_panel_dup_origin (AFS_GRADIENTS_PANEL (panel), 0));

  /* A non-leaf without retain_grad keeps none. */
  afs_gradients_panel_set_variable (AFS_GRADIENTS_PANEL (panel), r, "sum");
  g_assert_cmpuint (g_list_model_get_n_items (afs_gradients_panel_get_model (AFS_GRADIENTS_PANEL (panel))), ==, 0);
  g_assert_nonnull (strstr (afs_gradients_panel_get_status (AFS_GRADIENTS_PANEL (panel)), "keeps no"));

  gtk_window_destroy (GTK_WINDOW (window));
  test_iterate_pending ();
  g_assert_null (weak);
}

static char *
origin_cb (AfnVariable *grad, guint position, gpointer user_data)
{
  return g_strdup (user_data);
}

static void
test_gradients_origin (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "x", TRUE);
  g_autoptr(GError) error = NULL;
  GtkWidget *panel = g_object_ref_sink (afs_gradients_panel_new ());
  g_autofree char *origin = NULL;

  g_autoptr(AfnVariable) g = afn_variable_new_str ("g", "feedback to x", FALSE);

  g_assert_true (afn_variable_append_grad (x, g, &error));
  g_assert_no_error (error);
  afs_gradients_panel_set_variable (AFS_GRADIENTS_PANEL (panel), x, NULL);
  afs_gradients_panel_set_origin_func (AFS_GRADIENTS_PANEL (panel), origin_cb,
                                       g_strdup ("AddBackward0"), g_free);
  origin = afs_gradients_panel_dup_origin (AFS_GRADIENTS_PANEL (panel), 0);
  g_assert_cmpstr (origin, ==, "AddBackward0");
  g_object_unref (panel);
}

static void
node_selected_cb (AfsGradfnPanel *panel, AfnNode *node, gpointer data)
{
  *(AfnNode **) data = node;
}

static void
test_gradfn_panel (void)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "x", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "y", TRUE);
  g_autoptr(AfnVariable) c = afn_variable_new_str ("const", "c", FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnVariable) s = afn_add (x, y, &error);
  g_autoptr(AfnVariable) r = afn_add (s, c, &error);
  GtkWidget *window = gtk_window_new ();
  GtkWidget *panel = afs_gradfn_panel_new ();
  GListModel *model = G_LIST_MODEL (afs_gradfn_panel_get_model (AFS_GRADFN_PANEL (panel)));
  AfnNode *selected = NULL;
  const char *expect[] = { "AddBackward0", "AddBackward0", "AccumulateGrad (x)",
                           "AccumulateGrad (y)", "None" };
  guint depth[] = { 0, 1, 2, 2, 1 };

  g_assert_no_error (error);
  gtk_window_set_child (GTK_WINDOW (window), panel);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (panel, "node-selected", G_CALLBACK (node_selected_cb), &selected);

  afs_gradfn_panel_set_variable (AFS_GRADFN_PANEL (panel), x);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_nonnull (strstr (afs_gradfn_panel_get_status (AFS_GRADFN_PANEL (panel)), "leaf"));

  afs_gradfn_panel_set_variable (AFS_GRADFN_PANEL (panel), r);
  /* The chain opens expanded; collapsing the root hides the rest. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, G_N_ELEMENTS (expect));
  {
    g_autoptr(GtkTreeListRow) root = g_list_model_get_item (model, 0);
    gtk_tree_list_row_set_expanded (root, FALSE);
  }
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  afs_gradfn_panel_expand_all (AFS_GRADFN_PANEL (panel));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, G_N_ELEMENTS (expect));
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (model, i);
      g_autoptr(AfsGradfnItem) item = gtk_tree_list_row_get_item (row);

      g_assert_cmpstr (afs_gradfn_item_get_label (item), ==, expect[i]);
      g_assert_cmpuint (gtk_tree_list_row_get_depth (row), ==, depth[i]);
    }
  test_iterate_pending ();

  gtk_single_selection_set_selected (afs_gradfn_panel_get_selection (AFS_GRADFN_PANEL (panel)), 1);
  g_assert_true (selected == afn_variable_get_grad_fn (s));
  gtk_single_selection_set_selected (afs_gradfn_panel_get_selection (AFS_GRADFN_PANEL (panel)), 4);
  g_assert_null (selected);

  gtk_window_destroy (GTK_WINDOW (window));
  test_iterate_pending ();
}

/* Iterates until @cond (@data) holds, or 30 s pass. */
static gboolean
wait_until (gboolean (*cond) (gpointer), gpointer data)
{
  return test_wait_until (cond, data, 30000);
}

static gboolean
test_done (gpointer data)
{
  return !afs_model_preferences_get_testing (data);
}

static gboolean
key_status_has (gpointer data)
{
  const char **args = data;
  const char *status = afs_model_preferences_get_key_status ((AfsModelPreferences *) args[0]);

  return status && strstr (status, args[1]);
}

static GSettings *
new_settings (void)
{
  GSettings *settings = g_settings_new ("io.github.afnio.Studio");

  g_settings_delay (settings);   /* tests don't leak values into each other */
  return settings;
}

static void
test_model_preferences (void)
{
  g_autoptr(FakeServer) server = fake_server_new (0);
  g_autoptr(GSettings) settings = new_settings ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = adw_preferences_page_new ();
  AfsModelPreferences *prefs;
  FakeRule ok = { .match = FAKE_MATCH_ALWAYS, .reply = "OK", .completion_tokens = 1,
                  .prompt_tokens = 9 };
  const char *wait_env[2];

  g_setenv ("AFS_TEST_KEY", "sk-test-123", TRUE);
  g_settings_set_string (settings, "model-base-url", fake_server_get_base_url (server));
  g_settings_set_string (settings, "api-key-variable", "AFS_TEST_KEY");
  g_settings_set_string (settings, "model-forward", "fake-model");
  prefs = afs_model_preferences_new (settings);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), ADW_PREFERENCES_GROUP (prefs));
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));

  wait_env[0] = (const char *) prefs;
  wait_env[1] = "AFS_TEST_KEY";
  g_assert_true (wait_until (key_status_has, wait_env));
  g_assert_nonnull (strstr (afs_model_preferences_get_key_status (prefs), "Read from"));

  /* The server wants the key from the environment: the test passes. */
  fake_server_set_required_key (server, "sk-test-123");
  fake_server_add_rule (server, &ok);
  afs_model_preferences_test_connection (prefs);
  g_assert_true (afs_model_preferences_get_testing (prefs));
  g_assert_true (wait_until (test_done, prefs));
  g_assert_nonnull (strstr (afs_model_preferences_get_test_result (prefs), "Connected"));
  g_assert_nonnull (strstr (afs_model_preferences_get_test_result (prefs), "“OK”"));
  {
    g_autofree char *auth = fake_server_dup_last_authorization (server);
    g_assert_cmpstr (auth, ==, "Bearer sk-test-123");
  }

  /* A wrong key is a failure that says why, without the key. */
  g_setenv ("AFS_TEST_KEY", "sk-wrong-456", TRUE);
  afs_model_preferences_test_connection (prefs);
  g_assert_true (wait_until (test_done, prefs));
  g_assert_true (g_str_has_prefix (afs_model_preferences_get_test_result (prefs), "Failed"));
  g_assert_null (strstr (afs_model_preferences_get_test_result (prefs), "sk-wrong"));

  /* An unset variable is reported, not an error. */
  g_unsetenv ("AFS_TEST_KEY");
  g_settings_set_string (settings, "api-key-variable", "AFS_TEST_KEY_UNSET");
  wait_env[1] = "not set";
  g_assert_true (wait_until (key_status_has, wait_env));

  /* No keyring service (no session bus here): a clear message, no crash. */
  g_settings_set_string (settings, "api-key-source", "keyring");
  wait_env[1] = "keyring";
  g_assert_true (wait_until (key_status_has, wait_env));
  afs_model_preferences_store_key (prefs, "sk-store");
  wait_env[1] = "Could not store";
  g_assert_true (wait_until (key_status_has, wait_env));

  gtk_window_destroy (GTK_WINDOW (window));
  test_iterate_pending ();
}

static void
test_model_preferences_page (void)
{
  g_autoptr(GSettings) settings = new_settings ();
  GtkWidget *page = g_object_ref_sink (adw_preferences_page_new ());
  GtkWidget *window = gtk_window_new ();
  GtkWidget *child;
  guint groups = 0;

  afs_model_preferences_add_to_page (ADW_PREFERENCES_PAGE (page), settings);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_set_default_size (GTK_WINDOW (window), 560, 900);
  gtk_window_present (GTK_WINDOW (window));
  test_iterate_pending ();
  /* A picture of the page, to look at (tests/studio/model-preferences.png). */
  {
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
    g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
    g_autoptr(GskRenderNode) node = NULL;
    g_autoptr(GdkTexture) texture = NULL;
    g_autofree char *png = g_test_build_filename (G_TEST_BUILT, "model-preferences.png", NULL);
    int w = gtk_widget_get_width (window), h = gtk_widget_get_height (window);

    gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), w, h);
    node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    if (node && w > 0 && h > 0)
      {
        texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                               &GRAPHENE_RECT_INIT (0, 0, w, h));
        g_assert_true (gdk_texture_save_to_png (texture, png));
      }
  }
  /* Two groups: the server and the models. */
  for (child = gtk_widget_get_first_child (page); child; child = gtk_widget_get_next_sibling (child))
    groups++;
  g_assert_cmpuint (groups, >=, 1);
  gtk_window_destroy (GTK_WINDOW (window));
  test_iterate_pending ();
  g_object_unref (page);
}

int
main (int argc, char **argv)
{
  /* No keyring service: the preferences must say so, not hang. */
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/studio/panels/word-diff", test_word_diff);
  g_test_add_func ("/studio/panels/word-diff-adjacent", test_word_diff_adjacent);
  g_test_add_func ("/studio/panels/gradients", test_gradients_panel);
  g_test_add_func ("/studio/panels/gradients-origin", test_gradients_origin);
  g_test_add_func ("/studio/panels/gradfn", test_gradfn_panel);
  g_test_add_func ("/studio/panels/model-preferences", test_model_preferences);
  g_test_add_func ("/studio/panels/model-preferences-page", test_model_preferences_page);
  return g_test_run ();
}
