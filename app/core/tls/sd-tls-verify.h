/* sd-tls-verify.h: every check a client makes on a server's certificate
 * chain, each reported on its own, in words (GnuTLS does the cryptography).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-types.h"
#include "sd-config.h"
#include "sd-cert-info.h"
#include "sd-tls-trust.h"

G_BEGIN_DECLS

/* Which identity a client checks against the certificate: clients differ. */
typedef enum {
  /* Microsoft clients (wm5, ocs, lync): the server's own name, as found in
   * DNS (the SRV target or the A record asked for) or typed. */
  SD_TLS_NAME_RULE_SERVER_FQDN,
  /* Standard SIP clients that found the server through DNS (RFC 3263):
   * the SIP domain of the address, never the SRV target (RFC 5922 4.2, 7.2). */
  SD_TLS_NAME_RULE_RFC5922_DOMAIN,
  /* Standard SIP clients configured with a server (an outbound proxy):
   * the name configured, as typed. */
  SD_TLS_NAME_RULE_CONFIGURED_SERVER,
} SdTlsNameRule;

/* "server-fqdn", "rfc5922-domain", "configured-server" (the JSON's name_rule). */
const char *sd_tls_name_rule_to_string (SdTlsNameRule rule);

typedef struct {
  GPtrArray  *chain;        /* SdCertInfo*, as the server sent them, leaf first */
  const char *server_name;  /* the server connected to: the candidate's host */
  const char *domain;       /* the SIP domain, or NULL */
  SdTlsNameRule name_rule;  /* which identity the client checks (see sd_tls_name_identity) */
  gboolean    microsoft;    /* a Microsoft client profile: High Security Mode exists there */
  const char *ca_file;      /* extra trusted CAs (PEM), or NULL */
  SdTlsTrust *trust;        /* the system store and @ca_file, loaded (the run's); NULL: loaded here */
  gboolean    strict_dns_naming;
  gint64      now;          /* Unix time */
  GTlsProtocolVersion protocol;
  const SdConfig *config;   /* names the person's controls in advice; NULL: the CLI's */
} SdTlsVerifyInput;

typedef struct {
  char       *code;
  SdSeverity  severity;
  char       *message;
  char       *advice;
} SdTlsProblem;

/* A list of SdTlsProblem*, as the checks of a chain and of its revocation
 * report them; sd_tls_problems_add() takes @message. */
GPtrArray *sd_tls_problems_new (void);
void       sd_tls_problems_add (GPtrArray  *problems,
                                const char *code,
                                SdSeverity  severity,
                                char       *message,
                                const char *advice);

typedef struct {
  JsonArray *checks;     /* {id, result, message}: docs/report-data.md */
  GPtrArray *problems;   /* SdTlsProblem*, in the order found */
  GPtrArray *path;       /* SdCertInfo* (borrowed from the input): leaf to top, as verified */
  JsonArray *path_json;  /* indexes of @path in the chain as sent */
  char      *anchor;     /* subject of the trusted CA the chain ends at, or NULL */
  GBytes    *anchor_der; /* that CA's certificate (DER) when it is not in the chain, or NULL */
  gboolean   trust_ok;     /* GnuTLS verified the whole chain, no status bit set */
  gboolean   name_ok;
  gboolean   validity_ok;
  gboolean   revoked;
  gboolean   weak_algorithm;  /* a tls.weak-key or tls.weak-signature was found */
  SdNameMatch name_match;
  SdTlsNameRule name_rule;  /* the rule applied (the input's, unless it had nothing to check) */
  char      *name_identity; /* the identity checked against the certificate */
  SdCertInfo *unverified_issuer;  /* borrowed: named as the issuer of the path's top, its signature failed */
  guint      n_crl;      /* CRLs found in the CA file */
} SdTlsVerifyResult;

/* Pure (input → result, no main context, no GLib main-loop use): safe in
 * any thread. Parses the trust store itself when @input->trust is NULL,
 * which costs 7-35 ms: callers on the main loop use the async form. */
SdTlsVerifyResult *sd_tls_verify (const SdTlsVerifyInput *input);
/* sd_tls_verify() in a GTask thread, on a copy of @input (the chain and
 * the trust are kept by reference; @input->config must outlive the task).
 * Not interruptible: the task returns once the thread is done, so a step
 * that waits for it never leaves certificate work running. */
void               sd_tls_verify_async (const SdTlsVerifyInput *input,
                                        GCancellable           *cancellable,
                                        GAsyncReadyCallback     callback,
                                        gpointer                user_data);
/* NULL with G_IO_ERROR_CANCELLED when @cancellable was cancelled. */
SdTlsVerifyResult *sd_tls_verify_finish (GAsyncResult  *result,
                                         GError       **error);

/* The identity @input's rule checks: the SIP domain for the RFC 5922 rule
 * (the server's name when there is no domain), else the server's name. */
const char        *sd_tls_name_identity (const SdTlsVerifyInput *input);
void               sd_tls_verify_result_free (SdTlsVerifyResult *result);

/* GTlsCertificateFlags in words, "; "-separated. */
char                *sd_tls_flags_describe (GTlsCertificateFlags flags);
/* GTlsCertificateFlags as the report's ids ("unknown-ca", "expired", …). */
JsonArray           *sd_tls_flags_to_json (GTlsCertificateFlags flags);

/* The flags of glib-networking's verdict (@backend) that this program's
 * own checks in @result do not account for: a chain this program trusts is
 * trusted only when there are none (the second opinion). */
GTlsCertificateFlags sd_tls_verify_unexplained (const SdTlsVerifyResult *result, GTlsCertificateFlags backend);

/* glib-networking's verdict on @chain for @identity: against the CA file
 * (given as typed; made absolute here), and the system's default database
 * when the CA file does not vouch for it. Runs in a thread. @note gets why
 * the CA file was left out, or NULL. On error (cancelled included) the
 * flags are G_TLS_CERTIFICATE_GENERIC_ERROR. */
void                 sd_tls_backend_verify_async (GTlsCertificate     *chain,
                                                  GSocketConnectable  *identity,
                                                  const char          *ca_file,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
GTlsCertificateFlags sd_tls_backend_verify_finish (GAsyncResult  *result,
                                                   char         **note,
                                                   GError       **error);

/* "TLS 1.2" */
const char        *sd_tls_protocol_to_string (GTlsProtocolVersion version);
/* How long, in words: "35 days", "3 hours", "1 minute". */
char              *sd_format_duration (gint64 seconds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdTlsVerifyResult, sd_tls_verify_result_free)

G_END_DECLS
