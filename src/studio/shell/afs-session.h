/* afs-session.h: session files. A session is an afnio .hf archive whose
 * data.pkl holds an OrderedDict name -> Variable/Parameter (what Python's
 * afnio.load sees) and whose member "afnio-studio/graph.json" holds the
 * document (nodes, links, positions, settings, recordings). A plain afnio
 * .hf without that member opens as a graph of its Variables. GLib only.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define AFS_SESSION_GRAPH_MEMBER "afnio-studio/graph.json"
/* The document extra member holding what the .hf said about each variable
 * node: {"variables": {"<node id>": {"name", "class", "grads": [...],
 * "grad_fn": {...}, "value": <exact data>, ...}}}. */
#define AFS_SESSION_AFNIO_EXTRA "afnio"

#define AFS_SESSION_ERROR (afs_session_error_quark ())
GQuark afs_session_error_quark (void);

typedef enum {
  AFS_SESSION_ERROR_FAILED,
  AFS_SESSION_ERROR_BAD_GRAPH,     /* graph.json is not a studio graph */
  AFS_SESSION_ERROR_TOO_LARGE,
} AfsSessionError;

/* Reads a session or a plain afnio .hf held in @bytes. Returns the document
 * JSON (transfer full) or NULL with an error (the .hf codec's errors, or
 * AFS_SESSION_ERROR). @needs_layout is set when the nodes have no
 * positions yet and want an automatic layout. Thread safe. */
JsonNode *afs_session_read_bytes (GBytes *bytes, gboolean *needs_layout, GError **error);
/* Writes @graph (a document JSON object, not consumed) as session bytes
 * (transfer full). Thread safe. */
GBytes   *afs_session_write_bytes (JsonNode *graph, GError **error);

/* Loads @file asynchronously (reading and decoding off the main thread). */
void      afs_session_load_async (GFile *file, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
JsonNode *afs_session_load_finish (GAsyncResult *result, gboolean *needs_layout, GError **error);
/* Encodes @graph off the main thread and replaces @file atomically. */
void      afs_session_save_async (GFile *file, JsonNode *graph, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data);
gboolean  afs_session_save_finish (GAsyncResult *result, GError **error);

G_END_DECLS
