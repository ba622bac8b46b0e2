/* afs-window-files.c: opening and saving sessions, recent files,
 * drag-and-drop, autosaved drafts and crash recovery.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-drafts.h"
#include "afs-session.h"
#include "afs-window-private.h"
#include "afs-window-run.h"
#include "afs-window-views.h"

#define HF_MIME_TYPE "application/x-afnio-hf"
#define N_RECENT 8

typedef enum {
  OPEN_FILE,      /* the window then saves back to the file */
  OPEN_TEMPLATE,  /* untitled copy: the demo */
  OPEN_DRAFT,     /* a recovered draft: unsaved, remembers its origin */
} OpenMode;

typedef struct {
  AfsWindow *self;
  GFile     *file;
  OpenMode   mode;
  AfsDraft  *draft;   /* OPEN_DRAFT */
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->file);
  g_clear_pointer (&data->draft, afs_draft_free);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenData, open_data_free)

/* ---- errors ---- */

void
afs_window_show_error (AfsWindow    *self,
                       const char   *heading_id,
                       GFile        *file,
                       const GError *error)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/afnio/Studio/afs-dialogs.ui");
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gtk_builder_get_object (builder, heading_id));
  g_autofree char *name = g_file_get_parse_name (file);

  /* Translators: the first %s is a file name, the second the reason. */
  adw_message_dialog_format_body (dialog, _("“%s”: %s"), name, error->message);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- recent files ---- */

static void
add_recent (AfsWindow *self, GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  GtkRecentData data = {
    .display_name = NULL,
    .mime_type = (char *) HF_MIME_TYPE,
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "afnio-studio %u",
  };

  gtk_recent_manager_add_full (self->recent_manager, uri, &data);
}

static int
compare_recent_newest_first (gconstpointer a, gconstpointer b)
{
  GtkRecentInfo *ia = *(GtkRecentInfo *const *) a;
  GtkRecentInfo *ib = *(GtkRecentInfo *const *) b;

  return g_date_time_compare (gtk_recent_info_get_modified (ib), gtk_recent_info_get_modified (ia));
}

void
afs_window_update_recent_menu (AfsWindow *self)
{
  GList *items = gtk_recent_manager_get_items (self->recent_manager);
  g_autoptr(GPtrArray) sessions = g_ptr_array_new ();

  for (GList *l = items; l != NULL; l = l->next)
    if (g_str_has_suffix (gtk_recent_info_get_uri (l->data), ".hf"))
      g_ptr_array_add (sessions, l->data);
  g_ptr_array_sort (sessions, compare_recent_newest_first);

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; i < MIN (sessions->len, N_RECENT); i++)
    {
      GtkRecentInfo *info = g_ptr_array_index (sessions, i);
      g_autoptr(GMenuItem) item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);

      g_menu_item_set_action_and_target (item, "win.open-recent", "s", gtk_recent_info_get_uri (info));
      g_menu_append_item (self->recent_menu, item);
    }
  if (sessions->len == 0)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("No Recent Sessions"), "win.no-recent");
      g_menu_append_item (self->recent_menu, item);
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

/* ---- loading ---- */

gboolean
afs_window_load_graph (AfsWindow  *self,
                       JsonNode   *graph,
                       gboolean    needs_layout,
                       GError    **error)
{
  if (!afs_document_load_json_node (self->document, graph, error))
    return FALSE;
  if (needs_layout)
    {
      /* A plain afnio file has no positions: lay it out, and keep the
       * layout out of the history (the file was not changed by the user). */
      afs_window_views_auto_layout (self);
      afs_undo_stack_clear (afs_document_get_undo_stack (self->document));
      afs_document_mark_saved (self->document);
    }
  self->restored = FALSE;
  self->draft_saved_serial = self->draft_serial;
  afs_window_forget_draft (self);
  afs_window_views_fit (self);
  afs_window_update_title (self);
  afs_window_update_actions (self);
  g_object_notify (G_OBJECT (self), "modified");
  return TRUE;
}

static char *
dup_template_name (GFile *file)
{
  g_autofree char *base = g_file_get_basename (file);
  char *dot = strrchr (base, '.');

  if (dot != NULL && dot != base)
    *dot = '\0';
  return g_steal_pointer (&base);
}

/* A demo names itself in its "title" member (translated through the app's
 * catalogue); other templates are named after their file. */
