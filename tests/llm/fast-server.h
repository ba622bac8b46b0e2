/* fast-server.h: a minimal chat completion server for throughput benchmarks.
 *
 * Answers every POST on 127.0.0.1 with the same completion ("ok", 12 + 1
 * tokens), at once, over keep-alive connections. No rules, faults, latency or
 * request recording: for those, see fake-server.h.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _FastServer FastServer;

FastServer *fast_server_new (void);
void        fast_server_free (FastServer *self);
/* "http://127.0.0.1:PORT/v1", transfer none. */
const char *fast_server_get_base_url (FastServer *self);
guint       fast_server_get_request_count (FastServer *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FastServer, fast_server_free)

G_END_DECLS
