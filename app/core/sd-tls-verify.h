/* sd-tls-verify.h: every check a client makes on a server's certificate
 * chain, each reported on its own, in words (GnuTLS does the cryptography).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-types.h"
#include "sd-cert-info.h"

G_BEGIN_DECLS

typedef struct {
  GPtrArray  *chain;        /* SdCertInfo*, as the server sent them, leaf first */
  const char *server_name;  /* the name the client checks: the candidate's host */
  const char *domain;       /* the SIP domain, or NULL */
  const char *ca_file;      /* extra trusted CAs (PEM), or NULL */
  gboolean    strict_dns_naming;
  gint64      now;          /* Unix time */
  GTlsProtocolVersion protocol;
} SdTlsVerifyInput;

typedef struct {
  char       *code;
  SdSeverity  severity;
  char       *message;
  char       *advice;
} SdTlsProblem;

typedef struct {
  JsonArray *checks;     /* {id, result, message}: docs/report-data.md */
  GPtrArray *problems;   /* SdTlsProblem*, in the order found */
  GPtrArray *path;       /* SdCertInfo* (borrowed from the input): leaf to top, as verified */
  JsonArray *path_json;  /* indexes of @path in the chain as sent */
  char      *anchor;     /* subject of the trusted CA the chain ends at, or NULL */
  gboolean   trust_ok;
  gboolean   name_ok;
  gboolean   validity_ok;
  gboolean   revoked;
  guint      n_crl;      /* CRLs found in the CA file */
} SdTlsVerifyResult;

SdTlsVerifyResult *sd_tls_verify (const SdTlsVerifyInput *input);
void               sd_tls_verify_result_free (SdTlsVerifyResult *result);

/* "TLS 1.2" */
const char        *sd_tls_protocol_to_string (GTlsProtocolVersion version);
/* How long, in words: "35 days", "3 hours", "1 minute". */
char              *sd_format_duration (gint64 seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdTlsVerifyResult, sd_tls_verify_result_free)

G_END_DECLS
