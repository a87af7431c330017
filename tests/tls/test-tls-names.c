/* test-tls-names.c: table-driven tests of certificate name matching.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-tls-names.h"

#define V(...) ((const char *const[]) { __VA_ARGS__, NULL })

typedef struct {
  const char        *what;
  const char *const *dns;
  const char *const *ip;
  const char *const *uri;
  const char        *cn;
  const char        *host;
  SdNameMatch        expect;
} MatchCase;

static const MatchCase match_cases[] = {
  { "exact", V ("sip.example.com"), NULL, NULL, NULL, "sip.example.com", SD_NAME_MATCH_DNS },
  { "case folds", V ("SIP.Example.COM"), NULL, NULL, NULL, "sip.example.com", SD_NAME_MATCH_DNS },
  { "host upper case", V ("sip.example.com"), NULL, NULL, NULL, "SIP.EXAMPLE.com", SD_NAME_MATCH_DNS },
  { "trailing dot on host", V ("sip.example.com"), NULL, NULL, NULL, "sip.example.com.", SD_NAME_MATCH_DNS },
  { "trailing dot on name", V ("sip.example.com."), NULL, NULL, NULL, "sip.example.com", SD_NAME_MATCH_DNS },
  { "second of many", V ("a.example.com", "sip.example.com"), NULL, NULL, NULL, "sip.example.com", SD_NAME_MATCH_DNS },
  { "other name", V ("www.other.test", "other.test"), NULL, NULL, NULL, "sip.example.test", SD_NAME_MATCH_NONE },
  { "parent is not child", V ("example.com"), NULL, NULL, NULL, "sip.example.com", SD_NAME_MATCH_NONE },
  { "child is not parent", V ("sip.example.com"), NULL, NULL, NULL, "example.com", SD_NAME_MATCH_NONE },
  { "suffix is not a label", V ("ample.com"), NULL, NULL, NULL, "example.com", SD_NAME_MATCH_NONE },
  /* wildcards */
  { "wildcard one label", V ("*.example.test"), NULL, NULL, NULL, "sip.example.test", SD_NAME_MATCH_WILDCARD },
  { "wildcard not the apex", V ("*.example.test"), NULL, NULL, NULL, "example.test", SD_NAME_MATCH_NONE },
  { "wildcard one label only", V ("*.example.test"), NULL, NULL, NULL, "a.b.example.test", SD_NAME_MATCH_NONE },
  { "wildcard case", V ("*.EXAMPLE.test"), NULL, NULL, NULL, "Sip.Example.Test.", SD_NAME_MATCH_WILDCARD },
  { "wildcard needs two labels", V ("*.test"), NULL, NULL, NULL, "example.test", SD_NAME_MATCH_NONE },
  { "partial wildcard", V ("sip*.example.test"), NULL, NULL, NULL, "sip1.example.test", SD_NAME_MATCH_WILDCARD },
  { "partial wildcard mismatch", V ("sip*.example.test"), NULL, NULL, NULL, "www.example.test", SD_NAME_MATCH_NONE },
  { "wildcard not in second label", V ("sip.*.test"), NULL, NULL, NULL, "sip.example.test", SD_NAME_MATCH_NONE },
  { "two wildcards", V ("*.*.test"), NULL, NULL, NULL, "a.b.test", SD_NAME_MATCH_NONE },
  { "wildcard never an IP", V ("*.0.0.1"), NULL, NULL, NULL, "127.0.0.1", SD_NAME_MATCH_NONE },
  { "exact beats wildcard", V ("*.example.test", "sip.example.test"), NULL, NULL, NULL, "sip.example.test", SD_NAME_MATCH_DNS },
  { "no wildcard in IDN", V ("xn--*.example.test"), NULL, NULL, NULL, "xn--bcher-kva.example.test", SD_NAME_MATCH_NONE },
  /* IP addresses */
  { "ip SAN", NULL, V ("127.0.0.1"), NULL, NULL, "127.0.0.1", SD_NAME_MATCH_IP },
  { "ip other", NULL, V ("127.0.0.2"), NULL, NULL, "127.0.0.1", SD_NAME_MATCH_NONE },
  { "ip never from DNS names", V ("127.0.0.1"), NULL, NULL, NULL, "127.0.0.1", SD_NAME_MATCH_NONE },
  { "ip never from CN", NULL, NULL, NULL, "127.0.0.1", "127.0.0.1", SD_NAME_MATCH_NONE },
  { "ipv6 forms", NULL, V ("2001:db8:0:0:0:0:0:1"), NULL, NULL, "2001:DB8::1", SD_NAME_MATCH_IP },
  { "ipv6 brackets", NULL, V ("::1"), NULL, NULL, "[::1]", SD_NAME_MATCH_IP },
  { "the guide's IP test", V ("sip.example.test"), NULL, NULL, "sip.example.test", "127.0.0.1", SD_NAME_MATCH_NONE },
  /* the subject CN */
  { "CN without SAN", NULL, NULL, NULL, "sip.example.com", "sip.example.com", SD_NAME_MATCH_CN },
  { "CN ignored with SAN", V ("other.example.com"), NULL, NULL, "sip.example.com", "sip.example.com", SD_NAME_MATCH_NONE },
  { "CN with only IP SAN", NULL, V ("192.0.2.1"), NULL, "sip.example.com", "sip.example.com", SD_NAME_MATCH_CN },
  { "CN wildcard", NULL, NULL, NULL, "*.example.com", "sip.example.com", SD_NAME_MATCH_CN },
  { "CN not a name", NULL, NULL, NULL, "Lab SIP domain certificate", "sip.example.com", SD_NAME_MATCH_NONE },
  /* URI:sip: (RFC 5922) */
  { "sip URI only", NULL, NULL, V ("sip:example.test", "sip:sip.example.test"), "Lab SIP domain certificate",
    "sip.example.test", SD_NAME_MATCH_SIP_URI },
  { "sip URI with port and params", NULL, NULL, V ("sip:sip.example.test:5061;transport=tls"), NULL,
    "sip.example.test", SD_NAME_MATCH_SIP_URI },
  { "sips URI upper case", NULL, NULL, V ("SIPS:Example.Test"), NULL, "example.test", SD_NAME_MATCH_SIP_URI },
  { "http URI is not sip", NULL, NULL, V ("https://sip.example.test/"), NULL, "sip.example.test", SD_NAME_MATCH_NONE },
  { "DNS beats sip URI", V ("sip.example.test"), NULL, V ("sip:sip.example.test"), NULL, "sip.example.test", SD_NAME_MATCH_DNS },
  /* names holding a NUL (sd-cert-info shows it as "\\x00") or another control byte */
  { "NUL in name is not cut there", V ("sip.example.test\\x00.attacker.test"), NULL, NULL, NULL,
    "sip.example.test", SD_NAME_MATCH_NONE },
  { "NUL in name matches not even itself", V ("sip.example.test\\x00.attacker.test"), NULL, NULL, NULL,
    "sip.example.test\\x00.attacker.test", SD_NAME_MATCH_NONE },
  { "invalid DNS name keeps the CN out", V ("sip.example.test\\x00.attacker.test"), NULL, NULL,
    "sip.example.test", "sip.example.test", SD_NAME_MATCH_NONE },
  { "NUL in CN", NULL, NULL, NULL, "sip.example.test\\x00.attacker.test", "sip.example.test", SD_NAME_MATCH_NONE },
  { "NUL in wildcard", V ("*.example.test\\x00.attacker.test"), NULL, NULL, NULL, "sip.example.test",
    SD_NAME_MATCH_NONE },
  { "NUL in sip URI", NULL, NULL, V ("sip:sip.example.test\\x00.attacker.test"), NULL, "sip.example.test",
    SD_NAME_MATCH_NONE },
  { "raw control byte", V ("sip.example.test\n"), NULL, NULL, NULL, "sip.example.test\n", SD_NAME_MATCH_NONE },
  { "space", V ("sip.example.test other.test"), NULL, NULL, NULL, "sip.example.test other.test",
    SD_NAME_MATCH_NONE },
  { "valid name next to an invalid one", V ("sip.example.test\\x00.attacker.test", "sip.example.test"), NULL,
    NULL, NULL, "sip.example.test", SD_NAME_MATCH_DNS },
  { "empty host", V ("example.test"), NULL, NULL, NULL, "", SD_NAME_MATCH_NONE },
  { "nothing at all", NULL, NULL, NULL, NULL, "example.test", SD_NAME_MATCH_NONE },
};

