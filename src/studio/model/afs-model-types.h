/* afs-model-types.h: forward declarations and shared enums of the studio's
 * document model (GLib only, no GTK).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _AfsDocument  AfsDocument;
typedef struct _AfsGraphNode AfsGraphNode;
typedef struct _AfsLink      AfsLink;
typedef struct _AfsNodeKind  AfsNodeKind;
typedef struct _AfsUndoStack AfsUndoStack;
typedef struct _AfsCommand   AfsCommand;

/**
 * AfsPortType:
 * What a port carries. An output has one or more bits (a Variable's output
 * is %AFS_PORT_ANY because its data may be anything; a score is also a
 * number); an input lists the bits it accepts. A link is valid when the two
 * masks share a bit.
 */
typedef enum {
  AFS_PORT_TEXT        = 1 << 0,
  AFS_PORT_NUMBER      = 1 << 1,
  AFS_PORT_LIST        = 1 << 2,
  AFS_PORT_SCORE       = 1 << 3,
  AFS_PORT_EXPLANATION = 1 << 4,
  AFS_PORT_ANY         = (1 << 5) - 1,
} AfsPortType;

typedef enum {
  AFS_PORT_INPUT,
  AFS_PORT_OUTPUT,
} AfsPortDirection;

/**
 * AfsPort:
 * A port of a node, computed from its kind and settings (split has one
 * output per part, a chat completion one input per `{placeholder}`).
 * @name is interned (compare with ==).
 */
typedef struct {
  const char      *name;      /* interned, stable id used by links and JSON */
  char            *label;     /* shown to people */
  AfsPortType      type;
  AfsPortDirection direction;
  gboolean         multi;     /* an input that accepts many links (sum) */
} AfsPort;

#define AFS_DOCUMENT_ERROR (afs_document_error_quark ())
GQuark afs_document_error_quark (void);

typedef enum {
  AFS_DOCUMENT_ERROR_FAILED,
  AFS_DOCUMENT_ERROR_NO_SUCH_NODE,
  AFS_DOCUMENT_ERROR_NO_SUCH_PORT,
  AFS_DOCUMENT_ERROR_UNKNOWN_KIND,
  AFS_DOCUMENT_ERROR_TYPE_MISMATCH,
  AFS_DOCUMENT_ERROR_CYCLE,
  AFS_DOCUMENT_ERROR_INPUT_TAKEN,
  AFS_DOCUMENT_ERROR_DUPLICATE_LINK,
  AFS_DOCUMENT_ERROR_INVALID_SETTING,
  AFS_DOCUMENT_ERROR_PARSE,
} AfsDocumentError;

/* Returns a short human name for @type such as "text or list" (transfer full). */
char *afs_port_type_to_string (AfsPortType type);
/* TRUE when an output of type @out may feed an input accepting @in. */
gboolean afs_port_type_compatible (AfsPortType out, AfsPortType in);

G_END_DECLS
