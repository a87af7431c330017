/* sd-dns-profiles.h: what each client profile looks up, in which order,
 * and which server names it then accepts. A new profile is one row of the
 * table in sd-dns-profiles.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include "sd-types.h"

G_BEGIN_DECLS

/* One SRV service a client asks for: the name is prefix.domain. */
typedef struct {
  const char  *prefix;          /* "_sip._tls" */
  SdTransport  transport;
} SdDnsSrvService;

/* A host name a client tries without SRV, with the transports and ports it
 * uses there; SD_TRANSPORT_AUTO marks an unused slot. */
typedef struct {
  const char  *prefix;          /* "sip" (the name is prefix.domain), or NULL for the domain itself */
  SdTransport  transports[3];
  guint16      ports[3];
} SdDnsFallbackName;

/* Which TLS servers found through SRV a client accepts under strict naming. */
typedef enum {
  SD_DNS_NAMING_DOMAIN_OR_SIP,  /* exactly <domain> or sip.<domain> (Windows Messenger) */
  SD_DNS_NAMING_IN_DOMAIN,      /* any host inside the SIP domain (Office Communicator, Lync) */
} SdDnsNamingRule;

typedef struct {
  SdClientProfile          client;
  /* RFC 3263: NAPTR records of the domain choose and order the SRV names. */
  gboolean                 uses_naptr;
  /* RFC 3263: the fallback names only when there is no SRV at all; the
   * Microsoft clients always go on to them. */
  gboolean                 fallback_only_without_srv;
  /* The strict-naming rule applies even without the strict option: it is
   * the client's own rule, not a standard client's. */
  gboolean                 strict_naming_always;
  /* The client asks the autodiscover web service (lyncdiscover.<domain>)
   * before any SRV record: the hook of the autodiscover sub-check. */
  gboolean                 autodiscover_first;
  SdDnsNamingRule          naming;
  const SdDnsSrvService   *srv;
  guint                    n_srv;
  const SdDnsFallbackName *fallback;
  guint                    n_fallback;
  /* The records to publish, in zone-file syntax, "@" standing for the domain. */
  const char              *zone_example;
} SdDnsProfile;

/* The row of @client (the generic one for an unknown value). */
const SdDnsProfile *sd_dns_profile_get (SdClientProfile client);

/* prefix.domain, or the domain itself when @prefix is NULL. */
char       *sd_dns_profile_name (const char *prefix, const char *domain);
/* The first SRV service of @profile for @transport, or NULL when the
 * client never looks that transport up. */
const char *sd_dns_profile_srv_prefix (const SdDnsProfile *profile, SdTransport transport);
/* TRUE when the client accepts @host for a TLS server of @domain found
 * automatically, under strict naming. */
gboolean    sd_dns_profile_strict_ok (const SdDnsProfile *profile, const char *domain, const char *host);
/* zone_example for @domain. */
char       *sd_dns_profile_zone_example (const SdDnsProfile *profile, const char *domain);

G_END_DECLS
