/* sd-ntlm.c: NTLMv2 for MS-SIPAE ([MS-NLMP] 2.2.1.2, 2.2.1.3, 3.3.2, 3.4.4).
 *
 * Only the connectionless NTLMv2 client that Microsoft's SIP servers
 * accept: no NEGOTIATE message, no NTLMv1, no LM hash. The primitives are
 * nettle's; this file only lays out bytes and chains them as the
 * specification says, and wipes every secret it derived.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-ntlm"

#include <string.h>
#include "sd-ntlm.h"
#include "sd-config.h"
#include "sd-random.h"
#include "sd-sip-message.h"

#ifndef SD_HAVE_NETTLE
#define SD_HAVE_NETTLE 0
#endif

#if SD_HAVE_NETTLE
#include <nettle/arcfour.h>
#include <nettle/hmac.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#endif

#define NTLM_SIGNATURE "NTLMSSP"  /* with its NUL: 8 bytes */
#define AUTH_HEADER_LENGTH 64
#define VERSION_LENGTH 8

/* AV pair ids, MS-NLMP 2.2.2.1 */
enum {
  AV_EOL = 0,
  AV_NB_COMPUTER = 1,
  AV_NB_DOMAIN = 2,
  AV_DNS_COMPUTER = 3,
  AV_DNS_DOMAIN = 4,
  AV_TIMESTAMP = 7,
};

/* --- little-endian helpers --------------------------------------------- */

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = v & 0xff;
  p[1] = v >> 8;
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = v >> 24;
}

static void
put64 (guint8 *p, guint64 v)
{
  for (guint i = 0; i < 8; i++)
    p[i] = (v >> (8 * i)) & 0xff;
}

/* UTF-16LE from the peer, as valid UTF-8: unpaired surrogates become U+FFFD. */
static char *
utf16le_to_utf8 (const guint8 *p, gsize length)
{
  GString *out = g_string_sized_new (length / 2 + 1);

  for (gsize i = 0; i + 1 < length; i += 2)
    {
      gunichar c = get16 (p + i);

      if (c >= 0xd800 && c < 0xdc00 && i + 3 < length
          && get16 (p + i + 2) >= 0xdc00 && get16 (p + i + 2) < 0xe000)
        {
          c = 0x10000 + ((c - 0xd800) << 10) + (get16 (p + i + 2) - 0xdc00);
          i += 2;
        }
      else if (c >= 0xd800 && c < 0xe000)
        c = 0xfffd;
      g_string_append_unichar (out, c);
    }
  if (length % 2 != 0)
    g_string_append_unichar (out, 0xfffd);
  return g_string_free (out, FALSE);
}

/* UTF-8 as UTF-16LE bytes; NULL when @text is not UTF-8. The caller wipes
 * the result when @text is a secret. */
static guint8 *
utf8_to_utf16le (const char *text, gsize *length)
{
  glong n = 0;
  gunichar2 *units = g_utf8_to_utf16 (text, -1, NULL, &n, NULL);
  guint8 *out;

  if (units == NULL)
    return NULL;
  out = g_malloc (n * 2 + 1);
  for (glong i = 0; i < n; i++)
    put16 (out + 2 * i, units[i]);
  sd_secret_wipe (units, n * sizeof (gunichar2));
  g_free (units);
  *length = n * 2;
  return out;
}

/* --- the CHALLENGE ------------------------------------------------------ */

void
sd_ntlm_challenge_free (SdNtlmChallenge *c)
{
  if (c == NULL)
    return;
  g_free (c->target_info);
  g_free (c->target_name);
  g_free (c->nb_domain);
  g_free (c->nb_computer);
  g_free (c->dns_domain);
  g_free (c->dns_computer);
  g_free (c);
}

static gboolean
malformed (GError **error, const char *why)
{
  g_set_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED, "NTLM CHALLENGE: %s", why);
  return FALSE;
}

/* A security buffer (length, allocated, offset) that lies inside the message. */
static gboolean
field (const guint8 *data, gsize length, gsize at, const guint8 **out, gsize *out_length)
{
  guint16 len = get16 (data + at);
  guint32 offset = get32 (data + at + 4);

  if (len == 0)
    {
      *out = NULL;
      *out_length = 0;
      return TRUE;
    }
  if (offset > length || len > length - offset)
    return FALSE;
  *out = data + offset;
  *out_length = len;
  return TRUE;
}

