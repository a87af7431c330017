/* sd-dns-plan.h: the SRV names a client asks for, in its order, from its
 * profile and (RFC 3263) the domain's NAPTR records.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-dns-profiles.h"
#include "sd-dns-wire.h"

G_BEGIN_DECLS

/* Appends to @names (char*, owned) and @transports (SdTransport) the SRV
 * names of @profile for @domain in the client's order. For a profile that
 * uses NAPTR, the usable records of @naptr_answers (SdDnsRecord*, or NULL
 * before the answer is in) come first, by order then preference: then a
 * client uses only those (@to_ask FALSE), though the step still asks the
 * fixed list (@to_ask TRUE) to show what else is published. Duplicates are
 * the caller's to drop. */
void sd_dns_plan_srv_names (const SdDnsProfile *profile,
                            const char         *domain,
                            GPtrArray          *naptr_answers,
                            gboolean            to_ask,
                            GPtrArray          *names,
                            GArray             *transports);

G_END_DECLS
