/* sd-sip-kerberos.c: look for a Kerberos ticket with the system's library (MIT krb5).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-kerberos"

#include <string.h>
#include <glib/gi18n-lib.h>
#if HAVE_KRB5
#include <krb5.h>
#endif
#include "sd-sip-kerberos.h"

void
sd_kerberos_ticket_free (SdKerberosTicket *ticket)
{
  if (ticket == NULL)
    return;
  g_free (ticket->principal);
  g_free (ticket->cache);
  g_free (ticket->error);
  g_free (ticket);
}

#if HAVE_KRB5
static char *
krb5_message (krb5_context ctx, krb5_error_code code)
{
  const char *msg = krb5_get_error_message (ctx, code);
  char *out = g_strdup (msg);

  krb5_free_error_message (ctx, msg);
  return out;
}
#endif

#if HAVE_KRB5
/* A ticket-granting ticket for @realm that has not expired: what a
 * Kerberos sign-in to that realm needs. */
static gboolean
find_tgt (krb5_context ctx, krb5_ccache cc, const char *realm)
{
  krb5_cc_cursor cursor;
  krb5_creds creds;
  gboolean found = FALSE;
  krb5_timestamp now = (krb5_timestamp) (g_get_real_time () / G_USEC_PER_SEC);

  if (krb5_cc_start_seq_get (ctx, cc, &cursor) != 0)
    return FALSE;
  /* Bounded: a cache holds a handful of tickets. */
  for (guint n = 0; n < 1024 && !found && krb5_cc_next_cred (ctx, cc, &cursor, &creds) == 0; n++)
    {
      krb5_principal server = creds.server;
      if (server != NULL && server->length == 2 && server->data[0].length == 6
          && memcmp (server->data[0].data, "krbtgt", 6) == 0)
        {
          g_autofree char *r = g_strndup (server->realm.data, server->realm.length);
          g_autofree char *inst = g_strndup (server->data[1].data, server->data[1].length);
          if (g_ascii_strcasecmp (r, realm) == 0 && g_ascii_strcasecmp (inst, realm) == 0
              && creds.times.endtime > now)
            found = TRUE;
        }
      krb5_free_cred_contents (ctx, &creds);
    }
  krb5_cc_end_seq_get (ctx, cc, &cursor);
  return found;
}
#endif

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  const char *realm = task_data;
  SdKerberosTicket *ticket = g_new0 (SdKerberosTicket, 1);

#if HAVE_KRB5
  krb5_context ctx = NULL;
  krb5_ccache cc = NULL;
  krb5_principal principal = NULL;
  krb5_error_code code;

  ticket->checked = TRUE;
  code = krb5_init_context (&ctx);
  if (code != 0)
    {
      ticket->error = g_strdup (_("The Kerberos library could not start."));
      g_task_return_pointer (task, ticket, (GDestroyNotify) sd_kerberos_ticket_free);
      return;
    }
  code = krb5_cc_default (ctx, &cc);
  if (code == 0)
    {
      const char *type = krb5_cc_get_type (ctx, cc);
      const char *name = krb5_cc_get_name (ctx, cc);
      ticket->cache = g_strdup_printf ("%s:%s", type != NULL ? type : "", name != NULL ? name : "");
      code = krb5_cc_get_principal (ctx, cc, &principal);
    }
  if (code != 0)
    ticket->error = krb5_message (ctx, code);
  else
    {
      char *unparsed = NULL;
      if (krb5_unparse_name (ctx, principal, &unparsed) == 0)
        {
          ticket->principal = g_strdup (unparsed);
          krb5_free_unparsed_name (ctx, unparsed);
        }
      ticket->present = TRUE;
      if (realm != NULL && principal->realm.data != NULL)
        {
          g_autofree char *prealm = g_strndup (principal->realm.data, principal->realm.length);
          ticket->realm_matches = g_ascii_strcasecmp (prealm, realm) == 0;
        }
      if (realm != NULL)
        ticket->has_tgt = find_tgt (ctx, cc, realm);
      krb5_free_principal (ctx, principal);
    }
  if (cc != NULL)
    krb5_cc_close (ctx, cc);
  krb5_free_context (ctx);
