/* afn-combine-backward.c: AddBackward0 and SumBackward0.
 *
 * Both give every input that requires grad one gradient per incoming
 * gradient: the combined-feedback sentence for that input's role followed by
 * the incoming gradient's text, each gradient kept, in order of arrival.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "afn-ops-private.h"

struct _AfnCombineBackward
{
  AfnNode parent_instance;
  /* Per input: the saved Variable when the edge leads to another op's node
   * (its role is needed), NULL otherwise. The array is NULL once released. */
  GPtrArray *inputs;
  /* The inputs were saved (and not yet released). With only leaves among
   * them (a flat sum) nothing needs saving and @inputs stays NULL. */
  gboolean   saved;
};

G_DEFINE_FINAL_TYPE (AfnCombineBackward, afn_combine_backward, AFN_TYPE_NODE)

static const char feedback_head[] = "Here is the combined feedback we got for this specific ";
static const char feedback_mid[] = " and other variables: ";

/* One allocation (or one piece of @arena's block) holds the text and, after
 * its NUL, the role: a pending gradient, made a Variable only if read. */
AfnGrad *
afn_feedback_grad (AfnValueArena *arena, const char *role, gsize role_len,
                   const char *tail, gsize tail_len)
{
  static const char role_head[] = "feedback to ";
  gsize head = sizeof feedback_head - 1, mid = sizeof feedback_mid - 1;
  gsize len = head + role_len + mid + tail_len;
  gsize role_room = sizeof role_head - 1 + role_len + 1;
  char *text, *p;
  AfnValue *value = arena != NULL ? afn_value_arena_new_str_with_room (arena, len, role_room, &text)
                                   : afn_value_new_str_with_room (len, role_room, &text);

  p = text;
  memcpy (p, feedback_head, head), p += head;
  memcpy (p, role, role_len), p += role_len;
  memcpy (p, feedback_mid, mid), p += mid;
  if (tail_len > 0)
    memcpy (p, tail, tail_len);
  p = text + len + 1;
  memcpy (p, role_head, sizeof role_head - 1), p += sizeof role_head - 1;
  memcpy (p, role, role_len), p += role_len;
  *p = '\0';
  return afn_grad_new_pending (value);
}

/* The Variable whose role input @i's gradients name: the leaf behind the
 * edge, or the saved non-leaf. NULL when the input gets no gradient (it
 * does not require grad, or its leaf is gone). */
static AfnVariable *
edge_input (AfnCombineBackward *self, const AfnEdge *edges, guint i)
{
  if (edges[i].leaf != NULL)
    return edges[i].leaf;
  if (edges[i].node == NULL)
    return NULL;
  if (afn_node_is_accumulate (edges[i].node))
    return afn_node_get_variable (edges[i].node);
  return self->inputs != NULL ? g_ptr_array_index (self->inputs, i) : NULL;
}

/* Inputs [@start, @end) of one combine backward, made by one thread. */
typedef struct {
  AfnCombineBackward *self;
  const AfnEdge      *edges;
  guint               n_edges, start, end;
  GPtrArray          *texts;    /* the incoming texts, read only */
  GArray             *lengths;
  AfnGrad           **out;      /* n_edges * texts->len slots, NULL where no input */
  AfnEmitFunc         emit;     /* used instead of @out when it is NULL */
  gpointer            emit_data;
} Range;

static void
make_range (Range *r)
{
  guint n_texts = r->texts->len;
  /* 100,000 gradients are 100,000 mallocs otherwise. */
  AfnValueArena *arena = afn_value_arena_new (MIN ((guint64) (r->end - r->start) * n_texts, G_MAXUINT));

  for (guint i = r->start; i < r->end; i++)
    {
      AfnVariable *input = edge_input (r->self, r->edges, i);
      const char *role;
      gsize role_len;

      /* A flat sum's leaves are far apart in memory: ask ahead. */
      if (i + 16 < r->end && r->edges[i + 16].leaf != NULL)
        afn_variable_prefetch (r->edges[i + 16].leaf);
      if (i + 8 < r->end && r->edges[i + 8].leaf != NULL)
        afn_variable_prefetch_data (r->edges[i + 8].leaf);
      if (input == NULL)
        continue;
      role = afn_variable_role_text (input);
      role_len = strlen (role);
      for (guint j = 0; j < n_texts; j++)
        {
          AfnGrad *grad = afn_feedback_grad (arena, role, role_len, g_ptr_array_index (r->texts, j),
                                             g_array_index (r->lengths, gsize, j));
          if (r->out != NULL)
            r->out[(gsize) i * n_texts + j] = grad;
          else
            r->emit (r->emit_data, i, grad);
        }
    }
  afn_value_arena_free (arena);
}

static gpointer
make_range_thread (gpointer data)
{
  make_range (data);
  return NULL;
}

/* Below this many gradients one thread makes them all: starting another
 * costs more than it saves. */
#define PARALLEL_MIN_GRADS 16384
#define PARALLEL_MAX_THREADS 4

/* Makes the gradients of a large node on up to PARALLEL_MAX_THREADS
 * threads, each with its own arena, then hands them on in input order, so
 * the result is the same as from one thread. Only the texts are made on
 * the other threads: the inputs are only read, and nothing else runs. */
