/* afs-run-controller.c: ties an AfsRunner to a window: actions, canvas
 * decorations, run panels, mode selector, status bar.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-api-key.h"
#include "afs-canvas-private.h"
#include "afs-panel-util.h"
#include "afs-run-controller.h"

struct _AfsRunController
{
  GObject parent_instance;

  GtkWindow        *window;       /* weak */
  AfsCanvas        *canvas;       /* weak */
  AfsDocument      *document;
  GSettings        *settings;
  AfsModelSettings *model_settings;
  AfsRunner        *runner;
  GCancellable     *op_cancellable;   /* the running operation */
  GCancellable     *life;             /* cancelled on dispose */
  char             *operation;        /* "run", "backward", "step" while busy */
  guint             tick_id;
  guint             focused;          /* node shown in the panels */
  const char       *focused_port;
  gboolean          selecting;        /* a programmatic canvas selection */
  char             *usage_text;

  GtkWidget        *side;
  GtkWidget        *stack;
  GtkWidget        *output;
  GtkWidget        *gradients;
  GtkWidget        *gradfn;
  GtkWidget        *optimizer;
  GtkWidget        *status_bar;
  GtkWidget        *status_label;
  GtkWidget        *usage_label;
  GtkWidget        *spinner;
  GtkWidget        *mode_selector;
  GtkWidget        *menu;             /* the canvas context menu, while open */
};

enum { PROP_0, PROP_BUSY, N_PROPS };
static GParamSpec *props[N_PROPS];
enum { FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AfsRunController, afs_run_controller, G_TYPE_OBJECT)

/* ---- helpers ---- */

static void
set_status (AfsRunController *self, const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->status_label), text ? text : "");
}

static char *
node_title (AfsRunController *self, guint id)
{
  AfsGraphNode *node = afs_document_get_node (self->document, id);

  return node ? afs_graph_node_dup_title (node) : g_strdup_printf ("#%u", id);
}

static const char *
first_output (AfsGraphNode *node)
{
  GPtrArray *outputs = afs_graph_node_get_outputs (node);

  return outputs->len > 0 ? ((AfsPort *) outputs->pdata[0])->name : NULL;
}

static gboolean
is_kind (AfsGraphNode *node, const char *suffix)
{
  return g_str_has_suffix (afs_node_kind_get_id (afs_graph_node_get_kind (node)), suffix);
}

static void
set_enabled (AfsRunController *self, const char *name, gboolean enabled)
{
  GAction *action;

  if (!self->window)
    return;
  action = g_action_map_lookup_action (G_ACTION_MAP (self->window), name);
  if (G_IS_SIMPLE_ACTION (action))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_actions (AfsRunController *self)
{
  static const char * const idle_actions[] = {
    "run", "run-to", "run-from", "backward", "backward-with-feedback", "backward-from",
    "step", "undo-step", "clear-cache",
  };
  gboolean busy = afs_runner_get_busy (self->runner);

  for (guint i = 0; i < G_N_ELEMENTS (idle_actions); i++)
    set_enabled (self, idle_actions[i], !busy);
  set_enabled (self, "stop", busy);
}

/* ---- canvas decorations ---- */

static AfsRunState
canvas_state (AfsNodeRun *run, const char **message)
{
  AfsBackwardState bstate = afs_node_run_get_backward_state (run);

  *message = afs_node_run_get_message (run);
  switch (bstate)
    {
    case AFS_BACKWARD_STATE_WAITING: return AFS_RUN_STATE_QUEUED;
    case AFS_BACKWARD_STATE_RUNNING: return AFS_RUN_STATE_RUNNING;
    case AFS_BACKWARD_STATE_ERROR: return AFS_RUN_STATE_ERROR;
    case AFS_BACKWARD_STATE_DONE:
    case AFS_BACKWARD_STATE_NONE:
    default:
      break;
    }
  switch (afs_node_run_get_state (run))
    {
    case AFS_NODE_STATE_QUEUED: return AFS_RUN_STATE_QUEUED;
    case AFS_NODE_STATE_RUNNING: return AFS_RUN_STATE_RUNNING;
    case AFS_NODE_STATE_DONE:
    case AFS_NODE_STATE_REUSED: return AFS_RUN_STATE_DONE;
    case AFS_NODE_STATE_ERROR: return AFS_RUN_STATE_ERROR;
    case AFS_NODE_STATE_IDLE:
    default: return AFS_RUN_STATE_NONE;
    }
}

static void
sync_node (AfsRunController *self, guint id)
{
  AfsGraphNode *node = afs_document_get_node (self->document, id);
  AfsNodeRun *run;
  const char *message = NULL, *port;
  AfsRunState state;
  g_autofree char *preview = NULL;
  g_autoptr(GString) line = g_string_new (NULL);

  if (!node || !self->canvas)
    return;
  run = afs_runner_get_node_run (self->runner, id);
  if (!run)
    return;
  state = canvas_state (run, &message);
  port = first_output (node);
  preview = port ? afs_node_run_dup_preview (run, port, 48) : NULL;
  /* Reused results are marked so that the user sees what was not recomputed. */
  if (afs_node_run_get_state (run) == AFS_NODE_STATE_REUSED)
    g_string_append (line, "↺ ");
  if (preview)
    g_string_append (line, preview);
  if (afs_node_run_get_total_tokens (run) > 0)
    g_string_append_printf (line, "%s%" G_GINT64_FORMAT " tok · $%.4f", line->len ? " · " : "",
                            afs_node_run_get_total_tokens (run), afs_node_run_get_cost (run));
  afs_canvas_set_node_run_state (self->canvas, id, state, message);
  afs_canvas_set_node_output_preview (self->canvas, id, line->len ? line->str : NULL);
}

static void
sync_all_nodes (AfsRunController *self)
{
  GPtrArray *nodes = afs_document_get_nodes (self->document);

  for (guint i = 0; i < nodes->len; i++)
    sync_node (self, afs_graph_node_get_id (nodes->pdata[i]));
}

static void
highlight_feedback_links (AfsRunController *self)
{
  g_autoptr(GArray) links = afs_runner_dup_feedback_links (self->runner);
  GPtrArray *all = afs_document_get_links (self->document);

  if (!self->canvas)
    return;
  for (guint i = 0; i < all->len; i++)
    afs_canvas_set_link_highlight (self->canvas, afs_link_get_id (all->pdata[i]), FALSE);
  for (guint i = 0; i < links->len; i++)
    afs_canvas_set_link_highlight (self->canvas, g_array_index (links, guint, i), TRUE);
}

static gboolean
tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  /* The canvas draws running nodes' spinners from the frame time. */
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static void
set_ticking (AfsRunController *self, gboolean on)
{
  if (on && !self->tick_id && self->canvas)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->canvas), tick_cb, NULL, NULL);
  else if (!on && self->tick_id)
    {
      if (self->canvas)
        gtk_widget_remove_tick_callback (GTK_WIDGET (self->canvas), self->tick_id);
      self->tick_id = 0;
    }
}

