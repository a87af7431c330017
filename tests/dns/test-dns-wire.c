/* test-dns-wire.c: the DNS query builder and the response parser, table-driven,
 * with the malformed answers a hostile or broken server can send.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-dns-wire.h"

/* Header: ID 0x1234, QR+RD+RA, NOERROR; then QD AN NS AR. */
#define HDR(an)   "\x12\x34\x81\x80\x00\x01\x00" an "\x00\x00\x00\x00"
/* Question at offset 12: _sip._tls.example.com SRV IN (name is 23 bytes). */
#define Q_SRV     "\x04_sip\x04_tls\x07" "example\x03" "com\x00" "\x00\x21\x00\x01"
/* An SRV answer, owner compressed to the question (offset 12), target sip.<ptr 22> */
#define SRV_RR(prio, weight, port) "\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x0c" prio weight port "\x03sip\xc0\x16"
#define A_RR      "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"

typedef struct {
  const char *what;
  const char *bytes;
  gsize       len;
  gboolean    ok;
  guint       answers;
  const char *first_target;  /* of the first answer, when ok */
} ParseCase;

#define B(s) s, sizeof (s) - 1

static const ParseCase parse_cases[] = {
  { "one SRV, compressed owner and target",
    B (HDR ("\x01") Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5")), TRUE, 1, "sip.example.com" },
  { "two SRV",
    B (HDR ("\x02") Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5") SRV_RR ("\x00\x14", "\x00\x00", "\x13\xc4")),
    TRUE, 2, "sip.example.com" },
  { "no answers (NOERROR, no data)", B (HDR ("\x00") Q_SRV), TRUE, 0, NULL },
  { "an A record", B (HDR ("\x01") Q_SRV A_RR), TRUE, 1, NULL },
  { "unknown type kept without data",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x63\x00\x01\x00\x00\x00\x3c\x00\x02\xab\xcd"), TRUE, 1, NULL },
  { "SRV target is the root (service unavailable)",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x07\x00\x00\x00\x00\x00\x00\x00"),
    TRUE, 1, "." },
  { "CNAME", B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x06\x03www\xc0\x16"),
    TRUE, 1, "www.example.com" },
  { "NAPTR", B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x23\x00\x01\x00\x00\x00\x3c\x00\x1d"
                "\x00\x0a\x00\x32\x01s\x08SIPS+D2T\x00\x05_sips\x04_tcp\xc0\x16"),
    TRUE, 1, "_sips._tcp.example.com" },
  /* Truncated: the commonest malformation. */
  { "empty", "", 0, FALSE, 0, NULL },
  { "half a header", B ("\x12\x34\x81\x80\x00"), FALSE, 0, NULL },
  { "header only, claims a question", B (HDR ("\x00")), FALSE, 0, NULL },
  { "question cut in its name", B (HDR ("\x00") "\x04_sip\x04_tl"), FALSE, 0, NULL },
  { "question without type", B (HDR ("\x00") "\x04_sip\x04_tls\x07" "example\x03" "com\x00" "\x00"), FALSE, 0, NULL },
  { "answer cut in the rdata",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x0c\x00\x0a\x00"), FALSE, 0, NULL },
  { "rdlength beyond the end",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\xff\xff\xc0\x00\x02\x01"), FALSE, 0, NULL },
  { "A record of 5 bytes",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x05\xc0\x00\x02\x01\x01"), FALSE, 0, NULL },
  { "AAAA record of 4 bytes",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"), FALSE, 0, NULL },
  { "SRV rdata with a byte too many",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x0d\x00\x0a\x00\x05\x13\xc5\x03sip\xc0\x16\x00"),
    FALSE, 0, NULL },
  { "SRV rdata shorter than its fixed part",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x03\x00\x0a\x00\x00\x00\x00\x00"),
    FALSE, 0, NULL },
  { "NAPTR string longer than the rdata",
    B (HDR ("\x01") Q_SRV "\xc0\x0c\x00\x23\x00\x01\x00\x00\x00\x3c\x00\x07\x00\x0a\x00\x32\x01s\x40"),
    FALSE, 0, NULL },
  /* Compression. */
  { "pointer to itself (loop)",
    B (HDR ("\x01") Q_SRV "\xc0\x27\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"), FALSE, 0, NULL },
  { "two pointers pointing at each other",
    B ("\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00" "\xc0\x0e\xc0\x0c\x00\x01\x00\x01"), FALSE, 0, NULL },
  { "pointer forward",
    B (HDR ("\x01") Q_SRV "\xc0\x30\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"), FALSE, 0, NULL },
  { "pointer out of range",
    B (HDR ("\x01") Q_SRV "\xff\xff\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"), FALSE, 0, NULL },
  { "pointer cut after one byte", B (HDR ("\x00") "\xc0"), FALSE, 0, NULL },
  { "reserved label type 0x40", B (HDR ("\x00") "\x41\x00\x00\x01\x00\x01"), FALSE, 0, NULL },
  { "reserved label type 0x80", B (HDR ("\x00") "\x81\x00\x00\x01\x00\x01"), FALSE, 0, NULL },
  { "label longer than the message", B (HDR ("\x00") "\x3f" "abc"), FALSE, 0, NULL },
  /* Counts. */
  { "huge answer count",
    B ("\x12\x34\x81\x80\x00\x01\xff\xff\x00\x00\x00\x00" Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5")),
    FALSE, 0, NULL },
  { "huge question count", B ("\x12\x34\x81\x80\xff\xff\x00\x00\x00\x00\x00\x00" Q_SRV), FALSE, 0, NULL },
  { "more answers claimed than present",
    B (HDR ("\x03") Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5") A_RR), FALSE, 0, NULL },
  /* TC: a truncated answer may lack records; what is there is kept. */
  { "TC bit, records missing",
    B ("\x12\x34\x83\x80\x00\x01\x00\x05\x00\x00\x00\x00" Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5")),
    TRUE, 1, "sip.example.com" },
  { "TC bit, record cut",
    B ("\x12\x34\x83\x80\x00\x01\x00\x02\x00\x00\x00\x00" Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5") "\xc0\x0c\x00"),
    TRUE, 1, "sip.example.com" },
};

static void
test_parse_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      const ParseCase *c = &parse_cases[i];
      g_autoptr(GError) error = NULL;
      /* A heap copy of the exact length, so ASan sees any read past it. */
      g_autofree guint8 *copy = g_memdup2 (c->bytes, c->len);
      g_autoptr(SdDnsMessage) msg = sd_dns_message_parse (copy, c->len, &error);

      g_test_message ("case %u: %s", i, c->what);
      if (!c->ok)
        {
          g_assert_null (msg);
          g_assert_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED);
          continue;
        }
      g_assert_no_error (error);
      g_assert_nonnull (msg);
      g_assert_cmpuint (msg->id, ==, 0x1234);
      g_assert_true (msg->is_response);
      g_assert_cmpstr (msg->qname, ==, "_sip._tls.example.com");
      g_assert_cmpuint (msg->answers->len, ==, c->answers);
      if (c->first_target != NULL)
        g_assert_cmpstr (((SdDnsRecord *) msg->answers->pdata[0])->target, ==, c->first_target);
    }
}

static void
test_parse_fields (void)
{
  static const char bytes[] = HDR ("\x02") Q_SRV SRV_RR ("\x00\x0a", "\x00\x05", "\x13\xc5") A_RR;
  g_autoptr(GError) error = NULL;
  g_autoptr(SdDnsMessage) msg = sd_dns_message_parse ((const guint8 *) bytes, sizeof bytes - 1, &error);
  SdDnsRecord *srv, *a;
  g_autofree char *addr = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (msg->rcode, ==, 0);
  g_assert_false (msg->truncated);
  g_assert_cmpuint (msg->qtype, ==, SD_DNS_TYPE_SRV);
  srv = msg->answers->pdata[0];
  g_assert_cmpstr (srv->name, ==, "_sip._tls.example.com");
  g_assert_cmpuint (srv->type, ==, SD_DNS_TYPE_SRV);
  g_assert_cmpuint (srv->ttl, ==, 3600);
  g_assert_cmpuint (srv->priority, ==, 10);
  g_assert_cmpuint (srv->weight, ==, 5);
  g_assert_cmpuint (srv->port, ==, 5061);
  a = msg->answers->pdata[1];
  addr = g_inet_address_to_string (a->address);
  g_assert_cmpstr (addr, ==, "192.0.2.1");
  g_assert_cmpuint (a->ttl, ==, 60);
}

static void
test_rcode_and_naptr (void)
{
  static const char nx[] = "\x12\x34\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" Q_SRV;
  static const char naptr[] = HDR ("\x01") Q_SRV "\xc0\x0c\x00\x23\x00\x01\x00\x00\x00\x3c\x00\x1d"
                              "\x00\x0a\x00\x32\x01s\x08SIPS+D2T\x00\x05_sips\x04_tcp\xc0\x16";
  g_autoptr(SdDnsMessage) m1 = sd_dns_message_parse ((const guint8 *) nx, sizeof nx - 1, NULL);
  g_autoptr(SdDnsMessage) m2 = sd_dns_message_parse ((const guint8 *) naptr, sizeof naptr - 1, NULL);
  SdDnsRecord *rr;

  g_assert_cmpuint (m1->rcode, ==, 3);
  g_assert_cmpstr (sd_dns_rcode_to_string (m1->rcode), ==, "NXDOMAIN");
  g_assert_cmpstr (sd_dns_rcode_to_string (2), ==, "SERVFAIL");
  g_assert_cmpstr (sd_dns_rcode_to_string (5), ==, "REFUSED");
  g_assert_cmpstr (sd_dns_rcode_to_string (9), ==, "RCODE9");
  rr = m2->answers->pdata[0];
  g_assert_cmpuint (rr->order, ==, 10);
  g_assert_cmpuint (rr->preference, ==, 50);
  g_assert_cmpstr (rr->flags, ==, "s");
  g_assert_cmpstr (rr->service, ==, "SIPS+D2T");
  g_assert_cmpstr (rr->regexp, ==, "");
}

static void
test_odd_label_bytes_are_escaped (void)
{
  /* A label with a dot, a backslash, a space and a 0xff inside. */
  static const char bytes[] = "\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00"
                              "\x04" "a.\\ " "\x01\xff\x00\x00\x01\x00\x01";
  g_autoptr(GError) error = NULL;
  g_autoptr(SdDnsMessage) msg = sd_dns_message_parse ((const guint8 *) bytes, sizeof bytes - 1, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (msg->qname, ==, "a\\.\\\\\\032.\\255");
  g_assert_true (g_utf8_validate (msg->qname, -1, NULL));
}

static void
test_longest_name (void)
{
  /* 255 octets on the wire is the limit; 257 is refused. */
  g_autoptr(GString) ok = g_string_new_len ("\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  g_autoptr(GString) bad = NULL;
  g_autoptr(SdDnsMessage) m = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 4; i++)
    {
      g_string_append_c (ok, i < 3 ? 63 : 61);
      for (int k = 0; k < (i < 3 ? 63 : 61); k++)
        g_string_append_c (ok, 'a');
    }
  bad = g_string_new_len (ok->str, ok->len);
  g_string_append_len (ok, "\x00\x00\x01\x00\x01", 5);
  m = sd_dns_message_parse ((const guint8 *) ok->str, ok->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (m->qname), ==, 253);

  g_string_append_len (bad, "\x02" "aa" "\x00\x00\x01\x00\x01", 8);
  g_clear_pointer (&m, sd_dns_message_free);
  m = sd_dns_message_parse ((const guint8 *) bad->str, bad->len, &error);
  g_assert_null (m);
  g_assert_error (error, SD_DNS_ERROR, SD_DNS_ERROR_MALFORMED);
}

static void
test_build_query (void)
{
  static const char want[] = "\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" Q_SRV;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) q = sd_dns_build_query (0xbeef, "_sip._tls.example.com.", SD_DNS_TYPE_SRV, &error);
  g_autoptr(SdDnsMessage) back = NULL;
  gsize len;
  const guint8 *data;

  g_assert_no_error (error);
  data = g_bytes_get_data (q, &len);
  g_assert_cmpmem (data, len, want, sizeof want - 1);
  back = sd_dns_message_parse (data, len, &error);
  g_assert_no_error (error);
  g_assert_false (back->is_response);
  g_assert_cmpstr (back->qname, ==, "_sip._tls.example.com");
}

static void
test_build_query_refuses_bad_names (void)
{
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *ok_label = g_strnfill (63, 'a');
  g_autofree char *too_long = g_strjoin (".", ok_label, ok_label, ok_label, ok_label, NULL);
  const char *bad[] = { "", ".", "a..b", ".a", "with space.test", "tab\t.test", long_label, too_long };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) q = sd_dns_build_query (1, bad[i], SD_DNS_TYPE_A, &error);
      g_test_message ("bad name %u", i);
      g_assert_null (q);
      g_assert_error (error, SD_DNS_ERROR, SD_DNS_ERROR_INVALID_NAME);
    }
  {
    g_autoptr(GBytes) q = sd_dns_build_query (1, ok_label, SD_DNS_TYPE_A, NULL);
    g_assert_nonnull (q);
  }
}

static void
test_name_equal (void)
{
  g_assert_true (sd_dns_name_equal ("Example.COM.", "example.com"));
  g_assert_false (sd_dns_name_equal ("example.com", "example.co"));
  g_assert_false (sd_dns_name_equal ("example.com", NULL));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dns/wire/parse-table", test_parse_table);
  g_test_add_func ("/dns/wire/parse-fields", test_parse_fields);
  g_test_add_func ("/dns/wire/rcode-naptr", test_rcode_and_naptr);
  g_test_add_func ("/dns/wire/escape", test_odd_label_bytes_are_escaped);
  g_test_add_func ("/dns/wire/longest-name", test_longest_name);
  g_test_add_func ("/dns/wire/build-query", test_build_query);
  g_test_add_func ("/dns/wire/build-bad-names", test_build_query_refuses_bad_names);
  g_test_add_func ("/dns/wire/name-equal", test_name_equal);
  return g_test_run ();
}
