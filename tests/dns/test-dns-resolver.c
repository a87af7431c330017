/* test-dns-resolver.c: the DNS client against real UDP/TCP servers on
 * loopback, run by the test itself (silent, answering, failing, spoofing,
 * truncating), plus the resolv.conf reader.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include "sd-dns-resolver.h"

typedef enum {
  PEER_SILENT,
  PEER_ANSWER,
  PEER_SERVFAIL,
  PEER_SPOOF_THEN_ANSWER,   /* a wrong ID and a wrong question first */
  PEER_TRUNCATE,            /* TC over UDP; the full answer over TCP */
  PEER_DROP_FIRST,          /* loses the first datagram, answers the next */
  PEER_FOREIGN_OWNER,       /* an A record, but for another name */
} PeerKind;

typedef struct {
  PeerKind  kind;
  GSocket  *udp;
  GSource  *source;
  guint16   port;
  guint     queries;
  GSocket  *tcp;
  GThread  *tcp_thread;
} Peer;

/* One A record 192.0.2.7 for the question, owner compressed. */
static GByteArray *
answer_for (const guint8 *query, gsize len, guint rcode, gboolean tc, guint n_answers)
{
  GByteArray *out = g_byte_array_new ();
  static const guint8 a_rr[] = { 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7 };

  g_byte_array_append (out, query, len);
  out->data[2] = 0x81 | (tc ? 0x02 : 0);
  out->data[3] = 0x80 | rcode;
  out->data[6] = 0;
  out->data[7] = n_answers;
  for (guint i = 0; i < n_answers; i++)
    g_byte_array_append (out, a_rr, sizeof a_rr);
  return out;
}

