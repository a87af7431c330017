/* sd-dns-naming.h: the strict DNS naming rule of Microsoft clients
 * (Windows Messenger 5 High Security Mode, OCS/Lync automatic configuration).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @host is acceptable under strict naming for SIP domain
 * @domain: exactly <domain> or sip.<domain> (ASCII case and a final dot
 * ignored). */
gboolean sd_dns_strict_name_ok (const char *domain, const char *host);

/* TRUE when @host is @domain or any name below it (bogus.sales.domain.com
 * for domain.com): what a client accepts once DisableStrictDNSNaming is set. */
gboolean sd_dns_name_in_domain (const char *domain, const char *host);

G_END_DECLS
