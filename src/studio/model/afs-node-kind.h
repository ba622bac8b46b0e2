/* afs-node-kind.h: the registry of node kinds (Variable, add, chat
 * completion...) with their ports, default settings and setting checks.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <json-glib/json-glib.h>
#include "afs-model-types.h"

G_BEGIN_DECLS

#define AFS_TYPE_NODE_KIND (afs_node_kind_get_type ())
G_DECLARE_FINAL_TYPE (AfsNodeKind, afs_node_kind, AFS, NODE_KIND, GObject)

/*
 * Kind ids (stable, used in JSON): "variable", "parameter", "add", "sum",
 * "split", "chat_completion", "exact_match_evaluator",
 * "deterministic_evaluator", "lm_judge_evaluator".
 *
 * Settings per kind (JSON values):
 *   variable, parameter: data (string | number | list of all strings or all
 *     numbers), role (string), requires_grad (bool; parameter defaults true)
 *   add, sum: none
 *   split: sep (string or null), maxsplit (int, -1 = no limit),
 *     parts (int >= 1: how many output ports "part0".. the node shows)
 *   chat_completion: model (string), temperature (number),
 *     messages (list of {"role": "system"|"user"|"assistant",
 *     "content": string with {placeholders}}). Inputs: "prompt" (a
 *     Variable/Parameter used as the system message) and one input per
 *     distinct {placeholder} in the messages.
 *   exact_match_evaluator: reduction ("sum"|"mean"), reduction_purpose (string)
 *   deterministic_evaluator: eval_fn (string, registry name), eval_fn_purpose,
 *     success_fn (string), reduction, reduction_purpose
 *   lm_judge_evaluator: model, temperature, messages (as chat_completion),
 *     eval_mode (bool), success_fn, reduction, reduction_purpose; inputs
 *     prediction, target and one per {placeholder}.
 * Evaluators output "score" and "explanation"; other ops output "output".
 */

/* The registry: every kind, in menu order (transfer none; a GListModel of
 * AfsNodeKind that never changes). */
GListModel  *afs_node_kind_list (void);
/* Returns the kind with @id or NULL (transfer none). */
AfsNodeKind *afs_node_kind_lookup (const char *id);

const char  *afs_node_kind_get_id (AfsNodeKind *self);
/* Translated display name ("Chat Completion"), transfer none. */
const char  *afs_node_kind_get_name (AfsNodeKind *self);
const char  *afs_node_kind_get_description (AfsNodeKind *self);
/* Extra words the node search matches ("llm prompt gpt"). */
const char  *afs_node_kind_get_keywords (AfsNodeKind *self);
/* TRUE for Variable and Parameter (nodes holding data, no inputs). */
gboolean     afs_node_kind_is_data (AfsNodeKind *self);

/* A new object with the default settings (transfer full). */
JsonObject  *afs_node_kind_default_settings (AfsNodeKind *self);
/* Computes the ports for @settings: two arrays of AfsPort (transfer full,
 * free with g_ptr_array_unref). */
void         afs_node_kind_compute_ports (AfsNodeKind *self, JsonObject *settings,
                                          GPtrArray **inputs, GPtrArray **outputs);
/* Checks that @value is acceptable for setting @key. Returns FALSE with
 * AFS_DOCUMENT_ERROR_INVALID_SETTING saying what is wrong otherwise. */
gboolean     afs_node_kind_validate_setting (AfsNodeKind *self, const char *key,
                                             JsonNode *value, GError **error);

/* For node search after a wire is dropped on empty space: TRUE when a fresh
 * node of @self has a port of direction @dir that a wire of @type could join
 * (an input accepting an output of @type, or an output an input of @type
 * accepts). */
gboolean     afs_node_kind_has_compatible_port (AfsNodeKind *self, AfsPortDirection dir,
                                                AfsPortType type);

/* Distinct {placeholder} names in @text, in order (transfer full, NULL-terminated). */
char       **afs_extract_placeholders (const char *text);

void         afs_port_free (AfsPort *port);

G_END_DECLS