static gboolean
peer_readable_cb (GSocket *socket, GIOCondition cond, gpointer user_data)
{
  Peer *peer = user_data;
  guint8 buf[1500];
  g_autoptr(GSocketAddress) from = NULL;
  gssize n = g_socket_receive_from (socket, &from, (char *) buf, sizeof buf, NULL, NULL);
  g_autoptr(GByteArray) reply = NULL;

  if (n < 12)
    return G_SOURCE_CONTINUE;
  peer->queries++;
  switch (peer->kind)
    {
    case PEER_SILENT:
      return G_SOURCE_CONTINUE;
    case PEER_DROP_FIRST:
      if (peer->queries == 1)
        return G_SOURCE_CONTINUE;
      reply = answer_for (buf, n, 0, FALSE, 1);
      break;
    case PEER_SERVFAIL:
      reply = answer_for (buf, n, 2, FALSE, 0);
      break;
    case PEER_TRUNCATE:
      reply = answer_for (buf, n, 0, TRUE, 0);
      break;
    case PEER_FOREIGN_OWNER:
      {
        static const guint8 foreign_rr[] = { 9, 'e', 'l', 's', 'e', 'w', 'h', 'e', 'r', 'e', 4, 't', 'e', 's', 't', 0,
                                             0x00, 0x01, 0x00, 0x01, 0, 0, 0, 60, 0, 4, 192, 0, 2, 66 };
        reply = answer_for (buf, n, 0, FALSE, 0);
        reply->data[7] = 1;
        g_byte_array_append (reply, foreign_rr, sizeof foreign_rr);
      }
      break;
    case PEER_SPOOF_THEN_ANSWER:
      {
        g_autoptr(GByteArray) spoof = answer_for (buf, n, 3, FALSE, 0);
        g_autoptr(GByteArray) other_q = answer_for (buf, n, 3, FALSE, 0);
        spoof->data[0] ^= 0xff;                 /* wrong ID */
        other_q->data[other_q->len - 3] = 0x10; /* the question's type becomes TXT */
        g_socket_send_to (socket, from, (char *) spoof->data, spoof->len, NULL, NULL);
        g_socket_send_to (socket, from, (char *) other_q->data, other_q->len, NULL, NULL);
      }
      G_GNUC_FALLTHROUGH;
    case PEER_ANSWER:
    default:
      reply = answer_for (buf, n, 0, FALSE, 1);
      break;
    }
  g_socket_send_to (socket, from, (char *) reply->data, reply->len, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

/* A blocking TCP DNS server in a thread: one connection, one answer with 40 records. */
static gpointer
tcp_thread (gpointer data)
{
  Peer *peer = data;
  g_autoptr(GSocket) conn = g_socket_accept (peer->tcp, NULL, NULL);
  guint8 len[2], query[512];
  gsize qlen;
  g_autoptr(GByteArray) reply = NULL;
  guint8 rlen[2];

  if (conn == NULL)
    return NULL;
  g_socket_set_timeout (conn, 5);
  if (g_socket_receive (conn, (char *) len, 2, NULL, NULL) != 2)
    return NULL;
  qlen = ((gsize) len[0] << 8) | len[1];
  if (qlen > sizeof query || g_socket_receive (conn, (char *) query, qlen, NULL, NULL) != (gssize) qlen)
    return NULL;
  reply = answer_for (query, qlen, 0, FALSE, 40);
  rlen[0] = reply->len >> 8;
  rlen[1] = reply->len & 0xff;
  g_socket_send (conn, (char *) rlen, 2, NULL, NULL);
  g_socket_send (conn, (char *) reply->data, reply->len, NULL, NULL);
  g_socket_close (conn, NULL);
  return NULL;
}

static Peer *
peer_new_family (PeerKind kind, GSocketFamily family)
{
  Peer *peer = g_new0 (Peer, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (family);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  peer->kind = kind;
  peer->udp = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  if (peer->udp == NULL || !g_socket_bind (peer->udp, any, FALSE, NULL))
    {
      g_assert_true (family == G_SOCKET_FAMILY_IPV6);
      g_clear_object (&peer->udp);
      g_free (peer);
      return NULL;   /* no ::1 on this machine */
    }
  g_socket_set_blocking (peer->udp, FALSE);
  bound = g_socket_get_local_address (peer->udp, NULL);
  peer->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  peer->source = g_socket_create_source (peer->udp, G_IO_IN, NULL);
  g_source_set_callback (peer->source, G_SOURCE_FUNC (peer_readable_cb), peer, NULL);
  g_source_attach (peer->source, NULL);

  if (kind == PEER_TRUNCATE)
    {
      /* The same port number over TCP, as a DNS server has. */
      g_autoptr(GSocketAddress) same = g_inet_socket_address_new (lo, peer->port);
      peer->tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      g_assert_true (g_socket_bind (peer->tcp, same, TRUE, NULL));
      g_assert_true (g_socket_listen (peer->tcp, NULL));
      peer->tcp_thread = g_thread_new ("dns-tcp-peer", tcp_thread, peer);
    }
  return peer;
}

static Peer *
peer_new (PeerKind kind)
{
  return peer_new_family (kind, G_SOCKET_FAMILY_IPV4);
}

static void
peer_free (Peer *peer)
{
  if (peer->tcp_thread != NULL)
    g_thread_join (peer->tcp_thread);
  g_clear_object (&peer->tcp);
  g_source_destroy (peer->source);
  g_source_unref (peer->source);
  g_object_unref (peer->udp);
  g_free (peer);
}

static char *
peer_addr (Peer *peer)
{
  return g_strdup_printf ("127.0.0.1:%u", peer->port);
}

typedef struct {
  SdDnsResult *result;
  GError      *error;
  gboolean     done;
} Wait;

static void
done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Wait *w = user_data;
  w->result = sd_dns_resolver_query_finish (SD_DNS_RESOLVER (source), res, &w->error);
  w->done = TRUE;
}

static void
run_query (SdDnsResolver *resolver, const char *name, guint16 type, guint timeout_ms,
           GCancellable *cancellable, Wait *w)
{
  sd_dns_resolver_query_async (resolver, name, type, timeout_ms, cancellable, done_cb, w);
  /* Bounded: the query has its own timeout; this guards against a hang. */
  for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       !w->done && g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (w->done);
}

static void
test_answer (void)
{
  Peer *peer = peer_new (PEER_ANSWER);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  Wait w = { 0 };
  g_autofree char *ip = NULL;

  g_assert_cmpstr (sd_dns_resolver_get_description (resolver), ==, addr);
  run_query (resolver, "host.example.test.", SD_DNS_TYPE_A, 2000, NULL, &w);
  g_assert_no_error (w.error);
  g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
  g_assert_cmpstr (w.result->server, ==, addr);
  g_assert_cmpstr (w.result->name, ==, "host.example.test");
  g_assert_null (w.result->error);
  g_assert_cmpuint (w.result->answers->len, ==, 1);
  ip = g_inet_address_to_string (((SdDnsRecord *) w.result->answers->pdata[0])->address);
  g_assert_cmpstr (ip, ==, "192.0.2.7");
  g_assert_cmpfloat (w.result->duration_ms, <, 1000);
  g_assert_false (w.result->used_tcp);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

static void
test_silent_times_out (void)
{
  Peer *peer = peer_new (PEER_SILENT);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  Wait w = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  run_query (resolver, "host.example.test", SD_DNS_TYPE_AAAA, 300, NULL, &w);
  g_assert_no_error (w.error);
  g_assert_cmpstr (w.result->rcode, ==, "TIMEOUT");
  g_assert_cmpint (w.result->outcome, ==, SD_DNS_OUTCOME_TIMEOUT);
  g_assert_nonnull (w.result->error);
  g_assert_cmpfloat (w.result->duration_ms, >=, 299);
  /* hang guard, not a speed test */
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpuint (peer->queries, ==, 1);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_is_immediate (void)
{
  Peer *peer = peer_new (PEER_SILENT);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait w = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  g_timeout_add (50, cancel_cb, cancellable);
  run_query (resolver, "host.example.test", SD_DNS_TYPE_SRV, 5000, cancellable, &w);
  g_assert_null (w.result);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 2 * G_USEC_PER_SEC);
  g_clear_error (&w.error);

  /* Already cancelled: no datagram at all. */
  memset (&w, 0, sizeof w);
  peer->queries = 0;
  run_query (resolver, "host.example.test", SD_DNS_TYPE_SRV, 5000, cancellable, &w);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&w.error);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (peer->queries, ==, 0);
  peer_free (peer);
}

static void
test_spoofed_answers_ignored (void)
{
  Peer *peer = peer_new (PEER_SPOOF_THEN_ANSWER);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  Wait w = { 0 };

  run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 2000, NULL, &w);
  g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
  g_assert_cmpuint (w.result->answers->len, ==, 1);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

static void
test_truncated_goes_tcp (void)
{
  Peer *peer = peer_new (PEER_TRUNCATE);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  Wait w = { 0 };

  run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 3000, NULL, &w);
  g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
  g_assert_true (w.result->used_tcp);
  g_assert_cmpuint (w.result->answers->len, ==, 40);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

static void
test_servfail_then_next_server (void)
{
  Peer *bad = peer_new (PEER_SERVFAIL);
  Peer *good = peer_new (PEER_ANSWER);
  g_autofree char *path = NULL;
  g_autofree char *conf = NULL;
  g_autoptr(SdDnsResolver) resolver = NULL;
  g_autoptr(GError) error = NULL;
  Wait w = { 0 };
  int fd = g_file_open_tmp ("resolv-XXXXXX.conf", &path, &error);

  /* resolv.conf names no port, so its reading is checked on its own; the
   * servers-in-turn logic is checked below with the test's own peers. */
  g_assert_no_error (error);
  close (fd);
  conf = g_strdup ("# comment\nsearch example.test\nnameserver 127.0.0.1\n  nameserver\t::1  \n"
                   "nameserver fe80::1%eth0\nnameserver 192.0.2.4\noptions ndots:1\n");
  g_assert_true (g_file_set_contents (path, conf, -1, NULL));
  resolver = sd_dns_resolver_new_from_resolv_conf (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sd_dns_resolver_get_description (resolver), ==, "system");
  {
    const char * const *s = sd_dns_resolver_get_servers (resolver);
    g_assert_cmpstr (s[0], ==, "127.0.0.1:53");
    g_assert_cmpstr (s[1], ==, "[::1]:53");
    g_assert_cmpstr (s[2], ==, "[fe80::1]:53");
    g_assert_null (s[3]);   /* at most three, as glibc */
  }
  g_clear_object (&resolver);

  /* A missing file means the local host, as glibc. */
  resolver = sd_dns_resolver_new_from_resolv_conf ("/nonexistent/resolv.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sd_dns_resolver_get_servers (resolver)[0], ==, "127.0.0.1:53");
  g_clear_object (&resolver);
  g_unlink (path);

  /* SERVFAIL from one server: its result is reported when it is the only one. */
  {
    g_autofree char *addr = peer_addr (bad);
    resolver = sd_dns_resolver_new_for_server (addr, NULL);
    run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 2000, NULL, &w);
    g_assert_cmpstr (w.result->rcode, ==, "SERVFAIL");
    g_assert_cmpint (w.result->outcome, ==, SD_DNS_OUTCOME_ANSWER);
    g_assert_cmpuint (w.result->rcode_value, ==, SD_DNS_RCODE_SERVFAIL);
    g_assert_false (sd_dns_result_is_answer (w.result));
    g_assert_nonnull (w.result->error);
    sd_dns_result_free (w.result);
    g_clear_object (&resolver);
  }

  /* Several servers, as from resolv.conf: SERVFAIL moves on to the next at
   * once, and the answer names the server that gave it. */
  {
    g_autofree char *a1 = peer_addr (bad);
    g_autofree char *a2 = peer_addr (good);
    const char *servers[] = { a1, a2, NULL };
    memset (&w, 0, sizeof w);
    resolver = sd_dns_resolver_new_for_servers (servers, "system", &error);
    g_assert_no_error (error);
    run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 3000, NULL, &w);
    g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
    g_assert_cmpstr (w.result->server, ==, a2);
    g_assert_cmpfloat (w.result->duration_ms, <, 1000);
    g_assert_cmpuint (bad->queries, ==, 2);   /* once above, once here */
    g_assert_cmpuint (good->queries, ==, 1);
    sd_dns_result_free (w.result);
    g_clear_object (&resolver);
  }
  peer_free (bad);
  peer_free (good);

  /* A silent first server gets its slice of the timeout, then the next answers. */
  {
    Peer *silent = peer_new (PEER_SILENT);
    Peer *ok = peer_new (PEER_ANSWER);
    g_autofree char *a1 = peer_addr (silent);
    g_autofree char *a2 = peer_addr (ok);
    const char *servers[] = { a1, a2, NULL };
    memset (&w, 0, sizeof w);
    resolver = sd_dns_resolver_new_for_servers (servers, "system", NULL);
    run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 1000, NULL, &w);
    g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
    g_assert_cmpstr (w.result->server, ==, a2);
    g_assert_cmpfloat (w.result->duration_ms, >=, 490);   /* half of 1 s each */
    g_assert_cmpfloat (w.result->duration_ms, <, 1000);
    sd_dns_result_free (w.result);
    peer_free (silent);
    peer_free (ok);
  }
}

