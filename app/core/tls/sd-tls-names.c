/* sd-tls-names.c: certificate name matching (see sd-tls-names.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-tls-names"

#include <string.h>
#include <gio/gio.h>
#include "sd-tls-names.h"

const char *
sd_name_match_to_string (SdNameMatch match)
{
  switch (match)
    {
    case SD_NAME_MATCH_DNS:      return "dns";
    case SD_NAME_MATCH_WILDCARD: return "wildcard";
    case SD_NAME_MATCH_IP:       return "ip";
    case SD_NAME_MATCH_CN:       return "cn";
    case SD_NAME_MATCH_SIP_URI:  return "sip-uri";
    case SD_NAME_MATCH_NONE:
    default:                     return "none";
    }
}

char *
sd_tls_normalize_host (const char *host)
{
  gsize len;
  char *out;

  if (host == NULL)
    return NULL;
  len = strlen (host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']')
    {
      host++;
      len -= 2;
    }
  if (len > 1 && host[len - 1] == '.')
    len--;
  out = g_ascii_strdown (host, len);
  return out;
}

static gboolean
is_ip (const char *host)
{
  return host != NULL && g_hostname_is_ip_address (host);
}

/* No host name holds a control byte, a space or a backslash; a certificate
 * name that does (sd-cert-info shows a NUL as "\x00") matches nothing. */
static gboolean
name_usable (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const guchar *p = (const guchar *) name; *p != '\0'; p++)
    if (*p <= 0x20 || *p == 0x7f || *p == '\\')
      return FALSE;
  return TRUE;
}

static gboolean
names_equal (const char *a, const char *b)
{
  g_autofree char *na = sd_tls_normalize_host (a);
  g_autofree char *nb = sd_tls_normalize_host (b);

  return name_usable (na) && name_usable (nb) && g_str_equal (na, nb);
}

gboolean
sd_tls_wildcard_matches (const char *pattern, const char *host)
{
  g_autofree char *p = sd_tls_normalize_host (pattern);
  g_autofree char *h = sd_tls_normalize_host (host);
  const char *p_dot, *h_dot, *star;
  gsize prefix_len, suffix_len, label_len;

  if (!name_usable (p) || !name_usable (h) || is_ip (h))
    return FALSE;
  p_dot = strchr (p, '.');
  h_dot = strchr (h, '.');
  if (p_dot == NULL || h_dot == NULL)
    return FALSE;
  star = strchr (p, '*');
  if (star == NULL || star > p_dot || strchr (star + 1, '*') != NULL)
    return FALSE;
  /* "*.com" would cover a whole top-level domain: at least two labels after it. */
  if (strchr (p_dot + 1, '.') == NULL || p_dot[1] == '.' || p_dot[1] == '\0')
    return FALSE;
  if (!g_str_equal (p_dot, h_dot))
    return FALSE;
  /* No wildcard inside an IDN A-label ("xn--…"), as RFC 6125 6.4.3 says. */
  if (g_str_has_prefix (p, "xn--") || g_str_has_prefix (h, "xn--"))
    return FALSE;
  prefix_len = (gsize) (star - p);
  suffix_len = (gsize) (p_dot - star - 1);
  label_len = (gsize) (h_dot - h);
  if (label_len == 0 || label_len < prefix_len + suffix_len)
    return FALSE;
  return strncmp (h, p, prefix_len) == 0
         && strncmp (h_dot - suffix_len, star + 1, suffix_len) == 0;
}

char *
sd_tls_sip_uri_host (const char *uri)
{
  const char *p, *end, *at;
  g_autofree char *host = NULL;

  if (uri == NULL)
    return NULL;
  if (g_ascii_strncasecmp (uri, "sip:", 4) == 0)
    p = uri + 4;
  else if (g_ascii_strncasecmp (uri, "sips:", 5) == 0)
    p = uri + 5;
  else
    return NULL;

  end = p + strcspn (p, ";?>");
  at = memchr (p, '@', (gsize) (end - p));
  if (at != NULL)
    p = at + 1;
  if (*p == '[')
    {
      const char *close = memchr (p, ']', (gsize) (end - p));
      if (close == NULL)
        return NULL;
      host = g_strndup (p + 1, (gsize) (close - p - 1));
    }
  else
    {
      const char *colon = memchr (p, ':', (gsize) (end - p));
      host = g_strndup (p, (gsize) ((colon != NULL ? colon : end) - p));
    }
  if (!name_usable (host))
    return NULL;
  return sd_tls_normalize_host (host);
}

static gboolean
ip_equal (const char *a, const char *b)
{
  g_autoptr(GInetAddress) ia = NULL;
  g_autoptr(GInetAddress) ib = NULL;
  g_autofree char *na = sd_tls_normalize_host (a);
  g_autofree char *nb = sd_tls_normalize_host (b);

  ia = g_inet_address_new_from_string (na);
  ib = g_inet_address_new_from_string (nb);
  return ia != NULL && ib != NULL && g_inet_address_equal (ia, ib);
}

