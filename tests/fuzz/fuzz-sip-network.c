/* fuzz-sip-network.c: the Via parser and the NAT/ALG analysis on any bytes
 * a server (or a router on the way) could put in a response's Via and in
 * the Contact of a 200 to REGISTER. The input is split at the first NUL:
 * Via, then Contact.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-sip-network.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *via_text = NULL;
  g_autofree char *contact = NULL;
  const guint8 *nul = memchr (data, '\0', size);
  SdSipVia via;

  if (size > 16 * 1024)
    return 0;
  /* The message parser hands out valid UTF-8 only; so does this. */
  via_text = g_utf8_make_valid ((const char *) data, nul != NULL ? nul - data : (gssize) size);
  if (nul != NULL)
    contact = g_utf8_make_valid ((const char *) nul + 1, (gssize) (size - (gsize) (nul - data) - 1));

  if (sd_sip_via_parse (via_text, &via))
    {
      g_assert_nonnull (via.host);
      g_assert_true (g_utf8_validate (via.protocol, -1, NULL));
      if (via.received != NULL)
        g_assert_true (g_utf8_validate (via.received, -1, NULL));
      sd_sip_via_clear (&via);
    }
  else
    g_assert_null (via.host);

  for (guint t = 0; t < 2; t++)
    {
      SdSipNetworkInput in = {
        t == 0 ? "udp" : "tcp", t == 0 ? "10.0.0.2" : "192.168.1.20", 5060,
        t == 0 ? "203.0.113.10" : "10.0.0.1", 5060, via_text, contact,
      };
      SdSipNetworkVerdict *v = sd_sip_network_analyse (&in);

      g_assert_cmpuint (v->evidence->len, ==, (guint) __builtin_popcount (v->alg));
      for (guint i = 0; i < v->evidence->len; i++)
        {
          const char *s = v->evidence->pdata[i];
          g_assert_true (g_utf8_validate (s, -1, NULL));
          /* escaped: no control characters reach a person's terminal */
          for (const char *p = s; *p != '\0'; p++)
            g_assert_false ((guchar) *p < 0x20 || *p == 0x7f);
        }
      if (v->answered)
        g_assert_nonnull (v->public_host);
      sd_sip_network_verdict_free (v);
    }
  (void) sd_sip_network_registered_expires (contact, via_text, "10.0.0.2", 5060);
  return 0;
}