#else
  ticket->checked = FALSE;
  ticket->error = g_strdup (_("This build has no Kerberos library, so tickets cannot be looked for."));
#endif
  g_task_return_pointer (task, ticket, (GDestroyNotify) sd_kerberos_ticket_free);
}

void
sd_kerberos_check_async (const char          *realm,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, sd_kerberos_check_async);
  g_task_set_task_data (task, g_strdup (realm), g_free);
  g_task_run_in_thread (task, check_thread);
}

SdKerberosTicket *
sd_kerberos_check_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* --- the Kerberos mechanism of MS-SIPAE (MIT GSSAPI) --------------------- */

#include "sd-sign-in-method.h"
#include "sd-config.h"
#if HAVE_KRB5
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

typedef struct {
  SdSipaeMech   parent;
  char         *principal;
  char         *password;     /* wiped once the credential is acquired */
  char         *targetname;   /* sip/FQDN */
  gss_cred_id_t cred;
  gss_ctx_id_t  ctx;
  gss_name_t    target;
  krb5_context  kctx;         /* with the MEMORY cache below, or NULL */
  krb5_ccache   ccache;
} KrbMech;

/* MIT's words for a status, for the finding's message (never a secret:
 * GSSAPI texts name principals and realms at most). */
static char *
gss_text (OM_uint32 code, int type)
{
  GString *out = g_string_new (NULL);
  OM_uint32 minor, more = 0;

  /* Bounded: a status has a few lines. */
  for (guint i = 0; i < 8; i++)
    {
      gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
      if (GSS_ERROR (gss_display_status (&minor, code, type, (gss_OID) gss_mech_krb5, &more, &text)))
        break;
      if (out->len > 0)
        g_string_append (out, "; ");
      g_string_append_len (out, text.value, (gssize) text.length);
      gss_release_buffer (&minor, &text);
      if (more == 0)
        break;
    }
  return g_string_free (out, FALSE);
}

static SdSipaeError
krb5_code_to_error (OM_uint32 minor)
{
  switch ((krb5_error_code) minor)
    {
    case KRB5_KDC_UNREACH:
    case KRB5_REALM_UNKNOWN:
    case KRB5_REALM_CANT_RESOLVE:
    case KRB5_CONFIG_NODEFREALM:
      return SD_SIPAE_ERROR_NO_KDC;
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
      return SD_SIPAE_ERROR_SPN_MISSING;
    case KRB5KRB_AP_ERR_SKEW:
      return SD_SIPAE_ERROR_CLOCK_SKEW;
    case KRB5KDC_ERR_PREAUTH_FAILED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
      return SD_SIPAE_ERROR_BAD_PASSWORD;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
      return SD_SIPAE_ERROR_UNKNOWN_USER;
    case KRB5_FCC_NOFILE:
    case KRB5_CC_NOTFOUND:
    case KRB5_CC_NOSUPP:
      return SD_SIPAE_ERROR_NO_CREDENTIALS;
    default:
      return SD_SIPAE_ERROR_FAILED;
    }
}

static gboolean
gss_fail (GError **error, const char *what, OM_uint32 major, OM_uint32 minor)
{
  g_autofree char *major_text = gss_text (major, GSS_C_GSS_CODE);
  g_autofree char *minor_text = minor != 0 ? gss_text (minor, GSS_C_MECH_CODE) : g_strdup ("");
  SdSipaeError code = minor != 0 ? krb5_code_to_error (minor) : SD_SIPAE_ERROR_FAILED;

  if (major == GSS_S_NO_CRED && code == SD_SIPAE_ERROR_FAILED)
    code = SD_SIPAE_ERROR_NO_CREDENTIALS;
  g_set_error (error, SD_SIPAE_ERROR, code, "%s: %s%s%s", what, major_text,
               minor_text[0] != '\0' ? ": " : "", minor_text);
  return FALSE;
}

