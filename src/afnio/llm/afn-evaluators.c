/* afn-evaluators.c: the three evaluators and their backward node.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "afn-evaluators.h"
#include "afn-lm-node.h"
#include "afn-lm-prompts.h"
#include "afn-llm-private.h"

/* One node type serves the three evaluators; only the name and what was
 * saved differ. */
#define AFN_TYPE_EVALUATOR_BACKWARD (afn_evaluator_backward_get_type ())
G_DECLARE_FINAL_TYPE (AfnEvaluatorBackward, afn_evaluator_backward, AFN, EVALUATOR_BACKWARD, AfnLmNode)

typedef struct {
  char      *prediction;
  char      *target;
  double     score;
  gboolean   succeeded;
  char      *reasoning;     /* the judge's own explanation, or NULL */
  JsonArray *conversation;  /* what the judge was sent, or NULL */
  char      *answer;        /* the judge's reply, or NULL */
} Sample;

struct _AfnEvaluatorBackward
{
  AfnLmNode parent_instance;
  gboolean  judge;
  gboolean  eval_mode;
  char     *explanation;
  char     *prediction_role;
  guint     batch;          /* 0 for one sample */
  gboolean  integral;
  gboolean  all_succeeded;
  GArray   *samples;        /* Sample; NULL once released */
  guint     prediction_index;
  guint     target_index;   /* G_MAXUINT without a target input */
  GArray   *inputs;         /* AfnLlmSavedInput per next_function (judge) */
};

G_DEFINE_FINAL_TYPE (AfnEvaluatorBackward, afn_evaluator_backward, AFN_TYPE_LM_NODE)

static void
sample_clear (gpointer data)
{
  Sample *s = data;

  g_free (s->prediction);
  g_free (s->target);
  g_free (s->reasoning);
  g_clear_pointer (&s->conversation, json_array_unref);
  g_free (s->answer);
}

static char *
incoming_feedback (GPtrArray *grad_outputs, const char *explanation)
{
  GString *out = g_string_new (NULL);

  for (guint o = 0; grad_outputs != NULL && o < grad_outputs->len; o++)
    {
      g_autofree char *text = afn_llm_join_feedback (g_ptr_array_index (grad_outputs, o), 0);

      /* The default gradient of explanation.backward() is the explanation. */
      if (*text == '\0' || g_str_equal (text, explanation))
        continue;
      if (out->len > 0)
        g_string_append (out, "\n\n");
      g_string_append (out, text);
    }
  return g_string_free (out, FALSE);
}

static JsonArray *
prediction_request (AfnEvaluatorBackward *self, Sample *s, const char *extra)
{
  g_autofree char *evaluation = *extra != '\0'
    ? g_strdup_printf ("%s\n\n%s", self->explanation, extra) : g_strdup (self->explanation);
  g_autofree char *score = afn_llm_format_number (s->score, self->integral);
  g_autofree char *judge = s->reasoning != NULL
    ? afn_lm_prompt_fill (afn_prompt_evaluator_judge, "reasoning", s->reasoning, NULL) : g_strdup ("");
  g_autofree char *user = afn_lm_prompt_fill (afn_prompt_evaluator_user,
                                              "evaluation", evaluation,
                                              "role", self->prediction_role,
                                              "prediction", s->prediction,
                                              "target", s->target,
                                              "score", score,
                                              "judge", judge,
                                              NULL);

  return afn_llm_request_new (afn_prompt_evaluator_system, user);
}

static JsonArray *
judge_input_request (AfnEvaluatorBackward *self, AfnLlmSavedInput *input, Sample *s, guint i,
                     const char *extra)
{
  g_autofree char *feedback = g_strdup_printf ("%s%s%s", self->explanation,
                                               *extra != '\0' ? "\n\n" : "", extra);

  return afn_llm_input_backward_request (input, i, s->conversation, s->answer, feedback);
}

