/* test-run-ui.c: running a session in the application window under Xvfb,
 * against the fake model server: run, backward, step and undo through the
 * window's actions; the panels' list models; stop mid-run; a server error
 * on a node with the graph still editable; a screenshot after backward.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gstdio.h>

#include "afnio.h"
#include "afs-application.h"
#include "afs-canvas-private.h"
#include "afs-panel-util.h"
#include "afs-run-controller.h"
#include "afs-window.h"
#include "afs-window-private.h"
#include "afs-window-run.h"
#include "afs-word-diff.h"
#include "fake-server.h"
#include "../main-loop-util.h"
#include "canvas-test-util.h"

#define PROMPT_BEFORE "Classify the sentiment of the review."
#define PROMPT_AFTER  "Classify the sentiment of the review as exactly one lowercase word: positive, negative or neutral."
#define FEEDBACK      "Say that the answer must be one lowercase word with no punctuation."

static AfsApplication *app;

typedef struct {
  FakeServer       *server;
  AfsWindow        *window;
  AfsRunController *controller;
  AfsDocument      *doc;
  guint             prompt, reviews, chat, expected, eval;
  /* the last "finished" emission */
  gboolean          finished;
  char             *operation;
  gboolean          ok;
  char             *message;
} Fixture;

/* ---- helpers ---- */

static gboolean
wait_for (gboolean (*cond) (gpointer), gpointer data)
{
  return test_wait_until (cond, data, 60000);
}

static void
finished_cb (AfsRunController *controller, const char *operation, gboolean ok,
             const char *message, Fixture *fx)
{
  fx->finished = TRUE;
  g_free (fx->operation);
  fx->operation = g_strdup (operation);
  fx->ok = ok;
  g_free (fx->message);
  fx->message = g_strdup (message);
}

static gboolean
is_finished (gpointer data)
{
  return ((Fixture *) data)->finished;
}

/* Activates win.@name (or app.@name when @on_app) and waits for the end. */
static void
activate_and_wait (Fixture *fx, gboolean on_app, const char *name, GVariant *param)
{
  fx->finished = FALSE;
  g_action_group_activate_action (on_app ? G_ACTION_GROUP (app) : G_ACTION_GROUP (fx->window),
                                  name, param);
  g_assert_true (wait_for (is_finished, fx));
  g_test_message ("%s: ok=%d %s", fx->operation, fx->ok, fx->message ? fx->message : "");
}

static void
add_rule (Fixture *fx, FakeMatch match, const char *pattern, const char *reply)
{
  FakeRule rule = { .match = match, .pattern = pattern, .reply = reply };

  fake_server_add_rule (fx->server, &rule);
}

static void
add_sentiment_rules (Fixture *fx)
{
  add_rule (fx, FAKE_MATCH_LAST_USER, "How should the system prompt change?", FEEDBACK);
  add_rule (fx, FAKE_MATCH_LAST_USER, "How should the ", "Answer with the bare label, in lowercase.");
  add_rule (fx, FAKE_MATCH_LAST_USER, "Write the improved system prompt",
            "<IMPROVED_VARIABLE>" PROMPT_AFTER "</IMPROVED_VARIABLE>");
  add_rule (fx, FAKE_MATCH_LAST_USER, "battery", "Positive.");
  add_rule (fx, FAKE_MATCH_LAST_USER, "Stopped working", "negative");
  add_rule (fx, FAKE_MATCH_LAST_USER, "box says", "Neutral");
}

static guint
node_by_kind (AfsDocument *doc, const char *kind, guint nth)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  for (guint i = 0; i < nodes->len; i++)
    if (g_str_equal (afs_node_kind_get_id (afs_graph_node_get_kind (nodes->pdata[i])), kind)
        && nth-- == 0)
      return afs_graph_node_get_id (nodes->pdata[i]);
  g_assert_not_reached ();
}

