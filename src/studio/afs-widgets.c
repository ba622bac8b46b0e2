/* afs-widgets.c: set-up shared by the studio's widgets.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-widgets.h"
#include "afs-widgets-resources.h"

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
