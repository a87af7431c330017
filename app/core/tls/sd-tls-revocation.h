/* sd-tls-revocation.h: revocation as Windows clients check it, and the
 * intermediate that Windows fetches through AIA.
 *
 * For every certificate of the verified path but the root: the CRL
 * distribution points and the OCSP responders it names (http only: LDAP
 * points are reported, not asked), fetched and asked in parallel through
 * the run's HTTP client, each answer verified against the issuer (its
 * signature, its dates, the nonce when the responder echoes it). Nothing
 * here talks to the network but through SdHttpClient, so the same bounds
 * hold (deadline, size cap, redirects).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-config.h"
#include "sd-cert-info.h"
#include "sd-tls-verify.h"
#include "sd-http.h"

G_BEGIN_DECLS

/* The most a fetched CRL, OCSP answer or caIssuers certificate may hold. */
#define SD_REVOCATION_MAX_CRL_BYTES   (8 * 1024 * 1024)
#define SD_REVOCATION_MAX_OCSP_BYTES  (64 * 1024)
#define SD_REVOCATION_MAX_AIA_BYTES   (64 * 1024)

typedef struct {
  GPtrArray      *path;       /* SdCertInfo* (borrowed), leaf to top, as verified */
  GPtrArray      *chain;      /* SdCertInfo* (borrowed), as sent: where @path's indexes point */
  GBytes         *anchor;     /* DER of the trusted CA that issued @path's top (SdTlsVerifyResult.anchor_der), or NULL */
  const SdConfig *config;     /* names the person's controls in advice; may be NULL */
  gint64          now;        /* Unix time */
  GBytes         *stapled;    /* the OCSP answer the server stapled for the leaf (DER), or NULL */
} SdRevocationInput;

typedef struct {
  JsonObject *json;      /* the tls step's data.revocation (docs/report-data.md) */
  GPtrArray  *problems;  /* SdTlsProblem*, in the order found */
  gboolean    revoked;   /* a verified source says a certificate of the path is revoked */
  const char *check_result;  /* the `revocation` check: "pass", "warn", "fail" or "skip" */
  char       *check_message; /* … and its words */
} SdRevocationResult;

void sd_revocation_result_free (SdRevocationResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdRevocationResult, sd_revocation_result_free)

/* What the report says when revocation is not checked (--no-revocation):
 * where each certificate says to look, and that nothing was asked. */
SdRevocationResult *sd_revocation_not_checked (const SdRevocationInput *input, const char *why);

/* Fails only when @cancellable (the person's) is cancelled. */
void                sd_revocation_check_async  (SdHttpClient            *client,
                                                const SdRevocationInput *input,
                                                GCancellable            *cancellable,
                                                GAsyncReadyCallback      callback,
                                                gpointer                 user_data);
SdRevocationResult *sd_revocation_check_finish (GAsyncResult  *result,
                                                GError       **error);

/* The certificate that issued @cert, fetched from @cert's AIA caIssuers
 * URL(s): DER, PEM or a PKCS #7 bundle, checked to have issued @cert.
 * finish gives it (NULL when none came) and sets @record to the report's
 * object for the attempt {url, fetched, error, subject, fetch}. Fails only
 * when @cancellable is cancelled. */
void                sd_revocation_fetch_issuer_async  (SdHttpClient        *client,
                                                       const SdCertInfo    *cert,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
SdCertInfo         *sd_revocation_fetch_issuer_finish (GAsyncResult  *result,
                                                       JsonObject   **record,
                                                       GError       **error);

/* TRUE when @chain (as sent, leaf first) stops short at the server's own
 * certificate: the issuer of its last certificate (not a CA) is neither
 * in @chain nor trusted here (@trust: the system's store and the CA file;
 * NULL: read here from the store and @ca_file), so a client must fetch it
 * (AIA) or fail. */
gboolean            sd_revocation_chain_incomplete (GPtrArray  *chain,
                                                    SdTlsTrust *trust,
                                                    const char *ca_file);

G_END_DECLS