static gboolean
canvas_has_size (gpointer data)
{
  return gtk_widget_get_width (((AfsWindow *) data)->canvas) > 0;
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  GSettings *settings = afs_application_get_settings (app);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "..", "data", "demos",
                                                 "sentiment.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) graph = NULL;
  g_autoptr(GError) error = NULL;

  fx->server = fake_server_new (0);
  g_settings_set_string (settings, "model-base-url", fake_server_get_base_url (fx->server));
  g_settings_set_string (settings, "run-mode", "live");
  g_settings_set_string (settings, "api-key-source", "environment");
  g_settings_set_string (settings, "api-key-variable", "AFS_TEST_NO_SUCH_KEY");

  fx->window = afs_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (fx->window), 1280, 760);
  gtk_window_present (GTK_WINDOW (fx->window));
  fx->controller = AFS_RUN_CONTROLLER (afs_window_get_run_controller (fx->window));
  g_assert_nonnull (fx->controller);
  g_signal_connect (fx->controller, "finished", G_CALLBACK (finished_cb), fx);

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  graph = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_true (afs_window_load_graph (fx->window, graph, FALSE, &error));
  g_assert_no_error (error);
  fx->doc = afs_window_get_document (fx->window);
  fx->prompt = node_by_kind (fx->doc, "parameter", 0);
  fx->reviews = node_by_kind (fx->doc, "variable", 0);
  fx->chat = node_by_kind (fx->doc, "chat_completion", 0);
  fx->expected = node_by_kind (fx->doc, "variable", 1);
  fx->eval = node_by_kind (fx->doc, "exact_match_evaluator", 0);
  g_assert_true (wait_for (canvas_has_size, fx->window));
  afs_canvas_fit (AFS_CANVAS (fx->window->canvas), FALSE);
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  gpointer weak = fx->window;
  gpointer weak_controller = fx->controller;

  g_object_add_weak_pointer (G_OBJECT (fx->window), &weak);
  g_object_add_weak_pointer (G_OBJECT (fx->controller), &weak_controller);
  /* Close without the unsaved-changes question. */
  fx->window->close_confirmed = TRUE;
  gtk_window_destroy (GTK_WINDOW (fx->window));
  g_assert_true (wait_for (is_null, &weak));
  g_assert_true (wait_for (is_null, &weak_controller));
  fake_server_free (fx->server);
  g_free (fx->operation);
  g_free (fx->message);
}

static AfsRunState
canvas_state (Fixture *fx, guint id)
{
  return afs_canvas_get_node_run_state (AFS_CANVAS (fx->window->canvas), id);
}

static gboolean
action_enabled (Fixture *fx, const char *name)
{
  return g_action_group_get_action_enabled (G_ACTION_GROUP (fx->window), name);
}

/* Saves the whole window as a PNG and checks it is not blank. */
static void
screenshot (Fixture *fx, const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (fx->window));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *png = g_test_build_filename (G_TEST_BUILT, name, NULL);
  g_autofree guchar *pixels = NULL;
  int width, height;
  double sum = 0, sum2 = 0, variance;

  test_iterate_pending ();
  wait_frames (GTK_WIDGET (fx->window), 3);
  width = gtk_widget_get_width (GTK_WIDGET (fx->window));
  height = gtk_widget_get_height (GTK_WIDGET (fx->window));
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (fx->window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, png));
  pixels = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, pixels, width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      /* Luminance of each pixel (BGRA in memory, alpha ignored). */
      double l = 0.114 * pixels[4 * i] + 0.587 * pixels[4 * i + 1] + 0.299 * pixels[4 * i + 2];
      sum += l;
      sum2 += l * l;
    }
  variance = sum2 / ((double) width * height) - (sum / ((double) width * height))
             * (sum / ((double) width * height));
  g_test_message ("%s: %dx%d, luminance variance %.1f", png, width, height, variance);
  g_assert_cmpfloat (variance, >, 50.0);
}

/* ---- tests ---- */

