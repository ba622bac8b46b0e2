/* afn-scoring.c: named scoring functions, reductions and success predicates.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "afn-scoring.h"
#include "afn-error.h"

typedef struct {
  char          *name;
  char          *purpose;
  gboolean       integral;
  AfnScoringFunc func;
  gpointer       user_data;
  GDestroyNotify destroy;
} ScoringEntry;

static GMutex registry_lock;
static GHashTable *registry;   /* name -> ScoringEntry */

static void
entry_free (gpointer data)
{
  ScoringEntry *entry = data;

  if (entry->destroy != NULL)
    entry->destroy (entry->user_data);
  g_free (entry->name);
  g_free (entry->purpose);
  g_free (entry);
}

static char *
value_text (AfnValue *value)
{
  return afn_value_to_text (value);
}

static double
score_exact (AfnValue *p, AfnValue *t, const char *arg, gpointer data, GError **error)
{
  g_autofree char *a = value_text (p);
  g_autofree char *b = value_text (t);

  return g_str_equal (a, b) ? 1 : 0;
}

static double
score_case_insensitive (AfnValue *p, AfnValue *t, const char *arg, gpointer data, GError **error)
{
  g_autofree char *a = value_text (p);
  g_autofree char *b = value_text (t);
  g_autofree char *fa = g_utf8_casefold (a, -1);
  g_autofree char *fb = g_utf8_casefold (b, -1);

  return g_str_equal (fa, fb) ? 1 : 0;
}

static double
score_contains (AfnValue *p, AfnValue *t, const char *arg, gpointer data, GError **error)
{
  g_autofree char *a = value_text (p);
  g_autofree char *b = value_text (t);

  return strstr (a, b) != NULL ? 1 : 0;
}

static double
score_regex (AfnValue *p, AfnValue *t, const char *arg, gpointer data, GError **error)
{
  g_autofree char *a = value_text (p);
  g_autofree char *pattern = value_text (t);
  g_autofree char *anchored = g_strdup_printf ("(?:%s)\\z", pattern);
  GRegexCompileFlags flags = G_REGEX_ANCHORED;
  g_autoptr(GRegex) regex = NULL;

  if (arg != NULL && strchr (arg, 'i') != NULL)
    flags |= G_REGEX_CASELESS;
  regex = g_regex_new (anchored, flags, 0, error);
  if (regex == NULL)
    return 0;
  return g_regex_match (regex, a, 0, NULL) ? 1 : 0;
}

static gboolean
parse_number (AfnValue *value, double *out)
{
  g_autofree char *text = NULL;
  char *end;

  if (afn_value_kind (value) == AFN_VALUE_INT)
    return (*out = (double) afn_value_get_int (value)), TRUE;
  if (afn_value_kind (value) == AFN_VALUE_FLOAT)
    return (*out = afn_value_get_float (value)), TRUE;
  text = g_strstrip (value_text (value));
  *out = g_ascii_strtod (text, &end);
  return *text != '\0' && *end == '\0';
}

static double
score_numeric (AfnValue *p, AfnValue *t, const char *arg, gpointer data, GError **error)
{
  double a, b, tolerance = 1e-9;

  if (arg != NULL)
    tolerance = g_ascii_strtod (arg, NULL);
  if (!parse_number (t, &b))
    {
      g_autofree char *text = value_text (t);

      g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                   _("The numeric scoring function needs a number as target, not “%s”"), text);
      return 0;
    }
  /* A prediction that is not a number is simply wrong. */
  if (!parse_number (p, &a))
    return 0;
  return fabs (a - b) <= tolerance ? 1 : 0;
}

static JsonNode *
json_member (const char *text, const char *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || !json_object_has_member (json_node_get_object (root), name))
    return NULL;
  return json_node_copy (json_object_get_member (json_node_get_object (root), name));
}

static char *
json_scalar_text (JsonNode *node)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

