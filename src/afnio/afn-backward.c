/* afn-backward.c: the backward scheduler.
 *
 * A backward first walks the graph reachable from the root's grad_fn and
 * counts, for every node, how many edges point at it (its dependencies).
 * A node runs as soon as all of them have delivered, so it runs once, with
 * every gradient that arrived for each of its outputs. Nodes whose backward
 * is synchronous run inline in a work-list loop: no GTask or main-loop
 * round trip per node, which keeps 100,000-node graphs fast. Only nodes
 * with a real backward_async (a language model) go through the main loop,
 * and all of those that are ready at one time run concurrently.
 *
 * Gradients for leaves (and for non-leaves that retain their grad) are
 * collected in pending lists and appended only when the whole backward has
 * succeeded: a failed or cancelled backward leaves every grad list as it
 * was, and leaves the graph's saved values in place for another try.
 *
 * Order of gradients: each gradient is tagged with the rank of the node that
 * produced it (breadth-first discovery order from the root, following
 * next_functions in argument order) and its position in that node's result.
 * A node's incoming gradients are sorted by that tag before it runs, so the
 * order is the same on every run, whatever order concurrent backwards
 * finish in.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "afn-engine-private.h"

typedef struct {
  AfnGrad     *grad;     /* owned; pending until a node or a reader needs a Variable */
  guint        output_nr;
  gint         next;     /* next arrival for the same task, or -1 */
  guint64      key;      /* producer rank << 32 | sequence */
} Arrival;

typedef struct {
  gpointer object;       /* an AfnNode, or the AfnVariable of a leaf */
  guint    deps;
  guint    edge_start;   /* into Backward.edge_targets */
  guint    n_edges;
  gint     first, last;  /* arrival list; first < 0 when empty, first == last for one */
  guint    needed : 1;
  guint    is_leaf : 1;  /* object is a leaf whose grads this backward fills */
  guint    owned : 1;    /* this task holds a reference to object */
  guint    started : 1;
} Task;

typedef struct {
  gatomicrefcount ref_count;
  GTask        *task;
  GCancellable *cancellable;     /* the caller's, nullable */
  GCancellable *node_cancellable; /* given to async nodes; cancelled on failure */
  GSource      *cancel_source;
  GArray       *tasks;          /* Task, index = rank - 1 */
  GArray       *edge_targets;   /* gint task index, or -1 */
  GArray       *arrivals;       /* Arrival */
  GArray       *ready;          /* guint task index, a queue from ready_head */
  guint         ready_head;
  GPtrArray    *retained;       /* RetainedGrad */
  guint         in_flight;
  guint         seq;
  guint         stamp;          /* marks the objects this backward visited */
  gboolean      retain_graph;
  gboolean      restricted;     /* inputs= was given: only those leaves get grads */
  gboolean      finished;
} Backward;

typedef struct {
  AfnVariable *variable;        /* owned */
  GPtrArray   *grads;           /* owned, AfnVariable */
} RetainedGrad;

typedef struct {
  Backward *bw;
  guint     index;
} NodeCall;

static void pump (Backward *bw);

static gint last_stamp;

/* Life cycle ------------------------------------------------------------ */

static void
retained_grad_free (gpointer data)
{
  RetainedGrad *r = data;
  g_object_unref (r->variable);
  g_ptr_array_unref (r->grads);
  g_free (r);
}

static Backward *
backward_new (GTask *task, gboolean retain_graph)
{
  Backward *bw = g_new0 (Backward, 1);

  g_atomic_ref_count_init (&bw->ref_count);
  bw->task = g_object_ref (task);
  bw->cancellable = g_task_get_cancellable (task);
  if (bw->cancellable != NULL)
    g_object_ref (bw->cancellable);
  bw->node_cancellable = g_cancellable_new ();
  bw->tasks = g_array_new (FALSE, FALSE, sizeof (Task));
  bw->edge_targets = g_array_new (FALSE, FALSE, sizeof (gint));
  bw->arrivals = g_array_new (FALSE, FALSE, sizeof (Arrival));
  bw->ready = g_array_new (FALSE, FALSE, sizeof (guint));
  bw->retained = g_ptr_array_new_with_free_func (retained_grad_free);
  bw->retain_graph = retain_graph;
  do
    bw->stamp = (guint) g_atomic_int_add (&last_stamp, 1) + 1;
  while (bw->stamp == 0);
  return bw;
}

