/* sd-sip-connection.c: SIP over UDP (with retransmissions), TCP and TLS.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-connection"

#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <glib/gi18n-lib.h>
#include "sd-sip-connection.h"
#include "sd-tls-verify.h"
#include "sd-deadline.h"

#define READ_CHUNK       16384
/* Bytes that did not parse are shown in the trace up to this many. */
#define TRACE_GARBAGE    4096
/* A peer streaming messages that answer nothing would otherwise fill
 * the trace as fast as it sends: this many per transaction are shown. */
#define MAX_IGNORED_SHOWN 20
/* Timer F: a non-INVITE transaction gives up after 64*T1. */
#define SD_SIP_TIMER_F_MS (64 * SD_SIP_T1_MS)

struct _SdSipConnection {
  GObject             parent_instance;
  SdTransport         transport;
  GInetSocketAddress *peer;
  char               *peer_text;
  char               *server_name;
  char               *local_text;
  guint               timeout_s;
  char               *ca_file;
  SdTlsTrustLoader   *trust_loader;
  gboolean            unverified;  /* never judge the certificate */

  GSocket            *udp;
  GIOStream          *stream;
  gboolean            reused;
  gboolean            trusted;
  GTlsCertificateFlags tls_errors;
  char               *tls_problem;
  SdSipOpenFailure    open_failure;

  GByteArray         *buffer;     /* stream bytes read but not parsed yet */
  guint8             *chunk;
  gboolean            busy;

  SdSipMessageFunc    message_func;
  gpointer            message_data;
  SdSipNoteFunc       note_func;
  gpointer            note_data;
};

G_DEFINE_FINAL_TYPE (SdSipConnection, sd_sip_connection, G_TYPE_OBJECT)

static void
sd_sip_connection_finalize (GObject *object)
{
  SdSipConnection *self = SD_SIP_CONNECTION (object);

  sd_sip_connection_close (self);
  g_clear_object (&self->peer);
  g_clear_pointer (&self->trust_loader, sd_tls_trust_loader_unref);
  g_free (self->peer_text);
  g_free (self->server_name);
  g_free (self->local_text);
  g_free (self->ca_file);
  g_free (self->tls_problem);
  g_byte_array_unref (self->buffer);
  g_free (self->chunk);
  G_OBJECT_CLASS (sd_sip_connection_parent_class)->finalize (object);
}

static void
sd_sip_connection_class_init (SdSipConnectionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sd_sip_connection_finalize;
}

static void
sd_sip_connection_init (SdSipConnection *self)
{
  self->buffer = g_byte_array_new ();
  self->chunk = g_malloc (READ_CHUNK);
}

static char *
address_to_text (GSocketAddress *address)
{
  GInetSocketAddress *isa;
  g_autofree char *ip = NULL;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("sip-doctor.invalid");
  isa = G_INET_SOCKET_ADDRESS (address);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (isa));
  if (g_inet_address_get_family (g_inet_socket_address_get_address (isa)) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (isa));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (isa));
}

SdSipConnection *
sd_sip_connection_new (SdTransport         transport,
                       GInetSocketAddress *peer,
                       const char         *server_name,
                       guint               timeout_s)
{
  SdSipConnection *self = g_object_new (SD_TYPE_SIP_CONNECTION, NULL);

  g_return_val_if_fail (transport != SD_TRANSPORT_AUTO, NULL);
  self->transport = transport;
  self->peer = g_object_ref (peer);
  self->peer_text = address_to_text (G_SOCKET_ADDRESS (peer));
  self->server_name = g_strdup (server_name);
  self->timeout_s = MAX (timeout_s, 1);
  return self;
}

static void
set_local_from_stream (SdSipConnection *self, GIOStream *stream)
{
  g_autoptr(GIOStream) base = NULL;
  GIOStream *s = stream;

  if (G_IS_TLS_CONNECTION (stream))
    {
      g_object_get (stream, "base-io-stream", &base, NULL);
      s = base;
    }
  g_clear_pointer (&self->local_text, g_free);
  if (G_IS_SOCKET_CONNECTION (s))
    {
      g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (G_SOCKET_CONNECTION (s), NULL);
      if (local != NULL)
        self->local_text = address_to_text (local);
    }
  if (self->local_text == NULL)
    self->local_text = g_strdup ("sip-doctor.invalid");
}

