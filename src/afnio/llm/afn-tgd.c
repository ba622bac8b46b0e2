/* afn-tgd.c: Textual Gradient Descent.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "afn-tgd.h"
#include "afn-backward-client.h"
#include "afn-lm-prompts.h"
#include "afn-llm-private.h"

/* afnio's TGD keeps these placeholder messages to mean "the built-in prompt";
 * state_dict writes them so that files stay readable by afnio. */
#define PLACEHOLDER_SYSTEM      "Placeholder for Textual Gradient Descent optimizer system prompt"
#define PLACEHOLDER_SYSTEM_ROLE "Textual Gradient Descent optimizer system prompt"
#define PLACEHOLDER_USER        "Placeholder for Textual Gradient Descent optimizer user prompt"
#define PLACEHOLDER_USER_ROLE   "Textual Gradient Descent optimizer user prompt"

typedef struct {
  char *before;
  char *feedback;
  char *after;
} Example;

struct _AfnTGD
{
  GObject         parent_instance;
  GPtrArray      *params;       /* AfnVariable */
  AfnModelClient *client;       /* nullable */
  GPtrArray      *messages;     /* AfnChatMessage, NULL for the built-in prompt */
  AfnChatInputs  *inputs;
  GStrv           constraints;
  guint           momentum;
  JsonObject     *completion_args;
  GPtrArray      *buffers;      /* per param: GPtrArray of AfnValue tuples, oldest first */
  GArray         *examples;     /* Example */
  AfnUsage        usage;
  guint           last_requests;
  gboolean        stepping;
};

G_DEFINE_FINAL_TYPE (AfnTGD, afn_tgd, G_TYPE_OBJECT)

static void
example_clear (gpointer data)
{
  Example *e = data;

  g_free (e->before);
  g_free (e->feedback);
  g_free (e->after);
}

static void
afn_tgd_finalize (GObject *object)
{
  AfnTGD *self = AFN_TGD (object);

  g_clear_pointer (&self->params, g_ptr_array_unref);
  g_clear_object (&self->client);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  g_clear_pointer (&self->inputs, afn_chat_inputs_unref);
  g_clear_pointer (&self->constraints, g_strfreev);
  g_clear_pointer (&self->completion_args, json_object_unref);
  g_clear_pointer (&self->buffers, g_ptr_array_unref);
  g_clear_pointer (&self->examples, g_array_unref);
  G_OBJECT_CLASS (afn_tgd_parent_class)->finalize (object);
}

static void
afn_tgd_class_init (AfnTGDClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afn_tgd_finalize;
}

static void
afn_tgd_init (AfnTGD *self)
{
  self->params = g_ptr_array_new_with_free_func (g_object_unref);
  self->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  self->examples = g_array_new (FALSE, TRUE, sizeof (Example));
  g_array_set_clear_func (self->examples, example_clear);
}

static GPtrArray *
copy_messages (GPtrArray *messages)
{
  GPtrArray *copy;

  if (messages == NULL)
    return NULL;
  copy = afn_chat_messages_new ();
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (copy, afn_chat_message_ref (g_ptr_array_index (messages, i)));
  return copy;
}

AfnTGD *
afn_tgd_new (GPtrArray *params, AfnModelClient *client, GPtrArray *messages,
             AfnChatInputs *inputs, const char * const *constraints,
             guint momentum, JsonObject *completion_args)
{
  AfnTGD *self = g_object_new (AFN_TYPE_TGD, NULL);

  g_return_val_if_fail (params != NULL, NULL);
  for (guint i = 0; i < params->len; i++)
    {
      g_ptr_array_add (self->params, g_object_ref (g_ptr_array_index (params, i)));
      g_ptr_array_add (self->buffers, g_ptr_array_new_with_free_func ((GDestroyNotify) afn_value_unref));
    }
  self->client = client != NULL ? g_object_ref (client) : NULL;
  self->messages = copy_messages (messages);
  self->inputs = inputs != NULL ? afn_chat_inputs_ref (inputs) : afn_chat_inputs_new ();
  self->constraints = constraints != NULL ? g_strdupv ((char **) constraints) : g_new0 (char *, 1);
  self->momentum = momentum;
  self->completion_args = afn_llm_json_object_copy (completion_args);
  return self;
}

GPtrArray *
afn_tgd_get_params (AfnTGD *self)
{
  return self->params;
}

guint
afn_tgd_get_momentum (AfnTGD *self)
{
  return self->momentum;
}

void
afn_tgd_add_example (AfnTGD *self, const char *before, const char *feedback, const char *after)
{
  Example e = { g_strdup (before), g_strdup (feedback), g_strdup (after) };

  g_array_append_val (self->examples, e);
}

void
afn_tgd_zero_grad (AfnTGD *self)
{
  for (guint i = 0; i < self->params->len; i++)
    {
      AfnVariable *p = g_ptr_array_index (self->params, i);

      if (afn_variable_is_leaf (p) || afn_variable_retains_grad (p))
        afn_variable_set_grads (p, NULL, NULL);
    }
}

void
afn_tgd_get_usage (AfnTGD *self, AfnUsage *usage)
{
  *usage = self->usage;
}

guint
afn_tgd_get_last_step_requests (AfnTGD *self)
{
  return self->last_requests;
}

/* The prompt. */

