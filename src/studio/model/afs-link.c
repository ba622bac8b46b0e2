/* afs-link.c: a wire from an output port to an input port.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-link-private.h"

struct _AfsLink
{
  GObject parent_instance;
  guint id;
  guint source;
  guint target;
  const char *source_port;
  const char *target_port;
};

G_DEFINE_FINAL_TYPE (AfsLink, afs_link, G_TYPE_OBJECT)

static void
afs_link_class_init (AfsLinkClass *klass)
{
}

static void
afs_link_init (AfsLink *self)
{
}

AfsLink *
afs_link_new (guint id, guint source, const char *source_port,
              guint target, const char *target_port)
{
  AfsLink *self = g_object_new (AFS_TYPE_LINK, NULL);

  self->id = id;
  self->source = source;
  self->source_port = g_intern_string (source_port);
  self->target = target;
  self->target_port = g_intern_string (target_port);
  return self;
}

guint afs_link_get_id (AfsLink *self) { return self->id; }
guint afs_link_get_source (AfsLink *self) { return self->source; }
const char *afs_link_get_source_port (AfsLink *self) { return self->source_port; }
guint afs_link_get_target (AfsLink *self) { return self->target; }
const char *afs_link_get_target_port (AfsLink *self) { return self->target_port; }