static gboolean
parse_av_pairs (SdNtlmChallenge *c, const guint8 *p, gsize length, GError **error)
{
  gsize at = 0;
  gboolean ended = FALSE;

  /* Each pair takes at least 4 bytes, so the loop is bounded by the message. */
  while (at + 4 <= length)
    {
      guint16 id = get16 (p + at);
      guint16 len = get16 (p + at + 2);
      const guint8 *value = p + at + 4;
      char **slot = NULL;

      if (len > length - at - 4)
        return malformed (error, "an AV pair runs past the target information");
      if (id == AV_EOL)
        {
          ended = TRUE;
          break;
        }
      switch (id)
        {
        case AV_NB_COMPUTER: slot = &c->nb_computer; break;
        case AV_NB_DOMAIN: slot = &c->nb_domain; break;
        case AV_DNS_COMPUTER: slot = &c->dns_computer; break;
        case AV_DNS_DOMAIN: slot = &c->dns_domain; break;
        case AV_TIMESTAMP:
          if (len == 8)
            {
              c->has_timestamp = TRUE;
              c->timestamp = (guint64) get32 (value) | ((guint64) get32 (value + 4) << 32);
            }
          break;
        default:
          break;
        }
      if (slot != NULL && *slot == NULL)
        *slot = utf16le_to_utf8 (value, len);
      at += 4 + len;
    }
  if (!ended)
    return malformed (error, "the target information has no end marker");
  return TRUE;
}

SdNtlmChallenge *
sd_ntlm_challenge_parse (const guint8 *data, gsize length, GError **error)
{
  g_autoptr(SdNtlmChallenge) c = NULL;
  const guint8 *name, *info;
  gsize name_length, info_length;

  if (length > SD_NTLM_MAX_MESSAGE)
    {
      malformed (error, "longer than any server sends");
      return NULL;
    }
  if (length < 32 || memcmp (data, NTLM_SIGNATURE, 8) != 0)
    {
      malformed (error, "not an NTLMSSP message");
      return NULL;
    }
  if (get32 (data + 8) != 2)
    {
      malformed (error, "not a CHALLENGE (message type 2)");
      return NULL;
    }
  c = g_new0 (SdNtlmChallenge, 1);
  c->flags = get32 (data + 20);
  memcpy (c->server_challenge, data + 24, 8);
  if (!field (data, length, 12, &name, &name_length))
    {
      malformed (error, "the target name lies outside the message");
      return NULL;
    }
  if (name != NULL)
    c->target_name = (c->flags & SD_NTLM_NEGOTIATE_UNICODE)
                       ? utf16le_to_utf8 (name, name_length)
                       : g_utf8_make_valid ((const char *) name, name_length);
  if (length >= 48 && (c->flags & SD_NTLM_NEGOTIATE_TARGET_INFO))
    {
      if (!field (data, length, 40, &info, &info_length))
        {
          malformed (error, "the target information lies outside the message");
          return NULL;
        }
      if (info != NULL)
        {
          if (!parse_av_pairs (c, info, info_length, error))
            return NULL;
          c->target_info = g_memdup2 (info, info_length);
          c->target_info_length = info_length;
        }
    }
  return g_steal_pointer (&c);
}

/* --- keys and responses ------------------------------------------------- */

void
sd_ntlm_keys_free (SdNtlmKeys *keys)
{
  if (keys == NULL)
    return;
  sd_secret_wipe (keys, sizeof *keys);
  g_free (keys);
}

#if SD_HAVE_NETTLE

static void
hmac_md5 (const guint8 *key, gsize key_length,
          const guint8 *a, gsize a_length,
          const guint8 *b, gsize b_length,
          guint8 out[16])
{
  struct hmac_md5_ctx ctx;

  hmac_md5_set_key (&ctx, key_length, key);
  hmac_md5_update (&ctx, a_length, a);
  if (b != NULL)
    hmac_md5_update (&ctx, b_length, b);
  hmac_md5_digest (&ctx, 16, out);
  sd_secret_wipe (&ctx, sizeof ctx);
}

static void
md5_two (const guint8 *a, gsize a_length, const guint8 *b, gsize b_length, guint8 out[16])
{
  struct md5_ctx ctx;

  md5_init (&ctx);
  md5_update (&ctx, a_length, a);
  md5_update (&ctx, b_length, b);
  md5_digest (&ctx, 16, out);
  sd_secret_wipe (&ctx, sizeof ctx);
}

