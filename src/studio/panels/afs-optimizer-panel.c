/* afs-optimizer-panel.c: TGD settings, step/undo, diffs and history.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "afs-optimizer-panel.h"
#include "afs-panel-util.h"
#include "afs-word-diff.h"

struct _AfsOptimizerPanel
{
  GtkWidget parent_instance;

  GSettings     *settings;
  AfsRunner     *runner;
  guint          node_id;
  GListStore    *empty;
  GtkTextBuffer *constraints;
  GBinding      *momentum_binding;
  gboolean       syncing;

  GtkWidget     *scrolled;
  GtkWidget     *momentum;
  GtkWidget     *model_row;
  GtkWidget     *changes_title;
  GtkWidget     *changes_list;
  GtkWidget     *history_title;
  GtkWidget     *history_list;
};

G_DEFINE_FINAL_TYPE (AfsOptimizerPanel, afs_optimizer_panel, GTK_TYPE_WIDGET)

char *
afs_param_change_dup_diff_markup (AfsParamChange *change)
{
  g_autoptr(GArray) segs = afs_word_diff (afs_param_change_get_before (change),
                                          afs_param_change_get_after (change));
  return afs_word_diff_to_markup (segs);
}

char *
afs_param_change_dup_diff_plain (AfsParamChange *change)
{
  g_autoptr(GArray) segs = afs_word_diff (afs_param_change_get_before (change),
                                          afs_param_change_get_after (change));
  return afs_word_diff_to_plain (segs);
}

GtkWidget *
afs_param_change_row_new (AfsParamChange *change, gboolean show_step)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autofree char *markup = afs_param_change_dup_diff_markup (change);
  g_autofree char *title = NULL;
  GtkWidget *label, *diff, *expander, *feedback;
  const char *fb = afs_param_change_get_feedback (change);

  if (show_step)
    title = g_strdup_printf (_("Step %u"), afs_param_change_get_step (change));
  else
    title = g_strdup (afs_param_change_get_role (change));
  if (afs_param_change_get_undone (change))
    {
      g_autofree char *t = g_strdup_printf (_("%s (undone)"), title);
      g_free (title);
      title = g_steal_pointer (&t);
      gtk_widget_add_css_class (box, "dim-label");
    }
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (head), label);
  gtk_box_append (GTK_BOX (head), afs_copy_button_new (afs_param_change_get_after (change)));
  gtk_box_append (GTK_BOX (box), head);

  diff = afs_text_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (diff), markup);
  gtk_widget_set_name (diff, "diff");
  gtk_box_append (GTK_BOX (box), diff);

  expander = gtk_expander_new (_("Feedback that drove this change"));
  feedback = afs_text_label_new (fb && *fb ? fb : _("(none)"));
  gtk_widget_add_css_class (feedback, "dim-label");
  gtk_expander_set_child (GTK_EXPANDER (expander), feedback);
  gtk_box_append (GTK_BOX (box), expander);
  return box;
}

static GtkWidget *
change_row_cb (gpointer item, gpointer user_data)
{
  return afs_param_change_row_new (item, GPOINTER_TO_INT (user_data));
}

static void
bind_lists (AfsOptimizerPanel *self)
{
  GListModel *changes = self->runner ? afs_runner_get_last_changes (self->runner)
                                     : G_LIST_MODEL (self->empty);
  GListModel *history = self->runner && self->node_id
                        ? afs_runner_get_history (self->runner, self->node_id)
                        : G_LIST_MODEL (self->empty);

  gtk_list_box_bind_model (GTK_LIST_BOX (self->changes_list), changes, change_row_cb,
                           GINT_TO_POINTER (FALSE), NULL);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->history_list), history ? history : G_LIST_MODEL (self->empty),
                           change_row_cb, GINT_TO_POINTER (TRUE), NULL);
  g_object_set_data (G_OBJECT (self->changes_list), "model", changes);
  g_object_set_data (G_OBJECT (self->history_list), "model",
                     history ? history : G_LIST_MODEL (self->empty));
  gtk_widget_set_visible (self->history_title, self->node_id != 0);
  gtk_widget_set_visible (self->history_list, self->node_id != 0);
}

GListModel *
afs_optimizer_panel_get_changes (AfsOptimizerPanel *self)
{
  g_return_val_if_fail (AFS_IS_OPTIMIZER_PANEL (self), NULL);
  return g_object_get_data (G_OBJECT (self->changes_list), "model");
}

GListModel *
afs_optimizer_panel_get_history (AfsOptimizerPanel *self)
{
  g_return_val_if_fail (AFS_IS_OPTIMIZER_PANEL (self), NULL);
  return g_object_get_data (G_OBJECT (self->history_list), "model");
}

static void
step_done_cb (AfsRunner *runner, AfsOptimizerPanel *self)
{
  /* Rows show the "undone" flag: rebuild them. */
  bind_lists (self);
}

