/* test-dns-profiles.c: each client profile's look-up plan, as a table: the
 * SRV names in the client's order, the fallback names, the rules.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-dns-profiles.h"
#include "sd-dns-plan.h"

typedef struct {
  SdClientProfile client;
  const char     *srv;        /* "prefix/transport ..." in order */
  const char     *fallback;   /* "name:transport/port,... ..." in order; "@" is the domain */
  gboolean        uses_naptr;
  gboolean        fallback_only_without_srv;
  gboolean        strict_naming_always;
  gboolean        autodiscover_first;
  SdDnsNamingRule naming;
} ProfileRow;

static const ProfileRow profile_rows[] = {
  { SD_CLIENT_GENERIC, "_sips._tcp/tls _sip._tls/tls _sip._tcp/tcp _sip._udp/udp",
    "@:tls/5061,tcp/5060,udp/5060", TRUE, TRUE, FALSE, FALSE, SD_DNS_NAMING_DOMAIN_OR_SIP },
  { SD_CLIENT_WM5, "_sip._tcp/tcp _sip._tls/tls",
    "sip.@:tls/5061,tcp/5060", FALSE, FALSE, TRUE, FALSE, SD_DNS_NAMING_DOMAIN_OR_SIP },
  { SD_CLIENT_OCS, "_sipinternaltls._tcp/tls _sipinternal._tcp/tcp _sip._tls/tls",
    "sipinternal.@:tls/5061,tcp/5060 sip.@:tls/5061,tcp/5060 sipexternal.@:tls/443",
    FALSE, FALSE, TRUE, FALSE, SD_DNS_NAMING_IN_DOMAIN },
  { SD_CLIENT_LYNC, "_sipinternaltls._tcp/tls _sipinternal._tcp/tcp _sip._tls/tls",
    "sipinternal.@:tls/5061,tcp/5060 sip.@:tls/5061,tcp/5060 sipexternal.@:tls/443",
    FALSE, FALSE, TRUE, TRUE, SD_DNS_NAMING_IN_DOMAIN },
};

static char *
srv_plan (const SdDnsProfile *p)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < p->n_srv; i++)
    g_string_append_printf (s, "%s%s/%s", i > 0 ? " " : "", p->srv[i].prefix,
                            sd_transport_to_string (p->srv[i].transport));
  return g_string_free (s, FALSE);
}

static char *
fallback_plan (const SdDnsProfile *p)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < p->n_fallback; i++)
    {
      const SdDnsFallbackName *f = &p->fallback[i];
      g_autofree char *name = sd_dns_profile_name (f->prefix, "@");
      gboolean first = TRUE;

      g_string_append_printf (s, "%s%s:", i > 0 ? " " : "", name);
      for (guint t = 0; t < G_N_ELEMENTS (f->transports); t++)
        {
          if (f->transports[t] == SD_TRANSPORT_AUTO)
            continue;
          g_string_append_printf (s, "%s%s/%u", first ? "" : ",",
                                  sd_transport_to_string (f->transports[t]), f->ports[t]);
          first = FALSE;
        }
    }
  return g_string_free (s, FALSE);
}

static void
test_profile_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (profile_rows); i++)
    {
      const ProfileRow *row = &profile_rows[i];
      const SdDnsProfile *p = sd_dns_profile_get (row->client);
      g_autofree char *srv = srv_plan (p);
      g_autofree char *fallback = fallback_plan (p);

      g_test_message ("profile %s", sd_client_profile_to_string (row->client));
      g_assert_cmpint (p->client, ==, row->client);
      g_assert_cmpstr (srv, ==, row->srv);
      g_assert_cmpstr (fallback, ==, row->fallback);
      g_assert_cmpint (p->uses_naptr, ==, row->uses_naptr);
      g_assert_cmpint (p->fallback_only_without_srv, ==, row->fallback_only_without_srv);
      g_assert_cmpint (p->strict_naming_always, ==, row->strict_naming_always);
      g_assert_cmpint (p->autodiscover_first, ==, row->autodiscover_first);
      g_assert_cmpint (p->naming, ==, row->naming);
    }
  /* an unknown value gets the standard client's plan */
  g_assert_true (sd_dns_profile_get ((SdClientProfile) 99) == sd_dns_profile_get (SD_CLIENT_GENERIC));
}

