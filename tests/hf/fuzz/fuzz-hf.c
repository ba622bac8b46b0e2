/* fuzz-hf.c: libFuzzer target over the .hf reader: zip container when the
 * input starts like a zip, the pickle reader otherwise. Whatever loads must
 * render, re-pickle and load again.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static gboolean initialized;
  AfnHfLimits limits;
  g_autoptr(GError) error = NULL;
  g_autoptr(AfnValue) value = NULL;

  if (!initialized)
    {
      /* A critical is a bug the fuzzer should report as a crash. */
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
      initialized = TRUE;
    }
  afn_hf_limits_init (&limits);
  limits.max_inflated = 16 * 1024 * 1024;
  limits.max_depth = 2000;
  limits.max_memo = 100000;

  if (size >= 4 && memcmp (data, "PK\x03\x04", 4) == 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new_static (data, size);
      g_autoptr(AfnHfDocument) doc = afn_hf_document_load_bytes (bytes, &limits, &error);
      if (doc != NULL)
        value = afn_value_ref (afn_hf_document_get_value (doc));
    }
  else
    value = afn_pickle_loads (data, size, &limits, NULL, &error);

  g_assert ((value == NULL) != (error == NULL));
  if (value != NULL)
    {
      g_autofree char *json = afn_hf_value_to_json (value);
      g_autoptr(GError) dump_error = NULL;
      g_autoptr(GBytes) pkl = afn_pickle_dumps (value, &dump_error);
      g_autoptr(AfnValue) again = NULL;

      g_assert_nonnull (json);
      g_assert_no_error (dump_error);
      again = afn_pickle_loads (g_bytes_get_data (pkl, NULL), g_bytes_get_size (pkl), NULL, NULL, &dump_error);
      g_assert_no_error (dump_error);
      g_assert_nonnull (again);
    }
  return 0;
}