static Backward *
backward_ref (Backward *bw)
{
  g_atomic_ref_count_inc (&bw->ref_count);
  return bw;
}

static void
backward_unref (Backward *bw)
{
  if (!g_atomic_ref_count_dec (&bw->ref_count))
    return;
  for (guint i = 0; i < bw->tasks->len; i++)
    if (g_array_index (bw->tasks, Task, i).owned)
      g_object_unref (g_array_index (bw->tasks, Task, i).object);
  for (guint i = 0; i < bw->arrivals->len; i++)
    afn_grad_free (g_array_index (bw->arrivals, Arrival, i).grad);
  g_array_unref (bw->tasks);
  g_array_unref (bw->edge_targets);
  g_array_unref (bw->arrivals);
  g_array_unref (bw->ready);
  g_ptr_array_unref (bw->retained);
  if (bw->cancel_source != NULL)
    {
      g_source_destroy (bw->cancel_source);
      g_source_unref (bw->cancel_source);
    }
  g_clear_object (&bw->cancellable);
  g_clear_object (&bw->node_cancellable);
  g_clear_object (&bw->task);
  g_free (bw);
}

/* Grows @array's room by @more elements at once (GArray has no reserve()):
 * one reallocation for a node's 100,000 edges instead of seventeen. */
static void
reserve (GArray *array, guint more)
{
  guint len = array->len;

  g_array_set_size (array, len + more);
  g_array_set_size (array, len);
}

static inline Task *
task_at (Backward *bw, guint index)
{
  return &g_array_index (bw->tasks, Task, index);
}

/* Graph discovery ------------------------------------------------------- */

/* The task of an edge's target, made on first sight; -1 for no target.
 * Leaves are keyed by the Variable, whether the edge holds it directly or
 * through its AccumulateGrad node, so a leaf used twice has one task. The
 * objects' scratch stamps replace a hash table: one visit costs two stores.
 * A leaf held by its edge needs no reference of its own: the graph keeps
 * it alive; one reached only through an AccumulateGrad node does. */
static gint
task_for (Backward *bw, AfnNode *node, AfnVariable *leaf)
{
  Task task = { 0, };
  AfnScratch *scratch;
  gboolean owned = leaf == NULL;

  if (leaf != NULL)
    node = NULL;
  else if (node != NULL && afn_node_is_accumulate (node))
    {
      leaf = afn_node_get_variable (node);
      node = NULL;
    }
  if (node == NULL && leaf == NULL)
    return -1;
  scratch = leaf != NULL ? afn_variable_scratch (leaf) : afn_node_scratch (node);
  if (scratch->stamp == bw->stamp)
    return scratch->index;
  scratch->stamp = bw->stamp;
  scratch->index = bw->tasks->len;

  task.object = leaf != NULL ? (gpointer) leaf : (gpointer) node;
  if (owned)
    g_object_ref (task.object);
  task.owned = owned;
  task.is_leaf = leaf != NULL;
  task.first = task.last = -1;
  task.needed = TRUE;
  g_array_append_val (bw->tasks, task);
  return scratch->index;
}

/* Breadth-first from @root: every reachable node gets a task, its rank is
 * its index + 1, and each edge's target is recorded as a task index. */
