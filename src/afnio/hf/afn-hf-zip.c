/* afn-hf-zip.c: the zip container around data.pkl, through libzip.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* mremap */
#endif
#include "config.h"

#include "afn-hf-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define DATA_PKL "data.pkl"

static gboolean
set_zip_error (int code, const char *member, GError **error)
{
  switch (code)
    {
    case ZIP_ER_CRC:
      g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_CRC_MISMATCH,
                   _("The CRC-32 of “%s” does not match its data: the file is damaged"), member);
      break;
    case ZIP_ER_EOF:
    case ZIP_ER_READ:
    case ZIP_ER_INCONS:
    case ZIP_ER_COMPRESSED_DATA:
    case ZIP_ER_ZLIB:
      g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TRUNCATED,
                   _("“%s” in the archive is truncated or damaged"), member);
      break;
    case ZIP_ER_COMPNOTSUPP:
    case ZIP_ER_ENCRNOTSUPP:
      g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_FAILED,
                   _("“%s” uses a compression or encryption method that is not supported"), member);
      break;
    default:
      {
        zip_error_t ze;
        zip_error_init_with_code (&ze, code);
        g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_FAILED, _("Cannot read “%s”: %s"),
                     member, zip_error_strerror (&ze));
        zip_error_fini (&ze);
      }
      break;
    }
  return FALSE;
}

/* data.pkl lives in its own anonymous mapping, so the pickle reader can
 * hand its pages back to the kernel as it consumes them (madvise). */
typedef struct {
  guint8 *buf;
  gsize   map_len;   /* 0: a g_malloc buffer */
} MemberBuf;

static gsize
page_round (gsize n)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  return (n + page - 1) / page * page;
}

static gboolean
buf_alloc (MemberBuf *b, gboolean mapped, gsize size)
{
  void *p;

  if (!mapped)
    return b->buf = g_malloc (size), b->map_len = 0, TRUE;
  b->map_len = page_round (size);
  p = mmap (NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  b->buf = p == MAP_FAILED ? NULL : p;
  return b->buf != NULL;
}

static gboolean
buf_grow (MemberBuf *b, gsize size)
{
  gsize new_len;
  void *p;

  if (b->map_len == 0)
    return b->buf = g_realloc (b->buf, size), TRUE;
  new_len = page_round (size);
  if (new_len <= b->map_len)
    return TRUE;
  p = mremap (b->buf, b->map_len, new_len, MREMAP_MAYMOVE);
  if (p == MAP_FAILED)
    return FALSE;
  b->buf = p;
  b->map_len = new_len;
  return TRUE;
}

typedef struct {
  void  *addr;
  gsize  len;
} Mapping;

static void
mapping_free_cb (gpointer data)
{
  Mapping *m = data;
  munmap (m->addr, m->len);
  g_free (m);
}

static void
buf_free (MemberBuf *b)
{
  if (b->map_len == 0)
    g_free (b->buf);
  else
    munmap (b->buf, b->map_len);
  b->buf = NULL;
}

static GBytes *
buf_to_bytes (MemberBuf *b, gsize len)
{
  Mapping *m;

  if (b->map_len == 0)
    return g_bytes_new_take (g_steal_pointer (&b->buf), len);
  m = g_new (Mapping, 1);
  m->addr = g_steal_pointer (&b->buf);
  m->len = b->map_len;
  return g_bytes_new_with_free_func (m->addr, len, mapping_free_cb, m);
}

static gboolean
out_of_memory (const char *name, GError **error)
{
  g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_LARGE,
               _("No memory to inflate “%s”"), name);
  return FALSE;
}

/* Inflates member @index, checking @budget while the bytes arrive: the
 * declared size is only used to refuse early, never trusted. */
