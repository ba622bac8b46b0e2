/* afs-drafts.c: draft files are named PID-UUID.hf; a draft whose PID is not
 * a running process was left by a session that did not exit cleanly, since
 * a clean exit saves or discards every draft.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>

#include "afs-drafts.h"

#define INFO_GROUP "Draft"

void
afs_draft_free (AfsDraft *draft)
{
  if (draft == NULL)
    return;
  g_clear_object (&draft->file);
  g_clear_pointer (&draft->origin_uri, g_free);
  g_clear_pointer (&draft->title, g_free);
  g_clear_pointer (&draft->modified, g_date_time_unref);
  g_free (draft);
}

GFile *
afs_drafts_dup_dir (void)
{
  return g_file_new_build_filename (g_get_user_state_dir (), "afnio-studio", "drafts", NULL);
}

GFile *
afs_drafts_new_file (void)
{
  g_autoptr(GFile) dir = afs_drafts_dup_dir ();
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *name = g_strdup_printf ("%d-%s.hf", (int) getpid (), uuid);

  return g_file_get_child (dir, name);
}

static GFile *
info_file_for (GFile *draft)
{
  g_autofree char *path = g_file_get_path (draft);
  g_autofree char *info = g_strconcat (path, ".info", NULL);

  return g_file_new_for_path (info);
}

static void
write_info_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GKeyFile *keyfile = task_data;
  GFile *draft = g_object_get_data (G_OBJECT (task), "draft");
  g_autoptr(GFile) info = info_file_for (draft);
  g_autoptr(GFile) dir = g_file_get_parent (info);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *text = g_key_file_to_data (keyfile, &len, NULL);

  if (!g_file_make_directory_with_parents (dir, cancellable, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_error (&error);
  if (!g_file_replace_contents (info, text, len, NULL, FALSE, G_FILE_CREATE_PRIVATE,
                                NULL, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
afs_drafts_write_info_async (GFile               *draft,
                             const char          *origin_uri,
                             const char          *title,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  GKeyFile *keyfile = g_key_file_new ();

  g_return_if_fail (G_IS_FILE (draft));

  g_task_set_source_tag (task, afs_drafts_write_info_async);
  if (origin_uri != NULL)
    g_key_file_set_string (keyfile, INFO_GROUP, "origin", origin_uri);
  g_key_file_set_string (keyfile, INFO_GROUP, "title", title != NULL ? title : "");
  g_object_set_data_full (G_OBJECT (task), "draft", g_object_ref (draft), g_object_unref);
  g_task_set_task_data (task, keyfile, (GDestroyNotify) g_key_file_unref);
  g_task_run_in_thread (task, write_info_thread);
}

gboolean
afs_drafts_write_info_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
delete_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GFile *draft = task_data;
  g_autoptr(GFile) info = info_file_for (draft);

  g_file_delete (draft, NULL, NULL);
  g_file_delete (info, NULL, NULL);
  g_task_return_boolean (task, TRUE);
}

void
afs_drafts_delete (GFile *draft)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (G_IS_FILE (draft));

  task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_task_data (task, g_object_ref (draft), g_object_unref);
  g_task_run_in_thread (task, delete_thread);
}

/* TRUE when the process that owns draft file @name still runs. */
static gboolean
owner_alive (const char *name)
{
  char *end = NULL;
  long pid = strtol (name, &end, 10);

  if (end == name || *end != '-' || pid <= 0)
    return FALSE;
  if (pid == (long) getpid ())
    return TRUE;
  return kill ((pid_t) pid, 0) == 0 || errno == EPERM;
}

static AfsDraft *
draft_from_info (GFile *dir, GFileInfo *info)
{
  const char *name = g_file_info_get_name (info);
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  AfsDraft *draft = g_new0 (AfsDraft, 1);
  g_autoptr(GFile) sidecar = NULL;
  g_autofree char *sidecar_path = NULL;

  draft->file = g_file_get_child (dir, name);
  draft->modified = g_file_info_get_modification_date_time (info);
  sidecar = info_file_for (draft->file);
  sidecar_path = g_file_get_path (sidecar);
  if (g_key_file_load_from_file (keyfile, sidecar_path, G_KEY_FILE_NONE, NULL))
    {
      draft->origin_uri = g_key_file_get_string (keyfile, INFO_GROUP, "origin", NULL);
      draft->title = g_key_file_get_string (keyfile, INFO_GROUP, "title", NULL);
    }
  return draft;
}

static int
compare_newest_first (gconstpointer a, gconstpointer b)
{
  const AfsDraft *da = *(AfsDraft *const *) a;
  const AfsDraft *db = *(AfsDraft *const *) b;

  if (da->modified == NULL || db->modified == NULL)
    return 0;
  return g_date_time_compare (db->modified, da->modified);
}

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr(GFile) dir = afs_drafts_dup_dir ();
  g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func ((GDestroyNotify) afs_draft_free);
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GError) error = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                        G_FILE_QUERY_INFO_NONE, cancellable, &error);
  if (children == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_pointer (task, g_steal_pointer (&drafts), (GDestroyNotify) g_ptr_array_unref);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  while ((info = g_file_enumerator_next_file (children, cancellable, NULL)) != NULL)
    {
      const char *name = g_file_info_get_name (info);

      if (g_str_has_suffix (name, ".hf") && !owner_alive (name))
        g_ptr_array_add (drafts, draft_from_info (dir, info));
      g_object_unref (info);
    }
  g_ptr_array_sort (drafts, compare_newest_first);
  g_task_return_pointer (task, g_steal_pointer (&drafts), (GDestroyNotify) g_ptr_array_unref);
}

void
afs_drafts_list_orphans_async (GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, afs_drafts_list_orphans_async);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
afs_drafts_list_orphans_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