static void
test_lost_datagram_is_sent_again (void)
{
  Peer *peer = peer_new (PEER_DROP_FIRST);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  Wait w = { 0 };

  run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 4000, NULL, &w);
  g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
  g_assert_cmpuint (w.result->answers->len, ==, 1);
  g_assert_cmpuint (peer->queries, ==, 2);
  g_assert_cmpfloat (w.result->duration_ms, >=, 900);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

static void
test_closed_port_fails_fast (void)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *addr = NULL;
  g_autoptr(SdDnsResolver) resolver = NULL;
  Wait w = { 0 };

  /* A port that was just free: nothing listens there any more. */
  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  addr = g_strdup_printf ("127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (s, NULL);

  resolver = sd_dns_resolver_new_for_server (addr, NULL);
  run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 5000, NULL, &w);
  g_assert_cmpstr (w.result->rcode, ==, "ERROR");
  /* told by an enum, not by the (translated) sentence */
  g_assert_cmpint (w.result->outcome, ==, SD_DNS_OUTCOME_UNREACHABLE);
  g_assert_nonnull (strstr (w.result->error, "nothing listens"));
  /* well before the 5 s timeout: the ICMP error ends it */
  g_assert_cmpfloat (w.result->duration_ms, <, 2000);
  sd_dns_result_free (w.result);
}