static gboolean
import_principal (const char *text, gss_name_t *name, GError **error)
{
  OM_uint32 major, minor;
  gss_buffer_desc buf = { strlen (text), (void *) text };

  major = gss_import_name (&minor, &buf, (gss_OID) GSS_KRB5_NT_PRINCIPAL_NAME, name);
  if (GSS_ERROR (major))
    return gss_fail (error, "gss_import_name", major, minor);
  return TRUE;
}

static gboolean
krb5_fail (GError **error, krb5_context kctx, const char *what, krb5_error_code code)
{
  const char *text = krb5_get_error_message (kctx, code);

  g_set_error (error, SD_SIPAE_ERROR, krb5_code_to_error ((OM_uint32) code), "%s: %s", what, text);
  krb5_free_error_message (kctx, text);
  return FALSE;
}

/* The AS exchange with the password, into a MEMORY cache of this run
 * alone: the person's own cache is neither read nor written. Done with
 * krb5 itself rather than gss_acquire_cred_with_password, which keeps
 * the KDC's error (wrong password, skew, no KDC) from its caller. */
static gboolean
get_ticket (KrbMech *m, GError **error)
{
  krb5_principal principal = NULL;
  krb5_get_init_creds_opt *opt = NULL;
  krb5_creds creds;
  krb5_error_code code;
  OM_uint32 major, minor;
  gboolean ok = FALSE;

  memset (&creds, 0, sizeof creds);
  code = krb5_init_context (&m->kctx);
  if (code != 0)
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_UNAVAILABLE,
                           _("The Kerberos library could not start."));
      return FALSE;
    }
  code = krb5_parse_name (m->kctx, m->principal, &principal);
  if (code != 0)
    return krb5_fail (error, m->kctx, "krb5_parse_name", code);
  code = krb5_get_init_creds_opt_alloc (m->kctx, &opt);
  if (code == 0)
    code = krb5_get_init_creds_password (m->kctx, &creds, principal, m->password, NULL, NULL, 0, NULL, opt);
  if (code != 0)
    {
      krb5_fail (error, m->kctx, "krb5_get_init_creds_password", code);
      goto out;
    }
  code = krb5_cc_new_unique (m->kctx, "MEMORY", NULL, &m->ccache);
  if (code == 0)
    code = krb5_cc_initialize (m->kctx, m->ccache, principal);
  if (code == 0)
    code = krb5_cc_store_cred (m->kctx, m->ccache, &creds);
  if (code != 0)
    {
      krb5_fail (error, m->kctx, "krb5_cc_store_cred", code);
      goto out;
    }
  major = gss_krb5_import_cred (&minor, m->ccache, principal, NULL, &m->cred);
  if (GSS_ERROR (major))
    {
      gss_fail (error, "gss_krb5_import_cred", major, minor);
      goto out;
    }
  ok = TRUE;
out:
  /* krb5_free_cred_contents zeroes the session key before freeing it. */
  krb5_free_cred_contents (m->kctx, &creds);
  if (opt != NULL)
    krb5_get_init_creds_opt_free (m->kctx, opt);
  krb5_free_principal (m->kctx, principal);
  return ok;
}

static gboolean
krb_step (SdSipaeMech *mech, GBytes *in, GBytes **out, gboolean *complete, GError **error)
{
  KrbMech *m = (KrbMech *) mech;
  OM_uint32 major, minor;
  gss_buffer_desc input = GSS_C_EMPTY_BUFFER;
  gss_buffer_desc output = GSS_C_EMPTY_BUFFER;

  if (in == NULL && m->password == NULL)
    {
      /* Without a password only a ticket already in the cache can sign
       * in: look for it before anything else, so that a computer without
       * one gets no finding about realms or KDCs it never meant to use. */
      gss_OID_set_desc mechs = { 1, (gss_OID) gss_mech_krb5 };
      major = gss_acquire_cred (&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
                                &m->cred, NULL, NULL);
      if (GSS_ERROR (major))
        {
          g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_NO_CREDENTIALS,
                               _("No password was given and the credential cache holds no Kerberos ticket."));
          return FALSE;
        }
    }

  if (m->target == GSS_C_NO_NAME && !import_principal (m->targetname, &m->target, error))
    return FALSE;

  if (in == NULL && m->password != NULL)
    {
      gboolean ok = get_ticket (m, error);
      sd_secret_free (g_steal_pointer (&m->password));
      if (!ok)
        return FALSE;
    }

  if (in != NULL)
    {
      input.value = (void *) g_bytes_get_data (in, &input.length);
    }
  /* No mutual authentication: the server's signed 200 (rspauth) proves it
   * holds the key, and the context is complete with the first token. */
  major = gss_init_sec_context (&minor, m->cred, &m->ctx, m->target, (gss_OID) gss_mech_krb5,
                                GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                in != NULL ? &input : GSS_C_NO_BUFFER, NULL, &output, NULL, NULL);
  if (GSS_ERROR (major))
    return gss_fail (error, "gss_init_sec_context", major, minor);
  *out = g_bytes_new (output.value, output.length);
  if (output.value != NULL)
    sd_secret_wipe (output.value, output.length);
  gss_release_buffer (&minor, &output);
  *complete = major == GSS_S_COMPLETE;
  return TRUE;
}