static void
test_srv_prefix_for_transport (void)
{
  static const struct { SdClientProfile client; SdTransport t; const char *prefix; } rows[] = {
    { SD_CLIENT_GENERIC, SD_TRANSPORT_TLS, "_sips._tcp" },
    { SD_CLIENT_GENERIC, SD_TRANSPORT_UDP, "_sip._udp" },
    { SD_CLIENT_WM5,     SD_TRANSPORT_TLS, "_sip._tls" },
    { SD_CLIENT_WM5,     SD_TRANSPORT_UDP, NULL },
    { SD_CLIENT_OCS,     SD_TRANSPORT_TCP, "_sipinternal._tcp" },
    { SD_CLIENT_LYNC,    SD_TRANSPORT_UDP, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_cmpstr (sd_dns_profile_srv_prefix (sd_dns_profile_get (rows[i].client), rows[i].t), ==,
                     rows[i].prefix);
}

static void
test_strict_naming (void)
{
  static const struct { SdClientProfile client; const char *host; gboolean ok; } rows[] = {
    { SD_CLIENT_WM5,     "sip.example.com",          TRUE },
    { SD_CLIENT_WM5,     "EXAMPLE.COM.",             TRUE },
    { SD_CLIENT_WM5,     "pool.example.com",         FALSE },
    { SD_CLIENT_WM5,     "sip.example.net",          FALSE },
    { SD_CLIENT_GENERIC, "pool.example.com",         FALSE },
    { SD_CLIENT_OCS,     "pool.example.com",         TRUE },
    { SD_CLIENT_OCS,     "sipinternal.example.com.", TRUE },
    { SD_CLIENT_OCS,     "sip.example.net",          FALSE },
    { SD_CLIENT_LYNC,    "a.b.example.com",          TRUE },
    { SD_CLIENT_LYNC,    "badexample.com",           FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_cmpint (sd_dns_profile_strict_ok (sd_dns_profile_get (rows[i].client), "example.com",
                                               rows[i].host), ==, rows[i].ok);
}

static void
test_zone_example (void)
{
  g_autofree char *wm5 = sd_dns_profile_zone_example (sd_dns_profile_get (SD_CLIENT_WM5), "example.com");
  g_autofree char *lync = sd_dns_profile_zone_example (sd_dns_profile_get (SD_CLIENT_LYNC), "example.com");
  g_autofree char *generic = sd_dns_profile_zone_example (sd_dns_profile_get (SD_CLIENT_GENERIC), "example.com");

  g_assert_cmpstr (wm5, ==, "_sip._tls.example.com. 3600 IN SRV 0 0 5061 sip.example.com.\n"
                            "_sip._tcp.example.com. 3600 IN SRV 0 0 5060 sip.example.com.\n"
                            "sip.example.com. 3600 IN A 192.0.2.10");
  g_assert_true (g_str_has_prefix (lync, "_sipinternaltls._tcp.example.com. 3600 IN SRV 0 0 5061 sip.example.com.\n"));
  g_assert_true (g_str_has_prefix (generic, "example.com. 3600 IN NAPTR 10 0 \"s\" \"SIPS+D2T\" \"\" "
                                            "_sips._tcp.example.com.\n"));
  g_assert_null (strchr (generic, '@'));
}

typedef struct { guint16 order, preference; const char *flags, *service, *target; } Naptr;

static char *
plan_of (SdClientProfile client, const Naptr *naptr, guint n, gboolean to_ask)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_dns_record_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) transports = g_array_new (FALSE, FALSE, sizeof (SdTransport));
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      SdDnsRecord *rr = g_new0 (SdDnsRecord, 1);
      rr->type = SD_DNS_TYPE_NAPTR;
      rr->name = g_strdup ("example.com");
      rr->order = naptr[i].order;
      rr->preference = naptr[i].preference;
      rr->flags = g_strdup (naptr[i].flags);
      rr->service = g_strdup (naptr[i].service);
      rr->regexp = g_strdup ("");
      rr->target = g_strdup (naptr[i].target);
      g_ptr_array_add (records, rr);
    }
  sd_dns_plan_srv_names (sd_dns_profile_get (client), "example.com", n > 0 ? records : NULL, to_ask,
                         names, transports);
  g_assert_cmpuint (names->len, ==, transports->len);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s%s/%s", i > 0 ? " " : "", (char *) names->pdata[i],
                            sd_transport_to_string (g_array_index (transports, SdTransport, i)));
  return g_string_free (s, FALSE);
}

