/* test-sip-network.c: NAT, SIP ALG, blocked UDP, fragmentation and NAT
 * binding verdicts from plain inputs, table-driven.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-sip-network.h"

typedef struct {
  const char *name;
  const char *value;
  gboolean    ok;
  const char *protocol, *host;
  guint16     port;
  const char *received;
  gboolean    has_rport;
  guint16     rport;
} ViaCase;

static const ViaCase via_cases[] = {
  { "plain", "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1", TRUE, "UDP", "10.0.0.2", 5060, NULL, FALSE, 0 },
  { "rport-received", "SIP/2.0/UDP 10.0.0.2:40000;rport=1024;received=203.0.113.7;branch=z9hG4bK1",
    TRUE, "UDP", "10.0.0.2", 40000, "203.0.113.7", TRUE, 1024 },
  { "rport-flag", "SIP/2.0/TCP 10.0.0.2:5060;rport;branch=z9hG4bK1", TRUE, "TCP", "10.0.0.2", 5060, NULL, TRUE, 0 },
  { "spaces", "SIP / 2.0 / TLS  host.example.test ;received=198.51.100.1", TRUE, "TLS", "host.example.test", 0,
    "198.51.100.1", FALSE, 0 },
  { "ipv6", "SIP/2.0/UDP [2001:db8::1]:5070;received=[2001:db8::2];rport=6000", TRUE, "UDP", "2001:db8::1", 5070,
    "2001:db8::2", TRUE, 6000 },
  { "list-first-only", "SIP/2.0/UDP a.test:1;rport=2, SIP/2.0/UDP b.test:3;rport=4", TRUE, "UDP", "a.test", 1,
    NULL, TRUE, 2 },
  { "rport-out-of-range", "SIP/2.0/UDP 10.0.0.2:5060;rport=70000", TRUE, "UDP", "10.0.0.2", 5060, NULL, TRUE, 0 },
  { "rport-garbage", "SIP/2.0/UDP 10.0.0.2:5060;rport=-1x", TRUE, "UDP", "10.0.0.2", 5060, NULL, TRUE, 0 },
  { "not-sip", "HTTP/1.1 x", FALSE, NULL, NULL, 0, NULL, FALSE, 0 },
  { "no-host", "SIP/2.0/UDP ;rport", FALSE, NULL, NULL, 0, NULL, FALSE, 0 },
  { "no-transport", "SIP/2.0", FALSE, NULL, NULL, 0, NULL, FALSE, 0 },
  { "bad-port", "SIP/2.0/UDP 10.0.0.2:99999", FALSE, NULL, NULL, 0, NULL, FALSE, 0 },
  { "empty", "", FALSE, NULL, NULL, 0, NULL, FALSE, 0 },
};

static void
test_via (gconstpointer data)
{
  const ViaCase *c = data;
  SdSipVia via;
  gboolean ok = sd_sip_via_parse (c->value, &via);

  g_assert_cmpint (ok, ==, c->ok);
  if (!ok)
    {
      g_assert_null (via.host);
      g_assert_null (via.received);
      return;
    }
  g_assert_cmpstr (via.protocol, ==, c->protocol);
  g_assert_cmpstr (via.host, ==, c->host);
  g_assert_cmpuint (via.port, ==, c->port);
  g_assert_cmpstr (via.received, ==, c->received);
  g_assert_cmpint (via.has_rport, ==, c->has_rport);
  g_assert_cmpuint (via.rport, ==, c->rport);
  sd_sip_via_clear (&via);
}

typedef struct {
  const char *name;
  SdSipNetworkInput in;
  gboolean    answered;
  gboolean    nat;
  const char *public_host;
  guint16     public_port;
  guint       alg;
  const char *evidence_has;   /* a piece of the first evidence sentence */
} NetCase;

#define LAN "10.0.0.2"
#define WAN "203.0.113.10"