static void
test_ipv6_server (void)
{
  Peer *peer = peer_new_family (PEER_ANSWER, G_SOCKET_FAMILY_IPV6);
  g_autofree char *addr = NULL;
  g_autoptr(SdDnsResolver) resolver = NULL;
  Wait w = { 0 };

  if (peer == NULL)
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  addr = g_strdup_printf ("[::1]:%u", peer->port);
  resolver = sd_dns_resolver_new_for_server (addr, NULL);
  run_query (resolver, "host.example.test", SD_DNS_TYPE_A, 2000, NULL, &w);
  g_assert_cmpstr (w.result->rcode, ==, "NOERROR");
  g_assert_cmpstr (w.result->server, ==, addr);
  g_assert_cmpuint (w.result->answers->len, ==, 1);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

static void
test_bad_server_strings (void)
{
  const char *bad[] = { "", "example.com", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]x", "1.2.3.4:ab" };
  const char *good[][2] = { { "127.0.0.1", "127.0.0.1:53" }, { "127.0.0.1:5353", "127.0.0.1:5353" },
                            { "::1", "[::1]:53" }, { "[::1]:5300", "[::1]:5300" } };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SdDnsResolver) r = sd_dns_resolver_new_for_server (bad[i], &error);
      g_test_message ("bad %s", bad[i]);
      g_assert_null (r);
      g_assert_nonnull (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(SdDnsResolver) r = sd_dns_resolver_new_for_server (good[i][0], NULL);
      g_assert_cmpstr (sd_dns_resolver_get_description (r), ==, good[i][1]);
    }
}