static double
score_json_field (AfnValue *p, AfnValue *t, const char *arg, gpointer data, GError **error)
{
  g_autofree char *a = value_text (p);
  g_autofree char *b = value_text (t);
  g_autoptr(JsonNode) got = NULL;
  g_autoptr(JsonNode) want = NULL;
  g_autofree char *got_text = NULL;
  g_autofree char *want_text = NULL;

  if (arg == NULL || *arg == '\0')
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                           _("The json-field scoring function needs a field name: “json-field:NAME”"));
      return 0;
    }
  got = json_member (a, arg);
  if (got == NULL)
    return 0;
  want = json_member (b, arg);
  got_text = json_scalar_text (got);
  want_text = want != NULL ? json_scalar_text (want) : g_strdup (b);
  return g_str_equal (got_text, want_text) ? 1 : 0;
}

static void
ensure_registry_locked (void)
{
  static const struct { const char *name, *purpose; AfnScoringFunc func; } builtins[] = {
    { "exact", "exact match", score_exact },
    { "case-insensitive", "case-insensitive match", score_case_insensitive },
    { "contains", "containment of the target", score_contains },
    { "regex", "regular expression match", score_regex },
    { "numeric", "numeric match within tolerance", score_numeric },
    { "json-field", "JSON field match", score_json_field },
  };

  if (registry != NULL)
    return;
  registry = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  for (guint i = 0; i < G_N_ELEMENTS (builtins); i++)
    {
      ScoringEntry *entry = g_new0 (ScoringEntry, 1);

      entry->name = g_strdup (builtins[i].name);
      entry->purpose = g_strdup (builtins[i].purpose);
      entry->integral = TRUE;
      entry->func = builtins[i].func;
      g_hash_table_replace (registry, entry->name, entry);
    }
}

void
afn_register_scoring_function (const char *name, const char *purpose, gboolean integral,
                               AfnScoringFunc func, gpointer user_data, GDestroyNotify destroy)
{
  ScoringEntry *entry = g_new0 (ScoringEntry, 1);

  g_return_if_fail (name != NULL && strchr (name, ':') == NULL);
  g_return_if_fail (func != NULL);
  entry->name = g_strdup (name);
  entry->purpose = g_strdup (purpose != NULL ? purpose : name);
  entry->integral = integral;
  entry->func = func;
  entry->user_data = user_data;
  entry->destroy = destroy;
  g_mutex_lock (&registry_lock);
  ensure_registry_locked ();
  g_hash_table_replace (registry, entry->name, entry);
  g_mutex_unlock (&registry_lock);
}

const char **
afn_scoring_function_names (void)
{
  const char **names;

  g_mutex_lock (&registry_lock);
  ensure_registry_locked ();
  names = (const char **) g_hash_table_get_keys_as_array (registry, NULL);
  g_mutex_unlock (&registry_lock);
  return names;
}

static gboolean
lookup_entry (const char *eval_fn, ScoringEntry *out, char **arg, GError **error)
{
  const char *colon = strchr (eval_fn, ':');
  g_autofree char *name = colon != NULL ? g_strndup (eval_fn, colon - eval_fn) : g_strdup (eval_fn);
  ScoringEntry *entry;

  g_mutex_lock (&registry_lock);
  ensure_registry_locked ();
  entry = g_hash_table_lookup (registry, name);
  if (entry != NULL)
    *out = *entry;   /* registered functions are never freed while in use but for a replace */
  g_mutex_unlock (&registry_lock);
  if (entry == NULL)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
                   _("Unknown scoring function “%s”; register it with afn_register_scoring_function()"),
                   name);
      return FALSE;
    }
  *arg = colon != NULL ? g_strdup (colon + 1) : NULL;
  return TRUE;
}

static guint
sample_count (AfnValue *prediction, AfnValue *target, GError **error)
{
  gboolean p_list = afn_value_kind (prediction) == AFN_VALUE_LIST;
  gboolean t_list = afn_value_kind (target) == AFN_VALUE_LIST;

  if (!p_list && t_list)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH,
                           _("The target is a list but the prediction is not"));
      return G_MAXUINT;
    }
  if (p_list && t_list && afn_value_n_items (prediction) != afn_value_n_items (target))
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH,
                   _("The prediction has %u samples but the target has %u"),
                   afn_value_n_items (prediction), afn_value_n_items (target));
      return G_MAXUINT;
    }
  return p_list ? afn_value_n_items (prediction) : 0;
}

static AfnValue *
element (AfnValue *value, guint i)
{
  return afn_value_kind (value) == AFN_VALUE_LIST ? afn_value_get_item (value, i) : value;
}

