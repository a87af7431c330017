/* sd-ntlm.h: NTLMv2 as MS-SIPAE uses it ([MS-NLMP], connectionless): read
 * the server's CHALLENGE, write the AUTHENTICATE, sign and check
 * signatures. Built on nettle's MD4, MD5, HMAC-MD5 and ARCFOUR.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* [MS-NLMP] 2.2.2.5 */
#define SD_NTLM_NEGOTIATE_UNICODE          0x00000001u
#define SD_NTLM_REQUEST_TARGET             0x00000004u
#define SD_NTLM_NEGOTIATE_SIGN             0x00000010u
#define SD_NTLM_NEGOTIATE_SEAL             0x00000020u
#define SD_NTLM_NEGOTIATE_DATAGRAM         0x00000040u
#define SD_NTLM_NEGOTIATE_NTLM             0x00000200u
#define SD_NTLM_NEGOTIATE_ALWAYS_SIGN      0x00008000u
#define SD_NTLM_TARGET_TYPE_DOMAIN         0x00010000u
#define SD_NTLM_TARGET_TYPE_SERVER         0x00020000u
#define SD_NTLM_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define SD_NTLM_NEGOTIATE_TARGET_INFO      0x00800000u
#define SD_NTLM_NEGOTIATE_VERSION          0x02000000u
#define SD_NTLM_NEGOTIATE_128              0x20000000u
#define SD_NTLM_NEGOTIATE_KEY_EXCH         0x40000000u
#define SD_NTLM_NEGOTIATE_56               0x80000000u

/* What a CHALLENGE may hold at most: more is an attack, not a server. */
#define SD_NTLM_MAX_MESSAGE 4096

/* The CHALLENGE message (MS-NLMP 2.2.1.2), as read from the server's bytes. */
typedef struct {
  guint32  flags;
  guint8   server_challenge[8];
  guint8  *target_info;       /* the AV pairs as sent, or NULL */
  gsize    target_info_length;
  char    *target_name;       /* UTF-8 (invalid sequences replaced), or NULL */
  char    *nb_domain;         /* MsvAvNbDomainName */
  char    *nb_computer;       /* MsvAvNbComputerName */
  char    *dns_domain;        /* MsvAvDnsDomainName */
  char    *dns_computer;      /* MsvAvDnsComputerName */
  gboolean has_timestamp;
  guint64  timestamp;         /* MsvAvTimestamp: FILETIME, 100 ns since 1601 */
} SdNtlmChallenge;

/* Parses a CHALLENGE; NULL with SD_SIP_ERROR_MALFORMED when the bytes are
 * not one (bad signature, type, a field outside the message, broken AV
 * pairs, more than SD_NTLM_MAX_MESSAGE bytes). */
SdNtlmChallenge *sd_ntlm_challenge_parse (const guint8 *data,
                                          gsize         length,
                                          GError      **error);
void             sd_ntlm_challenge_free  (SdNtlmChallenge *challenge);

/* The keys of one security association. Secret: free with
 * sd_ntlm_keys_free, which wipes them. */
typedef struct {
  guint32 flags;               /* negotiated: those of the AUTHENTICATE */
  guint8  session_key[16];     /* ExportedSessionKey */
  guint8  client_sign[16], server_sign[16];
  guint8  client_seal[16], server_seal[16];
  gsize   seal_length;         /* of the sealing keys' input (16 with NEGOTIATE_128) */
} SdNtlmKeys;

void sd_ntlm_keys_free (SdNtlmKeys *keys);

/* --- the building blocks, for the test vectors of MS-NLMP 4.2.4 ------- */

/* NTOWFv1: MD4 of the UTF-16LE password. FALSE when @password is not UTF-8. */
gboolean sd_ntlm_nt_hash   (const char *password, guint8 out[16]);
/* NTOWFv2: HMAC-MD5 (NT hash, UTF-16LE (upper-case user + domain)). */
gboolean sd_ntlm_ntowf_v2  (const guint8 nt_hash[16], const char *user, const char *domain, guint8 out[16]);
/* The NTLMv2 response (NTProofStr + temp, MS-NLMP 3.3.2); @lm_response
 * gets the LMv2 response, @session_base_key the SessionBaseKey. */
GByteArray *sd_ntlm_v2_response (const guint8  ntowf_v2[16],
                                 const guint8  server_challenge[8],
                                 const guint8  client_challenge[8],
                                 guint64       time,
                                 const guint8 *target_info,
                                 gsize         target_info_length,
                                 guint8        lm_response[24],
                                 guint8        session_base_key[16]);
/* Fills the four signing and sealing keys of @keys from its session_key. */
void     sd_ntlm_derive_keys (SdNtlmKeys *keys);

/* FALSE when this build cannot do NTLM (built without nettle). */
gboolean sd_ntlm_available (void);

/* --- the client ------------------------------------------------------- */

typedef struct {
  const char   *user;
  const char   *domain;            /* "" for a user@domain name sent whole */
  const char   *password;
  const char   *workstation;       /* NULL: none */
  const guint8 *client_challenge;  /* 8 bytes; NULL: random */
  const guint8 *session_key;       /* 16 bytes; NULL: random (key exchange) */
  guint64       time;              /* with time_given; else the server's MsvAvTimestamp, or now */
  gboolean      time_given;
} SdNtlmCredentials;

/* The AUTHENTICATE message (NTLMv2, extended session security,
 * connectionless) answering @challenge; @keys receives the security
 * association's keys. NULL with SD_SIP_ERROR_MALFORMED when the challenge
 * lacks what a connectionless NTLMv2 sign-in needs (Unicode, extended
 * session security, signing). Every intermediate secret is wiped. */
GBytes  *sd_ntlm_authenticate (const SdNtlmChallenge   *challenge,
                               const SdNtlmCredentials *credentials,
                               SdNtlmKeys             **keys,
                               GError                 **error);

/* The 16-byte NTLMSSP_MESSAGE_SIGNATURE of @data with sequence number
 * @seq, connectionless (the sealing key is derived anew for each
 * message): @from_client picks the client's keys (what we send) or the
 * server's (what we check). */
void     sd_ntlm_sign   (const SdNtlmKeys *keys,
                         gboolean          from_client,
                         guint32           seq,
                         const guint8     *data,
                         gsize             length,
                         guint8            signature[16]);
/* Checks a server's signature in constant time. */
gboolean sd_ntlm_verify (const SdNtlmKeys *keys,
                         guint32           seq,
                         const guint8     *data,
                         gsize             length,
                         const guint8     *signature,
                         gsize             signature_length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdNtlmChallenge, sd_ntlm_challenge_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdNtlmKeys, sd_ntlm_keys_free)

G_END_DECLS
