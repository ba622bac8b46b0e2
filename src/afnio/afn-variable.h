/* afn-variable.h: text, numbers or lists of them, with autodiff history.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afn-types.h"
#include "afn-value.h"

G_BEGIN_DECLS

#define AFN_TYPE_VARIABLE (afn_variable_get_type ())
G_DECLARE_DERIVABLE_TYPE (AfnVariable, afn_variable, AFN, VARIABLE, GObject)

struct _AfnVariableClass
{
  GObjectClass parent_class;

  /* "variable" for Variable, "parameter" for Parameter (printed form). */
  const char *print_name;
  /* afnio's Python class, e.g. "afnio._variable.Variable". */
  const char *python_class;
};

/*
 * Properties (all emit notify when they change):
 *   "data"          AfnValue (boxed)   read/write
 *   "role"          string, nullable   read/write (NULL is Python None)
 *   "requires-grad" boolean            read/write
 *   "is-leaf"       boolean            read-only
 *   "grad-fn"       AfnNode, nullable  read-only (set by the engine)
 *   "output-nr"     int                read-only
 *   "retains-grad"  boolean            read-only
 *   "variable-id"   string, nullable   read/write
 *   "grads"         GListModel of AfnVariable, read-only; items-changed on append
 */

/* Validates @data as semantics.md says (str, int, float, or a list of all
 * strings or all numbers; int+float lists become floats, bools count as
 * numbers) and returns a new Variable, or NULL with AFN_ERROR_INVALID_DATA.
 * @data is not consumed; @role may be NULL. */
AfnVariable *afn_variable_new (AfnValue *data, const char *role,
                               gboolean requires_grad, GError **error);
/* Convenience for a string Variable; never fails. @s is NUL-terminated UTF-8. */
AfnVariable *afn_variable_new_str (const char *s, const char *role, gboolean requires_grad);
/* Builds a Variable around @data without validation, for loaders that must
 * keep any value a real file holds (bigints, bools, odd requires_grad). */
AfnVariable *afn_variable_new_raw (GType type, AfnValue *data, const char *role,
                                   gboolean requires_grad);

AfnValue    *afn_variable_get_data (AfnVariable *self);          /* transfer none */
/* Validates like afn_variable_new(); on error nothing changes. */
gboolean     afn_variable_set_data (AfnVariable *self, AfnValue *data, GError **error);
const char  *afn_variable_get_role (AfnVariable *self);          /* nullable */
void         afn_variable_set_role (AfnVariable *self, const char *role);
gboolean     afn_variable_get_requires_grad (AfnVariable *self);
/* requires_grad_(): sets the flag in place; fails on a non-leaf being turned off. */
gboolean     afn_variable_requires_grad_ (AfnVariable *self, gboolean requires_grad, GError **error);
gboolean     afn_variable_is_leaf (AfnVariable *self);
AfnNode     *afn_variable_get_grad_fn (AfnVariable *self);       /* transfer none, nullable */
/* Only the engine and loaders call this: fails when @self does not require grad. */
gboolean     afn_variable_set_grad_fn (AfnVariable *self, AfnNode *grad_fn, guint output_nr, GError **error);
guint        afn_variable_get_output_nr (AfnVariable *self);
gboolean     afn_variable_retains_grad (AfnVariable *self);
/* retain_grad(): error on a leaf. */
gboolean     afn_variable_retain_grad (AfnVariable *self, GError **error);
const char  *afn_variable_get_variable_id (AfnVariable *self);   /* nullable */
void         afn_variable_set_variable_id (AfnVariable *self, const char *id);

/* The gradient list. Fails (AFN_ERROR_NO_GRAD, "call .retain_grad() ...")
 * on a non-leaf that does not retain its grad. Transfer none. */
GListModel  *afn_variable_get_grads (AfnVariable *self, GError **error);
/* append_grad(): appends @grad (a reference is taken). */
gboolean     afn_variable_append_grad (AfnVariable *self, AfnVariable *grad, GError **error);
/* Replaces the whole list (NULL or empty clears it): the grad setter. */
gboolean     afn_variable_set_grads (AfnVariable *self, GPtrArray *grads, GError **error);
guint        afn_variable_n_grads (AfnVariable *self);
AfnVariable *afn_variable_get_grad (AfnVariable *self, guint i); /* transfer none */

AfnVariable *afn_variable_detach (AfnVariable *self);            /* transfer full */
/* copy_(): data, role and requires_grad from @src; scalar/list or length mismatch is an error. */
gboolean     afn_variable_copy_ (AfnVariable *self, AfnVariable *src, GError **error);
/* to(): @type is G_TYPE_STRING, G_TYPE_INT64 or G_TYPE_DOUBLE. Transfer full. */
AfnVariable *afn_variable_to (AfnVariable *self, GType type, GError **error);
gboolean     afn_variable_is_floating_point (AfnVariable *self);
/* The printed form: variable(DATA, role=ROLE, requires_grad=BOOL). Transfer full. */
char        *afn_variable_to_string (AfnVariable *self);

/* backward(gradient=None, retain_graph=None, create_graph=False, inputs=None).
 * @gradient: nullable. @retain_graph: TRUE to keep saved values.
 * @inputs: nullable array of AfnVariable leaves.
 * Iterates the thread-default main context until done (the context
 * model clients were made in). */
gboolean     afn_variable_backward (AfnVariable *self, AfnVariable *gradient,
                                    gboolean retain_graph, GPtrArray *inputs,
                                    GCancellable *cancellable, GError **error);
/* The same, asynchronously on the thread-default main context. Cancelling
 * leaves every grad list as it was (G_IO_ERROR_CANCELLED). */
void         afn_variable_backward_async (AfnVariable *self, AfnVariable *gradient,
                                          gboolean retain_graph, GPtrArray *inputs,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean     afn_variable_backward_finish (AfnVariable *self, GAsyncResult *result, GError **error);

G_END_DECLS
