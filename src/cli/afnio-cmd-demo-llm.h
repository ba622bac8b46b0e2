/* afnio-cmd-demo-llm.h: `afnio demo --base-url URL --model NAME`.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

/* TRUE when @argv asks for the language-model demo (has --base-url). */
gboolean afnio_cmd_demo_llm_wanted (int argc, char **argv);
/* Runs forward, evaluator, backward and one TGD step against the server
 * and prints what happened. @argv[0] is the command name. Returns the exit
 * status. */
int      afnio_cmd_demo_llm (int argc, char **argv);
