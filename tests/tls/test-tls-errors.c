/* test-tls-errors.c: how glib-networking's handshake errors are read
 * (sd-tls-errors.c): a table of errors worded as glib-networking words
 * them, then real handshakes against small misbehaving peers on loopback,
 * so a change of its wording fails here rather than in the field.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "test-tls-errors"

#include <errno.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include "sd-tls-errors.h"

typedef struct {
  const char   *what;
  GQuark        domain;
  int           code;
  const char   *message;
  SdTlsFailure  expect;
} ErrorCase;

static void
test_table (void)
{
  g_autofree char *reset = g_strdup_printf ("Error reading data from TLS socket: %s", g_strerror (ECONNRESET));
  g_autofree char *premature = g_strdup_printf ("Error performing TLS handshake: %s",
                                                gnutls_strerror (GNUTLS_E_PREMATURE_TERMINATION));
  g_autofree char *fatal = g_strdup_printf ("Error performing TLS handshake: %s",
                                            gnutls_strerror (GNUTLS_E_FATAL_ALERT_RECEIVED));
  g_autofree char *peer_alert = g_strdup_printf (g_dgettext ("glib-networking", "Peer sent fatal TLS alert: %s"),
                                                 "Handshake failed");
  g_autofree char *unexpected = g_strdup_printf ("Error performing TLS handshake: %s",
                                                 gnutls_strerror (GNUTLS_E_UNEXPECTED_PACKET_LENGTH));
  g_autofree char *version = g_strdup_printf ("Error performing TLS handshake: %s",
                                              gnutls_strerror (GNUTLS_E_UNSUPPORTED_VERSION_PACKET));
  const ErrorCase cases[] = {
    { "certificate required", G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED, "Server required TLS certificate",
      SD_TLS_FAILURE_CERTIFICATE_REQUIRED },
    { "reset in the message", G_TLS_ERROR, G_TLS_ERROR_MISC, reset, SD_TLS_FAILURE_RESET },
    { "reset as an I/O error", G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, g_strerror (ECONNRESET),
      SD_TLS_FAILURE_RESET },
    { "end of stream", G_TLS_ERROR, G_TLS_ERROR_EOF, "TLS connection closed unexpectedly", SD_TLS_FAILURE_CLOSED },
    { "closed", G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "Connection closed", SD_TLS_FAILURE_CLOSED },
    { "broken pipe", G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "Broken pipe", SD_TLS_FAILURE_CLOSED },
    { "premature termination", G_TLS_ERROR, G_TLS_ERROR_MISC, premature, SD_TLS_FAILURE_CLOSED },
    { "peer alert", G_TLS_ERROR, G_TLS_ERROR_MISC, peer_alert, SD_TLS_FAILURE_ALERT },
    { "fatal alert", G_TLS_ERROR, G_TLS_ERROR_MISC, fatal, SD_TLS_FAILURE_ALERT },
    { "inappropriate fallback", G_TLS_ERROR, G_TLS_ERROR_INAPPROPRIATE_FALLBACK, "fallback",
      SD_TLS_FAILURE_ALERT },
    { "not TLS", G_TLS_ERROR, G_TLS_ERROR_NOT_TLS, "Peer failed to perform TLS handshake", SD_TLS_FAILURE_NOT_TLS },
    { "unexpected packet length", G_TLS_ERROR, G_TLS_ERROR_MISC, unexpected, SD_TLS_FAILURE_NOT_TLS },
    { "unsupported version packet", G_TLS_ERROR, G_TLS_ERROR_MISC, version, SD_TLS_FAILURE_NOT_TLS },
    { "anything else", G_TLS_ERROR, G_TLS_ERROR_MISC, "Error performing TLS handshake: something new",
      SD_TLS_FAILURE_ERROR },
    { "empty message", G_TLS_ERROR, G_TLS_ERROR_MISC, "", SD_TLS_FAILURE_ERROR },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (cases[i].domain, cases[i].code, cases[i].message);

      g_test_message ("%s", cases[i].what);
      g_assert_cmpint (sd_tls_classify_handshake_error (error), ==, cases[i].expect);
    }
}

static void
test_words (void)
{
  /* The report's data.failure words (docs/report-data.md). */
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_ERROR), ==, "error");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_TIMEOUT), ==, "timeout");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_CERTIFICATE_REQUIRED), ==, "certificate-required");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_RESET), ==, "reset");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_CLOSED), ==, "closed");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_ALERT), ==, "alert");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_NOT_TLS), ==, "not-tls");
  g_assert_cmpstr (sd_tls_failure_to_string (SD_TLS_FAILURE_CONNECT), ==, "connect");
}

