/* afs-document.h: the graph a studio window edits: nodes, links,
 * positions, settings, and the undo stack every edit goes through.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <json-glib/json-glib.h>
#include "afs-model-types.h"
#include "afs-node-kind.h"
#include "afs-graph-node.h"
#include "afs-link.h"
#include "afs-undo-stack.h"

G_BEGIN_DECLS

#define AFS_TYPE_DOCUMENT (afs_document_get_type ())
G_DECLARE_FINAL_TYPE (AfsDocument, afs_document, AFS, DOCUMENT, GObject)

/* The mime type of copied nodes on the clipboard (the text is JSON). */
#define AFS_CLIPBOARD_MIME "application/x-afnio-studio-nodes+json"

/*
 * Signals (emitted after the model changed, also during undo/redo/load):
 *   node-added    (AfsGraphNode *node)
 *   node-removed  (AfsGraphNode *node)
 *   node-changed  (AfsGraphNode *node, const char *what)  what: "position",
 *                 or the settings key that changed ("data", "role", ...)
 *   link-added    (AfsLink *link)
 *   link-removed  (AfsLink *link)
 *   changed       ()  once per applied/undone/redone command and after load
 * Properties:
 *   "modified"    bool, read-only: edits since load/afs_document_mark_saved()
 *   "undo-stack"  AfsUndoStack, read-only
 */
AfsDocument  *afs_document_new (void);
AfsUndoStack *afs_document_get_undo_stack (AfsDocument *self);   /* transfer none */
gboolean      afs_document_get_modified (AfsDocument *self);
void          afs_document_mark_saved (AfsDocument *self);
/* Forgets the history and marks the document saved (after building a
 * document from a file with the edit calls). */
void          afs_document_clear_history (AfsDocument *self);
gboolean      afs_document_undo (AfsDocument *self);
gboolean      afs_document_redo (AfsDocument *self);

/* Groups the edits made until the matching end call into one undo step
 * labelled @label (e.g. adding a node and wiring it). Calls nest. */
void          afs_document_begin_group (AfsDocument *self, const char *label);
void          afs_document_end_group (AfsDocument *self);

/* Lookups (transfer none; NULL when absent). */
AfsGraphNode *afs_document_get_node (AfsDocument *self, guint id);
AfsLink      *afs_document_get_link (AfsDocument *self, guint id);
/* All nodes / links in insertion order (transfer none, do not modify). */
GPtrArray    *afs_document_get_nodes (AfsDocument *self);
GPtrArray    *afs_document_get_links (AfsDocument *self);
/* Links touching node @id (transfer container: free the array only). */
GPtrArray    *afs_document_dup_node_links (AfsDocument *self, guint id);
/* The links arriving at input @port of node @id (transfer container). */
GPtrArray    *afs_document_dup_input_links (AfsDocument *self, guint id, const char *port);

/* ---- Edits: each is one undo step. ---- */

/* Adds a node of kind @kind_id at (@x, @y). @settings (nullable, not
 * consumed) overrides defaults key by key and is validated. Returns the
 * node (transfer none) or NULL with an error (unknown kind, bad setting). */
AfsGraphNode *afs_document_add_node (AfsDocument *self, const char *kind_id,
                                     double x, double y, JsonObject *settings,
                                     GError **error);
/* Removes the nodes with their links, as one step. Unknown ids are ignored. */
void          afs_document_remove_nodes (AfsDocument *self, const guint *ids, guint n_ids);
/* Moves nodes to absolute positions (@xs[i], @ys[i]), as one step. */
void          afs_document_move_nodes (AfsDocument *self, const guint *ids,
                                       const double *xs, const double *ys, guint n_ids);
/* Moves nodes by (@dx, @dy), as one step. */
void          afs_document_translate_nodes (AfsDocument *self, const guint *ids, guint n_ids,
                                            double dx, double dy);

/* Checks a would-be link without changing anything. When @replace is TRUE
 * a single input that is already linked is not an error (linking replaces
 * the old wire). Errors: NO_SUCH_NODE/PORT, TYPE_MISMATCH, CYCLE,
 * INPUT_TAKEN, DUPLICATE_LINK, with a message saying why. */
gboolean      afs_document_can_link (AfsDocument *self, guint src, const char *src_port,
                                     guint dst, const char *dst_port, gboolean replace,
                                     GError **error);
/* Links as one step (replacing the input's old wire when @replace).
 * Returns the new link (transfer none) or NULL with an error. */
AfsLink      *afs_document_link (AfsDocument *self, guint src, const char *src_port,
                                 guint dst, const char *dst_port, gboolean replace,
                                 GError **error);
/* Removes links, as one step. */
void          afs_document_unlink (AfsDocument *self, const guint *link_ids, guint n_ids);
/* Sets setting @key of node @id to @value (not consumed). Validated first:
 * on error nothing changes. Links from ports that no longer exist after the
 * change (fewer split parts, a removed placeholder) are removed in the same
 * step. Setting an equal value is a no-op returning TRUE. */
gboolean      afs_document_set_setting (AfsDocument *self, guint id, const char *key,
                                        JsonNode *value, GError **error);

/* Automatic layered layout of all nodes (one step). @get_size (nullable)
 * gives each node's size; NULL uses a default size. */
typedef void (*AfsNodeSizeFunc) (AfsGraphNode *node, double *width, double *height,
                                 gpointer user_data);
void          afs_document_auto_layout (AfsDocument *self, AfsNodeSizeFunc get_size,
                                        gpointer user_data);

/* ---- Whole document as JSON ---- */

/* The graph as a JSON object (transfer full):
 *   {"format": "afnio-studio-graph", "version": 1,
 *    "nodes": [{"id", "kind", "x", "y", "settings": {...}}...],
 *    "links": [{"id", "from": id, "from_port", "to": id, "to_port"}...],
 *    ...extra members kept as they were (see afs_document_set_extra)} */
JsonNode     *afs_document_to_json_node (AfsDocument *self);
/* The same as text (transfer full). */
char         *afs_document_to_json (AfsDocument *self, gboolean pretty);
/* Replaces the whole graph with @node / @text. On error (naming what and
 * where: "node 3: unknown kind 'foo'") the document is left untouched.
 * On success the history is cleared and the document is not modified. */
gboolean      afs_document_load_json_node (AfsDocument *self, JsonNode *node, GError **error);
gboolean      afs_document_load_json (AfsDocument *self, const char *text, gssize length,
                                      GError **error);
/* Top-level members other than nodes/links (e.g. recordings) that the
 * document keeps and writes back. Transfer none / @value not consumed. */
JsonNode     *afs_document_get_extra (AfsDocument *self, const char *name);
void          afs_document_set_extra (AfsDocument *self, const char *name, JsonNode *value);
/* Structural equality of nodes, links, positions and settings. */
gboolean      afs_document_equal (AfsDocument *a, AfsDocument *b);

/* ---- Clipboard ---- */

/* The nodes @ids and the links between them as JSON text (transfer full). */
char         *afs_document_copy_nodes (AfsDocument *self, const guint *ids, guint n_ids);
/* Pastes nodes from afs_document_copy_nodes() text, offset by (@dx, @dy),
 * with fresh ids, as one step. Returns the new node ids (transfer full) or
 * NULL with an error (nothing pasted). */
GArray       *afs_document_paste_nodes (AfsDocument *self, const char *text,
                                        double dx, double dy, GError **error);

G_END_DECLS
