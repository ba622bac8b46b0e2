/* afnio-cli.h: commands of the `afnio` tool. Each lives in its own file.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

/* A command's entry point: @argv[0] is the command name. Returns the exit
 * status; errors go to stderr. */
typedef int (*AfnCliFunc) (int argc, char **argv);

typedef struct {
  const char *name;
  const char *summary;   /* untranslated; translated when printed */
  AfnCliFunc  func;
} AfnCliCommand;

/* afnio-cmd-demo.c */
int afn_cmd_demo (int argc, char **argv);
/* .hf files (afnio-cmd-hf.c). */
int afnio_cmd_dump (int argc, char **argv);
int afnio_cmd_pack (int argc, char **argv);
int afnio_cmd_resave (int argc, char **argv);

/* Studio sessions, headless (afnio-cmd-run.c). */
int afnio_cmd_run (int argc, char **argv);
int afnio_cmd_chat (int argc, char **argv);
