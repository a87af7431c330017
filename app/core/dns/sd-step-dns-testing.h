/* sd-step-dns-testing.h: seams of the dns step for tests only. Nothing
 * shipped includes this header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every later dns step of this process draws among SRV records of equal
 * priority (RFC 2782 weights) from a generator seeded with @seed, so a
 * test can repeat a draw; call it before the run starts. */
void sd_step_dns_set_srv_seed_for_testing (guint32 seed);

G_END_DECLS