static gboolean
sample_done (AfnEvaluatorBackward *self, guint i)
{
  return self->all_succeeded || g_array_index (self->samples, Sample, i).succeeded;
}

static void
plan_prediction (AfnEvaluatorBackward *self, AfnLmPlan *plan, const char *extra)
{
  guint k = self->prediction_index;

  if (afn_node_get_next_function (AFN_NODE (self), k, NULL) == NULL)
    return;
  afn_lm_plan_want (plan, k, self->prediction_role, self->batch);
  for (guint i = 0; i < self->samples->len; i++)
    {
      g_autoptr(JsonArray) request = NULL;

      if (!sample_done (self, i))
        request = prediction_request (self, &g_array_index (self->samples, Sample, i), extra);
      afn_lm_plan_add (plan, k, i, request, "");
    }
}

static void
plan_judge_inputs (AfnEvaluatorBackward *self, AfnLmPlan *plan, const char *extra)
{
  for (guint k = 0; k < self->inputs->len; k++)
    {
      AfnLlmSavedInput *input = &g_array_index (self->inputs, AfnLlmSavedInput, k);
      gboolean is_list = afn_value_kind (input->data) == AFN_VALUE_LIST;

      if (k == self->prediction_index || k == self->target_index
          || afn_node_get_next_function (AFN_NODE (self), k, NULL) == NULL)
        continue;
      afn_lm_plan_want (plan, k, input->role, is_list ? self->batch : 0);
      for (guint i = 0; i < self->samples->len; i++)
        {
          g_autoptr(JsonArray) request = NULL;

          if (input->only_element >= 0 && (guint) input->only_element != i)
            continue;
          if (!sample_done (self, i))
            request = judge_input_request (self, input, &g_array_index (self->samples, Sample, i), i, extra);
          afn_lm_plan_add (plan, k, i, request, "");
        }
    }
}

static gboolean
afn_evaluator_backward_plan (AfnLmNode *node, GPtrArray *grad_outputs, AfnLmPlan *plan,
                             GError **error)
{
  AfnEvaluatorBackward *self = AFN_EVALUATOR_BACKWARD (node);
  g_autofree char *extra = NULL;

  if (self->samples == NULL)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED,
                   _("Trying to backward through %s a second time: its saved values were freed; "
                     "pass retain_graph=True to the first backward"),
                   afn_node_get_name (AFN_NODE (self)));
      return FALSE;
    }
  extra = incoming_feedback (grad_outputs, self->explanation);
  if (!self->judge || self->eval_mode)
    plan_prediction (self, plan, extra);
  else
    plan_judge_inputs (self, plan, extra);
  return TRUE;
}

static void
afn_evaluator_backward_release_saved (AfnNode *node)
{
  g_clear_pointer (&AFN_EVALUATOR_BACKWARD (node)->samples, g_array_unref);
}

static void
afn_evaluator_backward_finalize (GObject *object)
{
  AfnEvaluatorBackward *self = AFN_EVALUATOR_BACKWARD (object);

  g_free (self->explanation);
  g_free (self->prediction_role);
  g_clear_pointer (&self->samples, g_array_unref);
  g_clear_pointer (&self->inputs, g_array_unref);
  G_OBJECT_CLASS (afn_evaluator_backward_parent_class)->finalize (object);
}

static void
afn_evaluator_backward_class_init (AfnEvaluatorBackwardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afn_evaluator_backward_finalize;
  AFN_NODE_CLASS (klass)->release_saved = afn_evaluator_backward_release_saved;
  AFN_LM_NODE_CLASS (klass)->plan = afn_evaluator_backward_plan;
}

static void
afn_evaluator_backward_init (AfnEvaluatorBackward *self)
{
  self->samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  g_array_set_clear_func (self->samples, sample_clear);
  self->inputs = afn_llm_saved_inputs_new ();
  self->target_index = G_MAXUINT;
}

