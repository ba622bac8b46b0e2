/* afs-drafts.h: autosaved drafts of unsaved sessions, and finding the ones
 * a crashed process left behind. GLib only.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * AfsDraft:
 * A draft left by a process that is no longer running. @file is the draft
 * session (.hf), @origin_uri the file the session came from (nullable),
 * @title what the window showed, @modified the draft's write time.
 */
typedef struct {
  GFile     *file;
  char      *origin_uri;
  char      *title;
  GDateTime *modified;
} AfsDraft;

void afs_draft_free (AfsDraft *draft);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfsDraft, afs_draft_free)

/* The drafts folder: $XDG_STATE_HOME/afnio-studio/drafts (transfer full). */
GFile     *afs_drafts_dup_dir (void);
/* A fresh draft path owned by this process (transfer full). Nothing is created. */
GFile     *afs_drafts_new_file (void);
/* Writes the sidecar of @draft (origin and title), atomically. */
void       afs_drafts_write_info_async (GFile *draft, const char *origin_uri, const char *title,
                                        GCancellable *cancellable, GAsyncReadyCallback callback,
                                        gpointer user_data);
gboolean   afs_drafts_write_info_finish (GAsyncResult *result, GError **error);
/* Deletes @draft and its sidecar in the background; missing files are fine. */
void       afs_drafts_delete (GFile *draft);
/* Lists drafts whose owning process is gone, newest first (a GPtrArray of
 * AfsDraft, transfer full). A missing folder is an empty list. */
void       afs_drafts_list_orphans_async (GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data);
GPtrArray *afs_drafts_list_orphans_finish (GAsyncResult *result, GError **error);

G_END_DECLS