static gsize
count (const char *const *v)
{
  return v != NULL ? g_strv_length ((char **) v) : 0;
}

SdNameMatch
sd_tls_match_host (const SdCertNames *names, const char *host)
{
  g_autofree char *h = sd_tls_normalize_host (host);
  SdNameMatch best = SD_NAME_MATCH_NONE;

  if (h == NULL || *h == '\0')
    return SD_NAME_MATCH_NONE;

  if (is_ip (h))
    {
      /* RFC 6125: an IP address is only ever checked against iPAddress names. */
      for (gsize i = 0; i < count (names->ip); i++)
        if (ip_equal (names->ip[i], h))
          return SD_NAME_MATCH_IP;
      return SD_NAME_MATCH_NONE;
    }

  for (gsize i = 0; i < count (names->dns); i++)
    {
      if (strchr (names->dns[i], '*') == NULL)
        {
          if (names_equal (names->dns[i], h))
            return SD_NAME_MATCH_DNS;
        }
      else if (sd_tls_wildcard_matches (names->dns[i], h))
        best = SD_NAME_MATCH_WILDCARD;
    }
  if (best != SD_NAME_MATCH_NONE)
    return best;

  /* The CN counts only when the certificate has no DNS name at all. */
  if (count (names->dns) == 0 && names->cn != NULL)
    {
      if (strchr (names->cn, '*') == NULL ? names_equal (names->cn, h)
                                          : sd_tls_wildcard_matches (names->cn, h))
        return SD_NAME_MATCH_CN;
    }

  for (gsize i = 0; i < count (names->uri); i++)
    {
      g_autofree char *uh = sd_tls_sip_uri_host (names->uri[i]);
      if (uh != NULL && g_str_equal (uh, h))
        return SD_NAME_MATCH_SIP_URI;
    }
  return SD_NAME_MATCH_NONE;
}

SdNameMatch
sd_tls_match_sip_host (const SdCertNames *names, const char *host)
{
  SdCertNames san_only = *names;

  if (count (names->dns) > 0 || count (names->ip) > 0 || count (names->uri) > 0)
    san_only.cn = NULL;
  return sd_tls_match_host (&san_only, host);
}

char **
sd_tls_sip_identities (const SdCertNames *names)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  gboolean any = FALSE;

  for (gsize i = 0; i < count (names->uri); i++)
    {
      g_autofree char *uh = sd_tls_sip_uri_host (names->uri[i]);
      if (uh != NULL)
        {
          g_strv_builder_add (b, uh);
          any = TRUE;
        }
    }
  if (!any)
    {
      for (gsize i = 0; i < count (names->dns); i++)
        {
          g_autofree char *n = sd_tls_normalize_host (names->dns[i]);
          if (name_usable (n))
            g_strv_builder_add (b, n);
        }
    }
  /* An invalid name still counts as a name: it does not let the CN in. */
  if (!any && count (names->dns) == 0 && count (names->ip) == 0 && count (names->uri) == 0
      && names->cn != NULL)
    {
      g_autofree char *n = sd_tls_normalize_host (names->cn);
      if (name_usable (n))
        g_strv_builder_add (b, n);
    }
  return g_strv_builder_end (b);
}

gboolean
sd_tls_sip_domain_matches (const SdCertNames *names, const char *domain)
{
  g_auto(GStrv) ids = sd_tls_sip_identities (names);
  g_autofree char *d = sd_tls_normalize_host (domain);

  if (d == NULL || *d == '\0')
    return FALSE;
  for (guint i = 0; ids[i] != NULL; i++)
    if (strchr (ids[i], '*') == NULL && g_str_equal (ids[i], d))
      return TRUE;
  return FALSE;
}

char *
sd_tls_strict_name_match (const SdCertNames *names, const char *domain)
{
  g_autofree char *d = sd_tls_normalize_host (domain);
  g_autofree char *sip = NULL;

  if (d == NULL || *d == '\0')
    return NULL;
  if (sd_tls_sip_domain_matches (names, d))
    return g_steal_pointer (&d);
  sip = g_strconcat ("sip.", d, NULL);
  if (sd_tls_sip_domain_matches (names, sip))
    return g_steal_pointer (&sip);
  return NULL;
}

char **
sd_tls_all_names (const SdCertNames *names)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (gsize i = 0; i < count (names->dns); i++)
    g_strv_builder_add (b, names->dns[i]);
  for (gsize i = 0; i < count (names->ip); i++)
    g_strv_builder_add (b, names->ip[i]);
  for (gsize i = 0; i < count (names->uri); i++)
    g_strv_builder_add (b, names->uri[i]);
  if (count (names->dns) == 0 && names->cn != NULL)
    {
      g_autofree char *cn = g_strconcat ("CN=", names->cn, NULL);
      g_strv_builder_add (b, cn);
    }
  return g_strv_builder_end (b);
}