static void
test_run_backward_step (Fixture *fx, gconstpointer data)
{
  GListModel *grads, *changes, *history;
  GtkTreeListModel *tree;
  g_autofree char *output = NULL;
  AfsParamChange *change;

  add_sentiment_rules (fx);
  g_assert_true (action_enabled (fx, "run"));
  g_assert_false (action_enabled (fx, "stop"));
  /* The optimizer panel shows the session's own TGD settings. */
  {
    g_auto(GStrv) constraints = afs_optimizer_panel_dup_constraints (
      afs_run_controller_get_optimizer_panel (fx->controller));
    g_assert_cmpuint (g_strv_length (constraints), ==, 1);
    g_assert_cmpstr (constraints[0], ==, "Keep the prompt under 40 words.");
  }

  /* Run (F5) through the window's action. */
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);
  g_assert_cmpint (canvas_state (fx, fx->chat), ==, AFS_RUN_STATE_DONE);
  g_assert_cmpint (canvas_state (fx, fx->eval), ==, AFS_RUN_STATE_DONE);
  g_assert_nonnull (strstr (afs_run_controller_get_usage_text (fx->controller), "tokens"));
  afs_run_controller_focus_node (fx->controller, fx->chat);
  output = afs_output_panel_dup_text (afs_run_controller_get_output_panel (fx->controller));
  g_assert_nonnull (strstr (output, "Positive."));
  g_assert_nonnull (strstr (output, "tokens"));
  afs_run_controller_focus_node (fx->controller, 0);

  /* Backward through the application action, as gapplication would. */
  activate_and_wait (fx, TRUE, "backward-with-feedback",
                     g_variant_new_string ("Labels must match exactly."));
  g_assert_true (fx->ok);
  g_assert_cmpstr (fx->operation, ==, "backward");
  /* The panels show the prompt's gradients (nothing was selected). */
  grads = afs_gradients_panel_get_model (afs_run_controller_get_gradients_panel (fx->controller));
  g_assert_cmpuint (g_list_model_get_n_items (grads), >=, 1);
  for (guint i = 0; i < g_list_model_get_n_items (grads); i++)
    {
      g_autoptr(AfnVariable) grad = g_list_model_get_item (grads, i);
      g_autofree char *text = afs_dup_variable_text (grad);
      g_autofree char *origin = afs_gradients_panel_dup_origin (
        afs_run_controller_get_gradients_panel (fx->controller), i);

      g_assert_nonnull (strstr (text, FEEDBACK));
      g_assert_nonnull (afn_variable_get_role (grad));
      g_assert_nonnull (origin);
      g_assert_nonnull (strstr (origin, "Chat"));
    }
  /* The wires that carried feedback are marked. */
  {
    g_autoptr(GArray) links = afs_runner_dup_feedback_links (afs_run_controller_get_runner (fx->controller));
    g_assert_cmpuint (links->len, >, 0);
    for (guint i = 0; i < links->len; i++)
      g_assert_true (afs_canvas_get_link_highlight (AFS_CANVAS (fx->window->canvas),
                                                    g_array_index (links, guint, i)));
  }
  screenshot (fx, "run-ui-backward.png");

  /* grad_fn of the chat completion's answers: its backward node, with the
   * prompt's AccumulateGrad among the next functions. */
  afs_run_controller_focus_node (fx->controller, fx->chat);
  tree = afs_gradfn_panel_get_model (afs_run_controller_get_gradfn_panel (fx->controller));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tree)), >=, 2);
  {
    g_autoptr(GtkTreeListRow) root = g_list_model_get_item (G_LIST_MODEL (tree), 0);
    g_autoptr(AfsGradfnItem) item = gtk_tree_list_row_get_item (root);
    gboolean found = FALSE;
    guint found_at = 0;

    g_assert_cmpstr (afs_gradfn_item_get_label (item), ==, "ChatCompletionBackward0");
    for (guint i = 1; i < g_list_model_get_n_items (G_LIST_MODEL (tree)); i++)
      {
        g_autoptr(GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (tree), i);
        g_autoptr(AfsGradfnItem) child = gtk_tree_list_row_get_item (row);

        if (g_str_equal (afs_gradfn_item_get_label (child), "AccumulateGrad (system prompt)"))
          found = TRUE, found_at = i;
      }
    g_assert_true (found);
    /* Selecting it selects the prompt node and lights its wire. */
    gtk_single_selection_set_selected (afs_gradfn_panel_get_selection (
      afs_run_controller_get_gradfn_panel (fx->controller)), found_at);
    {
      g_autoptr(GArray) selected = afs_canvas_get_selected_nodes (AFS_CANVAS (fx->window->canvas));
      g_assert_cmpuint (selected->len, ==, 1);
      g_assert_cmpuint (g_array_index (selected, guint, 0), ==, fx->prompt);
    }
    /* The panels still show the chat completion's chain. */
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (tree)), >=, 2);
    afs_run_controller_show_page (fx->controller, "gradfn");
    screenshot (fx, "run-ui-gradfn.png");
  }

  /* Step (F7): the prompt changes; the diff shows what. */
  activate_and_wait (fx, FALSE, "step", NULL);
  g_assert_true (fx->ok);
  g_assert_cmpstr (afs_graph_node_get_string (afs_document_get_node (fx->doc, fx->prompt), "data", NULL),
                   ==, PROMPT_AFTER);
  changes = afs_optimizer_panel_get_changes (afs_run_controller_get_optimizer_panel (fx->controller));
  g_assert_cmpuint (g_list_model_get_n_items (changes), ==, 1);
  change = g_list_model_get_item (changes, 0);
  {
    g_autofree char *plain = afs_param_change_dup_diff_plain (change);
    g_autoptr(GArray) segs = afs_word_diff (afs_param_change_get_before (change),
                                            afs_param_change_get_after (change));
    g_autoptr(GString) before = g_string_new (NULL), after = g_string_new (NULL);

    g_test_message ("diff: %s", plain);
    g_assert_nonnull (strstr (plain, "{+"));
    g_assert_nonnull (strstr (plain, "lowercase"));
    g_assert_true (g_str_has_prefix (plain, "Classify the sentiment of the "));
    /* The segments rebuild both texts. */
    for (guint i = 0; i < segs->len; i++)
      {
        AfsDiffSegment *s = &g_array_index (segs, AfsDiffSegment, i);
        if (s->kind != AFS_DIFF_INSERT)
          g_string_append (before, s->text);
        if (s->kind != AFS_DIFF_DELETE)
          g_string_append (after, s->text);
      }
    g_assert_cmpstr (before->str, ==, PROMPT_BEFORE);
    g_assert_cmpstr (after->str, ==, PROMPT_AFTER);
    g_assert_nonnull (strstr (afs_param_change_get_feedback (change), FEEDBACK));
  }
  /* The prompt's history, shown when it is selected. */
  afs_run_controller_focus_node (fx->controller, fx->prompt);
  history = afs_optimizer_panel_get_history (afs_run_controller_get_optimizer_panel (fx->controller));
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 1);
  screenshot (fx, "run-ui-step.png");

  /* Undo Step restores the value and marks the change undone. */
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "undo-step", NULL);
  test_iterate_pending ();
  g_assert_cmpstr (afs_graph_node_get_string (afs_document_get_node (fx->doc, fx->prompt), "data", NULL),
                   ==, PROMPT_BEFORE);
  g_assert_true (afs_param_change_get_undone (change));
  g_object_unref (change);
}

