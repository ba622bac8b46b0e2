/* afnio-cmd-run.c: `afnio run`: runs a studio session headless (forward,
 * optionally backward and an optimizer step), prints each node's outputs
 * and gradients, and saves the result.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <glib/gi18n.h>
#include <stdio.h>

#include "afnio-cli.h"
#include "afs-runner.h"
#include "afs-session.h"

typedef struct {
  char     *mode;
  char     *base_url;
  char     *model;
  char     *backward_model;
  char     *optimizer_model;
  char     *from;
  char     *feedback;
  char     *out;
  gboolean  backward;
  gboolean  step;
  gboolean  quiet;
} Options;

static int
fail (GError *error)
{
  fprintf (stderr, "afnio run: %s\n", error->message);
  g_error_free (error);
  return 1;
}

/* Prints @text indented, every line. */
static void
print_block (const char *label, const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  printf ("    %s: %s\n", label, lines[0] != NULL ? lines[0] : "");
  for (guint i = 1; lines[i] != NULL; i++)
    printf ("      %s\n", lines[i]);
}

static const char *
state_name (AfsNodeState state)
{
  switch (state)
    {
    case AFS_NODE_STATE_IDLE: return _("not run");
    case AFS_NODE_STATE_QUEUED: return _("queued");
    case AFS_NODE_STATE_RUNNING: return _("running");
    case AFS_NODE_STATE_DONE: return _("done");
    case AFS_NODE_STATE_REUSED: return _("reused");
    case AFS_NODE_STATE_ERROR: return _("error");
    default: return "?";
    }
}

static void
print_node (AfsRunner *runner, AfsGraphNode *node)
{
  guint id = afs_graph_node_get_id (node);
  AfsNodeRun *run = afs_runner_get_node_run (runner, id);
  GPtrArray *ports = afs_graph_node_get_outputs (node);
  g_autofree char *title = afs_graph_node_dup_title (node);
  AfnUsage usage;

  printf ("node %u  %s  [%s]\n", id, title, state_name (afs_node_run_get_state (run)));
  if (afs_node_run_get_message (run) != NULL)
    print_block (_("error"), afs_node_run_get_message (run));
  afs_node_run_get_usage (run, &usage);
  if (usage.total_tokens > 0)
    printf (_("    tokens: %" G_GINT64_FORMAT " (cost $%.6f)\n"), usage.total_tokens, usage.cost_usd);
  for (guint i = 0; i < ports->len; i++)
    {
      AfsPort *port = g_ptr_array_index (ports, i);
      AfnVariable *var = afs_runner_get_output (runner, id, port->name);
      GListModel *grads;
      g_autofree char *text = NULL;

      if (var == NULL)
        continue;
      text = afn_value_to_text (afn_variable_get_data (var));
      print_block (port->name, text);
      grads = afs_runner_get_grads (runner, id, port->name);
      for (guint g = 0; grads != NULL && g < g_list_model_get_n_items (grads); g++)
        {
          g_autoptr(AfnVariable) grad = g_list_model_get_item (grads, g);
          g_autofree char *grad_text = afn_value_to_text (afn_variable_get_data (grad));
          guint source = afs_runner_get_grad_source (runner, id, port->name, g);
          g_autofree char *label = source != 0
            ? g_strdup_printf (_("grad %u (%s, from node %u)"), g, afn_variable_get_role (grad), source)
            : g_strdup_printf (_("grad %u (%s)"), g, afn_variable_get_role (grad));
          print_block (label, grad_text);
        }
    }
}

static void
print_nodes (AfsRunner *runner)
{
  GPtrArray *nodes = afs_document_get_nodes (afs_runner_get_document (runner));

  for (guint i = 0; i < nodes->len; i++)
    print_node (runner, g_ptr_array_index (nodes, i));
}

/* Where backward starts: --from NODE[:PORT], else the first evaluator's
 * explanation. */
