/* sd-uri.c: parse SIP addresses and sign-in names as people type them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-uri"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-uri.h"
#include "sd-error.h"

#define MAX_ADDRESS_LENGTH SD_SIP_URI_MAX_LENGTH

G_DEFINE_BOXED_TYPE (SdSipUri, sd_sip_uri, sd_sip_uri_copy, sd_sip_uri_free)
G_DEFINE_BOXED_TYPE (SdSignIn, sd_sign_in, sd_sign_in_copy, sd_sign_in_free)

static const char *
expected_form (void)
{
  return _("Type it as alice@example.com or sip:alice@example.com.");
}

G_GNUC_PRINTF (3, 4) static void
set_invalid (GError **error, const char *expected, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SD_ERROR, SD_ERROR_INVALID_INPUT, "%s %s", what, expected);
}

/* RFC 3261 25.1: unreserved / escaped / user-unreserved */
static gboolean
is_user_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-_.!~*'()&=+$,;?/", c) != NULL);
}

/* RFC 3261 25.1: paramchar = param-unreserved / unreserved / escaped */
static gboolean
is_param_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-_.!~*'()[]/:&+$%", c) != NULL);
}

static gboolean
is_token_char (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("-.!%*_+`'~", c) != NULL);
}

/* Decodes %HH escapes; NULL when an escape is broken or the result is not
 * printable UTF-8. */
static char *
percent_decode (const char *s, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '%')
        {
          int hi, lo;
          if (i + 2 >= len)
            goto fail;
          hi = g_ascii_xdigit_value (s[i + 1]);
          lo = g_ascii_xdigit_value (s[i + 2]);
          if (hi < 0 || lo < 0)
            goto fail;
          g_string_append_c (out, (char) ((hi << 4) | lo));
          i += 2;
        }
      else
        g_string_append_c (out, s[i]);
    }

  if (!g_utf8_validate_len (out->str, out->len, NULL))
    goto fail;
  for (gsize i = 0; i < out->len; i++)
    if ((guchar) out->str[i] < 0x20 || out->str[i] == 0x7f)
      goto fail;
  return g_string_free (out, FALSE);

fail:
  g_string_free (out, TRUE);
  return NULL;
}

/* RFC 3261 hostname: labels of letters, digits and hyphens; the last
 * label starts with a letter. A trailing dot is allowed (and dropped). */
static gboolean
is_sip_hostname (const char *host, gsize len)
{
  gsize label_start = 0;

  if (len > 0 && host[len - 1] == '.')
    len--;
  if (len == 0 || len > 253)
    return FALSE;

  for (gsize i = 0; i <= len; i++)
    {
      if (i == len || host[i] == '.')
        {
          gsize label_len = i - label_start;
          if (label_len == 0 || label_len > 63)
            return FALSE;
          if (host[label_start] == '-' || host[i - 1] == '-')
            return FALSE;
          if (i == len && !g_ascii_isalpha (host[label_start]))
            return FALSE;
          label_start = i + 1;
        }
      else if (!g_ascii_isalnum (host[i]) && host[i] != '-')
        return FALSE;
    }
  return TRUE;
}

static gboolean
has_control_or_space (const char *s)
{
  for (; *s != '\0'; s++)
    if ((guchar) *s <= 0x20 || *s == 0x7f)
      return TRUE;
  return FALSE;
}

