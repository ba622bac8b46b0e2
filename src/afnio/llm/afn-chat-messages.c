/* afn-chat-messages.c: the messages and inputs of language-model ops.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "afn-llm-private.h"

struct _AfnChatMessage {
  gatomicrefcount ref_count;
  char           *role;
  GPtrArray      *content;
};

G_DEFINE_BOXED_TYPE (AfnChatMessage, afn_chat_message, afn_chat_message_ref, afn_chat_message_unref)

AfnChatMessage *
afn_chat_message_new_array (const char *role, GPtrArray *content)
{
  AfnChatMessage *self = g_new0 (AfnChatMessage, 1);

  g_return_val_if_fail (role != NULL, NULL);
  g_atomic_ref_count_init (&self->ref_count);
  self->role = g_strdup (role);
  self->content = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; content != NULL && i < content->len; i++)
    g_ptr_array_add (self->content, g_object_ref (g_ptr_array_index (content, i)));
  return self;
}

AfnChatMessage *
afn_chat_message_new (const char *role, AfnVariable *first, ...)
{
  g_autoptr(GPtrArray) content = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (AfnVariable *v = first; v != NULL; v = va_arg (ap, AfnVariable *))
    g_ptr_array_add (content, v);
  va_end (ap);
  return afn_chat_message_new_array (role, content);
}

AfnChatMessage *
afn_chat_message_ref (AfnChatMessage *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
afn_chat_message_unref (AfnChatMessage *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->role);
  g_ptr_array_unref (self->content);
  g_free (self);
}

const char *
afn_chat_message_get_role (const AfnChatMessage *self)
{
  return self->role;
}

GPtrArray *
afn_chat_message_get_content (const AfnChatMessage *self)
{
  return self->content;
}

GPtrArray *
afn_chat_messages_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) afn_chat_message_unref);
}

typedef struct {
  char      *name;
  GPtrArray *values;   /* AfnVariable */
  gboolean   is_list;  /* a list of Variables, one per batch element */
} InputEntry;

struct _AfnChatInputs {
  gatomicrefcount ref_count;
  GPtrArray      *entries;
};

G_DEFINE_BOXED_TYPE (AfnChatInputs, afn_chat_inputs, afn_chat_inputs_ref, afn_chat_inputs_unref)

static void
input_entry_free (gpointer data)
{
  InputEntry *entry = data;

  g_free (entry->name);
  g_ptr_array_unref (entry->values);
  g_free (entry);
}

AfnChatInputs *
afn_chat_inputs_new (void)
{
  AfnChatInputs *self = g_new0 (AfnChatInputs, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->entries = g_ptr_array_new_with_free_func (input_entry_free);
  return self;
}

AfnChatInputs *
afn_chat_inputs_ref (AfnChatInputs *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
afn_chat_inputs_unref (AfnChatInputs *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_ptr_array_unref (self->entries);
  g_free (self);
}

static void
set_entry (AfnChatInputs *self, const char *name, GPtrArray *values, gboolean is_list)
{
  InputEntry *entry = g_new0 (InputEntry, 1);

  entry->name = g_strdup (name);
  entry->values = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < values->len; i++)
    g_ptr_array_add (entry->values, g_object_ref (g_ptr_array_index (values, i)));
  entry->is_list = is_list;

  for (guint i = 0; i < self->entries->len; i++)
    {
      InputEntry *old = g_ptr_array_index (self->entries, i);

      if (g_str_equal (old->name, name))
        {
          input_entry_free (old);
          g_ptr_array_index (self->entries, i) = entry;
          return;
        }
    }
  g_ptr_array_add (self->entries, entry);
}

void
afn_chat_inputs_add (AfnChatInputs *self, const char *name, AfnVariable *value)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new ();

  g_return_if_fail (AFN_IS_VARIABLE (value));
  g_ptr_array_add (values, value);
  set_entry (self, name, values, FALSE);
}

void
afn_chat_inputs_add_str (AfnChatInputs *self, const char *name, const char *value)
{
  g_autoptr(AfnVariable) v = afn_variable_new_str (value, name, FALSE);

  afn_chat_inputs_add (self, name, v);
}

void
afn_chat_inputs_add_strv (AfnChatInputs *self, const char *name, const char * const *values)
{
  g_autoptr(GPtrArray) vars = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; values[i] != NULL; i++)
    g_ptr_array_add (vars, afn_variable_new_str (values[i], name, FALSE));
  set_entry (self, name, vars, TRUE);
}

void
afn_chat_inputs_add_variables (AfnChatInputs *self, const char *name, GPtrArray *values)
{
  set_entry (self, name, values, TRUE);
}

guint
afn_chat_inputs_get_n_items (AfnChatInputs *self)
{
  return self->entries->len;
}

const char *
afn_chat_inputs_get_name (AfnChatInputs *self, guint i)
{
  return ((InputEntry *) g_ptr_array_index (self->entries, i))->name;
}