/* Every non-empty feedback text of @param, as <ITEM> lines; "" when none. */
static char *
feedback_items (AfnVariable *param)
{
  GString *out = g_string_new (NULL);
  guint n = afn_variable_is_leaf (param) || afn_variable_retains_grad (param)
    ? afn_variable_n_grads (param) : 0;

  for (guint g = 0; g < n; g++)
    {
      AfnVariable *grad = afn_variable_get_grad (param, g);
      guint len = MAX (afn_llm_list_length (grad), 1);

      for (guint i = 0; i < len; i++)
        {
          g_autofree char *text = afn_llm_element_text (grad, i);
          g_autofree char *item = NULL;

          if (*text == '\0')
            continue;
          item = afn_lm_prompt_fill (afn_prompt_tgd_feedback_item, "feedback", text, NULL);
          g_string_append (out, item);
        }
    }
  return g_string_free (out, FALSE);
}

static char *
past_values (AfnTGD *self, guint k)
{
  GPtrArray *buffer = g_ptr_array_index (self->buffers, k);
  GString *out = g_string_new (NULL);

  if (buffer->len == 0)
    return g_string_free (out, FALSE);
  g_string_append (out, "<PAST_ITERATIONS>\n");
  for (guint b = 0; b < buffer->len; b++)
    {
      AfnValue *entry = g_ptr_array_index (buffer, b);
      AfnVariable *value = afn_value_get_object (afn_value_get_item (entry, 0));
      AfnValue *grads = afn_value_get_item (entry, 1);
      g_autofree char *index = g_strdup_printf ("%u", b + 1);
      g_autofree char *text = afn_llm_element_text (value, 0);
      g_autoptr(GString) feedback = g_string_new (NULL);
      g_autofree char *item = NULL;

      for (guint g = 0; g < afn_value_n_items (grads); g++)
        {
          AfnVariable *grad = afn_value_get_object (afn_value_get_item (grads, g));
          g_autoptr(GPtrArray) one = g_ptr_array_new ();
          g_autofree char *t = NULL;

          g_ptr_array_add (one, grad);
          t = afn_llm_join_feedback (one, 0);
          if (*t == '\0')
            continue;
          if (feedback->len > 0)
            g_string_append (feedback, "\n");
          g_string_append (feedback, t);
        }
      item = afn_lm_prompt_fill (afn_prompt_tgd_past_value, "index", index, "value", text,
                                 "feedback", feedback->str, NULL);
      g_string_append (out, item);
    }
  g_string_append (out, "</PAST_ITERATIONS>\n");
  return g_string_free (out, FALSE);
}

static char *
constraints_text (AfnTGD *self)
{
  GString *out = g_string_new (NULL);

  if (self->constraints[0] == NULL)
    return g_string_free (out, FALSE);
  g_string_append (out, "<CONSTRAINTS>\n");
  for (guint i = 0; self->constraints[i] != NULL; i++)
    g_string_append_printf (out, "<CONSTRAINT>%s</CONSTRAINT>\n", self->constraints[i]);
  g_string_append (out, "</CONSTRAINTS>\n");
  return g_string_free (out, FALSE);
}

static char *
examples_text (AfnTGD *self)
{
  GString *out = g_string_new (NULL);

  if (self->examples->len == 0)
    return g_string_free (out, FALSE);
  g_string_append (out, "<EXAMPLES>\n");
  for (guint i = 0; i < self->examples->len; i++)
    {
      Example *e = &g_array_index (self->examples, Example, i);
      g_autofree char *item = afn_lm_prompt_fill (afn_prompt_tgd_example, "before", e->before,
                                                  "feedback", e->feedback, "after", e->after, NULL);

      g_string_append (out, item);
    }
  g_string_append (out, "</EXAMPLES>\n");
  return g_string_free (out, FALSE);
}

static JsonArray *
build_request (AfnTGD *self, guint k, const char *feedback, GError **error)
{
  AfnVariable *param = g_ptr_array_index (self->params, k);
  const char *role = afn_variable_get_role (param) != NULL ? afn_variable_get_role (param) : "";
  g_autofree char *value = afn_llm_element_text (param, 0);
  g_autofree char *past = past_values (self, k);
  g_autofree char *constraints = constraints_text (self);
  g_autofree char *examples = examples_text (self);
  g_autoptr(AfnChatInputs) all = afn_chat_inputs_new ();
  g_autoptr(GPtrArray) messages = NULL;
  const char *names[] = { "variable_role", "variable", "feedback", "past_values",
                          "constraints", "examples", "open_tag", "close_tag" };
  const char *values[] = { role, value, feedback, past, constraints, examples,
                           AFN_TGD_OPEN_TAG, AFN_TGD_CLOSE_TAG };

  for (guint e = 0; e < afn_chat_inputs_get_n_items (self->inputs); e++)
    afn_chat_inputs_add (all, afn_chat_inputs_get_name (self->inputs, e),
                         g_ptr_array_index (afn_chat_inputs_get_values (self->inputs, e), 0));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    afn_chat_inputs_add_str (all, names[i], values[i]);
  if (self->messages == NULL)
    {
      g_autoptr(AfnVariable) system = afn_variable_new_str (afn_prompt_tgd_system, NULL, FALSE);
      g_autoptr(AfnVariable) user = afn_variable_new_str (afn_prompt_tgd_user, NULL, FALSE);

      messages = afn_chat_messages_new ();
      g_ptr_array_add (messages, afn_chat_message_new ("system", system, NULL));
      g_ptr_array_add (messages, afn_chat_message_new ("user", user, NULL));
    }
  return afn_chat_template_render (messages != NULL ? messages : self->messages, all, 0, error);
}

