/* afs-word-diff.c: longest common subsequence over word tokens.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "afs-word-diff.h"

/* Above this many token pairs the table would be too big: show a replace. */
#define MAX_CELLS (4u * 1024u * 1024u)

static GPtrArray *
tokenize (const char *text)
{
  GPtrArray *tokens = g_ptr_array_new_with_free_func (g_free);
  const char *p = text ? text : "";

  while (*p)
    {
      const char *start = p;
      gboolean space = g_unichar_isspace (g_utf8_get_char (p));

      while (*p && g_unichar_isspace (g_utf8_get_char (p)) == space)
        p = g_utf8_next_char (p);
      g_ptr_array_add (tokens, g_strndup (start, p - start));
    }
  return tokens;
}

static void
segment_clear (gpointer data)
{
  g_free (((AfsDiffSegment *) data)->text);
}

static void
push (GArray *segments, AfsDiffKind kind, const char *text)
{
  if (segments->len > 0)
    {
      AfsDiffSegment *last = &g_array_index (segments, AfsDiffSegment, segments->len - 1);

      if (last->kind == kind)
        {
          char *joined = g_strconcat (last->text, text, NULL);

          g_free (last->text);
          last->text = joined;
          return;
        }
    }
  AfsDiffSegment seg = { kind, g_strdup (text) };
  g_array_append_val (segments, seg);
}

static gboolean
is_blank (const char *text)
{
  if (!*text)
    return FALSE;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* Merges "DEL INS DEL INS" runs split by a single equal white-space token
 * into one deletion then one insertion, which reads better. */
static GArray *
tidy (GArray *raw)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (AfsDiffSegment));
  guint i = 0;

  g_array_set_clear_func (out, segment_clear);
  while (i < raw->len)
    {
      AfsDiffSegment *s = &g_array_index (raw, AfsDiffSegment, i);

      if (s->kind == AFS_DIFF_EQUAL)
        {
          push (out, AFS_DIFF_EQUAL, s->text);
          i++;
          continue;
        }
      /* Gather a changed region: changes, and lone blanks between them. */
      g_autoptr(GString) del = g_string_new (NULL);
      g_autoptr(GString) ins = g_string_new (NULL);
      guint j = i;

      while (j < raw->len)
        {
          AfsDiffSegment *t = &g_array_index (raw, AfsDiffSegment, j);

          if (t->kind == AFS_DIFF_DELETE)
            g_string_append (del, t->text);
          else if (t->kind == AFS_DIFF_INSERT)
            g_string_append (ins, t->text);
          else if (j + 1 < raw->len && is_blank (t->text)
                   && g_array_index (raw, AfsDiffSegment, j + 1).kind != AFS_DIFF_EQUAL)
            {
              g_string_append (del, t->text);
              g_string_append (ins, t->text);
            }
          else
            break;
          j++;
        }
      if (del->len > 0)
        push (out, AFS_DIFF_DELETE, del->str);
      if (ins->len > 0)
        push (out, AFS_DIFF_INSERT, ins->str);
      i = j;
    }
  return out;
}

GArray *
afs_word_diff (const char *before, const char *after)
{
  g_autoptr(GPtrArray) a = tokenize (before);
  g_autoptr(GPtrArray) b = tokenize (after);
  g_autoptr(GArray) raw = g_array_new (FALSE, TRUE, sizeof (AfsDiffSegment));
  guint n = a->len, m = b->len;

  g_array_set_clear_func (raw, segment_clear);
  if ((guint64) (n + 1) * (m + 1) > MAX_CELLS)
    {
      for (guint i = 0; i < n; i++)
        push (raw, AFS_DIFF_DELETE, a->pdata[i]);
      for (guint j = 0; j < m; j++)
        push (raw, AFS_DIFF_INSERT, b->pdata[j]);
      return tidy (raw);
    }

  /* lcs[i][j]: LCS length of a[i..] and b[j..]. */
  g_autofree guint32 *lcs = g_new0 (guint32, (gsize) (n + 1) * (m + 1));
#define L(i, j) lcs[(gsize) (i) * (m + 1) + (j)]
  for (guint i = n; i-- > 0;)
    for (guint j = m; j-- > 0;)
      L (i, j) = g_str_equal (a->pdata[i], b->pdata[j])
                 ? L (i + 1, j + 1) + 1 : MAX (L (i + 1, j), L (i, j + 1));

  guint i = 0, j = 0;
  while (i < n || j < m)
    {
      if (i < n && j < m && g_str_equal (a->pdata[i], b->pdata[j]))
        {
          push (raw, AFS_DIFF_EQUAL, a->pdata[i]);
          i++, j++;
        }
      else if (j < m && (i == n || L (i, j + 1) > L (i + 1, j)))
        push (raw, AFS_DIFF_INSERT, b->pdata[j++]);
      else
        push (raw, AFS_DIFF_DELETE, a->pdata[i++]);
    }
#undef L
  return tidy (raw);
}

char *
afs_word_diff_to_markup (GArray *segments)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < segments->len; i++)
    {
      AfsDiffSegment *seg = &g_array_index (segments, AfsDiffSegment, i);
      g_autofree char *esc = g_markup_escape_text (seg->text, -1);

      switch (seg->kind)
        {
        case AFS_DIFF_EQUAL:
          g_string_append (s, esc);
          break;
        case AFS_DIFF_DELETE:
          g_string_append_printf (s, "<span strikethrough=\"true\" background=\"#f6616133\""
                                  " foreground=\"#c01c28\">%s</span>", esc);
          break;
        case AFS_DIFF_INSERT:
          g_string_append_printf (s, "<span underline=\"single\" background=\"#33d17a33\""
                                  " foreground=\"#26a269\">%s</span>", esc);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return g_string_free (s, FALSE);
}

char *
afs_word_diff_to_plain (GArray *segments)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < segments->len; i++)
    {
      AfsDiffSegment *seg = &g_array_index (segments, AfsDiffSegment, i);

      if (seg->kind == AFS_DIFF_EQUAL)
        g_string_append (s, seg->text);
      else
        g_string_append_printf (s, seg->kind == AFS_DIFF_DELETE ? "[-%s-]" : "{+%s+}", seg->text);
    }
  return g_string_free (s, FALSE);
}

static guint
count_words (const char *text)
{
  g_autoptr(GPtrArray) tokens = tokenize (text);
  guint n = 0;

  for (guint i = 0; i < tokens->len; i++)
    if (!g_unichar_isspace (g_utf8_get_char (tokens->pdata[i])))
      n++;
  return n;
}

void
afs_word_diff_count (GArray *segments, guint *n_deleted, guint *n_inserted)
{
  guint d = 0, ins = 0;

  for (guint i = 0; i < segments->len; i++)
    {
      AfsDiffSegment *seg = &g_array_index (segments, AfsDiffSegment, i);

      if (seg->kind == AFS_DIFF_DELETE)
        d += count_words (seg->text);
      else if (seg->kind == AFS_DIFF_INSERT)
        ins += count_words (seg->text);
    }
  if (n_deleted)
    *n_deleted = d;
  if (n_inserted)
    *n_inserted = ins;
}
