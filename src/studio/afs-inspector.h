/* afs-inspector.h: side panel editing the canvas selection's settings.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <adwaita.h>
#include "afs-canvas.h"

G_BEGIN_DECLS

#define AFS_TYPE_INSPECTOR (afs_inspector_get_type ())
G_DECLARE_FINAL_TYPE (AfsInspector, afs_inspector, AFS, INSPECTOR, AdwBin)

/*
 * Property "canvas" (AfsCanvas): the inspector shows the canvas's selected
 * node and edits it through the canvas's document (every edit one undo
 * step). A value that cannot be used (text in a number field, a list of
 * text and numbers) is shown in place with a message and nothing changes.
 */
GtkWidget *afs_inspector_new (void);
void       afs_inspector_set_canvas (AfsInspector *self, AfsCanvas *canvas);
AfsCanvas *afs_inspector_get_canvas (AfsInspector *self);
/* The node being edited, 0 when none. */
guint      afs_inspector_get_node (AfsInspector *self);

/* For tests and scripting, the same paths as typing then applying:
 * sets setting @key's editor to @text and applies it. For "data", @text is
 * used as text, number or list items (one per line) following @mode
 * ("text", "number", "list"; NULL keeps the current mode). Returns TRUE
 * when the value was applied. */
gboolean   afs_inspector_edit (AfsInspector *self, const char *key, const char *mode, const char *text);
/* The message shown under setting @key, or NULL (transfer none). */
const char *afs_inspector_get_error (AfsInspector *self, const char *key);
/* The text shown in setting @key's editor (transfer full), NULL if none. */
char      *afs_inspector_dup_text (AfsInspector *self, const char *key);

G_END_DECLS
