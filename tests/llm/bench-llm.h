/* bench-llm.h: the parts of the `llm` benchmark, one function each.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

/* (a) backward through 64 chat completions feeding one evaluator, and
 * (b) a TGD step over 64 parameters (bench-llm-ops.c). */
void bench_llm_ops (void);
