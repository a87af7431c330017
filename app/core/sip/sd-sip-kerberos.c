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
