/* afs-word-diff.h: a word-level diff of two texts, for showing what an
 * optimizer step changed in a Parameter.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  AFS_DIFF_EQUAL,
  AFS_DIFF_DELETE,
  AFS_DIFF_INSERT,
} AfsDiffKind;

typedef struct {
  AfsDiffKind kind;
  char       *text;
} AfsDiffSegment;

/* Splits both texts into words and runs of white space and returns the
 * shortest edit as segments (AfsDiffSegment, freed with the array); runs of
 * the same kind are merged. A deletion comes before the insertion that
 * replaces it. Very long texts fall back to "all deleted, all inserted". */
GArray *afs_word_diff (const char *before, const char *after);
/* Pango markup: removed words struck through on red, inserted on green. */
char   *afs_word_diff_to_markup (GArray *segments);
/* A plain form for logs and tests: [-removed-]{+inserted+}. */
char   *afs_word_diff_to_plain (GArray *segments);
/* Counts of changed words (not white space). */
void    afs_word_diff_count (GArray *segments, guint *n_deleted, guint *n_inserted);

G_END_DECLS