static void
test_invalid_name_is_a_result (void)
{
  Peer *peer = peer_new (PEER_ANSWER);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);
  Wait w = { 0 };

  run_query (resolver, "bad..name", SD_DNS_TYPE_A, 1000, NULL, &w);
  g_assert_cmpstr (w.result->rcode, ==, "ERROR");
  g_assert_cmpint (w.result->outcome, ==, SD_DNS_OUTCOME_ERROR);
  g_assert_nonnull (w.result->error);
  g_assert_cmpuint (peer->queries, ==, 0);
  sd_dns_result_free (w.result);
  peer_free (peer);
}

typedef struct {
  GPtrArray *addresses;
  GError    *error;
  gboolean   done;
} HostWait;

static void
host_done_cb (GObject *source, GAsyncResult *res, gpointer user_data)
{
  HostWait *w = user_data;
  w->addresses = sd_dns_resolver_lookup_host_finish (SD_DNS_RESOLVER (source), res, &w->error);
  w->done = TRUE;
}

static void
run_lookup_host (PeerKind kind, guint timeout_ms, HostWait *w, guint *queries)
{
  Peer *peer = peer_new (kind);
  g_autofree char *addr = peer_addr (peer);
  g_autoptr(SdDnsResolver) resolver = sd_dns_resolver_new_for_server (addr, NULL);

  sd_dns_resolver_lookup_host_async (resolver, "home.example.test", timeout_ms, NULL, host_done_cb, w);
  /* Bounded: the look-up has its own timeout; this guards against a hang. */
  for (gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
       !w->done && g_get_monotonic_time () < end;)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (w->done);
  *queries = peer->queries;
  peer_free (peer);
}

static void
test_lookup_host (void)
{
  HostWait w = { 0 };
  guint queries = 0;
  g_autofree char *ip = NULL;

  run_lookup_host (PEER_ANSWER, 2000, &w, &queries);
  g_assert_no_error (w.error);
  /* A and AAAA asked; the peer's A record in the AAAA answer is not taken. */
  g_assert_cmpuint (queries, ==, 2);
  g_assert_cmpuint (w.addresses->len, ==, 1);
  ip = g_inet_address_to_string (w.addresses->pdata[0]);
  g_assert_cmpstr (ip, ==, "192.0.2.7");
  g_ptr_array_unref (w.addresses);
}

static void
test_lookup_host_checks_owner (void)
{
  HostWait w = { 0 };
  guint queries = 0;

  /* An address for another name is no address for this one. */
  run_lookup_host (PEER_FOREIGN_OWNER, 2000, &w, &queries);
  g_assert_null (w.addresses);
  g_assert_error (w.error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (w.error->message, "home.example.test"));
  g_clear_error (&w.error);
}

static void
test_lookup_host_failures (void)
{
  HostWait w = { 0 };
  guint queries = 0;

  run_lookup_host (PEER_SILENT, 300, &w, &queries);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_clear_error (&w.error);

  memset (&w, 0, sizeof w);
  run_lookup_host (PEER_SERVFAIL, 2000, &w, &queries);
  g_assert_error (w.error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE);
  g_clear_error (&w.error);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/resolver/answer", test_answer);
  g_test_add_func ("/dns/resolver/timeout", test_silent_times_out);
  g_test_add_func ("/dns/resolver/cancel", test_cancel_is_immediate);
  g_test_add_func ("/dns/resolver/spoof", test_spoofed_answers_ignored);
  g_test_add_func ("/dns/resolver/tcp", test_truncated_goes_tcp);
  g_test_add_func ("/dns/resolver/servers", test_servfail_then_next_server);
  g_test_add_func ("/dns/resolver/server-strings", test_bad_server_strings);
  g_test_add_func ("/dns/resolver/resend", test_lost_datagram_is_sent_again);
  g_test_add_func ("/dns/resolver/closed-port", test_closed_port_fails_fast);
  g_test_add_func ("/dns/resolver/ipv6", test_ipv6_server);
  g_test_add_func ("/dns/resolver/invalid-name", test_invalid_name_is_a_result);
  g_test_add_func ("/dns/resolver/lookup-host", test_lookup_host);
  g_test_add_func ("/dns/resolver/lookup-host-owner", test_lookup_host_checks_owner);
  g_test_add_func ("/dns/resolver/lookup-host-failures", test_lookup_host_failures);
  return g_test_run ();
}