static char *
dup_template_title (AfsDocument *document, GFile *file)
{
  JsonNode *title = afs_document_get_extra (document, "title");

  if (title != NULL && JSON_NODE_HOLDS_VALUE (title) &&
      json_node_get_value_type (title) == G_TYPE_STRING)
    return g_strdup (g_dgettext (GETTEXT_PACKAGE, json_node_get_string (title)));
  return dup_template_name (file);
}

/* Where a loaded session goes: this window when it holds nothing unsaved,
 * else a new window, so that opening never loses work. */
static AfsWindow *
choose_target (AfsWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  AfsWindow *window;

  if (!afs_window_get_modified (self) || app == NULL)
    return self;
  window = afs_window_new (AFS_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
finish_open (OpenData *data, AfsWindow *target)
{
  switch (data->mode)
    {
    case OPEN_FILE:
      afs_window_set_file (target, data->file);
      add_recent (target, data->file);
      break;
    case OPEN_TEMPLATE:
      afs_window_set_file (target, NULL);
      g_free (target->template_name);
      target->template_name = dup_template_title (target->document, data->file);
      break;
    case OPEN_DRAFT:
      {
        g_autoptr(GFile) origin = data->draft->origin_uri && *data->draft->origin_uri
                                  ? g_file_new_for_uri (data->draft->origin_uri) : NULL;

        afs_window_set_file (target, origin);
        if (origin == NULL)
          {
            g_free (target->template_name);
            target->template_name = g_strdup (data->draft->title && *data->draft->title
                                              ? data->draft->title : _("Recovered Session"));
          }
        target->restored = TRUE;
        g_set_object (&target->orphan_draft, data->draft->file);
        afs_window_save_draft (target);
        break;
      }
    }
  afs_window_update_title (target);
  g_object_notify (G_OBJECT (target), "modified");
}

static void
load_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OpenData) data = user_data;
  AfsWindow *self = data->self;
  g_autoptr(GError) error = NULL;
  gboolean needs_layout = FALSE;
  g_autoptr(JsonNode) graph = afs_session_load_finish (result, &needs_layout, &error);
  AfsWindow *target;

  afs_window_set_busy (self, FALSE);
  if (graph == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        afs_window_show_error (self, "open_error_dialog", data->file, error);
      return;
    }
  target = choose_target (self);
  if (!afs_window_load_graph (target, graph, needs_layout, &error))
    {
      afs_window_show_error (self, "open_error_dialog", data->file, error);
      if (target != self)
        gtk_window_destroy (GTK_WINDOW (target));
      return;
    }
  finish_open (data, target);
}

static void
start_open (AfsWindow *self, GFile *file, OpenMode mode, AfsDraft *draft)
{
  OpenData *data = g_new0 (OpenData, 1);

  data->self = g_object_ref (self);
  data->file = g_object_ref (file);
  data->mode = mode;
  data->draft = draft;
  afs_window_set_busy (self, TRUE);
  afs_session_load_async (file, self->cancellable, load_ready_cb, data);
}

void
afs_window_open_file (AfsWindow *self, GFile *file)
{
  g_return_if_fail (AFS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  start_open (self, file, OPEN_FILE, NULL);
}

void
afs_window_open_as_template (AfsWindow *self, GFile *file)
{
  g_return_if_fail (AFS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  start_open (self, file, OPEN_TEMPLATE, NULL);
}

/* ---- saving ---- */

typedef struct {
  AfsWindow *self;
  GFile     *file;
  guint      serial;       /* document state that was written */
  gboolean   close_after;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->file);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SaveData, save_data_free)

static void
save_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(SaveData) data = user_data;
  AfsWindow *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  afs_window_set_busy (self, FALSE);
  if (!afs_session_save_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        afs_window_show_error (self, "save_error_dialog", data->file, error);
      return;
    }
  afs_window_set_file (self, data->file);
  add_recent (self, data->file);
  /* Edits made while the file was written stay unsaved. */
  if (data->serial == self->draft_serial)
    {
      afs_document_mark_saved (self->document);
      self->restored = FALSE;
      afs_window_forget_draft (self);
    }
  afs_window_update_title (self);
  g_object_notify (G_OBJECT (self), "modified");

  name = g_file_get_basename (data->file);
  message = g_strdup_printf (_("Saved “%s”"), name);
  afs_window_show_toast (self, message);
  if (data->close_after)
    {
      self->close_confirmed = TRUE;
      gtk_window_close (GTK_WINDOW (self));
    }
}

