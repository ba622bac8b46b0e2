/* afs-output-panel.c: rebuilt from the node's AfsNodeRun when it changes.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-output-panel.h"
#include "afs-panel-util.h"

struct _AfsOutputPanel
{
  GtkWidget parent_instance;

  AfsRunner  *runner;
  AfsNodeRun *run;
  guint       node_id;
  GString    *text;      /* what is shown, for tests */

  GtkWidget  *scrolled;
  GtkWidget  *box;
};

G_DEFINE_FINAL_TYPE (AfsOutputPanel, afs_output_panel, GTK_TYPE_WIDGET)

static const char *
state_text (AfsNodeState state)
{
  switch (state)
    {
    case AFS_NODE_STATE_QUEUED: return _("Queued");
    case AFS_NODE_STATE_RUNNING: return _("Running…");
    case AFS_NODE_STATE_DONE: return _("Done");
    case AFS_NODE_STATE_REUSED: return _("Done (cached result reused: inputs and settings unchanged)");
    case AFS_NODE_STATE_ERROR: return _("Error");
    case AFS_NODE_STATE_IDLE:
    default: return _("Not run yet");
    }
}

static GtkWidget *
add_label (AfsOutputPanel *self, const char *text, const char *css_class)
{
  GtkWidget *label = afs_text_label_new (text);

  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (GTK_BOX (self->box), label);
  g_string_append_printf (self->text, "%s\n", text);
  return label;
}

static void
clear (AfsOutputPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->box)))
    gtk_box_remove (GTK_BOX (self->box), child);
  g_string_truncate (self->text, 0);
}

static void
rebuild (AfsOutputPanel *self)
{
  AfsGraphNode *node;
  g_autofree char *title = NULL;
  GPtrArray *outputs;

  clear (self);
  node = self->runner && self->node_id
         ? afs_document_get_node (afs_runner_get_document (self->runner), self->node_id) : NULL;
  if (!node || !self->run)
    {
      add_label (self, _("Select a node to see its results."), "dim-label");
      return;
    }
  title = afs_graph_node_dup_title (node);
  add_label (self, title, "title-4");
  add_label (self, state_text (afs_node_run_get_state (self->run)), "dim-label");
  if (afs_node_run_get_message (self->run))
    add_label (self, afs_node_run_get_message (self->run), "error");
  if (afs_node_run_get_total_tokens (self->run) > 0)
    {
      g_autofree char *usage = afs_format_usage (afs_node_run_get_total_tokens (self->run),
                                                 afs_node_run_get_cost (self->run));
      add_label (self, usage, "numeric");
    }

  outputs = afs_graph_node_get_outputs (node);
  for (guint i = 0; i < outputs->len; i++)
    {
      AfsPort *port = outputs->pdata[i];
      AfnVariable *var = afs_node_run_get_output (self->run, port->name);
      g_autofree char *text = NULL;
      GtkWidget *head, *label;

      if (!var)
        continue;
      text = afs_dup_variable_text (var);
      head = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      gtk_widget_set_margin_top (head, 8);
      label = gtk_label_new (port->label ? port->label : port->name);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_widget_add_css_class (label, "heading");
      gtk_box_append (GTK_BOX (head), label);
      gtk_box_append (GTK_BOX (head), afs_copy_button_new (text));
      gtk_box_append (GTK_BOX (self->box), head);
      g_string_append_printf (self->text, "%s:\n", port->name);
      add_label (self, text, NULL);
    }
}

static void
run_changed_cb (GObject *object, GParamSpec *pspec, AfsOutputPanel *self)
{
  rebuild (self);
}

static void
outputs_changed_cb (AfsNodeRun *run, AfsOutputPanel *self)
{
  rebuild (self);
}

void
afs_output_panel_set_node (AfsOutputPanel *self, AfsRunner *runner, guint node_id)
{
  g_return_if_fail (AFS_IS_OUTPUT_PANEL (self));

  if (self->run)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);
  g_set_object (&self->runner, runner);
  self->node_id = node_id;
  if (runner && node_id)
    {
      AfsNodeRun *run = afs_runner_get_node_run (runner, node_id);

      if (run)
        {
          self->run = g_object_ref (run);
          g_signal_connect (run, "notify", G_CALLBACK (run_changed_cb), self);
          g_signal_connect (run, "outputs-changed", G_CALLBACK (outputs_changed_cb), self);
        }
    }
  rebuild (self);
}

char *
afs_output_panel_dup_text (AfsOutputPanel *self)
{
  g_return_val_if_fail (AFS_IS_OUTPUT_PANEL (self), NULL);
  return g_strdup (self->text->str);
}

GtkWidget *
afs_output_panel_new (void)
{
  return g_object_new (AFS_TYPE_OUTPUT_PANEL, NULL);
}

static void
afs_output_panel_dispose (GObject *object)
{
  AfsOutputPanel *self = AFS_OUTPUT_PANEL (object);

  if (self->run)
    g_signal_handlers_disconnect_by_data (self->run, self);
  g_clear_object (&self->run);
  g_clear_object (&self->runner);
  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  G_OBJECT_CLASS (afs_output_panel_parent_class)->dispose (object);
}

static void
afs_output_panel_finalize (GObject *object)
{
  g_string_free (AFS_OUTPUT_PANEL (object)->text, TRUE);
  G_OBJECT_CLASS (afs_output_panel_parent_class)->finalize (object);
}

static void
afs_output_panel_class_init (AfsOutputPanelClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = afs_output_panel_dispose;
  G_OBJECT_CLASS (klass)->finalize = afs_output_panel_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "outputpanel");
}

static void
afs_output_panel_init (AfsOutputPanel *self)
{
  self->text = g_string_new (NULL);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_start (self->box, 8);
  gtk_widget_set_margin_end (self->box, 8);
  gtk_widget_set_margin_top (self->box, 8);
  gtk_widget_set_margin_bottom (self->box, 8);
  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), self->box);
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));
  rebuild (self);
}
