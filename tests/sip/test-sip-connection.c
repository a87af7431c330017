/* test-sip-connection.c: the SIP connection against the lab's Kamailio:
 * a reused stream found closed is reopened once (TCP and TLS, the TLS one
 * verified against the lab's CA), and a server that keeps closing is
 * given up on after that one retry.
 *
 * Needs the lab (run through tools/lab-up --exec, which sets SD_LAB_*).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sipdoctor.h"
#include "sd-sip-connection.h"

typedef struct {
  GMainLoop    *loop;
  GAsyncResult *result;
} Wait;

static void
got_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
  g_main_loop_quit (w->loop);
}

static GAsyncResult *
wait_result (Wait *w)
{
  g_main_loop_run (w->loop);
  return w->result;
}

static SdSipMessage *
options (SdSipConnection *c)
{
  SdSipMessage *m = sd_sip_message_new_request ("OPTIONS", "sip:example.test");
  g_autofree char *branch = sd_sip_new_branch ();
  g_autofree char *via = g_strdup_printf ("SIP/2.0/%s %s;rport;branch=%s",
                                          sd_sip_connection_get_via_transport (c),
                                          sd_sip_connection_get_local (c), branch);

  sd_sip_message_add_header (m, "Via", via);
  sd_sip_message_add_header (m, "Max-Forwards", "70");
  sd_sip_message_add_header (m, "From", "<sip:alice@example.test>;tag=t1");
  sd_sip_message_add_header (m, "To", "<sip:alice@example.test>");
  sd_sip_message_add_header (m, "Call-ID", "test-sip-connection");
  sd_sip_message_add_header (m, "CSeq", "1 OPTIONS");
  return m;
}

static void
count_cb (SdSipConnection *c, gboolean sent, const char *text, gsize len, gpointer user_data)
{
  guint *n = user_data;
  if (sent)
    (*n)++;
}

/* A closed stream handed over (as the TLS step would after the server
 * dropped it): the request reopens the connection once and gets its answer. */
static void
reopen (const char *port_var, SdTransport transport)
{
  const char *port = g_getenv (port_var);
  const char *ca = g_getenv ("SD_LAB_CA_FILE");
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) peer = NULL;
  g_autoptr(SdSipConnection) c = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) old = NULL;
  g_autoptr(SdSipMessage) request = NULL;
  g_autoptr(SdSipMessage) response = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { g_main_loop_new (NULL, FALSE), NULL };
  guint sent = 0;

  if (port == NULL || ca == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      g_main_loop_unref (w.loop);
      return;
    }
  peer = g_inet_socket_address_new (lo, (guint16) atoi (port));
  c = sd_sip_connection_new (transport, G_INET_SOCKET_ADDRESS (peer), "sip.example.test", 3);
  sd_sip_connection_set_ca_file (c, ca);
  sd_sip_connection_set_message_func (c, count_cb, &sent);

  old = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (peer), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_io_stream_close (G_IO_STREAM (old), NULL, NULL));
  sd_sip_connection_adopt_stream (c, G_IO_STREAM (old), FALSE);
  g_assert_true (sd_sip_connection_is_reused (c));
  g_assert_false (sd_sip_connection_get_tls_trusted (c));

  request = options (c);
  sd_sip_connection_request_async (c, request, NULL, got_cb, &w);
  response = sd_sip_connection_request_finish (c, wait_result (&w), &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpuint (sent, ==, 1);
  /* A fresh connection of its own, verified by itself. */
  g_assert_false (sd_sip_connection_is_reused (c));
  if (transport == SD_TRANSPORT_TLS)
    {
      g_assert_true (sd_sip_connection_get_tls_trusted (c));
      g_assert_null (sd_sip_connection_get_tls_problem (c));
    }
  g_clear_object (&w.result);
  g_main_loop_unref (w.loop);
}

static void
test_reopen_tcp (void)
{
  reopen ("SD_LAB_SIP_TCP_PORT", SD_TRANSPORT_TCP);
}

static void
test_reopen_tls (void)
{
  reopen ("SD_LAB_SIP_TLS_PORT", SD_TRANSPORT_TLS);
}

/* A server that closes every connection at once: one reopen, then an error. */
static void
test_closing_server_bounded (void)
{
  const char *port = g_getenv ("SD_LAB_PEER_TCP_CLOSE_PORT");
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) peer = NULL;
  g_autoptr(SdSipConnection) c = NULL;
  g_autoptr(SdSipMessage) request = NULL;
  g_autoptr(SdSipMessage) response = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { g_main_loop_new (NULL, FALSE), NULL };
  gint64 start = g_get_monotonic_time ();

  if (port == NULL)
    {
      g_test_skip ("the lab is not up (run through tools/lab-up --exec)");
      g_main_loop_unref (w.loop);
      return;
    }
  peer = g_inet_socket_address_new (lo, (guint16) atoi (port));
  c = sd_sip_connection_new (SD_TRANSPORT_TCP, G_INET_SOCKET_ADDRESS (peer), "sip.example.test", 3);
  sd_sip_connection_open_async (c, NULL, got_cb, &w);
  g_assert_true (sd_sip_connection_open_finish (c, wait_result (&w), &error));
  g_clear_object (&w.result);

  request = options (c);
  sd_sip_connection_request_async (c, request, NULL, got_cb, &w);
  response = sd_sip_connection_request_finish (c, wait_result (&w), &error);
  g_assert_null (response);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 2500);
  g_clear_object (&w.result);
  g_main_loop_unref (w.loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip/connection/reopen-tcp", test_reopen_tcp);
  g_test_add_func ("/sip/connection/reopen-tls", test_reopen_tls);
  g_test_add_func ("/sip/connection/closing-server-bounded", test_closing_server_bounded);
  return g_test_run ();
}