static gboolean
parse_params (SdSipUri *uri, const char *p, const char *text, GError **error)
{
  GPtrArray *names = g_ptr_array_new ();
  GPtrArray *values = g_ptr_array_new ();

  while (*p == ';')
    {
      const char *name = ++p;
      const char *value = NULL;
      gsize name_len, value_len = 0;

      while (is_param_char (*p) && *p != '=' && *p != ';')
        p++;
      name_len = (gsize) (p - name);
      if (*p == '=')
        {
          value = ++p;
          while (is_param_char (*p) && *p != ';')
            p++;
          value_len = (gsize) (p - value);
        }
      if (name_len == 0 || (value != NULL && value_len == 0))
        {
          set_invalid (error, expected_form (),
                       _("The address “%s” has an empty URI parameter."), text);
          goto fail;
        }
      {
        g_autofree char *raw_name = g_strndup (name, name_len);
        g_autofree char *raw_value = value != NULL ? g_strndup (value, value_len) : g_strdup ("");
        char *dec_name = percent_decode (raw_name, name_len);
        char *dec_value = percent_decode (raw_value, value_len);
        if (dec_name == NULL || dec_value == NULL)
          {
            g_free (dec_name);
            g_free (dec_value);
            set_invalid (error, expected_form (),
                         _("The address “%s” has a broken %%-escape in a URI parameter."), text);
            goto fail;
          }
        g_ptr_array_add (names, g_ascii_strdown (dec_name, -1));
        g_free (dec_name);
        g_ptr_array_add (values, dec_value);
      }
    }

  if (*p == '?')
    {
      set_invalid (error, expected_form (),
                   _("The address “%s” has URI headers (the part after “?”), which a sign-in address "
                     "does not use. Remove them."), text);
      goto fail;
    }
  if (*p != '\0')
    {
      set_invalid (error, expected_form (),
                   _("The address “%s” has an unexpected character “%c” after the server name."),
                   text, *p);
      goto fail;
    }

  {
    const char *transport = NULL;
    for (guint i = 0; i < names->len; i++)
      if (g_str_equal (names->pdata[i], "transport"))
        transport = values->pdata[i];
    if (transport != NULL)
      for (const char *t = transport; *t != '\0'; t++)
        if (!is_token_char (*t))
          {
            set_invalid (error, expected_form (),
                         _("The transport parameter “%s” is not valid; use udp, tcp or tls."), transport);
            goto fail;
          }
  }

  g_ptr_array_add (names, NULL);
  g_ptr_array_add (values, NULL);
  uri->param_names = (char **) g_ptr_array_free (names, FALSE);
  uri->param_values = (char **) g_ptr_array_free (values, FALSE);
  return TRUE;

fail:
  g_ptr_array_set_free_func (names, g_free);
  g_ptr_array_set_free_func (values, g_free);
  g_ptr_array_unref (names);
  g_ptr_array_unref (values);
  return FALSE;
}

