/* afs-widgets.c: set-up shared by the studio's widgets.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-widgets.h"
#include "afs-widgets-resources.h"
#ifdef __GLIBC__   /* known once glib.h has brought in libc's headers */
#include <malloc.h>
#endif

void
afs_widgets_ensure_resources (void)
{
  static gsize done;

  if (g_once_init_enter (&done))
    {
      afs_widgets_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

void
afs_widgets_tune_allocator (void)
{
#ifdef __GLIBC__
  /* GTK 4.8's cairo renderer allocates and frees window-sized images on
   * every frame. By default glibc maps each afresh and unmaps it on free,
   * so every frame pays thousands of page faults; kept in the heap, they
   * are reused. */
  mallopt (M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt (M_TRIM_THRESHOLD, 128 * 1024 * 1024);
#endif
}