static const NetCase net_cases[] = {
  /* The kernel's ALG: outgoing Via rewritten to the public address, the
   * reply's received= and rport= rewritten back to ours. */
  { "alg-received-private",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=5060;received=" LAN ";branch=z9hG4bK1", NULL },
    TRUE, FALSE, LAN, 5060, SD_SIP_ALG_RECEIVED_PRIVATE, "received=" LAN },
  /* NAT alone: the server saw the router's address and another port. */
  { "nat",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=61000;received=198.51.100.1;branch=z9hG4bK1", NULL },
    TRUE, TRUE, "198.51.100.1", 61000, 0, NULL },
  { "nat-port-only",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=61000;branch=z9hG4bK1", NULL },
    TRUE, TRUE, LAN, 61000, 0, NULL },
  /* No NAT: a public address seen as itself. */
  { "public-no-nat",
    { "udp", "198.51.100.20", 5060, WAN, 5060,
      "SIP/2.0/UDP 198.51.100.20:5060;rport=5060;received=198.51.100.20", NULL },
    TRUE, FALSE, "198.51.100.20", 5060, 0, NULL },
  /* A server in the same private network sees our private address: normal. */
  { "private-server",
    { "udp", LAN, 5060, "10.0.0.1", 5060, "SIP/2.0/UDP " LAN ":5060;rport=5060;received=" LAN, NULL },
    TRUE, FALSE, LAN, 5060, 0, NULL },
  { "loopback",
    { "udp", "127.0.0.1", 40000, "127.0.0.1", 5060, "SIP/2.0/UDP 127.0.0.1:40000;rport=40000", NULL },
    TRUE, FALSE, "127.0.0.1", 40000, 0, NULL },
  /* A Via we never sent. */
  { "via-rewritten",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP 198.51.100.1:5060;rport=5060;received=198.51.100.1", NULL },
    TRUE, TRUE, "198.51.100.1", 5060, SD_SIP_ALG_VIA_REWRITTEN, "198.51.100.1:5060" },
  { "via-transport-changed",
    { "tcp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=5060;received=198.51.100.1", NULL },
    TRUE, TRUE, "198.51.100.1", 5060, SD_SIP_ALG_VIA_REWRITTEN, "TCP" },
  /* The registered Contact: ours, the public one (a registrar's NAT
   * fix), or something NAT alone does not explain. */
  { "contact-ours",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=61000;received=198.51.100.1",
      "<sip:alice@" LAN ":5060;transport=udp>;expires=60" },
    TRUE, TRUE, "198.51.100.1", 61000, 0, NULL },
  { "contact-public-fixed-by-registrar",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=61000;received=198.51.100.1",
      "<sip:alice@198.51.100.1:61000;transport=udp>;expires=60" },
    TRUE, TRUE, "198.51.100.1", 61000, 0, NULL },
  { "contact-rewritten",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=61000;received=198.51.100.1",
      "<sip:alice@198.51.100.1:5060;transport=udp>;expires=60" },
    TRUE, TRUE, "198.51.100.1", 61000, SD_SIP_ALG_CONTACT_REWRITTEN, "198.51.100.1:5060" },
  { "contact-other-devices",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=61000;received=198.51.100.1",
      "<sip:alice@192.0.2.5:5060>;expires=60, <sip:alice@192.0.2.6:5060>;expires=60" },
    TRUE, TRUE, "198.51.100.1", 61000, 0, NULL },
  /* Both fingerprints at once, each its own sentence. */
  { "received-private-and-contact",
    { "udp", LAN, 5060, WAN, 5060, "SIP/2.0/UDP " LAN ":5060;rport=5060;received=" LAN,
      "<sip:alice@evil.test:5060>" },
    TRUE, FALSE, LAN, 5060, SD_SIP_ALG_RECEIVED_PRIVATE | SD_SIP_ALG_CONTACT_REWRITTEN, "received=" LAN },
  { "no-answer", { "udp", LAN, 5060, WAN, 5060, NULL, NULL }, FALSE, FALSE, NULL, 0, 0, NULL },
  { "garbage-via", { "udp", LAN, 5060, WAN, 5060, "\x01\x02", NULL }, FALSE, FALSE, NULL, 0, 0, NULL },
};