/* ---- panels ---- */

static char *
grad_origin_cb (AfnVariable *grad, guint position, gpointer user_data)
{
  AfsRunController *self = user_data;
  guint source;
  g_autofree char *title = NULL;

  if (!self->focused || !self->focused_port)
    return NULL;
  source = afs_runner_get_grad_source (self->runner, self->focused, self->focused_port, position);
  if (source == 0)
    return g_strdup (_("your feedback"));
  title = node_title (self, source);
  return g_strdup (title);
}

static const char *
choose_port (AfsRunController *self, AfsGraphNode *node)
{
  GPtrArray *outputs = afs_graph_node_get_outputs (node);
  guint id = afs_graph_node_get_id (node);

  /* The first output that received gradients, else the first one. */
  for (guint i = 0; i < outputs->len; i++)
    {
      const char *port = ((AfsPort *) outputs->pdata[i])->name;
      GListModel *grads = afs_runner_get_grads (self->runner, id, port);

      if (grads && g_list_model_get_n_items (grads) > 0)
        return port;
    }
  return first_output (node);
}

static void
refresh_panels (AfsRunController *self)
{
  AfsGraphNode *node = self->focused ? afs_document_get_node (self->document, self->focused) : NULL;
  AfnVariable *var = NULL;
  g_autofree char *title = NULL;

  if (!node)
    self->focused = 0;
  self->focused_port = node ? choose_port (self, node) : NULL;
  if (node && self->focused_port)
    var = afs_runner_get_output (self->runner, self->focused, self->focused_port);
  if (node)
    {
      g_autofree char *name = afs_graph_node_dup_title (node);
      title = g_strdup_printf ("%s — %s", name, self->focused_port ? self->focused_port : "");
    }
  afs_output_panel_set_node (AFS_OUTPUT_PANEL (self->output), self->runner, self->focused);
  afs_gradients_panel_set_variable (AFS_GRADIENTS_PANEL (self->gradients), var, title);
  if (afs_gradfn_panel_get_variable (AFS_GRADFN_PANEL (self->gradfn)) != var)
    afs_gradfn_panel_set_variable (AFS_GRADFN_PANEL (self->gradfn), var);
  afs_optimizer_panel_set_node (AFS_OPTIMIZER_PANEL (self->optimizer),
                                node && is_kind (node, "parameter") ? self->focused : 0);
}

void
afs_run_controller_focus_node (AfsRunController *self, guint node_id)
{
  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  self->focused = node_id;
  refresh_panels (self);
}

static void
selection_changed_cb (AfsCanvas *canvas, AfsRunController *self)
{
  g_autoptr(GArray) selected = NULL;

  if (self->selecting)
    return;
  selected = afs_canvas_get_selected_nodes (canvas);
  afs_run_controller_focus_node (self, selected->len > 0 ? g_array_index (selected, guint, 0) : 0);
}