/* What every evaluator computes before it builds its outputs. */
typedef struct {
  GArray   *scores;       /* double per sample */
  gboolean  integral;
  guint     batch;        /* 0 for one sample */
  char     *purpose;      /* eval_fn_purpose, or NULL for the LM judge */
  char     *reduction;    /* "sum", ..., "none" */
  char     *reduction_purpose;
  char     *success_fn;
} Scored;

static void
scored_clear (Scored *s)
{
  g_clear_pointer (&s->scores, g_array_unref);
  g_clear_pointer (&s->purpose, g_free);
  g_clear_pointer (&s->reduction, g_free);
  g_clear_pointer (&s->reduction_purpose, g_free);
  g_clear_pointer (&s->success_fn, g_free);
}

static gboolean
scored_set_options (Scored *s, const char *success_fn, const char *reduction_fn,
                    const char *reduction_fn_purpose, GError **error)
{
  const char *default_purpose = "None";

  s->reduction = g_strdup (reduction_fn != NULL ? reduction_fn : "sum");
  if (!g_str_equal (s->reduction, "none")
      && !afn_reduction_lookup (s->reduction, &default_purpose, error))
    return FALSE;
  s->reduction_purpose = g_strdup (reduction_fn_purpose != NULL ? reduction_fn_purpose : default_purpose);
  if (success_fn != NULL && !afn_success_parse (success_fn, error))
    return FALSE;
  s->success_fn = g_strdup (success_fn);
  return TRUE;
}

static AfnValue *
scored_score_value (Scored *s)
{
  AfnValue *list;

  if (!g_str_equal (s->reduction, "none"))
    return afn_reduction_apply (s->reduction, s->scores, s->integral);
  if (s->batch == 0)
    return afn_reduction_apply ("sum", s->scores, s->integral);
  list = afn_value_new_list ();
  for (guint i = 0; i < s->scores->len; i++)
    {
      double v = g_array_index (s->scores, double, i);

      afn_value_append_take (list, s->integral ? afn_value_new_int ((gint64) v) : afn_value_new_float (v));
    }
  return list;
}

static char *
explanation_text (Scored *s, const char *prediction, const char *target, AfnValue *score)
{
  g_autofree char *designed = s->purpose != NULL
    ? g_strdup_printf ("designed for '%s'", s->purpose) : g_strdup ("designed using an LM as the judge");
  g_autofree char *score_text = afn_value_to_text (score);

  if (s->batch == 0)
    return g_strdup_printf ("The evaluation function, %s, compared the <DATA> field of the predicted "
                            "variable ('%s') with the <DATA> field of the target variable ('%s'), "
                            "resulting in a score: %s.", designed, prediction, target, score_text);
  return g_strdup_printf ("The evaluation function, %s, compared the <DATA> fields of the predicted "
                          "variable and the target variable across all samples in the batch, "
                          "generating individual scores for each pair. These scores were then "
                          "aggregated using the reduction function '%s', resulting in a final "
                          "aggregated score: %s.", designed, s->reduction_purpose, score_text);
}

static gboolean
all_succeeded (Scored *s)
{
  if (s->success_fn == NULL)
    return FALSE;
  for (guint i = 0; i < s->scores->len; i++)
    if (!afn_success_sample (s->success_fn, g_array_index (s->scores, double, i)))
      return FALSE;
  return TRUE;
}

static void
fill_samples (AfnEvaluatorBackward *node, Scored *s, AfnVariable *prediction, AfnVariable *target)
{
  for (guint i = 0; i < s->scores->len; i++)
    {
      Sample sample = { 0 };

      sample.prediction = afn_llm_element_text (prediction, i);
      sample.target = target != NULL ? afn_llm_element_text (target, i) : g_strdup ("");
      sample.score = g_array_index (s->scores, double, i);
      sample.succeeded = s->success_fn != NULL && afn_success_sample (s->success_fn, sample.score);
      g_array_append_val (node->samples, sample);
    }
}