static void
discover (Backward *bw, AfnNode *root)
{
  task_for (bw, root, NULL);
  for (guint i = 0; i < bw->tasks->len; i++)
    {
      guint n_edges = 0, start = bw->edge_targets->len;
      const AfnEdge *edges = NULL;

      if (!task_at (bw, i)->is_leaf)
        edges = afn_node_peek_edges (task_at (bw, i)->object, &n_edges);
      task_at (bw, i)->edge_start = start;
      task_at (bw, i)->n_edges = n_edges;
      reserve (bw->tasks, n_edges);
      g_array_set_size (bw->edge_targets, start + n_edges);
      for (guint e = 0; e < n_edges; e++)
        {
          gint target;

          /* task_for() reads each leaf's scratch: ask for it ahead. */
          if (e + 16 < n_edges && edges[e + 16].leaf != NULL)
            afn_variable_prefetch (edges[e + 16].leaf);
          target = task_for (bw, edges[e].node, edges[e].leaf);
          if (target >= 0)
            task_at (bw, target)->deps++;
          g_array_index (bw->edge_targets, gint, start + e) = target;
        }
    }
}

static inline gint
edge_target (Backward *bw, const Task *task, guint e)
{
  return g_array_index (bw->edge_targets, gint, task->edge_start + e);
}

/* With inputs=, only nodes on a path to one of the named leaves run. A node
 * is needed when one of its targets is; walking a topological order
 * backwards settles every target before its sources. */
static void
restrict_to_inputs (Backward *bw, GPtrArray *inputs)
{
  guint n = bw->tasks->len;
  g_autofree guint *deps = g_new (guint, n);
  g_autoptr(GArray) order = g_array_sized_new (FALSE, FALSE, sizeof (guint), n);
  g_autoptr(GHashTable) named = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < inputs->len; i++)
    g_hash_table_add (named, g_ptr_array_index (inputs, i));

  for (guint i = 0; i < n; i++)
    deps[i] = task_at (bw, i)->deps;
  g_array_append_val (order, (guint) { 0 });
  for (guint k = 0; k < order->len; k++)
    {
      Task *task = task_at (bw, g_array_index (order, guint, k));
      for (guint e = 0; e < task->n_edges; e++)
        {
          gint t = edge_target (bw, task, e);
          if (t >= 0 && --deps[t] == 0)
            g_array_append_val (order, t);
        }
    }

  for (guint k = order->len; k > 0; k--)
    {
      Task *task = task_at (bw, g_array_index (order, guint, k - 1));
      gboolean needed = task->is_leaf && g_hash_table_contains (named, task->object);
      for (guint e = 0; e < task->n_edges && !needed; e++)
        {
          gint t = edge_target (bw, task, e);
          needed = t >= 0 && task_at (bw, t)->needed;
        }
      task->needed = needed;
    }

  /* Only edges between needed nodes count now. */
  for (guint i = 0; i < n; i++)
    task_at (bw, i)->deps = 0;
  for (guint i = 0; i < n; i++)
    {
      Task *task = task_at (bw, i);
      for (guint e = 0; e < task->n_edges; e++)
        {
          gint t = edge_target (bw, task, e);
          if (t >= 0 && task->needed && task_at (bw, t)->needed)
            task_at (bw, t)->deps++;
          else if (t >= 0)
            g_array_index (bw->edge_targets, gint, task->edge_start + e) = -1;
        }
    }
}

static gboolean
check_not_released (Backward *bw, GError **error)
{
  for (guint i = 0; i < bw->tasks->len; i++)
    {
      Task *task = task_at (bw, i);
      if (task->needed && !task->is_leaf && afn_node_is_released (task->object))
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_GRAPH_RELEASED,
                       _("Trying to backward through the graph a second time (%s was already "
                         "run and its saved values were freed). Saved values of the graph are "
                         "freed when you call .backward(). Specify retain_graph=True if you need "
                         "to backward through the graph a second time."),
                       afn_node_get_name (task->object));
          return FALSE;
        }
    }
  return TRUE;
}

/* Gradients in flight -------------------------------------------------- */

