/* afs-window-private.h: state shared by the files of AfsWindow.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-window.h"

G_BEGIN_DECLS

struct _AfsWindow
{
  AdwApplicationWindow parent_instance;

  AfsDocument   *document;
  GFile         *file;          /* nullable: untitled */
  char          *template_name; /* title of an untitled session opened from a file */
  GCancellable  *cancellable;   /* cancelled when the window closes */
  GSettings     *settings;
  guint          busy;          /* open/save operations in flight */
  gboolean       restored;      /* a recovered draft counts as unsaved */
  gboolean       close_confirmed;
  gboolean       close_after_save; /* "Save" in the closing prompt */

  /* Drafts */
  GFile         *draft_file;
  GFile         *orphan_draft;  /* a recovered draft, deleted once ours is written */
  guint          draft_serial;  /* bumped on every document change */
  guint          draft_saved_serial;
  guint          autosave_id;

  GtkRecentManager *recent_manager;

  /* Template children */
  AdwToastOverlay *toast_overlay;
  AdwWindowTitle  *window_title;
  GtkPaned        *paned;
  GtkBox          *canvas_slot;
  GtkBox          *inspector_slot;
  GMenu           *recent_menu;

  GtkWidget       *canvas;
  GtkWidget       *inspector;
  GtkWidget       *variable_info;
  GtkBox          *run_controls;    /* studio-panels: header run buttons */
  GObject         *run_controller;  /* studio-panels: AfsRunController */
};

void afs_window_actions_init (AfsWindow *self);
void afs_window_update_actions (AfsWindow *self);
void afs_window_files_init (AfsWindow *self);
void afs_window_files_dispose (AfsWindow *self);
void afs_window_update_recent_menu (AfsWindow *self);
void afs_window_set_file (AfsWindow *self, GFile *file);
void afs_window_set_busy (AfsWindow *self, gboolean busy);
void afs_window_update_title (AfsWindow *self);
/* The file's name, the template's title, or "Untitled Session" (transfer full). */
char *afs_window_dup_display_name (AfsWindow *self);
/* Replaces the document with @graph; returns FALSE with an error and
 * changes nothing when the graph is refused. */
gboolean afs_window_load_graph (AfsWindow *self, JsonNode *graph, gboolean needs_layout,
                                GError **error);
void afs_window_show_error (AfsWindow *self, const char *heading_id, GFile *file,
                            const GError *error);
void afs_window_run_save (AfsWindow *self, gboolean save_as, gboolean close_after);
void afs_window_forget_draft (AfsWindow *self);

G_END_DECLS
