/* sd-finding-codes.h: every finding code the engine reports, with the
 * version it first appeared in.
 *
 * The codes are a contract with scripts that read the JSON report: never
 * rename one, only add.  Each is described in docs/man/sip-doctor-cli.1
 * (FINDING CODES) and its data in docs/report-data.md; tests/check-man-pages.py
 * keeps this list, the page and the sources in step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#define SD_FINDING_URI_INVALID                  "uri.invalid"                  /* since 0.1 */
#define SD_FINDING_URI_SIPS_NEEDS_TLS           "uri.sips-needs-tls"           /* since 0.1 */

#define SD_FINDING_DNS_AUTODISCOVER_CERTIFICATE "dns.autodiscover-certificate" /* since 0.2 */
#define SD_FINDING_DNS_AUTODISCOVER_ERROR       "dns.autodiscover-error"       /* since 0.2 */
#define SD_FINDING_DNS_AUTODISCOVER_REDIRECT    "dns.autodiscover-redirect"    /* since 0.2 */
#define SD_FINDING_DNS_AUTODISCOVER_UNAVAILABLE "dns.autodiscover-unavailable" /* since 0.2 */
#define SD_FINDING_DNS_DOMAIN_NOT_FOUND         "dns.domain-not-found"         /* since 0.2 */
#define SD_FINDING_DNS_LOCAL_RESOURCES          "dns.local-resources"          /* since 0.2 */
#define SD_FINDING_DNS_NO_RECORDS               "dns.no-records"               /* since 0.1 */
#define SD_FINDING_DNS_NO_RECORDS_FOR_TRANSPORT "dns.no-records-for-transport" /* since 0.2 */
#define SD_FINDING_DNS_NO_SRV                   "dns.no-srv"                   /* since 0.1 */
#define SD_FINDING_DNS_SERVER_ERROR             "dns.server-error"             /* since 0.1 */
#define SD_FINDING_DNS_SERVER_TIMEOUT           "dns.server-timeout"           /* since 0.1 */
#define SD_FINDING_DNS_SERVICE_UNAVAILABLE      "dns.service-unavailable"      /* since 0.1 */
#define SD_FINDING_DNS_SRV_TARGET_CNAME         "dns.srv-target-cname"         /* since 0.2 */
#define SD_FINDING_DNS_SRV_TARGET_UNRESOLVABLE  "dns.srv-target-unresolvable"  /* since 0.1 */
#define SD_FINDING_DNS_STRICT_NAMING            "dns.strict-naming"            /* since 0.1 */
#define SD_FINDING_DNS_TOO_MANY_RECORDS         "dns.too-many-records"         /* since 0.2 */

#define SD_FINDING_CONNECT_LOCAL_RESOURCES      "connect.local-resources"      /* since 0.2 */
#define SD_FINDING_CONNECT_NOT_TRIED            "connect.not-tried"            /* since 0.2 */
#define SD_FINDING_CONNECT_REFUSED              "connect.refused"              /* since 0.1 */
#define SD_FINDING_CONNECT_TIMEOUT              "connect.timeout"              /* since 0.1 */
#define SD_FINDING_CONNECT_UNREACHABLE          "connect.unreachable"          /* since 0.1 */

#define SD_FINDING_TLS_BACKEND_REJECTED         "tls.backend-rejected"         /* since 0.2 */
#define SD_FINDING_TLS_BAD_SIGNATURE            "tls.bad-signature"            /* since 0.2 */
#define SD_FINDING_TLS_CA_FILE_EMPTY            "tls.ca-file-empty"            /* since 0.1 */
#define SD_FINDING_TLS_CHAIN_INVALID            "tls.chain-invalid"            /* since 0.1 */
#define SD_FINDING_TLS_EXPIRED                  "tls.expired"                  /* since 0.1 */
#define SD_FINDING_TLS_HANDSHAKE_FAILED         "tls.handshake-failed"         /* since 0.1 */
#define SD_FINDING_TLS_INTERMEDIATE_VIA_AIA     "tls.intermediate-via-aia"     /* since 0.2 */
#define SD_FINDING_TLS_INVALID_NAME             "tls.invalid-name"             /* since 0.2 */
#define SD_FINDING_TLS_MISSING_INTERMEDIATE     "tls.missing-intermediate"     /* since 0.1 */
#define SD_FINDING_TLS_NAME_MISMATCH            "tls.name-mismatch"            /* since 0.1 */
#define SD_FINDING_TLS_NO_REVOCATION_INFO       "tls.no-revocation-info"       /* since 0.2 */
#define SD_FINDING_TLS_NOT_YET_VALID            "tls.not-yet-valid"            /* since 0.1 */
#define SD_FINDING_TLS_OLD_PROTOCOL             "tls.old-protocol"             /* since 0.1 */
#define SD_FINDING_TLS_REVOCATION_LDAP_ONLY     "tls.revocation-ldap-only"     /* since 0.2 */
#define SD_FINDING_TLS_REVOCATION_UNREACHABLE   "tls.revocation-unreachable"   /* since 0.2 */
#define SD_FINDING_TLS_REVOKED                  "tls.revoked"                  /* since 0.1 */
#define SD_FINDING_TLS_SELF_SIGNED              "tls.self-signed"              /* since 0.1 */
#define SD_FINDING_TLS_STRICT_NAME              "tls.strict-name"              /* since 0.1 */
#define SD_FINDING_TLS_UNTRUSTED_ROOT           "tls.untrusted-root"           /* since 0.1 */
#define SD_FINDING_TLS_WEAK_KEY                 "tls.weak-key"                 /* since 0.1 */
#define SD_FINDING_TLS_WEAK_SIGNATURE           "tls.weak-signature"           /* since 0.1 */