static void
gradfn_node_selected_cb (AfsGradfnPanel *panel, AfnNode *node, AfsRunController *self)
{
  guint id = node ? afs_runner_lookup_engine_node (self->runner, node) : 0;
  g_autoptr(GPtrArray) links = NULL;
  GPtrArray *all = afs_document_get_links (self->document);

  if (!self->canvas)
    return;
  if (!id)
    {
      highlight_feedback_links (self);
      return;
    }
  /* Highlight the node (selected) and its wires, without refocusing. */
  for (guint i = 0; i < all->len; i++)
    afs_canvas_set_link_highlight (self->canvas, afs_link_get_id (all->pdata[i]), FALSE);
  links = afs_document_dup_node_links (self->document, id);
  for (guint i = 0; links && i < links->len; i++)
    afs_canvas_set_link_highlight (self->canvas, afs_link_get_id (links->pdata[i]), TRUE);
  self->selecting = TRUE;
  afs_canvas_select_nodes (self->canvas, &id, 1, FALSE);
  self->selecting = FALSE;
}

static void
update_usage (AfsRunController *self)
{
  AfnUsage last = { 0 }, total = { 0 };
  g_autofree char *l = NULL, *t = NULL;

  afs_runner_get_last_usage (self->runner, &last);
  afs_runner_get_total_usage (self->runner, &total);
  l = afs_format_usage (last.total_tokens, last.cost_usd);
  t = afs_format_usage (total.total_tokens, total.cost_usd);
  g_free (self->usage_text);
  /* Translators: token and cost figures of the last operation, then of the session. */
  self->usage_text = g_strdup_printf (_("Last: %s   Total: %s"), l, t);
  gtk_label_set_text (GTK_LABEL (self->usage_label), self->usage_text);
}

static void
update_progress (AfsRunController *self)
{
  GPtrArray *nodes = afs_document_get_nodes (self->document);
  guint total = 0, done = 0, failed = 0;
  g_autofree char *text = NULL;
  gboolean backward = g_strcmp0 (self->operation, "backward") == 0;

  if (!self->operation)
    return;
  for (guint i = 0; i < nodes->len; i++)
    {
      AfsNodeRun *run = afs_runner_get_node_run (self->runner,
                                                 afs_graph_node_get_id (nodes->pdata[i]));
      if (!run)
        continue;
      if (backward)
        {
          AfsBackwardState s = afs_node_run_get_backward_state (run);
          total += s != AFS_BACKWARD_STATE_NONE;
          done += s == AFS_BACKWARD_STATE_DONE;
          failed += s == AFS_BACKWARD_STATE_ERROR;
        }
      else
        {
          AfsNodeState s = afs_node_run_get_state (run);
          total += s != AFS_NODE_STATE_IDLE;
          done += s == AFS_NODE_STATE_DONE || s == AFS_NODE_STATE_REUSED;
          failed += s == AFS_NODE_STATE_ERROR;
        }
    }
  if (g_str_equal (self->operation, "step"))
    text = g_strdup (_("Optimizer step: asking the optimizer model…"));
  else if (backward)
    text = g_strdup_printf (_("Backward: %u of %u nodes done"), done + failed, total);
  else
    text = g_strdup_printf (_("Running: %u of %u nodes done"), done + failed, total);
  set_status (self, text);
}

static void
node_state_changed_cb (AfsRunner *runner, guint id, AfsRunController *self)
{
  sync_node (self, id);
  update_progress (self);
  if (id == self->focused)
    refresh_panels (self);
}

static void
busy_changed_cb (AfsRunner *runner, GParamSpec *pspec, AfsRunController *self)
{
  gboolean busy = afs_runner_get_busy (runner);

  update_actions (self);
  set_ticking (self, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (self->spinner), busy);
  gtk_widget_set_visible (self->spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BUSY]);
}

static void
usage_changed_cb (AfsRunner *runner, GParamSpec *pspec, AfsRunController *self)
{
  update_usage (self);
}

/* ---- operations ---- */

static GCancellable *
begin (AfsRunController *self, const char *operation)
{
  g_clear_object (&self->op_cancellable);
  self->op_cancellable = g_cancellable_new ();
  g_free (self->operation);
  self->operation = g_strdup (operation);
  update_progress (self);
  return self->op_cancellable;
}

static void
end (AfsRunController *self, const char *operation, GError *error, const char *success)
{
  g_autofree char *message = NULL;

  g_clear_pointer (&self->operation, g_free);
  if (!error)
    set_status (self, success);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_status (self, _("Stopped"));
  else
    {
      message = g_strdup (error->message);
      set_status (self, message);
    }
  update_usage (self);
  refresh_panels (self);
  g_signal_emit (self, signals[FINISHED], 0, operation, error == NULL,
                 error ? error->message : NULL);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AfsRunController) self = user_data;
  g_autoptr(GError) error = NULL;

  afs_runner_run_finish (AFS_RUNNER (source), result, &error);
  if (g_cancellable_is_cancelled (self->life))
    return;
  sync_all_nodes (self);
  end (self, "run", error, _("Run finished"));
}

void
afs_run_controller_run (AfsRunController *self, AfsRunScope scope, guint node_id)
{
  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  if (afs_runner_get_busy (self->runner))
    return;
  afs_runner_run_async (self->runner, scope, node_id, begin (self, "run"), run_done_cb,
                        g_object_ref (self));
}

