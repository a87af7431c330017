/* sd-uri.h: the SIP address and the sign-in name, as people type them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  char       *scheme;      /* "sip" or "sips" */
  char       *user;        /* percent-decoded */
  char       *host;        /* lower-case; an IPv6 literal without brackets */
  guint16     port;        /* 0 when absent */
  gboolean    host_is_ip;
  gboolean    host_is_ipv6;
  char      **param_names; /* NULL-terminated, lower-case */
  char      **param_values;/* same length; "" for a flag parameter */
} SdSipUri;

#define SD_TYPE_SIP_URI (sd_sip_uri_get_type ())
/* Longer input is refused (bytes, before any canonical rewriting). */
#define SD_SIP_URI_MAX_LENGTH 1024
GType     sd_sip_uri_get_type (void) G_GNUC_CONST;

/* Accepts "alice@example.com", "sip:…", "sips:…", "<sip:…>",
 * "Alice <sip:…>", upper case, surrounding spaces, a port, URI parameters,
 * an IPv6 literal and percent-escapes in the user part. On failure the
 * error (SD_ERROR_INVALID_INPUT) says what is wrong and shows the expected
 * form. */
SdSipUri   *sd_sip_uri_parse (const char *text, GError **error);
SdSipUri   *sd_sip_uri_copy (const SdSipUri *uri);
void        sd_sip_uri_free (SdSipUri *uri);
/* Canonical form: "sip:alice@example.com[:port][;params]". */
char       *sd_sip_uri_to_string (const SdSipUri *uri);
/* "alice@example.com" (no scheme, port or parameters). */
char       *sd_sip_uri_to_aor (const SdSipUri *uri);
/* The value of a URI parameter (lower-case name), or NULL. */
const char *sd_sip_uri_get_param (const SdSipUri *uri, const char *name);

typedef enum {
  SD_SIGN_IN_ADDRESS,   /* nothing typed: the SIP address, user@domain */
  SD_SIGN_IN_NTLM,      /* DOMAIN\user */
  SD_SIGN_IN_KERBEROS,  /* user@realm */
  SD_SIGN_IN_PLAIN,     /* user alone (Digest user name) */
} SdSignInStyle;

typedef struct {
  SdSignInStyle style;
  char *given;   /* as typed (trimmed), or the AOR for SD_SIGN_IN_ADDRESS */
  char *user;    /* the user part */
  char *domain;  /* NTLM domain, or NULL */
  char *realm;   /* Kerberos realm / part after '@', or NULL */
} SdSignIn;

#define SD_TYPE_SIGN_IN (sd_sign_in_get_type ())
GType       sd_sign_in_get_type (void) G_GNUC_CONST;

/* @text may be NULL or empty: then the SIP address is the sign-in name. */
SdSignIn   *sd_sign_in_parse (const char *text, const SdSipUri *uri, GError **error);
SdSignIn   *sd_sign_in_copy (const SdSignIn *sign_in);
void        sd_sign_in_free (SdSignIn *sign_in);
const char *sd_sign_in_style_to_string (SdSignInStyle style);
/* TRUE for user@realm forms (typed, or the SIP address by default). */
gboolean    sd_sign_in_is_kerberos_style (const SdSignIn *sign_in);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdSipUri, sd_sip_uri_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdSignIn, sd_sign_in_free)

G_END_DECLS