/* --- real handshakes against peers on loopback ------------------------- */

typedef enum {
  PEER_SPEAKS_SIP,    /* answers the ClientHello with a SIP response */
  PEER_HANGS_UP,      /* reads the ClientHello, then closes */
  PEER_RESETS,        /* reads the ClientHello, then resets (SO_LINGER 0) */
  PEER_SENDS_ALERT,   /* answers the ClientHello with a fatal handshake_failure alert */
} PeerKind;

typedef struct {
  GSocket  *listener;
  PeerKind  kind;
} Peer;

static gpointer
peer_thread (gpointer data)
{
  Peer *peer = data;
  g_autoptr(GSocket) conn = g_socket_accept (peer->listener, NULL, NULL);
  char buf[4096];
  static const char sip[] = "SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  static const guint8 alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };

  if (conn == NULL)
    return NULL;
  g_socket_set_timeout (conn, 10);
  /* One read: the ClientHello, or its first part, is enough. */
  (void) g_socket_receive (conn, buf, sizeof buf, NULL, NULL);
  switch (peer->kind)
    {
    case PEER_SPEAKS_SIP:
      (void) g_socket_send (conn, sip, sizeof sip - 1, NULL, NULL);
      break;
    case PEER_SENDS_ALERT:
      (void) g_socket_send (conn, (const char *) alert, sizeof alert, NULL, NULL);
      break;
    case PEER_RESETS:
      {
        /* Closing with a zero linger time sends RST instead of FIN. */
        struct linger l = { 1, 0 };
        setsockopt (g_socket_get_fd (conn), SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      break;
    case PEER_HANGS_UP:
    default:
      break;
    }
  g_socket_close (conn, NULL);
  return NULL;
}

static SdTlsFailure
handshake_with (PeerKind kind, char **message)
{
  g_autoptr(GSocket) listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("sip.example.test", 5061);
  g_autoptr(GError) error = NULL;
  Peer peer = { listener, kind };
  GThread *thread;
  SdTlsFailure failure;

  g_assert_nonnull (listener);
  g_assert_true (g_socket_bind (listener, any, TRUE, NULL));
  g_assert_true (g_socket_listen (listener, NULL));
  g_socket_set_timeout (listener, 10);
  bound = g_socket_get_local_address (listener, NULL);
  thread = g_thread_new ("peer", peer_thread, &peer);

  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, 10);   /* a hang guard, not a measure */
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (bound), NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (conn), identity, &error);
  g_assert_no_error (error);
  g_assert_false (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_nonnull (error);
  g_thread_join (thread);

  failure = sd_tls_classify_handshake_error (error);
  *message = g_strdup (error->message);
  return failure;
}

static void
test_real_peer (gconstpointer data)
{
  static const SdTlsFailure expect[] = {
    [PEER_SPEAKS_SIP] = SD_TLS_FAILURE_NOT_TLS,
    [PEER_HANGS_UP] = SD_TLS_FAILURE_CLOSED,
    [PEER_RESETS] = SD_TLS_FAILURE_RESET,
    [PEER_SENDS_ALERT] = SD_TLS_FAILURE_ALERT,
  };
  PeerKind kind = GPOINTER_TO_INT (data);
  g_autofree char *message = NULL;
  SdTlsFailure failure = handshake_with (kind, &message);

  g_test_message ("glib-networking said: %s", message);
  g_assert_cmpstr (sd_tls_failure_to_string (failure), ==, sd_tls_failure_to_string (expect[kind]));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls-errors/table", test_table);
  g_test_add_func ("/tls-errors/words", test_words);
  g_test_add_data_func ("/tls-errors/real/not-tls", GINT_TO_POINTER (PEER_SPEAKS_SIP), test_real_peer);
  g_test_add_data_func ("/tls-errors/real/closed", GINT_TO_POINTER (PEER_HANGS_UP), test_real_peer);
  g_test_add_data_func ("/tls-errors/real/reset", GINT_TO_POINTER (PEER_RESETS), test_real_peer);
  g_test_add_data_func ("/tls-errors/real/alert", GINT_TO_POINTER (PEER_SENDS_ALERT), test_real_peer);
  return g_test_run ();
}
