/* sd-context.h: what one step of a run hands on to the next.
 *
 * Each field is written by one step (named beside it) and read by later
 * ones. Steps run one after another on the main context, so no locking.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "sd-uri.h"
#include "sd-candidate.h"

G_BEGIN_DECLS

typedef struct _SdDnsResolver SdDnsResolver;
typedef struct _SdSipSession SdSipSession;
typedef struct _SdTlsTrustLoader SdTlsTrustLoader;
typedef struct _SdHttpClient SdHttpClient;

/* What the tls step made of the connection to SdContext.selected. */
typedef enum {
  SD_TLS_OUTCOME_NONE,             /* not run: no TLS server was chosen */
  SD_TLS_OUTCOME_HANDSHAKE_FAILED, /* no TLS connection (handshake or reconnection failed) */
  SD_TLS_OUTCOME_UNTRUSTED,        /* connected; the certificate failed verification */
  SD_TLS_OUTCOME_TRUSTED,          /* connected; this program and the TLS library trust it */
} SdTlsOutcome;

/* A CRLF keep-alive ping (RFC 5626) on one transport. */
typedef enum {
  SD_KEEPALIVE_NOT_SENT,
  SD_KEEPALIVE_PONG,       /* a CRLF came back */
  SD_KEEPALIVE_OTHER,      /* something else came back */
  SD_KEEPALIVE_NO_ANSWER,  /* nothing within the wait */
} SdKeepalive;

typedef struct {
  gboolean    checked;    /* the network check ran */
  gboolean    nat;        /* the server saw another address or port than ours */
  gboolean    alg;        /* a router rewrites SIP (sip.alg-detected was reported) */
  SdKeepalive keepalive[SD_TRANSPORT_UDP + 1];  /* by SdTransport; TCP and TLS only */
} SdSipNetworkFound;

/* Steps hand on to later ones only through these typed fields, never
 * through each other's report data or status, so a step can change what it
 * reports without breaking the next one. */
typedef struct {
  /* uri */
  SdSipUri    *uri;
  SdSignIn    *sign_in;
  char        *domain;       /* the SIP domain autoconfiguration uses */

  /* dns (or the explicit --server): SdCandidate*, in the order a client tries them */
  GPtrArray   *candidates;
  /* dns: the DNS client it asked (--dns-server, else the system's); every
   * later look-up (a SIP redirect's target) asks it too, with the same
   * checks, TCP fallback and server choice */
  SdDnsResolver *dns_resolver;

  /* connect: candidates that accepted a connection, in order; the one later steps use */
  GPtrArray   *reachable;
  SdCandidate *selected;
  /* connect: TRUE when it probed the TCP and TLS candidates (it was not skipped) */
  gboolean     connect_probed;
  /* connect: the open TCP connection to @selected when that is a TLS
   * candidate, so the handshake runs on the very connection that was
   * measured; the tls step takes it (NULL then) */
  GSocketConnection *connection;

  /* the run (started with it, when the run reaches the tls step): the
   * system store and the CA file, parsed once in a thread while DNS,
   * connect and the handshake go on; every certificate check of the run
   * uses it; an execution ends only once its thread has, and drops it */
  SdTlsTrustLoader *trust_loader;

  /* the run (made by the first step that fetches over HTTP: autodiscover,
   * revocation, AIA): the one HTTP client, its session and connections
   * shared by every later fetch (sd_http_client_get_for_run) */
  SdHttpClient *http_client;

  /* tls: the verified (or not) connection to @selected, kept open for SIP */
  GIOStream   *tls_stream;
  SdTlsOutcome tls_outcome;
  gboolean     tls_trusted;  /* tls: credentials may be sent over it (trusted, or the person allowed it) */

  /* sip: the registration dialog, its connection and the challenges read;
   * the auth step signs in on it */
  SdSipSession *sip_session;
  /* sip: TRUE when it sent nothing because a sips: address has no TLS
   * server to use (sip.sips-not-tls) */
  gboolean      sip_sips_not_tls;
  /* sip: what its network check (sip/sd-sip-probe.c) found on the way to
   * the server; the auth step weighs the registration's lifetime with it */
  SdSipNetworkFound sip_network;
  /* sip and auth: the ms-diagnostics already reported, so each distinct
   * one is reported once a run, whichever step's response carried it */
  GHashTable   *ms_diagnostics_seen;
} SdContext;

SdContext *sd_context_new (void);
void       sd_context_free (SdContext *context);
/* Closes what only later steps could use: the connection, the TLS stream,
 * the SIP session and the HTTP client (with the references to the trust
 * store that the last two hold). Results stay in the run's report. */
void       sd_context_close_connections (SdContext *context);

G_END_DECLS