void
afs_window_save_to_file (AfsWindow *self, GFile *file)
{
  g_autoptr(JsonNode) graph = NULL;
  SaveData *data;

  g_return_if_fail (AFS_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  afs_window_run_store (self);
  graph = afs_document_to_json_node (self->document);
  data = g_new0 (SaveData, 1);
  data->self = g_object_ref (self);
  data->file = g_object_ref (file);
  data->serial = self->draft_serial;
  data->close_after = self->close_after_save;
  self->close_after_save = FALSE;
  afs_window_set_busy (self, TRUE);
  afs_session_save_async (file, graph, self->cancellable, save_ready_cb, data);
}

static void
save_as_response_cb (GtkNativeDialog *dialog, int response, AfsWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);

      /* Sessions always end in .hf, which afnio and the file filter expect. */
      if (path != NULL && !g_str_has_suffix (path, ".hf"))
        {
          g_autofree char *with_ext = g_strconcat (path, ".hf", NULL);

          g_clear_object (&file);
          file = g_file_new_for_path (with_ext);
        }
      afs_window_save_to_file (self, file);
    }
  else
    self->close_after_save = FALSE;
  g_object_unref (dialog);
}

static void
ask_save_location (AfsWindow *self)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (_("Save Session"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  g_autofree char *name = NULL;

  if (self->file != NULL)
    gtk_file_chooser_set_file (GTK_FILE_CHOOSER (dialog), self->file, NULL);
  else
    {
      name = g_strdup_printf ("%s.hf", self->template_name ? self->template_name : _("Untitled Session"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (save_as_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
afs_window_run_save (AfsWindow *self, gboolean save_as, gboolean close_after)
{
  self->close_after_save = close_after;
  if (!save_as && self->file != NULL)
    afs_window_save_to_file (self, self->file);
  else
    ask_save_location (self);
}

/* ---- drafts ---- */

typedef struct {
  AfsWindow *self;
  GFile     *draft;
  JsonNode  *graph;
  guint      serial;
} DraftData;

static void
draft_data_free (DraftData *data)
{
  g_clear_object (&data->self);
  g_clear_object (&data->draft);
  g_clear_pointer (&data->graph, json_node_unref);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DraftData, draft_data_free)

static void
draft_written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(DraftData) data = user_data;
  AfsWindow *self = data->self;
  g_autoptr(GError) error = NULL;
  gboolean ok = afs_session_save_finish (result, &error);

  /* The window forgot this draft while it was written (saved, discarded,
   * closed): it must not outlive the window as a false crash leftover. */
  if (self->draft_file == NULL || !g_file_equal (self->draft_file, data->draft))
    {
      afs_drafts_delete (data->draft);
      return;
    }
  if (!ok)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not write the draft %s: %s", g_file_peek_path (data->draft), error->message);
      return;
    }
  self->draft_saved_serial = data->serial;
  if (self->orphan_draft != NULL)
    {
      afs_drafts_delete (self->orphan_draft);
      g_clear_object (&self->orphan_draft);
    }
}

static void
draft_info_written_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  DraftData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!afs_drafts_write_info_finish (result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not write the draft %s: %s", g_file_peek_path (data->draft), error->message);
      draft_data_free (data);
      return;
    }
  afs_session_save_async (data->draft, data->graph, data->self->cancellable,
                          draft_written_cb, data);
}

void
afs_window_save_draft (AfsWindow *self)
{
  DraftData *data;
  g_autofree char *origin = NULL;
  g_autofree char *title = NULL;

  g_return_if_fail (AFS_IS_WINDOW (self));

  if (!afs_window_get_modified (self))
    return;
  if (self->draft_file == NULL)
    self->draft_file = afs_drafts_new_file ();

  data = g_new0 (DraftData, 1);
  data->self = g_object_ref (self);
  data->draft = g_object_ref (self->draft_file);
  afs_window_run_store (self);
  data->graph = afs_document_to_json_node (self->document);
  data->serial = self->draft_serial;
  origin = self->file ? g_file_get_uri (self->file) : NULL;
  title = afs_window_dup_display_name (self);
  afs_drafts_write_info_async (self->draft_file, origin, title, self->cancellable,
                               draft_info_written_cb, data);
}

void
afs_window_forget_draft (AfsWindow *self)
{
  if (self->draft_file != NULL)
    afs_drafts_delete (self->draft_file);
  g_clear_object (&self->draft_file);
  self->draft_saved_serial = self->draft_serial;
}

static gboolean
autosave_cb (gpointer user_data)
{
  AfsWindow *self = AFS_WINDOW (user_data);

  if (self->busy == 0 && self->draft_serial != self->draft_saved_serial &&
      afs_window_get_modified (self))
    afs_window_save_draft (self);
  return G_SOURCE_CONTINUE;
}

static void
restart_autosave (AfsWindow *self)
{
  guint interval = g_settings_get_uint (self->settings, "autosave-interval");

  g_clear_handle_id (&self->autosave_id, g_source_remove);
  self->autosave_id = g_timeout_add_seconds (MAX (interval, 1), autosave_cb, self);
}

/* ---- crash recovery ---- */

static void
restore_response_cb (AdwMessageDialog *dialog, const char *response, AfsWindow *self)
{
  GPtrArray *drafts = g_object_get_data (G_OBJECT (dialog), "drafts");

  for (guint i = 0; i < drafts->len; i++)
    {
      AfsDraft *draft = g_ptr_array_index (drafts, i);

      if (g_str_equal (response, "discard"))
        afs_drafts_delete (draft->file);
      else if (g_str_equal (response, "restore"))
        {
          AfsWindow *target = self;
          AfsDraft *copy = g_new0 (AfsDraft, 1);

          if (!afs_window_is_pristine (self) || i > 0)
            {
              target = afs_window_new (AFS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))));
              gtk_window_present (GTK_WINDOW (target));
            }
          copy->file = g_object_ref (draft->file);
          copy->origin_uri = g_strdup (draft->origin_uri);
          copy->title = g_strdup (draft->title);
          start_open (target, draft->file, OPEN_DRAFT, copy);
        }
    }
}