/* Takes over @grad. */
static void
add_arrival_take (Backward *bw, guint index, AfnGrad *grad, guint output_nr, guint64 key)
{
  Task *task = task_at (bw, index);
  Arrival arrival = { grad, output_nr, -1, key };
  gint at = bw->arrivals->len;

  g_array_append_val (bw->arrivals, arrival);
  if (task->last >= 0)
    g_array_index (bw->arrivals, Arrival, task->last).next = at;
  else
    task->first = at;
  task->last = at;
}

static int
compare_arrivals (gconstpointer a, gconstpointer b, gpointer user_data)
{
  GArray *arrivals = user_data;
  guint64 ka = g_array_index (arrivals, Arrival, *(const gint *) a).key;
  guint64 kb = g_array_index (arrivals, Arrival, *(const gint *) b).key;
  return ka < kb ? -1 : ka > kb;
}

/* The task's arrivals (indices into bw->arrivals) in tag order. */
static GArray *
sorted_arrivals (Backward *bw, Task *task)
{
  GArray *list = g_array_sized_new (FALSE, FALSE, sizeof (gint), 8);
  gboolean sorted = TRUE;
  guint64 last_key = 0;

  for (gint at = task->first; at >= 0; at = g_array_index (bw->arrivals, Arrival, at).next)
    {
      guint64 key = g_array_index (bw->arrivals, Arrival, at).key;
      sorted &= key >= last_key;
      last_key = key;
      g_array_append_val (list, at);
    }
  if (!sorted)
    g_array_sort_with_data (list, compare_arrivals, bw->arrivals);
  return list;
}

/* One GPtrArray of gradients per output of the node, as AfnNodeClass.backward
 * takes them. */
static GPtrArray *
build_grad_outputs (Backward *bw, Task *task, GError **error)
{
  guint n_outputs = afn_node_get_n_outputs (task->object);
  g_autoptr(GPtrArray) outputs = g_ptr_array_new_full (n_outputs, (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GArray) list = sorted_arrivals (bw, task);

  for (guint i = 0; i < n_outputs; i++)
    g_ptr_array_add (outputs, g_ptr_array_new_with_free_func (g_object_unref));
  for (guint k = 0; k < list->len; k++)
    {
      Arrival *arrival = &g_array_index (bw->arrivals, Arrival, g_array_index (list, gint, k));
      if (arrival->output_nr >= n_outputs)
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_FAILED,
                       _("A gradient arrived for output %u of %s, which has %u outputs."),
                       arrival->output_nr, afn_node_get_name (task->object), n_outputs);
          return NULL;
        }
      g_ptr_array_add (g_ptr_array_index (outputs, arrival->output_nr),
                       g_object_ref (afn_grad_materialize (&arrival->grad)));
    }
  return g_steal_pointer (&outputs);
}

static gpointer
ref_object_cb (gconstpointer src, gpointer user_data)
{
  return g_object_ref ((gpointer) src);
}

/* Variables that retain their grad and come from this task's node get what
 * arrived for their output, once the backward succeeds. */
static void
collect_retained (Backward *bw, Task *task, GPtrArray *grad_outputs)
{
  GPtrArray *retainers = afn_node_peek_retainers (task->object);

  for (guint i = 0; retainers != NULL && i < retainers->len; i++)
    {
      AfnVariable *variable = g_ptr_array_index (retainers, i);
      guint nr = afn_variable_get_output_nr (variable);
      RetainedGrad *r;

      if (nr >= grad_outputs->len || ((GPtrArray *) g_ptr_array_index (grad_outputs, nr))->len == 0)
        continue;
      r = g_new (RetainedGrad, 1);
      r->variable = g_object_ref (variable);
      r->grads = g_ptr_array_copy (g_ptr_array_index (grad_outputs, nr), ref_object_cb, NULL);
      g_ptr_array_add (bw->retained, r);
    }
}

/* Finishing ------------------------------------------------------------ */

