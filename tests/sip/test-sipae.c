/* test-sipae.c: NTLMv2 against the published vectors of [MS-NLMP] 4.2.4,
 * the CHALLENGE parser, the MS-SIPAE signed fields and ms-diagnostics.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-ntlm.h"
#include "sd-sipae.h"
#include "sd-sip-message.h"

static guint8 *
unhex (const char *text, gsize *length)
{
  guint8 *out = sd_sipae_unhex (text, 4096, length);
  g_assert_nonnull (out);
  return out;
}

static void
assert_hex (const guint8 *data, gsize length, const char *expected)
{
  g_autofree char *got = sd_sipae_hex (data, length);
  g_assert_cmpstr (got, ==, expected);
}

/* --- MS-NLMP 4.2.4: User "User", domain "Domain", password "Password",
 * server challenge 0123456789abcdef, client challenge aa * 8, time 0,
 * random session key 55 * 16, AV pairs NbDomainName "Domain" and
 * NbComputerName "Server". ---------------------------------------------- */

#define V_TARGET_INFO "02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000"

typedef struct {
  const char *name;
  const char *expected;
} Vector;

static const Vector vectors[] = {
  { "NTOWFv1 (4.2.2.1.2)", "a4f49c406510bdcab6824ee7c30fd852" },
  { "NTOWFv2 (4.2.4.1.1)", "0c868a403bfd7a93a3001ef22ef02e3f" },
  { "LMv2 response (4.2.4.2.1)", "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa" },
  { "NTProofStr (4.2.4.2.2)", "68cd0ab851e51c96aabc927bebef6a1c" },
  { "SessionBaseKey (4.2.4.1.2)", "8de40ccadbc14a82f15cb0ad0de95ca3" },
  { "EncryptedRandomSessionKey (4.2.4.2.3)", "c5dad2544fc9799094ce1ce90bc9d03e" },
  { "client signing key (4.2.4.4)", "4788dc861b4782f35d43fd98fe1a2d39" },
  { "client sealing key (4.2.4.4)", "59f600973cc4960a25480a7c196e4c58" },
  { "NTLMv2 response (NTProofStr + temp)",
    "68cd0ab851e51c96aabc927bebef6a1c01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000"
    V_TARGET_INFO "00000000" },
};

/* A CHALLENGE as MS-NLMP 4.2.4 describes it (flags 0xe28a8233 plus
 * DATAGRAM, target name "Domain", the AV pairs above). */
