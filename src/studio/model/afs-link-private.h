/* afs-link-private.h: constructor used by the document.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afs-link.h"

G_BEGIN_DECLS

AfsLink *afs_link_new (guint id, guint source, const char *source_port,
                       guint target, const char *target_port);

G_END_DECLS