static void
rc4 (const guint8 *key, gsize key_length, const guint8 *in, gsize length, guint8 *out)
{
  struct arcfour_ctx ctx;

  arcfour_set_key (&ctx, key_length, key);
  arcfour_crypt (&ctx, length, out, in);
  sd_secret_wipe (&ctx, sizeof ctx);
}

gboolean
sd_ntlm_nt_hash (const char *password, guint8 out[16])
{
  struct md4_ctx ctx;
  gsize length = 0;
  guint8 *units = utf8_to_utf16le (password, &length);

  if (units == NULL)
    return FALSE;
  md4_init (&ctx);
  md4_update (&ctx, length, units);
  md4_digest (&ctx, 16, out);
  sd_secret_wipe (&ctx, sizeof ctx);
  sd_secret_wipe (units, length);
  g_free (units);
  return TRUE;
}

gboolean
sd_ntlm_ntowf_v2 (const guint8 nt_hash[16], const char *user, const char *domain, guint8 out[16])
{
  g_autofree char *upper = g_utf8_strup (user, -1);
  g_autofree char *joined = g_strconcat (upper, domain, NULL);
  gsize length = 0;
  g_autofree guint8 *units = utf8_to_utf16le (joined, &length);

  if (units == NULL)
    return FALSE;
  hmac_md5 (nt_hash, 16, units, length, NULL, 0, out);
  return TRUE;
}

GByteArray *
sd_ntlm_v2_response (const guint8  ntowf_v2[16],
                     const guint8  server_challenge[8],
                     const guint8  client_challenge[8],
                     guint64       time,
                     const guint8 *target_info,
                     gsize         target_info_length,
                     guint8        lm_response[24],
                     guint8        session_base_key[16])
{
  /* temp: RespType, HiRespType, 6 reserved, time, client challenge, 4 reserved, AV pairs, 4 reserved */
  gsize temp_length = 28 + target_info_length + 4;
  GByteArray *out = g_byte_array_sized_new (16 + temp_length);
  guint8 *temp;
  guint8 proof[16];

  g_byte_array_set_size (out, 16 + temp_length);
  temp = out->data + 16;
  memset (temp, 0, temp_length);
  temp[0] = 1;
  temp[1] = 1;
  put64 (temp + 8, time);
  memcpy (temp + 16, client_challenge, 8);
  if (target_info_length > 0)
    memcpy (temp + 28, target_info, target_info_length);

  hmac_md5 (ntowf_v2, 16, server_challenge, 8, temp, temp_length, proof);
  memcpy (out->data, proof, 16);
  hmac_md5 (ntowf_v2, 16, proof, 16, NULL, 0, session_base_key);
  hmac_md5 (ntowf_v2, 16, server_challenge, 8, client_challenge, 8, lm_response);
  memcpy (lm_response + 16, client_challenge, 8);
  return out;
}

#define CLIENT_SIGN "session key to client-to-server signing key magic constant"
#define SERVER_SIGN "session key to server-to-client signing key magic constant"
#define CLIENT_SEAL "session key to client-to-server sealing key magic constant"
#define SERVER_SEAL "session key to server-to-client sealing key magic constant"

void
sd_ntlm_derive_keys (SdNtlmKeys *k)
{
  /* The constants are hashed with their terminating NUL (MS-NLMP 3.4.5.2). */
  k->seal_length = (k->flags & SD_NTLM_NEGOTIATE_128) ? 16 : (k->flags & SD_NTLM_NEGOTIATE_56) ? 7 : 5;
  md5_two (k->session_key, 16, (const guint8 *) CLIENT_SIGN, sizeof CLIENT_SIGN, k->client_sign);
  md5_two (k->session_key, 16, (const guint8 *) SERVER_SIGN, sizeof SERVER_SIGN, k->server_sign);
  md5_two (k->session_key, k->seal_length, (const guint8 *) CLIENT_SEAL, sizeof CLIENT_SEAL, k->client_seal);
  md5_two (k->session_key, k->seal_length, (const guint8 *) SERVER_SEAL, sizeof SERVER_SEAL, k->server_seal);
}

/* 100 ns ticks since 1601-01-01, as Windows counts. */
static guint64
filetime_now (void)
{
  return (guint64) (g_get_real_time () * 10) + G_GUINT64_CONSTANT (116444736000000000);
}

/* What a connectionless NTLMv2 client with extended session security
 * keeps of the server's flags (MS-NLMP 3.1.5.1.2: the client's answer is
 * the negotiation). LM_KEY and anonymous are dropped. */
