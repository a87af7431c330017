/* sd-sip-message.c: RFC 3261 message parser and builder, bounded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-sip-message"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-sip-message.h"
#include "sd-random.h"

G_DEFINE_QUARK (sd-sip-error-quark, sd_sip_error)

#define MAX_LEADING_CRLF 64

/* Compact forms (RFC 3261 §7.3.3 and later RFCs) and the usual spelling
 * of the headers the tool reads. */
static const struct {
  char compact;
  const char *name;
} header_names[] = {
  { 'i', "Call-ID" }, { 'm', "Contact" }, { 'e', "Content-Encoding" },
  { 'l', "Content-Length" }, { 'c', "Content-Type" }, { 'f', "From" },
  { 's', "Subject" }, { 'k', "Supported" }, { 't', "To" }, { 'v', "Via" },
  { 'r', "Refer-To" }, { 'o', "Event" }, { 'u', "Allow-Events" },
  { 'x', "Session-Expires" }, { 'b', "Referred-By" }, { 'a', "Accept-Contact" },
  { 'j', "Reject-Contact" }, { 'd', "Request-Disposition" }, { 'y', "Identity" },
  { 'n', "Identity-Info" },
  { 0, "CSeq" }, { 0, "Max-Forwards" }, { 0, "User-Agent" }, { 0, "Server" },
  { 0, "Date" }, { 0, "WWW-Authenticate" }, { 0, "Proxy-Authenticate" },
  { 0, "Authorization" }, { 0, "Proxy-Authorization" }, { 0, "Expires" },
  { 0, "Allow" }, { 0, "Accept" }, { 0, "Warning" }, { 0, "Retry-After" },
  { 0, "Record-Route" }, { 0, "Route" }, { 0, "Authentication-Info" },
};

const char *
sd_sip_header_canonical_name (const char *name, gsize length)
{
  if (length == 1)
    {
      char c = g_ascii_tolower (name[0]);
      for (guint i = 0; i < G_N_ELEMENTS (header_names); i++)
        if (header_names[i].compact == c)
          return header_names[i].name;
    }
  for (guint i = 0; i < G_N_ELEMENTS (header_names); i++)
    if (strlen (header_names[i].name) == length
        && g_ascii_strncasecmp (header_names[i].name, name, length) == 0)
      return header_names[i].name;
  return NULL;
}

static SdSipMessage *
message_new (void)
{
  SdSipMessage *m = g_new0 (SdSipMessage, 1);

  m->names = g_ptr_array_new_with_free_func (g_free);
  m->values = g_ptr_array_new_with_free_func (g_free);
  m->body = g_strdup ("");
  return m;
}

SdSipMessage *
sd_sip_message_new_request (const char *method, const char *request_uri)
{
  SdSipMessage *m = message_new ();

  m->is_request = TRUE;
  m->method = g_strdup (method);
  m->request_uri = g_strdup (request_uri);
  return m;
}

SdSipMessage *
sd_sip_message_new_response (guint status, const char *reason)
{
  SdSipMessage *m = message_new ();

  m->status = status;
  m->reason = g_strdup (reason != NULL ? reason : "");
  return m;
}

void
sd_sip_message_free (SdSipMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->method);
  g_free (m->request_uri);
  g_free (m->reason);
  g_ptr_array_unref (m->names);
  g_ptr_array_unref (m->values);
  g_free (m->body);
  g_free (m);
}

static gboolean
is_token_char (char c)
{
  /* strchr () finds the terminating NUL too: a NUL is no token character. */
  return c != '\0' && (g_ascii_isalnum (c) || strchr ("-.!%*_+`'~", c) != NULL);
}

static gboolean
malformed (GError **error, const char *message)
{
  g_set_error_literal (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED, message);
  return FALSE;
}

/* Everything the parser hands out as text is valid UTF-8, whatever the peer
 * sent: reports are JSON, and a strict reader refuses the whole report for
 * one stray Latin-1 byte. Invalid sequences become U+FFFD, so a person
 * still sees that something was there. */
