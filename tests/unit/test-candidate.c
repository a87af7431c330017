/* test-candidate.c: what a candidate says of where it came from
 * (sd-candidate.h): code asks its origin, never the words of its source.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "test-candidate"

#include <glib.h>
#include "sd-candidate.h"

static void
test_srv_origin (void)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string ("192.0.2.10");
  g_autoptr(SdCandidate) c = sd_candidate_new ("sip.example.test", 5061, SD_TRANSPORT_TLS, address,
                                               "SRV _sip._tls.example.test");
  g_autofree char *record = NULL;
  g_autofree char *advice = NULL;

  /* The words alone make no SRV candidate. */
  g_assert_cmpint (c->origin, ==, SD_CANDIDATE_FROM_OTHER);
  g_assert_null (c->srv_name);
  g_assert_null (sd_candidate_srv_record (c));
  g_assert_null (sd_candidate_srv_port_advice (c));

  sd_candidate_set_srv (c, "_sip._tls.example.test", 10, 60);
  g_assert_cmpint (c->origin, ==, SD_CANDIDATE_FROM_SRV);
  g_assert_cmpstr (c->srv_name, ==, "_sip._tls.example.test");
  record = sd_candidate_srv_record (c);
  g_assert_cmpstr (record, ==, "_sip._tls.example.test SRV 10 60 5061 sip.example.test.");
  advice = sd_candidate_srv_port_advice (c);
  g_assert_nonnull (advice);
  g_assert_nonnull (g_strstr_len (advice, -1, record));
}

static void
test_other_origin (void)
{
  g_autoptr(SdCandidate) c = sd_candidate_new ("sip.example.test", 5060, SD_TRANSPORT_TCP, NULL, "--server");

  g_assert_cmpint (c->origin, ==, SD_CANDIDATE_FROM_OTHER);
  g_assert_null (sd_candidate_srv_record (c));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/candidate/srv-origin", test_srv_origin);
  g_test_add_func ("/candidate/other-origin", test_other_origin);
  return g_test_run ();
}