void
sd_sip_connection_adopt_stream (SdSipConnection *self, GIOStream *stream, gboolean trusted)
{
  g_return_if_fail (SD_IS_SIP_CONNECTION (self) && G_IS_IO_STREAM (stream));

  g_clear_object (&self->stream);
  self->stream = g_object_ref (stream);
  self->reused = TRUE;
  self->trusted = trusted;
  g_byte_array_set_size (self->buffer, 0);
  set_local_from_stream (self, stream);
}

void
sd_sip_connection_set_ca_file (SdSipConnection *self, const char *ca_file)
{
  g_free (self->ca_file);
  self->ca_file = g_strdup (ca_file);
}

void
sd_sip_connection_set_trust_loader (SdSipConnection *self, SdTlsTrustLoader *loader)
{
  if (loader != NULL)
    sd_tls_trust_loader_ref (loader);
  g_clear_pointer (&self->trust_loader, sd_tls_trust_loader_unref);
  self->trust_loader = loader;
}

void
sd_sip_connection_set_unverified (SdSipConnection *self)
{
  self->unverified = TRUE;
}

void
sd_sip_connection_set_message_func (SdSipConnection  *self,
                                    SdSipMessageFunc  func,
                                    gpointer          user_data)
{
  self->message_func = func;
  self->message_data = user_data;
}

void
sd_sip_connection_set_note_func (SdSipConnection *self,
                                 SdSipNoteFunc    func,
                                 gpointer         user_data)
{
  self->note_func = func;
  self->note_data = user_data;
}

SdTransport
sd_sip_connection_get_transport (SdSipConnection *self)
{
  return self->transport;
}

const char *
sd_sip_connection_get_via_transport (SdSipConnection *self)
{
  switch (self->transport)
    {
    case SD_TRANSPORT_UDP: return "UDP";
    case SD_TRANSPORT_TCP: return "TCP";
    case SD_TRANSPORT_TLS: return "TLS";
    case SD_TRANSPORT_AUTO:
    default: return "UDP";
    }
}

const char *
sd_sip_connection_get_local (SdSipConnection *self)
{
  return self->local_text != NULL ? self->local_text : "sip-doctor.invalid";
}

const char *
sd_sip_connection_get_peer (SdSipConnection *self)
{
  return self->peer_text;
}

gboolean
sd_sip_connection_get_tls_trusted (SdSipConnection *self)
{
  return self->transport == SD_TRANSPORT_TLS && self->trusted;
}

const char *
sd_sip_connection_get_tls_problem (SdSipConnection *self)
{
  return self->tls_problem;
}

GTlsCertificate *
sd_sip_connection_get_peer_certificate (SdSipConnection *self)
{
  if (self->transport != SD_TRANSPORT_TLS || self->stream == NULL || !G_IS_TLS_CONNECTION (self->stream))
    return NULL;
  return g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (self->stream));
}

gboolean
sd_sip_connection_is_open (SdSipConnection *self)
{
  return self->udp != NULL || (self->stream != NULL && !g_io_stream_is_closed (self->stream));
}

SdSipOpenFailure
sd_sip_connection_get_open_failure (SdSipConnection *self)
{
  return self->open_failure;
}

gboolean
sd_sip_connection_is_reused (SdSipConnection *self)
{
  return self->reused;
}

void
sd_sip_connection_close (SdSipConnection *self)
{
  if (self->udp != NULL)
    {
      g_socket_close (self->udp, NULL);
      g_clear_object (&self->udp);
    }
  if (self->stream != NULL)
    {
      /* A reused stream belongs to the TLS step too: leave it open. */
      if (!self->reused)
        g_io_stream_close (self->stream, NULL, NULL);
      g_clear_object (&self->stream);
    }
  g_byte_array_set_size (self->buffer, 0);
}

static void
emit_message (SdSipConnection *self, gboolean sent, const char *text, gsize length)
{
  if (self->message_func != NULL)
    self->message_func (self, sent, text, length, self->message_data);
}

/* Bytes that are not SIP go to the trace as text a person (and any JSON
 * writer) can take: control characters other than line ends and tabs are
 * shown as \xNN, and only the first few KiB. */
static void
emit_garbage (SdSipConnection *self, const guint8 *data, gsize length)
{
  g_autoptr(GString) text = g_string_sized_new (MIN (length, TRACE_GARBAGE) + 64);
  gsize shown = MIN (length, TRACE_GARBAGE);

  for (gsize i = 0; i < shown; i++)
    {
      guint8 c = data[i];
      if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
        g_string_append_printf (text, "\\x%02x", c);
      else
        g_string_append_c (text, (char) c);
    }
  if (length > shown)
    g_string_append_printf (text, "\n[… %" G_GSIZE_FORMAT " more bytes not shown]", length - shown);
  emit_message (self, FALSE, text->str, text->len);
}