/* A SIP client's check (RFC 5922 7.1): the CN only without any subjectAltName. */
static const MatchCase sip_match_cases[] = {
  { "CN without any SAN", NULL, NULL, NULL, "example.test", "example.test", SD_NAME_MATCH_CN },
  { "CN next to a sip URI of another domain", NULL, NULL, V ("sip:other.test"), "example.test", "example.test",
    SD_NAME_MATCH_NONE },
  { "CN next to an IP address", NULL, V ("127.0.0.1"), NULL, "example.test", "example.test", SD_NAME_MATCH_NONE },
  { "sip URI still matches next to a CN", NULL, NULL, V ("sip:example.test"), "example.test", "example.test",
    SD_NAME_MATCH_SIP_URI },
  { "DNS name", V ("example.test"), NULL, NULL, "other.test", "example.test", SD_NAME_MATCH_DNS },
  { "wildcard", V ("*.example.test"), NULL, NULL, NULL, "sip.example.test", SD_NAME_MATCH_WILDCARD },
  { "SRV target only", V ("sip.example.test"), NULL, NULL, "sip.example.test", "example.test", SD_NAME_MATCH_NONE },
};

static void
test_sip_match_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sip_match_cases); i++)
    {
      const MatchCase *c = &sip_match_cases[i];
      SdCertNames names = { c->dns, c->ip, c->uri, c->cn };
      SdNameMatch got = sd_tls_match_sip_host (&names, c->host);

      g_test_message ("case %u: %s (%s)", i, c->what, c->host);
      g_assert_cmpstr (sd_name_match_to_string (got), ==, sd_name_match_to_string (c->expect));
    }
}

