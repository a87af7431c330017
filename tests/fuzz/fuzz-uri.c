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

      /* What we print, we must read back the same, as long as the canonical
       * form (which can be longer: "sip:" added, "%41" kept…) is still
       * within the length the parser accepts. */
      if (strlen (canonical) > SD_SIP_URI_MAX_LENGTH)
        {
          g_assert_null (again);
          return 0;
        }
      g_assert_nonnull (again);
      g_assert_cmpstr (again->user, ==, uri->user);
      g_assert_cmpstr (again->host, ==, uri->host);
      g_assert_cmpuint (again->port, ==, uri->port);
    }
  if (sd_parse_host_port (text, &host, &port, NULL))
    g_assert_nonnull (host);
  return 0;
}
