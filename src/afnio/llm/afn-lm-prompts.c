/* afn-lm-prompts.c: every prompt that afnio's engine writes itself.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdarg.h>

#include "afn-lm-prompts.h"
#include "afn-llm-private.h"

const char afn_prompt_backward_system[] =
  "You are the feedback engine of a system that improves text by \"textual "
  "gradient descent\". A language model was sent a conversation and wrote an "
  "answer, and the answer then received feedback. One variable took part in "
  "that conversation. Explain how that variable should change so that the "
  "answer earns better feedback next time.\n"
  "Talk only about the variable, be specific and brief, and do not rewrite "
  "it: say what to change and why. If the variable is not to blame, say so. "
  "Reply with the feedback only.";

const char afn_prompt_backward_user[] =
  "<VARIABLE_ROLE>{role}</VARIABLE_ROLE>\n"
  "<VARIABLE>{variable}</VARIABLE>\n"
  "<CONVERSATION>\n{conversation}</CONVERSATION>\n"
  "<ANSWER>{answer}</ANSWER>\n"
  "<FEEDBACK_ON_ANSWER>{feedback}</FEEDBACK_ON_ANSWER>\n"
  "How should the {role} change?";

const char afn_prompt_evaluator_system[] =
  "You are the feedback engine of a system that improves text by \"textual "
  "gradient descent\". An evaluation compared a predicted value with its "
  "target and gave it a score. Explain how the variable named below should "
  "change so that it would score better.\n"
  "Be specific and brief, and do not rewrite the variable: say what to change "
  "and why. Reply with the feedback only.";

const char afn_prompt_evaluator_user[] =
  "<EVALUATION>{evaluation}</EVALUATION>\n"
  "<VARIABLE_ROLE>{role}</VARIABLE_ROLE>\n"
  "<PREDICTION>{prediction}</PREDICTION>\n"
  "<TARGET>{target}</TARGET>\n"
  "<SCORE>{score}</SCORE>\n"
  "{judge}"
  "How should the {role} change?";

const char afn_prompt_evaluator_judge[] =
  "<JUDGE_REASONING>{reasoning}</JUDGE_REASONING>\n";

const char afn_prompt_tgd_system[] =
  "You are the optimizer of a system that improves text by \"textual "
  "gradient descent\". You are given one variable of the system, the role it "
  "plays, and feedback about how it performed. Write an improved version of "
  "the variable that acts on the feedback, keeps what already works, and "
  "still fits its role.\n"
  "Reply with the complete new value of the variable between {open_tag} and "
  "{close_tag}. Anything outside the tags is ignored.";

const char afn_prompt_tgd_user[] =
  "<VARIABLE_ROLE>{variable_role}</VARIABLE_ROLE>\n"
  "<VARIABLE>{variable}</VARIABLE>\n"
  "<FEEDBACK>\n{feedback}</FEEDBACK>\n"
  "{past_values}"
  "{constraints}"
  "{examples}"
  "Write the improved {variable_role} between {open_tag} and {close_tag}.";

const char afn_prompt_tgd_feedback_item[] =
  "<ITEM>{feedback}</ITEM>\n";

const char afn_prompt_tgd_past_value[] =
  "<PAST_VALUE index=\"{index}\">\n<VALUE>{value}</VALUE>\n<FEEDBACK>{feedback}</FEEDBACK>\n</PAST_VALUE>\n";

const char afn_prompt_tgd_example[] =
  "<EXAMPLE>\n<BEFORE>{before}</BEFORE>\n<FEEDBACK>{feedback}</FEEDBACK>\n<AFTER>{after}</AFTER>\n</EXAMPLE>\n";

const char afn_prompt_tgd_reminder[] =
  "Your reply did not contain the new value between {open_tag} and {close_tag}. "
  "Reply again with the complete improved variable between those tags.";

char *
afn_lm_prompt_fill (const char *template, ...)
{
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  const char *name;
  va_list ap;

  va_start (ap, template);
  while ((name = va_arg (ap, const char *)) != NULL)
    g_hash_table_insert (values, (gpointer) name, va_arg (ap, char *));
  va_end (ap);
  return afn_llm_fill_placeholders (template, values, FALSE, "prompt", NULL);
}
