/* afn-grad-list.h: the GListModel view of a Variable's gradient list.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afn-types.h"

G_BEGIN_DECLS

#define AFN_TYPE_GRAD_LIST (afn_grad_list_get_type ())
G_DECLARE_FINAL_TYPE (AfnGradList, afn_grad_list, AFN, GRAD_LIST, GObject)

/* A live view of @owner's gradients (the owner is not referenced: it calls
 * afn_grad_list_detach() as it goes away). */
AfnGradList *afn_grad_list_new (AfnVariable *owner);
void         afn_grad_list_items_changed (AfnGradList *self, guint position,
                                          guint removed, guint added);
/* Keeps the current items and forgets the owner. */
void         afn_grad_list_detach (AfnGradList *self);

G_END_DECLS