/* --- opening ---------------------------------------------------------- */

/* The handshake takes any certificate: the verdict comes after it, from
 * our own checks in a thread (see judge_certificate), and credentials go
 * only over a connection they trust. */
static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  return TRUE;
}

/* The checks' verdict as certificate flags, for sd_tls_flags_describe(). */
static GTlsCertificateFlags
verdict_flags (const SdTlsVerifyResult *v, gint64 now)
{
  GTlsCertificateFlags flags = 0;

  if (!v->trust_ok)
    flags |= G_TLS_CERTIFICATE_UNKNOWN_CA;
  if (v->weak_algorithm)
    flags |= G_TLS_CERTIFICATE_INSECURE;
  if (!v->name_ok)
    flags |= G_TLS_CERTIFICATE_BAD_IDENTITY;
  if (v->revoked)
    flags |= G_TLS_CERTIFICATE_REVOKED;
  if (!v->validity_ok)
    {
      GTlsCertificateFlags when = 0;
      for (guint i = 0; v->path != NULL && i < v->path->len; i++)
        {
          const SdCertInfo *c = v->path->pdata[i];
          if (c->not_after >= 0 && now > c->not_after)
            when |= G_TLS_CERTIFICATE_EXPIRED;
          else if (c->not_before >= 0 && now < c->not_before)
            when |= G_TLS_CERTIFICATE_NOT_ACTIVATED;
        }
      flags |= when != 0 ? when : G_TLS_CERTIFICATE_EXPIRED;
    }
  return flags;
}

/* The checks' flags say every reason: trusted is none of them. */
static void
set_verdict (SdSipConnection *self, GTlsCertificateFlags errors)
{
  self->tls_errors = errors;
  self->trusted = errors == 0;
  g_clear_pointer (&self->tls_problem, g_free);
  if (!self->trusted)
    self->tls_problem = sd_tls_flags_describe (errors);
}

static void
verified_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SdSipConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  SdTlsVerifyResult *v = sd_tls_verify_finish (result, &error);

  if (v == NULL)
    {
      g_clear_object (&self->stream);
      g_task_return_error (task, error);
      return;
    }
  set_verdict (self, verdict_flags (v, g_get_real_time () / G_USEC_PER_SEC));
  sd_tls_verify_result_free (v);
  g_task_return_boolean (task, TRUE);
}

/* The same checks as the tls step's, on the name this connection was made
 * for, with the run's trust store once its thread has parsed it (the
 * thread parses its own without one): no certificate work on the main
 * loop, and no second copy of the system store. */
static void
judge_certificate (GTask *task, SdTlsTrust *trust)
{
  SdSipConnection *self = g_task_get_source_object (task);
  GTlsCertificate *peer = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (self->stream));
  g_autoptr(GPtrArray) chain = NULL;
  SdTlsVerifyInput input = { 0 };

  if (peer == NULL)
    {
      set_verdict (self, G_TLS_CERTIFICATE_UNKNOWN_CA);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  chain = sd_cert_info_chain_from_tls (peer, 16, self->server_name);
  input.chain = chain;
  input.server_name = self->server_name;
  input.name_rule = SD_TLS_NAME_RULE_CONFIGURED_SERVER;
  input.ca_file = self->ca_file;
  input.trust = trust;
  input.now = g_get_real_time () / G_USEC_PER_SEC;
  input.protocol = g_tls_connection_get_protocol_version (G_TLS_CONNECTION (self->stream));
  sd_tls_verify_async (&input, g_task_get_cancellable (task), verified_cb, task);
}

static void
trust_ready_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  g_autoptr(SdTlsTrust) trust = sd_tls_trust_loader_wait_finish (result);

  judge_certificate (task, trust);
}