/* The text between the agreed tags, or NULL. The last closing tag is used
 * so that a value that itself mentions the tag survives. */
static char *
extract_value (const char *reply)
{
  const char *open = strstr (reply, AFN_TGD_OPEN_TAG);
  const char *close;
  const char *start;

  if (open == NULL)
    return NULL;
  start = open + strlen (AFN_TGD_OPEN_TAG);
  close = g_strrstr (start, AFN_TGD_CLOSE_TAG);
  if (close == NULL)
    return NULL;
  return g_strstrip (g_strndup (start, close - start));
}

/* The step. */
typedef struct {
  guint      k;          /* parameter index */
  JsonArray *request;
  guint      attempts;
  char      *new_value;
} Job;

typedef struct {
  AfnModelClient *client;
  JsonObject     *args;
  GArray         *jobs;         /* Job */
  GCancellable   *cancellable;  /* ours: cancelled on the first failure */
  GCancellable   *outer;
  gulong          outer_id;
  guint           pending;
  GError         *error;
  AfnUsage        usage;
} Step;

typedef struct {
  GTask *task;
  guint  j;
} JobCall;

static void
job_clear (gpointer data)
{
  Job *job = data;

  g_clear_pointer (&job->request, json_array_unref);
  g_free (job->new_value);
}

static void
step_free (gpointer data)
{
  Step *step = data;

  if (step->outer != NULL)
    g_cancellable_disconnect (step->outer, step->outer_id);
  g_clear_object (&step->outer);
  g_clear_object (&step->client);
  g_clear_pointer (&step->args, json_object_unref);
  g_clear_pointer (&step->jobs, g_array_unref);
  g_clear_object (&step->cancellable);
  g_clear_error (&step->error);
  g_free (step);
}

static void job_send (GTask *task, guint j);

static void
step_fail (Step *step, GError *error)
{
  if (step->error == NULL)
    {
      step->error = error;
      g_cancellable_cancel (step->cancellable);
    }
  else
    g_error_free (error);
}

static GError *
missing_tags_error (AfnTGD *self, Job *job, const char *reply)
{
  AfnVariable *param = g_ptr_array_index (self->params, job->k);
  g_autofree char *excerpt = g_utf8_substring (reply, 0, MIN (g_utf8_strlen (reply, -1), 200));

  return g_error_new (AFN_ERROR, AFN_ERROR_FAILED,
                      _("The optimizer's reply for parameter %u (“%s”) has no %s…%s tags, even after a "
                        "reminder; the parameter was not changed. The reply began: %s"),
                      job->k, afn_variable_get_role (param) != NULL ? afn_variable_get_role (param) : "",
                      AFN_TGD_OPEN_TAG, AFN_TGD_CLOSE_TAG, excerpt);
}

static void
step_finish_all (GTask *task);

static void
job_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobCall *call = user_data;
  g_autoptr(GTask) task = call->task;
  AfnTGD *self = g_task_get_source_object (task);
  Step *step = g_task_get_task_data (task);
  Job *job = &g_array_index (step->jobs, Job, call->j);
  g_autoptr(AfnChatReply) reply = NULL;
  GError *error = NULL;
  const char *text;
  guint j = call->j;

  g_free (call);
  reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &error);
  if (reply == NULL)
    step_fail (step, error);
  else
    {
      afn_usage_add (&step->usage, afn_chat_reply_get_usage (reply));
      text = afn_chat_reply_get_text (reply) != NULL ? afn_chat_reply_get_text (reply) : "";
      job->new_value = extract_value (text);
      if (job->new_value == NULL && job->attempts == 1 && step->error == NULL)
        {
          g_autofree char *reminder = afn_lm_prompt_fill (afn_prompt_tgd_reminder,
                                                          "open_tag", AFN_TGD_OPEN_TAG,
                                                          "close_tag", AFN_TGD_CLOSE_TAG, NULL);

          json_array_add_object_element (job->request, afn_llm_message_new ("assistant", text));
          json_array_add_object_element (job->request, afn_llm_message_new ("user", reminder));
          job_send (task, j);
          return;
        }
      if (job->new_value == NULL)
        step_fail (step, missing_tags_error (self, job, text));
    }
  if (--step->pending == 0)
    step_finish_all (task);
}

static void
job_send (GTask *task, guint j)
{
  Step *step = g_task_get_task_data (task);
  Job *job = &g_array_index (step->jobs, Job, j);
  AfnTGD *self = g_task_get_source_object (task);
  JobCall *call = g_new0 (JobCall, 1);

  call->task = g_object_ref (task);
  call->j = j;
  job->attempts++;
  self->last_requests++;
  afn_model_client_chat_async (step->client, job->request, step->args, step->cancellable,
                               job_reply_cb, call);
}

