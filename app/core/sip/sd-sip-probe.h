/* sd-sip-probe.h: one OPTIONS over a transport of its own, optionally
 * padded to a size, bounded by one timeout from its first byte; and the
 * network check that runs such probes concurrently (UDP against TCP and
 * TLS, UDP requests of growing size) and turns what they saw into the
 * findings of sd-sip-network.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"
#include "sd-sip-network.h"
#include "sd-sip-session.h"

G_BEGIN_DECLS

typedef struct {
  SdTransport        transport;
  gsize              size;          /* bytes asked for; 0: not padded */
  gsize              sent_size;     /* bytes of the request as sent */
  SdSipProbeOutcome  outcome;
  guint              status;        /* of an answer */
  char              *local;         /* "IP:port" the request left from */
  char              *local_host;
  guint16            local_port;
  char              *peer;          /* "IP:port" */
  char              *response_via;  /* top Via of the answer */
  char              *error;         /* why there was no answer */
  SdSipProbeOutcome  keepalive;     /* TCP/TLS: a CRLF pong (ANSWERED), something else (FAILED), nothing */
  double             duration_ms;
} SdSipProbe;

void        sd_sip_probe_free (SdSipProbe *probe);

/* Sends one OPTIONS for @session's address to @target over
 * @target->transport, padded to about @size bytes (0: as small as it
 * comes). Never fails but for the run's cancellation: a probe that gets
 * no answer within @timeout_s is SD_SIP_PROBE_NO_ANSWER. Each message
 * goes to the trace of @run under the sip step. */
void        sd_sip_probe_run_async  (SdRun               *run,
                                     SdSipSession        *session,
                                     SdCandidate         *target,
                                     gsize                size,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
SdSipProbe *sd_sip_probe_run_finish (GAsyncResult  *result,
                                     GError       **error);

/* The sizes of the UDP requests of the fragmentation check (RFC 3261
 * §18.1.1: over 1,300 bytes a request should go over TCP). */
#define SD_SIP_PROBE_N_SIZES 3
extern const gsize sd_sip_probe_sizes[SD_SIP_PROBE_N_SIZES];

/* The sip step's network check: for the server of @session, an OPTIONS
 * over UDP, TCP and TLS (only the transport the person chose, when one
 * was) and UDP requests of sd_sip_probe_sizes, all at once, each within
 * the run's timeout. Fills the sip step's data.network and reports
 * sip.nat-detected, sip.alg-detected, sip.udp-blocked and
 * sip.udp-fragmentation. Fails only when cancelled. */
void        sd_sip_network_check_async  (SdRun               *run,
                                         SdSipSession        *session,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    sd_sip_network_check_finish (GAsyncResult  *result,
                                         GError       **error);

/* For a 2xx to a REGISTER with credentials (the auth step): the expiry
 * and Flow-Timer of the binding into @step's data.registration; a
 * registered Contact rewritten on the way (sip.alg-detected, unless the
 * network check already found an ALG); behind NAT, a binding that
 * outlives a typical NAT mapping (sip.nat-keepalive, info). */
void        sd_sip_network_report_registration (SdRun              *run,
                                                SdStepId            step,
                                                SdSipSession       *session,
                                                const SdSipMessage *response);

G_END_DECLS
