/* fuzz-uri.c: the SIP address, sign-in name and host:port parsers on any bytes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sipdoctor.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(SdSipUri) uri = sd_sip_uri_parse (text, NULL);
  g_autofree char *host = NULL;
  guint16 port;

  if (uri != NULL)
    {
      g_autofree char *canonical = sd_sip_uri_to_string (uri);
      g_autoptr(SdSipUri) again = sd_sip_uri_parse (canonical, NULL);
      g_autoptr(SdSignIn) sign_in = sd_sign_in_parse (text, uri, NULL);

      /* What we print, we must read back the same. */
      g_assert_nonnull (again);
      g_assert_cmpstr (again->user, ==, uri->user);
      g_assert_cmpstr (again->host, ==, uri->host);
      g_assert_cmpuint (again->port, ==, uri->port);
    }
  if (sd_parse_host_port (text, &host, &port, NULL))
    g_assert_nonnull (host);
  return 0;
}