SdSipUri *
sd_sip_uri_parse (const char *input, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(SdSipUri) uri = NULL;
  const char *s, *at, *user_end, *p, *colon;
  g_autofree char *scheme = NULL;

  if (input == NULL)
    input = "";
  if (strlen (input) > MAX_ADDRESS_LENGTH)
    {
      set_invalid (error, expected_form (), _("The SIP address is too long (over %d characters)."),
                   MAX_ADDRESS_LENGTH);
      return NULL;
    }
  if (!g_utf8_validate (input, -1, NULL))
    {
      set_invalid (error, expected_form (), _("The SIP address is not valid text."));
      return NULL;
    }

  text = g_strstrip (g_strdup (input));
  s = text;

  if (*s == '\0')
    {
      set_invalid (error, expected_form (), _("The SIP address is empty."));
      return NULL;
    }

  /* Display-name form: "Alice" <sip:alice@example.com>, or <sip:…> alone. */
  {
    const char *lt = strchr (s, '<');
    if (lt != NULL)
      {
        const char *gt = strchr (lt, '>');
        if (gt == NULL || gt[1] != '\0')
          {
            set_invalid (error, expected_form (),
                         _("The SIP address “%s” has a “<” without a matching “>” at the end."), text);
            return NULL;
          }
        {
          char *inner = g_strndup (lt + 1, (gsize) (gt - lt - 1));
          g_free (text);
          text = g_strstrip (inner);
          s = text;
        }
      }
    else if (strchr (s, '>') != NULL)
      {
        set_invalid (error, expected_form (),
                     _("The SIP address “%s” has a “>” without a matching “<”."), text);
        return NULL;
      }
  }

  if (has_control_or_space (s))
    {
      set_invalid (error, expected_form (),
                   _("The SIP address “%s” contains a space or a control character."), s);
      return NULL;
    }

  at = strchr (s, '@');
  colon = strchr (s, ':');
  if (colon != NULL && (at == NULL || colon < at))
    {
      scheme = g_ascii_strdown (s, (gssize) (colon - s));
      if (g_str_equal (scheme, "sip") || g_str_equal (scheme, "sips"))
        s = colon + 1;
      else if (g_str_equal (scheme, "tel") || g_str_equal (scheme, "mailto")
               || g_str_equal (scheme, "http") || g_str_equal (scheme, "https")
               || g_str_equal (scheme, "xmpp") || g_str_equal (scheme, "im")
               || g_str_equal (scheme, "pres") || g_str_equal (scheme, "h323"))
        {
          set_invalid (error, expected_form (),
                       _("“%s” is a %s: address, not a SIP address."), text, scheme);
          return NULL;
        }
      else if (at != NULL)
        {
          set_invalid (error, _("Type the address as alice@example.com and the password in the "
                                "Password field."),
                       _("The SIP address “%s” has a colon before the “@”: an address never "
                         "contains a password."), text);
          return NULL;
        }
      else
        {
          g_clear_pointer (&scheme, g_free);
        }
    }
  if (scheme == NULL)
    scheme = g_strdup ("sip");

  at = strchr (s, '@');
  if (at == NULL)
    {
      set_invalid (error, expected_form (),
                   _("“%s” has no user name: a SIP address has a user name, an “@” and a domain."),
                   text);
      return NULL;
    }
  if (strchr (at + 1, '@') != NULL)
    {
      set_invalid (error, expected_form (), _("The SIP address “%s” has more than one “@”."), text);
      return NULL;
    }
  if (at == s)
    {
      set_invalid (error, expected_form (),
                   _("The SIP address “%s” has nothing before the “@”: add the user name."), text);
      return NULL;
    }

  user_end = at;
  for (p = s; p < user_end; p++)
    if (!is_user_char (*p) && *p != '%')
      {
        set_invalid (error, expected_form (),
                     _("The user name in “%s” contains “%c”, which is not allowed there; "
                       "write it as %%%02X if it really belongs."), text, *p, (guchar) *p);
        return NULL;
      }

  uri = g_new0 (SdSipUri, 1);
  uri->scheme = g_steal_pointer (&scheme);
  uri->user = percent_decode (s, (gsize) (user_end - s));
  if (uri->user == NULL)
    {
      set_invalid (error, expected_form (),
                   _("The user name in “%s” has a broken %%-escape (a “%%” must be followed by two "
                     "hexadecimal digits)."), text);
      return NULL;
    }

  /* host */
  p = at + 1;
  if (*p == '\0' || *p == ';' || *p == ':')
    {
      set_invalid (error, expected_form (),
                   _("The SIP address “%s” has nothing after the “@”: add the domain."), text);
      return NULL;
    }
  if (*p == '[')
    {
      const char *end = strchr (p, ']');
      g_autofree char *v6 = NULL;
      if (end == NULL)
        {
          set_invalid (error, expected_form (),
                       _("The IPv6 address in “%s” has no closing “]”."), text);
          return NULL;
        }
      v6 = g_strndup (p + 1, (gsize) (end - p - 1));
      if (strchr (v6, ':') == NULL || !g_hostname_is_ip_address (v6))
        {
          set_invalid (error, expected_form (),
                       _("“%s” is not a valid IPv6 address."), v6);
          return NULL;
        }
      uri->host = g_ascii_strdown (v6, -1);
      uri->host_is_ip = TRUE;
      uri->host_is_ipv6 = TRUE;
      p = end + 1;
    }
  else
    {
      const char *end = p;
      g_autofree char *host = NULL;
      while (*end != '\0' && *end != ':' && *end != ';' && *end != '?')
        end++;
      host = g_strndup (p, (gsize) (end - p));
      if (*end == ':' && strchr (end + 1, ':') != NULL)
        {
          set_invalid (error, _("Write an IPv6 address in brackets, as in alice@[2001:db8::1]."),
                       _("The server part of “%s” looks like an IPv6 address without brackets."),
                       text);
          return NULL;
        }
      if (g_hostname_is_ip_address (host))
        uri->host_is_ip = TRUE;
      else
        {
          gboolean dotted_digits = TRUE;
          for (const char *h = host; *h != '\0'; h++)
            if (!g_ascii_isdigit (*h) && *h != '.')
              dotted_digits = FALSE;
          if (dotted_digits)
            {
              set_invalid (error, expected_form (),
                           _("“%s” is not a valid IPv4 address."), host);
              return NULL;
            }
          if (!is_sip_hostname (host, strlen (host)))
            {
              set_invalid (error, expected_form (),
                           _("“%s” is not a valid domain name: use letters, digits, hyphens and dots, "
                             "such as example.com."), host);
              return NULL;
            }
          if (host[strlen (host) - 1] == '.')
            host[strlen (host) - 1] = '\0';
        }
      uri->host = g_ascii_strdown (host, -1);
      p = end;
    }

  if (*p == ':')
    {
      const char *port_start = ++p;
      guint64 port;
      g_autofree char *port_str = NULL;
      while (g_ascii_isdigit (*p))
        p++;
      port_str = g_strndup (port_start, (gsize) (p - port_start));
      if (*port_str == '\0'
          || !g_ascii_string_to_unsigned (port_str, 10, 1, 65535, &port, NULL))
        {
          set_invalid (error, _("Use a port from 1 to 65535, such as sip:alice@example.com:5061."),
                       _("The port in “%s” is not valid."), text);
          return NULL;
        }
      uri->port = (guint16) port;
    }

  if (!parse_params (uri, p, text, error))
    return NULL;

  return g_steal_pointer (&uri);
}

