/* sd-connect.h: the connect step's words for a connection's result.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"

G_BEGIN_DECLS

/* A one-line description of why a TCP connection failed, for messages. */
const char        *sd_connect_result_to_string (const char *result);

G_END_DECLS