static gboolean
chat_running (gpointer data)
{
  Fixture *fx = data;
  return canvas_state (fx, fx->chat) == AFS_RUN_STATE_RUNNING;
}

/* The model server never answers: only Stop can end the operation. */
static void
hang_server (Fixture *fx)
{
  FakeRule hang = { .match = FAKE_MATCH_ALWAYS, .fault = FAKE_FAULT_HANG };

  fake_server_clear_rules (fx->server);
  fake_server_add_rule (fx->server, &hang);
}

static gboolean
backward_running (gpointer data)
{
  Fixture *fx = data;
  return canvas_state (fx, fx->chat) == AFS_RUN_STATE_RUNNING
         || canvas_state (fx, fx->eval) == AFS_RUN_STATE_RUNNING;
}

static void
test_stop_mid_run (Fixture *fx, gconstpointer data)
{
  hang_server (fx);
  fx->finished = FALSE;
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "run", NULL);
  g_assert_true (wait_for (chat_running, fx));
  g_assert_true (afs_run_controller_get_busy (fx->controller));
  g_assert_true (action_enabled (fx, "stop"));
  g_assert_false (action_enabled (fx, "run"));
  screenshot (fx, "run-ui-running.png");
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "stop", NULL);
  g_assert_true (wait_for (is_finished, fx));
  g_assert_false (fx->ok);
  g_assert_false (afs_run_controller_get_busy (fx->controller));
  g_assert_cmpint (canvas_state (fx, fx->chat), !=, AFS_RUN_STATE_RUNNING);
  g_assert_cmpint (canvas_state (fx, fx->prompt), ==, AFS_RUN_STATE_DONE);
  g_assert_true (action_enabled (fx, "run"));
  g_assert_false (action_enabled (fx, "stop"));

  /* A backward can be stopped too; no gradient is kept. */
  fake_server_clear_rules (fx->server);
  add_sentiment_rules (fx);
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);
  hang_server (fx);
  fx->finished = FALSE;
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "backward-with-feedback",
                                  g_variant_new_string (""));
  g_assert_true (wait_for (backward_running, fx));
  g_assert_true (afs_run_controller_get_busy (fx->controller));
  g_assert_true (action_enabled (fx, "stop"));
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "stop", NULL);
  g_assert_true (wait_for (is_finished, fx));
  g_assert_cmpstr (fx->operation, ==, "backward");
  g_assert_false (fx->ok);
  g_assert_false (backward_running (fx));
  g_assert_cmpuint (g_list_model_get_n_items (
    afs_runner_get_grads (afs_run_controller_get_runner (fx->controller), fx->prompt, "output")), ==, 0);
}

