/* bench-engine.c: the `engine` benchmark.
 *
 * (a) flat: 100,000 leaf text Variables -> one sum -> backward with one
 *     100-character feedback, timed from the first leaf to the end of the
 *     backward.
 * (b) tree: 10,000 such leaves summed with fan-in 10 up to one root, the
 *     backward timed.
 * After each, every leaf's gradients are read as Variables (timed on their
 * own: `*_grads_read_s`), and only then is the peak RSS taken.
 * Each part runs in a fresh child process so that its peak RSS (VmHWM) is
 * its own. Prints `BENCH name value unit` lines.
 *
 * SPDX-License-Identifier: MIT
 */
#include <afnio.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double
peak_rss_mb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line != NULL ? g_ascii_strtod (line + 6, NULL) / 1024.0 : -1;
}

/* Writes @i in decimal at @out, NUL-terminated (cheaper than printf, which
 * would otherwise be a visible part of the timed loop). */
static void
format_uint (char *out, guint i)
{
  char digits[16];
  guint n = 0;

  do
    digits[n++] = '0' + i % 10;
  while ((i /= 10) > 0);
  while (n > 0)
    *out++ = digits[--n];
  *out = '\0';
}

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static GPtrArray *
make_leaves (guint n)
{
  GPtrArray *leaves = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      char data[32] = "value ", role[32] = "item ";
      format_uint (data + 6, i);
      format_uint (role + 5, i);
      g_ptr_array_add (leaves, afn_variable_new_str (data, role, TRUE));
    }
  return leaves;
}

static AfnVariable *
make_feedback (void)
{
  char text[101];
  memset (text, 'f', 100);
  text[100] = '\0';
  return afn_variable_new_str (text, "feedback", FALSE);
}

static guint64
grad_chars (GPtrArray *leaves)
{
  guint64 total = 0;

  for (guint i = 0; i < leaves->len; i++)
    {
      AfnVariable *leaf = g_ptr_array_index (leaves, i);
      for (guint j = 0; j < afn_variable_n_grads (leaf); j++)
        {
          gsize len;
          afn_value_get_str (afn_variable_get_data (afn_variable_get_grad (leaf, j)), &len);
          total += g_utf8_strlen (afn_value_get_str (afn_variable_get_data (afn_variable_get_grad (leaf, j)), NULL), len);
        }
    }
  return total;
}

/* Reads every gradient as a Variable, as a view or a save does: a leaf
 * keeps a backward's gradients pending and makes their Variables on first
 * read, so that cost is timed here, after the backward, and the peak RSS
 * is taken after it. Returns the seconds taken. */
static double
read_grads (GPtrArray *leaves)
{
  gint64 start = g_get_monotonic_time ();
  guint64 total = 0;

  for (guint i = 0; i < leaves->len; i++)
    {
      AfnVariable *leaf = g_ptr_array_index (leaves, i);
      for (guint j = 0; j < afn_variable_n_grads (leaf); j++)
        total += afn_variable_get_role (afn_variable_get_grad (leaf, j)) != NULL;
    }
  g_assert_cmpuint (total, >, 0);
  return (g_get_monotonic_time () - start) / 1e6;
}

static void
backward_or_die (AfnVariable *root, AfnVariable *feedback)
{
  g_autoptr(GError) error = NULL;

  if (!afn_variable_backward (root, feedback, FALSE, NULL, NULL, &error))
    g_error ("backward failed: %s", error->message);
}

static int
run_flat (void)
{
  g_autoptr(AfnVariable) feedback = make_feedback ();
  g_autoptr(GPtrArray) leaves = NULL;
  g_autoptr(AfnVariable) root = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double cpu_start = cpu_seconds ();

  leaves = make_leaves (100000);
  root = afn_sum (leaves, &error);
  g_assert_no_error (error);
  backward_or_die (root, feedback);
  printf ("BENCH flat_build_backward_s %.4f s\n", (g_get_monotonic_time () - start) / 1e6);
  printf ("BENCH flat_build_backward_cpu_s %.4f s\n", cpu_seconds () - cpu_start);
  printf ("BENCH flat_grads_read_s %.4f s\n", read_grads (leaves));
  printf ("BENCH flat_peak_rss_mb %.1f MB\n", peak_rss_mb ());
  printf ("BENCH flat_grad_chars %" G_GUINT64_FORMAT " chars\n", grad_chars (leaves));
  return 0;
}