SdSipUri *
sd_sip_uri_copy (const SdSipUri *uri)
{
  SdSipUri *copy = g_new0 (SdSipUri, 1);

  copy->scheme = g_strdup (uri->scheme);
  copy->user = g_strdup (uri->user);
  copy->host = g_strdup (uri->host);
  copy->port = uri->port;
  copy->host_is_ip = uri->host_is_ip;
  copy->host_is_ipv6 = uri->host_is_ipv6;
  copy->param_names = g_strdupv (uri->param_names);
  copy->param_values = g_strdupv (uri->param_values);
  return copy;
}

void
sd_sip_uri_free (SdSipUri *uri)
{
  if (uri == NULL)
    return;
  g_free (uri->scheme);
  g_free (uri->user);
  g_free (uri->host);
  g_strfreev (uri->param_names);
  g_strfreev (uri->param_values);
  g_free (uri);
}

const char *
sd_sip_uri_get_param (const SdSipUri *uri, const char *name)
{
  for (guint i = 0; uri->param_names != NULL && uri->param_names[i] != NULL; i++)
    if (g_str_equal (uri->param_names[i], name))
      return uri->param_values[i];
  return NULL;
}

static void
append_escaped_user (GString *out, const char *user)
{
  for (const guchar *p = (const guchar *) user; *p != '\0'; p++)
    {
      if (is_user_char ((char) *p))
        g_string_append_c (out, (char) *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
}

static void
append_escaped_param (GString *out, const char *text)
{
  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (is_param_char ((char) *p) && *p != '%')
        g_string_append_c (out, (char) *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
}

static void
append_host (GString *out, const SdSipUri *uri)
{
  if (uri->host_is_ipv6)
    g_string_append_printf (out, "[%s]", uri->host);
  else
    g_string_append (out, uri->host);
}

char *
sd_sip_uri_to_string (const SdSipUri *uri)
{
  GString *out = g_string_new (uri->scheme);

  g_string_append_c (out, ':');
  append_escaped_user (out, uri->user);
  g_string_append_c (out, '@');
  append_host (out, uri);
  if (uri->port != 0)
    g_string_append_printf (out, ":%u", uri->port);
  for (guint i = 0; uri->param_names != NULL && uri->param_names[i] != NULL; i++)
    {
      g_string_append_c (out, ';');
      append_escaped_param (out, uri->param_names[i]);
      if (*uri->param_values[i] != '\0')
        {
          g_string_append_c (out, '=');
          append_escaped_param (out, uri->param_values[i]);
        }
    }
  return g_string_free (out, FALSE);
}

char *
sd_sip_uri_to_aor (const SdSipUri *uri)
{
  GString *out = g_string_new (NULL);

  append_escaped_user (out, uri->user);
  g_string_append_c (out, '@');
  append_host (out, uri);
  return g_string_free (out, FALSE);
}

/* Sign-in names */

static const char *
sign_in_expected (void)
{
  return _("Type it as DOMAIN\\user (Windows domain, NTLM), user@example.com (Kerberos or Digest), "
           "or leave it empty to use the SIP address.");
}

static gboolean
is_sign_in_part (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if ((guchar) *s <= 0x20 || *s == 0x7f || strchr ("\"/\\[]:;|=,+*?<>@", *s) != NULL)
      return FALSE;
  return TRUE;
}

SdSignIn *
sd_sign_in_parse (const char *input, const SdSipUri *uri, GError **error)
{
  g_autofree char *text = NULL;
  g_autoptr(SdSignIn) sign_in = g_new0 (SdSignIn, 1);
  const char *bs, *at;

  text = g_strstrip (g_strdup (input != NULL ? input : ""));

  if (*text == '\0')
    {
      g_return_val_if_fail (uri != NULL, NULL);
      sign_in->style = SD_SIGN_IN_ADDRESS;
      sign_in->given = sd_sip_uri_to_aor (uri);
      sign_in->user = g_strdup (uri->user);
      sign_in->realm = g_strdup (uri->host);
      return g_steal_pointer (&sign_in);
    }

  if (strlen (text) > 256 || !g_utf8_validate (text, -1, NULL))
    {
      set_invalid (error, sign_in_expected (), _("The sign-in name is too long or not valid text."));
      return NULL;
    }

  bs = strchr (text, '\\');
  at = strchr (text, '@');
  if (bs != NULL && at != NULL)
    {
      set_invalid (error, sign_in_expected (),
                   _("The sign-in name “%s” mixes both forms (“\\” and “@”)."), text);
      return NULL;
    }

  if (bs != NULL)
    {
      g_autofree char *domain = g_strndup (text, (gsize) (bs - text));
      if (!is_sign_in_part (domain) || !is_sign_in_part (bs + 1))
        {
          set_invalid (error, sign_in_expected (),
                       _("The sign-in name “%s” needs a domain before the “\\” and a user name "
                         "after it, with no spaces."), text);
          return NULL;
        }
      sign_in->style = SD_SIGN_IN_NTLM;
      sign_in->domain = g_steal_pointer (&domain);
      sign_in->user = g_strdup (bs + 1);
    }
  else if (at != NULL)
    {
      g_autofree char *user = g_strndup (text, (gsize) (at - text));
      if (!is_sign_in_part (user) || !is_sign_in_part (at + 1)
          || !is_sip_hostname (at + 1, strlen (at + 1)))
        {
          set_invalid (error, sign_in_expected (),
                       _("The sign-in name “%s” needs a user name before the “@” and a domain "
                         "after it, with no spaces."), text);
          return NULL;
        }
      sign_in->style = SD_SIGN_IN_KERBEROS;
      sign_in->user = g_steal_pointer (&user);
      sign_in->realm = g_strdup (at + 1);
    }
  else
    {
      if (!is_sign_in_part (text))
        {
          set_invalid (error, sign_in_expected (),
                       _("The sign-in name “%s” contains a space or a character that is not allowed."),
                       text);
          return NULL;
        }
      sign_in->style = SD_SIGN_IN_PLAIN;
      sign_in->user = g_strdup (text);
    }

  sign_in->given = g_steal_pointer (&text);
  return g_steal_pointer (&sign_in);
}

SdSignIn *
sd_sign_in_copy (const SdSignIn *sign_in)
{
  SdSignIn *copy = g_new0 (SdSignIn, 1);

  copy->style = sign_in->style;
  copy->given = g_strdup (sign_in->given);
  copy->user = g_strdup (sign_in->user);
  copy->domain = g_strdup (sign_in->domain);
  copy->realm = g_strdup (sign_in->realm);
  return copy;
}

void
sd_sign_in_free (SdSignIn *sign_in)
{
  if (sign_in == NULL)
    return;
  g_free (sign_in->given);
  g_free (sign_in->user);
  g_free (sign_in->domain);
  g_free (sign_in->realm);
  g_free (sign_in);
}

const char *
sd_sign_in_style_to_string (SdSignInStyle style)
{
  switch (style)
    {
    case SD_SIGN_IN_ADDRESS: return "address";
    case SD_SIGN_IN_NTLM: return "ntlm";
    case SD_SIGN_IN_KERBEROS: return "kerberos";
    case SD_SIGN_IN_PLAIN: return "plain";
    default: break;
    }
  g_return_val_if_reached (NULL);
}

gboolean
sd_sign_in_is_kerberos_style (const SdSignIn *sign_in)
{
  return sign_in->style == SD_SIGN_IN_KERBEROS || sign_in->style == SD_SIGN_IN_ADDRESS;
}