static void
fail (Backward *bw, GError *error)
{
  if (bw->finished)
    {
      g_error_free (error);
      return;
    }
  bw->finished = TRUE;
  /* Stop the other nodes still running: their work would be thrown away. */
  g_cancellable_cancel (bw->node_cancellable);
  g_task_return_error (bw->task, error);
}

static void
commit_leaf (Backward *bw, Task *task)
{
  AfnVariable *variable = task->object;
  g_autoptr(GArray) list = NULL;
  g_autoptr(GPtrArray) grads = NULL;

  if (task->first < 0)
    return;
  if (task->first == task->last)
    {
      Arrival *arrival = &g_array_index (bw->arrivals, Arrival, task->first);
      afn_variable_append_grads_take (variable, &arrival->grad, 1);
      arrival->grad = NULL;
      return;
    }
  list = sorted_arrivals (bw, task);
  grads = g_ptr_array_sized_new (list->len);
  for (guint k = 0; k < list->len; k++)
    {
      Arrival *arrival = &g_array_index (bw->arrivals, Arrival, g_array_index (list, gint, k));
      g_ptr_array_add (grads, g_steal_pointer (&arrival->grad));
    }
  afn_variable_append_grads_take (variable, (AfnGrad **) grads->pdata, grads->len);
}

/* Only a hand-made or loaded graph can hold a cycle. */
static void
fail_cycle (Backward *bw, AfnNode *node)
{
  fail (bw, g_error_new (AFN_ERROR, AFN_ERROR_FAILED,
                         _("The graph has a cycle through %s: backward cannot order its nodes."),
                         afn_node_get_name (node)));
}

/* Nodes on a cycle that does not pass through the root never get all
 * their gradients, so they never start. */
static gboolean
check_all_ran (Backward *bw)
{
  for (guint i = 0; i < bw->tasks->len; i++)
    {
      Task *task = task_at (bw, i);
      if (task->needed && !task->is_leaf && !task->started)
        {
          fail_cycle (bw, task->object);
          return FALSE;
        }
    }
  return TRUE;
}

static void
succeed (Backward *bw)
{
  if (!check_all_ran (bw))
    return;
  for (guint i = 0; i < bw->tasks->len; i++)
    {
      Task *task = task_at (bw, i);
      if (i + 16 < bw->tasks->len && task_at (bw, i + 16)->is_leaf)
        afn_variable_prefetch (task_at (bw, i + 16)->object);
      if (task->is_leaf && task->needed)
        commit_leaf (bw, task);
    }
  for (guint i = 0; i < bw->retained->len; i++)
    {
      RetainedGrad *r = g_ptr_array_index (bw->retained, i);
      afn_variable_append_grads_internal (r->variable, (AfnVariable **) r->grads->pdata, r->grads->len);
    }
  if (!bw->retain_graph)
    for (guint i = 0; i < bw->tasks->len; i++)
      if (task_at (bw, i)->needed && !task_at (bw, i)->is_leaf)
        afn_node_mark_released (task_at (bw, i)->object);
  bw->finished = TRUE;
  g_task_return_boolean (bw->task, TRUE);
}

/* Running nodes -------------------------------------------------------- */

/* A leaf has nothing to run: its gradients wait in its task for the commit. */
static void
mark_delivered (Backward *bw, gint target)
{
  Task *task;

  if (target < 0)
    return;
  task = task_at (bw, target);
  /* A node that already ran must never get more: a cycle (through the root). */
  if (task->started)
    fail_cycle (bw, task->object);
  else if (--task->deps == 0 && !task->is_leaf)
    g_array_append_val (bw->ready, target);
}