static void
make_parallel (Range *whole, guint n_threads)
{
  guint n_texts = whole->texts->len;
  gsize n_slots = (gsize) whole->n_edges * n_texts;
  g_autofree AfnGrad **out = g_new0 (AfnGrad *, n_slots);
  Range ranges[PARALLEL_MAX_THREADS];
  GThread *threads[PARALLEL_MAX_THREADS] = { NULL, };

  for (guint t = 0; t < n_threads; t++)
    {
      ranges[t] = *whole;
      ranges[t].out = out;
      ranges[t].start = (guint) ((guint64) whole->n_edges * t / n_threads);
      ranges[t].end = (guint) ((guint64) whole->n_edges * (t + 1) / n_threads);
    }
  /* This thread makes the first range; a thread that cannot be started
   * leaves its range to this one too. */
  for (guint t = 1; t < n_threads; t++)
    threads[t] = g_thread_try_new ("afnio-backward", make_range_thread, &ranges[t], NULL);
  make_range (&ranges[0]);
  for (guint t = 1; t < n_threads; t++)
    {
      if (threads[t] != NULL)
        g_thread_join (threads[t]);
      else
        make_range (&ranges[t]);
    }
  for (gsize k = 0; k < n_slots; k++)
    if (out[k] != NULL)
      whole->emit (whole->emit_data, k / n_texts, out[k]);
}

static gboolean
combine_direct (AfnNode *node, GPtrArray *grad_outputs, AfnEmitFunc emit, gpointer emit_data,
                GError **error)
{
  AfnCombineBackward *self = AFN_COMBINE_BACKWARD (node);
  GPtrArray *incoming = g_ptr_array_index (grad_outputs, 0);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) lengths = g_array_new (FALSE, FALSE, sizeof (gsize));
  guint n_edges, n_threads;
  const AfnEdge *edges = afn_node_peek_edges (node, &n_edges);
  Range whole;

  if (!self->saved || (self->inputs != NULL && self->inputs->len != n_edges))
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED,
                   _("%s was already run and its saved values were freed: specify "
                     "retain_graph=True to backward through the graph a second time."),
                   afn_node_get_name (node));
      return FALSE;
    }
  /* Each incoming text is read once, however many inputs it goes to. */
  for (guint j = 0; j < incoming->len; j++)
    {
      gsize len;
      g_ptr_array_add (texts, afn_variable_dup_data_text (g_ptr_array_index (incoming, j), &len));
      g_array_append_val (lengths, len);
    }
  whole = (Range) { self, edges, n_edges, 0, n_edges, texts, lengths, NULL, emit, emit_data };
  n_threads = (guint64) n_edges * incoming->len >= PARALLEL_MIN_GRADS
                ? MIN (g_get_num_processors (), PARALLEL_MAX_THREADS) : 1;
  if (n_threads >= 2)
    make_parallel (&whole, n_threads);
  else
    make_range (&whole);
  return TRUE;
}

static void
add_to_result_cb (gpointer emit_data, guint input, AfnGrad *grad)
{
  afn_node_result_add_take (emit_data, input, afn_grad_take_variable (grad));
}

/* The public form, for callers that run a node's backward themselves. */
static GPtrArray *
afn_combine_backward_backward (AfnNode *node, GPtrArray *grad_outputs, GError **error)
{
  g_autoptr(GPtrArray) result = afn_node_new_result (node);

  if (!combine_direct (node, grad_outputs, add_to_result_cb, result, error))
    return NULL;
  return g_steal_pointer (&result);
}

static void
afn_combine_backward_release_saved (AfnNode *node)
{
  g_clear_pointer (&AFN_COMBINE_BACKWARD (node)->inputs, g_ptr_array_unref);
  AFN_COMBINE_BACKWARD (node)->saved = FALSE;
}

static void
free_saved (gpointer data)
{
  if (data != NULL)
    g_object_unref (data);
}

static void
afn_combine_backward_finalize (GObject *object)
{
  g_clear_pointer (&AFN_COMBINE_BACKWARD (object)->inputs, g_ptr_array_unref);
  G_OBJECT_CLASS (afn_combine_backward_parent_class)->finalize (object);
}

static void
afn_combine_backward_class_init (AfnCombineBackwardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = afn_combine_backward_finalize;
  AFN_NODE_CLASS (klass)->backward = afn_combine_backward_backward;
  AFN_NODE_CLASS (klass)->release_saved = afn_combine_backward_release_saved;
}

static void
afn_combine_backward_init (AfnCombineBackward *self)
{
}

AfnNode *
afn_combine_backward_new (const char *name)
{
  AfnCombineBackward *self = g_object_new (AFN_TYPE_COMBINE_BACKWARD, NULL);

  afn_node_set_name (AFN_NODE (self), name);
  afn_node_set_direct_backward (AFN_NODE (self), combine_direct);
  return AFN_NODE (self);
}

void
afn_combine_backward_save_inputs (AfnNode *node, AfnVariable **inputs, guint n_inputs)
{
  AfnCombineBackward *self = AFN_COMBINE_BACKWARD (node);
  guint n_edges;
  const AfnEdge *edges = afn_node_peek_edges (node, &n_edges);

  g_assert (n_edges == n_inputs);
  self->saved = TRUE;
  /* Walks the edges, not the inputs: a leaf is not touched again. */
  for (guint i = 0; i < n_inputs; i++)
    if (edges[i].node != NULL && !afn_node_is_accumulate (edges[i].node))
      {
        if (self->inputs == NULL)
          {
            self->inputs = g_ptr_array_new_full (n_inputs, free_saved);
            g_ptr_array_set_size (self->inputs, n_inputs);
          }
        g_ptr_array_index (self->inputs, i) = g_object_ref (inputs[i]);
      }
}