static GBytes *
read_member (zip_t *za, zip_uint64_t index, const char *name, gboolean mapped,
             guint64 limit, guint64 *budget, GError **error)
{
  zip_stat_t st;
  zip_file_t *zf;
  MemberBuf mb = { NULL, 0 };
  guint8 *buf;
  guint64 cap;
  gsize len = 0;
  zip_int64_t n = 0;

  zip_stat_init (&st);
  if (zip_stat_index (za, index, 0, &st) != 0)
    return set_zip_error (zip_error_code_zip (zip_get_error (za)), name, error), NULL;
  if ((st.valid & ZIP_STAT_SIZE) && st.size > *budget)
    {
      g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_LARGE,
                   _("“%s” would inflate to %" G_GUINT64_FORMAT " bytes, more than the limit of %" G_GUINT64_FORMAT),
                   name, (guint64) st.size, limit);
      return NULL;
    }
  zf = zip_fopen_index (za, index, 0);
  if (zf == NULL)
    return set_zip_error (zip_error_code_zip (zip_get_error (za)), name, error), NULL;
  /* Sized for the declared size, so an honest member is read with no
   * copying; more data than declared grows the buffer up to the budget. */
  cap = MIN ((st.valid & ZIP_STAT_SIZE) ? st.size : 65536, *budget);
  if (!buf_alloc (&mb, mapped, cap + 1))
    {
      zip_fclose (zf);
      return out_of_memory (name, error), NULL;
    }
  buf = mb.buf;
  for (;;)
    {
      if (len == cap)
        {
          guint8 probe;
          n = zip_fread (zf, &probe, 1);
          if (n <= 0)
            break;
          if (cap >= *budget)
            {
              zip_fclose (zf);
              buf_free (&mb);
              g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TOO_LARGE,
                           _("“%s” inflates to more than the limit of %" G_GUINT64_FORMAT " bytes"), name, limit);
              return NULL;
            }
          cap = MIN (MAX (cap * 2, 65536), *budget);
          if (!buf_grow (&mb, cap + 1))
            {
              zip_fclose (zf);
              buf_free (&mb);
              return out_of_memory (name, error), NULL;
            }
          buf = mb.buf;
          buf[len++] = probe;
          continue;
        }
      n = zip_fread (zf, buf + len, cap - len);
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  if (n < 0)
    {
      int code = zip_error_code_zip (zip_file_get_error (zf));
      zip_fclose (zf);
      buf_free (&mb);
      return set_zip_error (code, name, error), NULL;
    }
  zip_fclose (zf);
  *budget -= len;
  return buf_to_bytes (&mb, len);
}

/* A truncated archive still starts like one; anything else is not a zip. */
static gboolean
set_open_error (GBytes *archive, int code, GError **error)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (archive, &len);

  if (len >= 4 && memcmp (p, "PK\x03\x04", 4) == 0 && (code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS || code == ZIP_ER_EOF))
    return g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TRUNCATED,
                        _("The archive is truncated: its central directory is missing or cut short")), FALSE;
  if (code == ZIP_ER_NOZIP)
    return g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_NOT_ARCHIVE,
                        _("This is not a .hf file: it is not a zip archive")), FALSE;
  if (code == ZIP_ER_INCONS)
    return g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_TRUNCATED,
                        _("The zip archive is inconsistent (damaged or truncated)")), FALSE;
  return set_zip_error (code, "archive", error);
}

gboolean
hf_zip_read (GBytes *archive, const AfnHfLimits *limits, GBytes **data_pkl,
             GPtrArray **other_names, GPtrArray **other_data, GError **error)
{
  zip_error_t ze;
  zip_source_t *src;
  zip_t *za;
  zip_int64_t n, pkl_index;
  guint64 budget = limits->max_inflated;
  gsize len;
  const void *bytes = g_bytes_get_data (archive, &len);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) datas = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) pkl = NULL;

  if (len == 0)
    return g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_NOT_ARCHIVE,
                        _("This is not a .hf file: it is empty")), FALSE;
  zip_error_init (&ze);
  src = zip_source_buffer_create (bytes, len, 0, &ze);
  if (src == NULL)
    {
      zip_error_fini (&ze);
      return set_zip_error (ZIP_ER_MEMORY, "archive", error);
    }
  za = zip_open_from_source (src, ZIP_RDONLY, &ze);
  if (za == NULL)
    {
      int code = zip_error_code_zip (&ze);
      zip_source_free (src);
      zip_error_fini (&ze);
      return set_open_error (archive, code, error);
    }
  zip_error_fini (&ze);

  pkl_index = zip_name_locate (za, DATA_PKL, ZIP_FL_ENC_RAW);
  if (pkl_index < 0)
    {
      zip_discard (za);
      return g_set_error (error, AFN_HF_ERROR, AFN_HF_ERROR_MISSING_MEMBER,
                          _("The archive has no “data.pkl”, so it is not a .hf file")), FALSE;
    }
  pkl = read_member (za, (zip_uint64_t) pkl_index, DATA_PKL, TRUE, limits->max_inflated, &budget, error);
  if (pkl == NULL)
    {
      zip_discard (za);
      return FALSE;
    }
  n = zip_get_num_entries (za, 0);
  for (zip_int64_t i = 0; i < n; i++)
    {
      const char *name = zip_get_name (za, (zip_uint64_t) i, ZIP_FL_ENC_RAW);
      GBytes *data;
      if (i == pkl_index || name == NULL)
        continue;
      data = read_member (za, (zip_uint64_t) i, name, FALSE, limits->max_inflated, &budget, error);
      if (data == NULL)
        {
          zip_discard (za);
          return FALSE;
        }
      g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_add (datas, data);
    }
  zip_discard (za);
  *data_pkl = g_steal_pointer (&pkl);
  if (other_names != NULL)
    *other_names = g_steal_pointer (&names);
  if (other_data != NULL)
    *other_data = g_steal_pointer (&datas);
  return TRUE;
}