guint
afs_run_controller_find_backward_source (AfsRunController *self, const char **port)
{
  GPtrArray *nodes = afs_document_get_nodes (self->document);
  g_autoptr(GArray) selected = self->canvas ? afs_canvas_get_selected_nodes (self->canvas) : NULL;
  guint best = 0;

  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), 0);
  /* The selected node with a result; else an evaluator; else a node
   * whose outputs go nowhere. */
  if (selected && selected->len > 0)
    best = g_array_index (selected, guint, 0);
  if (!best || !afs_runner_get_output (self->runner, best,
                                       first_output (afs_document_get_node (self->document, best)) ?: ""))
    {
      best = 0;
      for (guint i = 0; i < nodes->len && !best; i++)
        if (is_kind (nodes->pdata[i], "evaluator"))
          best = afs_graph_node_get_id (nodes->pdata[i]);
      for (guint i = nodes->len; i-- > 0 && !best;)
        {
          g_autoptr(GPtrArray) links = afs_document_dup_node_links (self->document,
                                                                    afs_graph_node_get_id (nodes->pdata[i]));
          gboolean feeds = FALSE;

          for (guint j = 0; links && j < links->len; j++)
            feeds |= afs_link_get_source (links->pdata[j]) == afs_graph_node_get_id (nodes->pdata[i]);
          if (!feeds && first_output (nodes->pdata[i]))
            best = afs_graph_node_get_id (nodes->pdata[i]);
        }
    }
  if (port)
    {
      AfsGraphNode *node = best ? afs_document_get_node (self->document, best) : NULL;

      *port = NULL;
      if (node)
        *port = afs_graph_node_find_port (node, AFS_PORT_OUTPUT, "explanation")
                ? g_intern_static_string ("explanation") : first_output (node);
    }
  return best;
}

static void
backward_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AfsRunController) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *nodes;

  afs_runner_backward_finish (AFS_RUNNER (source), result, &error);
  if (g_cancellable_is_cancelled (self->life))
    return;
  sync_all_nodes (self);
  if (!error)
    {
      highlight_feedback_links (self);
      /* Show where the feedback arrived: the first Parameter, if nothing
       * is selected. */
      nodes = afs_document_get_nodes (self->document);
      for (guint i = 0; i < nodes->len && !self->focused; i++)
        if (is_kind (nodes->pdata[i], "parameter"))
          self->focused = afs_graph_node_get_id (nodes->pdata[i]);
      afs_run_controller_show_page (self, "gradients");
    }
  end (self, "backward", error, _("Backward finished: gradients are in the Gradients panel"));
}

void
afs_run_controller_backward (AfsRunController *self, guint node_id, const char *feedback)
{
  const char *port = NULL;

  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  if (afs_runner_get_busy (self->runner))
    return;
  if (node_id == 0)
    node_id = afs_run_controller_find_backward_source (self, &port);
  else
    {
      AfsGraphNode *node = afs_document_get_node (self->document, node_id);

      port = !node ? NULL
             : afs_graph_node_find_port (node, AFS_PORT_OUTPUT, "explanation")
             ? g_intern_static_string ("explanation") : first_output (node);
    }
  if (!node_id || !port)
    {
      g_autoptr(GError) error = g_error_new_literal (AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_RESULT,
                                                     _("Nothing to run backward from: run the graph first, then select an output."));
      end (self, "backward", error, NULL);
      return;
    }
  afs_runner_backward_async (self->runner, node_id, port, feedback, begin (self, "backward"),
                             backward_done_cb, g_object_ref (self));
}

static void
step_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AfsRunController) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GListModel *changes;

  afs_runner_step_finish (AFS_RUNNER (source), result, &error);
  if (g_cancellable_is_cancelled (self->life))
    return;
  changes = afs_runner_get_last_changes (self->runner);
  if (!error)
    {
      guint n = g_list_model_get_n_items (changes);
      g_autoptr(AfsParamChange) first = n > 0 ? g_list_model_get_item (changes, 0) : NULL;

      if (first)
        self->focused = afs_param_change_get_node_id (first);
      afs_run_controller_show_page (self, "optimizer");
      message = g_strdup_printf (ngettext ("Step applied: %u Parameter changed (Undo Step restores it)",
                                           "Step applied: %u Parameters changed (Undo Step restores them)", n), n);
    }
  sync_all_nodes (self);
  end (self, "step", error, message);
}

void
afs_run_controller_step (AfsRunController *self)
{
  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  if (afs_runner_get_busy (self->runner))
    return;
  afs_runner_step_async (self->runner, begin (self, "step"), step_done_cb, g_object_ref (self));
}

void
afs_run_controller_stop (AfsRunController *self)
{
  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  if (self->op_cancellable)
    g_cancellable_cancel (self->op_cancellable);
}

/* ---- the feedback dialog ---- */

static void
feedback_response_cb (AdwMessageDialog *dialog, const char *response, AfsRunController *self)
{
  GtkTextBuffer *buffer = g_object_get_data (G_OBJECT (dialog), "buffer");
  guint node_id = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "node"));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  if (!g_str_equal (response, "backward"))
    return;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_strstrip (text);
  afs_run_controller_backward (self, node_id, *text ? text : NULL);
}