static gboolean
backward_root (AfsDocument *doc, const char *from, guint *node_id, char **port, GError **error)
{
  GPtrArray *nodes = afs_document_get_nodes (doc);

  if (from != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (from, ":", 2);
      guint64 id;
      AfsGraphNode *node;

      if (!g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT, &id, NULL) ||
          (node = afs_document_get_node (doc, (guint) id)) == NULL)
        {
          g_set_error (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_SUCH_NODE,
                       _("--from %s: there is no such node."), from);
          return FALSE;
        }
      *node_id = (guint) id;
      if (parts[1] != NULL)
        *port = g_strdup (parts[1]);
      else if (afs_graph_node_find_port (node, AFS_PORT_OUTPUT, "explanation") != NULL)
        *port = g_strdup ("explanation");
      else
        *port = g_strdup (((AfsPort *) g_ptr_array_index (afs_graph_node_get_outputs (node), 0))->name);
      return TRUE;
    }
  for (guint i = 0; i < nodes->len; i++)
    if (afs_graph_node_find_port (g_ptr_array_index (nodes, i), AFS_PORT_OUTPUT, "explanation") != NULL)
      {
        *node_id = afs_graph_node_get_id (g_ptr_array_index (nodes, i));
        *port = g_strdup ("explanation");
        return TRUE;
      }
  g_set_error_literal (error, AFS_RUNNER_ERROR, AFS_RUNNER_ERROR_NO_RESULT,
                       _("The session has no evaluator: say where backward starts with --from NODE[:PORT]."));
  return FALSE;
}

static AfsModelSettings *
make_settings (Options *o, GError **error)
{
  AfsModelSettings *settings = afs_model_settings_new_from_env ();
  AfsRunMode mode;

  if (o->mode != NULL)
    {
      if (!afs_run_mode_from_string (o->mode, &mode))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--mode must be live, replay or record, not “%s”."), o->mode);
          g_object_unref (settings);
          return NULL;
        }
      afs_model_settings_set_mode (settings, mode);
    }
  if (o->base_url != NULL)
    afs_model_settings_set_base_url (settings, o->base_url);
  if (o->model != NULL)
    afs_model_settings_set_model (settings, o->model);
  if (o->backward_model != NULL)
    afs_model_settings_set_backward_model (settings, o->backward_model);
  if (o->optimizer_model != NULL)
    afs_model_settings_set_optimizer_model (settings, o->optimizer_model);
  return settings;
}

static gboolean
save (AfsRunner *runner, GFile *out, GError **error)
{
  g_autoptr(JsonNode) graph = NULL;
  g_autoptr(GBytes) bytes = NULL;

  afs_runner_store_in_document (runner);
  graph = afs_document_to_json_node (afs_runner_get_document (runner));
  bytes = afs_session_write_bytes (graph, error);
  if (bytes == NULL)
    return FALSE;
  /* Atomic: a temporary file renamed over the old one. */
  return g_file_replace_contents (out, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  NULL, FALSE, G_FILE_CREATE_NONE, NULL, NULL, error);
}

