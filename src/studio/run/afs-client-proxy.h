/* afs-client-proxy.h: a model client that forwards to another one, which
 * the runner swaps between operations (live, replay or record), and counts
 * what the replies cost. Private to the runner.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include "afnio.h"

G_BEGIN_DECLS

#define AFS_TYPE_CLIENT_PROXY (afs_client_proxy_get_type ())
G_DECLARE_FINAL_TYPE (AfsClientProxy, afs_client_proxy, AFS, CLIENT_PROXY, GObject)

AfsClientProxy *afs_client_proxy_new (void);
/* @target: (nullable): a reference is taken. Requests made without a
 * target fail with AFN_MODEL_ERROR. */
void            afs_client_proxy_set_target (AfsClientProxy *self, AfnModelClient *target);
AfnModelClient *afs_client_proxy_get_target (AfsClientProxy *self);  /* transfer none */
/* Usage counted since the last reset. */
void            afs_client_proxy_reset_usage (AfsClientProxy *self);

G_END_DECLS