static char *
utf8_text (const char *data, gsize len)
{
  if (g_utf8_validate_len (data, len, NULL))
    return g_strndup (data, len);
  return g_utf8_make_valid (data, (gssize) len);
}

static gboolean
parse_start_line (SdSipMessage *m, const char *line, gsize len, GError **error)
{
  g_autofree char *text = NULL;

  for (gsize i = 0; i < len; i++)
    if ((guchar) line[i] < 0x20 || line[i] == 0x7f)
      return malformed (error, _("The first line of the message contains a control character."));
  text = g_strndup (line, len);

  if (len >= 8 && g_ascii_strncasecmp (text, "SIP/2.0 ", 8) == 0)
    {
      const char *p = text + 8;
      guint status = 0;

      while (*p == ' ')
        p++;
      for (guint i = 0; i < 3; i++, p++)
        {
          if (!g_ascii_isdigit (*p))
            return malformed (error, _("The status line has no three-digit status code."));
          status = status * 10 + (guint) (*p - '0');
        }
      if (*p != ' ' && *p != '\0')
        return malformed (error, _("The status line has no three-digit status code."));
      if (status < 100 || status > 699)
        return malformed (error, _("The status code is outside 100–699."));
      while (*p == ' ')
        p++;
      m->is_request = FALSE;
      m->status = status;
      m->reason = utf8_text (p, strlen (p));
      return TRUE;
    }
  else
    {
      g_auto(GStrv) parts = g_strsplit (text, " ", 3);

      if (g_strv_length (parts) != 3 || parts[0][0] == '\0' || parts[1][0] == '\0'
          || g_ascii_strcasecmp (parts[2], "SIP/2.0") != 0)
        return malformed (error, _("The first line is neither a SIP status line nor a SIP request line."));
      for (const char *q = parts[0]; *q != '\0'; q++)
        if (!is_token_char (*q))
          return malformed (error, _("The request method is not a token."));
      m->is_request = TRUE;
      m->method = g_strdup (parts[0]);
      m->request_uri = utf8_text (parts[1], strlen (parts[1]));
      return TRUE;
    }
}

static gboolean
add_header_line (SdSipMessage *m, const char *line, gsize len, GError **error)
{
  const char *colon = memchr (line, ':', len);
  const char *name_end, *value, *value_end;
  const char *canonical;

  if (colon == NULL)
    return malformed (error, _("A header line has no colon."));
  name_end = colon;
  while (name_end > line && (name_end[-1] == ' ' || name_end[-1] == '\t'))
    name_end--;
  if (name_end == line)
    return malformed (error, _("A header line has no name."));
  for (const char *q = line; q < name_end; q++)
    if (!is_token_char (*q))
      return malformed (error, _("A header name contains a character that is not allowed."));
  value = colon + 1;
  value_end = line + len;
  while (value < value_end && (*value == ' ' || *value == '\t'))
    value++;
  while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
    value_end--;
  for (const char *q = value; q < value_end; q++)
    if (((guchar) *q < 0x20 && *q != '\t') || *q == 0x7f)
      return malformed (error, _("A header value contains a control character."));
  if (m->names->len >= SD_SIP_MAX_HEADERS)
    return malformed (error, _("The message has too many header lines."));

  canonical = sd_sip_header_canonical_name (line, (gsize) (name_end - line));
  g_ptr_array_add (m->names, canonical != NULL ? g_strdup (canonical)
                                               : g_strndup (line, (gsize) (name_end - line)));
  g_ptr_array_add (m->values, utf8_text (value, (gsize) (value_end - value)));
  return TRUE;
}

/* Finds the end of the header section: the offset of the first byte after
 * the empty line, or 0. Accepts CRLF and bare LF line ends. Sets
 * @line_too_long when a line grows beyond the bound before it ends. */