static void
test_server_error (Fixture *fx, gconstpointer data)
{
  FakeRule fail = { .match = FAKE_MATCH_ALWAYS, .fault = FAKE_FAULT_STATUS, .status = 400,
                    .error_message = "The model `gpt-4o-mini` is overloaded" };
  AfsUndoStack *stack = afs_document_get_undo_stack (fx->doc);
  g_autoptr(GError) error = NULL;
  AfsGraphNode *added;
  g_autofree char *output = NULL;

  fake_server_add_rule (fx->server, &fail);
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_false (fx->ok);
  g_assert_cmpint (canvas_state (fx, fx->chat), ==, AFS_RUN_STATE_ERROR);
  g_assert_cmpint (canvas_state (fx, fx->prompt), ==, AFS_RUN_STATE_DONE);
  /* The reason is on the node (its preview line) and in the output panel. */
  afs_run_controller_focus_node (fx->controller, fx->chat);
  output = afs_output_panel_dup_text (afs_run_controller_get_output_panel (fx->controller));
  g_assert_nonnull (strstr (output, "overloaded"));
  {
    /* The canvas draws the message in place of the node's preview. */
    NodeView *view = afs_canvas_view (AFS_CANVAS (fx->window->canvas), fx->chat);
    g_assert_nonnull (view->message);
    g_assert_nonnull (strstr (view->message, "overloaded"));
  }
  /* and in the node's tooltip. */
  {
    g_autofree char *tip = afs_run_controller_dup_node_tooltip (fx->controller, fx->chat);
    g_autofree char *done = afs_run_controller_dup_node_tooltip (fx->controller, fx->prompt);
    g_assert_nonnull (tip);
    g_assert_true (g_str_has_prefix (tip, "Error: "));
    g_assert_nonnull (strstr (tip, "overloaded"));
    g_assert_cmpstr (done, ==, "Done");
  }

  /* The graph stays editable, with undo. */
  added = afs_document_add_node (fx->doc, "variable", 10, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (added);
  g_assert_true (afs_undo_stack_can_undo (stack));
  g_assert_true (afs_document_undo (fx->doc));
  g_assert_true (action_enabled (fx, "run"));

  /* And it runs once the server is well again. */
  fake_server_clear_rules (fx->server);
  add_sentiment_rules (fx);
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);
  g_assert_cmpint (canvas_state (fx, fx->chat), ==, AFS_RUN_STATE_DONE);
}