/* Sums @level in groups of @fan_in. */
static GPtrArray *
sum_level (GPtrArray *level, guint fan_in)
{
  GPtrArray *next = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < level->len; i += fan_in)
    {
      g_autoptr(GPtrArray) group = g_ptr_array_new ();
      g_autoptr(GError) error = NULL;
      for (guint j = i; j < MIN (i + fan_in, level->len); j++)
        g_ptr_array_add (group, g_ptr_array_index (level, j));
      g_ptr_array_add (next, afn_sum (group, &error));
      g_assert_no_error (error);
    }
  return next;
}

static int
run_tree (void)
{
  g_autoptr(AfnVariable) feedback = make_feedback ();
  g_autoptr(GPtrArray) leaves = make_leaves (10000);
  GPtrArray *level = g_ptr_array_ref (leaves);
  gint64 start;
  double cpu_start;

  while (level->len > 1)
    {
      GPtrArray *next = sum_level (level, 10);
      g_ptr_array_unref (level);
      level = next;
    }
  start = g_get_monotonic_time ();
  cpu_start = cpu_seconds ();
  backward_or_die (g_ptr_array_index (level, 0), feedback);
  printf ("BENCH tree_backward_s %.4f s\n", (g_get_monotonic_time () - start) / 1e6);
  printf ("BENCH tree_backward_cpu_s %.4f s\n", cpu_seconds () - cpu_start);
  g_ptr_array_unref (level);
  printf ("BENCH tree_grads_read_s %.4f s\n", read_grads (leaves));
  printf ("BENCH tree_peak_rss_mb %.1f MB\n", peak_rss_mb ());
  printf ("BENCH tree_grad_chars %" G_GUINT64_FORMAT " chars\n", grad_chars (leaves));
  return 0;
}

typedef struct {
  char *name;
  double value;
  char *unit;
} Figure;

static void
figure_free (gpointer data)
{
  Figure *f = data;
  g_free (f->name);
  g_free (f->unit);
  g_free (f);
}

/* Keeps the best time (lowest: the machine may be busy with other work),
 * the highest memory figure, and the last of anything else. */
static void
merge_figure (GPtrArray *figures, const char *name, double value, const char *unit)
{
  Figure *f = NULL;

  for (guint i = 0; i < figures->len && f == NULL; i++)
    if (g_str_equal (((Figure *) g_ptr_array_index (figures, i))->name, name))
      f = g_ptr_array_index (figures, i);
  if (f == NULL)
    {
      f = g_new0 (Figure, 1);
      f->name = g_strdup (name);
      f->unit = g_strdup (unit);
      f->value = value;
      g_ptr_array_add (figures, f);
    }
  else if (g_str_has_suffix (name, "_s"))
    f->value = MIN (f->value, value);
  else
    f->value = MAX (f->value, value);
}

static gboolean
run_child (const char *self, const char *part, GPtrArray *figures)
{
  const char *argv[] = { self, part, NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                     &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      fprintf (stderr, "bench-engine %s: %s\n", part, error->message);
      return FALSE;
    }
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (lines[i], " ", 4);
      if (g_strv_length (words) == 4 && g_str_equal (words[0], "BENCH"))
        merge_figure (figures, words[1], g_ascii_strtod (words[2], NULL), words[3]);
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) figures = g_ptr_array_new_with_free_func (figure_free);
  const guint runs = 3;

  if (argc > 1 && g_str_equal (argv[1], "flat"))
    return run_flat ();
  if (argc > 1 && g_str_equal (argv[1], "tree"))
    return run_tree ();
  /* Each part in fresh processes: its peak RSS is its own. */
  for (guint i = 0; i < runs; i++)
    if (!run_child (argv[0], "flat", figures) || !run_child (argv[0], "tree", figures))
      return 1;
  for (guint i = 0; i < figures->len; i++)
    {
      Figure *f = g_ptr_array_index (figures, i);
      if (g_str_has_suffix (f->name, "_chars"))
        printf ("BENCH %s %.0f %s\n", f->name, f->value, f->unit);
      else
        printf ("BENCH %s %.4g %s\n", f->name, f->value, f->unit);
    }
  return 0;
}