static gsize
find_header_end (const char *data, gsize length, gboolean *line_too_long)
{
  gsize line_start = 0;

  *line_too_long = FALSE;
  for (gsize i = 0; i < length; i++)
    {
      if (data[i] != '\n')
        {
          if (i - line_start > SD_SIP_MAX_LINE)
            {
              *line_too_long = TRUE;
              return 0;
            }
          continue;
        }
      {
        gsize line_len = i - line_start;
        if (line_len > 0 && data[i - 1] == '\r')
          line_len--;
        if (line_len == 0 && line_start > 0)
          return i + 1;
      }
      line_start = i + 1;
    }
  return 0;
}

static gboolean
parse_content_length (const char *value, gsize *out)
{
  guint64 n = 0;

  if (*value == '\0')
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      n = n * 10 + (guint64) (*p - '0');
      if (n > SD_SIP_MAX_MESSAGE)
        return FALSE;
    }
  *out = (gsize) n;
  return TRUE;
}

SdSipParseResult
sd_sip_message_parse (const char    *data,
                      gsize          length,
                      gboolean       stream,
                      gsize         *consumed,
                      SdSipMessage **message,
                      GError       **error)
{
  g_autoptr(SdSipMessage) m = NULL;
  gsize start = 0, header_end, body_length = 0, line_start;
  gboolean too_long, have_length = FALSE, first = TRUE;

  g_return_val_if_fail (message != NULL, SD_SIP_PARSE_ERROR);
  *message = NULL;
  if (consumed != NULL)
    *consumed = 0;

  /* Keep-alive CRLFs between messages (RFC 5626) are not messages. */
  while (start < length && start < 2 * MAX_LEADING_CRLF && (data[start] == '\r' || data[start] == '\n'))
    start++;
  if (start == length)
    {
      if (stream)
        return SD_SIP_PARSE_INCOMPLETE;
      malformed (error, _("The message is empty."));
      return SD_SIP_PARSE_ERROR;
    }

  header_end = find_header_end (data + start, length - start, &too_long);
  if (too_long)
    {
      malformed (error, _("A header line is longer than 8 KiB without ending."));
      return SD_SIP_PARSE_ERROR;
    }
  if (header_end == 0)
    {
      if (length - start > SD_SIP_MAX_MESSAGE)
        {
          malformed (error, _("The message headers are longer than 64 KiB without ending."));
          return SD_SIP_PARSE_ERROR;
        }
      if (stream)
        return SD_SIP_PARSE_INCOMPLETE;
      malformed (error, _("The message ends before its headers do (no empty line)."));
      return SD_SIP_PARSE_ERROR;
    }
  if (header_end > SD_SIP_MAX_MESSAGE)
    {
      malformed (error, _("The message headers are longer than 64 KiB."));
      return SD_SIP_PARSE_ERROR;
    }

  m = message_new ();

  /* Lines, unfolding continuations into the header above them. */
  {
    const char *h = data + start;
    g_autoptr(GString) current = g_string_new (NULL);
    gboolean have_current = FALSE;

    line_start = 0;
    while (line_start < header_end)
      {
        const char *eol = memchr (h + line_start, '\n', header_end - line_start);
        gsize line_len = (gsize) (eol - (h + line_start));
        const char *line = h + line_start;

        if (line_len > 0 && line[line_len - 1] == '\r')
          line_len--;
        line_start = (gsize) (eol - h) + 1;

        if (first)
          {
            if (!parse_start_line (m, line, line_len, error))
              return SD_SIP_PARSE_ERROR;
            first = FALSE;
            continue;
          }
        if (line_len == 0)
          break;
        if (line[0] == ' ' || line[0] == '\t')
          {
            if (!have_current)
              {
                malformed (error, _("The first header line starts with white space."));
                return SD_SIP_PARSE_ERROR;
              }
            while (line_len > 0 && (line[0] == ' ' || line[0] == '\t'))
              line++, line_len--;
            g_string_append_c (current, ' ');
            g_string_append_len (current, line, (gssize) line_len);
          }
        else
          {
            if (have_current && !add_header_line (m, current->str, current->len, error))
              return SD_SIP_PARSE_ERROR;
            g_string_truncate (current, 0);
            g_string_append_len (current, line, (gssize) line_len);
            have_current = TRUE;
          }
        if (current->len > SD_SIP_MAX_LINE)
          {
            malformed (error, _("A folded header is longer than 8 KiB."));
            return SD_SIP_PARSE_ERROR;
          }
      }
    if (have_current && !add_header_line (m, current->str, current->len, error))
      return SD_SIP_PARSE_ERROR;
  }

  for (guint i = 0; i < m->names->len; i++)
    {
      gsize n;
      if (!g_str_equal (m->names->pdata[i], "Content-Length"))
        continue;
      if (!parse_content_length (m->values->pdata[i], &n))
        {
          malformed (error, _("The Content-Length header is not a number of at most 64 KiB."));
          return SD_SIP_PARSE_ERROR;
        }
      if (have_length && n != body_length)
        {
          malformed (error, _("The message has two different Content-Length headers."));
          return SD_SIP_PARSE_ERROR;
        }
      body_length = n;
      have_length = TRUE;
    }

  {
    gsize body_start = start + header_end;
    gsize available = length - body_start;

    if (!have_length)
      body_length = stream ? 0 : available;
    if (body_start + body_length > SD_SIP_MAX_MESSAGE + 2 * MAX_LEADING_CRLF)
      {
        malformed (error, _("The message is longer than 64 KiB."));
        return SD_SIP_PARSE_ERROR;
      }
    if (body_length > available)
      {
        if (stream)
          return SD_SIP_PARSE_INCOMPLETE;
        malformed (error, _("The body is shorter than the Content-Length header says."));
        return SD_SIP_PARSE_ERROR;
      }
    g_free (m->body);
    m->body = g_malloc (body_length + 1);
    memcpy (m->body, data + body_start, body_length);
    m->body[body_length] = '\0';
    m->body_length = body_length;
    if (consumed != NULL)
      *consumed = stream ? body_start + body_length : length;
  }

  *message = g_steal_pointer (&m);
  return SD_SIP_PARSE_OK;
}

