/* afn-hf.h: reading and writing afnio's .hf files (a zip holding a pickle).
 *
 * Nothing in a file is ever executed: the pickle reader builds only the
 * objects afnio's own files contain (Variables, Parameters, Nodes,
 * GradientEdges, OrderedDicts) and refuses every other callable by name.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <gio/gio.h>
#include "afn-types.h"
#include "afn-value.h"

G_BEGIN_DECLS

#define AFN_HF_ERROR (afn_hf_error_quark ())

/**
 * AfnHfError:
 * Why a file was refused. Messages say what and where (member, byte offset,
 * global name).
 */
typedef enum {
  AFN_HF_ERROR_FAILED,             /* anything not covered below (I/O included) */
  AFN_HF_ERROR_NOT_ARCHIVE,        /* not a zip archive (or an empty file) */
  AFN_HF_ERROR_MISSING_MEMBER,     /* the archive has no data.pkl */
  AFN_HF_ERROR_TOO_LARGE,          /* inflates past the limit, memo or number too large */
  AFN_HF_ERROR_TRUNCATED,          /* the zip or the pickle ends early */
  AFN_HF_ERROR_CRC_MISMATCH,       /* a member's CRC-32 does not match its data */
  AFN_HF_ERROR_UNSAFE_GLOBAL,      /* a global outside the allow-list, or a call of one */
  AFN_HF_ERROR_UNSUPPORTED_OPCODE, /* an opcode the reader does not implement */
  AFN_HF_ERROR_TOO_DEEP,           /* nesting or stack deeper than the limit */
  AFN_HF_ERROR_CORRUPT,            /* malformed pickle: bad memo index, stack underflow, bad UTF-8 ... */
  AFN_HF_ERROR_UNSUPPORTED_VALUE,  /* the writer met a value Python could not load back */
  AFN_HF_ERROR_INVALID_JSON,       /* afn_hf_value_from_json(): not in the rendering scheme */
} AfnHfError;

GQuark afn_hf_error_quark (void);

/**
 * AfnHfLimits:
 * @max_inflated: bytes any one member may inflate to (default 256 MiB); also
 *   the most bytes read from a stream.
 * @max_depth: the deepest the pickle stack and the value tree may get
 *   (default 10,000).
 * @max_memo: the highest memo index plus one (default 4,194,304).
 */
typedef struct {
  guint64 max_inflated;
  guint   max_depth;
  guint   max_memo;
} AfnHfLimits;

#define AFN_HF_DEFAULT_MAX_INFLATED (G_GUINT64_CONSTANT (256) * 1024 * 1024)
#define AFN_HF_DEFAULT_MAX_DEPTH    10000
#define AFN_HF_DEFAULT_MAX_MEMO     (4u * 1024 * 1024)

/* Fills @limits with the defaults above. */
void afn_hf_limits_init (AfnHfLimits *limits);

/**
 * AfnHfDocument:
 * A loaded file: the value tree plus what a re-save needs to preserve
 * (members other than data.pkl, in archive order). Create with
 * afn_hf_document_new(); reference counted.
 */
typedef struct _AfnHfDocument AfnHfDocument;

#define AFN_TYPE_HF_DOCUMENT (afn_hf_document_get_type ())
GType afn_hf_document_get_type (void) G_GNUC_CONST;

/* @value: a reference is taken. Transfer full. */
AfnHfDocument *afn_hf_document_new (AfnValue *value);
AfnHfDocument *afn_hf_document_ref (AfnHfDocument *self);
void           afn_hf_document_unref (AfnHfDocument *self);
AfnValue      *afn_hf_document_get_value (AfnHfDocument *self);          /* transfer none */
void           afn_hf_document_set_value (AfnHfDocument *self, AfnValue *value);
/* The pickle protocol data.pkl was written with (PROTO opcode; 0 or 1 when absent). */
int            afn_hf_document_get_protocol (AfnHfDocument *self);
/* Other archive members, kept verbatim for a re-save. */
guint          afn_hf_document_get_n_members (AfnHfDocument *self);
const char    *afn_hf_document_get_member_name (AfnHfDocument *self, guint i);
GBytes        *afn_hf_document_get_member_data (AfnHfDocument *self, guint i); /* transfer none */
void           afn_hf_document_add_member (AfnHfDocument *self, const char *name, GBytes *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnHfDocument, afn_hf_document_unref)