/* The explanation is set once the outputs are made (make_outputs()). */
static AfnEvaluatorBackward *
node_new (const char *name, Scored *s, AfnVariable *prediction)
{
  AfnEvaluatorBackward *node = g_object_new (AFN_TYPE_EVALUATOR_BACKWARD, NULL);

  afn_node_set_name (AFN_NODE (node), name);
  node->prediction_role = g_strdup (afn_variable_get_role (prediction));
  node->batch = s->batch;
  node->integral = s->integral;
  node->all_succeeded = all_succeeded (s);
  return node;
}

/* Builds (score, explanation); records @node (when not NULL) over @inputs. */
static void
make_outputs (Scored *s, AfnVariable *prediction, AfnVariable *target,
              AfnEvaluatorBackward *node, GPtrArray *inputs,
              AfnVariable **score_out, AfnVariable **explanation_out)
{
  g_autoptr(AfnValue) score = scored_score_value (s);
  g_autofree char *p = afn_llm_element_text (prediction, 0);
  g_autofree char *t = target != NULL ? afn_llm_element_text (target, 0) : g_strdup ("");
  g_autofree char *text = explanation_text (s, p, t, score);
  AfnVariable *outputs[2];

  outputs[0] = afn_variable_new_raw (AFN_TYPE_VARIABLE, score, AFN_EVALUATOR_SCORE_ROLE, FALSE);
  outputs[1] = afn_variable_new_str (text, AFN_EVALUATOR_EXPLANATION_ROLE, FALSE);
  if (node != NULL)
    {
      node->explanation = g_strdup (text);
      afn_node_record (AFN_NODE (node), (AfnVariable **) inputs->pdata, inputs->len, outputs, 2);
    }
  *score_out = outputs[0];
  *explanation_out = outputs[1];
}

static gboolean
deterministic (const char *node_name, AfnVariable *prediction, AfnVariable *target,
               const char *eval_fn, const char *eval_fn_purpose, const char *success_fn,
               const char *reduction_fn, const char *reduction_fn_purpose,
               AfnVariable **score, AfnVariable **explanation, GError **error)
{
  Scored s = { 0 };
  g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
  g_autoptr(AfnEvaluatorBackward) node = NULL;
  char *default_purpose = NULL;

  g_return_val_if_fail (AFN_IS_VARIABLE (prediction) && AFN_IS_VARIABLE (target), FALSE);
  g_return_val_if_fail (score != NULL && explanation != NULL && eval_fn != NULL, FALSE);
  if (!scored_set_options (&s, success_fn, reduction_fn, reduction_fn_purpose, error))
    goto fail;
  s.scores = afn_scoring_run (eval_fn, afn_variable_get_data (prediction),
                              afn_variable_get_data (target), &s.integral, &default_purpose, error);
  if (s.scores == NULL)
    goto fail;
  s.purpose = eval_fn_purpose != NULL ? g_strdup (eval_fn_purpose) : g_strdup (default_purpose);
  s.batch = afn_llm_list_length (prediction);
  g_ptr_array_add (inputs, prediction);
  g_ptr_array_add (inputs, target);
  if (afn_node_should_record ((AfnVariable **) inputs->pdata, inputs->len))
    {
      node = node_new (node_name, &s, prediction);
      node->prediction_index = 0;
      node->target_index = 1;
      fill_samples (node, &s, prediction, target);
    }
  make_outputs (&s, prediction, target, node, inputs, score, explanation);
  g_free (default_purpose);
  scored_clear (&s);
  return TRUE;

fail:
  g_free (default_purpose);
  scored_clear (&s);
  return FALSE;
}

gboolean
afn_deterministic_evaluator (AfnVariable *prediction, AfnVariable *target,
                             const char *eval_fn, const char *eval_fn_purpose,
                             const char *success_fn,
                             const char *reduction_fn, const char *reduction_fn_purpose,
                             AfnVariable **score, AfnVariable **explanation, GError **error)
{
  return deterministic ("DeterministicEvaluatorBackward0", prediction, target, eval_fn,
                        eval_fn_purpose, success_fn, reduction_fn, reduction_fn_purpose,
                        score, explanation, error);
}

