/* bench-hf.c: the `hf` benchmark. A state dict (OrderedDict) of 10,000
 * Variables, each with a role, 200 characters of data and one gradient,
 * saved and loaded, and the pickle layer compared like for like with
 * CPython's C pickle on the same bytes in the same run.
 *
 * Prints BENCH lines. Usage: bench-hf BENCH_HF_PY   (or --measure-load FILE)
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define N_VARIABLES 10000
#define RUNS 15

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *
text_200 (const char *prefix, int i)
{
  GString *s = g_string_new (NULL);
  g_string_printf (s, "%s %d: ", prefix, i);
  while (s->len < 200)
    g_string_append (s, "lorem ipsum dolor sit amet, ");
  g_string_truncate (s, 200);
  return g_string_free (s, FALSE);
}

static AfnValue *
build_state_dict (void)
{
  AfnValue *sd = afn_value_new_ordered_dict ();
  AfnValue *meta = afn_value_new_ordered_dict ();
  AfnValue *version = afn_value_new_dict ();
  AfnValue *attrs = afn_value_new_dict ();

  for (int i = 0; i < N_VARIABLES; i++)
    {
      g_autofree char *data = text_200 ("You are parameter", i);
      g_autofree char *grad_text = text_200 ("Make parameter", i);
      g_autofree char *role = g_strdup_printf ("system prompt %d", i);
      g_autofree char *key = g_strdup_printf ("layers.%d.prompt", i);
      g_autoptr(AfnVariable) var = afn_variable_new_str (data, role, TRUE);
      g_autoptr(AfnVariable) grad = afn_variable_new_str (grad_text, "gradient", FALSE);

      afn_variable_append_grad (var, grad, NULL);
      afn_value_dict_set_take (sd, afn_value_new_str (key, -1), afn_value_new_object (var));
    }
  afn_value_dict_set_take (version, afn_value_new_str ("version", -1), afn_value_new_int (1));
  afn_value_dict_set_take (meta, afn_value_new_str ("", -1), version);
  afn_value_dict_set_take (attrs, afn_value_new_str ("_metadata", -1), meta);
  afn_value_set_attrs_take (sd, attrs);
  return sd;
}

/* VmRSS or VmHWM (the peak) of this process, in KiB. ru_maxrss would do
 * for the peak, but Linux carries it over exec from the parent. */
static long
status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return 0;
  line = strstr (status, field);
  return line != NULL ? strtol (line + strlen (field), NULL, 10) : 0;
}

/* Run in a fresh process: how much the process grows while loading. */
static int
measure_load (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  long before;
  g_autoptr(AfnValue) v = NULL;

  /* Warm up: load a small file first, so that the libraries' code and
   * types are in memory before the baseline is taken. */
  {
    g_autoptr(AfnVariable) small = afn_variable_new_str ("warm up", "role", TRUE);
    g_autoptr(AfnValue) value = afn_value_new_object (small);
    g_autoptr(AfnHfDocument) doc = afn_hf_document_new (value);
    g_autoptr(GBytes) bytes = afn_hf_document_save_bytes (doc, NULL);
    g_autoptr(AfnHfDocument) again = afn_hf_document_load_bytes (bytes, NULL, NULL);
    g_assert_nonnull (again);
  }
  before = status_kb ("VmRSS:");
  v = afn_hf_load (file, NULL, NULL);
  g_assert_nonnull (v);
  printf ("%ld %ld\n", status_kb ("VmHWM:") - before, status_kb ("VmRSS:") - before);
  return 0;
}

typedef struct {
  GSubprocess      *proc;
  GDataInputStream *out;
  GOutputStream    *in;
} Python;

static gboolean
python_start (Python *py, const char *script, const char *pkl_path)
{
  const char *python = g_getenv ("PYTHON3") != NULL ? g_getenv ("PYTHON3") : "python3";
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  py->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                               python, script, pkl_path, NULL);
  if (py->proc == NULL)
    {
      fprintf (stderr, "cannot run %s: %s\n", python, error->message);
      return FALSE;
    }
  py->in = g_subprocess_get_stdin_pipe (py->proc);
  py->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (py->proc));
  line = g_data_input_stream_read_line (py->out, NULL, NULL, NULL);
  return line != NULL && g_str_equal (line, "ready");
}

static double
python_time (Python *py, const char *request)
{
  g_autofree char *req = g_strconcat (request, "\n", NULL);
  g_autofree char *line = NULL;

  g_output_stream_write_all (py->in, req, strlen (req), NULL, NULL, NULL);
  line = g_data_input_stream_read_line (py->out, NULL, NULL, NULL);
  g_assert_nonnull (line);
  return g_ascii_strtod (line, NULL);
}

static void
python_stop (Python *py)
{
  g_output_stream_close (py->in, NULL, NULL);
  g_subprocess_wait (py->proc, NULL, NULL);
  g_clear_object (&py->out);
  g_clear_object (&py->proc);
}

static double
time_one_loads (GBytes *pkl)
{
  double t0 = now (), t;
  AfnValue *v = afn_pickle_loads (g_bytes_get_data (pkl, NULL), g_bytes_get_size (pkl), NULL, NULL, NULL);
  t = now () - t0;
  g_assert_nonnull (v);
  afn_value_unref (v);
  return t;
}