static GByteArray *
vector_challenge (guint32 flags, const char *target_info_hex)
{
  GByteArray *m = g_byte_array_new ();
  static const guint8 name[] = { 'D', 0, 'o', 0, 'm', 0, 'a', 0, 'i', 0, 'n', 0 };
  gsize info_length = 0;
  g_autofree guint8 *info = target_info_hex != NULL ? unhex (target_info_hex, &info_length) : NULL;
  guint8 header[56] = { 'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 2, 0, 0, 0 };

  header[12] = sizeof name;
  header[14] = sizeof name;
  header[16] = 56;
  header[20] = flags & 0xff;
  header[21] = (flags >> 8) & 0xff;
  header[22] = (flags >> 16) & 0xff;
  header[23] = flags >> 24;
  memcpy (header + 24, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
  header[40] = (guint8) info_length;
  header[42] = (guint8) info_length;
  header[44] = 56 + sizeof name;
  g_byte_array_append (m, header, sizeof header);
  g_byte_array_append (m, name, sizeof name);
  if (info != NULL)
    g_byte_array_append (m, info, info_length);
  return m;
}

#define VECTOR_FLAGS (0xe28a8233u | SD_NTLM_NEGOTIATE_DATAGRAM)

static void
test_ntlm_vectors (void)
{
  guint8 nt[16], ntowf[16], lm[24], base[16], encrypted[16];
  guint8 client_challenge[8], session_key[16];
  gsize info_length = 0;
  g_autofree guint8 *info = unhex (V_TARGET_INFO, &info_length);
  g_autoptr(GByteArray) response = NULL;
  g_autoptr(SdNtlmKeys) keys = g_new0 (SdNtlmKeys, 1);
  const guint8 server_challenge[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
  const guint8 *results[G_N_ELEMENTS (vectors)];
  gsize lengths[G_N_ELEMENTS (vectors)];

  if (!sd_ntlm_available ())
    {
      g_test_skip ("built without nettle");
      return;
    }
  memset (client_challenge, 0xaa, 8);
  memset (session_key, 0x55, 16);
  g_assert_true (sd_ntlm_nt_hash ("Password", nt));
  g_assert_true (sd_ntlm_ntowf_v2 (nt, "User", "Domain", ntowf));
  response = sd_ntlm_v2_response (ntowf, server_challenge, client_challenge, 0, info, info_length, lm, base);
  {
    /* RC4 (KeyExchangeKey, ExportedSessionKey) through the AUTHENTICATE builder below. */
    keys->flags = VECTOR_FLAGS;
    memcpy (keys->session_key, session_key, 16);
    sd_ntlm_derive_keys (keys);
  }
  {
    g_autoptr(GByteArray) challenge = vector_challenge (VECTOR_FLAGS, V_TARGET_INFO);
    g_autoptr(SdNtlmChallenge) c = sd_ntlm_challenge_parse (challenge->data, challenge->len, NULL);
    SdNtlmCredentials cred = { "User", "Domain", "Password", "COMPUTER", client_challenge, session_key, 0, TRUE };
    g_autoptr(SdNtlmKeys) k2 = NULL;
    g_autoptr(GBytes) auth = NULL;
    const guint8 *a;
    gsize n;

    g_assert_nonnull (c);
    auth = sd_ntlm_authenticate (c, &cred, &k2, NULL);
    g_assert_nonnull (auth);
    a = g_bytes_get_data (auth, &n);
    g_assert_cmpmem (a, 8, "NTLMSSP\0", 8);
    g_assert_cmpuint (a[8], ==, 3);
    /* EncryptedRandomSessionKey field (offset 52) */
    {
      guint16 len = a[52] | (a[53] << 8);
      guint32 off = a[56] | (a[57] << 8) | (a[58] << 16) | ((guint32) a[59] << 24);
      g_assert_cmpuint (len, ==, 16);
      g_assert_cmpuint (off + len, <=, n);
      memcpy (encrypted, a + off, 16);
    }
    /* The user and domain fields hold UTF-16LE "User" and "Domain". */
    {
      guint16 len = a[36] | (a[37] << 8);
      guint32 off = a[40] | (a[41] << 8);
      g_assert_cmpuint (len, ==, 8);
      g_assert_cmpmem (a + off, 8, "U\0s\0e\0r\0", 8);
    }
    g_assert_cmpmem (k2->client_sign, 16, keys->client_sign, 16);
    /* The NtChallengeResponse field (offset 20) is the vector's whole response. */
    {
      guint16 len = a[20] | (a[21] << 8);
      guint32 off = a[24] | (a[25] << 8);
      g_assert_cmpuint (len, ==, response->len);
      g_assert_cmpmem (a + off, len, response->data, response->len);
    }
  }

  results[0] = nt; lengths[0] = 16;
  results[1] = ntowf; lengths[1] = 16;
  results[2] = lm; lengths[2] = 24;
  results[3] = response->data; lengths[3] = 16;
  results[4] = base; lengths[4] = 16;
  results[5] = encrypted; lengths[5] = 16;
  results[6] = keys->client_sign; lengths[6] = 16;
  results[7] = keys->client_seal; lengths[7] = 16;
  results[8] = response->data; lengths[8] = response->len;
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_test_message ("%s", vectors[i].name);
      assert_hex (results[i], lengths[i], vectors[i].expected);
    }
}

static void
test_ntlm_sign_verify (void)
{
  g_autoptr(SdNtlmKeys) keys = g_new0 (SdNtlmKeys, 1);
  const char *text = "<NTLM><3c7b2f1a><1><SIP Communications Service><server.contoso.com>";
  guint8 sig[16], other[16];

  if (!sd_ntlm_available ())
    {
      g_test_skip ("built without nettle");
      return;
    }
  keys->flags = VECTOR_FLAGS;
  memset (keys->session_key, 0x55, 16);
  sd_ntlm_derive_keys (keys);
  /* A signature is version 1, 8 bytes of checksum, the sequence number. */
  sd_ntlm_sign (keys, TRUE, 100, (const guint8 *) text, strlen (text), sig);
  g_assert_cmpmem (sig, 4, "\x01\0\0\0", 4);
  g_assert_cmpmem (sig + 12, 4, "\x64\0\0\0", 4);
  /* What the server signs, we verify; not what we signed ourselves. */
  sd_ntlm_sign (keys, FALSE, 100, (const guint8 *) text, strlen (text), other);
  g_assert_true (sd_ntlm_verify (keys, 100, (const guint8 *) text, strlen (text), other, 16));
  g_assert_false (sd_ntlm_verify (keys, 100, (const guint8 *) text, strlen (text), sig, 16));
  g_assert_false (sd_ntlm_verify (keys, 101, (const guint8 *) text, strlen (text), other, 16));
  g_assert_false (sd_ntlm_verify (keys, 100, (const guint8 *) text, strlen (text) - 1, other, 16));
  g_assert_false (sd_ntlm_verify (keys, 100, (const guint8 *) text, strlen (text), other, 15));
  /* Connectionless: the same message and number sign the same. */
  sd_ntlm_sign (keys, FALSE, 100, (const guint8 *) text, strlen (text), sig);
  g_assert_cmpmem (sig, 16, other, 16);
}

/* --- the CHALLENGE parser ------------------------------------------------ */

typedef struct {
  const char *name;
  guint       cut;        /* bytes to drop from the end */
  guint       poke_at;    /* 0: none */
  guint8      poke;
  const char *info;       /* target info hex, or NULL */
  gboolean    ok;
  const char *nb_domain;
} ChallengeCase;

static const ChallengeCase challenge_cases[] = {
  { "vector", 0, 0, 0, V_TARGET_INFO, TRUE, "Domain" },
  { "no-target-info", 0, 0, 0, NULL, TRUE, NULL },
  { "timestamp", 0, 0, 0, "07000800" "0102030405060708" "0000" "0000", TRUE, NULL },
  { "truncated-payload", 4, 0, 0, V_TARGET_INFO, FALSE, NULL },
  { "bad-signature", 0, 3, 'X', V_TARGET_INFO, FALSE, NULL },
  { "wrong-type", 0, 8, 3, V_TARGET_INFO, FALSE, NULL },
  { "name-outside", 0, 16, 0xf0, V_TARGET_INFO, FALSE, NULL },
  { "info-outside", 0, 41, 0x10, V_TARGET_INFO, FALSE, NULL },
  { "av-pair-runs-past", 0, 0, 0, "02000c0044006f00", FALSE, NULL },
  { "no-eol", 0, 0, 0, "02000200" "4400", FALSE, NULL },
  { "odd-utf16", 0, 0, 0, "020003004400d8" "0000" "0000", TRUE, "D\xef\xbf\xbd" },
  { "lone-surrogate", 0, 0, 0, "0200020000d8" "00000000", TRUE, "\xef\xbf\xbd" },
};

static void
test_challenge_parse (gconstpointer data)
{
  const ChallengeCase *tc = data;
  g_autoptr(GByteArray) m = vector_challenge (VECTOR_FLAGS, tc->info);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdNtlmChallenge) c = NULL;

  if (tc->poke_at != 0)
    m->data[tc->poke_at] = tc->poke;
  g_byte_array_set_size (m, m->len - tc->cut);
  c = sd_ntlm_challenge_parse (m->data, m->len, &error);
  if (!tc->ok)
    {
      g_assert_null (c);
      g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
      return;
    }
  g_assert_no_error (error);
  g_assert_nonnull (c);
  g_assert_cmpstr (c->target_name, ==, "Domain");
  g_assert_cmpstr (c->nb_domain, ==, tc->nb_domain);
  g_assert_cmpmem (c->server_challenge, 8, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
  if (g_str_equal (tc->name, "timestamp"))
    {
      g_assert_true (c->has_timestamp);
      g_assert_cmpuint (c->timestamp, ==, G_GUINT64_CONSTANT (0x0807060504030201));
    }
}

static void
test_challenge_limits (void)
{
  g_autofree guint8 *big = g_malloc0 (SD_NTLM_MAX_MESSAGE + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) m = vector_challenge (SD_NTLM_NEGOTIATE_UNICODE, V_TARGET_INFO);
  g_autoptr(SdNtlmChallenge) weak = NULL;

  memcpy (big, "NTLMSSP\0\2\0\0\0", 12);
  g_assert_null (sd_ntlm_challenge_parse (big, SD_NTLM_MAX_MESSAGE + 1, &error));
  g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (sd_ntlm_challenge_parse (big, 10, &error));
  g_clear_error (&error);
  /* Without extended session security and signing there is no NTLMv2
   * sign-in as MS-SIPAE needs it: refused, not downgraded. */
  weak = sd_ntlm_challenge_parse (m->data, m->len, NULL);
  g_assert_nonnull (weak);
  {
    SdNtlmCredentials cred = { "u", "d", "p", NULL, NULL, NULL, 0 };
    g_assert_null (sd_ntlm_authenticate (weak, &cred, NULL, &error));
    g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
  }
}

/* --- MS-SIPAE signed fields (the lab's pinned sample) -------------------- */

static void
test_sign_string (void)
{
  const char *text =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/TLS 192.0.2.1:4320\r\n"
    "From: \"Alice\" <sip:alice@contoso.com>;tag=4a2b44d131;epid=8248ca9ebb\r\n"
    "To: <sip:alice@contoso.com>;tag=0858513FA91D3AAE\r\n"
    "Call-ID: d5f2b95d5be64c2cbfb38aa5d3a87ae7\r\n"
    "CSeq: 170 REGISTER\r\n"
    "P-Asserted-Identity: <sip:alice@contoso.com>, <tel:+15551234>\r\n"
    "Expires: 900\r\n"
    "Content-Length: 0\r\n\r\n";
  g_autoptr(SdSipMessage) m = NULL;
  g_autofree char *v4 = NULL;
  g_autofree char *v2 = NULL;

  g_assert_cmpint (sd_sip_message_parse (text, strlen (text), FALSE, NULL, &m, NULL), ==, SD_SIP_PARSE_OK);
  v4 = sd_sipae_sign_string (4, "NTLM", "3c7b2f1a", "1", "SIP Communications Service", "server.contoso.com", m);
  g_assert_cmpstr (v4, ==, "<NTLM><3c7b2f1a><1><SIP Communications Service><server.contoso.com>"
                           "<d5f2b95d5be64c2cbfb38aa5d3a87ae7><170><REGISTER>"
                           "<sip:alice@contoso.com><4a2b44d131><sip:alice@contoso.com>"
                           "<0858513FA91D3AAE><sip:alice@contoso.com><tel:+15551234><900><200>");
  v2 = sd_sipae_sign_string (2, "NTLM", "3c7b2f1a", "1", "SIP Communications Service", "server.contoso.com", m);
  g_assert_cmpstr (v2, ==, "<NTLM><3c7b2f1a><1><SIP Communications Service><server.contoso.com>"
                           "<d5f2b95d5be64c2cbfb38aa5d3a87ae7><170><REGISTER>"
                           "<sip:alice@contoso.com><4a2b44d131><0858513FA91D3AAE><900><200>");
}

static void
test_hex_and_tokens (void)
{
  gsize n = 0;
  g_autofree guint8 *a = sd_sipae_unhex ("00fFa5", 16, &n);
  g_autofree char *short_token = sd_sipae_shorten_token ("TlRMTVNTUAACAAAADAAMADgAAAA1goni");
  g_autofree char *tiny = sd_sipae_shorten_token ("");

  g_assert_nonnull (a);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpmem (a, 3, "\x00\xff\xa5", 3);
  g_assert_null (sd_sipae_unhex ("abc", 16, &n));
  g_assert_null (sd_sipae_unhex ("zz", 16, &n));
  g_assert_null (sd_sipae_unhex ("0000", 1, &n));
  g_assert_cmpstr (short_token, ==, "TlRMTVNTUAAC… (24 bytes)");
  g_assert_cmpstr (tiny, ==, "");
}

/* --- ms-diagnostics ------------------------------------------------------ */

typedef struct {
  const char     *input;
  gboolean        ok;
  guint           code;
  const char     *reason;
  const char     *source;
  SdMsDiagMeaning meaning;
  SdSeverity      severity;
} DiagCase;

static const DiagCase diag_cases[] = {
  { "4005;reason=\"Destination URI either not enabled for SIP or does not exist\";source=\"pool.contoso.com\"",
    TRUE, 4005, "Destination URI either not enabled for SIP or does not exist", "pool.contoso.com",
    SD_MS_DIAG_NOT_ENABLED, SD_SEVERITY_ERROR },
  { "2;reason=\"See response code and reason phrase\";HRESULT=\"0xC3E93C09\"", TRUE, 2,
    "See response code and reason phrase", NULL, SD_MS_DIAG_GENERIC, SD_SEVERITY_INFO },
  { " 1034;reason=\"Previous hop federated peer did not report diagnostic information\"", TRUE, 1034,
    "Previous hop federated peer did not report diagnostic information", NULL, SD_MS_DIAG_FEDERATION,
    SD_SEVERITY_WARNING },
  { "1000;reason=\"Final handshake failed\";source=\"x\"", TRUE, 1000, "Final handshake failed", "x",
    SD_MS_DIAG_OTHER, SD_SEVERITY_WARNING },
  { "52001", TRUE, 52001, NULL, NULL, SD_MS_DIAG_OTHER, SD_SEVERITY_WARNING },
  { "reason=\"no code\"", FALSE, 0, NULL, NULL, 0, 0 },
  { "", FALSE, 0, NULL, NULL, 0, 0 },
  { "123456;reason=x", FALSE, 0, NULL, NULL, 0, 0 },
  { "40x5;reason=x", FALSE, 0, NULL, NULL, 0, 0 },
  { "4005;reason=\"\xff\xfe bad\"", TRUE, 4005, "\xef\xbf\xbd\xef\xbf\xbd bad", NULL,
    SD_MS_DIAG_NOT_ENABLED, SD_SEVERITY_ERROR },
};

static void
test_ms_diagnostics (gconstpointer data)
{
  const DiagCase *tc = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SdMsDiagnostic) d = sd_ms_diagnostic_parse (tc->input, &error);

  if (!tc->ok)
    {
      g_assert_null (d);
      g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (d->code, ==, tc->code);
  g_assert_cmpstr (d->reason, ==, tc->reason);
  g_assert_cmpstr (d->source, ==, tc->source);
  g_assert_cmpint (d->meaning, ==, tc->meaning);
  g_assert_cmpint (sd_ms_diagnostic_severity (d->meaning), ==, tc->severity);
  g_assert_cmpuint (strlen (sd_ms_diagnostic_meaning_text (d->meaning)), >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ntlm/ms-nlmp-4.2.4", test_ntlm_vectors);
  g_test_add_func ("/ntlm/sign-verify", test_ntlm_sign_verify);
  for (guint i = 0; i < G_N_ELEMENTS (challenge_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ntlm/challenge/%s", challenge_cases[i].name);
      g_test_add_data_func (path, &challenge_cases[i], test_challenge_parse);
    }
  g_test_add_func ("/ntlm/challenge-limits", test_challenge_limits);
  g_test_add_func ("/sipae/sign-string", test_sign_string);
  g_test_add_func ("/sipae/hex-and-tokens", test_hex_and_tokens);
  for (guint i = 0; i < G_N_ELEMENTS (diag_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sipae/ms-diagnostics/%u", i);
      g_test_add_data_func (path, &diag_cases[i], test_ms_diagnostics);
    }
  return g_test_run ();
}