static void
handshake_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SdSipConnection *self = g_task_get_source_object (task);
  SdDeadline *deadline = g_task_get_task_data (task);
  GError *error = NULL;

  sd_deadline_stop (deadline);
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !sd_deadline_expired (deadline))
        {
          g_task_return_error (task, error);
          return;
        }
      if (sd_deadline_translate_error (deadline, &error,
                                       _("The TLS handshake with %s did not complete within %u seconds."),
                                       self->peer_text, self->timeout_s))
        self->open_failure = SD_SIP_OPEN_FAILURE_HANDSHAKE_TIMEOUT;
      else
        self->open_failure = SD_SIP_OPEN_FAILURE_HANDSHAKE;
      g_task_return_error (task, error);
      return;
    }
  self->stream = g_object_ref (G_IO_STREAM (source));
  set_local_from_stream (self, self->stream);
  if (self->unverified)
    {
      self->trusted = FALSE;
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* The run's store is seldom still being parsed by now. */
  if (self->trust_loader != NULL && !sd_tls_trust_loader_is_done (self->trust_loader))
    {
      sd_tls_trust_loader_wait_async (self->trust_loader, NULL, trust_ready_cb, g_steal_pointer (&task));
      return;
    }
  judge_certificate (g_steal_pointer (&task),
                     self->trust_loader != NULL ? sd_tls_trust_loader_peek (self->trust_loader) : NULL);
}

static void
connect_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SdSipConnection *self;
  GError *error = NULL;
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocketConnectable) identity = NULL;
  SdDeadline *deadline = g_task_get_task_data (task);

  self = g_task_get_source_object (task);
  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || sd_deadline_expired (deadline))
        {
          self->open_failure = SD_SIP_OPEN_FAILURE_CONNECT;
          if (sd_deadline_translate_error (deadline, &error, _("%s did not accept a connection within %u seconds."),
                                           self->peer_text, self->timeout_s))
            self->open_failure = SD_SIP_OPEN_FAILURE_CONNECT_TIMEOUT;
        }
      g_task_return_error (task, error);
      return;
    }
  if (self->transport == SD_TRANSPORT_TCP)
    {
      sd_deadline_stop (deadline);
      self->stream = G_IO_STREAM (g_steal_pointer (&connection));
      set_local_from_stream (self, self->stream);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* As in the tls step: without it the handshake's split last flight
   * waits for the server's delayed ACK, and the first request with it. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  identity = g_network_address_new (self->server_name, g_inet_socket_address_get_port (self->peer));
  /* No GTlsDatabase: glib-networking's default one parses the whole
   * system store on the main loop (twice, 20-40 ms) for each connection. */
  tls = G_IO_STREAM (g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                                     NULL, &error,
                                     "base-io-stream", connection,
                                     "server-identity", identity,
                                     "database", NULL,
                                     NULL));
  if (tls == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  self->tls_errors = 0;
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_certificate_cb), self);
  /* The same deadline as the connection: both together get the timeout. */
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, G_CANCELLABLE (deadline),
                                    handshake_cb, g_steal_pointer (&task));
}