GPtrArray *
afn_chat_inputs_get_values (AfnChatInputs *self, guint i)
{
  return ((InputEntry *) g_ptr_array_index (self->entries, i))->values;
}

gboolean
afn_chat_inputs_is_variable_list (AfnChatInputs *self, guint i)
{
  return ((InputEntry *) g_ptr_array_index (self->entries, i))->is_list;
}

GPtrArray *
afn_chat_template_variables (GPtrArray *messages, AfnChatInputs *inputs)
{
  GPtrArray *vars = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint m = 0; messages != NULL && m < messages->len; m++)
    {
      GPtrArray *content = afn_chat_message_get_content (g_ptr_array_index (messages, m));

      for (guint k = 0; k < content->len; k++)
        g_ptr_array_add (vars, g_object_ref (g_ptr_array_index (content, k)));
    }
  for (guint e = 0; inputs != NULL && e < afn_chat_inputs_get_n_items (inputs); e++)
    {
      GPtrArray *values = afn_chat_inputs_get_values (inputs, e);

      for (guint k = 0; k < values->len; k++)
        g_ptr_array_add (vars, g_object_ref (g_ptr_array_index (values, k)));
    }
  return vars;
}

static gboolean
merge_size (guint *size, char **owner, guint length, const char *what, GError **error)
{
  if (length == 0)
    return TRUE;
  if (*size != 0 && *size != length)
    {
      g_set_error (error, AFN_ERROR, AFN_ERROR_SHAPE_MISMATCH,
                   _("Batched inputs differ in length: %s has %u elements, %s has %u"),
                   *owner, *size, what, length);
      return FALSE;
    }
  *size = length;
  g_free (*owner);
  *owner = g_strdup (what);
  return TRUE;
}

gboolean
afn_chat_template_batch_size (GPtrArray *messages, AfnChatInputs *inputs,
                              guint *size, GError **error)
{
  g_autofree char *owner = NULL;

  *size = 0;
  for (guint m = 0; messages != NULL && m < messages->len; m++)
    {
      GPtrArray *content = afn_chat_message_get_content (g_ptr_array_index (messages, m));

      for (guint k = 0; k < content->len; k++)
        {
          g_autofree char *what = g_strdup_printf (_("message %u"), m + 1);

          if (!merge_size (size, &owner, afn_llm_list_length (g_ptr_array_index (content, k)),
                           what, error))
            return FALSE;
        }
    }
  for (guint e = 0; inputs != NULL && e < afn_chat_inputs_get_n_items (inputs); e++)
    {
      GPtrArray *values = afn_chat_inputs_get_values (inputs, e);
      g_autofree char *what = g_strdup_printf (_("input “%s”"), afn_chat_inputs_get_name (inputs, e));
      guint length = afn_chat_inputs_is_variable_list (inputs, e)
        ? values->len : afn_llm_list_length (g_ptr_array_index (values, 0));

      if (!merge_size (size, &owner, length, what, error))
        return FALSE;
    }
  return TRUE;
}

static GHashTable *
input_texts (AfnChatInputs *inputs, guint i)
{
  GHashTable *texts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  for (guint e = 0; inputs != NULL && e < afn_chat_inputs_get_n_items (inputs); e++)
    {
      GPtrArray *values = afn_chat_inputs_get_values (inputs, e);
      char *text;

      if (afn_chat_inputs_is_variable_list (inputs, e))
        text = i < values->len ? afn_llm_element_text (g_ptr_array_index (values, i), 0) : g_strdup ("");
      else
        text = afn_llm_element_text (g_ptr_array_index (values, 0), i);
      g_hash_table_insert (texts, (gpointer) afn_chat_inputs_get_name (inputs, e), text);
    }
  return texts;
}

JsonArray *
afn_chat_template_render (GPtrArray *messages, AfnChatInputs *inputs, guint i, GError **error)
{
  g_autoptr(JsonArray) out = json_array_new ();
  g_autoptr(GHashTable) texts = input_texts (inputs, i);

  for (guint m = 0; m < messages->len; m++)
    {
      AfnChatMessage *message = g_ptr_array_index (messages, m);
      g_autoptr(GString) joined = g_string_new (NULL);
      g_autofree char *where = g_strdup_printf (_("message %u"), m + 1);
      g_autofree char *filled = NULL;

      for (guint k = 0; k < message->content->len; k++)
        {
          g_autofree char *text = afn_llm_element_text (g_ptr_array_index (message->content, k), i);

          if (k > 0)
            g_string_append_c (joined, '\n');
          g_string_append (joined, text);
        }
      filled = afn_llm_fill_placeholders (joined->str, texts, FALSE, where, error);
      if (filled == NULL)
        return NULL;
      json_array_add_object_element (out, afn_llm_message_new (message->role, filled));
    }
  return g_steal_pointer (&out);
}
