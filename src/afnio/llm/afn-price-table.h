/* afn-price-table.h: prices of models, in USD per million tokens.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

#include "afn-model-client.h"

G_BEGIN_DECLS

/**
 * AfnModelPrice:
 * USD per million tokens for uncached input, cached input and output.
 */
typedef struct {
  double input;
  double cached_input;
  double output;
} AfnModelPrice;

typedef struct _AfnPriceTable AfnPriceTable;

/* Transfer full. Loads a price table file: {"models": {"NAME": {"input": N,
 * "cached_input": N, "output": N}, ...}}. NULL with G_IO_ERROR or
 * JSON_PARSER_ERROR / G_IO_ERROR_INVALID_DATA (naming the file and model). */
AfnPriceTable *afn_price_table_new_from_file (const char *path, GError **error);

/* Transfer full. The table at $AFN_PRICE_TABLE, else data/model-prices.json in
 * the source tree, else the installed copy; an empty table when none loads. */
AfnPriceTable *afn_price_table_new_default (void);

/* Transfer full. An empty table: every model is unknown. */
AfnPriceTable *afn_price_table_new_empty (void);

AfnPriceTable *afn_price_table_ref (AfnPriceTable *self);
void           afn_price_table_unref (AfnPriceTable *self);

/* The price of @model: an exact name, else the longest listed name that
 * prefixes it ("gpt-4o-2024-08-06" → "gpt-4o"); "provider/" is ignored.
 * FALSE when unknown (and @price is zeroed). */
gboolean afn_price_table_lookup (AfnPriceTable *self, const char *model, AfnModelPrice *price);

/* Sets usage->cost_usd from its token counts. FALSE when @model is unknown
 * (cost 0). */
gboolean afn_price_table_price_usage (AfnPriceTable *self, const char *model, AfnUsage *usage);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AfnPriceTable, afn_price_table_unref)

G_END_DECLS
