/* sd-cert-info.h: one X.509 certificate as a person (and the report) sees it.
 *
 * Parsed with GnuTLS from the DER bytes a server sent: a parser of network
 * bytes, so it has a fuzz target (tests/fuzz/fuzz-cert-info.c).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <gnutls/x509.h>
#include "sd-tls-names.h"

G_BEGIN_DECLS

typedef struct {
  gnutls_x509_crt_t crt;
  GBytes  *der;
  char    *subject;          /* RFC 4514 DN */
  char    *issuer;
  char    *cn;               /* last CN of the subject, or NULL */
  char    *serial;           /* hex, lower case */
  gint64   not_before;       /* Unix time, -1 when unreadable */
  gint64   not_after;
  char   **san_dns;
  char   **san_ip;
  char   **san_uri;
  char   **invalid_names;    /* names (SAN, CN) holding a NUL or other control byte, escaped as "\\xNN" */
  char    *key_type;         /* "RSA", "EC", "Ed25519", "DSA", … */
  guint    key_bits;
  char    *signature_algorithm;  /* "RSA-SHA256", "ECDSA-SHA1", … */
  gboolean weak_signature;   /* MD5, MD2 or SHA-1 */
  char    *sha256;           /* "AB:CD:…" */
  char    *sha1;
  gboolean is_ca;
  gint     path_len;         /* -1 when unlimited or absent */
  char   **key_usage;
  char   **extended_key_usage;
  gboolean self_issued;      /* subject == issuer */
  gboolean self_signed;      /* self-issued and its signature verifies with its own key */
  char    *ca_issuers_url;   /* Authority Information Access caIssuers, or NULL */
  char    *pem;
} SdCertInfo;

/* Parses one DER certificate. Fails (SD_ERROR_INVALID_INPUT) on bytes that
 * are not one. */
SdCertInfo *sd_cert_info_new_from_der (const guint8 *data, gsize len, GError **error);
void        sd_cert_info_free (SdCertInfo *info);
/* The chain a TLS peer sent, from @peer up its issuers: at most @max
 * certificates, unreadable ones skipped (logged, naming @from). A new
 * array of SdCertInfo*, empty when @peer is NULL. */
GPtrArray  *sd_cert_info_chain_from_tls (GTlsCertificate *peer, guint max, const char *from);

/* The names it holds, borrowed from @info. */
void        sd_cert_info_get_names (const SdCertInfo *info, SdCertNames *names);
/* Whether @issuer's name matches and @info's signature really verifies
 * with @issuer's key (weak-but-real algorithms included; an unknown or
 * refused algorithm is no verified signature). */
gboolean    sd_cert_info_issued_by (const SdCertInfo *info, const SdCertInfo *issuer);
/* The report's certificate object (docs/report-data.md, tls.chain[]). */
JsonObject *sd_cert_info_to_json (const SdCertInfo *info);

/* "2026-11-24T23:55:00Z" */
char       *sd_format_time_iso (gint64 unix_time);
/* @member as the ISO time of @t (UTC), or null when @t is unknown (< 0). */
void        sd_json_set_time (JsonObject *o, const char *member, gint64 t);
/* A JSON array of @v's strings (empty for NULL). */
JsonArray  *sd_json_strv_array (char **v);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdCertInfo, sd_cert_info_free)

G_END_DECLS