#define CLIENT_FLAGS (SD_NTLM_NEGOTIATE_UNICODE | SD_NTLM_REQUEST_TARGET | SD_NTLM_NEGOTIATE_SIGN \
                      | SD_NTLM_NEGOTIATE_SEAL | SD_NTLM_NEGOTIATE_DATAGRAM | SD_NTLM_NEGOTIATE_NTLM \
                      | SD_NTLM_NEGOTIATE_ALWAYS_SIGN | SD_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY \
                      | SD_NTLM_NEGOTIATE_TARGET_INFO | SD_NTLM_NEGOTIATE_VERSION \
                      | SD_NTLM_NEGOTIATE_128 | SD_NTLM_NEGOTIATE_KEY_EXCH | SD_NTLM_NEGOTIATE_56)

static void
put_field (GByteArray *msg, gsize header_at, const guint8 *data, gsize length)
{
  put16 (msg->data + header_at, (guint16) length);
  put16 (msg->data + header_at + 2, (guint16) length);
  put32 (msg->data + header_at + 4, msg->len);
  if (length > 0)
    g_byte_array_append (msg, data, length);
}

GBytes *
sd_ntlm_authenticate (const SdNtlmChallenge   *c,
                      const SdNtlmCredentials *cred,
                      SdNtlmKeys             **keys_out,
                      GError                 **error)
{
  const guint32 needed = SD_NTLM_NEGOTIATE_UNICODE | SD_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY
                         | SD_NTLM_NEGOTIATE_SIGN;
  guint8 nt_hash[16], ntowf[16], base_key[16], lm[24], client_challenge[8], encrypted_key[16];
  g_autoptr(SdNtlmKeys) keys = g_new0 (SdNtlmKeys, 1);
  g_autoptr(GByteArray) nt = NULL;
  GByteArray *msg;
  g_autofree guint8 *domain = NULL, *user = NULL, *workstation = NULL;
  gsize domain_length = 0, user_length = 0, workstation_length = 0;
  guint64 time;

  if ((c->flags & needed) != needed)
    {
      g_set_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED,
                   "NTLM CHALLENGE: the server does not offer NTLMv2 with Unicode, extended "
                   "session security and signing (flags 0x%08x)", c->flags);
      return NULL;
    }
  domain = utf8_to_utf16le (cred->domain != NULL ? cred->domain : "", &domain_length);
  user = utf8_to_utf16le (cred->user, &user_length);
  workstation = utf8_to_utf16le (cred->workstation != NULL ? cred->workstation : "", &workstation_length);
  if (domain == NULL || user == NULL || workstation == NULL || domain_length > 0xffff
      || user_length > 0xffff || workstation_length > 0xffff
      || !sd_ntlm_nt_hash (cred->password, nt_hash))
    {
      g_set_error_literal (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED,
                           "NTLM: the name or password is not valid UTF-8 or too long");
      return NULL;
    }

  if (cred->client_challenge != NULL)
    memcpy (client_challenge, cred->client_challenge, 8);
  else
    sd_random_bytes (client_challenge, 8);
  time = cred->time_given ? cred->time : c->has_timestamp ? c->timestamp : filetime_now ();

  sd_ntlm_ntowf_v2 (nt_hash, cred->user, cred->domain != NULL ? cred->domain : "", ntowf);
  nt = sd_ntlm_v2_response (ntowf, c->server_challenge, client_challenge, time,
                            c->target_info, c->target_info_length, lm, base_key);
  /* With the server's timestamp the LMv2 response is zeros (MS-NLMP 3.1.5.1.2). */
  if (c->has_timestamp)
    memset (lm, 0, sizeof lm);

  keys->flags = c->flags & CLIENT_FLAGS;
  if (keys->flags & SD_NTLM_NEGOTIATE_KEY_EXCH)
    {
      /* KeyExchangeKey is the SessionBaseKey for NTLMv2. */
      if (cred->session_key != NULL)
        memcpy (keys->session_key, cred->session_key, 16);
      else
        sd_random_bytes (keys->session_key, 16);
      rc4 (base_key, 16, keys->session_key, 16, encrypted_key);
    }
  else
    memcpy (keys->session_key, base_key, 16);
  sd_ntlm_derive_keys (keys);

  msg = g_byte_array_sized_new (AUTH_HEADER_LENGTH + VERSION_LENGTH + 256 + nt->len);
  g_byte_array_set_size (msg, AUTH_HEADER_LENGTH + VERSION_LENGTH);
  memset (msg->data, 0, msg->len);
  memcpy (msg->data, NTLM_SIGNATURE, 8);
  put32 (msg->data + 8, 3);
  put32 (msg->data + 60, keys->flags);
  if (keys->flags & SD_NTLM_NEGOTIATE_VERSION)
    {
      /* 6.1 build 7600, NTLMSSP revision 15: what Windows 7 sends. */
      msg->data[64] = 6;
      msg->data[65] = 1;
      put16 (msg->data + 66, 7600);
      msg->data[71] = 15;
    }
  put_field (msg, 28, domain, domain_length);
  put_field (msg, 36, user, user_length);
  put_field (msg, 44, workstation, workstation_length);
  put_field (msg, 12, lm, 24);
  put_field (msg, 20, nt->data, nt->len);
  put_field (msg, 52, encrypted_key, (keys->flags & SD_NTLM_NEGOTIATE_KEY_EXCH) ? 16 : 0);

  sd_secret_wipe (nt_hash, sizeof nt_hash);
  sd_secret_wipe (ntowf, sizeof ntowf);
  sd_secret_wipe (base_key, sizeof base_key);
  sd_secret_wipe (nt->data, nt->len);
  if (keys_out != NULL)
    *keys_out = g_steal_pointer (&keys);
  return g_byte_array_free_to_bytes (msg);
}