static void
test_match_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (match_cases); i++)
    {
      const MatchCase *c = &match_cases[i];
      SdCertNames names = { c->dns, c->ip, c->uri, c->cn };
      SdNameMatch got = sd_tls_match_host (&names, c->host);

      g_test_message ("case %u: %s (%s)", i, c->what, c->host);
      g_assert_cmpstr (sd_name_match_to_string (got), ==, sd_name_match_to_string (c->expect));
    }
}

typedef struct {
  const char        *what;
  const char *const *dns;
  const char *const *ip;
  const char *const *uri;
  const char        *cn;
  const char        *domain;
  gboolean           sip_domain;  /* RFC 5922 valid for @domain itself */
  const char        *strict;      /* the name strict naming accepts, or NULL */
  const char        *identities;  /* RFC 5922 identities, comma-separated */
} SipCase;

static const SipCase sip_cases[] = {
  { "domain and sip. name", V ("sip.example.test", "example.test"), NULL, NULL, NULL, "example.test",
    TRUE, "example.test", "sip.example.test,example.test" },
  { "sip. name only", V ("sip.example.test"), NULL, NULL, NULL, "example.test",
    FALSE, "sip.example.test", "sip.example.test" },
  { "domain only", V ("example.test"), NULL, NULL, NULL, "example.test", TRUE, "example.test", "example.test" },
  { "pool name only (the guide's lcsserver1)", V ("lcsserver1.corp.test"), NULL, NULL, NULL, "fuzzybunny.test",
    FALSE, NULL, "lcsserver1.corp.test" },
  { "wildcard is never a SIP identity", V ("*.example.test"), NULL, NULL, "*.example.test", "example.test",
    FALSE, NULL, "*.example.test" },
  { "child domain is not enough", V ("sip.sales.example.test"), NULL, NULL, NULL, "example.test",
    FALSE, NULL, "sip.sales.example.test" },
  { "URI:sip: first, DNS ignored", V ("example.test"), NULL, V ("sip:other.test"), NULL, "example.test",
    FALSE, NULL, "other.test" },
  { "URI:sip: only", NULL, NULL, V ("sip:example.test", "sip:sip.example.test"), "Lab SIP domain certificate",
    "example.test", TRUE, "example.test", "example.test,sip.example.test" },
  { "URI not sip: falls back to DNS", V ("sip.example.test"), NULL, V ("https://example.test/"), NULL,
    "example.test", FALSE, "sip.example.test", "sip.example.test" },
  { "CN only without any SAN", NULL, NULL, NULL, "SIP.Example.Test.", "example.test",
    FALSE, "sip.example.test", "sip.example.test" },
  { "CN ignored with a SAN", NULL, V ("192.0.2.1"), NULL, "example.test", "example.test", FALSE, NULL, "" },
  { "case and trailing dot of domain", V ("example.test"), NULL, NULL, NULL, "EXAMPLE.test.",
    TRUE, "example.test", "example.test" },
  { "invalid DNS name is no identity", V ("sip.example.test\\x00.attacker.test", "example.test"), NULL, NULL,
    NULL, "example.test", TRUE, "example.test", "example.test" },
  { "invalid DNS name keeps the CN out", V ("example.test\\x00.attacker.test"), NULL, NULL, "example.test",
    "example.test", FALSE, NULL, "" },
  { "invalid sip URI is no identity", V ("sip.example.test"), NULL, V ("sip:example.test\\x00.attacker.test"),
    NULL, "example.test", FALSE, "sip.example.test", "sip.example.test" },
  { "NUL in CN", NULL, NULL, NULL, "example.test\\x00.attacker.test", "example.test", FALSE, NULL, "" },
};