static void
orphans_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AfsWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) drafts = afs_drafts_list_orphans_finish (result, &error);
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GString) names = NULL;
  AdwMessageDialog *dialog;

  if (drafts == NULL || drafts->len == 0)
    return;

  names = g_string_new (NULL);
  for (guint i = 0; i < drafts->len; i++)
    {
      AfsDraft *draft = g_ptr_array_index (drafts, i);
      g_string_append_printf (names, "\n• %s", draft->title && *draft->title
                                                ? draft->title : _("Untitled Session"));
    }
  builder = gtk_builder_new_from_resource ("/io/github/afnio/Studio/afs-dialogs.ui");
  dialog = ADW_MESSAGE_DIALOG (gtk_builder_get_object (builder, "restore_drafts_dialog"));
  adw_message_dialog_format_body (dialog,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "Afnio Studio did not exit cleanly. This session had unsaved changes:%s",
                                               "Afnio Studio did not exit cleanly. These sessions had unsaved changes:%s",
                                               drafts->len),
                                  names->str);
  g_object_set_data_full (G_OBJECT (dialog), "drafts", g_steal_pointer (&drafts),
                          (GDestroyNotify) g_ptr_array_unref);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  g_signal_connect_object (dialog, "response", G_CALLBACK (restore_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
afs_window_offer_draft_recovery (AfsWindow *self)
{
  g_return_if_fail (AFS_IS_WINDOW (self));

  afs_drafts_list_orphans_async (self->cancellable, orphans_listed_cb, g_object_ref (self));
}

/* ---- drag and drop ---- */

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, AfsWindow *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    afs_window_open_file (self, l->data);
  g_slist_free (files);
  return files != NULL;
}

/* ---- setup ---- */

static void
autosave_interval_changed_cb (AfsWindow *self)
{
  restart_autosave (self);
}

void
afs_window_files_init (AfsWindow *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  g_signal_connect_object (drop, "drop", G_CALLBACK (drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  self->recent_manager = gtk_recent_manager_get_default ();
  g_signal_connect_object (self->recent_manager, "changed",
                           G_CALLBACK (afs_window_update_recent_menu), self, G_CONNECT_SWAPPED);
  afs_window_update_recent_menu (self);

  g_signal_connect_object (self->settings, "changed::autosave-interval",
                           G_CALLBACK (autosave_interval_changed_cb), self, G_CONNECT_SWAPPED);
  restart_autosave (self);
}

void
afs_window_files_dispose (AfsWindow *self)
{
  g_clear_handle_id (&self->autosave_id, g_source_remove);
  g_clear_object (&self->orphan_draft);
  /* A draft of a window closed without saving was discarded by the user. */
  if (self->draft_file != NULL)
    afs_drafts_delete (self->draft_file);
  g_clear_object (&self->draft_file);
  self->recent_manager = NULL;
}