static gboolean
add_member (zip_t *za, const char *name, GBytes *data, GError **error)
{
  gsize len;
  const void *bytes = g_bytes_get_data (data, &len);
  zip_source_t *src = zip_source_buffer (za, bytes, len, 0);
  zip_int64_t index;

  if (src == NULL)
    return set_zip_error (zip_error_code_zip (zip_get_error (za)), name, error);
  index = zip_file_add (za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
  if (index < 0)
    {
      zip_source_free (src);
      return set_zip_error (zip_error_code_zip (zip_get_error (za)), name, error);
    }
  /* Level 1: several times faster than zlib's default for a few percent in
   * size; any level reads back the same. */
  zip_set_file_compression (za, (zip_uint64_t) index, ZIP_CM_DEFLATE, 1);
  zip_file_set_mtime (za, (zip_uint64_t) index, time (NULL), 0);
  return TRUE;
}

static GBytes *
source_contents (zip_source_t *src, GError **error)
{
  zip_stat_t st;
  guint8 *buf;
  zip_int64_t got;

  zip_stat_init (&st);
  if (zip_source_stat (src, &st) != 0 || zip_source_open (src) != 0)
    return set_zip_error (zip_error_code_zip (zip_source_error (src)), "archive", error), NULL;
  buf = g_malloc (st.size + 1);
  got = zip_source_read (src, buf, st.size);
  zip_source_close (src);
  if (got < 0 || (zip_uint64_t) got != st.size)
    {
      g_free (buf);
      return set_zip_error (ZIP_ER_READ, "archive", error), NULL;
    }
  return g_bytes_new_take (buf, st.size);
}

GBytes *
hf_zip_write (GBytes *data_pkl, GPtrArray *names, GPtrArray *data, GError **error)
{
  zip_error_t ze;
  zip_source_t *out;
  zip_t *za;
  GBytes *result;

  zip_error_init (&ze);
  out = zip_source_buffer_create (NULL, 0, 0, &ze);
  zip_source_keep (out);
  za = zip_open_from_source (out, ZIP_TRUNCATE, &ze);
  zip_error_fini (&ze);
  if (za == NULL)
    {
      zip_source_free (out);
      zip_source_free (out);
      return set_zip_error (ZIP_ER_MEMORY, "archive", error), NULL;
    }
  if (!add_member (za, DATA_PKL, data_pkl, error))
    goto fail;
  for (guint i = 0; names != NULL && i < names->len; i++)
    if (!g_str_equal (g_ptr_array_index (names, i), DATA_PKL) &&
        !add_member (za, g_ptr_array_index (names, i), g_ptr_array_index (data, i), error))
      goto fail;
  if (zip_close (za) != 0)
    {
      set_zip_error (zip_error_code_zip (zip_get_error (za)), "archive", error);
      zip_discard (za);
      zip_source_free (out);
      return NULL;
    }
  result = source_contents (out, error);
  zip_source_free (out);
  return result;

fail:
  zip_discard (za);
  zip_source_free (out);
  return NULL;
}
