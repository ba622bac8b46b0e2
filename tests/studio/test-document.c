/* test-document.c: the studio's document model, without GTK.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include "afs-document.h"

static JsonNode *
json_string (const char *s)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (n, s);
  return n;
}

static JsonNode *
json_parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return json_node_ref (json_parser_get_root (parser));
}

static guint
add (AfsDocument *doc, const char *kind, double x, double y)
{
  g_autoptr(GError) error = NULL;
  AfsGraphNode *node = afs_document_add_node (doc, kind, x, y, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return afs_graph_node_get_id (node);
}

/* variable -> add.x, parameter -> add.y, add -> split.x */
static AfsDocument *
build_pipeline (guint *ids)
{
  AfsDocument *doc = afs_document_new ();
  g_autoptr(GError) error = NULL;

  ids[0] = add (doc, "variable", 0, 0);
  ids[1] = add (doc, "parameter", 0, 100);
  ids[2] = add (doc, "add", 300, 50);
  ids[3] = add (doc, "split", 600, 50);
  g_assert_nonnull (afs_document_link (doc, ids[0], "output", ids[2], "x", FALSE, &error));
  g_assert_nonnull (afs_document_link (doc, ids[1], "output", ids[2], "y", FALSE, &error));
  g_assert_nonnull (afs_document_link (doc, ids[2], "output", ids[3], "x", FALSE, &error));
  g_assert_no_error (error);
  return doc;
}

static char *
snapshot (AfsDocument *doc)
{
  return afs_document_to_json (doc, FALSE);
}

/* Applies @edit, checks undo restores the JSON exactly and redo the edit. */
static void
check_undo_redo (AfsDocument *doc, void (*edit) (AfsDocument *, gpointer), gpointer data)
{
  g_autofree char *before = snapshot (doc);
  g_autofree char *after = NULL;
  g_autofree char *undone = NULL;
  g_autofree char *redone = NULL;
  guint steps = afs_undo_stack_get_n_undo (afs_document_get_undo_stack (doc));

  edit (doc, data);
  after = snapshot (doc);
  g_assert_cmpstr (before, !=, after);
  g_assert_cmpuint (afs_undo_stack_get_n_undo (afs_document_get_undo_stack (doc)), ==, steps + 1);
  g_assert_true (afs_document_undo (doc));
  undone = snapshot (doc);
  g_assert_cmpstr (undone, ==, before);
  g_assert_true (afs_document_redo (doc));
  redone = snapshot (doc);
  g_assert_cmpstr (redone, ==, after);
}

static void edit_add (AfsDocument *d, gpointer p) { add (d, "sum", 5, 5); }
static void edit_remove (AfsDocument *d, gpointer p) { guint *ids = p; afs_document_remove_nodes (d, &ids[2], 1); }
static void edit_move (AfsDocument *d, gpointer p) { afs_document_translate_nodes (d, p, 3, 10, 20); }
static void
edit_link (AfsDocument *d, gpointer p)
{
  guint *ids = p;
  /* Replacing the wire into add.x is one step (unlink + link). */
  g_assert_nonnull (afs_document_link (d, ids[1], "output", ids[2], "x", TRUE, NULL));
}
static void
edit_unlink (AfsDocument *d, gpointer p)
{
  AfsLink *link = g_ptr_array_index (afs_document_get_links (d), 0);
  guint id = afs_link_get_id (link);
  afs_document_unlink (d, &id, 1);
}
static void
edit_setting (AfsDocument *d, gpointer p)
{
  guint *ids = p;
  g_autoptr(JsonNode) v = json_string ("a new prompt");
  g_assert_true (afs_document_set_setting (d, ids[1], "data", v, NULL));
}
static void
edit_paste (AfsDocument *d, gpointer p)
{
  g_autofree char *text = afs_document_copy_nodes (d, p, 3);
  g_autoptr(GArray) pasted = afs_document_paste_nodes (d, text, 40, 40, NULL);
  g_assert_cmpuint (pasted->len, ==, 3);
}
static void
edit_group (AfsDocument *d, gpointer p)
{
  guint *ids = p;
  guint sum;

  afs_document_begin_group (d, "Add and Connect");
  sum = add (d, "sum", 0, 0);
  g_assert_nonnull (afs_document_link (d, ids[3], "part0", sum, "xs", FALSE, NULL));
  afs_document_end_group (d);
  g_assert_cmpstr (afs_undo_stack_get_undo_label (afs_document_get_undo_stack (d)), ==, "Add and Connect");
}
static void edit_layout (AfsDocument *d, gpointer p) { afs_document_auto_layout (d, NULL, NULL); }