/* Hands the node's result (one list per edge) on to the edges' targets. */
static void
deliver (Backward *bw, guint index, GPtrArray *result, GError *error)
{
  Task *task = task_at (bw, index);
  guint64 rank = (guint64) index + 1;
  guint n_edges = task->n_edges, edge_start = task->edge_start;
  const AfnEdge *edges = NULL;

  if (error != NULL)
    {
      fail (bw, error);
      return;
    }
  if (result != NULL && result->len != n_edges)
    {
      fail (bw, g_error_new (AFN_ERROR, AFN_ERROR_FAILED,
                             _("The backward of %s returned %u gradient lists for %u inputs."),
                             afn_node_get_name (task->object), result->len, n_edges));
      return;
    }
  if (result != NULL)
    edges = afn_node_peek_edges (task->object, &n_edges);
  for (guint e = 0; e < n_edges; e++)
    {
      gint target = g_array_index (bw->edge_targets, gint, edge_start + e);
      GPtrArray *grads = result != NULL ? g_ptr_array_index (result, e) : NULL;

      if (target < 0)
        continue;
      for (guint j = 0; grads != NULL && j < grads->len; j++)
        add_arrival_take (bw, target, afn_grad_from_variable (g_object_ref (g_ptr_array_index (grads, j))),
                          edges[e].output_nr, rank << 32 | bw->seq++);
      mark_delivered (bw, target);
    }
}

static void
node_backward_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  NodeCall *call = user_data;
  Backward *bw = call->bw;
  GError *error = NULL;
  g_autoptr(GPtrArray) grads = NULL;

  grads = AFN_NODE_GET_CLASS (source)->backward_finish (AFN_NODE (source), result, &error);
  bw->in_flight--;
  if (bw->finished)
    g_clear_error (&error);
  else if (grads == NULL && error == NULL)
    error = g_error_new (AFN_ERROR, AFN_ERROR_FAILED, _("The backward of %s returned nothing."),
                         afn_node_get_name (AFN_NODE (source)));
  if (!bw->finished)
    {
      afn_node_emit_backward_finished (AFN_NODE (source), grads, error);
      deliver (bw, call->index, grads, error);
      pump (bw);
    }
  backward_unref (bw);
  g_free (call);
}

static gboolean
cancelled_cb (GCancellable *cancellable, gpointer user_data)
{
  Backward *bw = user_data;
  GError *error = NULL;

  if (!bw->finished && g_cancellable_set_error_if_cancelled (cancellable, &error))
    fail (bw, error);
  return G_SOURCE_REMOVE;
}

/* A cancellation must end the backward even while it waits for an async
 * node that ignores the cancellable. */
static void
watch_cancellable (Backward *bw)
{
  if (bw->cancellable == NULL || bw->cancel_source != NULL)
    return;
  bw->cancel_source = g_cancellable_source_new (bw->cancellable);
  g_source_set_callback (bw->cancel_source, G_SOURCE_FUNC (cancelled_cb), bw, NULL);
  g_source_attach (bw->cancel_source, g_main_context_get_thread_default ());
}

typedef struct {
  Backward      *bw;
  guint64        rank;
  guint          edge_start;
  guint          n_edges;
  const AfnEdge *edges;
  GPtrArray     *collected;  /* per input, for backward-finished listeners; usually NULL */
} Emit;

static void
emit_cb (gpointer emit_data, guint input, AfnGrad *grad)
{
  Emit *emit = emit_data;
  gint target;

  g_return_if_fail (input < emit->n_edges);
  /* Listeners see Variables, the same objects the leaves get. */
  if (emit->collected != NULL)
    {
      AfnVariable *variable = afn_grad_take_variable (grad);
      g_ptr_array_add (g_ptr_array_index (emit->collected, input), g_object_ref (variable));
      grad = afn_grad_from_variable (variable);
    }
  target = g_array_index (emit->bw->edge_targets, gint, emit->edge_start + input);
  if (target < 0)
    {
      afn_grad_free (grad);
      return;
    }
  add_arrival_take (emit->bw, target, grad, emit->edges[input].output_nr,
                    emit->rank << 32 | emit->bw->seq++);
}