static gboolean
name_matches (const char *stored, const char *wanted)
{
  const char *canonical = sd_sip_header_canonical_name (wanted, strlen (wanted));

  return g_ascii_strcasecmp (stored, canonical != NULL ? canonical : wanted) == 0;
}

const char *
sd_sip_message_get_header (const SdSipMessage *m, const char *name)
{
  for (guint i = 0; i < m->names->len; i++)
    if (name_matches (m->names->pdata[i], name))
      return m->values->pdata[i];
  return NULL;
}

char **
sd_sip_message_get_headers (const SdSipMessage *m, const char *name)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < m->names->len; i++)
    if (name_matches (m->names->pdata[i], name))
      g_ptr_array_add (out, g_strdup (m->values->pdata[i]));
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

void
sd_sip_message_add_header (SdSipMessage *m, const char *name, const char *value)
{
  g_ptr_array_add (m->names, g_strdup (name));
  g_ptr_array_add (m->values, g_strdup (value));
}

void
sd_sip_message_set_body (SdSipMessage *m, const char *content_type, const char *body, gsize length)
{
  g_free (m->body);
  m->body = g_malloc (length + 1);
  memcpy (m->body, body, length);
  m->body[length] = '\0';
  m->body_length = length;
  if (content_type != NULL)
    sd_sip_message_add_header (m, "Content-Type", content_type);
}

