/* sd-sign-in-method.c: the table of sign-in methods, the names each sends,
 * and the NTLM mechanism (sd-ntlm.c) behind the MS-SIPAE exchange.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sign-in-method"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-sign-in-method.h"
#include "sd-ntlm.h"
#include "sd-sipae.h"

G_DEFINE_QUARK (sd-sipae-error-quark, sd_sipae_error)

SdSipaeMech *
sd_sipae_mech_ref (SdSipaeMech *mech)
{
  g_atomic_int_inc (&mech->refs);
  return mech;
}

void
sd_sipae_mech_unref (SdSipaeMech *mech)
{
  if (mech != NULL && g_atomic_int_dec_and_test (&mech->refs))
    {
      g_free (mech->server_domain);
      mech->klass->free (mech);
    }
}

/* --- NTLM ---------------------------------------------------------------- */

typedef struct {
  SdSipaeMech  parent;
  char        *user;
  char        *domain;
  char        *password;   /* wiped on free, and as soon as the AUTHENTICATE is made */
  char        *workstation;
  SdNtlmKeys  *keys;
} NtlmMech;

static gboolean
ntlm_step (SdSipaeMech *mech, GBytes *in, GBytes **out, gboolean *complete, GError **error)
{
  NtlmMech *m = (NtlmMech *) mech;
  g_autoptr(SdNtlmChallenge) challenge = NULL;
  SdNtlmCredentials cred = { 0 };
  GError *local = NULL;
  gsize length = 0;
  const guint8 *data;

  /* Connectionless NTLM starts with an empty token: the server answers
   * with its CHALLENGE (MS-SIPAE 3.2.5.1.1). */
  if (in == NULL)
    {
      *out = g_bytes_new (NULL, 0);
      *complete = FALSE;
      return TRUE;
    }
  if (m->password == NULL)
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_NO_CREDENTIALS,
                           _("NTLM needs the password."));
      return FALSE;
    }
  data = g_bytes_get_data (in, &length);
  challenge = sd_ntlm_challenge_parse (data, length, &local);
  if (challenge == NULL)
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_MALFORMED, local->message);
      g_error_free (local);
      return FALSE;
    }
  g_free (mech->server_domain);
  mech->server_domain = g_strdup (challenge->nb_domain);
  cred.user = m->user;
  cred.domain = m->domain;
  cred.password = m->password;
  cred.workstation = m->workstation;
  *out = sd_ntlm_authenticate (challenge, &cred, &m->keys, &local);
  sd_secret_free (g_steal_pointer (&m->password));
  if (*out == NULL)
    {
      g_set_error_literal (error, SD_SIPAE_ERROR,
                           g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)
                             ? SD_SIPAE_ERROR_UNAVAILABLE : SD_SIPAE_ERROR_MALFORMED,
                           local->message);
      g_error_free (local);
      return FALSE;
    }
  *complete = TRUE;
  return TRUE;
}

static GBytes *
ntlm_sign (SdSipaeMech *mech, const char *text, GError **error)
{
  NtlmMech *m = (NtlmMech *) mech;
  guint8 signature[16];

  if (m->keys == NULL)
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_FAILED, "NTLM: no security association");
      return NULL;
    }
  sd_ntlm_sign (m->keys, TRUE, SD_SIPAE_NTLM_SEQ_NUM, (const guint8 *) text, strlen (text), signature);
  return g_bytes_new (signature, sizeof signature);
}

static gboolean
ntlm_verify (SdSipaeMech *mech, const char *text, const guint8 *mic, gsize mic_length, GError **error)
{
  NtlmMech *m = (NtlmMech *) mech;

  if (m->keys == NULL
      || !sd_ntlm_verify (m->keys, SD_SIPAE_NTLM_SEQ_NUM, (const guint8 *) text, strlen (text), mic, mic_length))
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_BAD_SIGNATURE,
                           _("The server's NTLM signature (rspauth) does not match."));
      return FALSE;
    }
  return TRUE;
}

static void
ntlm_free (SdSipaeMech *mech)
{
  NtlmMech *m = (NtlmMech *) mech;

  g_free (m->user);
  g_free (m->domain);
  sd_secret_free (m->password);
  g_free (m->workstation);
  sd_ntlm_keys_free (m->keys);
  g_free (m);
}