void
sd_ntlm_sign (const SdNtlmKeys *k,
              gboolean          from_client,
              guint32           seq,
              const guint8     *data,
              gsize             length,
              guint8            signature[16])
{
  const guint8 *sign_key = from_client ? k->client_sign : k->server_sign;
  const guint8 *seal_key = from_client ? k->client_seal : k->server_seal;
  guint8 seqbytes[4], mac[16];

  put32 (seqbytes, seq);
  hmac_md5 (sign_key, 16, seqbytes, 4, data, length, mac);
  put32 (signature, 1);
  if (k->flags & SD_NTLM_NEGOTIATE_KEY_EXCH)
    {
      /* Connectionless: each message has its own RC4 key, MD5 (SealingKey,
       * SeqNum) (MS-NLMP 3.4.4.2), as datagrams may arrive in any order. */
      guint8 rc4_key[16];

      md5_two (seal_key, 16, seqbytes, 4, rc4_key);
      rc4 (rc4_key, 16, mac, 8, signature + 4);
      sd_secret_wipe (rc4_key, sizeof rc4_key);
    }
  else
    memcpy (signature + 4, mac, 8);
  memcpy (signature + 12, seqbytes, 4);
  sd_secret_wipe (mac, sizeof mac);
}

#else /* no nettle */

gboolean
sd_ntlm_nt_hash (const char *password, guint8 out[16])
{
  return FALSE;
}

gboolean
sd_ntlm_ntowf_v2 (const guint8 nt_hash[16], const char *user, const char *domain, guint8 out[16])
{
  return FALSE;
}

GByteArray *
sd_ntlm_v2_response (const guint8 ntowf_v2[16], const guint8 server_challenge[8],
                     const guint8 client_challenge[8], guint64 time, const guint8 *target_info,
                     gsize target_info_length, guint8 lm_response[24], guint8 session_base_key[16])
{
  return NULL;
}

void
sd_ntlm_derive_keys (SdNtlmKeys *keys)
{
}

GBytes *
sd_ntlm_authenticate (const SdNtlmChallenge *c, const SdNtlmCredentials *cred,
                      SdNtlmKeys **keys_out, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "this build has no NTLM (built without nettle)");
  return NULL;
}

void
sd_ntlm_sign (const SdNtlmKeys *k, gboolean from_client, guint32 seq, const guint8 *data,
              gsize length, guint8 signature[16])
{
  memset (signature, 0, 16);
}

#endif

gboolean
sd_ntlm_verify (const SdNtlmKeys *keys,
                guint32           seq,
                const guint8     *data,
                gsize             length,
                const guint8     *signature,
                gsize             signature_length)
{
  guint8 expected[16];
  guint8 diff = 0;

  if (signature_length != 16)
    return FALSE;
  sd_ntlm_sign (keys, FALSE, seq, data, length, expected);
  for (guint i = 0; i < 16; i++)
    diff |= expected[i] ^ signature[i];
  return diff == 0 && SD_HAVE_NETTLE;
}

gboolean
sd_ntlm_available (void)
{
  return SD_HAVE_NETTLE;
}
