/* sd-sip-kerberos.h: is there a Kerberos ticket on this machine, for which realm?
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  gboolean  checked;    /* FALSE when built without a Kerberos library */
  gboolean  present;    /* a credentials cache with a principal exists */
  gboolean  realm_matches; /* the principal's realm is the one asked for */
  gboolean  has_tgt;    /* an unexpired krbtgt/REALM@REALM for the realm asked for */
  char     *principal;  /* "alice@EXAMPLE.TEST" or NULL */
  char     *cache;      /* the credentials cache looked at ("FILE:/tmp/krb5cc_1000") */
  char     *error;      /* why there is none, in words, or NULL */
} SdKerberosTicket;

void              sd_kerberos_ticket_free (SdKerberosTicket *ticket);

/* Looks at the default credentials cache (KRB5CCNAME decides, so tests
 * point it at an empty cache) in a worker thread: a cache can be a
 * keyring or a KCM daemon, and asking them may block. @realm is compared
 * case-insensitively. */
void              sd_kerberos_check_async  (const char          *realm,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
SdKerberosTicket *sd_kerberos_check_finish (GAsyncResult  *result,
                                            GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdKerberosTicket, sd_kerberos_ticket_free)

G_END_DECLS
