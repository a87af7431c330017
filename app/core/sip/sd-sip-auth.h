/* sd-sip-auth.h: authentication challenges (RFC 7235 grammar) and Digest (RFC 2617, 7616, 8760).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char      *scheme;   /* as sent: "Digest", "NTLM", "Kerberos", "TLS-DSK", "Basic" */
  char      *token68;  /* a token68 instead of parameters, or NULL */
  GPtrArray *names;    /* lower-case parameter names */
  GPtrArray *values;   /* unquoted, unescaped */
} SdSipChallenge;

void            sd_sip_challenge_free (SdSipChallenge *challenge);
/* The value of a parameter (case-insensitive name), or NULL. */
const char     *sd_sip_challenge_get (const SdSipChallenge *challenge, const char *name);

/* Parses one WWW-Authenticate or Proxy-Authenticate value, which may hold
 * several challenges ("NTLM realm=\"x\", version=3, Kerberos realm=…").
 * Returns SdSipChallenge* (free func set), or NULL with @error
 * (SD_SIP_ERROR_MALFORMED) when the value breaks the grammar. */
GPtrArray      *sd_sip_parse_challenges (const char *value, GError **error);

typedef enum {
  SD_DIGEST_MD5,
  SD_DIGEST_MD5_SESS,
  SD_DIGEST_SHA256,
  SD_DIGEST_SHA256_SESS,
  SD_DIGEST_SHA512_256,
  SD_DIGEST_SHA512_256_SESS,
  SD_DIGEST_UNKNOWN,
} SdDigestAlgorithm;

/* "MD5", "SHA-256-sess"… (case-insensitive); absent means MD5. */
SdDigestAlgorithm sd_digest_algorithm_from_string (const char *name);
const char       *sd_digest_algorithm_to_string (SdDigestAlgorithm algorithm);
/* Higher is stronger; used to pick the strongest of several Digest challenges. */
int               sd_digest_algorithm_strength (SdDigestAlgorithm algorithm);

/* Lower-case hex of the algorithm's hash of @data. */
char *sd_digest_hash (SdDigestAlgorithm algorithm, const char *data, gsize length);

typedef struct {
  SdDigestAlgorithm algorithm;
  const char *username;
  const char *realm;
  const char *password;
  const char *method;
  const char *uri;
  const char *nonce;
  const char *cnonce;   /* needed with qop or -sess */
  const char *qop;      /* "auth" or NULL (RFC 2069 compatibility) */
  guint32     nc;
} SdDigestInput;

/* The request-digest ("response" parameter). NULL for an unknown algorithm. */
char *sd_digest_response (const SdDigestInput *in);

/* A whole credentials value: Digest username=…, realm=…, …, response=… */
char *sd_digest_credentials (const SdDigestInput *in, const char *opaque);

/* The qop to use from a challenge's qop list: "auth" when offered, NULL
 * when no qop is given; sets @unsupported when only auth-int is offered. */
const char *sd_digest_choose_qop (const char *qop_options, gboolean *unsupported);

G_END_DECLS