static void
ask_feedback (AfsRunController *self, guint node_id)
{
  const char *port = NULL;
  g_autofree char *title = NULL, *heading = NULL;
  GtkWidget *dialog, *view, *scrolled;

  if (!node_id)
    node_id = afs_run_controller_find_backward_source (self, &port);
  if (!node_id)
    {
      afs_run_controller_backward (self, 0, NULL);   /* reports why */
      return;
    }
  title = node_title (self, node_id);
  /* Translators: %s is a node's title. */
  heading = g_strdup_printf (_("Backward from “%s”"), title);
  dialog = adw_message_dialog_new (self->window, heading,
                                   _("Optionally type feedback about this output. It becomes the "
                                     "starting gradient; leave it empty to use the output's own "
                                     "explanation."));
  view = gtk_text_view_new ();
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Feedback"), -1);
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 100);
  gtk_widget_add_css_class (scrolled, "card");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "backward", _("_Backward"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "backward",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "backward");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data (G_OBJECT (dialog), "buffer", gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)));
  g_object_set_data (G_OBJECT (dialog), "node", GUINT_TO_POINTER (node_id));
  g_signal_connect_object (dialog, "response", G_CALLBACK (feedback_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (view);
}

/* ---- actions ---- */

static void
run_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_run_controller_run (user_data, AFS_RUN_ALL, 0);
}

static void
run_to_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_run_controller_run (user_data, AFS_RUN_TO, g_variant_get_uint32 (param));
}

static void
run_from_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_run_controller_run (user_data, AFS_RUN_FROM, g_variant_get_uint32 (param));
}

static void
backward_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ask_feedback (user_data, 0);
}

static void
backward_from_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  ask_feedback (user_data, g_variant_get_uint32 (param));
}

static void
backward_with_feedback_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  const char *text = g_variant_get_string (param, NULL);

  afs_run_controller_backward (user_data, 0, *text ? text : NULL);
}

static void
step_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_run_controller_step (user_data);
}

static void
undo_step_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  AfsRunController *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!afs_runner_undo_step (self->runner, &error))
    set_status (self, error->message);
  else
    set_status (self, _("Step undone: the previous values are back"));
  sync_all_nodes (self);
  refresh_panels (self);
}

static void
stop_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  afs_run_controller_stop (user_data);
}

static void
clear_cache_action_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  AfsRunController *self = user_data;

  afs_runner_clear_cache (self->runner);
  if (self->canvas)
    afs_canvas_clear_decorations (self->canvas);
  sync_all_nodes (self);
  refresh_panels (self);
  set_status (self, _("Cached results cleared: the next run recomputes every node"));
}

static const GActionEntry actions[] = {
  { "run", run_action_cb },
  { "run-to", run_to_action_cb, "u" },
  { "run-from", run_from_action_cb, "u" },
  { "backward", backward_action_cb },
  { "backward-from", backward_from_action_cb, "u" },
  { "backward-with-feedback", backward_with_feedback_action_cb, "s" },
  { "step", step_action_cb },
  { "undo-step", undo_step_action_cb },
  { "stop", stop_action_cb },
  { "clear-cache", clear_cache_action_cb },
};

/* ---- the canvas context menu ---- */

static gboolean
unparent_cb (gpointer data)
{
  if (gtk_widget_get_parent (data))
    gtk_widget_unparent (data);
  return G_SOURCE_REMOVE;
}

static void
menu_closed_cb (GtkPopover *popover, AfsRunController *self)
{
  /* Unparent later: the menu's action is activated after "closed". */
  g_idle_add_full (G_PRIORITY_DEFAULT, unparent_cb, g_object_ref (popover), g_object_unref);
  if (self->menu == GTK_WIDGET (popover))
    self->menu = NULL;
}

static GMenuItem *
node_item (const char *label, const char *action, guint id)
{
  GMenuItem *item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, g_variant_new_uint32 (id));
  return item;
}

static void
context_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y,
                    AfsRunController *self)
{
  double gx, gy;
  NodeView *view;
  guint id;
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();
  g_autoptr(GMenuItem) to = NULL, from = NULL, back = NULL;

  if (!self->canvas)
    return;
  afs_canvas_widget_to_graph (self->canvas, x, y, &gx, &gy);
  view = afs_canvas_node_at (self->canvas, gx, gy);
  id = view ? afs_graph_node_get_id (view->node) : 0;
  if (id)
    {
      afs_canvas_select_nodes (self->canvas, &id, 1, FALSE);
      to = node_item (_("Run to Here"), "win.run-to", id);
      from = node_item (_("Run from Here"), "win.run-from", id);
      back = node_item (_("Backward from Here…"), "win.backward-from", id);
      g_menu_append_item (menu, to);
      g_menu_append_item (menu, from);
      g_menu_append_item (menu, back);
    }
  else
    {
      g_menu_append (menu, _("Run"), "win.run");
      g_menu_append (menu, _("Backward…"), "win.backward");
    }
  g_menu_append (section, _("Clear Cached Results"), "win.clear-cache");
  g_menu_append_section (menu, NULL, G_MENU_MODEL (section));

  if (self->menu)
    gtk_popover_popdown (GTK_POPOVER (self->menu));
  self->menu = gtk_popover_menu_new_from_model (G_MENU_MODEL (menu));
  gtk_widget_set_parent (self->menu, GTK_WIDGET (self->canvas));
  gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &(GdkRectangle) { (int) x, (int) y, 1, 1 });
  g_signal_connect (self->menu, "closed", G_CALLBACK (menu_closed_cb), self);
  gtk_popover_popup (GTK_POPOVER (self->menu));
  gtk_popover_present (GTK_POPOVER (self->menu));
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* ---- node tooltips ---- */

