/* afn-types.h: forward declarations shared by the engine's headers.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _AfnValue AfnValue;
typedef struct _AfnVariable AfnVariable;
typedef struct _AfnParameter AfnParameter;
typedef struct _AfnNode AfnNode;

G_END_DECLS