GArray *
afn_scoring_run (const char *eval_fn, AfnValue *prediction, AfnValue *target,
                 gboolean *integral, char **purpose, GError **error)
{
  g_autoptr(GArray) scores = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *arg = NULL;
  ScoringEntry entry;
  guint n = sample_count (prediction, target, error);

  if (n == G_MAXUINT || !lookup_entry (eval_fn, &entry, &arg, error))
    return NULL;
  *integral = entry.integral;
  if (purpose != NULL)
    *purpose = g_strdup (entry.purpose);
  for (guint i = 0; i < MAX (n, 1); i++)
    {
      GError *local = NULL;
      double score = entry.func (element (prediction, i), element (target, i), arg,
                                 entry.user_data, &local);

      if (local != NULL)
        {
          g_propagate_prefixed_error (error, local, _("Scoring sample %u: "), i + 1);
          return NULL;
        }
      if (score != floor (score))
        *integral = FALSE;
      g_array_append_val (scores, score);
    }
  return g_steal_pointer (&scores);
}

gboolean
afn_reduction_lookup (const char *name, const char **purpose, GError **error)
{
  static const char *names[][2] = {
    { "sum", "summation" }, { "mean", "mean" }, { "min", "minimum" }, { "max", "maximum" },
  };

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i][0]))
      {
        if (purpose != NULL)
          *purpose = names[i][1];
        return TRUE;
      }
  g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
               _("Unknown reduction “%s”: use sum, mean, min or max"), name != NULL ? name : "");
  return FALSE;
}

AfnValue *
afn_reduction_apply (const char *name, GArray *scores, gboolean integral)
{
  double total = 0, lo = INFINITY, hi = -INFINITY;

  for (guint i = 0; i < scores->len; i++)
    {
      double s = g_array_index (scores, double, i);

      total += s;
      lo = MIN (lo, s);
      hi = MAX (hi, s);
    }
  if (g_str_equal (name, "mean"))
    return afn_value_new_float (scores->len > 0 ? total / scores->len : 0);
  if (g_str_equal (name, "min"))
    total = scores->len > 0 ? lo : 0;
  else if (g_str_equal (name, "max"))
    total = scores->len > 0 ? hi : 0;
  return integral ? afn_value_new_int ((gint64) total) : afn_value_new_float (total);
}

static gboolean
parse_predicate (const char *spec, char op[3], double *bound)
{
  const char *p = spec;
  char *end;
  guint n = 0;

  while (g_ascii_isspace (*p))
    p++;
  if (g_str_equal (p, "all"))
    return strcpy (op, ">="), *bound = 1, TRUE;
  if (!g_str_has_prefix (p, "score"))
    return FALSE;
  p += 5;
  while (g_ascii_isspace (*p))
    p++;
  while (n < 2 && strchr ("=!<>", *p) != NULL && *p != '\0')
    op[n++] = *p++;
  op[n] = '\0';
  if (!(g_str_equal (op, "==") || g_str_equal (op, "!=") || g_str_equal (op, ">=")
        || g_str_equal (op, "<=") || g_str_equal (op, ">") || g_str_equal (op, "<")))
    return FALSE;
  *bound = g_ascii_strtod (p, &end);
  while (g_ascii_isspace (*end))
    end++;
  return end != p && *end == '\0';
}

gboolean
afn_success_parse (const char *spec, GError **error)
{
  char op[3];
  double bound;

  if (spec != NULL && parse_predicate (spec, op, &bound))
    return TRUE;
  g_set_error (error, AFN_ERROR, AFN_ERROR_INVALID_DATA,
               _("Success predicate “%s” is not of the form “score>=1” (operators == != >= <= > <) or “all”"),
               spec != NULL ? spec : "");
  return FALSE;
}

gboolean
afn_success_sample (const char *spec, double score)
{
  char op[3];
  double bound;

  if (spec == NULL || !parse_predicate (spec, op, &bound))
    return FALSE;
  if (g_str_equal (op, "=="))
    return score == bound;
  if (g_str_equal (op, "!="))
    return score != bound;
  if (g_str_equal (op, ">="))
    return score >= bound;
  if (g_str_equal (op, "<="))
    return score <= bound;
  if (g_str_equal (op, ">"))
    return score > bound;
  return score < bound;
}
