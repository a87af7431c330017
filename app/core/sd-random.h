/* sd-random.h: unpredictable bytes for protocol identifiers.
 *
 * DNS IDs, SIP Call-IDs, tags, branches and Digest cnonces are seen by
 * every server (and anyone on the path); a guess of the next one lets a
 * spoofer answer a DNS query or a SIP transaction in its place. GLib's
 * g_random is a Mersenne Twister whose state follows from its outputs, so
 * these come from the system's cryptographic generator (through GnuTLS)
 * instead. Not for the RFC 2782 weighted SRV choice, which is no secret.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Fills @buffer with @length unpredictable bytes. Aborts when the system
 * has no working generator: nothing safe can be sent then. */
void     sd_random_bytes (void *buffer, gsize length);

/* @bytes unpredictable bytes as 2 × @bytes lower-case hex digits. */
char    *sd_random_hex (guint bytes);

/* A uniformly distributed number in [0, @bound); 0 when @bound is 0. */
guint32  sd_random_u32 (guint32 bound);

G_END_DECLS
