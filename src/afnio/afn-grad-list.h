/* afn-grad-list.h: the GListModel view of a Variable's gradient list.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AFN_TYPE_GRAD_LIST (afn_grad_list_get_type ())
G_DECLARE_FINAL_TYPE (AfnGradList, afn_grad_list, AFN, GRAD_LIST, GObject)

/* A list model over @items (AfnVariable elements). The array is shared, not
 * copied: its owner mutates it and then calls afn_grad_list_items_changed(). */
AfnGradList *afn_grad_list_new (GPtrArray *items);
void         afn_grad_list_items_changed (AfnGradList *self, guint position,
                                          guint removed, guint added);

G_END_DECLS
