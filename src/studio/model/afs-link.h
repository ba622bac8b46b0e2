/* afs-link.h: a wire from an output port to an input port. Immutable.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-model-types.h"

G_BEGIN_DECLS

#define AFS_TYPE_LINK (afs_link_get_type ())
G_DECLARE_FINAL_TYPE (AfsLink, afs_link, AFS, LINK, GObject)

guint       afs_link_get_id (AfsLink *self);
guint       afs_link_get_source (AfsLink *self);        /* node id */
const char *afs_link_get_source_port (AfsLink *self);   /* interned */
guint       afs_link_get_target (AfsLink *self);        /* node id */
const char *afs_link_get_target_port (AfsLink *self);   /* interned */

G_END_DECLS
