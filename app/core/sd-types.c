/* sd-types.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-types"

#include <glib/gi18n-lib.h>
#include "sd-types.h"

const char *
sd_status_to_string (SdStatus status)
{
  switch (status)
    {
    case SD_STATUS_PENDING: return "pending";
    case SD_STATUS_PASS: return "pass";
    case SD_STATUS_WARN: return "warn";
    case SD_STATUS_FAIL: return "fail";
    case SD_STATUS_SKIP: return "skip";
    default: break;
    }
  g_return_val_if_reached (NULL);
}

const char *
sd_severity_to_string (SdSeverity severity)
{
  switch (severity)
    {
    case SD_SEVERITY_INFO: return "info";
    case SD_SEVERITY_WARNING: return "warning";
    case SD_SEVERITY_ERROR: return "error";
    default: break;
    }
  g_return_val_if_reached (NULL);
}

const char *
sd_verdict_to_string (SdVerdict verdict)
{
  switch (verdict)
    {
    case SD_VERDICT_PASS: return "pass";
    case SD_VERDICT_WARN: return "warn";
    case SD_VERDICT_FAIL: return "fail";
    default: break;
    }
  g_return_val_if_reached (NULL);
}

static const char * const transports[] = { "auto", "tls", "tcp", "udp" };

const char *
sd_transport_to_string (SdTransport transport)
{
  g_return_val_if_fail (transport <= SD_TRANSPORT_UDP, NULL);
  return transports[transport];
}

gboolean
sd_transport_from_string (const char *str, SdTransport *out)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (transports); i++)
    if (g_ascii_strcasecmp (str, transports[i]) == 0)
      {
        *out = (SdTransport) i;
        return TRUE;
      }
  return FALSE;
}

guint16
sd_transport_default_port (SdTransport transport)
{
  return transport == SD_TRANSPORT_TLS ? 5061 : 5060;
}

static const char * const profiles[] = { "generic", "wm5", "ocs", "lync" };

const char *
sd_client_profile_to_string (SdClientProfile profile)
{
  g_return_val_if_fail (profile <= SD_CLIENT_LYNC, NULL);
  return profiles[profile];
}

gboolean
sd_client_profile_from_string (const char *str, SdClientProfile *out)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (profiles); i++)
    if (g_ascii_strcasecmp (str, profiles[i]) == 0)
      {
        *out = (SdClientProfile) i;
        return TRUE;
      }
  return FALSE;
}

const char *
sd_client_profile_title (SdClientProfile profile)
{
  switch (profile)
    {
    case SD_CLIENT_GENERIC: return _("Standard SIP client (RFC 3263)");
    case SD_CLIENT_WM5: return _("Windows Messenger 5 / LCS 2003");
    case SD_CLIENT_OCS: return _("Office Communicator / OCS");
    case SD_CLIENT_LYNC: return _("Lync / Skype for Business");
    default: break;
    }
  g_return_val_if_reached (NULL);
}

void
sd_text_append_escaped (GString *out, const char *text, gboolean multiline)
{
  const char *p = text;

  while (*p != '\0')
    {
      guchar c = (guchar) *p;
      gunichar u;

      if (c < 0x80)
        {
          if (multiline && (c == '\n' || c == '\t' || (c == '\r' && p[1] == '\n')))
            g_string_append_c (out, (char) c);
          else if (c == '\n')
            g_string_append (out, "\\n");
          else if (c == '\r')
            g_string_append (out, "\\r");
          else if (c == '\t')
            g_string_append (out, "\\t");
          else if (c < 0x20 || c == 0x7f)
            g_string_append_printf (out, "\\x%02x", c);
          else
            g_string_append_c (out, (char) c);
          p++;
          continue;
        }
      u = g_utf8_get_char_validated (p, -1);
      if (u == (gunichar) -1 || u == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", c);
          p++;
        }
      else if ((u >= 0x80 && u <= 0x9f) || u == 0x061c || u == 0x200e || u == 0x200f
               || (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069))
        {
          /* C1 controls: U+009B alone is a CSI on many terminals. The
           * bidirectional controls (marks, embeddings, overrides,
           * isolates) reorder what follows them on the screen: a server
           * name could read as another one. */
          g_string_append_printf (out, "\\u%04x", u);
          p = g_utf8_next_char (p);
        }
      else
        {
          const char *next = g_utf8_next_char (p);
          g_string_append_len (out, p, next - p);
          p = next;
        }
    }
}

char *
sd_text_escape (const char *text, gboolean multiline)
{
  GString *out = g_string_new (NULL);

  if (text != NULL)
    sd_text_append_escaped (out, text, multiline);
  return g_string_free (out, FALSE);
}
