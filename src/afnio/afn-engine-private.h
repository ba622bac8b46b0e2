/* afn-engine-private.h: functions shared between the engine's own files
 * (variables, nodes, ops and the backward scheduler). Not installed.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afnio.h"

G_BEGIN_DECLS

/* One next_functions entry. An edge to a leaf requiring grad holds the
 * leaf itself (so the graph keeps it alive); its AccumulateGrad node is
 * made only when someone asks for it (afn_node_get_next_function()), which
 * saves an object per leaf in large graphs. */
typedef struct {
  AfnNode     *node;      /* owned, nullable; NULL for a leaf until asked for */
  AfnVariable *leaf;      /* owned, nullable: the leaf this edge accumulates into */
  guint        output_nr;
} AfnEdge;

/* Per-object scratch space for the backward scheduler: a stamp naming the
 * backward that last visited the object, and the object's task there. */
typedef struct {
  guint stamp;
  guint index;
} AfnScratch;

/* The value constructor that shares one block with its bytes (afn-value.c). */
AfnValue *afn_value_new_str_sized (gsize len, char **buf);
/* The same with @room bytes after the string's NUL for the caller's use:
 * they live and die with the value. */
AfnValue *afn_value_new_str_with_room (gsize len, gsize room, char **buf);
/* String values made together (a backward's gradients) share blocks of up
 * to 64 KB instead of one allocation each; a block is freed with its last
 * value. @expected, how many values will be made, sizes the blocks. The
 * arena itself is only needed while making them. */
typedef struct _AfnValueArena AfnValueArena;
AfnValueArena *afn_value_arena_new (guint expected);
void           afn_value_arena_free (AfnValueArena *arena);
/* afn_value_new_str_with_room() in the arena. */
AfnValue      *afn_value_arena_new_str_with_room (AfnValueArena *arena, gsize len, gsize room,
                                                  char **buf);
/* How many references @self has: the .hf reader proves with it that a
 * value is held by nothing else. */
guint     afn_value_peek_ref_count (const AfnValue *self);
/* A DICT's or ORDERED_DICT's pairs as 2 * *@n_pairs values, key and value
 * alternating, in insertion order (transfer none; valid until the mapping
 * changes): for loops over every pair that are run once per object loaded. */
AfnValue *const *afn_value_peek_pairs (const AfnValue *self, guint *n_pairs);
/* Valid UTF-8 for display: a lone surrogate becomes one U+FFFD, other
 * invalid bytes one each, NUL bytes too when @replace_nul. Transfer full. */
char     *afn_utf8_for_display (const char *s, gsize len, gboolean replace_nul);

/* Gradients on their way ------------------------------------------------ */

/* A gradient as the backward hands it on: either an AfnVariable, or a
 * pending gradient that is not a Variable yet: a STR value whose room (see
 * afn_value_new_str_with_room()) holds its role, NUL-terminated, right
 * after the string's NUL, marked by the pointer's low bit. A leaf keeps a
 * pending gradient as it is and makes it a Variable the first time someone
 * reads it as one (afn_variable_get_grad(), the grads list model), so a
 * backward that gives 100,000 leaves one gradient each makes no objects
 * that nobody looks at. Either way an AfnGrad owns one reference. */
typedef struct _AfnGrad AfnGrad;

static inline gboolean
afn_grad_is_pending (const AfnGrad *grad)
{
  return (GPOINTER_TO_SIZE (grad) & 1) != 0;
}

/* @variable: taken. */
static inline AfnGrad *
afn_grad_from_variable (AfnVariable *variable)
{
  return (AfnGrad *) variable;
}

/* @value: taken; a STR value with its role in its room. */
AfnGrad     *afn_grad_new_pending (AfnValue *value);
/* The gradient as a Variable (transfer full); @grad is used up. */
AfnVariable *afn_grad_take_variable (AfnGrad *grad);
/* Replaces a pending gradient in *@slot by its Variable, with an atomic
 * swap so that two threads reading one gradient agree on one object, and
 * returns the Variable (transfer none). */
AfnVariable *afn_grad_materialize (AfnGrad **slot);
void         afn_grad_free (AfnGrad *grad);

/* Variables ------------------------------------------------------------ */

/* A Variable around @data (taken, assumed valid) and @role (taken), made
 * without validation or property notifications: the fast path for ops and
 * for gradients. */
AfnVariable *afn_variable_new_take (GType type, AfnValue *data, char *role,
                                    gboolean requires_grad);
/* The same with @role (nullable) in @data's own block, e.g. in the room of
 * afn_value_new_str_with_room(): one allocation per Variable, not two. */
AfnVariable *afn_variable_new_role_in_data (GType type, AfnValue *data, const char *role,
                                            gboolean requires_grad);