static void
test_analyse (gconstpointer data)
{
  const NetCase *c = data;
  SdSipNetworkVerdict *v = sd_sip_network_analyse (&c->in);

  g_assert_cmpint (v->answered, ==, c->answered);
  g_assert_cmpint (v->nat, ==, c->nat);
  g_assert_cmpstr (v->public_host, ==, c->public_host);
  g_assert_cmpuint (v->public_port, ==, c->public_port);
  g_assert_cmpuint (v->alg, ==, c->alg);
  /* One sentence per piece of evidence. */
  g_assert_cmpuint (v->evidence->len, ==, (guint) __builtin_popcount (c->alg));
  if (c->evidence_has != NULL)
    g_assert_nonnull (strstr (v->evidence->pdata[0], c->evidence_has));
  for (guint i = 0; i < v->evidence->len; i++)
    {
      g_assert_true (g_utf8_validate (v->evidence->pdata[i], -1, NULL));
      g_assert_null (strchr (v->evidence->pdata[i], '\x01'));
    }
  sd_sip_network_verdict_free (v);
}

static void
test_private (void)
{
  static const struct { const char *a; gboolean p; } t[] = {
    { "10.1.2.3", TRUE }, { "172.16.0.1", TRUE }, { "172.31.255.255", TRUE }, { "172.32.0.1", FALSE },
    { "192.168.1.1", TRUE }, { "100.64.0.1", TRUE }, { "100.127.255.254", TRUE }, { "100.128.0.1", FALSE },
    { "169.254.1.1", TRUE }, { "203.0.113.10", FALSE }, { "8.8.8.8", FALSE }, { "127.0.0.1", FALSE },
    { "fd00::1", TRUE }, { "fe80::1", TRUE }, { "2001:db8::1", FALSE }, { "sip.example.test", FALSE },
    { "", FALSE }, { NULL, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    g_assert_cmpint (sd_sip_address_is_private (t[i].a), ==, t[i].p);
}

static void
test_udp_blocked (void)
{
  const SdSipProbeOutcome A = SD_SIP_PROBE_ANSWERED, N = SD_SIP_PROBE_NO_ANSWER;
  const SdSipProbeOutcome F = SD_SIP_PROBE_FAILED, X = SD_SIP_PROBE_NOT_RUN;

  g_assert_true (sd_sip_network_udp_blocked (N, A, X));
  g_assert_true (sd_sip_network_udp_blocked (N, X, A));
  g_assert_true (sd_sip_network_udp_blocked (N, F, A));
  g_assert_false (sd_sip_network_udp_blocked (A, A, A));
  g_assert_false (sd_sip_network_udp_blocked (N, N, N));    /* nothing answers: not UDP */
  g_assert_false (sd_sip_network_udp_blocked (N, F, F));
  g_assert_false (sd_sip_network_udp_blocked (F, A, A));    /* refused: a closed port, not a filter */
  g_assert_false (sd_sip_network_udp_blocked (X, A, A));

  /* the reverse */
  g_assert_true (sd_sip_network_stream_blocked (A, N, N));
  g_assert_true (sd_sip_network_stream_blocked (A, N, X));
  g_assert_true (sd_sip_network_stream_blocked (A, X, N));
  g_assert_true (sd_sip_network_stream_blocked (A, F, N));
  g_assert_false (sd_sip_network_stream_blocked (A, A, N));  /* TCP works */
  g_assert_false (sd_sip_network_stream_blocked (A, N, A));
  g_assert_false (sd_sip_network_stream_blocked (A, F, F));  /* refused: closed ports, not a filter */
  g_assert_false (sd_sip_network_stream_blocked (A, X, X));  /* not tried */
  g_assert_false (sd_sip_network_stream_blocked (N, N, N));  /* nothing answers */
  g_assert_false (sd_sip_network_stream_blocked (X, N, N));
}

static void
test_fragmentation (void)
{
  const SdSipProbeOutcome A = SD_SIP_PROBE_ANSWERED, N = SD_SIP_PROBE_NO_ANSWER, F = SD_SIP_PROBE_FAILED;
  const gsize sizes[] = { 1200, 1500, 3000 };
  const SdSipProbeOutcome lost_big[] = { A, N, N };
  const SdSipProbeOutcome lost_huge[] = { A, A, N };
  const SdSipProbeOutcome all[] = { A, A, A };
  const SdSipProbeOutcome none[] = { N, N, N };
  const SdSipProbeOutcome odd[] = { N, A, A };
  const SdSipProbeOutcome failed[] = { A, F, F };

  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, lost_big, 3), ==, 1500);
  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, lost_huge, 3), ==, 3000);
  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, all, 3), ==, 0);
  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, none, 3), ==, 0);
  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, odd, 3), ==, 0);   /* a lost small one is not size */
  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, failed, 3), ==, 0);
  g_assert_cmpuint (sd_sip_network_fragmentation (sizes, lost_big, 0), ==, 0);
}

