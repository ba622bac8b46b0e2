/* afs-window.c: the main window: canvas in the centre, inspector at the
 * side, toasts, title and the unsaved-changes prompt on close.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-window-private.h"
#include "afs-window-views.h"
#include "afs-window-run.h"

G_DEFINE_FINAL_TYPE (AfsWindow, afs_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_FILE,
  PROP_BUSY,
  PROP_MODIFIED,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

AfsWindow *
afs_window_new (AfsApplication *application)
{
  return g_object_new (AFS_TYPE_WINDOW, "application", application, NULL);
}

AfsDocument *
afs_window_get_document (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), NULL);
  return self->document;
}

GFile *
afs_window_get_file (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), NULL);
  return self->file;
}

gboolean
afs_window_get_busy (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), FALSE);
  return self->busy > 0;
}

gboolean
afs_window_get_modified (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), FALSE);
  return self->restored || afs_document_get_modified (self->document);
}

gboolean
afs_window_is_pristine (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), FALSE);
  return self->file == NULL && self->template_name == NULL && self->busy == 0 &&
         !afs_window_get_modified (self) &&
         afs_document_get_nodes (self->document)->len == 0;
}

void
afs_window_set_file (AfsWindow *self, GFile *file)
{
  if (self->file == file || (self->file && file && g_file_equal (self->file, file)))
    return;
  g_set_object (&self->file, file);
  if (file != NULL)
    g_clear_pointer (&self->template_name, g_free);
  afs_window_update_title (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FILE]);
}

void
afs_window_set_busy (AfsWindow *self, gboolean busy)
{
  gboolean was = self->busy > 0;

  if (busy)
    self->busy++;
  else if (self->busy > 0)
    self->busy--;
  if (was != (self->busy > 0))
    {
      afs_window_update_actions (self);
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_BUSY]);
    }
}

char *
afs_window_dup_display_name (AfsWindow *self)
{
  if (self->file != NULL)
    return g_file_get_basename (self->file);
  if (self->template_name != NULL)
    return g_strdup (self->template_name);
  return g_strdup (_("Untitled Session"));
}

void
afs_window_update_title (AfsWindow *self)
{
  g_autofree char *name = afs_window_dup_display_name (self);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;

  if (afs_window_get_modified (self))
    /* Translators: the title of a session with unsaved changes. */
    title = g_strdup_printf (_("• %s"), name);
  else
    title = g_strdup (name);

  if (self->file != NULL)
    {
      g_autoptr(GFile) parent = g_file_get_parent (self->file);
      subtitle = parent ? g_file_get_parse_name (parent) : NULL;
    }
  else
    subtitle = g_strdup (_("Not saved yet"));

  adw_window_title_set_title (self->window_title, title);
  adw_window_title_set_subtitle (self->window_title, subtitle);
  gtk_window_set_title (GTK_WINDOW (self), name);
}

void
afs_window_show_toast (AfsWindow *self, const char *message)
{
  g_return_if_fail (AFS_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

GdkTexture *
afs_window_snapshot_canvas (AfsWindow *self)
{
  g_return_val_if_fail (AFS_IS_WINDOW (self), NULL);
  return afs_window_views_snapshot (self);
}

/* ---- document ---- */

static void
document_changed_cb (AfsWindow *self)
{
  self->draft_serial++;
  afs_window_update_title (self);
  afs_window_update_actions (self);
}

static void
document_modified_cb (AfsWindow *self)
{
  afs_window_update_title (self);
  afs_window_update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MODIFIED]);
}

static void
undo_stack_notify_cb (AfsWindow *self)
{
  afs_window_update_actions (self);
}

static void
set_document (AfsWindow *self, AfsDocument *document)
{
  g_signal_connect_object (document, "changed", G_CALLBACK (document_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (document, "notify::modified", G_CALLBACK (document_modified_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (afs_document_get_undo_stack (document), "notify",
                           G_CALLBACK (undo_stack_notify_cb), self, G_CONNECT_SWAPPED);
  self->document = g_object_ref (document);
}

/* ---- closing ---- */

static void
save_changes_response_cb (AdwMessageDialog *dialog,
                          const char       *response,
                          AfsWindow        *self)
{
  /* The dialog may outlive this window (its response signal holds it), so
   * it must stop pointing at the window before the window can go. */
  gtk_window_set_transient_for (GTK_WINDOW (dialog), NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
  if (g_str_equal (response, "save"))
    afs_window_run_save (self, FALSE, TRUE);
  else if (g_str_equal (response, "discard"))
    {
      afs_window_forget_draft (self);
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
}

static void
ask_save_changes (AfsWindow *self)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/afnio/Studio/afs-dialogs.ui");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gtk_builder_get_object (builder, "save_changes_dialog"));
  g_autofree char *name = afs_window_dup_display_name (self);

  adw_message_dialog_format_body (dialog,
                                  _("“%s” has unsaved changes. Changes that are not saved are lost."),
                                  name);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  g_signal_connect_object (dialog, "response", G_CALLBACK (save_changes_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
afs_window_close_request (GtkWindow *window)
{
  AfsWindow *self = AFS_WINDOW (window);

  if (!self->close_confirmed && afs_window_get_modified (self))
    {
      ask_save_changes (self);
      return TRUE;
    }
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (afs_window_parent_class)->close_request (window);
}

/* ---- GObject ---- */

static void
afs_window_constructed (GObject *object)
{
  AfsWindow *self = AFS_WINDOW (object);
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  G_OBJECT_CLASS (afs_window_parent_class)->constructed (object);

  if (AFS_IS_APPLICATION (app))
    self->settings = g_object_ref (afs_application_get_settings (AFS_APPLICATION (app)));
  else
    self->settings = g_settings_new (APP_ID);

  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  afs_window_views_init (self);
  afs_window_actions_init (self);
  afs_window_files_init (self);
  afs_window_run_init (self);
  afs_window_update_title (self);
  afs_window_update_actions (self);
}

static void
afs_window_dispose (GObject *object)
{
  AfsWindow *self = AFS_WINDOW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  afs_window_files_dispose (self);
  afs_window_run_dispose (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), AFS_TYPE_WINDOW);
  self->canvas = NULL;
  self->inspector = NULL;
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (afs_window_parent_class)->dispose (object);
}

static void
afs_window_finalize (GObject *object)
{
  AfsWindow *self = AFS_WINDOW (object);

  g_clear_object (&self->document);
  g_clear_object (&self->file);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->template_name, g_free);
  G_OBJECT_CLASS (afs_window_parent_class)->finalize (object);
}

static void
afs_window_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AfsWindow *self = AFS_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, afs_window_get_busy (self));
      break;
    case PROP_MODIFIED:
      g_value_set_boolean (value, afs_window_get_modified (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
afs_window_class_init (AfsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = afs_window_constructed;
  object_class->dispose = afs_window_dispose;
  object_class->finalize = afs_window_finalize;
  object_class->get_property = afs_window_get_property;
  window_class->close_request = afs_window_close_request;

  props[PROP_DOCUMENT] =
    g_param_spec_object ("document", NULL, NULL, AFS_TYPE_DOCUMENT,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL, G_TYPE_FILE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  props[PROP_MODIFIED] =
    g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/afnio/Studio/afs-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, paned);
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, canvas_slot);
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, inspector_slot);
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, run_controls);
  gtk_widget_class_bind_template_child (widget_class, AfsWindow, recent_menu);
}

static void
afs_window_init (AfsWindow *self)
{
  g_autoptr(AfsDocument) document = afs_document_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  set_document (self, document);
}