static void
test_undo_each_edit (void)
{
  guint ids[4];
  void (*edits[]) (AfsDocument *, gpointer) = {
    edit_add, edit_remove, edit_move, edit_link, edit_unlink, edit_setting, edit_paste, edit_layout, edit_group,
  };

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr(AfsDocument) doc = build_pipeline (ids);
      check_undo_redo (doc, edits[i], ids);
    }
}

static void
test_remove_with_links (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);

  afs_document_remove_nodes (doc, &ids[2], 1);
  g_assert_cmpuint (afs_document_get_nodes (doc)->len, ==, 3);
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, 0);
  g_assert_true (afs_document_undo (doc));
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, 3);
}

static void
test_multi_move_one_step (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  AfsUndoStack *undo = afs_document_get_undo_stack (doc);
  guint n = afs_undo_stack_get_n_undo (undo);

  afs_document_translate_nodes (doc, ids, 4, 5, 5);
  g_assert_cmpuint (afs_undo_stack_get_n_undo (undo), ==, n + 1);
  g_assert_cmpfloat (afs_graph_node_get_x (afs_document_get_node (doc, ids[3])), ==, 605);
  afs_document_undo (doc);
  g_assert_cmpfloat (afs_graph_node_get_x (afs_document_get_node (doc, ids[3])), ==, 600);
  g_assert_cmpstr (afs_undo_stack_get_redo_label (undo), ==, "Move Nodes");
}