char *
afs_run_controller_dup_node_tooltip (AfsRunController *self, guint node_id)
{
  AfsNodeRun *run;
  g_autofree char *usage = NULL;
  const char *state;

  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), NULL);
  run = afs_document_get_node (self->document, node_id)
        ? afs_runner_get_node_run (self->runner, node_id) : NULL;
  if (!run)
    return NULL;
  if (afs_node_run_get_backward_state (run) == AFS_BACKWARD_STATE_ERROR
      || afs_node_run_get_state (run) == AFS_NODE_STATE_ERROR)
    /* Translators: %s is the reason a node failed. */
    return g_strdup_printf (_("Error: %s"), afs_node_run_get_message (run)
                                            ? afs_node_run_get_message (run) : _("unknown"));
  switch (afs_node_run_get_state (run))
    {
    case AFS_NODE_STATE_QUEUED: state = _("Queued"); break;
    case AFS_NODE_STATE_RUNNING: state = _("Running…"); break;
    case AFS_NODE_STATE_DONE: state = _("Done"); break;
    case AFS_NODE_STATE_REUSED: state = _("Cached result reused: inputs and settings unchanged"); break;
    case AFS_NODE_STATE_IDLE:
    case AFS_NODE_STATE_ERROR:
    default: return NULL;
    }
  if (afs_node_run_get_total_tokens (run) <= 0)
    return g_strdup (state);
  usage = afs_format_usage (afs_node_run_get_total_tokens (run), afs_node_run_get_cost (run));
  return g_strdup_printf ("%s\n%s", state, usage);
}

static gboolean
query_tooltip_cb (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  AfsRunController *self)
{
  double gx, gy;
  NodeView *view;
  g_autofree char *text = NULL;

  if (keyboard || !self->canvas)
    return FALSE;
  afs_canvas_widget_to_graph (self->canvas, x, y, &gx, &gy);
  view = afs_canvas_node_at (self->canvas, gx, gy);
  text = view ? afs_run_controller_dup_node_tooltip (self, afs_graph_node_get_id (view->node)) : NULL;
  if (!text)
    return FALSE;   /* the canvas's own tooltip, if any */
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

/* ---- model settings ---- */

static void
api_key_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  char *key = afs_api_key_lookup_finish (result, &error);
  AfsRunController *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  if (error)
    set_status (self, error->message);
  afs_model_settings_set_api_key (self->model_settings, key);
  afs_api_key_free (key);
}

static void
refresh_api_key (AfsRunController *self)
{
  g_autofree char *url = g_settings_get_string (self->settings, "model-base-url");

  if (g_settings_get_enum (self->settings, "api-key-source") == 0)
    {
      /* The runner reads the variable itself ("api-key-env"). */
      afs_model_settings_set_api_key (self->model_settings, NULL);
      return;
    }
  afs_api_key_lookup_async (self->settings, url, self->life, api_key_cb, self);
}

static void
settings_changed_cb (GSettings *settings, const char *key, AfsRunController *self)
{
  if (g_str_equal (key, "api-key-source") || g_str_equal (key, "model-base-url"))
    refresh_api_key (self);
}

static void
bind_model_settings (AfsRunController *self)
{
  static const struct { const char *key, *prop; } map[] = {
    { "model-base-url", "base-url" },
    { "model-forward", "model" },
    { "model-backward", "backward-model" },
    { "model-optimizer", "optimizer-model" },
    { "model-temperature", "temperature" },
    { "model-concurrency", "concurrency" },
    { "api-key-variable", "api-key-env" },
    { "run-mode", "mode" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    g_settings_bind (self->settings, map[i].key, self->model_settings, map[i].prop,
                     G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb), self, 0);
  refresh_api_key (self);
}

static gboolean
mode_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  AfsRunMode mode = AFS_RUN_MODE_REPLAY;

  afs_run_mode_from_string (g_variant_get_string (variant, NULL), &mode);
  g_value_set_uint (value, mode);
  return TRUE;
}

static GVariant *
mode_set_mapping (const GValue *value, const GVariantType *type, gpointer user_data)
{
  guint i = g_value_get_uint (value);

  if (i > AFS_RUN_MODE_RECORD)
    return NULL;
  return g_variant_new_string (afs_run_mode_to_string (i));
}

/* ---- construction ---- */

