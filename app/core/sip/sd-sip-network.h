/* sd-sip-network.h: what the network between the client and the server
 * does to SIP, read from the client's side alone: NAT (the address and
 * port the server sees), a router's SIP ALG (values rewritten on the way),
 * UDP lost to fragmentation or blocked, and NAT bindings that expire before
 * the client refreshes them.
 *
 * Everything here works on plain inputs (what was sent, what came back),
 * so the verdicts are tested from tables, without a network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One Via header value, as parsed from what a server sent. */
typedef struct {
  char     *protocol;   /* "UDP", "TCP", "TLS" as written */
  char     *host;       /* sent-by host, without the brackets of an IPv6 literal */
  guint16   port;       /* 0 when the sent-by has none */
  char     *received;   /* ;received=, NULL when absent */
  gboolean  has_rport;  /* ;rport present, with or without a value */
  guint16   rport;      /* ;rport=N, 0 when a flag or absent */
} SdSipVia;

/* Parses the first Via of @value ("SIP/2.0/UDP host:port;params"). FALSE
 * when it is not one; @via is then cleared. Free with sd_sip_via_clear(). */
gboolean sd_sip_via_parse (const char *value, SdSipVia *via);
void     sd_sip_via_clear (SdSipVia *via);

/* RFC 1918, shared address space (RFC 6598), link-local, IPv6 ULA and
 * link-local: addresses a server on the Internet never sees as a source. */
gboolean sd_sip_address_is_private (const char *host);

typedef enum {
  SD_SIP_ALG_RECEIVED_PRIVATE  = 1 << 0, /* received= is our own private address, the server public */
  SD_SIP_ALG_VIA_REWRITTEN     = 1 << 1, /* the response's Via is not the one we sent */
  SD_SIP_ALG_CONTACT_REWRITTEN = 1 << 2, /* the registered Contact is neither ours nor the public address */
} SdSipAlgEvidence;

/* What was sent and what came back, over one transport. */
typedef struct {
  const char *transport;        /* "udp", "tcp", "tls" */
  const char *local_host;       /* our address, as in our Via and Contact */
  guint16     local_port;
  const char *server_host;      /* the address the request went to */
  guint16     server_port;
  const char *response_via;     /* the top Via of the response; NULL: no answer */
  const char *response_contact; /* the Contact of a 2xx to REGISTER (all bindings); NULL: none */
} SdSipNetworkInput;

typedef struct {
  gboolean   answered;       /* a Via came back and could be read */
  gboolean   local_private;
  gboolean   server_public;
  gboolean   nat;            /* the server saw another address or port than ours */
  char      *public_host;    /* what the server saw (received, else our own) */
  guint16    public_port;    /* rport, else our own */
  guint      alg;            /* SdSipAlgEvidence */
  GPtrArray *evidence;       /* sentences for a person, one per SdSipAlgEvidence bit; peer text escaped */
} SdSipNetworkVerdict;

SdSipNetworkVerdict *sd_sip_network_analyse (const SdSipNetworkInput *input);
void                 sd_sip_network_verdict_free (SdSipNetworkVerdict *verdict);

typedef enum {
  SD_SIP_PROBE_NOT_RUN,
  SD_SIP_PROBE_ANSWERED,   /* any final response */
  SD_SIP_PROBE_NO_ANSWER,  /* nothing within the timeout */
  SD_SIP_PROBE_FAILED,     /* refused, unreachable, TLS failed, malformed */
} SdSipProbeOutcome;

/* UDP lost where TCP or TLS answers from the same server. */
gboolean sd_sip_network_udp_blocked (SdSipProbeOutcome udp,
                                     SdSipProbeOutcome tcp,
                                     SdSipProbeOutcome tls);

/* The reverse: UDP answered while TCP and TLS (whichever were tried, at
 * least one) got no answer from the same server. */
gboolean sd_sip_network_stream_blocked (SdSipProbeOutcome udp,
                                        SdSipProbeOutcome tcp,
                                        SdSipProbeOutcome tls);

/* Requests of @sizes bytes (ascending) over UDP and their outcomes: the
 * smallest size that got no answer while a smaller one was answered, else
 * 0 (all answered, or none: then it is not the size). */
gsize    sd_sip_network_fragmentation (const gsize             *sizes,
                                       const SdSipProbeOutcome *outcomes,
                                       guint                    n);

/* The seconds after which many home routers drop an idle UDP NAT binding;
 * TCP bindings live far longer (RFC 5382 asks for two hours). */
#define SD_SIP_NAT_UDP_TIMEOUT_S 30
#define SD_SIP_NAT_TCP_TIMEOUT_S 600

/* The refresh interval a client gets from the server: the Flow-Timer when
 * given (RFC 5626: keep-alives that often), else the registration's
 * expiry. TRUE when it is longer than a typical NAT binding on @udp (or a
 * stream) lives, so the binding may expire between refreshes. */
gboolean sd_sip_network_binding_outlived (gboolean udp,
                                          guint    expires_s,
                                          guint    flow_timer_s);

/* The seconds of a registered Contact whose URI host and port are ours
 * (;expires=), else of @expires_header, else 0. */
guint    sd_sip_network_registered_expires (const char *contacts,
                                            const char *expires_header,
                                            const char *local_host,
                                            guint16     local_port);

G_END_DECLS