char *
sd_sip_message_to_string (const SdSipMessage *m, gsize *length)
{
  GString *out = g_string_new (NULL);

  if (m->is_request)
    g_string_append_printf (out, "%s %s SIP/2.0\r\n", m->method, m->request_uri);
  else
    g_string_append_printf (out, "SIP/2.0 %03u %s\r\n", m->status, m->reason);
  for (guint i = 0; i < m->names->len; i++)
    {
      if (g_str_equal (m->names->pdata[i], "Content-Length"))
        continue;
      g_string_append_printf (out, "%s: %s\r\n", (char *) m->names->pdata[i],
                              (char *) m->values->pdata[i]);
    }
  g_string_append_printf (out, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", m->body_length);
  g_string_append_len (out, m->body, (gssize) m->body_length);
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

char **
sd_sip_split_list (const char *value)
{
  GPtrArray *out = g_ptr_array_new ();
  const char *p = value, *item = value;
  gboolean quoted = FALSE;
  int angle = 0;

  for (; ; p++)
    {
      if (*p == '\0' || (*p == ',' && !quoted && angle == 0))
        {
          g_autofree char *piece = g_strndup (item, (gsize) (p - item));
          g_strstrip (piece);
          if (piece[0] != '\0')
            g_ptr_array_add (out, g_steal_pointer (&piece));
          if (*p == '\0')
            break;
          item = p + 1;
          continue;
        }
      if (quoted && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        quoted = !quoted;
      else if (!quoted && *p == '<')
        angle++;
      else if (!quoted && *p == '>' && angle > 0)
        angle--;
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (out, FALSE);
}

char *
sd_sip_header_param (const char *value, const char *name)
{
  const char *p = value;
  gsize n = strlen (name);
  gboolean quoted = FALSE;
  int angle = 0;

  /* Parameters follow the URI's closing '>' when there is one. */
  for (; *p != '\0'; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if (!quoted && *p == '<')
        angle++;
      else if (!quoted && *p == '>' && angle > 0)
        angle--;
      else if (!quoted && angle == 0 && *p == ';')
        {
          const char *q = p + 1, *e;
          while (*q == ' ' || *q == '\t')
            q++;
          if (g_ascii_strncasecmp (q, name, n) != 0)
            continue;
          e = q + n;
          while (*e == ' ' || *e == '\t')
            e++;
          if (*e == ';' || *e == ',' || *e == '\0')
            return g_strdup ("");
          if (*e != '=')
            continue;
          e++;
          while (*e == ' ' || *e == '\t')
            e++;
          if (*e == '"')
            {
              const char *end = strchr (e + 1, '"');
              return end != NULL ? g_strndup (e + 1, (gsize) (end - e - 1)) : g_strdup (e + 1);
            }
          {
            const char *end = e;
            while (*end != '\0' && *end != ';' && *end != ',' && *end != ' ' && *end != '\t')
              end++;
            return g_strndup (e, (gsize) (end - e));
          }
        }
    }
  return NULL;
}

char *
sd_sip_header_uri (const char *value)
{
  const char *lt = strchr (value, '<');

  if (lt != NULL)
    {
      const char *gt = strchr (lt, '>');
      if (gt == NULL)
        return NULL;
      return g_strstrip (g_strndup (lt + 1, (gsize) (gt - lt - 1)));
    }
  else
    {
      const char *end = value;
      while (*end != '\0' && *end != ';' && *end != ' ' && *end != '\t')
        end++;
      return g_strndup (value, (gsize) (end - value));
    }
}

gboolean
sd_sip_parse_cseq (const char *value, guint32 *number, char **method)
{
  guint64 n = 0;
  const char *p = value;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      n = n * 10 + (guint64) (*p - '0');
      if (n > G_MAXUINT32)
        return FALSE;
    }
  if (*p != ' ' && *p != '\t')
    return FALSE;
  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0')
    return FALSE;
  if (number != NULL)
    *number = (guint32) n;
  if (method != NULL)
    *method = g_strstrip (g_strdup (p));
  return TRUE;
}

char *
sd_sip_random_token (guint bytes)
{
  return sd_random_hex (bytes);
}

char *
sd_sip_new_branch (void)
{
  g_autofree char *token = sd_sip_random_token (10);

  return g_strconcat ("z9hG4bK", token, NULL);
}
