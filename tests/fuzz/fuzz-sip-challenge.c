/* fuzz-sip-challenge.c: the WWW-Authenticate / Proxy-Authenticate parser and
 * the Digest answer built from whatever a challenge holds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-sip-auth.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GPtrArray) challenges = sd_sip_parse_challenges (text, NULL);

  if (challenges == NULL)
    return 0;
  for (guint i = 0; i < challenges->len; i++)
    {
      SdSipChallenge *c = challenges->pdata[i];
      SdDigestInput in = { 0 };
      g_autofree char *credentials = NULL;

      g_assert_cmpuint (strlen (c->scheme), >, 0);
      g_assert_cmpuint (c->names->len, ==, c->values->len);
      /* Whatever the bytes, what the parser hands out is valid UTF-8. */
      g_assert_true (g_utf8_validate (c->scheme, -1, NULL));
      g_assert_true (c->token68 == NULL || g_utf8_validate (c->token68, -1, NULL));
      for (guint j = 0; j < c->names->len; j++)
        {
          g_assert_true (g_utf8_validate (c->names->pdata[j], -1, NULL));
          g_assert_true (g_utf8_validate (c->values->pdata[j], -1, NULL));
        }
      if (g_ascii_strcasecmp (c->scheme, "Digest") != 0)
        continue;
      in.algorithm = sd_digest_algorithm_from_string (sd_sip_challenge_get (c, "algorithm"));
      in.username = "alice";
      in.realm = sd_sip_challenge_get (c, "realm") != NULL ? sd_sip_challenge_get (c, "realm") : "";
      in.password = "fuzz";
      in.method = "REGISTER";
      in.uri = "sip:example.test";
      in.nonce = sd_sip_challenge_get (c, "nonce") != NULL ? sd_sip_challenge_get (c, "nonce") : "";
      in.cnonce = "0a4f113b";
      in.qop = sd_digest_choose_qop (sd_sip_challenge_get (c, "qop"), NULL);
      in.nc = 1;
      credentials = sd_digest_credentials (&in, sd_sip_challenge_get (c, "opaque"));
      if (credentials != NULL)
        {
          /* Our answer must read back with the same grammar, whatever the server's values. */
          g_autoptr(GPtrArray) back = sd_sip_parse_challenges (credentials, NULL);
          g_assert_nonnull (back);
          g_assert_cmpstr (sd_sip_challenge_get (back->pdata[0], "realm"), ==, in.realm);
          g_assert_cmpstr (sd_sip_challenge_get (back->pdata[0], "nonce"), ==, in.nonce);
        }
    }
  return 0;
}
