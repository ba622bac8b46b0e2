/* afnio-cmd-demo.c: `afnio demo`, the semantics.md examples run and shown.
 *
 * Each example is one function in the examples[] table; it builds its
 * graph, prints the variables, the grad_fn chain and the grads. Options
 * live in DemoOptions so that later examples (a language model behind
 * --base-url / --model) can be added as one more table entry.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gi18n.h>
#include <stdio.h>

#include "afnio-cli.h"
#include "afnio-cmd-demo-llm.h"

typedef struct {
  gboolean quiet_grads;   /* print only the grad count, not the texts */
} DemoOptions;

typedef struct {
  const DemoOptions *options;
  FILE *out;
} Demo;

typedef gboolean (*DemoExample) (Demo *demo, GError **error);

/* Printing ----------------------------------------------------------------- */

static void
print_variable (Demo *demo, const char *name, AfnVariable *v)
{
  g_autofree char *text = afn_variable_to_string (v);
  fprintf (demo->out, "%s = %s\n", name, text);
}

static void
print_chain (Demo *demo, AfnNode *node, guint output_nr, guint depth, GHashTable *seen)
{
  AfnVariable *leaf;

  fprintf (demo->out, "%*s", (int) (2 + depth * 2), "");
  if (node == NULL)
    {
      fprintf (demo->out, "None\n");
      return;
    }
  fprintf (demo->out, "%s", afn_node_get_name (node));
  if (output_nr > 0 || afn_node_get_n_outputs (node) > 1)
    fprintf (demo->out, " [output %u]", output_nr);
  leaf = afn_node_get_variable (node);
  if (leaf != NULL)
    fprintf (demo->out, " -> %s", afn_variable_get_role (leaf) ? afn_variable_get_role (leaf) : "None");
  if (g_hash_table_contains (seen, node) && afn_node_get_n_next_functions (node) > 0)
    {
      fprintf (demo->out, " (shown above)\n");
      return;
    }
  fprintf (demo->out, "\n");
  g_hash_table_add (seen, node);
  for (guint i = 0; i < afn_node_get_n_next_functions (node); i++)
    {
      guint nr;
      AfnNode *next = afn_node_get_next_function (node, i, &nr);
      print_chain (demo, next, nr, depth + 1, seen);
    }
}

static void
print_grad_fn (Demo *demo, const char *name, AfnVariable *v)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  fprintf (demo->out, "%s.grad_fn:\n", name);
  print_chain (demo, afn_variable_get_grad_fn (v), afn_variable_get_output_nr (v), 0, seen);
}

static void
print_grads (Demo *demo, const char *name, AfnVariable *v)
{
  guint n = afn_variable_n_grads (v);

  if (n == 0 || demo->options->quiet_grads)
    {
      fprintf (demo->out, "%s.grad: %u gradient(s)\n", name, n);
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      AfnVariable *g = afn_variable_get_grad (v, i);
      g_autofree char *data = afn_value_to_text (afn_variable_get_data (g));
      g_autofree char *shown = g_utf8_make_valid (data, -1);
      fprintf (demo->out, "%s.grad[%u].data = %s\n", name, i, shown);
      fprintf (demo->out, "%s.grad[%u].role = %s\n", name, i, afn_variable_get_role (g));
    }
}

static void
print_heading (Demo *demo, const char *title)
{
  fprintf (demo->out, "\n== %s ==\n", title);
}

/* Examples ----------------------------------------------------------------- */

static gboolean
example_add (Demo *demo, GError **error)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("abc", "first input", TRUE);
  g_autoptr(AfnVariable) y = afn_variable_new_str ("def", "second input", FALSE);
  g_autoptr(AfnVariable) g = afn_variable_new_str ("MY_FEEDBACK", "add gradient", FALSE);
  g_autoptr(AfnVariable) r = NULL;

  print_heading (demo, "add: r = add(x, y); r.backward(MY_FEEDBACK)");
  print_variable (demo, "x", x);
  print_variable (demo, "y", y);
  r = afn_add (x, y, error);
  if (r == NULL)
    return FALSE;
  print_variable (demo, "r", r);
  print_grad_fn (demo, "r", r);
  if (!afn_variable_backward (r, g, FALSE, NULL, NULL, error))
    return FALSE;
  print_grads (demo, "x", x);
  print_grads (demo, "y", y);
  return TRUE;
}

