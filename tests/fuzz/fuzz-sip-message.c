/* fuzz-sip-message.c: the SIP message parser (both framings) and the header
 * helpers on any bytes a server could send.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-sip-message.h"
#include "sd-sip-auth.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Every string the parser hands out is valid UTF-8 (it reaches JSON). */
static void
assert_text (const char *s)
{
  if (s != NULL)
    g_assert_true (g_utf8_validate (s, -1, NULL));
}

static void
exercise_headers (const SdSipMessage *m)
{
  for (guint i = 0; i < m->names->len; i++)
    {
      const char *value = m->values->pdata[i];
      g_auto(GStrv) list = sd_sip_split_list (value);
      g_autofree char *branch = sd_sip_header_param (value, "branch");
      g_autofree char *uri = sd_sip_header_uri (value);
      g_autofree char *method = NULL;
      guint32 n;

      g_assert_nonnull (list);
      assert_text (m->names->pdata[i]);
      assert_text (value);
      for (guint j = 0; list[j] != NULL; j++)
        assert_text (list[j]);
      assert_text (branch);
      assert_text (uri);
      if (sd_sip_parse_cseq (value, &n, &method))
        {
          g_assert_nonnull (method);
          assert_text (method);
        }
      if (g_str_equal (m->names->pdata[i], "WWW-Authenticate")
          || g_str_equal (m->names->pdata[i], "Proxy-Authenticate"))
        {
          g_autoptr(GPtrArray) challenges = sd_sip_parse_challenges (value, NULL);
          if (challenges != NULL)
            {
              g_assert_cmpuint (challenges->len, >, 0);
              for (guint j = 0; j < challenges->len; j++)
                {
                  SdSipChallenge *c = challenges->pdata[j];
                  assert_text (c->scheme);
                  assert_text (c->token68);
                  for (guint k = 0; k < c->values->len; k++)
                    assert_text (c->values->pdata[k]);
                }
            }
        }
    }
}

/* Whether our wire form stays inside the parser's bounds. It can outgrow
 * the input: compact names are written long, a Content-Length is added
 * when the message had none (256 headers become 257). */
static gboolean
wire_within_bounds (const char *wire, gsize len)
{
  const char *end = g_strstr_len (wire, (gssize) len, "\r\n\r\n");
  const char *line = wire;
  guint lines = 0;

  g_assert_nonnull (end);
  if (len > SD_SIP_MAX_MESSAGE)
    return FALSE;
  while (line < end)
    {
      const char *eol = g_strstr_len (line, end + 2 - line, "\r\n");
      if ((gsize) (eol - line) > SD_SIP_MAX_LINE)
        return FALSE;
      lines++;
      line = eol + 2;
    }
  /* The start line is not a header. */
  return lines - 1 <= SD_SIP_MAX_HEADERS;
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  for (int stream = 0; stream < 2; stream++)
    {
      g_autoptr(SdSipMessage) m = NULL;
      g_autoptr(SdSipMessage) again = NULL;
      g_autofree char *wire = NULL;
      gsize consumed = 0, len = 0;
      SdSipParseResult r = sd_sip_message_parse ((const char *) data, size, stream, &consumed, &m, NULL);

      if (r != SD_SIP_PARSE_OK)
        {
          g_assert_null (m);
          continue;
        }
      g_assert_cmpuint (consumed, <=, size);
      g_assert_cmpuint (m->body_length, <=, SD_SIP_MAX_MESSAGE);
      assert_text (m->method);
      assert_text (m->request_uri);
      assert_text (m->reason);
      exercise_headers (m);

      /* What we write from a parsed message, we read back the same. */
      wire = sd_sip_message_to_string (m, &len);
      if (!wire_within_bounds (wire, len))
        continue;
      g_assert_cmpint (sd_sip_message_parse (wire, len, TRUE, NULL, &again, NULL), ==, SD_SIP_PARSE_OK);
      g_assert_cmpint (again->is_request, ==, m->is_request);
      g_assert_cmpuint (again->status, ==, m->status);
      g_assert_cmpstr (again->method, ==, m->method);
      g_assert_cmpmem (again->body, again->body_length, m->body, m->body_length);
    }
  return 0;
}