GStrv
afs_optimizer_panel_dup_constraints (AfsOptimizerPanel *self)
{
  GtkTextIter start, end;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (AFS_IS_OPTIMIZER_PANEL (self), NULL);
  gtk_text_buffer_get_bounds (self->constraints, &start, &end);
  text = gtk_text_buffer_get_text (self->constraints, &start, &end, FALSE);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i])
        g_strv_builder_add (builder, lines[i]);
    }
  return g_strv_builder_end (builder);
}

static void
constraints_changed_cb (GtkTextBuffer *buffer, AfsOptimizerPanel *self)
{
  g_auto(GStrv) constraints = NULL;

  if (self->syncing || !self->runner)
    return;
  constraints = afs_optimizer_panel_dup_constraints (self);
  self->syncing = TRUE;
  afs_runner_set_constraints (self->runner, (const char * const *) constraints);
  self->syncing = FALSE;
}

/* Shows the session's optimizer choices (kept in the document). */
static void
sync_from_runner (AfsOptimizerPanel *self)
{
  const char * const *constraints;
  const char *model;
  g_autofree char *text = NULL;

  if (self->syncing || !self->runner)
    return;
  constraints = afs_runner_get_constraints (self->runner);
  model = afs_runner_get_optimizer_model (self->runner);
  text = constraints ? g_strjoinv ("\n", (char **) constraints) : g_strdup ("");
  self->syncing = TRUE;
  gtk_text_buffer_set_text (self->constraints, text, -1);
  gtk_editable_set_text (GTK_EDITABLE (self->model_row), model ? model : "");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->momentum), afs_runner_get_momentum (self->runner));
  self->syncing = FALSE;
}

static void
runner_notify_cb (AfsRunner *runner, GParamSpec *pspec, AfsOptimizerPanel *self)
{
  sync_from_runner (self);
}

static void
document_changed_cb (AfsDocument *document, AfsOptimizerPanel *self)
{
  sync_from_runner (self);
}

static void
model_changed_cb (GtkEditable *editable, AfsOptimizerPanel *self)
{
  if (self->syncing || !self->runner)
    return;
  self->syncing = TRUE;
  afs_runner_set_optimizer_model (self->runner, gtk_editable_get_text (editable));
  self->syncing = FALSE;
}

void
afs_optimizer_panel_set_runner (AfsOptimizerPanel *self, AfsRunner *runner)
{
  g_return_if_fail (AFS_IS_OPTIMIZER_PANEL (self));

  if (self->runner)
    {
      g_signal_handlers_disconnect_by_data (self->runner, self);
      g_signal_handlers_disconnect_by_data (afs_runner_get_document (self->runner), self);
    }
  g_clear_pointer (&self->momentum_binding, g_binding_unbind);
  g_set_object (&self->runner, runner);
  self->node_id = 0;
  if (runner)
    {
      g_signal_connect (runner, "step-done", G_CALLBACK (step_done_cb), self);
      g_signal_connect (runner, "notify::constraints", G_CALLBACK (runner_notify_cb), self);
      g_signal_connect (afs_runner_get_document (runner), "changed",
                        G_CALLBACK (document_changed_cb), self);
      self->momentum_binding = g_object_bind_property (runner, "momentum",
                              gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (self->momentum)),
                              "value", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
      sync_from_runner (self);
    }
  bind_lists (self);
}

void
afs_optimizer_panel_set_node (AfsOptimizerPanel *self, guint node_id)
{
  g_return_if_fail (AFS_IS_OPTIMIZER_PANEL (self));
  self->node_id = node_id;
  bind_lists (self);
}

static GtkWidget *
section_title (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 12);
  return label;
}

