/* sd-tls-revocation-parse.h: where a certificate says its revocation status
 * is published, and what a CRL or an OCSP answer from there says.
 *
 * Plain functions of bytes (from the network: hostile) and certificates,
 * with no I/O, so they have table-driven tests and a fuzz target
 * (tests/fuzz/fuzz-revocation.c). GnuTLS parses and checks signatures;
 * this file decides what the answer means for one certificate.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <gnutls/x509.h>

G_BEGIN_DECLS

/* At most this many URLs of each kind are kept from one certificate. */
#define SD_REVOCATION_MAX_URLS 8

/* Where @crt says to look, each list NULL-terminated and never NULL,
 * valid UTF-8: */
typedef struct {
  char **crl_http;     /* CRL distribution points over http(s) */
  char **crl_ldap;     /* … over ldap(s):// (reachable inside a domain only) */
  char **crl_other;    /* file:, ftp:, a directory name, … (not fetched) */
  char **ocsp;         /* AIA OCSP responders over http(s) */
  char **ocsp_other;   /* AIA OCSP with another scheme (not asked) */
  char **ca_issuers;   /* AIA caIssuers over http(s) */
} SdRevocationPoints;

SdRevocationPoints *sd_revocation_points_from_crt (gnutls_x509_crt_t crt);
void                sd_revocation_points_free (SdRevocationPoints *points);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdRevocationPoints, sd_revocation_points_free)
/* No http CRL and no http OCSP: nothing a client outside can ask. */
gboolean            sd_revocation_points_none_fetchable (const SdRevocationPoints *points);

typedef enum {
  SD_REVOCATION_GOOD,       /* the source, verified, says the certificate is not revoked */
  SD_REVOCATION_REVOKED,    /* the source, verified, says it is revoked */
  SD_REVOCATION_UNKNOWN,    /* an OCSP responder that does not know the certificate */
  SD_REVOCATION_INVALID,    /* the answer cannot be used: see @problem */
} SdRevocationStatus;

/* "good", "revoked", "unknown", "invalid" */
const char *sd_revocation_status_to_string (SdRevocationStatus status);

typedef struct {
  SdRevocationStatus status;
  char   *problem;          /* why INVALID or UNKNOWN, in words; else NULL */
  gint64  this_update;      /* Unix time, -1 when absent */
  gint64  next_update;      /* Unix time, -1 when absent (then the answer has no end) */
  gint64  revoked_at;       /* Unix time when REVOKED, else -1 */
  char   *reason;           /* "keyCompromise", …, for REVOKED when the source says, else NULL */
  char   *signer;           /* subject of the key that signed the answer, or NULL */
} SdRevocationAnswer;

void sd_revocation_answer_clear (SdRevocationAnswer *answer);

/* How far ahead of this computer's clock a thisUpdate may be (clocks
 * differ), in seconds. */
#define SD_REVOCATION_CLOCK_SKEW 300

/* A CRL (DER, or PEM) fetched for @crt: signed by @issuer's key (may be
 * NULL: then INVALID), issued by @crt's issuer, current at @now, and
 * whether it lists @crt's serial. */
void sd_revocation_check_crl (const guint8       *data,
                              gsize               len,
                              gnutls_x509_crt_t   crt,
                              gnutls_x509_crt_t   issuer,
                              gint64              now,
                              SdRevocationAnswer *answer);

/* An OCSP request for @crt (issued by @issuer), DER, with a fresh nonce
 * when @nonce is not NULL (then set to it). NULL when GnuTLS cannot make
 * one. */
GBytes *sd_revocation_ocsp_request (gnutls_x509_crt_t   crt,
                                    gnutls_x509_crt_t   issuer,
                                    GBytes            **nonce);

/* An OCSP response (DER) about @crt: successful, signed by @issuer or by
 * a responder @issuer delegated to, about @crt, with @nonce echoed when
 * the responder echoes one (may be NULL: not asked, as for a stapled
 * answer), current at @now. */
void sd_revocation_check_ocsp (const guint8       *data,
                               gsize               len,
                               gnutls_x509_crt_t   crt,
                               gnutls_x509_crt_t   issuer,
                               GBytes             *nonce,
                               gint64              now,
                               SdRevocationAnswer *answer);

/* The certificate in @data (DER, PEM, or a PKCS #7 bundle as AIA
 * caIssuers URLs often serve) that issued @crt (its name and its
 * signature), or NULL. Returns DER bytes. */
GBytes *sd_revocation_find_issuer (const guint8      *data,
                                   gsize              len,
                                   gnutls_x509_crt_t  crt);

G_END_DECLS