gboolean
afn_exact_match_evaluator (AfnVariable *prediction, AfnVariable *target,
                           const char *reduction_fn, const char *reduction_fn_purpose,
                           AfnVariable **score, AfnVariable **explanation, GError **error)
{
  return deterministic ("ExactMatchEvaluatorBackward0", prediction, target, "exact",
                        "exact match", "score>=1", reduction_fn, reduction_fn_purpose,
                        score, explanation, error);
}

/* The LM judge. */
typedef struct {
  Scored      s;
  AfnVariable *prediction;
  AfnVariable *target;
  GPtrArray   *vars;           /* node inputs: messages, prediction, target, inputs */
  GArray      *only_element;
  guint        prediction_index;
  guint        target_index;
  GPtrArray   *conversations;
  gboolean     eval_mode;
  gboolean     record;
  AfnUsage     usage;
  AfnVariable *score;
  AfnVariable *explanation;
} JudgeCall;

static void
judge_call_free (gpointer data)
{
  JudgeCall *call = data;

  scored_clear (&call->s);
  g_clear_object (&call->prediction);
  g_clear_object (&call->target);
  g_clear_pointer (&call->vars, g_ptr_array_unref);
  g_clear_pointer (&call->only_element, g_array_unref);
  g_clear_pointer (&call->conversations, g_ptr_array_unref);
  g_clear_object (&call->score);
  g_clear_object (&call->explanation);
  g_free (call);
}

static void
add_var (JudgeCall *call, AfnVariable *v, gint only)
{
  g_ptr_array_add (call->vars, g_object_ref (v));
  g_array_append_val (call->only_element, only);
}

static void
judge_collect_vars (JudgeCall *call, GPtrArray *messages, AfnChatInputs *inputs)
{
  g_autoptr(GPtrArray) message_vars = afn_chat_template_variables (messages, NULL);

  call->vars = g_ptr_array_new_with_free_func (g_object_unref);
  call->only_element = g_array_new (FALSE, FALSE, sizeof (gint));
  for (guint k = 0; k < message_vars->len; k++)
    add_var (call, g_ptr_array_index (message_vars, k), -1);
  call->prediction_index = call->vars->len;
  add_var (call, call->prediction, -1);
  call->target_index = G_MAXUINT;
  if (call->target != NULL)
    {
      call->target_index = call->vars->len;
      add_var (call, call->target, -1);
    }
  for (guint e = 0; inputs != NULL && e < afn_chat_inputs_get_n_items (inputs); e++)
    {
      GPtrArray *values = afn_chat_inputs_get_values (inputs, e);
      gboolean is_list = afn_chat_inputs_is_variable_list (inputs, e);

      for (guint k = 0; k < values->len; k++)
        add_var (call, g_ptr_array_index (values, k), is_list ? (gint) k : -1);
    }
}

static AfnChatInputs *
judge_inputs (JudgeCall *call, AfnChatInputs *inputs)
{
  AfnChatInputs *all = afn_chat_inputs_new ();

  for (guint e = 0; inputs != NULL && e < afn_chat_inputs_get_n_items (inputs); e++)
    {
      if (afn_chat_inputs_is_variable_list (inputs, e))
        afn_chat_inputs_add_variables (all, afn_chat_inputs_get_name (inputs, e),
                                       afn_chat_inputs_get_values (inputs, e));
      else
        afn_chat_inputs_add (all, afn_chat_inputs_get_name (inputs, e),
                             g_ptr_array_index (afn_chat_inputs_get_values (inputs, e), 0));
    }
  afn_chat_inputs_add (all, "prediction", call->prediction);
  if (call->target != NULL)
    afn_chat_inputs_add (all, "target", call->target);
  return all;
}