static GtkWidget *
new_list (const char *placeholder)
{
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *empty = gtk_label_new (placeholder);

  gtk_widget_add_css_class (empty, "dim-label");
  gtk_label_set_wrap (GTK_LABEL (empty), TRUE);
  gtk_widget_set_margin_top (empty, 12);
  gtk_widget_set_margin_bottom (empty, 12);
  gtk_list_box_set_placeholder (GTK_LIST_BOX (list), empty);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  return list;
}

static void
build (AfsOptimizerPanel *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *group = adw_preferences_group_new ();
  GtkWidget *row, *buttons, *button, *view, *frame;

  gtk_widget_set_margin_start (box, 8);
  gtk_widget_set_margin_end (box, 8);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _("Textual Gradient Descent"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group),
    _("Kept in the session. An empty model means the one set in Preferences."));
  self->model_row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_row), _("Optimizer Model"));
  g_signal_connect (self->model_row, "changed", G_CALLBACK (model_changed_cb), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), self->model_row);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Momentum"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Past values and feedback the optimizer sees"));
  self->momentum = gtk_spin_button_new_with_range (0, 20, 1);
  gtk_widget_set_valign (self->momentum, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), self->momentum);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
  gtk_box_append (GTK_BOX (box), group);

  gtk_box_append (GTK_BOX (box), section_title (_("Constraints, one per line")));
  self->constraints = gtk_text_buffer_new (NULL);
  g_signal_connect (self->constraints, "changed", G_CALLBACK (constraints_changed_cb), self);
  view = gtk_text_view_new_with_buffer (self->constraints);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 6);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 6);
  gtk_widget_set_size_request (view, -1, 60);
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Constraints"), -1);
  frame = gtk_frame_new (NULL);
  gtk_frame_set_child (GTK_FRAME (frame), view);
  gtk_box_append (GTK_BOX (box), frame);

  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_margin_top (buttons, 6);
  button = gtk_button_new_with_mnemonic (_("_Step"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.step");
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_hexpand (button, TRUE);
  gtk_box_append (GTK_BOX (buttons), button);
  button = gtk_button_new_with_mnemonic (_("_Undo Step"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.undo-step");
  gtk_widget_set_hexpand (button, TRUE);
  gtk_box_append (GTK_BOX (buttons), button);
  gtk_box_append (GTK_BOX (box), buttons);

  self->changes_title = section_title (_("Last Step"));
  gtk_box_append (GTK_BOX (box), self->changes_title);
  self->changes_list = new_list (_("No step yet. Run, then Backward, then Step."));
  gtk_box_append (GTK_BOX (box), self->changes_list);
  self->history_title = section_title (_("History of the Selected Parameter"));
  gtk_box_append (GTK_BOX (box), self->history_title);
  self->history_list = new_list (_("This Parameter has not been changed by a step."));
  gtk_box_append (GTK_BOX (box), self->history_list);

  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), box);
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));
  bind_lists (self);
}

GtkWidget *
afs_optimizer_panel_new (GSettings *settings)
{
  AfsOptimizerPanel *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  self = g_object_new (AFS_TYPE_OPTIMIZER_PANEL, NULL);
  self->settings = g_object_ref (settings);
  build (self);
  return GTK_WIDGET (self);
}

static void
afs_optimizer_panel_dispose (GObject *object)
{
  AfsOptimizerPanel *self = AFS_OPTIMIZER_PANEL (object);

  if (self->runner)
    {
      g_signal_handlers_disconnect_by_data (self->runner, self);
      g_signal_handlers_disconnect_by_data (afs_runner_get_document (self->runner), self);
    }
  if (self->constraints)
    g_signal_handlers_disconnect_by_data (self->constraints, self);
  g_clear_pointer (&self->momentum_binding, g_binding_unbind);
  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  g_clear_object (&self->runner);
  g_clear_object (&self->settings);
  g_clear_object (&self->empty);
  g_clear_object (&self->constraints);
  G_OBJECT_CLASS (afs_optimizer_panel_parent_class)->dispose (object);
}

static void
afs_optimizer_panel_class_init (AfsOptimizerPanelClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = afs_optimizer_panel_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "optimizerpanel");
}

static void
afs_optimizer_panel_init (AfsOptimizerPanel *self)
{
  self->empty = g_list_store_new (AFS_TYPE_PARAM_CHANGE);
}