void
sd_sip_connection_open_async (SdSipConnection     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, sd_sip_connection_open_async);
  self->open_failure = SD_SIP_OPEN_FAILURE_NONE;

  if (self->udp != NULL || self->stream != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (self->transport == SD_TRANSPORT_UDP)
    {
      GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (self->peer));
      g_autoptr(GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
                                                G_SOCKET_PROTOCOL_UDP, &error);
      g_autoptr(GSocketAddress) local = NULL;

      /* A connected UDP socket learns of a closed port (ICMP) and has a
       * local address to put in Via. */
      if (socket == NULL || !g_socket_connect (socket, G_SOCKET_ADDRESS (self->peer), NULL, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      g_socket_set_blocking (socket, FALSE);
      local = g_socket_get_local_address (socket, &error);
      if (local == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      g_free (self->local_text);
      self->local_text = address_to_text (local);
      self->udp = g_steal_pointer (&socket);
      g_task_return_boolean (task, TRUE);
      return;
    }

  {
    g_autoptr(GSocketClient) client = g_socket_client_new ();
    /* From the start of the connect to the end of the handshake: the
     * socket's own timeout is reset by every byte a peer trickles. */
    SdDeadline *deadline = sd_deadline_new (self->timeout_s * 1000, cancellable);

    g_task_set_task_data (task, deadline, g_object_unref);
    self->reused = FALSE;
    self->trusted = FALSE;
    g_byte_array_set_size (self->buffer, 0);
    g_socket_client_set_timeout (client, self->timeout_s);
    /* A SIP client connects to the server itself: a desktop's HTTP or
     * SOCKS proxy is not on its path (and finding out costs a GSettings
     * and libproxy load on the main loop). */
    g_socket_client_set_enable_proxy (client, FALSE);
    g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (self->peer), G_CANCELLABLE (deadline),
                                   connect_cb, g_steal_pointer (&task));
  }
}

gboolean
sd_sip_connection_open_finish (SdSipConnection  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- transactions ----------------------------------------------------- */

typedef struct {
  char         *wire;
  gsize         wire_len;
  char         *branch;
  char         *method;
  guint32       cseq;
  GCancellable *op_cancel;   /* an SdDeadline: the timeout, chained to the caller's */
  GSource      *retransmit;
  GSource      *readable;
  guint         interval_ms;
  guint         ignored;     /* messages that matched no transaction */
  gboolean      reopened;
  gboolean      got_bytes;
  gboolean      done;
} Transaction;

static void
transaction_free (Transaction *t)
{
  if (t->retransmit != NULL)
    {
      g_source_destroy (t->retransmit);
      g_source_unref (t->retransmit);
    }
  if (t->readable != NULL)
    {
      g_source_destroy (t->readable);
      g_source_unref (t->readable);
    }
  g_clear_object (&t->op_cancel);
  g_free (t->wire);
  g_free (t->branch);
  g_free (t->method);
  g_free (t);
}

static void
transaction_stop_sources (Transaction *t)
{
  GSource **sources[] = { &t->retransmit, &t->readable };

  sd_deadline_stop (SD_DEADLINE (t->op_cancel));
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    if (*sources[i] != NULL)
      {
        g_source_destroy (*sources[i]);
        g_source_unref (*sources[i]);
        *sources[i] = NULL;
      }
}

/* Ends the task exactly once and drops the reference the transaction
 * held since it began; callers that hold their own keep it. */
static void
transaction_return (GTask *task, SdSipMessage *response, GError *error)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  if (t->done)
    {
      g_clear_pointer (&response, sd_sip_message_free);
      g_clear_error (&error);
      return;
    }
  t->done = TRUE;
  self->busy = FALSE;
  transaction_stop_sources (t);

  sd_deadline_translate_error (SD_DEADLINE (t->op_cancel), &error,
                               _("No final answer came within %u seconds."), self->timeout_s);
  if (error != NULL)
    {
      /* A stream in an unknown state is not reused for the next request. */
      if (self->transport != SD_TRANSPORT_UDP && self->stream != NULL)
        sd_sip_connection_close (self);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, response, (GDestroyNotify) sd_sip_message_free);
  g_object_unref (task);
}

/* Whether @response answers the transaction (RFC 3261 §17.1.3). */
static gboolean
response_matches (const Transaction *t, const SdSipMessage *response)
{
  const char *via = sd_sip_message_get_header (response, "Via");
  const char *cseq = sd_sip_message_get_header (response, "CSeq");
  g_auto(GStrv) vias = NULL;
  g_autofree char *branch = NULL, *method = NULL;
  guint32 number;

  if (response->is_request || via == NULL || cseq == NULL)
    return FALSE;
  vias = sd_sip_split_list (via);
  if (vias[0] == NULL)
    return FALSE;
  branch = sd_sip_header_param (vias[0], "branch");
  if (branch == NULL || g_strcmp0 (branch, t->branch) != 0)
    return FALSE;
  if (!sd_sip_parse_cseq (cseq, &number, &method))
    return FALSE;
  return number == t->cseq && g_ascii_strcasecmp (method, t->method) == 0;
}

/* Handles one parsed response (@text, its bytes, goes to the trace);
 * TRUE when the transaction is over. */
static gboolean
handle_response (GTask *task, SdSipMessage *response, const char *text, gsize length)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  if (!response_matches (t, response))
    {
      t->ignored++;
      if (t->ignored <= MAX_IGNORED_SHOWN)
        emit_message (self, FALSE, text, length);
      else if (t->ignored == MAX_IGNORED_SHOWN + 1 && self->note_func != NULL)
        {
          g_autofree char *note = g_strdup_printf (
            _("%s keeps sending messages that answer no request of this check: after %u of them, "
              "further ones are not shown."), self->peer_text, MAX_IGNORED_SHOWN);
          self->note_func (self, note, self->note_data);
        }
      sd_sip_message_free (response);
      return FALSE;
    }
  emit_message (self, FALSE, text, length);
  if (response->status < 200)
    {
      /* Provisional: stop fast retransmissions (Timer E goes to T2). */
      t->interval_ms = SD_SIP_T2_MS;
      sd_sip_message_free (response);
      return FALSE;
    }
  transaction_return (task, response, NULL);
  return TRUE;
}

/* UDP */

static gboolean udp_retransmit_cb (gpointer user_data);