static GtkWidget *
build_side_panel (AfsRunController *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *switcher = adw_view_switcher_new ();
  AdwViewStackPage *page;

  /* Wide enough for the five page names and readable gradients. */
  gtk_widget_set_size_request (box, 330, -1);
  self->stack = adw_view_stack_new ();
  gtk_widget_set_vexpand (self->stack, TRUE);
  self->output = afs_output_panel_new ();
  self->gradients = afs_gradients_panel_new ();
  self->gradfn = afs_gradfn_panel_new ();
  self->optimizer = afs_optimizer_panel_new (self->settings);
  afs_gradients_panel_set_origin_func (AFS_GRADIENTS_PANEL (self->gradients), grad_origin_cb,
                                       self, NULL);
  afs_optimizer_panel_set_runner (AFS_OPTIMIZER_PANEL (self->optimizer), self->runner);
  g_signal_connect_object (self->gradfn, "node-selected", G_CALLBACK (gradfn_node_selected_cb),
                           self, 0);

  page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->stack), self->output, "output", _("Output"));
  adw_view_stack_page_set_icon_name (page, "document-properties-symbolic");
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->stack), self->gradients, "gradients",
                                    _("Gradients"));
  adw_view_stack_page_set_icon_name (page, "mail-reply-sender-symbolic");
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->stack), self->gradfn, "gradfn", "grad_fn");
  adw_view_stack_page_set_icon_name (page, "view-list-symbolic");
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->stack), self->optimizer, "optimizer",
                                    _("Optimizer"));
  adw_view_stack_page_set_icon_name (page, "emblem-system-symbolic");

  adw_view_switcher_set_stack (ADW_VIEW_SWITCHER (switcher), ADW_VIEW_STACK (self->stack));
  adw_view_switcher_set_policy (ADW_VIEW_SWITCHER (switcher), ADW_VIEW_SWITCHER_POLICY_NARROW);
  gtk_box_append (GTK_BOX (box), switcher);
  gtk_box_append (GTK_BOX (box), self->stack);
  return box;
}

static GtkWidget *
build_status_bar (AfsRunController *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  gtk_widget_add_css_class (bar, "toolbar");
  self->spinner = gtk_spinner_new ();
  gtk_widget_set_visible (self->spinner, FALSE);
  self->status_label = gtk_label_new (_("Ready. Run the graph with F5."));
  gtk_label_set_xalign (GTK_LABEL (self->status_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->status_label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (self->status_label, TRUE);
  self->usage_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->usage_label, "numeric");
  gtk_widget_add_css_class (self->usage_label, "dim-label");
  gtk_box_append (GTK_BOX (bar), self->spinner);
  gtk_box_append (GTK_BOX (bar), self->status_label);
  gtk_box_append (GTK_BOX (bar), self->usage_label);
  return bar;
}

static GtkWidget *
build_mode_selector (AfsRunController *self)
{
  const char *modes[] = { _("Live"), _("Replay"), _("Record"), NULL };
  GtkWidget *dropdown = gtk_drop_down_new_from_strings (modes);

  gtk_widget_set_tooltip_text (dropdown, _("Live calls the model server; Replay answers from the "
                                           "session’s recordings, offline; Record calls the server "
                                           "and keeps the replies in the session"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Run mode"), -1);
  g_settings_bind_with_mapping (self->settings, "run-mode", dropdown, "selected",
                                G_SETTINGS_BIND_DEFAULT, mode_get_mapping, mode_set_mapping,
                                NULL, NULL);
  return dropdown;
}

AfsRunController *
afs_run_controller_new (GtkWindow *window, AfsCanvas *canvas, AfsDocument *document,
                        GSettings *settings)
{
  AfsRunController *self;
  g_autoptr(GAction) mode_action = NULL;
  GtkGesture *click;

  g_return_val_if_fail (GTK_IS_WINDOW (window) && G_IS_ACTION_MAP (window), NULL);
  g_return_val_if_fail (AFS_IS_CANVAS (canvas), NULL);
  g_return_val_if_fail (AFS_IS_DOCUMENT (document), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (AFS_TYPE_RUN_CONTROLLER, NULL);
  g_set_weak_pointer (&self->window, window);
  g_set_weak_pointer (&self->canvas, canvas);
  self->document = g_object_ref (document);
  self->settings = g_object_ref (settings);
  self->model_settings = afs_model_settings_new ();
  bind_model_settings (self);
  self->runner = afs_runner_new (document, self->model_settings);

  g_signal_connect_object (self->runner, "node-state-changed", G_CALLBACK (node_state_changed_cb),
                           self, 0);
  g_signal_connect_object (self->runner, "notify::busy", G_CALLBACK (busy_changed_cb), self, 0);
  g_signal_connect_object (self->runner, "notify::total-tokens", G_CALLBACK (usage_changed_cb),
                           self, 0);
  g_signal_connect_object (self->runner, "notify::total-cost", G_CALLBACK (usage_changed_cb),
                           self, 0);
  g_signal_connect_object (canvas, "selection-changed", G_CALLBACK (selection_changed_cb), self, 0);

  self->side = g_object_ref_sink (build_side_panel (self));
  self->status_bar = g_object_ref_sink (build_status_bar (self));
  self->mode_selector = g_object_ref_sink (build_mode_selector (self));

  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);
  mode_action = g_settings_create_action (settings, "run-mode");
  g_action_map_add_action (G_ACTION_MAP (window), mode_action);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect_object (click, "pressed", G_CALLBACK (context_pressed_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (canvas), GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_has_tooltip (GTK_WIDGET (canvas), TRUE);
  g_signal_connect_object (canvas, "query-tooltip", G_CALLBACK (query_tooltip_cb), self, 0);

  update_actions (self);
  update_usage (self);
  sync_all_nodes (self);
  refresh_panels (self);
  return self;
}

AfsRunner *
afs_run_controller_get_runner (AfsRunController *self)
{
  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), NULL);
  return self->runner;
}

gboolean
afs_run_controller_get_busy (AfsRunController *self)
{
  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), FALSE);
  return afs_runner_get_busy (self->runner);
}

GtkWidget *
afs_run_controller_get_side_panel (AfsRunController *self)
{
  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), NULL);
  return self->side;
}

