/* afs-panel-util.h: small helpers shared by the run panels.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gtk/gtk.h>
#include "afn-variable.h"

G_BEGIN_DECLS

/* The data of @variable as readable text: a string as is, numbers in
 * decimal, a list one item per line ("[0] …"). Transfer full. */
char      *afs_dup_variable_text (AfnVariable *variable);
/* A wrapping, selectable label for long text. */
GtkWidget *afs_text_label_new (const char *text);
/* A flat button that copies @text (duplicated) to the clipboard. */
GtkWidget *afs_copy_button_new (const char *text);
/* Replaces the text a copy button copies. */
void       afs_copy_button_set_text (GtkWidget *button, const char *text);
/* A panel's title: left-aligned, "title-4", with the panels' margin. */
GtkWidget *afs_panel_title_new (const char *text);
/* A panel's status line: left-aligned, wrapping, dimmed. */
GtkWidget *afs_panel_status_new (void);
/* Appends @child to @box inside a vertically scrolling window that takes
 * the room left. */
void       afs_panel_append_scrolled (GtkBox *box, GtkWidget *child);
/* "1,234 tokens · $0.0123" (cost omitted when negative). Transfer full. */
char      *afs_format_usage (gint64 tokens, double cost_usd);

G_END_DECLS
