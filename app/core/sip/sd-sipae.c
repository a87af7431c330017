/* sd-sipae.c: MS-SIPAE signed fields, hex signatures, ms-diagnostics.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sipae"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-sipae.h"

/* --- the signed fields --------------------------------------------------- */

static void
add (GString *out, const char *value)
{
  g_string_append_c (out, '<');
  if (value != NULL)
    g_string_append (out, value);
  g_string_append_c (out, '>');
}

static void
add_uri_and_tag (GString *out, const char *value, gboolean with_uri)
{
  g_autofree char *uri = value != NULL ? sd_sip_header_uri (value) : NULL;
  g_autofree char *tag = value != NULL ? sd_sip_header_param (value, "tag") : NULL;

  if (with_uri)
    add (out, uri);
  add (out, tag);
}

char *
sd_sipae_sign_string (guint               version,
                      const char         *scheme,
                      const char         *rand,
                      const char         *num,
                      const char         *realm,
                      const char         *targetname,
                      const SdSipMessage *m)
{
  GString *out = g_string_new (NULL);
  const char *cseq = sd_sip_message_get_header (m, "CSeq");
  guint32 cseq_number = 0;
  g_autofree char *cseq_method = NULL;
  g_autofree char *cseq_text = NULL;

  add (out, scheme);
  add (out, rand);
  add (out, num);
  add (out, realm);
  add (out, targetname);
  add (out, sd_sip_message_get_header (m, "Call-ID"));
  if (cseq != NULL && sd_sip_parse_cseq (cseq, &cseq_number, &cseq_method))
    cseq_text = g_strdup_printf ("%u", cseq_number);
  add (out, cseq_text);
  add (out, cseq_method);
  add_uri_and_tag (out, sd_sip_message_get_header (m, "From"), TRUE);
  {
    const char *to = sd_sip_message_get_header (m, "To");
    g_autofree char *to_uri = to != NULL ? sd_sip_header_uri (to) : NULL;
    if (version >= 3)
      add (out, to_uri);
    add_uri_and_tag (out, to, FALSE);
  }
  if (version >= 3)
    {
      g_auto(GStrv) values = sd_sip_message_get_headers (m, "P-Asserted-Identity");
      g_autofree char *sip_uri = NULL;
      g_autofree char *tel_uri = NULL;

      if (values == NULL || values[0] == NULL)
        {
          g_strfreev (values);
          values = sd_sip_message_get_headers (m, "P-Preferred-Identity");
        }
      for (guint i = 0; values != NULL && values[i] != NULL; i++)
        {
          g_auto(GStrv) parts = sd_sip_split_list (values[i]);
          for (guint j = 0; parts != NULL && parts[j] != NULL; j++)
            {
              g_autofree char *uri = sd_sip_header_uri (parts[j]);
              if (uri == NULL)
                continue;
              if ((g_ascii_strncasecmp (uri, "sip:", 4) == 0 || g_ascii_strncasecmp (uri, "sips:", 5) == 0)
                  && sip_uri == NULL)
                sip_uri = g_steal_pointer (&uri);
              else if (g_ascii_strncasecmp (uri, "tel:", 4) == 0 && tel_uri == NULL)
                tel_uri = g_steal_pointer (&uri);
            }
        }
      add (out, sip_uri);
      add (out, tel_uri);
    }
  add (out, sd_sip_message_get_header (m, "Expires"));
  if (!m->is_request)
    {
      g_autofree char *status = g_strdup_printf ("%u", m->status);
      add (out, status);
    }
  return g_string_free (out, FALSE);
}

char *
sd_sipae_hex (const guint8 *data, gsize length)
{
  static const char digits[] = "0123456789abcdef";
  char *out = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0xf];
    }
  out[length * 2] = '\0';
  return out;
}

guint8 *
sd_sipae_unhex (const char *text, gsize max_bytes, gsize *length)
{
  gsize n = strlen (text);
  guint8 *out;

  if (n % 2 != 0 || n / 2 > max_bytes)
    return NULL;
  out = g_malloc (n / 2 + 1);
  for (gsize i = 0; i < n / 2; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]);
      int lo = g_ascii_xdigit_value (text[2 * i + 1]);
      if (hi < 0 || lo < 0)
        {
          g_free (out);
          return NULL;
        }
      out[i] = (guint8) (hi << 4 | lo);
    }
  *length = n / 2;
  return out;
}

