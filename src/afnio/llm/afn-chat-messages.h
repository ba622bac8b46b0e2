/* afn-chat-messages.h: the messages and inputs of language-model ops.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <json-glib/json-glib.h>
#include "afn-variable.h"

G_BEGIN_DECLS

/**
 * AfnChatMessage:
 * One message of a conversation template: a role ("system", "user" or
 * "assistant") and a list of Variables whose texts are joined with "\n".
 * `{name}` placeholders in the joined text are filled from the inputs.
 * Reference counted.
 */
typedef struct _AfnChatMessage AfnChatMessage;
#define AFN_TYPE_CHAT_MESSAGE (afn_chat_message_get_type ())
GType           afn_chat_message_get_type (void) G_GNUC_CONST;
/* NULL-terminated list of AfnVariable; references are taken. Transfer full. */
AfnChatMessage *afn_chat_message_new (const char *role, AfnVariable *first, ...) G_GNUC_NULL_TERMINATED;
/* @content: AfnVariable elements; references are taken. Transfer full. */
AfnChatMessage *afn_chat_message_new_array (const char *role, GPtrArray *content);
AfnChatMessage *afn_chat_message_ref (AfnChatMessage *self);
void            afn_chat_message_unref (AfnChatMessage *self);
const char     *afn_chat_message_get_role (const AfnChatMessage *self);
GPtrArray      *afn_chat_message_get_content (const AfnChatMessage *self); /* transfer none */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnChatMessage, afn_chat_message_unref)

/* A new GPtrArray of AfnChatMessage (free function set): the `messages`
 * argument of chat_completion, lm_judge_evaluator and TGD. */
GPtrArray      *afn_chat_messages_new (void);

/**
 * AfnChatInputs:
 * The `inputs` of an op: an ordered map from placeholder name to a Variable
 * (scalar, or a list that makes the op run once per element) or to a list
 * of scalar Variables (a batch, one Variable per element). Reference counted.
 */
typedef struct _AfnChatInputs AfnChatInputs;
#define AFN_TYPE_CHAT_INPUTS (afn_chat_inputs_get_type ())
GType          afn_chat_inputs_get_type (void) G_GNUC_CONST;
AfnChatInputs *afn_chat_inputs_new (void);
AfnChatInputs *afn_chat_inputs_ref (AfnChatInputs *self);
void           afn_chat_inputs_unref (AfnChatInputs *self);
/* Adding a name again replaces its value in place. References are taken. */
void           afn_chat_inputs_add (AfnChatInputs *self, const char *name, AfnVariable *value);
/* A plain string (a Variable that does not require grad is made for it). */
void           afn_chat_inputs_add_str (AfnChatInputs *self, const char *name, const char *value);
/* A list of strings: a batch. */
void           afn_chat_inputs_add_strv (AfnChatInputs *self, const char *name, const char * const *values);
/* A list of scalar Variables: a batch. */
void           afn_chat_inputs_add_variables (AfnChatInputs *self, const char *name, GPtrArray *values);
guint          afn_chat_inputs_get_n_items (AfnChatInputs *self);
const char    *afn_chat_inputs_get_name (AfnChatInputs *self, guint i);
/* The Variables of entry @i: one, or the elements of a list. Transfer none. */
GPtrArray     *afn_chat_inputs_get_values (AfnChatInputs *self, guint i);
gboolean       afn_chat_inputs_is_variable_list (AfnChatInputs *self, guint i);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnChatInputs, afn_chat_inputs_unref)

G_END_DECLS
