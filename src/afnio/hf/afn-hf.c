/* afn-hf.c: loading and saving whole .hf files, on GFiles and streams.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afn-hf-private.h"

#include <glib/gi18n-lib.h>

struct _AfnHfDocument
{
  gatomicrefcount ref_count;
  AfnValue  *value;
  int        protocol;
  GPtrArray *names;   /* char* */
  GPtrArray *data;    /* GBytes* */
};

G_DEFINE_BOXED_TYPE (AfnHfDocument, afn_hf_document, afn_hf_document_ref, afn_hf_document_unref)

AfnHfDocument *
afn_hf_document_new (AfnValue *value)
{
  AfnHfDocument *self;

  g_return_val_if_fail (value != NULL, NULL);
  self = g_new0 (AfnHfDocument, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->value = afn_value_ref (value);
  self->protocol = 2;
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->data = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  return self;
}

AfnHfDocument *
afn_hf_document_ref (AfnHfDocument *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
afn_hf_document_unref (AfnHfDocument *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  afn_value_unref (self->value);
  g_ptr_array_unref (self->names);
  g_ptr_array_unref (self->data);
  g_free (self);
}

AfnValue *
afn_hf_document_get_value (AfnHfDocument *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->value;
}

void
afn_hf_document_set_value (AfnHfDocument *self, AfnValue *value)
{
  g_return_if_fail (self != NULL && value != NULL);
  afn_value_ref (value);
  afn_value_unref (self->value);
  self->value = value;
}

int
afn_hf_document_get_protocol (AfnHfDocument *self)
{
  g_return_val_if_fail (self != NULL, 2);
  return self->protocol;
}

guint
afn_hf_document_get_n_members (AfnHfDocument *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->names->len;
}

const char *
afn_hf_document_get_member_name (AfnHfDocument *self, guint i)
{
  g_return_val_if_fail (self != NULL && i < self->names->len, NULL);
  return g_ptr_array_index (self->names, i);
}

GBytes *
afn_hf_document_get_member_data (AfnHfDocument *self, guint i)
{
  g_return_val_if_fail (self != NULL && i < self->data->len, NULL);
  return g_ptr_array_index (self->data, i);
}

void
afn_hf_document_add_member (AfnHfDocument *self, const char *name, GBytes *data)
{
  g_return_if_fail (self != NULL && name != NULL && data != NULL);
  g_ptr_array_add (self->names, g_strdup (name));
  g_ptr_array_add (self->data, g_bytes_ref (data));
}

/* --- Bytes ----------------------------------------------------------------- */

static AfnHfDocument *load_take (GBytes *bytes, const AfnHfLimits *limits, GError **error);

AfnHfDocument *
afn_hf_document_load_bytes (GBytes *bytes, const AfnHfLimits *limits, GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  return load_take (g_bytes_ref (bytes), limits, error);
}

/* Takes @bytes. data.pkl's pages are given back while it is decoded; the
 * archive stays until the end only for the rare second pass. */
static AfnHfDocument *
load_take (GBytes *bytes, const AfnHfLimits *limits, GError **error)
{
  AfnHfLimits defaults;
  g_autoptr(GBytes) pkl = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) data = NULL;
  g_autoptr(AfnValue) value = NULL;
  AfnHfDocument *self;
  gsize len;
  const guint8 *p;
  int protocol = 0;
  gboolean again = FALSE;

  if (limits == NULL)
    {
      afn_hf_limits_init (&defaults);
      limits = &defaults;
    }
  if (!hf_zip_read (bytes, limits, &pkl, &names, &data, error))
    return g_bytes_unref (bytes), NULL;
  p = g_bytes_get_data (pkl, &len);
  if (len == 0)
    value = afn_pickle_loads (p, len, limits, &protocol, error);
  else
    value = hf_pickle_loads_consuming (p, len, limits, &protocol, &again, error);
  if (again)
    {
      /* Rare: the pass that gave data.pkl's pages back must be redone, so
       * it is inflated again from the archive, kept for this reason. */
      g_clear_pointer (&value, afn_value_unref);
      g_clear_pointer (&pkl, g_bytes_unref);
      g_clear_pointer (&names, g_ptr_array_unref);
      g_clear_pointer (&data, g_ptr_array_unref);
      if (!hf_zip_read (bytes, limits, &pkl, &names, &data, error))
        return g_bytes_unref (bytes), NULL;
      p = g_bytes_get_data (pkl, &len);
      value = afn_pickle_loads (p, len, limits, &protocol, error);
    }
  g_bytes_unref (bytes);
  if (value == NULL)
    return NULL;
  self = afn_hf_document_new (value);
  self->protocol = protocol;
  for (guint i = 0; i < names->len; i++)
    afn_hf_document_add_member (self, g_ptr_array_index (names, i), g_ptr_array_index (data, i));
  return self;
}

GBytes *
afn_hf_document_save_bytes (AfnHfDocument *self, GError **error)
{
  g_autoptr(GBytes) pkl = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  pkl = afn_pickle_dumps (self->value, error);
  if (pkl == NULL)
    return NULL;
  return hf_zip_write (pkl, self->names, self->data, error);
}

/* --- Files ------------------------------------------------------------------- */

static GBytes *
read_file (GFile *file, guint64 max, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFileInfo) info = NULL;
  char *contents = NULL;
  gsize len = 0;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE, cancellable, NULL);
  if (info != NULL && (guint64) g_file_info_get_size (info) > max)
    {
      g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_LARGE,
                   _("The file is larger than the limit of %" G_GUINT64_FORMAT " bytes"), max);
      return NULL;
    }
  if (!g_file_load_contents (file, cancellable, &contents, &len, NULL, error))
    return NULL;
  return g_bytes_new_take (contents, len);
}