static gboolean
example_sum (Demo *demo, GError **error)
{
  g_autoptr(AfnValue) a_data = afn_value_new_list ();
  g_autoptr(AfnValue) b_data = afn_value_new_list ();
  g_autoptr(AfnVariable) a = NULL;
  g_autoptr(AfnVariable) b = NULL;
  g_autoptr(GPtrArray) xs = g_ptr_array_new ();
  g_autoptr(AfnVariable) r = NULL;

  print_heading (demo, "sum: sum([Variable([1, 2, 3.5]), Variable([4, 5, 6])])");
  afn_value_append_take (a_data, afn_value_new_int (1));
  afn_value_append_take (a_data, afn_value_new_int (2));
  afn_value_append_take (a_data, afn_value_new_float (3.5));
  for (gint64 i = 4; i <= 6; i++)
    afn_value_append_take (b_data, afn_value_new_int (i));
  a = afn_variable_new (a_data, "", FALSE, error);
  b = a != NULL ? afn_variable_new (b_data, "", FALSE, error) : NULL;
  if (b == NULL)
    return FALSE;
  g_ptr_array_add (xs, a);
  g_ptr_array_add (xs, b);
  r = afn_sum (xs, error);
  if (r == NULL)
    return FALSE;
  print_variable (demo, "a", a);
  print_variable (demo, "b", b);
  print_variable (demo, "r", r);
  return TRUE;
}

static gboolean
example_split (Demo *demo, GError **error)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("afnio is great!", "sentence", TRUE);
  g_autoptr(AfnVariable) f1 = afn_variable_new_str ("MY_FIRST_FEEDBACK", "", FALSE);
  g_autoptr(AfnVariable) f2 = afn_variable_new_str ("MY_SECOND_FEEDBACK", "", FALSE);
  g_autoptr(GPtrArray) parts = NULL;

  print_heading (demo, "split: parts = split(x, sep=\" \", maxsplit=1); two backwards");
  print_variable (demo, "x", x);
  parts = afn_split (x, " ", 1, error);
  if (parts == NULL)
    return FALSE;
  for (guint i = 0; i < parts->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("parts[%u]", i);
      print_variable (demo, name, g_ptr_array_index (parts, i));
      print_grad_fn (demo, name, g_ptr_array_index (parts, i));
    }
  if (!afn_variable_backward (g_ptr_array_index (parts, 0), f1, TRUE, NULL, NULL, error) ||
      !afn_variable_backward (g_ptr_array_index (parts, 1), f2, FALSE, NULL, NULL, error))
    return FALSE;
  print_grads (demo, "x", x);
  return TRUE;
}

static gboolean
example_split_list (Demo *demo, GError **error)
{
  g_autoptr(AfnValue) data = afn_value_new_list ();
  g_autoptr(AfnVariable) x = NULL;
  g_autoptr(GPtrArray) parts = NULL;

  print_heading (demo, "split of a list: split(Variable([\"afnio is great!\", \"Deep learning\"]), sep=\" \", maxsplit=2)");
  afn_value_append_take (data, afn_value_new_str ("afnio is great!", -1));
  afn_value_append_take (data, afn_value_new_str ("Deep learning", -1));
  x = afn_variable_new (data, "", FALSE, error);
  if (x == NULL)
    return FALSE;
  parts = afn_split (x, " ", 2, error);
  if (parts == NULL)
    return FALSE;
  print_variable (demo, "x", x);
  for (guint i = 0; i < parts->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("parts[%u]", i);
      print_variable (demo, name, g_ptr_array_index (parts, i));
    }
  return TRUE;
}

static gboolean
example_used_twice (Demo *demo, GError **error)
{
  g_autoptr(AfnVariable) x = afn_variable_new_str ("ab", "word", TRUE);
  g_autoptr(AfnVariable) g = afn_variable_new_str ("G", "feedback", FALSE);
  g_autoptr(AfnVariable) r = NULL;

  print_heading (demo, "a variable used twice: r = add(x, x)");
  r = afn_add (x, x, error);
  if (r == NULL)
    return FALSE;
  print_variable (demo, "r", r);
  print_grad_fn (demo, "r", r);
  if (!afn_variable_backward (r, g, FALSE, NULL, NULL, error))
    return FALSE;
  print_grads (demo, "x", x);
  return TRUE;
}

static const DemoExample examples[] = {
  example_add,
  example_sum,
  example_split,
  example_split_list,
  example_used_twice,
};

int
afn_cmd_demo (int argc, char **argv)
{
  DemoOptions options = { FALSE };
  GOptionEntry entries[] = {
    { "quiet-grads", 'q', 0, G_OPTION_ARG_NONE, &options.quiet_grads,
      N_("Print only how many gradients each variable got"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  Demo demo = { &options, stdout };

  /* With a server to talk to, demo runs the language-model loop instead. */
  if (afnio_cmd_demo_llm_wanted (argc, argv))
    return afnio_cmd_demo_llm (argc, argv);

  g_option_context_set_summary (context, _("Builds the examples of the engine's specification and "
                                           "prints each variable, its grad_fn chain and its grads."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context, _("With --base-url URL --model NAME, demo runs the language-model loop "
                                               "instead (forward, evaluator, backward, TGD step): see "
                                               "“afnio demo --base-url URL --help”."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "afnio demo: %s\n", error->message);
      return 2;
    }
  for (guint i = 0; i < G_N_ELEMENTS (examples); i++)
    if (!examples[i] (&demo, &error))
      {
        fprintf (stderr, "afnio demo: %s\n", error->message);
        return 1;
      }
  return 0;
}
