/* sd-dns-srv.h: RFC 2782 ordering of SRV records.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "sd-dns-wire.h"

G_BEGIN_DECLS

/* Returns the SRV records of @records (others are ignored) in the order a
 * client tries them: lowest priority first; within one priority, by the
 * weighted random selection of RFC 2782 (weight-0 records first in the
 * running sum, so they are picked rarely but can be). @rand gives the random
 * numbers (seed it in tests); NULL uses the global GLib generator.
 * The array holds borrowed pointers into @records. */
GPtrArray *sd_dns_srv_order (GPtrArray *records, GRand *rand);
/* The first @max records of that same order (the draw is the same). */
GPtrArray *sd_dns_srv_order_max (GPtrArray *records, GRand *rand, guint max);

/* TRUE for the "service decidedly not available" record: a single SRV
 * record whose target is "." (RFC 2782). */
gboolean   sd_dns_srv_is_unavailable (const SdDnsRecord *record);

G_END_DECLS
