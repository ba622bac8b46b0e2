/* bench-llm.h: the parts of the `llm` benchmark that live outside bench-llm.c.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

/* (a) backward through 64 chat completions feeding one evaluator
 * (bench-llm-ops.c): BENCH llm_backward_s, llm_backward_ratio. */
void bench_llm_backward (void);
/* (b) a TGD step over 64 parameters (bench-llm-ops.c): BENCH llm_step_s,
 * llm_step_ratio. */
void bench_llm_step (void);
