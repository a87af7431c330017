/* fuzz-ntlm-challenge.c: the NTLM CHALLENGE parser, and the AUTHENTICATE
 * and signatures made from whatever a parsed CHALLENGE holds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-ntlm.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(SdNtlmChallenge) c = sd_ntlm_challenge_parse (data, size, NULL);
  SdNtlmCredentials cred = { "alice", "LAB", "fuzz", NULL, NULL, NULL, 0, FALSE };
  g_autoptr(SdNtlmKeys) keys = NULL;
  g_autoptr(GBytes) auth = NULL;
  guint8 sig[16];

  if (c == NULL)
    return 0;
  /* Whatever the bytes, what the parser hands out is valid UTF-8. */
  g_assert_true (c->target_name == NULL || g_utf8_validate (c->target_name, -1, NULL));
  g_assert_true (c->nb_domain == NULL || g_utf8_validate (c->nb_domain, -1, NULL));
  g_assert_true (c->dns_computer == NULL || g_utf8_validate (c->dns_computer, -1, NULL));
  g_assert_cmpuint (c->target_info_length, <=, size);
  auth = sd_ntlm_authenticate (c, &cred, &keys, NULL);
  if (auth == NULL)
    return 0;
  g_assert_cmpuint (g_bytes_get_size (auth), >=, 72);
  sd_ntlm_sign (keys, TRUE, 100, data, size, sig);
  /* Our own signature never passes as the server's: the directions have
   * their own keys. */
  g_assert_false (sd_ntlm_verify (keys, 100, data, size, sig, sizeof sig));
  return 0;
}