#define SD_FINDING_SIP_FORBIDDEN                "sip.forbidden"                /* since 0.1 */
#define SD_FINDING_SIP_ALG_DETECTED            "sip.alg-detected"             /* since 0.2 */
#define SD_FINDING_SIP_MALFORMED_RESPONSE       "sip.malformed-response"       /* since 0.1 */
#define SD_FINDING_SIP_MS_DIAGNOSTICS           "sip.ms-diagnostics"           /* since 0.2 */
#define SD_FINDING_SIP_NAT_DETECTED            "sip.nat-detected"             /* since 0.2 */
#define SD_FINDING_SIP_NAT_KEEPALIVE           "sip.nat-keepalive"            /* since 0.2 */
#define SD_FINDING_SIP_NO_RESPONSE              "sip.no-response"              /* since 0.1 */
#define SD_FINDING_SIP_NOT_FOUND                "sip.not-found"                /* since 0.1 */
#define SD_FINDING_SIP_REDIRECT                 "sip.redirect"                 /* since 0.1 */
#define SD_FINDING_SIP_REDIRECT_DOWNGRADE       "sip.redirect-downgrade"       /* since 0.2 */
#define SD_FINDING_SIP_REDIRECT_LOOP            "sip.redirect-loop"            /* since 0.1 */
#define SD_FINDING_SIP_REDIRECT_UNRESOLVABLE    "sip.redirect-unresolvable"    /* since 0.1 */
#define SD_FINDING_SIP_SERVER_ERROR             "sip.server-error"             /* since 0.1 */
#define SD_FINDING_SIP_SIPS_NOT_TLS             "sip.sips-not-tls"             /* since 0.2 */
#define SD_FINDING_SIP_TCP_BLOCKED             "sip.tcp-blocked"              /* since 0.2 */
#define SD_FINDING_SIP_UDP_BLOCKED             "sip.udp-blocked"              /* since 0.2 */
#define SD_FINDING_SIP_UDP_FRAGMENTATION       "sip.udp-fragmentation"        /* since 0.2 */
#define SD_FINDING_SIP_UNEXPECTED_RESPONSE      "sip.unexpected-response"      /* since 0.1 */

#define SD_FINDING_AUTH_CLEARTEXT_REFUSED       "auth.cleartext-refused"       /* since 0.1 */
#define SD_FINDING_AUTH_CLOCK_SKEW              "auth.clock-skew"              /* since 0.1 */
#define SD_FINDING_AUTH_DIGEST_WITHOUT_TLS      "auth.digest-without-tls"      /* since 0.1 */
#define SD_FINDING_AUTH_KERBEROS_FAILED         "auth.kerberos-failed"         /* since 0.2 */
#define SD_FINDING_AUTH_KERBEROS_NO_KDC         "auth.kerberos-no-kdc"         /* since 0.2 */
#define SD_FINDING_AUTH_KERBEROS_SPN_MISSING    "auth.kerberos-spn-missing"    /* since 0.2 */
#define SD_FINDING_AUTH_KERBEROS_STYLE_NAME     "auth.kerberos-style-name"     /* since 0.1 */
#define SD_FINDING_AUTH_NO_PASSWORD             "auth.no-password"             /* since 0.1 */
#define SD_FINDING_AUTH_NTLM_UNAVAILABLE        "auth.ntlm-unavailable"        /* since 0.2 */
#define SD_FINDING_AUTH_OK                      "auth.ok"                      /* since 0.1 */
#define SD_FINDING_AUTH_REJECTED                "auth.rejected"                /* since 0.1 */
#define SD_FINDING_AUTH_RSPAUTH_INVALID         "auth.rspauth-invalid"         /* since 0.2 */
#define SD_FINDING_AUTH_SCHEME_NOT_SUPPORTED    "auth.scheme-not-supported"    /* since 0.1 */
#define SD_FINDING_AUTH_UNTRUSTED_NOT_SENT      "auth.untrusted-not-sent"      /* since 0.1 */