static void
test_link_validation (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  g_autoptr(GError) error = NULL;
  guint eval = add (doc, "exact_match_evaluator", 900, 0);
  guint sum = add (doc, "sum", 900, 200);
  guint add2 = add (doc, "add", 900, 400);

  /* Cycle: split feeds back into add. */
  g_assert_false (afs_document_can_link (doc, ids[3], "part0", ids[2], "y", TRUE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_CYCLE);
  g_assert_nonnull (strstr (error->message, "loop"));
  g_clear_error (&error);
  g_assert_false (afs_document_can_link (doc, ids[2], "output", ids[2], "x", TRUE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_CYCLE);
  g_clear_error (&error);

  /* Types: a score is not text for split. */
  g_assert_false (afs_document_can_link (doc, eval, "score", ids[3], "x", TRUE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_TYPE_MISMATCH);
  g_clear_error (&error);
  g_assert_true (afs_document_can_link (doc, eval, "explanation", ids[3], "x", TRUE, NULL));

  /* One link per input, unless replacing; many for sum. */
  g_assert_null (afs_document_link (doc, ids[1], "output", ids[2], "x", FALSE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_INPUT_TAKEN);
  g_clear_error (&error);
  g_assert_nonnull (afs_document_link (doc, ids[1], "output", add2, "x", FALSE, NULL));
  g_assert_nonnull (afs_document_link (doc, ids[0], "output", add2, "x", TRUE, NULL));
  {
    g_autoptr(GPtrArray) in = afs_document_dup_input_links (doc, add2, "x");
    g_assert_cmpuint (in->len, ==, 1);
    g_assert_cmpuint (afs_link_get_source (in->pdata[0]), ==, ids[0]);
  }
  g_assert_nonnull (afs_document_link (doc, ids[0], "output", sum, "xs", FALSE, NULL));
  g_assert_nonnull (afs_document_link (doc, ids[1], "output", sum, "xs", FALSE, NULL));
  g_assert_null (afs_document_link (doc, ids[1], "output", sum, "xs", FALSE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_DUPLICATE_LINK);
  g_clear_error (&error);

  /* Unknown ports and nodes. */
  g_assert_false (afs_document_can_link (doc, ids[0], "nope", ids[2], "x", TRUE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_NO_SUCH_PORT);
  g_clear_error (&error);
  g_assert_false (afs_document_can_link (doc, 999, "output", ids[2], "x", TRUE, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_NO_SUCH_NODE);
}

static void
test_settings_validation (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) mixed = json_parse ("[\"a\", 2]");
  g_autoptr(JsonNode) text = json_string ("hot");
  g_autoptr(JsonNode) one = json_parse ("1");
  g_autofree char *before = snapshot (doc);
  g_autofree char *after = NULL;
  guint chat = add (doc, "chat_completion", 0, 300);

  g_assert_false (afs_document_set_setting (doc, ids[0], "data", mixed, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_INVALID_SETTING);
  g_assert_nonnull (strstr (error->message, "item 2"));
  g_clear_error (&error);
  g_assert_false (afs_document_set_setting (doc, chat, "temperature", text, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_INVALID_SETTING);
  g_clear_error (&error);
  g_assert_false (afs_document_set_setting (doc, ids[2], "temperature", one, &error));
  g_clear_error (&error);
  afs_document_undo (doc);   /* drop the chat node */
  after = snapshot (doc);
  g_assert_cmpstr (before, ==, after);
}

/* Fewer split parts drop the wires from the removed outputs in one step;
 * placeholders in chat messages become inputs. */
static void
test_dynamic_ports (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  g_autoptr(JsonNode) three = json_parse ("3");
  g_autoptr(JsonNode) one = json_parse ("1");
  g_autoptr(JsonNode) messages =
    json_parse ("[{\"role\":\"system\",\"content\":\"Classify {review} in {lang}\"},"
                "{\"role\":\"user\",\"content\":\"{review}\"}]");
  guint sum = add (doc, "sum", 900, 0);
  guint chat = add (doc, "chat_completion", 900, 300);
  AfsGraphNode *chat_node = afs_document_get_node (doc, chat);

  g_assert_true (afs_document_set_setting (doc, ids[3], "parts", three, NULL));
  g_assert_cmpuint (afs_graph_node_get_outputs (afs_document_get_node (doc, ids[3]))->len, ==, 3);
  g_assert_nonnull (afs_document_link (doc, ids[3], "part2", sum, "xs", FALSE, NULL));
  g_assert_true (afs_document_set_setting (doc, ids[3], "parts", one, NULL));
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, 3);
  afs_document_undo (doc);
  g_assert_cmpuint (afs_document_get_links (doc)->len, ==, 4);

  g_assert_true (afs_document_set_setting (doc, chat, "messages", messages, NULL));
  g_assert_cmpuint (afs_graph_node_get_inputs (chat_node)->len, ==, 3);
  g_assert_nonnull (afs_graph_node_find_port (chat_node, AFS_PORT_INPUT, "review"));
  g_assert_nonnull (afs_graph_node_find_port (chat_node, AFS_PORT_INPUT, "lang"));
}

static void
test_json_round_trip (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  g_autoptr(AfsDocument) copy = afs_document_new ();
  g_autoptr(JsonNode) data = json_parse ("[\"a\", \"b\\u00e9\", \"{x}\"]");
  g_autoptr(JsonNode) extra = json_parse ("{\"recordings\": [1, 2]}");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;

  g_assert_true (afs_document_set_setting (doc, ids[0], "data", data, NULL));
  afs_document_translate_nodes (doc, ids, 1, 0.25, -1e-3);
  add (doc, "lm_judge_evaluator", 1, 2);
  afs_document_set_extra (doc, "runs", extra);
  text = afs_document_to_json (doc, TRUE);
  g_assert_true (afs_document_load_json (copy, text, -1, &error));
  g_assert_no_error (error);
  g_assert_true (afs_document_equal (doc, copy));
  g_assert_false (afs_document_get_modified (copy));
  g_assert_false (afs_undo_stack_can_undo (afs_document_get_undo_stack (copy)));
  g_assert_true (json_node_equal (afs_document_get_extra (copy, "runs"), extra));
  text2 = afs_document_to_json (copy, TRUE);
  g_assert_cmpstr (text, ==, text2);

  /* New nodes never reuse loaded ids. */
  g_assert_cmpuint (add (copy, "add", 0, 0), >, ids[3]);
}

static void
test_json_errors (void)
{
  static const struct { const char *json; const char *needle; } cases[] = {
    { "not json", "not valid JSON" },
    { "[]", "JSON object" },
    { "{\"format\":\"other\",\"version\":1,\"nodes\":[]}", "not an Afnio Studio graph" },
    { "{\"format\":\"afnio-studio-graph\",\"version\":99,\"nodes\":[]}", "newer version" },
    { "{\"format\":\"afnio-studio-graph\",\"version\":1,\"nodes\":[{\"id\":1,\"kind\":\"foo\",\"x\":0,\"y\":0}]}",
      "node 1 (id 1): unknown kind “foo”" },
    { "{\"format\":\"afnio-studio-graph\",\"version\":1,\"nodes\":[{\"id\":1,\"kind\":\"variable\",\"x\":0,\"y\":0,"
      "\"settings\":{\"data\":[1,\"a\"]}}]}", "node 1 (id 1): data:" },
    { "{\"format\":\"afnio-studio-graph\",\"version\":1,\"nodes\":[{\"id\":1,\"kind\":\"add\",\"x\":0,\"y\":0},"
      "{\"id\":2,\"kind\":\"add\",\"x\":0,\"y\":0}],\"links\":[{\"id\":1,\"from\":1,\"from_port\":\"output\",\"to\":2,"
      "\"to_port\":\"x\"},{\"id\":2,\"from\":2,\"from_port\":\"output\",\"to\":1,\"to_port\":\"x\"}]}",
      "link 2: Linking" },
    { "{\"format\":\"afnio-studio-graph\",\"version\":1,\"nodes\":[{\"id\":1,\"kind\":\"add\",\"x\":0,\"y\":0},"
      "{\"id\":1,\"kind\":\"add\",\"x\":0,\"y\":0}]}", "used twice" },
  };
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  g_autofree char *before = snapshot (doc);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *after = NULL;

      g_assert_false (afs_document_load_json (doc, cases[i].json, -1, &error));
      g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_PARSE);
      if (!strstr (error->message, cases[i].needle))
        g_error ("case %u: “%s” lacks “%s”", i, error->message, cases[i].needle);
      after = snapshot (doc);
      g_assert_cmpstr (before, ==, after);
    }
}

static void
test_copy_paste (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  g_autoptr(AfsDocument) other = afs_document_new ();
  g_autoptr(GError) error = NULL;
  guint sel[] = { ids[0], ids[2] };
  g_autofree char *text = afs_document_copy_nodes (doc, sel, 2);
  g_autoptr(GArray) pasted = afs_document_paste_nodes (other, text, 10, 20, &error);
  AfsGraphNode *p0;

  g_assert_no_error (error);
  g_assert_cmpuint (pasted->len, ==, 2);
  g_assert_cmpuint (afs_document_get_links (other)->len, ==, 1);   /* only the inner wire */
  p0 = afs_document_get_node (other, g_array_index (pasted, guint, 0));
  g_assert_cmpfloat (afs_graph_node_get_x (p0), ==, 10);
  g_assert_cmpfloat (afs_graph_node_get_y (p0), ==, 20);
  g_assert_cmpuint (afs_undo_stack_get_n_undo (afs_document_get_undo_stack (other)), ==, 1);
  g_assert_true (afs_document_undo (other));
  g_assert_cmpuint (afs_document_get_nodes (other)->len, ==, 0);

  g_assert_null (afs_document_paste_nodes (other, "{\"format\":\"afnio-studio-graph\"}", 0, 0, &error));
  g_assert_error (error, AFS_DOCUMENT_ERROR, AFS_DOCUMENT_ERROR_PARSE);
}

static void
count_cb (gpointer instance, gpointer arg, gpointer user_data)
{
  (*(guint *) user_data)++;
}

static void
test_signals_and_modified (void)
{
  g_autoptr(AfsDocument) doc = afs_document_new ();
  guint added = 0, removed = 0;
  guint id;

  g_signal_connect (doc, "node-added", G_CALLBACK (count_cb), &added);
  g_signal_connect (doc, "node-removed", G_CALLBACK (count_cb), &removed);
  g_assert_false (afs_document_get_modified (doc));
  id = add (doc, "variable", 0, 0);
  g_assert_true (afs_document_get_modified (doc));
  afs_document_mark_saved (doc);
  g_assert_false (afs_document_get_modified (doc));
  afs_document_remove_nodes (doc, &id, 1);
  g_assert_true (afs_document_get_modified (doc));
  afs_document_undo (doc);
  g_assert_false (afs_document_get_modified (doc));
  g_assert_cmpuint (added, ==, 2);
  g_assert_cmpuint (removed, ==, 1);
}

static void
test_layout_layers (void)
{
  guint ids[4];
  g_autoptr(AfsDocument) doc = build_pipeline (ids);
  double x[4];

  afs_document_auto_layout (doc, NULL, NULL);
  for (guint i = 0; i < 4; i++)
    x[i] = afs_graph_node_get_x (afs_document_get_node (doc, ids[i]));
  g_assert_cmpfloat (x[0], ==, x[1]);
  g_assert_cmpfloat (x[2], >, x[0]);
  g_assert_cmpfloat (x[3], >, x[2]);
  /* The two sources do not overlap. */
  g_assert_cmpfloat (fabs (afs_graph_node_get_y (afs_document_get_node (doc, ids[0])) -
                           afs_graph_node_get_y (afs_document_get_node (doc, ids[1]))), >=, 80);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/studio/document/undo-each-edit", test_undo_each_edit);
  g_test_add_func ("/studio/document/remove-with-links", test_remove_with_links);
  g_test_add_func ("/studio/document/multi-move-one-step", test_multi_move_one_step);
  g_test_add_func ("/studio/document/link-validation", test_link_validation);
  g_test_add_func ("/studio/document/settings-validation", test_settings_validation);
  g_test_add_func ("/studio/document/dynamic-ports", test_dynamic_ports);
  g_test_add_func ("/studio/document/json-round-trip", test_json_round_trip);
  g_test_add_func ("/studio/document/json-errors", test_json_errors);
  g_test_add_func ("/studio/document/copy-paste", test_copy_paste);
  g_test_add_func ("/studio/document/signals-modified", test_signals_and_modified);
  g_test_add_func ("/studio/document/layout-layers", test_layout_layers);
  return g_test_run ();
}