static void
udp_schedule_retransmit (GTask *task)
{
  Transaction *t = g_task_get_task_data (task);

  if (t->retransmit != NULL)
    {
      g_source_destroy (t->retransmit);
      g_source_unref (t->retransmit);
    }
  t->retransmit = g_timeout_source_new (t->interval_ms);
  g_source_set_callback (t->retransmit, udp_retransmit_cb, task, NULL);
  g_source_attach (t->retransmit, g_main_context_get_thread_default ());
}

static gboolean
udp_send (GTask *task)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (g_socket_send (self->udp, t->wire, t->wire_len, NULL, &error) < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          return TRUE;  /* the next retransmission will try again */
        }
      transaction_return (task, NULL, error);
      return FALSE;
    }
  emit_message (self, TRUE, t->wire, t->wire_len);
  return TRUE;
}

static gboolean
udp_retransmit_cb (gpointer user_data)
{
  GTask *task = user_data;
  Transaction *t = g_task_get_task_data (task);

  if (t->done)
    return G_SOURCE_REMOVE;
  if (!udp_send (task))
    return G_SOURCE_REMOVE;
  t->interval_ms = MIN (t->interval_ms * 2, SD_SIP_T2_MS);
  udp_schedule_retransmit (task);
  return G_SOURCE_REMOVE;
}

static gboolean
udp_readable_cb (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  GTask *task = user_data;
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  if (g_cancellable_is_cancelled (t->op_cancel))
    {
      GError *error = NULL;
      g_cancellable_set_error_if_cancelled (t->op_cancel, &error);
      transaction_return (task, NULL, error);
      return G_SOURCE_REMOVE;
    }

  /* Bounded: each datagram is at most 64 KiB, read into a fixed buffer. */
  for (guint n = 0; n < 64; n++)
    {
      g_autofree guint8 *buf = g_malloc (SD_SIP_MAX_MESSAGE + 1);
      GError *error = NULL;
      gssize got = g_socket_receive (socket, (char *) buf, SD_SIP_MAX_MESSAGE + 1, NULL, &error);
      SdSipMessage *response = NULL;

      if (got < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_clear_error (&error);
              return G_SOURCE_CONTINUE;
            }
          transaction_return (task, NULL, error);
          return G_SOURCE_REMOVE;
        }
      t->got_bytes = TRUE;
      if ((gsize) got > SD_SIP_MAX_MESSAGE)
        {
          emit_garbage (self, buf, (gsize) got);
          g_set_error_literal (&error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED,
                               _("The server sent a datagram longer than 64 KiB."));
          transaction_return (task, NULL, error);
          return G_SOURCE_REMOVE;
        }
      if (sd_sip_message_parse ((const char *) buf, (gsize) got, FALSE, NULL, &response, &error)
          != SD_SIP_PARSE_OK)
        {
          emit_garbage (self, buf, (gsize) got);
          transaction_return (task, NULL, error);
          return G_SOURCE_REMOVE;
        }
      if (handle_response (task, response, (const char *) buf, (gsize) got))
        return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
udp_start (GTask *task)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  t->interval_ms = SD_SIP_T1_MS;
  t->readable = g_socket_create_source (self->udp, G_IO_IN | G_IO_ERR, t->op_cancel);
  g_source_set_callback (t->readable, (GSourceFunc) (void (*) (void)) udp_readable_cb, task, NULL);
  g_source_attach (t->readable, g_main_context_get_thread_default ());
  if (udp_send (task))
    udp_schedule_retransmit (task);
}

/* TCP and TLS */

static void stream_read (GTask *task);
static void stream_send (GTask *task);

/* Parses what is buffered; TRUE when the transaction is over. */
static gboolean
stream_parse_buffer (GTask *task)
{
  SdSipConnection *self = g_task_get_source_object (task);

  while (self->buffer->len > 0)
    {
      SdSipMessage *response = NULL;
      GError *error = NULL;
      gsize consumed = 0;
      gboolean done;
      SdSipParseResult r = sd_sip_message_parse ((const char *) self->buffer->data, self->buffer->len,
                                                 TRUE, &consumed, &response, &error);

      if (r == SD_SIP_PARSE_INCOMPLETE)
        return FALSE;
      if (r == SD_SIP_PARSE_ERROR)
        {
          emit_garbage (self, self->buffer->data, self->buffer->len);
          g_byte_array_set_size (self->buffer, 0);
          transaction_return (task, NULL, error);
          return TRUE;
        }
      done = handle_response (task, response, (const char *) self->buffer->data, consumed);
      g_byte_array_remove_range (self->buffer, 0, (guint) consumed);
      if (done)
        return TRUE;
    }
  return FALSE;
}