AfnHfDocument *
afn_hf_document_load (GFile *file, const AfnHfLimits *limits, GCancellable *cancellable, GError **error)
{
  AfnHfLimits defaults;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  if (limits == NULL)
    {
      afn_hf_limits_init (&defaults);
      limits = &defaults;
    }
  bytes = read_file (file, limits->max_inflated, cancellable, error);
  if (bytes == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return load_take (g_steal_pointer (&bytes), limits, error);
}

gboolean
afn_hf_document_save (AfnHfDocument *self, GFile *file, GCancellable *cancellable, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (self != NULL && G_IS_FILE (file), FALSE);
  bytes = afn_hf_document_save_bytes (self, error);
  if (bytes == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* g_file_replace_contents() writes a temporary file and renames it. */
  return g_file_replace_contents (file, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL, FALSE, G_FILE_CREATE_NONE, NULL, cancellable, error);
}

typedef struct {
  GFile        *file;
  AfnHfLimits   limits;
  AfnHfDocument *document;
} TaskData;

static void
task_data_free (gpointer data)
{
  TaskData *td = data;
  g_clear_object (&td->file);
  g_clear_pointer (&td->document, afn_hf_document_unref);
  g_free (td);
}

static void
load_thread_cb (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  TaskData *td = data;
  GError *error = NULL;
  AfnHfDocument *doc = afn_hf_document_load (td->file, &td->limits, cancellable, &error);

  if (doc == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, doc, (GDestroyNotify) afn_hf_document_unref);
}

void
afn_hf_document_load_async (GFile *file, const AfnHfLimits *limits, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  TaskData *td = g_new0 (TaskData, 1);

  td->file = g_object_ref (file);
  if (limits != NULL)
    td->limits = *limits;
  else
    afn_hf_limits_init (&td->limits);
  g_task_set_source_tag (task, afn_hf_document_load_async);
  g_task_set_task_data (task, td, task_data_free);
  g_task_run_in_thread (task, load_thread_cb);
}

AfnHfDocument *
afn_hf_document_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
save_thread_cb (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  TaskData *td = data;
  GError *error = NULL;

  if (afn_hf_document_save (td->document, td->file, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The tree is read on a worker thread: callers must not change it until the
 * callback runs. */
void
afn_hf_document_save_async (AfnHfDocument *self, GFile *file, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  TaskData *td = g_new0 (TaskData, 1);

  td->file = g_object_ref (file);
  td->document = afn_hf_document_ref (self);
  g_task_set_source_tag (task, afn_hf_document_save_async);
  g_task_set_task_data (task, td, task_data_free);
  g_task_run_in_thread (task, save_thread_cb);
}

gboolean
afn_hf_document_save_finish (AfnHfDocument *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Value-only forms -------------------------------------------------------- */

AfnValue *
afn_hf_load (GFile *file, GCancellable *cancellable, GError **error)
{
  g_autoptr(AfnHfDocument) doc = afn_hf_document_load (file, NULL, cancellable, error);
  return doc != NULL ? afn_value_ref (doc->value) : NULL;
}

gboolean
afn_hf_save (GFile *file, AfnValue *value, GCancellable *cancellable, GError **error)
{
  g_autoptr(AfnHfDocument) doc = NULL;

  g_return_val_if_fail (value != NULL, FALSE);
  doc = afn_hf_document_new (value);
  return afn_hf_document_save (doc, file, cancellable, error);
}

static void
value_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(AfnHfDocument) doc = afn_hf_document_load_finish (result, &error);

  if (doc == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, afn_value_ref (doc->value), (GDestroyNotify) afn_value_unref);
}

void
afn_hf_load_async (GFile *file, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, afn_hf_load_async);
  afn_hf_document_load_async (file, NULL, cancellable, value_loaded_cb, task);
}

AfnValue *
afn_hf_load_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
value_saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (afn_hf_document_save_finish (NULL, result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
afn_hf_save_async (GFile *file, AfnValue *value, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(AfnHfDocument) doc = afn_hf_document_new (value);

  g_task_set_source_tag (task, afn_hf_save_async);
  afn_hf_document_save_async (doc, file, cancellable, value_saved_cb, task);
}

gboolean
afn_hf_save_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Streams --------------------------------------------------------------------- */

static GBytes *
read_stream (GInputStream *stream, guint64 max, GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint8 chunk[65536];
  gssize n;

  while ((n = g_input_stream_read (stream, chunk, sizeof chunk, cancellable, error)) > 0)
    {
      if (buf->len + (guint64) n > max)
        {
          g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_LARGE,
                       _("The stream holds more than the limit of %" G_GUINT64_FORMAT " bytes"), max);
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) n);
    }
  if (n < 0)
    return NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

AfnValue *
afn_hf_load_stream (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  AfnHfLimits limits;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(AfnHfDocument) doc = NULL;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  afn_hf_limits_init (&limits);
  bytes = read_stream (stream, limits.max_inflated, cancellable, error);
  if (bytes == NULL)
    return NULL;
  doc = afn_hf_document_load_bytes (bytes, &limits, error);
  return doc != NULL ? afn_value_ref (doc->value) : NULL;
}

gboolean
afn_hf_save_stream (GOutputStream *stream, AfnValue *value, GCancellable *cancellable, GError **error)
{
  g_autoptr(AfnHfDocument) doc = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream) && value != NULL, FALSE);
  doc = afn_hf_document_new (value);
  bytes = afn_hf_document_save_bytes (doc, error);
  if (bytes == NULL)
    return FALSE;
  return g_output_stream_write_all (stream, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                    NULL, cancellable, error);
}

static void
load_stream_thread_cb (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  AfnValue *value = afn_hf_load_stream (data, cancellable, &error);

  if (value == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, value, (GDestroyNotify) afn_value_unref);
}

void
afn_hf_load_stream_async (GInputStream *stream, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, afn_hf_load_stream_async);
  g_task_set_task_data (task, g_object_ref (stream), g_object_unref);
  g_task_run_in_thread (task, load_stream_thread_cb);
}

AfnValue *
afn_hf_load_stream_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  GOutputStream *stream;
  AfnValue      *value;
} StreamSave;

static void
stream_save_free (gpointer data)
{
  StreamSave *ss = data;
  g_object_unref (ss->stream);
  afn_value_unref (ss->value);
  g_free (ss);
}

static void
save_stream_thread_cb (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  StreamSave *ss = data;
  GError *error = NULL;

  if (afn_hf_save_stream (ss->stream, ss->value, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
afn_hf_save_stream_async (GOutputStream *stream, AfnValue *value, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  StreamSave *ss = g_new0 (StreamSave, 1);

  ss->stream = g_object_ref (stream);
  ss->value = afn_value_ref (value);
  g_task_set_source_tag (task, afn_hf_save_stream_async);
  g_task_set_task_data (task, ss, stream_save_free);
  g_task_run_in_thread (task, save_stream_thread_cb);
}

gboolean
afn_hf_save_stream_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