static void
test_reuse_and_clear (Fixture *fx, gconstpointer data)
{
  guint requests;
  g_autofree char *output = NULL;

  add_sentiment_rules (fx);
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);
  requests = fake_server_get_request_count (fx->server);

  /* Nothing changed: the second run reuses every result. */
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, requests);
  afs_run_controller_focus_node (fx->controller, fx->chat);
  output = afs_output_panel_dup_text (afs_run_controller_get_output_panel (fx->controller));
  g_assert_nonnull (strstr (output, "reused"));
  {
    g_autofree char *tip = afs_run_controller_dup_node_tooltip (fx->controller, fx->chat);
    g_assert_true (g_str_has_prefix (tip, "Cached result reused"));
    g_assert_nonnull (strstr (tip, "tokens"));
  }

  /* Clear Cached Results: the next run asks the model again. */
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "clear-cache", NULL);
  test_iterate_pending ();
  g_assert_cmpint (canvas_state (fx, fx->chat), ==, AFS_RUN_STATE_NONE);
  activate_and_wait (fx, FALSE, "run-to", g_variant_new_uint32 (fx->chat));
  g_assert_true (fx->ok);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), >, requests);
  g_assert_cmpint (canvas_state (fx, fx->chat), ==, AFS_RUN_STATE_DONE);
  g_assert_cmpint (canvas_state (fx, fx->eval), ==, AFS_RUN_STATE_NONE);
}

static AdwMessageDialog *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

static GtkTextView *
find_text_view (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkTextView *found = GTK_IS_TEXT_VIEW (c) ? GTK_TEXT_VIEW (c) : find_text_view (c);
      if (found)
        return found;
    }
  return NULL;
}

/* Backward (F6) asks for feedback in a dialog; typed text becomes the
 * starting gradient, shown as "your feedback". */
static void
test_backward_dialog (Fixture *fx, gconstpointer data)
{
  AdwMessageDialog *dialog;
  GtkTextView *view;
  GListModel *grads;
  gboolean found = FALSE;

  add_sentiment_rules (fx);
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);

  /* Cancel changes nothing. */
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "backward", NULL);
  test_iterate_pending ();
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "cancel");
  test_iterate_pending ();
  g_assert_false (afs_run_controller_get_busy (fx->controller));

  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "backward", NULL);
  test_iterate_pending ();
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  view = find_text_view (GTK_WIDGET (dialog));
  g_assert_nonnull (view);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), "Only lowercase labels count.", -1);
  fx->finished = FALSE;
  adw_message_dialog_response (dialog, "backward");
  g_assert_true (wait_for (is_finished, fx));
  g_assert_true (fx->ok);

  /* The evaluator's explanation holds the user's words. */
  afs_run_controller_focus_node (fx->controller, fx->eval);
  grads = afs_gradients_panel_get_model (afs_run_controller_get_gradients_panel (fx->controller));
  for (guint i = 0; i < g_list_model_get_n_items (grads); i++)
    {
      g_autoptr(AfnVariable) grad = g_list_model_get_item (grads, i);
      g_autofree char *text = afs_dup_variable_text (grad);
      g_autofree char *origin = afs_gradients_panel_dup_origin (
        afs_run_controller_get_gradients_panel (fx->controller), i);

      if (strstr (text, "Only lowercase labels count."))
        {
          found = TRUE;
          g_assert_cmpstr (origin, ==, "your feedback");
        }
    }
  g_assert_true (found);
}

static gboolean
window_idle (gpointer data)
{
  return !afs_window_get_busy (data);
}

/* Record mode keeps the replies in the session; the saved session then
 * replays them with no server at all. The mode selector drives the runner. */
