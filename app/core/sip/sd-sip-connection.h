/* sd-sip-connection.h: one SIP connection (UDP, TCP or TLS) and its
 * non-INVITE client transactions (RFC 3261 §17.1.2).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "sd-types.h"
#include "sd-sip-message.h"
#include "sd-tls-trust.h"

G_BEGIN_DECLS

/* RFC 3261 timers. */
#define SD_SIP_T1_MS 500
#define SD_SIP_T2_MS 4000

/* Where the last sd_sip_connection_open_async() failed. */
typedef enum {
  SD_SIP_OPEN_FAILURE_NONE,
  SD_SIP_OPEN_FAILURE_CONNECT,
  SD_SIP_OPEN_FAILURE_CONNECT_TIMEOUT,
  SD_SIP_OPEN_FAILURE_HANDSHAKE,
  SD_SIP_OPEN_FAILURE_HANDSHAKE_TIMEOUT,
} SdSipOpenFailure;

#define SD_TYPE_SIP_CONNECTION (sd_sip_connection_get_type ())
G_DECLARE_FINAL_TYPE (SdSipConnection, sd_sip_connection, SD, SIP_CONNECTION, GObject)

/* Called for every message sent or received (also bytes that did not
 * parse), on the caller's main context. */
typedef void (*SdSipMessageFunc) (SdSipConnection *connection,
                                  gboolean         sent,
                                  const char      *text,
                                  gsize            length,
                                  gpointer         user_data);

/* Called with a remark for the trace (in words, not protocol bytes). */
typedef void (*SdSipNoteFunc) (SdSipConnection *connection,
                               const char      *note,
                               gpointer         user_data);

/* @server_name is checked against the certificate (TLS). */
SdSipConnection *sd_sip_connection_new (SdTransport         transport,
                                        GInetSocketAddress *peer,
                                        const char         *server_name,
                                        guint               timeout_s);
/* Reuse a TLS connection another step made and verified; @trusted is its verdict. */
void         sd_sip_connection_adopt_stream (SdSipConnection *self,
                                             GIOStream       *stream,
                                             gboolean         trusted);
/* Extra trusted CAs for a TLS connection this object opens itself. */
void         sd_sip_connection_set_ca_file (SdSipConnection *self, const char *ca_file);
/* The run's trust store, used for a TLS connection this object opens once
 * its thread has parsed it; without one, each verdict parses its own (in a
 * thread, off the main loop). */
void         sd_sip_connection_set_trust_loader (SdSipConnection  *self,
                                                 SdTlsTrustLoader *loader);
/* For a connection that never carries credentials: its certificate is not
 * judged at all (and the connection never counts as trusted). */
void         sd_sip_connection_set_unverified (SdSipConnection *self);
void         sd_sip_connection_set_message_func (SdSipConnection  *self,
                                                 SdSipMessageFunc  func,
                                                 gpointer          user_data);
void         sd_sip_connection_set_note_func (SdSipConnection *self,
                                              SdSipNoteFunc    func,
                                              gpointer         user_data);

/* Connects (TCP/TLS, with the handshake) or binds (UDP). Does nothing
 * when already open. The connect and the handshake together get the
 * timeout, counted from the start (G_IO_ERROR_TIMED_OUT); see
 * sd_sip_connection_get_open_failure() for where it failed. */
void         sd_sip_connection_open_async  (SdSipConnection     *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean     sd_sip_connection_open_finish (SdSipConnection  *self,
                                            GAsyncResult     *result,
                                            GError          **error);

/* Sends @request (its top Via branch and CSeq identify the transaction),
 * retransmits over UDP (timer E), and returns the final response. Fails
 * with G_IO_ERROR_TIMED_OUT when nothing final came within the timeout
 * (timer F, bounded by it), SD_SIP_ERROR_MALFORMED for bytes that are not
 * SIP, G_IO_ERROR_CONNECTION_CLOSED when a stream ends. A TCP/TLS stream
 * found closed before sending is reopened once. */
void          sd_sip_connection_request_async  (SdSipConnection     *self,
                                                const SdSipMessage  *request,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
SdSipMessage *sd_sip_connection_request_finish (SdSipConnection  *self,
                                                GAsyncResult     *result,
                                                GError          **error);

/* How long a keep-alive ping waits for its pong, at most. */
#define SD_SIP_PING_WAIT_MS 2000

/* TCP/TLS, when open and no transaction runs: a CRLFCRLF keep-alive ping
 * (RFC 5626). TRUE when a CRLF pong came, FALSE when something else did;
 * G_IO_ERROR_TIMED_OUT when nothing came within the timeout (at most
 * SD_SIP_PING_WAIT_MS). */
void         sd_sip_connection_ping_async  (SdSipConnection     *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean     sd_sip_connection_ping_finish (SdSipConnection  *self,
                                            GAsyncResult     *result,
                                            GError          **error);

SdTransport  sd_sip_connection_get_transport (SdSipConnection *self);
/* "udp", "tcp", "tls": for Via. */
const char  *sd_sip_connection_get_via_transport (SdSipConnection *self);
/* Local "IP:port" once open (for Via and Contact); "[v6]:port" for IPv6. */
const char  *sd_sip_connection_get_local (SdSipConnection *self);
/* Peer "IP:port". */
const char  *sd_sip_connection_get_peer (SdSipConnection *self);
/* TLS: whether credentials may be sent; the certificate problems in words
 * (NULL when none). Non-TLS: FALSE / NULL. */
gboolean     sd_sip_connection_get_tls_trusted (SdSipConnection *self);
const char  *sd_sip_connection_get_tls_problem (SdSipConnection *self);
/* TLS, once open: the server's certificate (borrowed), else NULL. */
GTlsCertificate *sd_sip_connection_get_peer_certificate (SdSipConnection *self);
gboolean     sd_sip_connection_is_open (SdSipConnection *self);
SdSipOpenFailure sd_sip_connection_get_open_failure (SdSipConnection *self);
gboolean     sd_sip_connection_is_reused (SdSipConnection *self);
void         sd_sip_connection_close (SdSipConnection *self);

G_END_DECLS
