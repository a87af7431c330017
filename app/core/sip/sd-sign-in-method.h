/* sd-sign-in-method.h: the sign-in methods the auth step tries (Kerberos,
 * NTLM, Digest), and the security mechanisms MS-SIPAE carries.
 *
 * A method says whether this computer can perform it for a sign-in name;
 * the MS-SIPAE methods then hand a mechanism (SdSipaeMech) to the
 * exchange in sd-sipae-signin.c, which builds each Authorization from the
 * server's challenge and checks the server's signature. Digest runs its
 * own exchange in the auth step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include "sd-uri.h"
#include "sd-config.h"

G_BEGIN_DECLS

#define SD_SIPAE_ERROR (sd_sipae_error_quark ())
GQuark sd_sipae_error_quark (void);

/* Why a mechanism failed before or beside the server's verdict. */
typedef enum {
  SD_SIPAE_ERROR_UNAVAILABLE,    /* this build or computer lacks the mechanism */
  SD_SIPAE_ERROR_NO_KDC,         /* no KDC for the realm found or reachable */
  SD_SIPAE_ERROR_SPN_MISSING,    /* the KDC does not know the service principal */
  SD_SIPAE_ERROR_CLOCK_SKEW,     /* the KDC says the clocks differ too much */
  SD_SIPAE_ERROR_BAD_PASSWORD,   /* the KDC refused the password (preauthentication) */
  SD_SIPAE_ERROR_UNKNOWN_USER,   /* the KDC does not know the user */
  SD_SIPAE_ERROR_NO_CREDENTIALS, /* no password and no ticket in the cache */
  SD_SIPAE_ERROR_MALFORMED,      /* the server's token or parameters are broken */
  SD_SIPAE_ERROR_BAD_SIGNATURE,  /* the server's rspauth does not verify */
  SD_SIPAE_ERROR_FAILED,         /* anything else the library said */
} SdSipaeError;

typedef enum {
  SD_SIGN_IN_METHOD_KERBEROS,
  SD_SIGN_IN_METHOD_NTLM,
  SD_SIGN_IN_METHOD_DIGEST,
  SD_N_SIGN_IN_METHODS
} SdSignInMethodId;

/* What a mechanism needs: the names as this method sends them. Strings
 * are borrowed; @password is the config's, never copied. */
typedef struct {
  const char *user;        /* NTLM user name, or Kerberos principal (user@REALM or user) */
  const char *domain;      /* NTLM domain ("" for a user@domain name sent whole) */
  const char *password;    /* NULL: Kerberos uses the existing credential cache */
  const char *targetname;  /* from the challenge: FQDN (NTLM) or sip/FQDN (Kerberos) */
} SdSipaeInput;

typedef struct _SdSipaeMech SdSipaeMech;

/* A security context, GSS-style. step() may block (Kerberos asks the KDC):
 * it runs in a worker thread, with nothing else touching the mechanism
 * meanwhile. */
typedef struct {
  /* @in is the server's token (NULL at the start); *@out the next token to
   * send (possibly empty); *@complete when the context is established. */
  gboolean (*step)   (SdSipaeMech *mech, GBytes *in, GBytes **out, gboolean *complete, GError **error);
  GBytes  *(*sign)   (SdSipaeMech *mech, const char *text, GError **error);
  gboolean (*verify) (SdSipaeMech *mech, const char *text, const guint8 *mic, gsize mic_length,
                      GError **error);
  void     (*free)   (SdSipaeMech *mech);
} SdSipaeMechClass;

struct _SdSipaeMech {
  const SdSipaeMechClass *klass;
  gint                    refs;
  char                   *server_domain;  /* what the server's token names as its domain, or NULL */
};

SdSipaeMech *sd_sipae_mech_ref   (SdSipaeMech *mech);
void         sd_sipae_mech_unref (SdSipaeMech *mech);

/* NTLM (sd-ntlm.c) and Kerberos (sd-sip-kerberos.c, MIT GSSAPI). The input
 * is copied (the password into memory that is wiped). */
SdSipaeMech *sd_ntlm_mech_new     (const SdSipaeInput *input);
SdSipaeMech *sd_kerberos_mech_new (const SdSipaeInput *input);

typedef struct {
  SdSignInMethodId id;
  const char      *name;     /* "Kerberos", "NTLM", "Digest": data.scheme */
  const char      *scheme;   /* the challenge scheme it answers */
  /* Whether this build and computer can perform it; the error says why not
   * (SD_SIPAE_ERROR_UNAVAILABLE). */
  gboolean       (*can_perform) (GError **error);
  SdSipaeMech   *(*new_mech)    (const SdSipaeInput *input);  /* NULL for Digest */
} SdSignInMethod;

/* Every method, in the order Windows clients try them: Kerberos, NTLM, Digest. */
const SdSignInMethod *sd_sign_in_methods (guint *n_methods);
const SdSignInMethod *sd_sign_in_method_get (SdSignInMethodId id);

/* The names a method sends for @sign_in: NTLM sends DOMAIN\user as user
 * and domain, and user@domain whole as the user with an empty domain (as
 * Windows does); Kerberos asks for user@REALM (the domain in upper case),
 * or the bare user in the default realm for DOMAIN\user. Returns newly
 * allocated strings. */
void sd_sign_in_method_names (SdSignInMethodId  id,
                              const SdSignIn   *sign_in,
                              char            **user,
                              char            **domain);

/* Whether @choice lets the method @id be tried. */
gboolean    sd_auth_choice_allows (SdAuthChoice choice, SdSignInMethodId id);

G_END_DECLS
