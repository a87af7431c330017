/* test-dns-step.c: the dns step inside a run, against DNS servers the test
 * runs on loopback: progress after every query (the wizard's live pane),
 * Cancel stopping a step that waits on a silent server at once, and an IP
 * server making no query.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-run.h"
#include "sd-test-async.h"

typedef struct {
  GSocket *socket;
  GSource *source;
  guint16  port;
  gboolean silent;
  guint    queries;
} Peer;

static gboolean
readable_cb (GSocket *socket, GIOCondition cond, gpointer data)
{
  Peer *peer = data;
  guint8 buf[1500];
  g_autoptr(GSocketAddress) from = NULL;
  gssize n = g_socket_receive_from (socket, &from, (char *) buf, sizeof buf, NULL, NULL);

  if (n < 12)
    return G_SOURCE_CONTINUE;
  peer->queries++;
  if (!peer->silent)
    {
      buf[2] = 0x81;
      buf[3] = 0x83;   /* NXDOMAIN for every name */
      g_socket_send_to (socket, from, (char *) buf, n, NULL, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static Peer *
peer_new (gboolean silent)
{
  Peer *peer = g_new0 (Peer, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  peer->silent = silent;
  peer->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_true (g_socket_bind (peer->socket, any, FALSE, NULL));
  g_socket_set_blocking (peer->socket, FALSE);
  bound = g_socket_get_local_address (peer->socket, NULL);
  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  peer->source = g_socket_create_source (peer->socket, G_IO_IN, NULL);
  g_source_set_callback (peer->source, G_SOURCE_FUNC (readable_cb), peer, NULL);
  g_source_attach (peer->source, NULL);
  return peer;
}

static void
peer_free (Peer *peer)
{
  g_source_destroy (peer->source);
  g_source_unref (peer->source);
  g_object_unref (peer->socket);
  g_free (peer);
}

typedef struct {
  gboolean ok;
  GError  *error;
  guint    updates_with_message;
  guint    queries_seen_max;
  gboolean grew_one_by_one;
} Wait;

static void
updated_cb (SdRun *run, guint step, const char *message, gpointer data)
{
  Wait *w = data;
  JsonObject *d;
  guint n;

  if (step != SD_STEP_DNS || message == NULL)
    return;
  d = sd_run_get_step_data (run, SD_STEP_DNS);
  if (!json_object_has_member (d, "queries"))
    return;
  n = json_array_get_length (json_object_get_array_member (d, "queries"));
  if (n == 0)
    return;   /* the "looking up" line before any answer */
  w->updates_with_message++;
  if (n != w->queries_seen_max + 1)
    w->grew_one_by_one = FALSE;
  w->queries_seen_max = n;
}

static SdRun *
run_dns (SdConfig *config, GCancellable *cancellable, guint cancel_after_ms, Wait *w)
{
  SdRun *run = sd_run_new (config);

  w->grew_one_by_one = TRUE;
  g_signal_connect (run, "step-updated", G_CALLBACK (updated_cb), w);
  sd_test_run_execute (run, SD_STEP_DNS, cancellable, cancel_after_ms, &w->error);
  w->ok = w->error == NULL;
  return run;
}

static SdConfig *
config_for (const char *address, Peer *peer)
{
  SdConfig *config = sd_config_new ();
  config->address = g_strdup (address);
  config->dns_server = g_strdup_printf ("127.0.0.1:%u", peer->port);
  return config;
}

static void
test_progress_after_every_query (void)
{
  Peer *peer = peer_new (FALSE);
  g_autoptr(SdConfig) config = config_for ("alice@nothing.test", peer);
  Wait w = { 0 };
  g_autoptr(SdRun) run = run_dns (config, NULL, 0, &w);
  JsonObject *d = sd_run_get_step_data (run, SD_STEP_DNS);

  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  /* generic: NAPTR, 4 SRV, A, AAAA, each reported as it came back */
  g_assert_cmpuint (peer->queries, ==, 7);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (d, "queries")), ==, 7);
  g_assert_cmpuint (w.updates_with_message, ==, 7);
  g_assert_true (w.grew_one_by_one);
  /* NXDOMAIN for every name, the domain's own included */
  g_assert_true (sd_run_has_finding (run, "dns.domain-not-found"));
  g_assert_false (sd_run_has_finding (run, "dns.no-records"));
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_DNS), ==, SD_STATUS_FAIL);
  peer_free (peer);
}

static void
test_cancel_stops_at_once (void)
{
  Peer *peer = peer_new (TRUE);
  g_autoptr(SdConfig) config = config_for ("alice@example.test", peer);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait w = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(SdRun) run = NULL;

  config->timeout_s = 3;
  run = run_dns (config, cancellable, 100, &w);
  g_assert_false (w.ok);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&w.error);
  /* 3 s timeout, cancelled after 0.1 s: it must not wait for the timeout. */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (peer->queries, ==, 7);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_DNS), ==, SD_STATUS_SKIP);
  g_assert_false (sd_run_has_finding (run, "dns.server-timeout"));

  /* Run again after the cancel: the step starts afresh and ends by its timeout. */
  {
    g_autoptr(GError) error = NULL;

    sd_test_run_execute (run, SD_STEP_DNS, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_true (sd_run_has_finding (run, "dns.server-timeout"));
    g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_DNS), ==, SD_STATUS_FAIL);
  }
  peer_free (peer);
}

static void
test_ip_server_asks_nothing (void)
{
  Peer *peer = peer_new (TRUE);
  g_autoptr(SdConfig) config = config_for ("alice@example.test", peer);
  Wait w = { 0 };
  g_autoptr(SdRun) run = NULL;
  SdContext *ctx;

  config->server = g_strdup ("192.0.2.10:5070");
  config->transport = SD_TRANSPORT_TCP;
  run = run_dns (config, NULL, 0, &w);
  g_assert_true (w.ok);
  g_assert_cmpuint (peer->queries, ==, 0);
  ctx = sd_run_get_context (run);
  g_assert_cmpuint (ctx->candidates->len, ==, 1);
  {
    SdCandidate *c = ctx->candidates->pdata[0];
    g_autofree char *addr = g_inet_address_to_string (c->address);
    g_assert_cmpstr (c->host, ==, "192.0.2.10");
    g_assert_cmpuint (c->port, ==, 5070);
    g_assert_cmpint (c->transport, ==, SD_TRANSPORT_TCP);
    g_assert_cmpstr (addr, ==, "192.0.2.10");
    g_assert_cmpstr (c->source, ==, "--server");
  }
  peer_free (peer);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/step/progress", test_progress_after_every_query);
  g_test_add_func ("/dns/step/cancel", test_cancel_stops_at_once);
  g_test_add_func ("/dns/step/ip-server", test_ip_server_asks_nothing);
  return g_test_run ();
}