GtkWidget *
afs_run_controller_get_status_bar (AfsRunController *self)
{
  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), NULL);
  return self->status_bar;
}

GtkWidget *
afs_run_controller_get_mode_selector (AfsRunController *self)
{
  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), NULL);
  return self->mode_selector;
}

void
afs_run_controller_set_inspector (AfsRunController *self, GtkWidget *inspector)
{
  AdwViewStackPage *page;

  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  page = adw_view_stack_add_titled (ADW_VIEW_STACK (self->stack), inspector, "inspector",
                                    _("Inspector"));
  adw_view_stack_page_set_icon_name (page, "preferences-other-symbolic");
  /* First in the switcher: move the other pages after it. */
  {
    static const char * const order[] = { "output", "gradients", "gradfn", "optimizer" };

    for (guint i = 0; i < G_N_ELEMENTS (order); i++)
      {
        GtkWidget *child = adw_view_stack_get_child_by_name (ADW_VIEW_STACK (self->stack), order[i]);
        AdwViewStackPage *p = adw_view_stack_get_page (ADW_VIEW_STACK (self->stack), child);
        g_autofree char *title = g_strdup (adw_view_stack_page_get_title (p));
        g_autofree char *icon = g_strdup (adw_view_stack_page_get_icon_name (p));

        g_object_ref (child);
        adw_view_stack_remove (ADW_VIEW_STACK (self->stack), child);
        p = adw_view_stack_add_titled (ADW_VIEW_STACK (self->stack), child, order[i], title);
        adw_view_stack_page_set_icon_name (p, icon);
        g_object_unref (child);
      }
  }
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (self->stack), "inspector");
}

void
afs_run_controller_show_page (AfsRunController *self, const char *name)
{
  g_return_if_fail (AFS_IS_RUN_CONTROLLER (self));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (self->stack), name);
}

AfsOutputPanel *
afs_run_controller_get_output_panel (AfsRunController *self)
{
  return AFS_OUTPUT_PANEL (self->output);
}

AfsGradientsPanel *
afs_run_controller_get_gradients_panel (AfsRunController *self)
{
  return AFS_GRADIENTS_PANEL (self->gradients);
}

AfsGradfnPanel *
afs_run_controller_get_gradfn_panel (AfsRunController *self)
{
  return AFS_GRADFN_PANEL (self->gradfn);
}

AfsOptimizerPanel *
afs_run_controller_get_optimizer_panel (AfsRunController *self)
{
  return AFS_OPTIMIZER_PANEL (self->optimizer);
}

const char *
afs_run_controller_get_usage_text (AfsRunController *self)
{
  g_return_val_if_fail (AFS_IS_RUN_CONTROLLER (self), NULL);
  return self->usage_text;
}

static void
afs_run_controller_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, afs_run_controller_get_busy (AFS_RUN_CONTROLLER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_run_controller_dispose (GObject *object)
{
  AfsRunController *self = AFS_RUN_CONTROLLER (object);

  g_cancellable_cancel (self->life);
  if (self->op_cancellable)
    g_cancellable_cancel (self->op_cancellable);
  set_ticking (self, FALSE);
  if (self->menu)
    {
      gtk_widget_unparent (self->menu);
      self->menu = NULL;
    }
  if (self->gradients)
    afs_gradients_panel_set_origin_func (AFS_GRADIENTS_PANEL (self->gradients), NULL, NULL, NULL);
  if (self->optimizer)
    afs_optimizer_panel_set_runner (AFS_OPTIMIZER_PANEL (self->optimizer), NULL);
  if (self->output)
    afs_output_panel_set_node (AFS_OUTPUT_PANEL (self->output), NULL, 0);
  g_clear_object (&self->side);
  g_clear_object (&self->status_bar);
  g_clear_object (&self->mode_selector);
  g_clear_weak_pointer (&self->window);
  g_clear_weak_pointer (&self->canvas);
  if (self->runner)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  g_clear_object (&self->runner);
  g_clear_object (&self->model_settings);
  g_clear_object (&self->settings);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (afs_run_controller_parent_class)->dispose (object);
}

static void
afs_run_controller_finalize (GObject *object)
{
  AfsRunController *self = AFS_RUN_CONTROLLER (object);

  g_clear_object (&self->op_cancellable);
  g_clear_object (&self->life);
  g_free (self->operation);
  g_free (self->usage_text);
  G_OBJECT_CLASS (afs_run_controller_parent_class)->finalize (object);
}

static void
afs_run_controller_class_init (AfsRunControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = afs_run_controller_get_property;
  object_class->dispose = afs_run_controller_dispose;
  object_class->finalize = afs_run_controller_finalize;

  props[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                           | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                    G_TYPE_STRING, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
afs_run_controller_init (AfsRunController *self)
{
  self->life = g_cancellable_new ();
}
