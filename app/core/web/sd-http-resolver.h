/* sd-http-resolver.h: the addresses the run's own resolver found, where
 * libsoup looks names up.
 *
 * libsoup 3 has no resolver of its own to set: it asks GIO's default
 * GResolver. With a --dns-server the run must never ask the system's, so
 * the HTTP client looks each host up through the run's SdDnsResolver
 * first (within the fetch's deadline) and leaves the answer here; this
 * GResolver, installed once as GIO's default, answers from those answers
 * and hands every other question to the resolver it replaced.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Makes this GIO's default resolver (once; later calls do nothing). */
void sd_http_resolver_install (void);

/* From now on @host (any case) resolves to @addresses (GInetAddress*),
 * replacing what was there. Needs sd_http_resolver_install (). */
void sd_http_resolver_add (const char *host, GPtrArray *addresses);

G_END_DECLS
