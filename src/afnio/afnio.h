/* afnio.h: the Afnio engine. Include only this header.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#define AFNIO_INSIDE
#include "afn-types.h"
#include "afn-error.h"
#include "afn-value.h"
#include "afn-variable.h"
#include "afn-parameter.h"
#include "afn-node.h"
#include "afn-grad-mode.h"
#include "afn-ops.h"
#include "afn-model-client.h"
#include "afn-openai-client.h"
#include "afn-price-table.h"
#include "afn-replay-client.h"
#include "afn-hf.h"
#include "afn-backward-client.h"
#include "afn-chat-messages.h"
#include "afn-chat-completion.h"
#include "afn-lm-node.h"
#include "afn-scoring.h"
#include "afn-evaluators.h"
#include "afn-tgd.h"
#undef AFNIO_INSIDE