/* --- Whole files ------------------------------------------------------- */

/* Parses the bytes of a .hf file. @limits may be NULL for the defaults.
 * Transfer full; NULL with an AFN_HF_ERROR on a refused file. */
AfnHfDocument *afn_hf_document_load_bytes (GBytes *bytes, const AfnHfLimits *limits, GError **error);
/* Serializes @self as a .hf file: data.pkl (protocol 2) first, deflated,
 * then the kept members. Transfer full. */
GBytes        *afn_hf_document_save_bytes (AfnHfDocument *self, GError **error);

/* Loads from @file. @limits may be NULL. Transfer full. */
AfnHfDocument *afn_hf_document_load (GFile *file, const AfnHfLimits *limits,
                                     GCancellable *cancellable, GError **error);
/* Saves atomically to @file (temporary file, then rename). */
gboolean       afn_hf_document_save (AfnHfDocument *self, GFile *file,
                                     GCancellable *cancellable, GError **error);
void           afn_hf_document_load_async (GFile *file, const AfnHfLimits *limits,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
AfnHfDocument *afn_hf_document_load_finish (GAsyncResult *result, GError **error);
void           afn_hf_document_save_async (AfnHfDocument *self, GFile *file,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean       afn_hf_document_save_finish (AfnHfDocument *self, GAsyncResult *result, GError **error);

/* The value-only forms: load returns the value tree (transfer full). */
AfnValue *afn_hf_load (GFile *file, GCancellable *cancellable, GError **error);
gboolean  afn_hf_save (GFile *file, AfnValue *value, GCancellable *cancellable, GError **error);
void      afn_hf_load_async (GFile *file, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
AfnValue *afn_hf_load_finish (GAsyncResult *result, GError **error);
void      afn_hf_save_async (GFile *file, AfnValue *value, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
gboolean  afn_hf_save_finish (GAsyncResult *result, GError **error);

/* Streams: the whole stream is read (at most max_inflated bytes) before
 * parsing, since a zip's directory is at its end. The stream is not closed. */
AfnValue *afn_hf_load_stream (GInputStream *stream, GCancellable *cancellable, GError **error);
gboolean  afn_hf_save_stream (GOutputStream *stream, AfnValue *value,
                              GCancellable *cancellable, GError **error);
void      afn_hf_load_stream_async (GInputStream *stream, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
AfnValue *afn_hf_load_stream_finish (GAsyncResult *result, GError **error);
void      afn_hf_save_stream_async (GOutputStream *stream, AfnValue *value,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean  afn_hf_save_stream_finish (GAsyncResult *result, GError **error);

/* --- The pickle layer ---------------------------------------------------- */

/* Decodes pickle bytes (data.pkl) into a value tree. @limits may be NULL.
 * @protocol: (out) (optional): the protocol found. Transfer full. */
AfnValue *afn_pickle_loads (const guint8 *data, gsize len, const AfnHfLimits *limits,
                            int *protocol, GError **error);
/* Encodes @value as protocol 2, byte for byte as CPython's C pickler does.
 * Transfer full; NULL with AFN_HF_ERROR_UNSUPPORTED_VALUE or _TOO_DEEP. */
GBytes   *afn_pickle_dumps (AfnValue *value, GError **error);

/* --- The fixtures' JSON rendering ---------------------------------------- */

/* Renders @value in the .hf fixtures' "value" scheme (shared objects as
 * __id__/__ref__, Python-repr floats, ASCII-escaped strings). Transfer full. */
char     *afn_hf_value_to_json (AfnValue *value);
/* The reverse: builds a value tree (with new Variables and Nodes) from that
 * scheme. Transfer full; NULL with AFN_HF_ERROR_INVALID_JSON. */
AfnValue *afn_hf_value_from_json (const char *json, gssize len, GError **error);

G_END_DECLS