static AfnValue *
momentum_entry (AfnVariable *param)
{
  g_autoptr(AfnParameter) snapshot = afn_parameter_new (afn_variable_get_data (param),
                                                        afn_variable_get_role (param), TRUE, NULL);
  AfnValue *entry = afn_value_new_tuple ();
  AfnValue *grads = afn_value_new_list ();

  for (guint g = 0; g < afn_variable_n_grads (param); g++)
    afn_value_append_take (grads, afn_value_new_object (afn_variable_get_grad (param, g)));
  if (snapshot == NULL)
    snapshot = AFN_PARAMETER (afn_variable_new_raw (AFN_TYPE_PARAMETER, afn_variable_get_data (param),
                                                    afn_variable_get_role (param), TRUE));
  afn_value_append_take (entry, afn_value_new_object (snapshot));
  afn_value_append_take (entry, grads);
  return entry;
}

/* Writes every new value; runs only when all jobs succeeded. */
static void
apply_updates (AfnTGD *self, Step *step)
{
  for (guint j = 0; j < step->jobs->len; j++)
    {
      Job *job = &g_array_index (step->jobs, Job, j);
      AfnVariable *param = g_ptr_array_index (self->params, job->k);
      GPtrArray *buffer = g_ptr_array_index (self->buffers, job->k);
      g_autoptr(AfnValue) value = afn_value_new_str (job->new_value, -1);

      if (self->momentum > 0)
        {
          g_ptr_array_add (buffer, momentum_entry (param));
          while (buffer->len > self->momentum)
            g_ptr_array_remove_index (buffer, 0);
        }
      afn_variable_set_data (param, value, NULL);
    }
}

static void
step_finish_all (GTask *task)
{
  AfnTGD *self = g_task_get_source_object (task);
  Step *step = g_task_get_task_data (task);

  self->stepping = FALSE;
  afn_usage_add (&self->usage, &step->usage);
  if (step->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&step->error));
      return;
    }
  apply_updates (self, step);
  g_task_return_boolean (task, TRUE);
}

static void
outer_cancelled_cb (GCancellable *outer, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static gboolean
plan_jobs (AfnTGD *self, Step *step, GError **error)
{
  for (guint k = 0; k < self->params->len; k++)
    {
      AfnVariable *param = g_ptr_array_index (self->params, k);
      g_autofree char *feedback = feedback_items (param);
      Job job = { k, NULL, 0, NULL };

      if (*feedback == '\0')
        continue;
      if (afn_value_kind (afn_variable_get_data (param)) != AFN_VALUE_STR)
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                       _("TGD can only rewrite text: parameter %u (“%s”) does not hold a string"),
                       k, afn_variable_get_role (param) != NULL ? afn_variable_get_role (param) : "");
          return FALSE;
        }
      job.request = build_request (self, k, feedback, error);
      if (job.request == NULL)
        return FALSE;
      g_array_append_val (step->jobs, job);
    }
  return TRUE;
}

