/* sd-sip-resolve.h: the address of a host a SIP redirect names.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"

G_BEGIN_DECLS

/* Resolves a host for a redirect: an IP literal, a known candidate, else
 * the dns step's own client (ctx->dns_resolver: A and AAAA, IPv4 first). */
void          sd_sip_resolve_async  (SdRun               *run,
                                     const char          *host,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
GInetAddress *sd_sip_resolve_finish (GAsyncResult  *result,
                                     GError       **error);

G_END_DECLS
