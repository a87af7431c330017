/* make-ccache.c: writes a Kerberos credentials cache holding a (fake)
 * ticket-granting ticket, so tests can show a machine that has a ticket
 * without a KDC. Usage: make-ccache FILE PRINCIPAL [LIFETIME_S]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
main (int argc, char **argv)
{
  krb5_context ctx;
  krb5_ccache cc;
  krb5_principal client, server;
  krb5_creds creds;
  char *cache_name;
  long lifetime = argc > 3 ? strtol (argv[3], NULL, 10) : 3600;
  const char *at;

  if (argc < 3 || (at = strchr (argv[2], '@')) == NULL)
    {
      fprintf (stderr, "usage: make-ccache FILE user@REALM [LIFETIME_S]\n");
      return 2;
    }
  if (krb5_init_context (&ctx) != 0)
    return 1;
  if (asprintf (&cache_name, "FILE:%s", argv[1]) < 0
      || krb5_cc_resolve (ctx, cache_name, &cc) != 0
      || krb5_parse_name (ctx, argv[2], &client) != 0
      || krb5_build_principal (ctx, &server, (unsigned int) strlen (at + 1), at + 1, "krbtgt", at + 1, NULL) != 0
      || krb5_cc_initialize (ctx, cc, client) != 0)
    return 1;
  memset (&creds, 0, sizeof creds);
  creds.client = client;
  creds.server = server;
  creds.times.authtime = creds.times.starttime = (krb5_timestamp) time (NULL) - 60;
  creds.times.endtime = (krb5_timestamp) (time (NULL) + lifetime);
  creds.ticket.data = (char *) "not a real ticket";
  creds.ticket.length = (unsigned int) strlen (creds.ticket.data);
  if (krb5_cc_store_cred (ctx, cc, &creds) != 0)
    return 1;
  krb5_cc_close (ctx, cc);
  krb5_free_principal (ctx, client);
  krb5_free_principal (ctx, server);
  krb5_free_context (ctx);
  free (cache_name);
  return 0;
}