/* RFC 3263 4.1: usable NAPTR records first, by order then preference. */
static void
test_srv_plan (void)
{
  static const Naptr naptr[] = {
    { 20, 0, "s", "SIP+D2U", "_sip._udp.example.com" },
    { 10, 50, "s", "SIP+D2T", "_sip._tcp.example.com" },
    { 10, 10, "S", "SIPS+D2T", "_sips._tcp.example.com" },
    { 5, 0, "u", "SIP+D2T", "ignored-flags.example.com" },
    { 5, 0, "s", "E2U+sip", "ignored-service.example.com" },
    { 5, 0, "s", "SIP+D2T", "." },
  };
  static const Naptr unusable[] = { { 5, 0, "a", "SIP+D2T", "host.example.com" } };
  static const struct {
    SdClientProfile client; const Naptr *naptr; guint n; gboolean to_ask; const char *plan;
  } rows[] = {
    { SD_CLIENT_GENERIC, naptr, G_N_ELEMENTS (naptr), FALSE,
      "_sips._tcp.example.com/tls _sip._tcp.example.com/tcp _sip._udp.example.com/udp" },
    { SD_CLIENT_GENERIC, naptr, G_N_ELEMENTS (naptr), TRUE,
      "_sips._tcp.example.com/tls _sip._tcp.example.com/tcp _sip._udp.example.com/udp "
      "_sips._tcp.example.com/tls _sip._tls.example.com/tls _sip._tcp.example.com/tcp "
      "_sip._udp.example.com/udp" },
    { SD_CLIENT_GENERIC, unusable, G_N_ELEMENTS (unusable), FALSE,
      "_sips._tcp.example.com/tls _sip._tls.example.com/tls _sip._tcp.example.com/tcp "
      "_sip._udp.example.com/udp" },
    { SD_CLIENT_GENERIC, NULL, 0, FALSE,
      "_sips._tcp.example.com/tls _sip._tls.example.com/tls _sip._tcp.example.com/tcp "
      "_sip._udp.example.com/udp" },
    /* Messenger knows no NAPTR */
    { SD_CLIENT_WM5, naptr, G_N_ELEMENTS (naptr), FALSE,
      "_sip._tcp.example.com/tcp _sip._tls.example.com/tls" },
    { SD_CLIENT_LYNC, NULL, 0, TRUE,
      "_sipinternaltls._tcp.example.com/tls _sipinternal._tcp.example.com/tcp _sip._tls.example.com/tls" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *plan = plan_of (rows[i].client, rows[i].naptr, rows[i].n, rows[i].to_ask);
      g_assert_cmpstr (plan, ==, rows[i].plan);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/profiles/table", test_profile_table);
  g_test_add_func ("/dns/profiles/srv-prefix", test_srv_prefix_for_transport);
  g_test_add_func ("/dns/profiles/strict-naming", test_strict_naming);
  g_test_add_func ("/dns/profiles/zone-example", test_zone_example);
  g_test_add_func ("/dns/plan/srv-names", test_srv_plan);
  return g_test_run ();
}