static void
test_sip_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (sip_cases); i++)
    {
      const SipCase *c = &sip_cases[i];
      SdCertNames names = { c->dns, c->ip, c->uri, c->cn };
      g_auto(GStrv) ids = sd_tls_sip_identities (&names);
      g_autofree char *joined = g_strjoinv (",", ids);
      g_autofree char *strict = sd_tls_strict_name_match (&names, c->domain);

      g_test_message ("case %u: %s", i, c->what);
      g_assert_cmpint (sd_tls_sip_domain_matches (&names, c->domain), ==, c->sip_domain);
      g_assert_cmpstr (strict, ==, c->strict);
      g_assert_cmpstr (joined, ==, c->identities);
    }
}

typedef struct {
  const char *uri;
  const char *host;
} UriCase;

static const UriCase uri_cases[] = {
  { "sip:example.com", "example.com" },
  { "sip:alice@Example.com", "example.com" },
  { "sip:example.com:5061", "example.com" },
  { "sip:example.com;transport=tls", "example.com" },
  { "sips:[2001:db8::1]:5061", "2001:db8::1" },
  { "<sip:example.com>", NULL },
  { "sip:", NULL },
  { "sip:@", NULL },
  { "sip:[::1", NULL },
  { "tel:+123", NULL },
  { "http://example.com", NULL },
  { "", NULL },
  { "sip:example.test\\x00.attacker.test", NULL },
  { "sip:alice@example.test\x01", NULL },
};

static void
test_uri_host_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (uri_cases); i++)
    {
      g_autofree char *h = sd_tls_sip_uri_host (uri_cases[i].uri);
      g_test_message ("case %u: %s", i, uri_cases[i].uri);
      g_assert_cmpstr (h, ==, uri_cases[i].host);
    }
  g_assert_null (sd_tls_sip_uri_host (NULL));
}

static void
test_all_names (void)
{
  SdCertNames with_dns = { V ("a.test", "b.test"), V ("192.0.2.1"), V ("sip:a.test"), "a.test" };
  SdCertNames cn_only = { NULL, NULL, NULL, "legacy.test" };
  g_auto(GStrv) a = sd_tls_all_names (&with_dns);
  g_auto(GStrv) b = sd_tls_all_names (&cn_only);
  g_autofree char *ja = g_strjoinv (" ", a);
  g_autofree char *jb = g_strjoinv (" ", b);

  g_assert_cmpstr (ja, ==, "a.test b.test 192.0.2.1 sip:a.test");
  g_assert_cmpstr (jb, ==, "CN=legacy.test");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls/names/match", test_match_table);
  g_test_add_func ("/tls/names/match-sip", test_sip_match_table);
  g_test_add_func ("/tls/names/sip-domain", test_sip_table);
  g_test_add_func ("/tls/names/sip-uri-host", test_uri_host_table);
  g_test_add_func ("/tls/names/all-names", test_all_names);
  return g_test_run ();
}