static void
test_record_save_replay (Fixture *fx, gconstpointer data)
{
  GSettings *settings = afs_application_get_settings (app);
  GtkDropDown *selector = GTK_DROP_DOWN (afs_run_controller_get_mode_selector (fx->controller));
  AfsRunner *runner = afs_run_controller_get_runner (fx->controller);
  g_autofree char *dir = g_dir_make_tmp ("afs-run-ui-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "recorded.hf", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  FakeRule down = { .match = FAKE_MATCH_ALWAYS, .fault = FAKE_FAULT_SERVER_ERROR };
  AfsWindow *second;
  AfsRunController *controller2;
  gpointer weak;
  guint requests;

  add_sentiment_rules (fx);
  gtk_drop_down_set_selected (selector, 2);
  {
    g_autofree char *mode = g_settings_get_string (settings, "run-mode");
    g_assert_cmpstr (mode, ==, "record");
  }
  g_assert_cmpint (afs_model_settings_get_mode (afs_runner_get_settings (runner)), ==, AFS_RUN_MODE_RECORD);
  {
    g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (fx->window), "run-mode");
    g_assert_cmpstr (g_variant_get_string (state, NULL), ==, "record");
  }
  activate_and_wait (fx, FALSE, "run", NULL);
  g_assert_true (fx->ok);
  g_assert_cmpuint (afn_replay_client_get_n_recordings (afs_runner_get_recordings (runner)), >=, 3);

  afs_window_save_to_file (fx->window, file);
  g_assert_true (wait_for (window_idle, fx->window));
  g_assert_true (g_file_query_exists (file, NULL));

  /* The server is down now: replay must not need it. */
  fake_server_clear_rules (fx->server);
  fake_server_add_rule (fx->server, &down);
  requests = fake_server_get_request_count (fx->server);
  g_action_group_activate_action (G_ACTION_GROUP (fx->window), "run-mode", g_variant_new_string ("replay"));
  g_assert_cmpuint (gtk_drop_down_get_selected (selector), ==, 1);

  second = afs_window_new (app);
  gtk_window_present (GTK_WINDOW (second));
  afs_window_open_file (second, file);
  g_assert_true (wait_for (window_idle, second));
  controller2 = AFS_RUN_CONTROLLER (afs_window_get_run_controller (second));
  fx->finished = FALSE;
  g_signal_connect (controller2, "finished", G_CALLBACK (finished_cb), fx);
  g_action_group_activate_action (G_ACTION_GROUP (second), "run", NULL);
  g_assert_true (wait_for (is_finished, fx));
  g_assert_true (fx->ok);
  g_assert_cmpuint (fake_server_get_request_count (fx->server), ==, requests);
  g_assert_cmpint (afs_canvas_get_node_run_state (AFS_CANVAS (second->canvas), fx->chat), ==,
                   AFS_RUN_STATE_DONE);

  weak = second;
  g_object_add_weak_pointer (G_OBJECT (second), &weak);
  second->close_confirmed = TRUE;
  gtk_window_destroy (GTK_WINDOW (second));
  g_assert_true (wait_for (is_null, &weak));
  g_unlink (path);
  g_rmdir (dir);
}

static char *
isolate_home (void)
{
  char *home = g_dir_make_tmp ("afs-run-ui-XXXXXX", NULL);
  const char *vars[] = { "HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME" };

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, vars[i], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (vars[i], dir, TRUE);
    }
  return home;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = isolate_home ();
  int ret;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
  g_test_init (&argc, &argv, NULL);
  app = afs_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  /* No first-run demo window. */
  g_settings_set_boolean (afs_application_get_settings (app), "first-run", FALSE);

#define ADD(name, fn) g_test_add ("/studio/run-ui/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("run-backward-step-undo", test_run_backward_step);
  ADD ("stop-mid-run", test_stop_mid_run);
  ADD ("server-error", test_server_error);
  ADD ("reuse-and-clear", test_reuse_and_clear);
  ADD ("backward-dialog", test_backward_dialog);
  ADD ("record-save-replay", test_record_save_replay);
  ret = g_test_run ();
  g_object_unref (app);
  return ret;
}