static double
time_one_dumps (AfnValue *tree)
{
  double t0 = now (), t;
  GBytes *b = afn_pickle_dumps (tree, NULL);
  t = now () - t0;
  g_bytes_unref (b);
  return t;
}

int
main (int argc, char **argv)
{
  g_autoptr(AfnValue) tree = NULL;
  g_autoptr(AfnValue) loaded = NULL;
  g_autoptr(GBytes) pkl = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autofree char *dir = NULL, *hf_path = NULL, *pkl_path = NULL, *mem_out = NULL;
  g_autoptr(GFile) file = NULL;
  double save_s = G_MAXDOUBLE, load_s = G_MAXDOUBLE;
  double enc = G_MAXDOUBLE, reenc = G_MAXDOUBLE, dec = G_MAXDOUBLE, py_loads = G_MAXDOUBLE, py_dumps = G_MAXDOUBLE;
  Python py = { 0, };
  long peak_kb = 0, kept_kb = 0;
  const char *mem_argv[4];

  if (argc == 3 && g_str_equal (argv[1], "--measure-load"))
    return measure_load (argv[2]);
  if (argc != 2)
    {
      fprintf (stderr, "usage: bench-hf BENCH_HF_PY\n");
      return 2;
    }

  dir = g_dir_make_tmp ("afn-bench-hf-XXXXXX", NULL);
  hf_path = g_build_filename (dir, "state_dict.hf", NULL);
  pkl_path = g_build_filename (dir, "data.pkl", NULL);
  file = g_file_new_for_path (hf_path);
  tree = build_state_dict ();

  /* Whole files, zip included. */
  for (int r = 0; r < 3; r++)
    {
      double t0 = now ();
      g_assert_true (afn_hf_save (file, tree, NULL, NULL));
      save_s = MIN (save_s, now () - t0);
    }
  for (int r = 0; r < 3; r++)
    {
      double t0 = now ();
      AfnValue *v = afn_hf_load (file, NULL, NULL);
      double t = now () - t0;
      g_assert_nonnull (v);
      afn_value_unref (v);
      load_s = MIN (load_s, t);
    }

  /* The pickle layer. Decode: the bytes into engine objects. Encode: the
   * state dict as made here (what the app saves), and again the objects
   * decoded from the file (a re-save, which also checks every stored
   * attribute against the engine). CPython loads the same bytes and dumps
   * the objects its loads made. Runs alternate with CPython's, best of
   * each, so both see the same machine. */
  pkl = afn_pickle_dumps (tree, NULL);
  g_assert_true (g_file_set_contents (pkl_path, g_bytes_get_data (pkl, NULL), g_bytes_get_size (pkl), NULL));
  loaded = afn_pickle_loads (g_bytes_get_data (pkl, NULL), g_bytes_get_size (pkl), NULL, NULL, NULL);
  again = afn_pickle_dumps (loaded, NULL);
  g_assert_true (g_bytes_equal (pkl, again));
  if (!python_start (&py, argv[1], pkl_path))
    return 1;
  for (int r = 0; r < RUNS; r++)
    {
      dec = MIN (dec, time_one_loads (pkl));
      py_loads = MIN (py_loads, python_time (&py, "loads"));
      enc = MIN (enc, time_one_dumps (tree));
      reenc = MIN (reenc, time_one_dumps (loaded));
      py_dumps = MIN (py_dumps, python_time (&py, "dumps"));
    }
  python_stop (&py);

  mem_argv[0] = argv[0];
  mem_argv[1] = "--measure-load";
  mem_argv[2] = hf_path;
  mem_argv[3] = NULL;
  if (g_spawn_sync (NULL, (char **) mem_argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &mem_out, NULL, NULL, NULL))
    sscanf (mem_out, "%ld %ld", &peak_kb, &kept_kb);

  printf ("BENCH hf_save_s %.4f s\n", save_s);
  printf ("BENCH hf_load_s %.4f s\n", load_s);
  printf ("BENCH hf_encode_s %.4f s\n", enc);
  printf ("BENCH hf_decode_s %.4f s\n", dec);
  printf ("BENCH hf_python_dumps_s %.4f s\n", py_dumps);
  printf ("BENCH hf_python_loads_s %.4f s\n", py_loads);
  printf ("BENCH hf_load_vs_python %.3f ratio\n", dec / py_loads);
  printf ("BENCH hf_save_vs_python %.3f ratio\n", enc / py_dumps);
  printf ("BENCH hf_resave_vs_python %.3f ratio\n", reenc / py_dumps);
  printf ("BENCH hf_unpacked_mb %.2f MB\n", g_bytes_get_size (pkl) / 1048576.0);
  /* Growth of a fresh process while it loads the file: the peak, and what
   * the loaded tree keeps. */
  printf ("BENCH hf_peak_rss_mb %.2f MB\n", peak_kb / 1024.0);
  printf ("BENCH hf_loaded_rss_mb %.2f MB\n", kept_kb / 1024.0);
  printf ("BENCH hf_peak_vs_loaded %.2f ratio\n", kept_kb > 0 ? (double) peak_kb / kept_kb : 0.0);

  g_unlink (hf_path);
  g_unlink (pkl_path);
  g_rmdir (dir);
  return 0;
}
