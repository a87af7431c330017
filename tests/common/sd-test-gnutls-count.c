/* sd-test-gnutls-count.c: counts GnuTLS's whole parses of the system trust
 * store (see sd-test-gnutls-count.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <dlfcn.h>
#include <string.h>
#include <gnutls/x509.h>
#include "sd-test-gnutls-count.h"

static gint n_whole_parses;
static gint n_on_main_loop;

gint
sd_test_gnutls_whole_parses (void)
{
  return g_atomic_int_get (&n_whole_parses);
}

gint
sd_test_gnutls_whole_parses_on_main_loop (void)
{
  return g_atomic_int_get (&n_on_main_loop);
}

static void
count (void)
{
  g_atomic_int_inc (&n_whole_parses);
  /* The default main context is owned while one of its sources runs. */
  if (g_main_context_is_owner (g_main_context_default ()))
    g_atomic_int_inc (&n_on_main_loop);
}

int
gnutls_x509_trust_list_add_system_trust (gnutls_x509_trust_list_t list,
                                         unsigned int             tl_flags,
                                         unsigned int             tl_vflags)
{
  int (*real) (gnutls_x509_trust_list_t, unsigned int, unsigned int) =
    (int (*) (gnutls_x509_trust_list_t, unsigned int, unsigned int))
      dlsym (RTLD_NEXT, "gnutls_x509_trust_list_add_system_trust");

  count ();
  return real (list, tl_flags, tl_vflags);
}

/* glib-networking's default database may read the store's file itself. */
int
gnutls_x509_trust_list_add_trust_file (gnutls_x509_trust_list_t list,
                                       const char              *ca_file,
                                       const char              *crl_file,
                                       gnutls_x509_crt_fmt_t    type,
                                       unsigned int             tl_flags,
                                       unsigned int             tl_vflags)
{
  int (*real) (gnutls_x509_trust_list_t, const char *, const char *, gnutls_x509_crt_fmt_t, unsigned int,
               unsigned int) =
    (int (*) (gnutls_x509_trust_list_t, const char *, const char *, gnutls_x509_crt_fmt_t, unsigned int,
              unsigned int)) dlsym (RTLD_NEXT, "gnutls_x509_trust_list_add_trust_file");

  if (ca_file != NULL && SD_SYSTEM_TRUST_FILE[0] != '\0' && strcmp (ca_file, SD_SYSTEM_TRUST_FILE) == 0)
    count ();
  return real (list, ca_file, crl_file, type, tl_flags, tl_vflags);
}
