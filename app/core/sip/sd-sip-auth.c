/* sd-sip-auth.c: challenge parser and Digest responses.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-auth"

#include <string.h>
#include <glib/gi18n-lib.h>
#ifdef SD_HAVE_NETTLE
#include <nettle/md5.h>
#include <nettle/sha2.h>
#include <nettle/nettle-meta.h>
#endif
#include "sd-config.h"
#include "sd-sip-auth.h"
#include "sd-sip-message.h"

/* Bounds on what a challenge header may make us allocate. */
#define MAX_CHALLENGES 32
#define MAX_PARAMS     64

void
sd_sip_challenge_free (SdSipChallenge *c)
{
  if (c == NULL)
    return;
  g_free (c->scheme);
  g_free (c->token68);
  g_ptr_array_unref (c->names);
  g_ptr_array_unref (c->values);
  g_free (c);
}

const char *
sd_sip_challenge_get (const SdSipChallenge *c, const char *name)
{
  for (guint i = 0; i < c->names->len; i++)
    if (g_ascii_strcasecmp (c->names->pdata[i], name) == 0)
      return c->values->pdata[i];
  return NULL;
}

static gboolean
is_tchar (char c)
{
  return c != '\0' && (g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token68_char (char c)
{
  return c != '\0' && (g_ascii_isalnum (c) || strchr ("-._~+/", c) != NULL);
}

static void
skip_ws (const char **p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

static GPtrArray *
fail (GPtrArray *out, GError **error, const char *message)
{
  g_ptr_array_unref (out);
  g_set_error_literal (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED, message);
  return NULL;
}

GPtrArray *
sd_sip_parse_challenges (const char *value, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_sip_challenge_free);
  SdSipChallenge *current = NULL;
  const char *p = value;

  for (;;)
    {
      const char *tok, *tok_end;

      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      if (*p == '\0')
        break;
      tok = p;
      while (is_tchar (*p))
        p++;
      tok_end = p;
      if (tok == tok_end)
        return fail (out, error, _("An authentication header contains a character where a name should be."));
      skip_ws (&p);

      if (*p == '=' && current != NULL && current->token68 == NULL)
        {
          GString *val = g_string_new (NULL);

          p++;
          skip_ws (&p);
          if (*p == '"')
            {
              p++;
              while (*p != '"')
                {
                  if (*p == '\0')
                    {
                      g_string_free (val, TRUE);
                      return fail (out, error, _("A quoted value in an authentication header has no closing quote."));
                    }
                  if (*p == '\\' && p[1] != '\0')
                    p++;
                  g_string_append_c (val, *p++);
                }
              p++;
            }
          else
            while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
              g_string_append_c (val, *p++);
          skip_ws (&p);
          if (*p != '\0' && *p != ',')
            {
              g_string_free (val, TRUE);
              return fail (out, error, _("Parameters in an authentication header are not separated by commas."));
            }
          if (current->names->len >= MAX_PARAMS)
            {
              g_string_free (val, TRUE);
              return fail (out, error, _("An authentication challenge has too many parameters."));
            }
          g_ptr_array_add (current->names, g_ascii_strdown (tok, tok_end - tok));
          /* A realm reaches the report: invalid bytes become U+FFFD there
           * as everywhere else the peer's text is kept. */
          if (!g_utf8_validate_len (val->str, val->len, NULL))
            {
              char *valid = g_utf8_make_valid (val->str, (gssize) val->len);
              g_string_assign (val, valid);
              g_free (valid);
            }
          g_ptr_array_add (current->values, g_string_free (val, FALSE));
          continue;
        }

      if (tok_end == p && *p != '\0' && *p != ',')
        return fail (out, error, _("An authentication scheme name is followed by an unexpected character."));
      if (out->len >= MAX_CHALLENGES)
        return fail (out, error, _("An authentication header has too many challenges."));

      current = g_new0 (SdSipChallenge, 1);
      current->scheme = g_strndup (tok, (gsize) (tok_end - tok));
      current->names = g_ptr_array_new_with_free_func (g_free);
      current->values = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (out, current);

      /* A token68 ("Negotiate abc==") rather than name=value pairs. */
      {
        const char *q = p, *t68 = p;
        while (is_token68_char (*q))
          q++;
        if (q > t68)
          {
            const char *r = q;
            gboolean padded = FALSE;
            while (*r == '=')
              r++, padded = TRUE;
            skip_ws (&r);
            if ((*r == '\0' || *r == ',') && (padded || *q != '='))
              {
                const char *eq_end = q;
                while (*eq_end == '=')
                  eq_end++;
                current->token68 = g_strndup (t68, (gsize) (eq_end - t68));
                p = r;
              }
          }
      }
    }

  if (out->len == 0)
    return fail (out, error, _("An authentication header is empty."));
  return out;
}

static const struct {
  SdDigestAlgorithm algorithm;
  const char *name;
  int strength;
} algorithms[] = {
  { SD_DIGEST_MD5, "MD5", 1 },
  { SD_DIGEST_MD5_SESS, "MD5-sess", 2 },
  { SD_DIGEST_SHA256, "SHA-256", 4 },
  { SD_DIGEST_SHA256_SESS, "SHA-256-sess", 3 },
  { SD_DIGEST_SHA512_256, "SHA-512-256", 6 },
  { SD_DIGEST_SHA512_256_SESS, "SHA-512-256-sess", 5 },
};

SdDigestAlgorithm
sd_digest_algorithm_from_string (const char *name)
{
  if (name == NULL || *name == '\0')
    return SD_DIGEST_MD5;
  for (guint i = 0; i < G_N_ELEMENTS (algorithms); i++)
    if (g_ascii_strcasecmp (name, algorithms[i].name) == 0)
      return algorithms[i].algorithm;
  return SD_DIGEST_UNKNOWN;
}

const char *
sd_digest_algorithm_to_string (SdDigestAlgorithm algorithm)
{
  for (guint i = 0; i < G_N_ELEMENTS (algorithms); i++)
    if (algorithms[i].algorithm == algorithm)
      return algorithms[i].name;
  return "unknown";
}

int
sd_digest_algorithm_strength (SdDigestAlgorithm algorithm)
{
  for (guint i = 0; i < G_N_ELEMENTS (algorithms); i++)
    if (algorithms[i].algorithm == algorithm)
      {
#ifndef SD_HAVE_NETTLE
        if (algorithm == SD_DIGEST_SHA512_256 || algorithm == SD_DIGEST_SHA512_256_SESS)
          return 0;
#endif
        return algorithms[i].strength;
      }
  return 0;
}

#ifdef SD_HAVE_NETTLE
/* Lower-case hex of @digest, which is then wiped. */
static char *
hex_and_wipe (guint8 *digest, gsize length)
{
  static const char hex[] = "0123456789abcdef";
  char *out = g_malloc (2 * length + 1);

  for (gsize i = 0; i < length; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[2 * length] = '\0';
  sd_secret_wipe (digest, length);
  return out;
}
#endif

/* With nettle, the hash state lives on this stack frame and is wiped, since
 * HA1 is as good as the password for this realm. GChecksum (the fallback
 * without nettle) frees its state unwiped. */
char *
sd_digest_hash (SdDigestAlgorithm algorithm, const char *data, gsize length)
{
#ifdef SD_HAVE_NETTLE
  const struct nettle_hash *hash = NULL;
  union {
    struct md5_ctx        md5;
    struct sha256_ctx     sha256;
    struct sha512_256_ctx sha512_256;
  } ctx;
  guint8 digest[SHA512_256_DIGEST_SIZE];   /* the largest of the three */

  switch (algorithm)
    {
    case SD_DIGEST_MD5:
    case SD_DIGEST_MD5_SESS:
      hash = &nettle_md5;
      break;
    case SD_DIGEST_SHA256:
    case SD_DIGEST_SHA256_SESS:
      hash = &nettle_sha256;
      break;
    case SD_DIGEST_SHA512_256:
    case SD_DIGEST_SHA512_256_SESS:
      hash = &nettle_sha512_256;
      break;
    case SD_DIGEST_UNKNOWN:
    default:
      break;
    }
  if (hash == NULL)
    return NULL;
  g_assert (hash->context_size <= sizeof ctx && hash->digest_size <= sizeof digest);
  hash->init (&ctx);
  hash->update (&ctx, length, (const guint8 *) data);
  hash->digest (&ctx, hash->digest_size, digest);
  sd_secret_wipe (&ctx, sizeof ctx);
  return hex_and_wipe (digest, hash->digest_size);
#else
  switch (algorithm)
    {
    case SD_DIGEST_MD5:
    case SD_DIGEST_MD5_SESS:
      return g_compute_checksum_for_data (G_CHECKSUM_MD5, (const guchar *) data, length);
    case SD_DIGEST_SHA256:
    case SD_DIGEST_SHA256_SESS:
      return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
    case SD_DIGEST_SHA512_256:
    case SD_DIGEST_SHA512_256_SESS:
    case SD_DIGEST_UNKNOWN:
    default:
      return NULL;
    }
#endif
}

/* The hash of @parts joined by ':'. The joined text holds the password or
 * HA1, so it is wiped. */
static char *
hash_join (SdDigestAlgorithm algorithm, const char * const *parts)
{
  char *joined = g_strjoinv (":", (char **) parts);
  char *hash = sd_digest_hash (algorithm, joined, strlen (joined));

  sd_secret_free (joined);
  return hash;
}

static gboolean
is_sess (SdDigestAlgorithm algorithm)
{
  return algorithm == SD_DIGEST_MD5_SESS || algorithm == SD_DIGEST_SHA256_SESS
         || algorithm == SD_DIGEST_SHA512_256_SESS;
}

/* HA1 stands in for the password (RFC 7616 section 5.13): every copy of it
 * is freed with sd_secret_free. */
char *
sd_digest_response (const SdDigestInput *in)
{
  char *ha1 = NULL, *ha2 = NULL, *response;
  char nc[9];

  if (in->algorithm == SD_DIGEST_UNKNOWN)
    return NULL;
  {
    const char *a1[] = { in->username, in->realm, in->password != NULL ? in->password : "", NULL };
    ha1 = hash_join (in->algorithm, a1);
  }
  if (ha1 == NULL)
    return NULL;
  if (is_sess (in->algorithm))
    {
      const char *a1s[] = { ha1, in->nonce, in->cnonce != NULL ? in->cnonce : "", NULL };
      char *sess = hash_join (in->algorithm, a1s);
      sd_secret_free (ha1);
      ha1 = sess;
    }
  {
    const char *a2[] = { in->method, in->uri, NULL };
    ha2 = hash_join (in->algorithm, a2);
  }
  g_snprintf (nc, sizeof nc, "%08x", in->nc);
  if (in->qop != NULL)
    {
      const char *r[] = { ha1, in->nonce, nc, in->cnonce != NULL ? in->cnonce : "", in->qop, ha2, NULL };
      response = hash_join (in->algorithm, r);
    }
  else
    {
      const char *r[] = { ha1, in->nonce, ha2, NULL };
      response = hash_join (in->algorithm, r);
    }
  sd_secret_free (ha1);
  sd_secret_free (ha2);
  return response;
}

static void
append_quoted (GString *out, const char *name, const char *value)
{
  g_string_append_printf (out, "%s%s=\"", out->len > 7 ? ", " : "", name);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

char *
sd_digest_credentials (const SdDigestInput *in, const char *opaque)
{
  g_autofree char *response = sd_digest_response (in);
  GString *out;

  if (response == NULL)
    return NULL;
  out = g_string_new ("Digest ");
  append_quoted (out, "username", in->username);
  append_quoted (out, "realm", in->realm);
  append_quoted (out, "nonce", in->nonce);
  append_quoted (out, "uri", in->uri);
  append_quoted (out, "response", response);
  g_string_append_printf (out, ", algorithm=%s", sd_digest_algorithm_to_string (in->algorithm));
  if (in->cnonce != NULL && (in->qop != NULL || is_sess (in->algorithm)))
    append_quoted (out, "cnonce", in->cnonce);
  if (opaque != NULL)
    append_quoted (out, "opaque", opaque);
  if (in->qop != NULL)
    g_string_append_printf (out, ", qop=%s, nc=%08x", in->qop, in->nc);
  return g_string_free (out, FALSE);
}

const char *
sd_digest_choose_qop (const char *qop_options, gboolean *unsupported)
{
  g_auto(GStrv) options = NULL;

  if (unsupported != NULL)
    *unsupported = FALSE;
  if (qop_options == NULL)
    return NULL;
  options = g_strsplit (qop_options, ",", -1);
  for (guint i = 0; options[i] != NULL; i++)
    if (g_ascii_strcasecmp (g_strstrip (options[i]), "auth") == 0)
      return "auth";
  if (unsupported != NULL)
    *unsupported = TRUE;
  return NULL;
}
