/* sd-connect.h: what the connect step hands to the tls step, beyond SdContext.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"

G_BEGIN_DECLS

/* The open TCP connection the connect step made to ctx->selected when it is
 * a TLS candidate, so the handshake runs on the very connection that was
 * measured. Returns NULL when there is none (then the tls step connects
 * again). Transfers ownership. */
GSocketConnection *sd_connect_take_stream (SdRun *run, const SdCandidate *candidate);

/* A one-line description of why a TCP connection failed, for messages. */
const char        *sd_connect_result_to_string (const char *result);

G_END_DECLS
