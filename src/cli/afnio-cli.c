/* afnio-cli.c: the `afnio` command-line tool.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <afnio.h>
#include <stdio.h>

int
main (int argc, char **argv)
{
  fprintf (stderr, "usage: afnio COMMAND ...\n");
  return argc > 1 ? 0 : 2;
}
