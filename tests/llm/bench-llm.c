/* bench-llm.c: the `llm` benchmark; prints `BENCH name value unit` lines.
 *
 * Each part lives in its own file and is called from here.
 *
 * SPDX-License-Identifier: MIT
 */
#include "bench-llm.h"

int
main (int argc, char **argv)
{
  bench_llm_ops ();
  return 0;
}