/* Built-in ops hand each gradient over as they make it. */
static void
run_direct (Backward *bw, guint index, AfnDirectBackwardFunc direct, GPtrArray *grad_outputs)
{
  Task *task = task_at (bw, index);
  Emit emit = { bw, (guint64) index + 1, task->edge_start, 0, NULL, NULL };
  g_autoptr(GPtrArray) collected = NULL;
  GError *error = NULL;

  emit.edges = afn_node_peek_edges (task->object, &emit.n_edges);
  reserve (bw->arrivals, emit.n_edges);
  /* Building the per-input lists costs allocations that a plain backward
   * (the 100k-leaf benchmark) should not pay; only listeners get them. */
  if (afn_node_has_backward_finished_handler (task->object))
    {
      collected = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
      for (guint e = 0; e < emit.n_edges; e++)
        g_ptr_array_add (collected, g_ptr_array_new_with_free_func (g_object_unref));
      emit.collected = collected;
    }
  if (!direct (task->object, grad_outputs, emit_cb, &emit, &error))
    {
      afn_node_emit_backward_finished (task->object, NULL, error);
      fail (bw, error);
      return;
    }
  afn_node_emit_backward_finished (task->object, collected, NULL);
  for (guint e = 0; e < emit.n_edges; e++)
    mark_delivered (bw, g_array_index (bw->edge_targets, gint, emit.edge_start + e));
}

static void
run_async (Backward *bw, guint index, GPtrArray *grad_outputs)
{
  AfnNode *node = task_at (bw, index)->object;
  NodeCall *call = g_new (NodeCall, 1);

  call->bw = backward_ref (bw);
  call->index = index;
  bw->in_flight++;
  watch_cancellable (bw);
  AFN_NODE_GET_CLASS (node)->backward_async (node, grad_outputs, bw->node_cancellable,
                                             node_backward_cb, call);
}

static void
run_task (Backward *bw, guint index, gboolean is_root)
{
  Task *task = task_at (bw, index);
  AfnNode *node = task->object;
  GError *error = NULL;
  g_autoptr(GPtrArray) grad_outputs = NULL;
  g_autoptr(GPtrArray) result = NULL;

  if (task->is_leaf)
    return;
  task->started = TRUE;
  /* A node that nothing reached has no feedback to pass on. */
  if (task->first < 0 && !is_root)
    {
      deliver (bw, index, NULL, NULL);
      return;
    }
  grad_outputs = build_grad_outputs (bw, task, &error);
  if (grad_outputs == NULL)
    {
      fail (bw, error);
      return;
    }
  if (!bw->restricted)
    collect_retained (bw, task, grad_outputs);
  afn_node_emit_backward_started (node);
  if (afn_node_get_direct_backward (node) != NULL)
    {
      run_direct (bw, index, afn_node_get_direct_backward (node), grad_outputs);
    }
  else if (!afn_node_has_sync_backward (node))
    run_async (bw, index, grad_outputs);
  else
    {
      result = AFN_NODE_GET_CLASS (node)->backward (node, grad_outputs, &error);
      if (result == NULL && error == NULL)
        error = g_error_new (AFN_ERROR, AFN_ERROR_FAILED, _("The backward of %s returned nothing."),
                             afn_node_get_name (node));
      afn_node_emit_backward_finished (node, result, error);
      deliver (bw, index, result, error);
    }
}

static void
pump (Backward *bw)
{
  /* First in, first out: nodes run in the order they became ready. */
  while (bw->ready_head < bw->ready->len && !bw->finished)
    {
      guint index = g_array_index (bw->ready, guint, bw->ready_head++);
      GError *error = NULL;

      if (bw->ready_head == bw->ready->len)
        {
          g_array_set_size (bw->ready, 0);
          bw->ready_head = 0;
        }
      if (g_cancellable_set_error_if_cancelled (bw->cancellable, &error))
        {
          fail (bw, error);
          return;
        }
      run_task (bw, index, index == 0);
    }
  if (!bw->finished && bw->in_flight == 0)
    succeed (bw);
}

