/* sd-tls-names.h: which names a server certificate is valid for.
 *
 * Two rule sets, because SIP clients differ: the server identity check
 * most TLS clients make (RFC 6125: DNS names with wildcards, IP addresses,
 * the subject CN only when there is no DNS name), and the SIP domain
 * identity of RFC 5922 (URI:sip: names first, then DNS names, the CN only
 * when there is no subjectAltName at all, and never a wildcard), which
 * Microsoft's strict DNS naming builds on (<domain> or sip.<domain>).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The identities a certificate holds, as text. Arrays are NULL-terminated
 * (NULL means empty). */
typedef struct {
  const char *const *dns;  /* subjectAltName dNSName */
  const char *const *ip;   /* subjectAltName iPAddress, as text */
  const char *const *uri;  /* subjectAltName uniformResourceIdentifier */
  const char        *cn;   /* the subject's last commonName, or NULL */
} SdCertNames;

typedef enum {
  SD_NAME_MATCH_NONE,
  SD_NAME_MATCH_DNS,       /* a dNSName equal to the host */
  SD_NAME_MATCH_WILDCARD,  /* a dNSName wildcard covering the host */
  SD_NAME_MATCH_IP,        /* an iPAddress equal to the host's address */
  SD_NAME_MATCH_CN,        /* the CN, used because there is no dNSName */
  SD_NAME_MATCH_SIP_URI,   /* only a URI:sip: name (RFC 5922) matches */
} SdNameMatch;

const char *sd_name_match_to_string (SdNameMatch match);

/* Lower-cases, drops one trailing dot and IPv6 brackets. */
char       *sd_tls_normalize_host (const char *host);

/* RFC 6125 wildcard: one '*' in the left-most label only, standing for
 * part or all of exactly one label; at least two labels after it; never
 * matches an IP address or an IDN A-label. Case-insensitive. */
gboolean    sd_tls_wildcard_matches (const char *pattern, const char *host);

/* The host of a sip: or sips: URI ("sip:example.com", "sip:u@h:5061;p"),
 * lower-cased, or NULL when @uri is not such a URI. */
char       *sd_tls_sip_uri_host (const char *uri);

/* The server identity check a TLS client makes against @host (a name or an
 * IP address): the best match, or NONE. A URI:sip: match is returned only
 * when nothing else matched (many clients ignore URI names). */
SdNameMatch sd_tls_match_host (const SdCertNames *names, const char *host);

/* The same check as a SIP client makes it (RFC 5922 7.1, and Linphone):
 * the CN counts only when the certificate has no subjectAltName at all, not
 * merely no DNS name. */
SdNameMatch sd_tls_match_sip_host (const SdCertNames *names, const char *host);

/* RFC 5922 SIP domain identities, normalized, in certificate order:
 * the hosts of URI:sip: names when there is any; else the dNSNames
 * (wildcards included, flagged by their '*'); else, when the certificate has
 * no subjectAltName, the CN. */
char      **sd_tls_sip_identities (const SdCertNames *names);

/* Whether the certificate is a valid SIP domain certificate for @domain
 * under RFC 5922 (exact identity, no wildcard). */
gboolean    sd_tls_sip_domain_matches (const SdCertNames *names, const char *domain);

/* Microsoft strict DNS naming (High Security Mode): valid, under RFC 5922,
 * for <domain> or sip.<domain>. Returns the name that matched, or NULL. */
char       *sd_tls_strict_name_match (const SdCertNames *names, const char *domain);

/* Every name the certificate holds, for telling a person: DNS names, IP
 * addresses, sip: URIs, then "CN=…" when it is used. Free with g_strfreev. */
char      **sd_tls_all_names (const SdCertNames *names);

G_END_DECLS