static gboolean
judge_prepare (JudgeCall *call, GPtrArray *messages, AfnChatInputs *inputs, GError **error)
{
  g_autoptr(AfnChatInputs) all = judge_inputs (call, inputs);

  if (messages == NULL || messages->len == 0)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                           _("lm_judge_evaluator needs at least one message"));
      return FALSE;
    }
  if (!afn_chat_template_batch_size (messages, all, &call->s.batch, error))
    return FALSE;
  judge_collect_vars (call, messages, inputs);
  call->record = afn_node_should_record ((AfnVariable **) call->vars->pdata, call->vars->len);
  call->conversations = g_ptr_array_new_with_free_func ((GDestroyNotify) json_array_unref);
  for (guint i = 0; i < MAX (call->s.batch, 1); i++)
    {
      JsonArray *conversation = afn_chat_template_render (messages, all, i, error);

      if (conversation == NULL)
        return FALSE;
      g_ptr_array_add (call->conversations, conversation);
    }
  return TRUE;
}

/* Reads {"score": ..., "explanation": ...} from a reply that may wrap the
 * object in prose or a code fence. */
static gboolean
parse_verdict (const char *reply, guint sample, double *score, gboolean *integral,
               char **reasoning, GError **error)
{
  const char *open = strchr (reply, '{');
  const char *close = strrchr (reply, '}');
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object = NULL;
  JsonNode *member;

  if (open != NULL && close != NULL && close > open
      && json_parser_load_from_data (parser, open, close - open + 1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    object = json_node_get_object (json_parser_get_root (parser));
  member = object != NULL ? json_object_get_member (object, "score") : NULL;
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member)
      || json_node_get_value_type (member) == G_TYPE_STRING)
    {
      g_autofree char *excerpt = g_utf8_substring (reply, 0, MIN (g_utf8_strlen (reply, -1), 200));

      g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                   _("The judge's reply for sample %u is not a JSON object with a numeric “score”: %s"),
                   sample + 1, excerpt);
      return FALSE;
    }
  if (json_node_get_value_type (member) == G_TYPE_BOOLEAN)
    *score = json_node_get_boolean (member) ? 1 : 0;
  else
    {
      *score = json_node_get_double (member);
      if (json_node_get_value_type (member) != G_TYPE_INT64)
        *integral = FALSE;
    }
  *reasoning = g_strdup (json_object_get_string_member_with_default (object, "explanation", ""));
  return TRUE;
}

static AfnEvaluatorBackward *
judge_node (JudgeCall *call, GPtrArray *replies, GPtrArray *reasonings)
{
  AfnEvaluatorBackward *node = node_new ("LMJudgeEvaluatorBackward0", &call->s, call->prediction);

  node->judge = TRUE;
  node->eval_mode = call->eval_mode;
  node->prediction_index = call->prediction_index;
  node->target_index = call->target_index;
  fill_samples (node, &call->s, call->prediction, call->target);
  for (guint i = 0; i < node->samples->len; i++)
    {
      Sample *sample = &g_array_index (node->samples, Sample, i);

      sample->reasoning = g_strdup (g_ptr_array_index (reasonings, i));
      sample->conversation = json_array_ref (g_ptr_array_index (call->conversations, i));
      sample->answer = g_strdup (afn_chat_reply_get_text (g_ptr_array_index (replies, i)));
    }
  afn_llm_saved_inputs_add (node->inputs, call->vars, call->only_element);
  return node;
}

