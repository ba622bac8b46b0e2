/* afn-lm-prompts.h: every prompt that afnio's engine writes itself.
 *
 * All wording sent to a backward model or to the TGD optimizer model lives in
 * afn-lm-prompts.c, and docs/optimizer.md shows it. Templates use `{name}`
 * placeholders; the values inserted are never rescanned for placeholders.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Feedback for a Variable used in a chat completion (and, with eval_mode
 * false, in an LM judge's messages or inputs).
 * {role} {variable} {conversation} {answer} {feedback} */
extern const char afn_prompt_backward_system[];
extern const char afn_prompt_backward_user[];

/* Feedback for an evaluator's prediction (or target) on one sample.
 * {evaluation} {role} {prediction} {target} {score} {judge} */
extern const char afn_prompt_evaluator_system[];
extern const char afn_prompt_evaluator_user[];
/* The {judge} part, present only for an LM judge: {reasoning} */
extern const char afn_prompt_evaluator_judge[];

/* The TGD step. {variable_role} {variable} {feedback} {past_values}
 * {constraints} {examples} {open_tag} {close_tag} */
extern const char afn_prompt_tgd_system[];
extern const char afn_prompt_tgd_user[];
/* One feedback item: {context} {feedback} */
extern const char afn_prompt_tgd_feedback_item[];
/* One momentum entry: {index} {value} {feedback} */
extern const char afn_prompt_tgd_past_value[];
/* One in-context example: {before} {feedback} {after} */
extern const char afn_prompt_tgd_example[];
/* Sent after a reply without the tags. {open_tag} {close_tag} */
extern const char afn_prompt_tgd_reminder[];

#define AFN_TGD_OPEN_TAG  "<IMPROVED_VARIABLE>"
#define AFN_TGD_CLOSE_TAG "</IMPROVED_VARIABLE>"

/* Fills @template from NULL-terminated name, value pairs. Transfer full. */
char *afn_lm_prompt_fill (const char *template, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