/* Entry points --------------------------------------------------------- */

static gboolean
check_inputs (GPtrArray *inputs, GError **error)
{
  for (guint i = 0; inputs != NULL && i < inputs->len; i++)
    {
      AfnVariable *input = g_ptr_array_index (inputs, i);
      if (!afn_variable_is_leaf (input))
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_NOT_LEAF,
                       _("One of the differentiated Variables given as `inputs` to backward() "
                         "is not a leaf Variable (item %u, role “%s”): `inputs` must all be leaves."),
                       i, afn_variable_role_text (input));
          return FALSE;
        }
      if (!afn_variable_get_requires_grad (input))
        {
          g_set_error (error, AFN_ERROR, AFN_ERROR_NO_GRAD,
                       _("One of the differentiated Variables given as `inputs` to backward() "
                         "does not require grad (item %u, role “%s”)."),
                       i, afn_variable_role_text (input));
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_root (AfnVariable *self, AfnVariable *gradient, GError **error)
{
  AfnValueKind kind = afn_value_kind (afn_variable_get_data (self));

  if (afn_variable_is_leaf (self) || afn_variable_get_grad_fn (self) == NULL)
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_NO_GRAD,
                           _("Variable does not require grad or does not have a grad_fn."));
      return FALSE;
    }
  if (gradient == NULL && (kind == AFN_VALUE_LIST || kind == AFN_VALUE_TUPLE))
    {
      g_set_error_literal (error, AFN_ERROR, AFN_ERROR_GRADIENT_REQUIRED,
                           _("grad can be implicitly created only for scalar outputs: pass a "
                             "gradient Variable to backward() for a Variable holding a list."));
      return FALSE;
    }
  return TRUE;
}

/* backward_async(): runs the backward on the thread-default main context.
 * Leaves' grad lists change only if it succeeds; cancelling reports
 * G_IO_ERROR_CANCELLED and leaves them as they were. */
void
afn_variable_backward_async (AfnVariable *self, AfnVariable *gradient, gboolean retain_graph,
                             GPtrArray *inputs, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  Backward *bw;

  g_return_if_fail (AFN_IS_VARIABLE (self));
  g_return_if_fail (gradient == NULL || AFN_IS_VARIABLE (gradient));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, afn_variable_backward_async);
  if (!check_root (self, gradient, &error) || !check_inputs (inputs, &error) ||
      g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  bw = backward_new (task, retain_graph);
  discover (bw, afn_variable_get_grad_fn (self));
  if (inputs != NULL)
    {
      bw->restricted = TRUE;
      restrict_to_inputs (bw, inputs);
    }
  if (!check_not_released (bw, &error))
    {
      fail (bw, error);
      backward_unref (bw);
      return;
    }
  if (gradient != NULL)
    add_arrival_take (bw, 0, afn_grad_from_variable (g_object_ref (gradient)),
                      afn_variable_get_output_nr (self), 0);
  if (task_at (bw, 0)->needed)
    g_array_append_val (bw->ready, (guint) { 0 });
  pump (bw);
  backward_unref (bw);
}

gboolean
afn_variable_backward_finish (AfnVariable *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sync_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* backward(): the same as backward_async(), iterating the thread-default
 * main context until it is done. Not a private context: a model client
 * belongs to the context it was created in, and an LM node's requests
 * only progress when that context runs. */
gboolean
afn_variable_backward (AfnVariable *self, AfnVariable *gradient, gboolean retain_graph,
                       GPtrArray *inputs, GCancellable *cancellable, GError **error)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (AFN_IS_VARIABLE (self), FALSE);

  context = g_main_context_ref_thread_default ();
  afn_variable_backward_async (self, gradient, retain_graph, inputs, cancellable,
                               sync_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  return afn_variable_backward_finish (self, result, error);
}
