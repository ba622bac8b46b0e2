/* afs-client-proxy.c: forwards chat requests to a swappable client.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <glib/gi18n.h>

#include "afs-client-proxy.h"

struct _AfsClientProxy
{
  GObject         parent_instance;

  AfnModelClient *target;
  AfnUsage        usage;
};

static void afs_client_proxy_iface_init (AfnModelClientInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AfsClientProxy, afs_client_proxy, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AFN_TYPE_MODEL_CLIENT, afs_client_proxy_iface_init))

static void
afs_client_proxy_dispose (GObject *object)
{
  AfsClientProxy *self = AFS_CLIENT_PROXY (object);

  g_clear_object (&self->target);
  G_OBJECT_CLASS (afs_client_proxy_parent_class)->dispose (object);
}

static void
afs_client_proxy_class_init (AfsClientProxyClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = afs_client_proxy_dispose;
}

static void
afs_client_proxy_init (AfsClientProxy *self)
{
}

static void
inner_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AfsClientProxy *self = g_task_get_source_object (task);
  GError *error = NULL;
  AfnChatReply *reply = afn_model_client_chat_finish (AFN_MODEL_CLIENT (source), result, &error);

  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  afn_usage_add (&self->usage, afn_chat_reply_get_usage (reply));
  g_task_return_pointer (task, reply, (GDestroyNotify) afn_chat_reply_unref);
}

static void
proxy_chat_async (AfnModelClient *client, JsonArray *messages, JsonObject *args,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  AfsClientProxy *self = AFS_CLIENT_PROXY (client);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, proxy_chat_async);
  if (self->target == NULL)
    {
      g_task_return_new_error (task, AFN_MODEL_ERROR, AFN_MODEL_ERROR_FAILED,
                               _("No language model is set up for this run."));
      g_object_unref (task);
      return;
    }
  /* The target stays alive until it answers, even if swapped meanwhile. */
  g_task_set_task_data (task, g_object_ref (self->target), g_object_unref);
  afn_model_client_chat_async (self->target, messages, args, cancellable, inner_reply_cb, task);
}

static AfnChatReply *
proxy_chat_finish (AfnModelClient *client, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
proxy_get_usage (AfnModelClient *client, AfnUsage *usage)
{
  *usage = AFS_CLIENT_PROXY (client)->usage;
}

static void
afs_client_proxy_iface_init (AfnModelClientInterface *iface)
{
  iface->chat_async = proxy_chat_async;
  iface->chat_finish = proxy_chat_finish;
  iface->get_usage = proxy_get_usage;
}

AfsClientProxy *
afs_client_proxy_new (void)
{
  return g_object_new (AFS_TYPE_CLIENT_PROXY, NULL);
}

void
afs_client_proxy_set_target (AfsClientProxy *self, AfnModelClient *target)
{
  g_return_if_fail (AFS_IS_CLIENT_PROXY (self));
  g_set_object (&self->target, target);
}

AfnModelClient *
afs_client_proxy_get_target (AfsClientProxy *self)
{
  return self->target;
}

void
afs_client_proxy_reset_usage (AfsClientProxy *self)
{
  self->usage = (AfnUsage) { 0 };
}