static int
run (Options *o, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(GFile) out = g_file_new_for_commandline_arg (o->out != NULL ? o->out : path);
  g_autoptr(AfsDocument) doc = afs_document_new ();
  g_autoptr(AfsModelSettings) settings = NULL;
  g_autoptr(AfsRunner) runner = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) graph = NULL;
  g_autofree char *port = NULL;
  GError *error = NULL;
  gboolean needs_layout = FALSE, ok;
  int status = 0;
  guint root = 0;
  AfnUsage usage;

  bytes = g_file_load_bytes (file, NULL, NULL, &error);
  if (bytes == NULL)
    return fail (error);
  graph = afs_session_read_bytes (bytes, &needs_layout, &error);
  if (graph == NULL || !afs_document_load_json_node (doc, graph, &error))
    {
      g_prefix_error (&error, "%s: ", path);
      return fail (error);
    }
  if (needs_layout)
    afs_document_auto_layout (doc, NULL, NULL);
  settings = make_settings (o, &error);
  if (settings == NULL)
    return fail (error);
  runner = afs_runner_new (doc, settings);
  if (!o->quiet)
    printf (_("Running %s (mode %s)\n"), path, afs_run_mode_to_string (afs_model_settings_get_mode (settings)));

  ok = afs_runner_run (runner, AFS_RUN_ALL, 0, NULL, &error);
  if (!ok)
    {
      fprintf (stderr, "afnio run: %s\n", error->message);
      g_clear_error (&error);
      status = 1;
    }
  if (ok && o->backward)
    {
      ok = backward_root (doc, o->from, &root, &port, &error) &&
           afs_runner_backward (runner, root, port, o->feedback, NULL, &error);
      if (!ok)
        {
          fprintf (stderr, "afnio run: %s: %s\n", _("backward"), error->message);
          g_clear_error (&error);
          status = 1;
        }
    }
  if (!o->quiet)
    print_nodes (runner);
  if (ok && o->step)
    {
      GListModel *changes;

      ok = afs_runner_step (runner, NULL, &error);
      if (!ok)
        {
          fprintf (stderr, "afnio run: %s: %s\n", _("step"), error->message);
          g_clear_error (&error);
          status = 1;
        }
      changes = afs_runner_get_last_changes (runner);
      for (guint i = 0; ok && i < g_list_model_get_n_items (changes); i++)
        {
          g_autoptr(AfsParamChange) c = g_list_model_get_item (changes, i);
          printf (_("step %u: node %u (%s) changed\n"), afs_param_change_get_step (c),
                  afs_param_change_get_node_id (c), afs_param_change_get_role (c));
          print_block (_("before"), afs_param_change_get_before (c));
          print_block (_("after"), afs_param_change_get_after (c));
        }
      if (ok && g_list_model_get_n_items (changes) == 0)
        printf ("%s\n", _("step: no Parameter changed"));
    }
  afs_runner_get_total_usage (runner, &usage);
  if (!o->quiet)
    printf (_("Total: %" G_GINT64_FORMAT " tokens, $%.6f\n"), usage.total_tokens, usage.cost_usd);

  if (!save (runner, out, &error))
    return fail (error);
  if (!o->quiet)
    {
      g_autofree char *name = g_file_get_parse_name (out);
      printf (_("Saved %s\n"), name);
    }
  return status;
}

int
afnio_cmd_run (int argc, char **argv)
{
  Options o = { 0 };
  g_autoptr(GOptionContext) context = g_option_context_new (_("SESSION.hf - run a studio session headless"));
  GOptionEntry entries[] = {
    { "mode", 0, 0, G_OPTION_ARG_STRING, &o.mode, N_("live, replay (default: $AFNIO_MODE, else replay) or record"), "MODE" },
    { "backward", 'b', 0, G_OPTION_ARG_NONE, &o.backward, N_("Run backward after the forward pass"), NULL },
    { "from", 0, 0, G_OPTION_ARG_STRING, &o.from, N_("Where backward starts (default: the first evaluator's explanation)"), "NODE[:PORT]" },
    { "feedback", 'f', 0, G_OPTION_ARG_STRING, &o.feedback, N_("Your own feedback, the starting gradient of backward"), "TEXT" },
    { "step", 's', 0, G_OPTION_ARG_NONE, &o.step, N_("Take one optimizer (TGD) step after backward"), NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out, N_("Save the result here (default: over SESSION.hf)"), "OUT.hf" },
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &o.base_url, N_("Server base URL (default: $AFNIO_BASE_URL)"), "URL" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &o.model, N_("Forward model (default: $AFNIO_MODEL)"), "NAME" },
    { "backward-model", 0, 0, G_OPTION_ARG_STRING, &o.backward_model, N_("Backward model (default: $AFNIO_BACKWARD_MODEL)"), "NAME" },
    { "optimizer-model", 0, 0, G_OPTION_ARG_STRING, &o.optimizer_model, N_("Optimizer model (default: $AFNIO_OPTIMIZER_MODEL)"), "NAME" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, N_("Print nothing but errors"), NULL },
    { NULL }
  };
  GError *error = NULL;
  int status;

  g_set_prgname ("afnio run");
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("The API key is read from $OPENAI_API_KEY. Sessions pin their own models for\n"
      "backward and the optimizer when they carry recordings, so that replay works."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "afnio run: %s\n", error->message);
      g_error_free (error);
      return 2;
    }
  if (argc != 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      fprintf (stderr, "%s", help);
      return 2;
    }
  if (o.step && !o.backward)
    o.backward = TRUE;   /* a step needs feedback */
  status = run (&o, argv[1]);
  g_free (o.mode);
  g_free (o.base_url);
  g_free (o.model);
  g_free (o.backward_model);
  g_free (o.optimizer_model);
  g_free (o.from);
  g_free (o.feedback);
  g_free (o.out);
  return status;
}
