/* sd-dns-naming.c: the strict DNS naming rule.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include <string.h>
#include "sd-dns-naming.h"
#include "sd-dns-wire.h"

static gsize
name_len (const char *s)
{
  gsize n = strlen (s);
  return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

gboolean
sd_dns_strict_name_ok (const char *domain, const char *host)
{
  gsize ld, lh;

  if (domain == NULL || host == NULL || *domain == '\0' || *host == '\0')
    return FALSE;
  if (sd_dns_name_equal (domain, host))
    return TRUE;
  ld = name_len (domain);
  lh = name_len (host);
  return lh == ld + 4 && g_ascii_strncasecmp (host, "sip.", 4) == 0
         && g_ascii_strncasecmp (host + 4, domain, ld) == 0;
}

gboolean
sd_dns_name_in_domain (const char *domain, const char *host)
{
  gsize ld, lh;

  if (domain == NULL || host == NULL || *domain == '\0' || *host == '\0')
    return FALSE;
  ld = name_len (domain);
  lh = name_len (host);
  if (lh == ld)
    return g_ascii_strncasecmp (host, domain, ld) == 0;
  return lh > ld + 1 && host[lh - ld - 1] == '.'
         && g_ascii_strncasecmp (host + lh - ld, domain, ld) == 0;
}
