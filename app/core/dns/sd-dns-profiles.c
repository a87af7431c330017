/* sd-dns-profiles.c: the client profiles' look-up plans.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include "sd-dns-profiles.h"
#include "sd-dns-naming.h"

static const SdDnsSrvService generic_srv[] = {
  { "_sips._tcp", SD_TRANSPORT_TLS }, { "_sip._tls", SD_TRANSPORT_TLS },
  { "_sip._tcp", SD_TRANSPORT_TCP }, { "_sip._udp", SD_TRANSPORT_UDP } };
static const SdDnsSrvService wm5_srv[] = {
  { "_sip._tcp", SD_TRANSPORT_TCP }, { "_sip._tls", SD_TRANSPORT_TLS } };
static const SdDnsSrvService ocs_srv[] = {
  { "_sipinternaltls._tcp", SD_TRANSPORT_TLS }, { "_sipinternal._tcp", SD_TRANSPORT_TCP },
  { "_sip._tls", SD_TRANSPORT_TLS } };

/* Without SRV: RFC 3263 falls back to the domain itself; Windows Messenger
 * to sip.<domain> (TLS 5061, TCP 5060); Office Communicator and Lync to
 * sipinternal.<domain> and sip.<domain> (TLS 5061, TCP 5060) and
 * sipexternal.<domain> (TLS 443, the Edge server's port). */
static const SdDnsFallbackName generic_a[] = {
  { NULL, { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_UDP }, { 5061, 5060, 5060 } } };
static const SdDnsFallbackName wm5_a[] = {
  { "sip", { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_AUTO }, { 5061, 5060, 0 } } };
static const SdDnsFallbackName ocs_a[] = {
  { "sipinternal", { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_AUTO }, { 5061, 5060, 0 } },
  { "sip", { SD_TRANSPORT_TLS, SD_TRANSPORT_TCP, SD_TRANSPORT_AUTO }, { 5061, 5060, 0 } },
  { "sipexternal", { SD_TRANSPORT_TLS, SD_TRANSPORT_AUTO, SD_TRANSPORT_AUTO }, { 443, 0, 0 } } };

#define GENERIC_ZONE \
  "@. 3600 IN NAPTR 10 0 \"s\" \"SIPS+D2T\" \"\" _sips._tcp.@.\n" \
  "_sips._tcp.@. 3600 IN SRV 0 0 5061 sip.@.\n" \
  "_sip._tls.@. 3600 IN SRV 0 0 5061 sip.@.\n" \
  "_sip._tcp.@. 3600 IN SRV 0 0 5060 sip.@.\n" \
  "sip.@. 3600 IN A 192.0.2.10"
#define WM5_ZONE \
  "_sip._tls.@. 3600 IN SRV 0 0 5061 sip.@.\n" \
  "_sip._tcp.@. 3600 IN SRV 0 0 5060 sip.@.\n" \
  "sip.@. 3600 IN A 192.0.2.10"
#define OCS_ZONE \
  "_sipinternaltls._tcp.@. 3600 IN SRV 0 0 5061 sip.@.\n" \
  "_sip._tls.@. 3600 IN SRV 0 0 443 sip.@.\n" \
  "sip.@. 3600 IN A 192.0.2.10"

/* Indexed by SdClientProfile. Lync looks up what Office Communicator does;
 * it asks autodiscover first, which this check does not do yet. */
static const SdDnsProfile profiles[] = {
  [SD_CLIENT_GENERIC] = {
    .client = SD_CLIENT_GENERIC,
    .uses_naptr = TRUE,
    .fallback_only_without_srv = TRUE,
    .strict_naming_always = FALSE,
    .autodiscover_first = FALSE,
    .naming = SD_DNS_NAMING_DOMAIN_OR_SIP,
    .srv = generic_srv, .n_srv = G_N_ELEMENTS (generic_srv),
    .fallback = generic_a, .n_fallback = G_N_ELEMENTS (generic_a),
    .zone_example = GENERIC_ZONE,
  },
  [SD_CLIENT_WM5] = {
    .client = SD_CLIENT_WM5,
    .uses_naptr = FALSE,
    .fallback_only_without_srv = FALSE,
    .strict_naming_always = TRUE,
    .autodiscover_first = FALSE,
    .naming = SD_DNS_NAMING_DOMAIN_OR_SIP,
    .srv = wm5_srv, .n_srv = G_N_ELEMENTS (wm5_srv),
    .fallback = wm5_a, .n_fallback = G_N_ELEMENTS (wm5_a),
    .zone_example = WM5_ZONE,
  },
  [SD_CLIENT_OCS] = {
    .client = SD_CLIENT_OCS,
    .uses_naptr = FALSE,
    .fallback_only_without_srv = FALSE,
    .strict_naming_always = TRUE,
    .autodiscover_first = FALSE,
    .naming = SD_DNS_NAMING_IN_DOMAIN,
    .srv = ocs_srv, .n_srv = G_N_ELEMENTS (ocs_srv),
    .fallback = ocs_a, .n_fallback = G_N_ELEMENTS (ocs_a),
    .zone_example = OCS_ZONE,
  },
  [SD_CLIENT_LYNC] = {
    .client = SD_CLIENT_LYNC,
    .uses_naptr = FALSE,
    .fallback_only_without_srv = FALSE,
    .strict_naming_always = TRUE,
    .autodiscover_first = TRUE,
    .naming = SD_DNS_NAMING_IN_DOMAIN,
    .srv = ocs_srv, .n_srv = G_N_ELEMENTS (ocs_srv),
    .fallback = ocs_a, .n_fallback = G_N_ELEMENTS (ocs_a),
    .zone_example = OCS_ZONE,
  },
};

const SdDnsProfile *
sd_dns_profile_get (SdClientProfile client)
{
  if ((guint) client < G_N_ELEMENTS (profiles))
    return &profiles[client];
  return &profiles[SD_CLIENT_GENERIC];
}

char *
sd_dns_profile_name (const char *prefix, const char *domain)
{
  return prefix == NULL ? g_strdup (domain) : g_strconcat (prefix, ".", domain, NULL);
}

const char *
sd_dns_profile_srv_prefix (const SdDnsProfile *profile, SdTransport transport)
{
  for (guint i = 0; i < profile->n_srv; i++)
    if (profile->srv[i].transport == transport)
      return profile->srv[i].prefix;
  return NULL;
}

gboolean
sd_dns_profile_strict_ok (const SdDnsProfile *profile, const char *domain, const char *host)
{
  if (profile->naming == SD_DNS_NAMING_IN_DOMAIN)
    return sd_dns_name_in_domain (domain, host);
  return sd_dns_strict_name_ok (domain, host);
}

char *
sd_dns_profile_zone_example (const SdDnsProfile *profile, const char *domain)
{
  g_auto(GStrv) parts = g_strsplit (profile->zone_example, "@", -1);

  return g_strjoinv (domain, parts);
}
