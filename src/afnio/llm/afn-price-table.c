/* afn-price-table.c
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "afn-price-table.h"

struct _AfnPriceTable
{
  gatomicrefcount ref_count;
  GHashTable *prices;   /* model name → AfnModelPrice */
};

AfnPriceTable *
afn_price_table_new_empty (void)
{
  AfnPriceTable *self = g_new0 (AfnPriceTable, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->prices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

AfnPriceTable *
afn_price_table_ref (AfnPriceTable *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
afn_price_table_unref (AfnPriceTable *self)
{
  g_return_if_fail (self != NULL);
  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_hash_table_unref (self->prices);
      g_free (self);
    }
}

static gboolean
read_price (JsonObject    *entry,
            const char    *member,
            double        *out)
{
  JsonNode *node = json_object_get_member (entry, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || (json_node_get_value_type (node) != G_TYPE_DOUBLE
          && json_node_get_value_type (node) != G_TYPE_INT64))
    return FALSE;
  *out = json_node_get_double (node);
  return *out >= 0;
}

static gboolean
add_model (AfnPriceTable  *self,
           const char     *path,
           const char     *name,
           JsonNode       *node,
           GError        **error)
{
  AfnModelPrice price = { 0 };
  JsonObject *entry = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  if (entry == NULL || !read_price (entry, "input", &price.input)
      || !read_price (entry, "output", &price.output))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s: model “%s” needs non-negative numbers “input” and “output”"),
                   path, name);
      return FALSE;
    }
  /* A model without a cache discount is billed the full input price. */
  if (!json_object_has_member (entry, "cached_input"))
    price.cached_input = price.input;
  else if (!read_price (entry, "cached_input", &price.cached_input))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s: model “%s” has an invalid “cached_input” price"), path, name);
      return FALSE;
    }
  g_hash_table_insert (self->prices, g_strdup (name), g_memdup2 (&price, sizeof price));
  return TRUE;
}

AfnPriceTable *
afn_price_table_new_from_file (const char  *path,
                               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(AfnPriceTable) self = NULL;
  JsonNode *root;
  JsonObject *models;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  g_return_val_if_fail (path != NULL, NULL);

  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || (models = json_object_get_object_member (json_node_get_object (root), "models")) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s: a price table must be an object with a “models” object"), path);
      return NULL;
    }
  self = afn_price_table_new_empty ();
  json_object_iter_init (&iter, models);
  while (json_object_iter_next (&iter, &name, &node))
    if (!add_model (self, path, name, node, error))
      return NULL;
  return g_steal_pointer (&self);
}

AfnPriceTable *
afn_price_table_new_default (void)
{
  const char *candidates[] = {
    g_getenv ("AFN_PRICE_TABLE"),
    AFN_SOURCE_ROOT "/data/model-prices.json",
    AFN_DATADIR "/model-prices.json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autoptr(GError) error = NULL;
      AfnPriceTable *table;

      if (candidates[i] == NULL || !g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
        continue;
      table = afn_price_table_new_from_file (candidates[i], &error);
      if (table != NULL)
        return table;
      g_warning ("%s", error->message);
    }
  return afn_price_table_new_empty ();
}

gboolean
afn_price_table_lookup (AfnPriceTable *self,
                        const char    *model,
                        AfnModelPrice *price)
{
  const AfnModelPrice *found;
  const char *slash;
  gsize best_len = 0;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (price != NULL, FALSE);

  *price = (AfnModelPrice) { 0 };
  if (model == NULL)
    return FALSE;
  if ((slash = strrchr (model, '/')) != NULL)
    model = slash + 1;
  found = g_hash_table_lookup (self->prices, model);
  if (found == NULL)
    {
      g_hash_table_iter_init (&iter, self->prices);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          gsize len = strlen (key);
          if (len > best_len && g_str_has_prefix (model, key) && model[len] == '-')
            {
              best_len = len;
              found = value;
            }
        }
    }
  if (found == NULL)
    return FALSE;
  *price = *found;
  return TRUE;
}

gboolean
afn_price_table_price_usage (AfnPriceTable *self,
                             const char    *model,
                             AfnUsage      *usage)
{
  AfnModelPrice price;
  gint64 cached, uncached;
  gboolean known;

  g_return_val_if_fail (usage != NULL, FALSE);

  known = afn_price_table_lookup (self, model, &price);
  cached = MIN (usage->cached_tokens, usage->prompt_tokens);
  uncached = usage->prompt_tokens - cached;
  usage->cost_usd = (uncached * price.input + cached * price.cached_input
                     + usage->completion_tokens * price.output) / 1e6;
  return known;
}
