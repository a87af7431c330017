/* test-dns-findings.c: the dns step's findings from plain facts, as a table:
 * the code, the severity, and the facts each message and advice must name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-dns-findings.h"

typedef struct {
  const char      *what;
  SdDnsFindingKind kind;
  SdDnsFacts       facts;
  const char      *code;
  SdSeverity       severity;
  const char      *in_message[4];
  const char      *in_advice[4];
  const char      *not_in_message;
} FindingRow;

#define RUN(client_, have_) \
  .domain = "example.com", .client = (client_), .timeout_s = 5, \
  .server_control = "--server", .dns_server_control = "--dns-server", .have_candidates = (have_)

static const FindingRow finding_rows[] = {
  { "timeout, named server, nothing found", SD_DNS_FINDING_TIMEOUT,
    { RUN (SD_CLIENT_GENERIC, FALSE), .server = "127.0.0.1:5353", .count = 2,
      .list = "_sip._tls.example.com SRV, sip.example.com A" },
    SD_FINDING_DNS_SERVER_TIMEOUT, SD_SEVERITY_ERROR,
    { "127.0.0.1:5353", "within 5 s", "2 look-ups", "sip.example.com A" },
    { "The DNS server 127.0.0.1:5353 does not answer" }, "this computer" },
  { "timeout, system servers, servers found", SD_DNS_FINDING_TIMEOUT,
    { RUN (SD_CLIENT_WM5, TRUE), .server = NULL, .count = 1, .list = "_sip._tcp.example.com SRV" },
    SD_FINDING_DNS_SERVER_TIMEOUT, SD_SEVERITY_WARNING,
    { "the DNS servers of this computer", "1 look-up (" },
    { "The DNS servers of this computer do not answer" }, NULL },
  { "refused", SD_DNS_FINDING_SERVER_REFUSED,
    { RUN (SD_CLIENT_GENERIC, FALSE), .server = "127.0.0.1:53", .error = "REFUSED sentence" },
    SD_FINDING_DNS_SERVER_ERROR, SD_SEVERITY_ERROR,
    { "REFUSED sentence" }, { "127.0.0.1:53 refuses", "example.com", "leave out --dns-server" }, NULL },
  { "nothing listens", SD_DNS_FINDING_SERVER_UNREACHABLE,
    { RUN (SD_CLIENT_GENERIC, TRUE), .server = "127.0.0.1:9", .error = "nothing listens" },
    SD_FINDING_DNS_SERVER_ERROR, SD_SEVERITY_WARNING,
    { "nothing listens" }, { "No DNS server runs at 127.0.0.1:9", "--dns-server" }, NULL },
  { "other server error", SD_DNS_FINDING_SERVER_ERROR,
    { RUN (SD_CLIENT_GENERIC, FALSE), .server = "127.0.0.1:53", .error = "SERVFAIL" },
    SD_FINDING_DNS_SERVER_ERROR, SD_SEVERITY_ERROR,
    { "SERVFAIL" }, { "127.0.0.1:53 could not answer for example.com", "--dns-server" }, NULL },
  { "service switched off, servers left", SD_DNS_FINDING_SERVICE_UNAVAILABLE,
    { RUN (SD_CLIENT_GENERIC, TRUE), .name = "_sip._tls.example.com" },
    SD_FINDING_DNS_SERVICE_UNAVAILABLE, SD_SEVERITY_INFO,
    { "_sip._tls.example.com", "\".\"" }, { "_sip._tls.example.com. 3600 IN SRV 0 0 5061 sip.example.com." }, NULL },
  { "service switched off, none left", SD_DNS_FINDING_SERVICE_UNAVAILABLE,
    { RUN (SD_CLIENT_GENERIC, FALSE), .name = "_sip._tls.example.com" },
    SD_FINDING_DNS_SERVICE_UNAVAILABLE, SD_SEVERITY_ERROR, { "_sip._tls.example.com" }, { "sip.example.com" }, NULL },
  { "target without address", SD_DNS_FINDING_SRV_TARGET_UNRESOLVABLE,
    { RUN (SD_CLIENT_WM5, TRUE), .name = "_sip._tls.example.com", .target = "ghost.example.com" },
    SD_FINDING_DNS_SRV_TARGET_UNRESOLVABLE, SD_SEVERITY_WARNING,
    { "_sip._tls.example.com points to ghost.example.com" },
    { "ghost.example.com. 3600 IN A 192.0.2.10", "_sip._tls.example.com" }, NULL },
  { "no SRV, wm5 zone", SD_DNS_FINDING_NO_SRV,
    { RUN (SD_CLIENT_WM5, TRUE), .target = "sip.example.com" },
    SD_FINDING_DNS_NO_SRV, SD_SEVERITY_WARNING,
    { "example.com has no SIP SRV records", "sip.example.com" },
    { "_sip._tls.example.com. 3600 IN SRV 0 0 5061 sip.example.com." }, NULL },
  { "SRV target is an alias", SD_DNS_FINDING_SRV_TARGET_CNAME,
    { RUN (SD_CLIENT_GENERIC, TRUE), .name = "_sip._tls.example.com", .target = "alias.example.com",
      .real_name = "real.example.com", .record = "THE RECORD" },
    SD_FINDING_DNS_SRV_TARGET_CNAME, SD_SEVERITY_WARNING,
    { "alias.example.com", "real.example.com", "RFC 2782" }, { "THE RECORD" }, NULL },
  { "other transports, client looks this one up", SD_DNS_FINDING_OTHER_TRANSPORTS,
    { RUN (SD_CLIENT_WM5, FALSE), .transport = SD_TRANSPORT_TCP,
      .list = "TLS: SRV _sip._tls.example.com → sip.example.com:5061", .target = "sip.example.com",
      .other_transport = SD_TRANSPORT_TLS },
    SD_FINDING_DNS_NO_RECORDS_FOR_TRANSPORT, SD_SEVERITY_ERROR,
    { "SIP over TCP", "TLS: SRV _sip._tls.example.com" },
    { "_sip._tcp.example.com. 3600 IN SRV 0 0 5060 sip.example.com.\n", "(transport tls)" }, NULL },
  { "other transports, client never looks this one up", SD_DNS_FINDING_OTHER_TRANSPORTS,
    { RUN (SD_CLIENT_OCS, FALSE), .transport = SD_TRANSPORT_UDP, .list = "TLS: …",
      .target = "sip.example.com.", .other_transport = SD_TRANSPORT_TLS },
    SD_FINDING_DNS_NO_RECORDS_FOR_TRANSPORT, SD_SEVERITY_ERROR,
    { "SIP over UDP" }, { "never looks for SIP over UDP", "(transport tls)" }, NULL },
  { "domain missing", SD_DNS_FINDING_DOMAIN_NOT_FOUND,
    { RUN (SD_CLIENT_GENERIC, FALSE) },
    SD_FINDING_DNS_DOMAIN_NOT_FOUND, SD_SEVERITY_ERROR,
    { "example.com does not exist", "NXDOMAIN" }, { "(example.com)", "--server" }, NULL },
  { "no records, ocs zone", SD_DNS_FINDING_NO_RECORDS,
    { RUN (SD_CLIENT_OCS, FALSE) },
    SD_FINDING_DNS_NO_RECORDS, SD_SEVERITY_ERROR,
    { "example.com exists" },
    { "_sipinternaltls._tcp.example.com. 3600 IN SRV 0 0 5061 sip.example.com.", "--server" }, NULL },
  { "strict naming, Messenger's rule, warning", SD_DNS_FINDING_STRICT_NAMING,
    { RUN (SD_CLIENT_WM5, TRUE), .name = "_sip._tls.example.com", .list = "pool.example.net" },
    SD_FINDING_DNS_STRICT_NAMING, SD_SEVERITY_WARNING,
    { "_sip._tls.example.com points to pool.example.net", "neither example.com nor sip.example.com" },
    { "sip.example.com", "DisableStrictDNSNaming" }, "outside the SIP domain" },
  { "strict naming, Lync's rule, asked strictly", SD_DNS_FINDING_STRICT_NAMING,
    { RUN (SD_CLIENT_LYNC, TRUE), .strict_dns_naming = TRUE, .name = "_sipinternaltls._tcp.example.com",
      .list = "a.example.net, b.example.net" },
    SD_FINDING_DNS_STRICT_NAMING, SD_SEVERITY_ERROR,
    { "outside the SIP domain example.com", "a.example.net, b.example.net" },
    { "_sipinternaltls._tcp.example.com at it" }, "neither" },
  { "explicit server without address", SD_DNS_FINDING_HOST_UNRESOLVABLE,
    { RUN (SD_CLIENT_GENERIC, FALSE), .target = "typo.example.com" },
    SD_FINDING_DNS_NO_RECORDS, SD_SEVERITY_ERROR,
    { "typo.example.com does not resolve" }, { "typo.example.com. 3600 IN A" }, NULL },
  { "too many records", SD_DNS_FINDING_TOO_MANY_RECORDS,
    { RUN (SD_CLIENT_GENERIC, TRUE), .name = "huge.example.com", .list = "64 of the 1000 servers" },
    SD_FINDING_DNS_TOO_MANY_RECORDS, SD_SEVERITY_WARNING,
    { "huge.example.com", "64 of the 1000 servers" }, { "huge.example.com" }, NULL },
  { "this computer's resources", SD_DNS_FINDING_LOCAL_RESOURCES,
    { RUN (SD_CLIENT_GENERIC, TRUE), .count = 3, .error = "Too many open files" },
    SD_FINDING_DNS_LOCAL_RESOURCES, SD_SEVERITY_ERROR,
    { "3 DNS look-ups", "Too many open files", "nothing about the DNS server" }, { "ulimit -n" }, NULL },
};

static void
test_findings_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (finding_rows); i++)
    {
      const FindingRow *row = &finding_rows[i];
      g_autoptr(SdFinding) f = sd_dns_finding_build (row->kind, &row->facts);

      g_test_message ("%s", row->what);
      g_assert_nonnull (f);
      g_assert_cmpstr (f->code, ==, row->code);
      g_assert_cmpint (f->severity, ==, row->severity);
      g_assert_cmpint (f->step, ==, SD_STEP_DNS);
      g_assert_true (f->message != NULL && *f->message != '\0');
      g_assert_true (f->advice != NULL && *f->advice != '\0');
      for (guint k = 0; k < G_N_ELEMENTS (row->in_message) && row->in_message[k] != NULL; k++)
        if (strstr (f->message, row->in_message[k]) == NULL)
          g_error ("%s: message lacks \"%s\": %s", row->what, row->in_message[k], f->message);
      for (guint k = 0; k < G_N_ELEMENTS (row->in_advice) && row->in_advice[k] != NULL; k++)
        if (strstr (f->advice, row->in_advice[k]) == NULL)
          g_error ("%s: advice lacks \"%s\": %s", row->what, row->in_advice[k], f->advice);
      if (row->not_in_message != NULL)
        g_assert_null (strstr (f->message, row->not_in_message));
    }
}

/* Every kind has a row: a new kind without one fails here. */
static void
test_every_kind_has_a_row (void)
{
  for (guint kind = 0; kind <= SD_DNS_FINDING_LOCAL_RESOURCES; kind++)
    {
      gboolean found = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (finding_rows); i++)
        found = found || finding_rows[i].kind == kind;
      if (!found)
        g_error ("finding kind %u has no row", kind);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/findings/table", test_findings_table);
  g_test_add_func ("/dns/findings/every-kind", test_every_kind_has_a_row);
  return g_test_run ();
}