char *
sd_sipae_shorten_token (const char *base64)
{
  gsize n = base64 != NULL ? strlen (base64) : 0;
  /* What base64 of n characters decodes to, without decoding it. */
  gsize bytes = n / 4 * 3;

  if (n == 0)
    return g_strdup ("");
  if (n >= 1 && base64[n - 1] == '=')
    bytes--;
  if (n >= 2 && base64[n - 2] == '=')
    bytes--;
  if (n <= 16)
    return g_strdup_printf ("%s (%" G_GSIZE_FORMAT " bytes)", base64, bytes);
  return g_strdup_printf ("%.12s… (%" G_GSIZE_FORMAT " bytes)", base64, bytes);
}

/* --- ms-diagnostics ------------------------------------------------------ */

void
sd_ms_diagnostic_free (SdMsDiagnostic *d)
{
  if (d == NULL)
    return;
  g_free (d->reason);
  g_free (d->source);
  g_free (d);
}

/* Only codes whose meaning is certain from the published texts and the
 * field guide; the rest are shown with the server's own reason rather
 * than with a guess. */
static const struct {
  guint           code;
  SdMsDiagMeaning meaning;
} known_codes[] = {
  { 2, SD_MS_DIAG_GENERIC },          /* "See response code and reason phrase" */
  { 1033, SD_MS_DIAG_HOP },           /* previous hop server component did not report */
  { 1034, SD_MS_DIAG_FEDERATION },    /* previous hop federated peer did not report */
  { 1036, SD_MS_DIAG_HOP },           /* previous hop shared address space peer did not report */
  { 4005, SD_MS_DIAG_NOT_ENABLED },   /* destination URI not enabled for SIP or does not exist */
};

SdMsDiagMeaning
sd_ms_diagnostic_meaning_of (guint code)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_codes); i++)
    if (known_codes[i].code == code)
      return known_codes[i].meaning;
  return SD_MS_DIAG_OTHER;
}

const char *
sd_ms_diagnostic_meaning_text (SdMsDiagMeaning meaning)
{
  switch (meaning)
    {
    case SD_MS_DIAG_GENERIC:
      return _("a general failure; the response's status says what went wrong");
    case SD_MS_DIAG_NOT_ENABLED:
      return _("the account is not enabled for SIP (Lync/Skype for Business) or does not exist");
    case SD_MS_DIAG_NOT_HOMED:
      return _("the account is homed on another pool than the server that answered");
    case SD_MS_DIAG_DISABLED:
      return _("the account is disabled");
    case SD_MS_DIAG_CREDENTIALS:
      return _("the server did not accept the credentials");
    case SD_MS_DIAG_FEDERATION:
      return _("a federated partner or the Edge server refused or did not answer");
    case SD_MS_DIAG_HOP:
      return _("an earlier server on the path failed without saying why");
    case SD_MS_DIAG_OTHER:
    default:
      return _("a code this tool has no explanation for; the server's reason says more");
    }
}

SdSeverity
sd_ms_diagnostic_severity (SdMsDiagMeaning meaning)
{
  switch (meaning)
    {
    case SD_MS_DIAG_NOT_ENABLED:
    case SD_MS_DIAG_NOT_HOMED:
    case SD_MS_DIAG_DISABLED:
    case SD_MS_DIAG_CREDENTIALS:
      return SD_SEVERITY_ERROR;
    case SD_MS_DIAG_FEDERATION:
    case SD_MS_DIAG_HOP:
    case SD_MS_DIAG_OTHER:
      return SD_SEVERITY_WARNING;
    case SD_MS_DIAG_GENERIC:
    default:
      return SD_SEVERITY_INFO;
    }
}

SdMsDiagnostic *
sd_ms_diagnostic_parse (const char *value, GError **error)
{
  const char *p = value;
  guint code = 0;
  guint digits = 0;
  SdMsDiagnostic *d;
  char *reason, *source;

  while (*p == ' ' || *p == '\t')
    p++;
  for (; g_ascii_isdigit (*p) && digits < 6; p++, digits++)
    code = code * 10 + (guint) (*p - '0');
  if (digits == 0 || digits > 5)
    {
      g_set_error_literal (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED,
                           "ms-diagnostics does not start with a code");
      return NULL;
    }
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p != '\0' && *p != ';')
    {
      g_set_error_literal (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED,
                           "ms-diagnostics: the code is followed by something else than parameters");
      return NULL;
    }
  d = g_new0 (SdMsDiagnostic, 1);
  d->code = code;
  d->meaning = sd_ms_diagnostic_meaning_of (code);
  reason = sd_sip_header_param (value, "reason");
  source = sd_sip_header_param (value, "source");
  d->reason = reason != NULL ? g_utf8_make_valid (reason, -1) : NULL;
  d->source = source != NULL ? g_utf8_make_valid (source, -1) : NULL;
  g_free (reason);
  g_free (source);
  return d;
}
