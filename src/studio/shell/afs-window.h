/* afs-window.h: a main window editing one session.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>

#include "afs-application.h"
#include "afs-document.h"

G_BEGIN_DECLS

#define AFS_TYPE_WINDOW (afs_window_get_type ())
G_DECLARE_FINAL_TYPE (AfsWindow, afs_window, AFS, WINDOW, AdwApplicationWindow)

/*
 * Properties:
 *   "document"  AfsDocument, read-only (the window keeps one document)
 *   "file"      GFile, nullable, read-only: where Save writes
 *   "busy"      bool, read-only: an open or save is in progress
 *   "modified"  bool, read-only: unsaved changes
 */
AfsWindow   *afs_window_new (AfsApplication *application);
AfsDocument *afs_window_get_document (AfsWindow *self);       /* transfer none */
GFile       *afs_window_get_file (AfsWindow *self);           /* transfer none, nullable */
gboolean     afs_window_get_busy (AfsWindow *self);
gboolean     afs_window_get_modified (AfsWindow *self);
/* TRUE when the window shows an empty, unmodified, unnamed document that
 * an opened file may replace. */
gboolean     afs_window_is_pristine (AfsWindow *self);

/* Opens @file asynchronously. On success the session replaces this window's
 * document when it has no unsaved changes, else it opens in a new window.
 * On failure an error dialog names the file and the reason, and nothing
 * else changes. */
void         afs_window_open_file (AfsWindow *self, GFile *file);
/* Opens @file as a new untitled session (a demo or a draft): Save asks
 * where to write. */
void         afs_window_open_as_template (AfsWindow *self, GFile *file);
/* Saves to @file (Save As when it differs from the current file). */
void         afs_window_save_to_file (AfsWindow *self, GFile *file);
/* Writes the autosave draft now when there are unsaved changes. */
void         afs_window_save_draft (AfsWindow *self);
/* Looks for drafts of crashed sessions and offers to restore them. */
void         afs_window_offer_draft_recovery (AfsWindow *self);
/* Renders the canvas as it is shown now (transfer full), or NULL when it
 * has no size yet. For screenshots and tests. */
GdkTexture  *afs_window_snapshot_canvas (AfsWindow *self);
/* The canvas showing the document (transfer none); its actions are in the
 * "canvas" group (see afs-canvas.h). */
GtkWidget   *afs_window_get_canvas (AfsWindow *self);
/* TRUE when the window embeds the node-editor canvas (FALSE while it shows
 * a placeholder). */
gboolean     afs_window_has_canvas (AfsWindow *self);
/* Shows @message in the window's toast overlay. */
void         afs_window_show_toast (AfsWindow *self, const char *message);

G_END_DECLS