static void
test_binding (void)
{
  g_assert_true (sd_sip_network_binding_outlived (TRUE, 3600, 0));
  g_assert_false (sd_sip_network_binding_outlived (TRUE, 3600, 25));   /* Flow-Timer keeps it alive */
  g_assert_false (sd_sip_network_binding_outlived (TRUE, 20, 0));
  g_assert_true (sd_sip_network_binding_outlived (TRUE, 60, 0));
  g_assert_false (sd_sip_network_binding_outlived (FALSE, 600, 0));
  g_assert_true (sd_sip_network_binding_outlived (FALSE, 3600, 0));
  g_assert_true (sd_sip_network_binding_outlived (FALSE, 0, 1200));
  g_assert_false (sd_sip_network_binding_outlived (TRUE, 0, 0));

  g_assert_cmpuint (sd_sip_network_registered_expires (
                      "<sip:bob@192.0.2.9:5060>;expires=10, <sip:alice@10.0.0.2:5070;transport=udp>;expires=3600",
                      "60", "10.0.0.2", 5070), ==, 3600);
  g_assert_cmpuint (sd_sip_network_registered_expires ("<sip:bob@192.0.2.9:5060>;expires=10", " 120 ",
                                                       "10.0.0.2", 5070), ==, 120);
  g_assert_cmpuint (sd_sip_network_registered_expires (NULL, NULL, "10.0.0.2", 5070), ==, 0);
  g_assert_cmpuint (sd_sip_network_registered_expires ("<sip:a@10.0.0.2:5070>;expires=x", "y",
                                                       "10.0.0.2", 5070), ==, 0);
  g_assert_cmpuint (sd_sip_network_registered_expires ("<sip:a@10.0.0.2>;expires=45", NULL,
                                                       "10.0.0.2", 5060), ==, 45);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (via_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sip/network/via/%s", via_cases[i].name);
      g_test_add_data_func (path, &via_cases[i], test_via);
    }
  for (guint i = 0; i < G_N_ELEMENTS (net_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sip/network/analyse/%s", net_cases[i].name);
      g_test_add_data_func (path, &net_cases[i], test_analyse);
    }
  g_test_add_func ("/sip/network/private", test_private);
  g_test_add_func ("/sip/network/udp-blocked", test_udp_blocked);
  g_test_add_func ("/sip/network/fragmentation", test_fragmentation);
  g_test_add_func ("/sip/network/binding", test_binding);
  return g_test_run ();
}
