/* afn-llm-private.h: helpers shared by the language-model ops and TGD.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afnio.h"
#include "afn-model-client.h"

G_BEGIN_DECLS

/* The text of element @i of a list Variable, or the whole text of a scalar
 * (any @i). Numbers print as Python would. Transfer full. */
char      *afn_llm_element_text (AfnVariable *variable, guint i);
/* The number of elements of a list Variable, 0 for a scalar. */
guint      afn_llm_list_length (AfnVariable *variable);

/* Fills `{name}` placeholders in @template from @values (name -> text).
 * `{{` and `}}` are literal braces; a `{` not followed by an identifier and
 * `}` is kept as it is. An identifier with no value is an error when
 * @strict, and kept verbatim otherwise. @where names the template in errors.
 * Transfer full; NULL with AFN_ERROR_INVALID_DATA. */
char      *afn_llm_fill_placeholders (const char *template, GHashTable *values,
                                      gboolean strict, const char *where, GError **error);

/* A JSON message {"role": @role, "content": @content}. */
JsonObject *afn_llm_message_new (const char *role, const char *content);
/* A request of two messages: @system, then @user. Transfer full. */
JsonArray *afn_llm_request_new (const char *system, const char *user);
/* A conversation rendered for people and prompts:
 * <MESSAGE role="system">...</MESSAGE> lines. Transfer full. */
char      *afn_llm_render_conversation (JsonArray *messages);
/* A deep copy of a JSON object (NULL gives an empty object). */
JsonObject *afn_llm_json_object_copy (JsonObject *object);

/* A snapshot of one input of a language-model node, taken at forward time
 * so that the backward prompt shows exactly what the forward saw. */
typedef struct {
  char     *role;
  AfnValue *data;          /* snapshot */
  gint      only_element;  /* an element of a list-of-Variables input, or -1 */
} AfnLlmSavedInput;

/* An empty GArray of AfnLlmSavedInput that clears its elements. */
GArray    *afn_llm_saved_inputs_new (void);
/* Appends a snapshot of each of @vars (AfnVariable), with the matching
 * gint of @only_element. */
void       afn_llm_saved_inputs_add (GArray *inputs, GPtrArray *vars, GArray *only_element);
/* The text of element @i of a list snapshot ("" past its end), or the
 * whole text of a scalar one. Transfer full. */
char      *afn_llm_saved_input_text (AfnLlmSavedInput *input, guint i);

/* The backward request asking for feedback on element @i of @input: the
 * forward's @conversation, its @answer and the @feedback it got. */
JsonArray *afn_llm_input_backward_request (AfnLlmSavedInput *input, guint i,
                                           JsonArray *conversation, const char *answer,
                                           const char *feedback);

/* Runs every conversation of @requests (JsonArray elements) through
 * @client at once, with @args, and collects the replies in order. When one
 * fails the others are cancelled and the first error is reported once all
 * have ended, so no callback outlives the task. */
void       afn_llm_chat_many_async  (AfnModelClient *client, GPtrArray *requests,
                                     JsonObject *args, GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
/* A GPtrArray of AfnChatReply (in request order); @usage (nullable) gets
 * the sum of their usage. Transfer full. */
GPtrArray *afn_llm_chat_many_finish (GAsyncResult *result, AfnUsage *usage, GError **error);

/* Starts an async call with @start and iterates the thread-default main
 * context until it completes; returns its result (transfer full). The
 * synchronous wrappers use this. */
typedef void (*AfnLlmStartFunc) (gpointer data, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
GAsyncResult *afn_llm_run_sync (AfnLlmStartFunc start, gpointer data, GCancellable *cancellable);

/* A new string Variable with @role "feedback to ROLE" holding @text (or a
 * list of texts when @texts is not NULL). */
AfnVariable *afn_llm_feedback_new (const char *role, const char *text);
AfnVariable *afn_llm_feedback_new_list (const char *role, GPtrArray *texts);

/* The texts of @grads (AfnVariable gradients that arrived for one output)
 * for batch element @i, non-empty ones joined in arrival order with a blank
 * line. "" when there are none. Transfer full. */
char      *afn_llm_join_feedback (GPtrArray *grads, guint i);

/* Prints a number the way afnio shows scores: integers plainly, floats in
 * Python's repr. Transfer full. */
char      *afn_llm_format_number (double value, gboolean integral);

G_END_DECLS

G_BEGIN_DECLS
#include "afn-chat-messages.h"

/* Every Variable in @messages' contents, then in @inputs, in order: the
 * inputs of the op's node. Transfer full (references). */
GPtrArray *afn_chat_template_variables (GPtrArray *messages, AfnChatInputs *inputs);
/* The batch size: 0 when no Variable holds a list, else the common length.
 * Lists of different lengths are an AFN_ERROR_SHAPE_MISMATCH naming them. */
gboolean   afn_chat_template_batch_size (GPtrArray *messages, AfnChatInputs *inputs,
                                         guint *size, GError **error);
/* The conversation for batch element @i (any @i when not batched): each
 * message's Variables joined with "\n", placeholders filled from @inputs.
 * Transfer full. */
JsonArray *afn_chat_template_render (GPtrArray *messages, AfnChatInputs *inputs,
                                     guint i, GError **error);
G_END_DECLS