static void
reopen_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!sd_sip_connection_open_finish (SD_SIP_CONNECTION (source), result, &error))
    {
      transaction_return (task, NULL, error);
      g_object_unref (task);
      return;
    }
  stream_send (task);
  g_object_unref (task);
}

/* The server closed a connection before answering: open a fresh one, once. */
static gboolean
try_reopen (GTask *task)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  if (t->reopened || t->got_bytes || g_cancellable_is_cancelled (t->op_cancel))
    return FALSE;
  t->reopened = TRUE;
  g_debug ("Connection to %s closed; opening a new one", self->peer_text);
  sd_sip_connection_close (self);
  self->reused = FALSE;
  sd_sip_connection_open_async (self, t->op_cancel, reopen_cb, g_object_ref (task));
  return TRUE;
}

static void
stream_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize got = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (got < 0)
    {
      transaction_return (task, NULL, error);
      g_object_unref (task);
      return;
    }
  if (got == 0)
    {
      if (self->buffer->len > 0)
        {
          emit_garbage (self, self->buffer->data, self->buffer->len);
          g_byte_array_set_size (self->buffer, 0);
          g_set_error_literal (&error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED,
                               _("The server closed the connection in the middle of a message."));
          transaction_return (task, NULL, error);
          g_object_unref (task);
          return;
        }
      if (try_reopen (task))
        {
          g_object_unref (task);
          return;
        }
      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                           _("The server closed the connection without answering."));
      transaction_return (task, NULL, error);
      g_object_unref (task);
      return;
    }
  t->got_bytes = TRUE;
  g_byte_array_append (self->buffer, self->chunk, (guint) got);
  if (!stream_parse_buffer (task))
    stream_read (task);
  g_object_unref (task);
}

static void
stream_read (GTask *task)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  g_input_stream_read_async (g_io_stream_get_input_stream (self->stream), self->chunk, READ_CHUNK,
                             G_PRIORITY_DEFAULT, t->op_cancel, stream_read_cb, g_object_ref (task));
}

static void
stream_write_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if ((g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
          && try_reopen (task))
        {
          g_error_free (error);
          g_object_unref (task);
          return;
        }
      transaction_return (task, NULL, error);
      g_object_unref (task);
      return;
    }
  emit_message (self, TRUE, t->wire, t->wire_len);
  if (!stream_parse_buffer (task))
    stream_read (task);
  g_object_unref (task);
}

static void
stream_send (GTask *task)
{
  Transaction *t = g_task_get_task_data (task);
  SdSipConnection *self = g_task_get_source_object (task);

  if (self->stream == NULL || g_io_stream_is_closed (self->stream))
    {
      if (try_reopen (task))
        return;
      {
        GError *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CLOSED,
                                             _("The connection is closed."));
        transaction_return (task, NULL, error);
        return;
      }
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream), t->wire, t->wire_len,
                                   G_PRIORITY_DEFAULT, t->op_cancel, stream_write_cb, g_object_ref (task));
}

void
sd_sip_connection_request_async (SdSipConnection     *self,
                                 const SdSipMessage  *request,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  const char *via = sd_sip_message_get_header (request, "Via");
  const char *cseq = sd_sip_message_get_header (request, "CSeq");
  GTask *task;
  Transaction *t;
  guint timeout_ms;

  g_return_if_fail (SD_IS_SIP_CONNECTION (self));
  g_return_if_fail (request->is_request && via != NULL && cseq != NULL);
  g_return_if_fail (!self->busy);

  task = g_task_new (self, cancellable, callback, user_data);
  t = g_new0 (Transaction, 1);
  g_task_set_source_tag (task, sd_sip_connection_request_async);
  g_task_set_task_data (task, t, (GDestroyNotify) transaction_free);

  t->wire = sd_sip_message_to_string (request, &t->wire_len);
  t->branch = sd_sip_header_param (via, "branch");
  if (!sd_sip_parse_cseq (cseq, &t->cseq, &t->method))
    t->method = g_strdup (request->method);
  /* Timer F (64*T1) bounds a transaction; the person's timeout bounds it more. */
  timeout_ms = MIN (self->timeout_s * 1000, (guint) SD_SIP_TIMER_F_MS);
  if (self->transport != SD_TRANSPORT_UDP)
    timeout_ms = self->timeout_s * 1000;
  t->op_cancel = G_CANCELLABLE (sd_deadline_new (timeout_ms, cancellable));

  self->busy = TRUE;
  if (g_cancellable_is_cancelled (t->op_cancel))
    {
      GError *error = NULL;
      g_cancellable_set_error_if_cancelled (t->op_cancel, &error);
      transaction_return (task, NULL, error);
      return;
    }

  if (self->transport == SD_TRANSPORT_UDP)
    {
      if (self->udp == NULL)
        {
          transaction_return (task, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                                                               _("The connection is not open.")));
          return;
        }
      udp_start (task);
      /* The sources hold the task pointer; the task lives until transaction_return. */
      return;
    }
  stream_send (task);
}