static void
judge_replies_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  JudgeCall *call = g_task_get_task_data (task);
  g_autoptr(GPtrArray) replies = NULL;
  g_autoptr(GPtrArray) reasonings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(AfnEvaluatorBackward) node = NULL;
  GError *error = NULL;

  replies = afn_llm_chat_many_finish (result, &call->usage, &error);
  if (replies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  call->s.scores = g_array_new (FALSE, FALSE, sizeof (double));
  call->s.integral = TRUE;
  for (guint i = 0; i < replies->len; i++)
    {
      double score;
      char *reasoning;

      if (!parse_verdict (afn_chat_reply_get_text (g_ptr_array_index (replies, i)), i,
                          &score, &call->s.integral, &reasoning, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_array_append_val (call->s.scores, score);
      g_ptr_array_add (reasonings, reasoning);
    }
  if (call->record)
    {
      node = judge_node (call, replies, reasonings);
      afn_lm_node_set_forward_usage (AFN_LM_NODE (node), &call->usage);
    }
  make_outputs (&call->s, call->prediction, call->target, node, call->vars,
                &call->score, &call->explanation);
  g_task_return_boolean (task, TRUE);
}

void
afn_lm_judge_evaluator_async (AfnModelClient *client, GPtrArray *messages,
                              AfnVariable *prediction, AfnVariable *target,
                              AfnChatInputs *inputs, const char *success_fn,
                              const char *reduction_fn, const char *reduction_fn_purpose,
                              gboolean eval_mode, JsonObject *completion_args,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) args = NULL;
  JudgeCall *call;
  GError *error = NULL;

  g_return_if_fail (AFN_IS_MODEL_CLIENT (client) && AFN_IS_VARIABLE (prediction));
  task = g_task_new (NULL, cancellable, callback, user_data);
  call = g_new0 (JudgeCall, 1);
  args = afn_llm_json_object_copy (completion_args);
  g_task_set_source_tag (task, afn_lm_judge_evaluator_async);
  g_task_set_task_data (task, call, judge_call_free);
  call->prediction = g_object_ref (prediction);
  call->target = target != NULL ? g_object_ref (target) : NULL;
  call->eval_mode = eval_mode;
  if (!scored_set_options (&call->s, success_fn, reduction_fn, reduction_fn_purpose, &error)
      || !judge_prepare (call, messages, inputs, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  afn_llm_chat_many_async (client, call->conversations, args, cancellable,
                           judge_replies_cb, g_object_ref (task));
}

gboolean
afn_lm_judge_evaluator_finish (GAsyncResult *result, AfnVariable **score,
                               AfnVariable **explanation, AfnUsage *usage, GError **error)
{
  JudgeCall *call = g_task_get_task_data (G_TASK (result));

  if (usage != NULL)
    *usage = call->usage;
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  *score = g_steal_pointer (&call->score);
  *explanation = g_steal_pointer (&call->explanation);
  return TRUE;
}

typedef struct {
  AfnModelClient *client;
  GPtrArray      *messages;
  AfnVariable    *prediction, *target;
  AfnChatInputs  *inputs;
  const char     *success_fn, *reduction_fn, *reduction_fn_purpose;
  gboolean        eval_mode;
  JsonObject     *args;
} JudgeSyncArgs;

static void
judge_start_sync (gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback,
                  gpointer user_data)
{
  JudgeSyncArgs *a = data;

  afn_lm_judge_evaluator_async (a->client, a->messages, a->prediction, a->target, a->inputs,
                                a->success_fn, a->reduction_fn, a->reduction_fn_purpose,
                                a->eval_mode, a->args, cancellable, callback, user_data);
}

gboolean
afn_lm_judge_evaluator (AfnModelClient *client, GPtrArray *messages,
                        AfnVariable *prediction, AfnVariable *target,
                        AfnChatInputs *inputs, const char *success_fn,
                        const char *reduction_fn, const char *reduction_fn_purpose,
                        gboolean eval_mode, JsonObject *completion_args,
                        AfnVariable **score, AfnVariable **explanation,
                        AfnUsage *usage, GCancellable *cancellable, GError **error)
{
  JudgeSyncArgs a = { client, messages, prediction, target, inputs, success_fn,
                      reduction_fn, reduction_fn_purpose, eval_mode, completion_args };
  g_autoptr(GAsyncResult) result = afn_llm_run_sync (judge_start_sync, &a, cancellable);

  return afn_lm_judge_evaluator_finish (result, score, explanation, usage, error);
}