/* What afn_node_record() does to an op's output: requires grad, not a leaf,
 * @node as grad_fn. No checks; the variable is new, so no notify. */
void         afn_variable_attach_grad_fn (AfnVariable *self, AfnNode *node, guint output_nr);
/* Appends @n gradients (references are taken), emitting one items-changed. */
void         afn_variable_append_grads_internal (AfnVariable *self, AfnVariable **grads, guint n);
/* The same for @n gradients that are taken over (pending ones stay so). */
void         afn_variable_append_grads_take (AfnVariable *self, AfnGrad **grads, guint n);
AfnScratch  *afn_variable_scratch (AfnVariable *self);
/* Cache prefetches for loops over many Variables: the Variable itself, and
 * (once that has arrived) its data and role. */
void         afn_variable_prefetch (AfnVariable *self);
void         afn_variable_prefetch_data (AfnVariable *self);
/* Unchecked accessors for hot loops. */
AfnValue    *afn_variable_peek_data (AfnVariable *self);
gboolean     afn_variable_peek_requires_grad (AfnVariable *self);
gboolean     afn_variable_peek_is_leaf (AfnVariable *self);
AfnNode     *afn_variable_peek_grad_fn (AfnVariable *self);
guint        afn_variable_peek_output_nr (AfnVariable *self);
/* The leaf's AccumulateGrad if it was made, else NULL. Transfer none. */
AfnNode     *afn_variable_peek_accumulate_node (AfnVariable *self);
/* The role for messages and texts ("None" for a NULL role). Transfer none. */
const char  *afn_variable_role_text (AfnVariable *self);
/* Text of the data for gradient sentences: the string itself for a STR,
 * Python's str() otherwise. @len receives the byte length. Transfer full. */
char        *afn_variable_dup_data_text (AfnVariable *self, gsize *len);
/* Validates and normalizes data as afn_variable_new() does. Transfer full. */
AfnValue    *afn_variable_normalize_data (AfnValue *data, GError **error);

/* Nodes ---------------------------------------------------------------- */

/* Built-in ops hand gradients straight to the scheduler instead of building
 * the GPtrArray-of-GPtrArray result: @emit takes over @grad for input @input. */
typedef void     (*AfnEmitFunc)           (gpointer emit_data, guint input, AfnGrad *grad);
typedef gboolean (*AfnDirectBackwardFunc) (AfnNode *self, GPtrArray *grad_outputs,
                                           AfnEmitFunc emit, gpointer emit_data, GError **error);
void                  afn_node_set_direct_backward (AfnNode *self, AfnDirectBackwardFunc func);
AfnDirectBackwardFunc afn_node_get_direct_backward (AfnNode *self);
AfnScratch           *afn_node_scratch (AfnNode *self);
/* An empty edge array that owns its edges' references. */
GArray               *afn_edges_new (guint n);
/* The edge afn_node_record() makes for @input (references taken). */
void                  afn_edge_fill (AfnEdge *edge, AfnVariable *input);
/* afn_node_record() with the edges already made (@edges taken). */
void                  afn_node_record_edges (AfnNode *node, GArray *edges,
                                             AfnVariable **outputs, guint n_outputs);

/* The edges, without copying. Transfer none. */
const AfnEdge *afn_node_peek_edges (AfnNode *self, guint *n_edges);
gboolean       afn_node_is_accumulate (AfnNode *self);
void           afn_node_mark_released (AfnNode *self);
/* Variables on which retain_grad() was called, whose grad_fn is @self: raw
 * pointers that each Variable removes when it goes away. Nullable. */
GPtrArray     *afn_node_peek_retainers (AfnNode *self);
void           afn_node_add_retainer (AfnNode *self, AfnVariable *variable);
void           afn_node_remove_retainer (AfnNode *self, AfnVariable *variable);
/* TRUE when the class's backward_async is the default one, which just calls
 * the synchronous backward: the scheduler then runs it inline. */
gboolean       afn_node_has_sync_backward (AfnNode *self);
/* Marks @self as an AccumulateGrad node (named so, never released). */
void           afn_node_set_accumulate_flag (AfnNode *self);
/* The "backward-started" / "backward-finished" signals (see afn-node.h). */
void           afn_node_emit_backward_started (AfnNode *self);
void           afn_node_emit_backward_finished (AfnNode *self, GPtrArray *result, const GError *error);
/* TRUE when someone listens to backward-finished, so the fast path knows to
 * collect what it emits. */
gboolean       afn_node_has_backward_finished_handler (AfnNode *self);

/* AccumulateGrad ------------------------------------------------------- */

AfnNode *afn_accumulate_grad_new (AfnVariable *variable);
/* Called by the Variable as it goes away. */
void     afn_accumulate_grad_forget_variable (AfnNode *self);

G_END_DECLS