void
afn_tgd_step_async (AfnTGD *self, GCancellable *cancellable,
                    GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Step *step = g_new0 (Step, 1);
  GError *error = NULL;

  g_task_set_source_tag (task, afn_tgd_step_async);
  step->jobs = g_array_new (FALSE, TRUE, sizeof (Job));
  g_array_set_clear_func (step->jobs, job_clear);
  step->cancellable = g_cancellable_new ();
  g_task_set_task_data (task, step, step_free);
  self->last_requests = 0;
  if (self->stepping)
    {
      g_task_return_new_error (task, AFN_ERROR, AFN_ERROR_FAILED,
                               _("A TGD step is already running on this optimizer"));
      return;
    }
  if (!plan_jobs (self, step, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (step->jobs->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  step->client = self->client != NULL ? g_object_ref (self->client) : afn_get_backward_model_client (&error);
  if (step->client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  step->args = afn_llm_json_object_copy (self->completion_args);
  if (self->client == NULL && !json_object_has_member (step->args, "model"))
    {
      g_autoptr(JsonObject) backward_args = afn_get_backward_completion_args ();

      if (backward_args != NULL && json_object_has_member (backward_args, "model"))
        json_object_set_string_member (step->args, "model",
                                       json_object_get_string_member (backward_args, "model"));
    }
  if (cancellable != NULL)
    {
      step->outer = g_object_ref (cancellable);
      step->outer_id = g_cancellable_connect (cancellable, G_CALLBACK (outer_cancelled_cb),
                                              step->cancellable, NULL);
    }
  self->stepping = TRUE;
  step->pending = step->jobs->len;
  for (guint j = 0; j < step->jobs->len; j++)
    job_send (task, j);
}

gboolean
afn_tgd_step_finish (AfnTGD *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
step_start_sync (gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback,
                 gpointer user_data)
{
  afn_tgd_step_async (AFN_TGD (data), cancellable, callback, user_data);
}

gboolean
afn_tgd_step (AfnTGD *self, GCancellable *cancellable, GError **error)
{
  g_autoptr(GAsyncResult) result = afn_llm_run_sync (step_start_sync, self, cancellable);

  return afn_tgd_step_finish (self, result, error);
}

/* state_dict */

static AfnValue *
str_value (const char *s)
{
  return afn_value_new_str (s, -1);
}

static AfnValue *
json_to_value (JsonNode *node)
{
  AfnValue *out;

  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObject *object = json_node_get_object (node);
        g_autoptr(GList) members = json_object_get_members (object);

        out = afn_value_new_dict ();
        for (GList *m = members; m != NULL; m = m->next)
          afn_value_dict_set_take (out, str_value (m->data),
                                   json_to_value (json_object_get_member (object, m->data)));
        return out;
      }
    case JSON_NODE_ARRAY:
      out = afn_value_new_list ();
      for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
        afn_value_append_take (out, json_to_value (json_array_get_element (json_node_get_array (node), i)));
      return out;
    case JSON_NODE_NULL:
      return afn_value_new_none ();
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN: return afn_value_new_bool (json_node_get_boolean (node));
        case G_TYPE_INT64:   return afn_value_new_int (json_node_get_int (node));
        case G_TYPE_DOUBLE:  return afn_value_new_float (json_node_get_double (node));
        default:             return str_value (json_node_get_string (node));
        }
    }
}

/* The reverse, for completion args read from a state dict; FALSE for a
 * value JSON cannot hold. */
static JsonNode *
value_to_json (AfnValue *value)
{
  JsonNode *node = json_node_alloc ();

  switch (afn_value_kind (value))
    {
    case AFN_VALUE_NONE:  return json_node_init_null (node);
    case AFN_VALUE_BOOL:  return json_node_init_boolean (node, afn_value_get_bool (value));
    case AFN_VALUE_INT:   return json_node_init_int (node, afn_value_get_int (value));
    case AFN_VALUE_FLOAT: return json_node_init_double (node, afn_value_get_float (value));
    case AFN_VALUE_STR:   return json_node_init_string (node, afn_value_get_str (value, NULL));
    case AFN_VALUE_LIST:
    case AFN_VALUE_TUPLE:
      {
        JsonArray *array = json_array_new ();

        for (guint i = 0; i < afn_value_n_items (value); i++)
          {
            JsonNode *item = value_to_json (afn_value_get_item (value, i));

            if (item == NULL)
              return json_array_unref (array), json_node_free (node), NULL;
            json_array_add_element (array, item);
          }
        return json_node_init_array (node, array), json_array_unref (array), node;
      }
    case AFN_VALUE_DICT:
    case AFN_VALUE_ORDERED_DICT:
      {
        JsonObject *object = json_object_new ();

        for (guint i = 0; i < afn_value_n_items (value); i++)
          {
            AfnValue *key = afn_value_get_key (value, i);
            JsonNode *item = afn_value_kind (key) == AFN_VALUE_STR
              ? value_to_json (afn_value_get_item (value, i)) : NULL;

            if (item == NULL)
              return json_object_unref (object), json_node_free (node), NULL;
            json_object_set_member (object, afn_value_get_str (key, NULL), item);
          }
        return json_node_init_object (node, object), json_object_unref (object), node;
      }
    default:
      json_node_free (node);
      return NULL;
    }
}

static AfnValue *
usage_value (AfnModelClient *client)
{
  AfnUsage usage = { 0 };
  AfnValue *out = afn_value_new_dict ();
  AfnValue *prompt_details = afn_value_new_dict ();
  AfnValue *completion_details = afn_value_new_dict ();
  AfnValue *cost = afn_value_new_dict ();

  afn_model_client_get_usage (client, &usage);
  afn_value_dict_set_take (out, str_value ("completion_tokens"), afn_value_new_int (usage.completion_tokens));
  afn_value_dict_set_take (out, str_value ("prompt_tokens"), afn_value_new_int (usage.prompt_tokens));
  afn_value_dict_set_take (out, str_value ("total_tokens"), afn_value_new_int (usage.total_tokens));
  afn_value_dict_set_take (prompt_details, str_value ("cached_tokens"), afn_value_new_int (usage.cached_tokens));
  afn_value_dict_set_take (prompt_details, str_value ("audio_tokens"), afn_value_new_int (0));
  afn_value_dict_set_take (out, str_value ("prompt_tokens_details"), prompt_details);
  afn_value_dict_set_take (completion_details, str_value ("reasoning_tokens"), afn_value_new_int (0));
  afn_value_dict_set_take (completion_details, str_value ("audio_tokens"), afn_value_new_int (0));
  afn_value_dict_set_take (completion_details, str_value ("accepted_prediction_tokens"), afn_value_new_int (0));
  afn_value_dict_set_take (completion_details, str_value ("rejected_prediction_tokens"), afn_value_new_int (0));
  afn_value_dict_set_take (out, str_value ("completion_tokens_details"), completion_details);
  afn_value_dict_set_take (cost, str_value ("amount"), afn_value_new_float (usage.cost_usd));
  afn_value_dict_set_take (cost, str_value ("currency"), str_value ("USD"));
  afn_value_dict_set_take (out, str_value ("cost"), cost);
  return out;
}

static AfnValue *
client_value (AfnTGD *self)
{
  AfnValue *out;

  if (self->client == NULL)
    return afn_value_new_none ();
  out = afn_value_new_dict ();
  /* afnio names the Python class of its client; ours speaks the same API. */
  afn_value_dict_set_take (out, str_value ("class_type"), str_value ("AsyncOpenAI"));
  afn_value_dict_set_take (out, str_value ("provider"), str_value ("openai"));
  afn_value_dict_set_take (out, str_value ("usage"), usage_value (self->client));
  return out;
}

static AfnValue *
message_value (const char *role, GPtrArray *content)
{
  AfnValue *out = afn_value_new_dict ();
  AfnValue *list = afn_value_new_list ();

  for (guint k = 0; k < content->len; k++)
    afn_value_append_take (list, afn_value_new_object (g_ptr_array_index (content, k)));
  afn_value_dict_set_take (out, str_value ("role"), str_value (role));
  afn_value_dict_set_take (out, str_value ("content"), list);
  return out;
}

static AfnValue *
messages_value (AfnTGD *self)
{
  AfnValue *out = afn_value_new_list ();

  if (self->messages == NULL)
    {
      g_autoptr(GPtrArray) system = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GPtrArray) user = g_ptr_array_new_with_free_func (g_object_unref);

      g_ptr_array_add (system, afn_variable_new_str (PLACEHOLDER_SYSTEM, PLACEHOLDER_SYSTEM_ROLE, FALSE));
      g_ptr_array_add (user, afn_variable_new_str (PLACEHOLDER_USER, PLACEHOLDER_USER_ROLE, FALSE));
      afn_value_append_take (out, message_value ("system", system));
      afn_value_append_take (out, message_value ("user", user));
      return out;
    }
  for (guint m = 0; m < self->messages->len; m++)
    {
      AfnChatMessage *message = g_ptr_array_index (self->messages, m);

      afn_value_append_take (out, message_value (afn_chat_message_get_role (message),
                                                 afn_chat_message_get_content (message)));
    }
  return out;
}

static AfnValue *
inputs_value (AfnTGD *self)
{
  AfnValue *out = afn_value_new_dict ();

  for (guint e = 0; e < afn_chat_inputs_get_n_items (self->inputs); e++)
    {
      GPtrArray *values = afn_chat_inputs_get_values (self->inputs, e);
      AfnValue *v;

      if (afn_chat_inputs_is_variable_list (self->inputs, e))
        {
          v = afn_value_new_list ();
          for (guint k = 0; k < values->len; k++)
            afn_value_append_take (v, afn_value_new_object (g_ptr_array_index (values, k)));
        }
      else
        v = afn_value_new_object (g_ptr_array_index (values, 0));
      afn_value_dict_set_take (out, str_value (afn_chat_inputs_get_name (self->inputs, e)), v);
    }
  return out;
}

static AfnValue *
param_group_value (AfnTGD *self)
{
  g_autoptr(JsonNode) args = json_node_init_object (json_node_alloc (), self->completion_args);
  AfnValue *group = afn_value_new_dict ();
  AfnValue *constraints = afn_value_new_list ();
  AfnValue *params = afn_value_new_list ();

  for (guint i = 0; self->constraints[i] != NULL; i++)
    afn_value_append_take (constraints, str_value (self->constraints[i]));
  for (guint k = 0; k < self->params->len; k++)
    afn_value_append_take (params, afn_value_new_int (k));
  afn_value_dict_set_take (group, str_value ("model_client"), client_value (self));
  afn_value_dict_set_take (group, str_value ("messages"), messages_value (self));
  afn_value_dict_set_take (group, str_value ("inputs"), inputs_value (self));
  afn_value_dict_set_take (group, str_value ("constraints"), constraints);
  afn_value_dict_set_take (group, str_value ("momentum"), afn_value_new_int (self->momentum));
  afn_value_dict_set_take (group, str_value ("completion_args"), json_to_value (args));
  afn_value_dict_set_take (group, str_value ("params"), params);
  return group;
}

AfnValue *
afn_tgd_state_dict (AfnTGD *self)
{
  AfnValue *out = afn_value_new_dict ();
  AfnValue *state = afn_value_new_dict ();
  AfnValue *groups = afn_value_new_list ();

  g_return_val_if_fail (AFN_IS_TGD (self), NULL);
  for (guint k = 0; k < self->params->len; k++)
    {
      GPtrArray *buffer = g_ptr_array_index (self->buffers, k);
      AfnValue *entry, *list;

      if (buffer->len == 0)
        continue;
      entry = afn_value_new_dict ();
      list = afn_value_new_list ();
      for (guint b = 0; b < buffer->len; b++)
        afn_value_append_take (list, afn_value_ref (g_ptr_array_index (buffer, b)));
      afn_value_dict_set_take (entry, str_value ("momentum_buffer"), list);
      afn_value_dict_set_take (state, afn_value_new_int (k), entry);
    }
  afn_value_append_take (groups, param_group_value (self));
  afn_value_dict_set_take (out, str_value ("state"), state);
  afn_value_dict_set_take (out, str_value ("param_groups"), groups);
  return out;
}

/* load_state_dict: everything is checked and built aside first. */
typedef struct {
  GPtrArray     *buffers;
  GPtrArray     *messages;      /* NULL: built-in */
  AfnChatInputs *inputs;
  GStrv          constraints;
  gint64         momentum;
  JsonObject    *completion_args;
} Loaded;

static void
loaded_clear (Loaded *l)
{
  g_clear_pointer (&l->buffers, g_ptr_array_unref);
  g_clear_pointer (&l->messages, g_ptr_array_unref);
  g_clear_pointer (&l->inputs, afn_chat_inputs_unref);
  g_clear_pointer (&l->constraints, g_strfreev);
  g_clear_pointer (&l->completion_args, json_object_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Loaded, loaded_clear)

static gboolean
invalid (GError **error, const char *what)
{
  g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
               _("Not a TGD state dict: %s"), what);
  return FALSE;
}

static gboolean
is_kind (AfnValue *v, AfnValueKind kind)
{
  return v != NULL && afn_value_kind (v) == kind;
}

static gboolean
is_mapping (AfnValue *v)
{
  return is_kind (v, AFN_VALUE_DICT) || is_kind (v, AFN_VALUE_ORDERED_DICT);
}

static gboolean
is_variable (AfnValue *v)
{
  return is_kind (v, AFN_VALUE_OBJECT) && AFN_IS_VARIABLE (afn_value_get_object (v));
}

static gboolean
check_buffer (AfnValue *buffer, GError **error)
{
  if (!is_kind (buffer, AFN_VALUE_LIST))
    return invalid (error, _("a momentum_buffer is not a list"));
  for (guint b = 0; b < afn_value_n_items (buffer); b++)
    {
      AfnValue *entry = afn_value_get_item (buffer, b);
      AfnValue *grads;

      if (!(is_kind (entry, AFN_VALUE_TUPLE) || is_kind (entry, AFN_VALUE_LIST))
          || afn_value_n_items (entry) != 2 || !is_variable (afn_value_get_item (entry, 0)))
        return invalid (error, _("a momentum_buffer entry is not a (Parameter, [Variable]) pair"));
      grads = afn_value_get_item (entry, 1);
      if (!is_kind (grads, AFN_VALUE_LIST))
        return invalid (error, _("a momentum_buffer entry's gradients are not a list"));
      for (guint g = 0; g < afn_value_n_items (grads); g++)
        if (!is_variable (afn_value_get_item (grads, g)))
          return invalid (error, _("a momentum_buffer gradient is not a Variable"));
    }
  return TRUE;
}

static gboolean
load_state (AfnTGD *self, AfnValue *state, Loaded *l, GError **error)
{
  if (!is_mapping (state))
    return invalid (error, _("“state” is not a dict"));
  l->buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  for (guint k = 0; k < self->params->len; k++)
    g_ptr_array_add (l->buffers, g_ptr_array_new_with_free_func ((GDestroyNotify) afn_value_unref));
  for (guint i = 0; i < afn_value_n_items (state); i++)
    {
      AfnValue *key = afn_value_get_key (state, i);
      AfnValue *entry = afn_value_get_item (state, i);
      AfnValue *buffer = is_mapping (entry) ? afn_value_dict_lookup (entry, "momentum_buffer") : NULL;
      GPtrArray *target;

      if (!is_kind (key, AFN_VALUE_INT) || afn_value_get_int (key) < 0
          || afn_value_get_int (key) >= self->params->len)
        return invalid (error, _("a “state” key is not the index of one of the optimizer's parameters"));
      if (buffer == NULL)
        return invalid (error, _("a state has no momentum_buffer"));
      if (!check_buffer (buffer, error))
        return FALSE;
      target = g_ptr_array_index (l->buffers, afn_value_get_int (key));
      for (guint b = 0; b < afn_value_n_items (buffer); b++)
        g_ptr_array_add (target, afn_value_ref (afn_value_get_item (buffer, b)));
    }
  return TRUE;
}

static gboolean
is_placeholder (AfnValue *messages)
{
  static const char *texts[] = { PLACEHOLDER_SYSTEM, PLACEHOLDER_USER };

  if (afn_value_n_items (messages) != 2)
    return FALSE;
  for (guint m = 0; m < 2; m++)
    {
      AfnValue *content = afn_value_dict_lookup (afn_value_get_item (messages, m), "content");
      AfnValue *data;

      if (!is_kind (content, AFN_VALUE_LIST) || afn_value_n_items (content) != 1)
        return FALSE;
      data = afn_variable_get_data (afn_value_get_object (afn_value_get_item (content, 0)));
      if (!is_kind (data, AFN_VALUE_STR) || strcmp (afn_value_get_str (data, NULL), texts[m]) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
load_messages (AfnValue *messages, Loaded *l, GError **error)
{
  if (!is_kind (messages, AFN_VALUE_LIST))
    return invalid (error, _("“messages” is not a list"));
  for (guint m = 0; m < afn_value_n_items (messages); m++)
    {
      AfnValue *message = afn_value_get_item (messages, m);
      AfnValue *role = is_mapping (message) ? afn_value_dict_lookup (message, "role") : NULL;
      AfnValue *content = is_mapping (message) ? afn_value_dict_lookup (message, "content") : NULL;

      if (!is_kind (role, AFN_VALUE_STR) || !is_kind (content, AFN_VALUE_LIST))
        return invalid (error, _("a message is not a {role, content} dict"));
      for (guint k = 0; k < afn_value_n_items (content); k++)
        if (!is_variable (afn_value_get_item (content, k)))
          return invalid (error, _("a message's content is not a list of Variables"));
    }
  if (is_placeholder (messages))
    return TRUE;
  l->messages = afn_chat_messages_new ();
  for (guint m = 0; m < afn_value_n_items (messages); m++)
    {
      AfnValue *message = afn_value_get_item (messages, m);
      AfnValue *content = afn_value_dict_lookup (message, "content");
      g_autoptr(GPtrArray) vars = g_ptr_array_new ();

      for (guint k = 0; k < afn_value_n_items (content); k++)
        g_ptr_array_add (vars, afn_value_get_object (afn_value_get_item (content, k)));
      g_ptr_array_add (l->messages,
                       afn_chat_message_new_array (afn_value_get_str (afn_value_dict_lookup (message, "role"), NULL), vars));
    }
  return TRUE;
}

static gboolean
load_inputs (AfnValue *inputs, Loaded *l, GError **error)
{
  l->inputs = afn_chat_inputs_new ();
  if (inputs == NULL || is_kind (inputs, AFN_VALUE_NONE))
    return TRUE;
  if (!is_mapping (inputs))
    return invalid (error, _("“inputs” is not a dict"));
  for (guint e = 0; e < afn_value_n_items (inputs); e++)
    {
      AfnValue *key = afn_value_get_key (inputs, e);
      AfnValue *v = afn_value_get_item (inputs, e);
      const char *name;

      if (!is_kind (key, AFN_VALUE_STR))
        return invalid (error, _("an “inputs” key is not a string"));
      name = afn_value_get_str (key, NULL);
      if (is_variable (v))
        afn_chat_inputs_add (l->inputs, name, afn_value_get_object (v));
      else if (is_kind (v, AFN_VALUE_STR))
        afn_chat_inputs_add_str (l->inputs, name, afn_value_get_str (v, NULL));
      else
        return invalid (error, _("an “inputs” value is neither a string nor a Variable"));
    }
  return TRUE;
}

static gboolean
load_group (AfnTGD *self, AfnValue *group, Loaded *l, GError **error)
{
  AfnValue *params = afn_value_dict_lookup (group, "params");
  AfnValue *momentum = afn_value_dict_lookup (group, "momentum");
  AfnValue *constraints = afn_value_dict_lookup (group, "constraints");
  AfnValue *args = afn_value_dict_lookup (group, "completion_args");
  g_autoptr(GPtrArray) strv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonNode) args_node = NULL;

  if (!is_kind (params, AFN_VALUE_LIST) || afn_value_n_items (params) != self->params->len)
    return invalid (error, _("its parameter group does not hold as many parameters as this optimizer"));
  if (!is_kind (momentum, AFN_VALUE_INT) || afn_value_get_int (momentum) < 0)
    return invalid (error, _("“momentum” is not a non-negative integer"));
  l->momentum = afn_value_get_int (momentum);
  if (constraints != NULL && !is_kind (constraints, AFN_VALUE_LIST))
    return invalid (error, _("“constraints” is not a list"));
  for (guint i = 0; constraints != NULL && i < afn_value_n_items (constraints); i++)
    {
      AfnValue *c = afn_value_get_item (constraints, i);

      if (is_kind (c, AFN_VALUE_STR))
        g_ptr_array_add (strv, g_strdup (afn_value_get_str (c, NULL)));
      else if (is_variable (c))
        g_ptr_array_add (strv, afn_llm_element_text (afn_value_get_object (c), 0));
      else
        return invalid (error, _("a constraint is neither a string nor a Variable"));
    }
  g_ptr_array_add (strv, NULL);
  l->constraints = (GStrv) g_ptr_array_steal (strv, NULL);
  args_node = args != NULL ? value_to_json (args) : json_node_init_object (json_node_alloc (), NULL);
  if (args_node == NULL || (args != NULL && !JSON_NODE_HOLDS_OBJECT (args_node)))
    return invalid (error, _("“completion_args” is not a dict of plain values"));
  l->completion_args = args != NULL ? json_object_ref (json_node_get_object (args_node)) : json_object_new ();
  if (!load_inputs (afn_value_dict_lookup (group, "inputs"), l, error))
    return FALSE;
  return load_messages (afn_value_dict_lookup (group, "messages"), l, error);
}

gboolean
afn_tgd_load_state_dict (AfnTGD *self, AfnValue *state, GError **error)
{
  g_auto(Loaded) l = { 0 };
  AfnValue *groups;

  g_return_val_if_fail (AFN_IS_TGD (self), FALSE);
  if (!is_mapping (state))
    return invalid (error, _("it is not a dict"));
  groups = afn_value_dict_lookup (state, "param_groups");
  if (!is_kind (groups, AFN_VALUE_LIST) || afn_value_n_items (groups) != 1
      || !is_mapping (afn_value_get_item (groups, 0)))
    return invalid (error, _("“param_groups” is not a list of one dict"));
  if (!load_state (self, afn_value_dict_lookup (state, "state"), &l, error)
      || !load_group (self, afn_value_get_item (groups, 0), &l, error))
    return FALSE;

  g_ptr_array_unref (self->buffers);
  self->buffers = g_steal_pointer (&l.buffers);
  g_clear_pointer (&self->messages, g_ptr_array_unref);
  self->messages = g_steal_pointer (&l.messages);
  afn_chat_inputs_unref (self->inputs);
  self->inputs = g_steal_pointer (&l.inputs);
  g_strfreev (self->constraints);
  self->constraints = g_steal_pointer (&l.constraints);
  self->momentum = l.momentum;
  json_object_unref (self->completion_args);
  self->completion_args = g_steal_pointer (&l.completion_args);
  return TRUE;
}