static GBytes *
krb_sign (SdSipaeMech *mech, const char *text, GError **error)
{
  KrbMech *m = (KrbMech *) mech;
  OM_uint32 major, minor;
  gss_buffer_desc msg = { strlen (text), (void *) text };
  gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
  GBytes *out;

  major = gss_get_mic (&minor, m->ctx, GSS_C_QOP_DEFAULT, &msg, &mic);
  if (GSS_ERROR (major))
    {
      gss_fail (error, "gss_get_mic", major, minor);
      return NULL;
    }
  out = g_bytes_new (mic.value, mic.length);
  gss_release_buffer (&minor, &mic);
  return out;
}

static gboolean
krb_verify (SdSipaeMech *mech, const char *text, const guint8 *mic, gsize mic_length, GError **error)
{
  KrbMech *m = (KrbMech *) mech;
  OM_uint32 major, minor;
  gss_buffer_desc msg = { strlen (text), (void *) text };
  gss_buffer_desc token = { mic_length, (void *) mic };

  major = gss_verify_mic (&minor, m->ctx, &msg, &token, NULL);
  if (GSS_ERROR (major))
    {
      g_set_error_literal (error, SD_SIPAE_ERROR, SD_SIPAE_ERROR_BAD_SIGNATURE,
                           _("The server's Kerberos signature (rspauth) does not verify."));
      return FALSE;
    }
  return TRUE;
}

static void
krb_free (SdSipaeMech *mech)
{
  KrbMech *m = (KrbMech *) mech;
  OM_uint32 minor;

  if (m->ctx != GSS_C_NO_CONTEXT)
    gss_delete_sec_context (&minor, &m->ctx, GSS_C_NO_BUFFER);
  if (m->cred != GSS_C_NO_CREDENTIAL)
    gss_release_cred (&minor, &m->cred);
  if (m->target != GSS_C_NO_NAME)
    gss_release_name (&minor, &m->target);
  /* Destroying a MEMORY cache frees the ticket and its key. */
  if (m->ccache != NULL)
    krb5_cc_destroy (m->kctx, m->ccache);
  if (m->kctx != NULL)
    krb5_free_context (m->kctx);
  g_free (m->principal);
  sd_secret_free (m->password);
  g_free (m->targetname);
  g_free (m);
}

static const SdSipaeMechClass krb_class = {
  krb_step, krb_sign, krb_verify, krb_free,
};

SdSipaeMech *
sd_kerberos_mech_new (const SdSipaeInput *input)
{
  KrbMech *m = g_new0 (KrbMech, 1);

  m->parent.klass = &krb_class;
  m->parent.refs = 1;
  m->principal = g_strdup (input->user);
  m->password = input->password != NULL && input->password[0] != '\0' ? g_strdup (input->password) : NULL;
  m->targetname = g_strdup (input->targetname);
  m->cred = GSS_C_NO_CREDENTIAL;
  m->ctx = GSS_C_NO_CONTEXT;
  m->target = GSS_C_NO_NAME;
  return &m->parent;
}

#else

SdSipaeMech *
sd_kerberos_mech_new (const SdSipaeInput *input)
{
  return NULL;
}

#endif