static const SdSipaeMechClass ntlm_class = {
  ntlm_step, ntlm_sign, ntlm_verify, ntlm_free,
};

SdSipaeMech *
sd_ntlm_mech_new (const SdSipaeInput *input)
{
  NtlmMech *m = g_new0 (NtlmMech, 1);

  m->parent.klass = &ntlm_class;
  m->parent.refs = 1;
  m->user = g_strdup (input->user);
  m->domain = g_strdup (input->domain != NULL ? input->domain : "");
  m->password = g_strdup (input->password);
  /* A workstation name tells the server's log nothing it needs; Windows
   * sends the computer's, which is private. */
  m->workstation = g_strdup ("");
  return &m->parent;
}

/* --- the table ----------------------------------------------------------- */

static gboolean
ntlm_can_perform (GError **error)
{
  if (!sd_ntlm_available ())
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_UNAVAILABLE,
                           _("This build has no NTLM: it was built without the nettle library."));
      return FALSE;
    }
  return TRUE;
}

static gboolean
kerberos_can_perform (GError **error)
{
#if HAVE_KRB5
  return TRUE;
#else
  g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_UNAVAILABLE,
                       _("This build has no Kerberos: it was built without MIT krb5 (GSSAPI)."));
  return FALSE;
#endif
}

static gboolean
digest_can_perform (GError **error)
{
  return TRUE;
}

static const SdSignInMethod methods[SD_N_SIGN_IN_METHODS] = {
  { SD_SIGN_IN_METHOD_KERBEROS, "Kerberos", "Kerberos", kerberos_can_perform, sd_kerberos_mech_new },
  { SD_SIGN_IN_METHOD_NTLM, "NTLM", "NTLM", ntlm_can_perform, sd_ntlm_mech_new },
  { SD_SIGN_IN_METHOD_DIGEST, "Digest", "Digest", digest_can_perform, NULL },
};

const SdSignInMethod *
sd_sign_in_methods (guint *n_methods)
{
  *n_methods = G_N_ELEMENTS (methods);
  return methods;
}

const SdSignInMethod *
sd_sign_in_method_get (SdSignInMethodId id)
{
  g_return_val_if_fail ((guint) id < SD_N_SIGN_IN_METHODS, NULL);
  return &methods[id];
}

void
sd_sign_in_method_names (SdSignInMethodId  id,
                         const SdSignIn   *s,
                         char            **user,
                         char            **domain)
{
  *domain = NULL;
  switch (id)
    {
    case SD_SIGN_IN_METHOD_NTLM:
      if (s->style == SD_SIGN_IN_NTLM)
        {
          *user = g_strdup (s->user);
          *domain = g_strdup (s->domain);
        }
      else
        {
          /* user@domain goes whole in the user name, with no domain, as
           * Windows sends a user principal name. */
          *user = g_strdup (s->given);
          *domain = g_strdup ("");
        }
      break;
    case SD_SIGN_IN_METHOD_KERBEROS:
      if (s->realm != NULL && s->style != SD_SIGN_IN_NTLM)
        {
          g_autofree char *realm = g_ascii_strup (s->realm, -1);
          *user = g_strdup_printf ("%s@%s", s->user, realm);
        }
      else
        *user = g_strdup (s->user);  /* the default realm of krb5.conf */
      break;
    case SD_SIGN_IN_METHOD_DIGEST:
    case SD_N_SIGN_IN_METHODS:
    default:
      *user = g_strdup (s->user);
      break;
    }
}

gboolean
sd_auth_choice_allows (SdAuthChoice choice, SdSignInMethodId id)
{
  switch (choice)
    {
    case SD_AUTH_DIGEST: return id == SD_SIGN_IN_METHOD_DIGEST;
    case SD_AUTH_NTLM: return id == SD_SIGN_IN_METHOD_NTLM;
    case SD_AUTH_KERBEROS: return id == SD_SIGN_IN_METHOD_KERBEROS;
    case SD_AUTH_AUTO:
    default: return TRUE;
    }
}