SdSipMessage *
sd_sip_connection_request_finish (SdSipConnection  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- keep-alive ping (RFC 5626 §3.5.1, §4.4.1) ---------------------------
 *
 * A CRLFCRLF ping on a stream, which a server that supports outbound
 * answers with a CRLF pong. Anything else that comes stays in the buffer
 * for the next transaction, so a late answer is not lost. */

typedef struct {
  SdDeadline *deadline;
} Ping;

static void
ping_free (Ping *p)
{
  sd_deadline_stop (p->deadline);
  g_object_unref (p->deadline);
  g_free (p);
}

static void
ping_return (GTask *task, gboolean pong, GError *error)
{
  SdSipConnection *self = g_task_get_source_object (task);
  Ping *p = g_task_get_task_data (task);

  self->busy = FALSE;
  if (error != NULL)
    {
      sd_deadline_translate_error (p->deadline, &error,
                                   _("%s did not answer a keep-alive ping within %u seconds."),
                                   self->peer_text, MIN (self->timeout_s, SD_SIP_PING_WAIT_MS / 1000));
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, pong);
  g_object_unref (task);
}

static void
ping_read_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SdSipConnection *self = g_task_get_source_object (task);
  GError *error = NULL;
  gssize got = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (got < 0)
    {
      ping_return (task, FALSE, error);
      return;
    }
  if (got == 0)
    {
      ping_return (task, FALSE, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                                     _("The server closed the connection after a "
                                                       "keep-alive ping.")));
      return;
    }
  if (self->chunk[0] == '\r' || self->chunk[0] == '\n')
    {
      gssize skip = 0;

      while (skip < got && (self->chunk[skip] == '\r' || self->chunk[skip] == '\n'))
        skip++;
      if (self->note_func != NULL)
        self->note_func (self, _("Received a keep-alive pong (CRLF, RFC 5626)."), self->note_data);
      g_byte_array_append (self->buffer, self->chunk + skip, (guint) (got - skip));
      ping_return (task, TRUE, NULL);
      return;
    }
  g_byte_array_append (self->buffer, self->chunk, (guint) got);
  ping_return (task, FALSE, NULL);
}

static void
ping_write_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  SdSipConnection *self = g_task_get_source_object (task);
  Ping *p = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      ping_return (task, FALSE, error);
      return;
    }
  if (self->note_func != NULL)
    self->note_func (self, _("Sent a keep-alive ping (CRLF CRLF, RFC 5626)."), self->note_data);
  g_input_stream_read_async (g_io_stream_get_input_stream (self->stream), self->chunk, READ_CHUNK,
                             G_PRIORITY_DEFAULT, G_CANCELLABLE (p->deadline), ping_read_cb, task);
}

void
sd_sip_connection_ping_async (SdSipConnection     *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  Ping *p;

  g_return_if_fail (SD_IS_SIP_CONNECTION (self));
  g_return_if_fail (!self->busy);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sd_sip_connection_ping_async);
  if (self->stream == NULL || g_io_stream_is_closed (self->stream))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, _("The connection is not open."));
      g_object_unref (task);
      return;
    }
  p = g_new0 (Ping, 1);
  /* A server that supports RFC 5626 answers at once; one that does not
   * never will, and should not cost the whole timeout. */
  p->deadline = sd_deadline_new (MIN (self->timeout_s * 1000, SD_SIP_PING_WAIT_MS), cancellable);
  g_task_set_task_data (task, p, (GDestroyNotify) ping_free);
  self->busy = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream), "\r\n\r\n", 4,
                                   G_PRIORITY_DEFAULT, G_CANCELLABLE (p->deadline), ping_write_cb, task);
}

gboolean
sd_sip_connection_ping_finish (SdSipConnection  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
