/* test-sip-message.c: the SIP message parser and builder, table-driven.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sd-sip-message.h"

typedef struct {
  const char *name;
  const char *input;
  gboolean    stream;
  SdSipParseResult expect;
  guint       status;           /* 0 for a request */
  const char *method;
  const char *check_header;     /* name to look up (any case / compact) */
  const char *check_value;      /* its expected first value */
  guint       n_headers;        /* 0 = don't check */
  const char *body;             /* expected body, or NULL */
  gsize       consumed;         /* stream: expected bytes taken, 0 = whole input */
} Case;

static const Case cases[] = {
  { "simple-response",
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, "via", "SIP/2.0/UDP h;branch=z9hG4bK1", 2, "", 0 },
  { "request-line",
    "REGISTER sip:example.test SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 0, "REGISTER", "CSeq", "1 REGISTER", 1, "", 0 },
  { "folding",
    "SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"x\",\r\n  nonce=\"n\",\r\n\tqop=\"auth\"\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 401, NULL, "www-authenticate", "Digest realm=\"x\", nonce=\"n\", qop=\"auth\"", 1, NULL, 0 },
  { "compact-forms",
    "SIP/2.0 200 OK\r\nv: SIP/2.0/TCP a\r\ni: abc\r\nf: <sip:a@b>;tag=1\r\nt: <sip:a@b>\r\nl: 0\r\nm: <sip:c@d>\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, "Call-ID", "abc", 6, NULL, 0 },
  { "compact-lookup",
    "SIP/2.0 200 OK\r\nContact: <sip:c@d>\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, "m", "<sip:c@d>", 1, NULL, 0 },
  { "case-insensitive-names",
    "SIP/2.0 200 OK\r\nvIA: x\r\nCALL-id: y\r\nsErVeR: z\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, "Server", "z", 3, NULL, 0 },
  { "space-before-colon",
    "SIP/2.0 200 OK\r\nServer   :   Kamailio  \r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, "server", "Kamailio", 1, NULL, 0 },
  { "content-length-padded",
    "SIP/2.0 200 OK\r\nContent-Length:     4\r\n\r\nbody",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, "Content-Length", "4", 1, "body", 0 },
  { "body-datagram-no-length",
    "SIP/2.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, NULL, NULL, 1, "hello", 0 },
  { "body-datagram-length-shorter",
    "SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhello",
    FALSE, SD_SIP_PARSE_OK, 200, NULL, NULL, NULL, 1, "he", 0 },
  { "body-datagram-length-longer",
    "SIP/2.0 200 OK\r\nContent-Length: 20\r\n\r\nhello",
    FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "stream-two-messages",
    "SIP/2.0 100 Trying\r\nl: 0\r\n\r\nSIP/2.0 200 OK\r\nl: 0\r\n\r\n",
    TRUE, SD_SIP_PARSE_OK, 100, NULL, NULL, NULL, 1, "", 28 },
  { "stream-incomplete-headers",
    "SIP/2.0 200 OK\r\nContent-Len",
    TRUE, SD_SIP_PARSE_INCOMPLETE, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "stream-incomplete-body",
    "SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    TRUE, SD_SIP_PARSE_INCOMPLETE, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "stream-keepalive-crlf",
    "\r\n\r\nSIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
    TRUE, SD_SIP_PARSE_OK, 200, NULL, NULL, NULL, 1, "", 0 },
  { "bare-lf",
    "SIP/2.0 180 Ringing\nVia: a\nContent-Length: 0\n\n",
    FALSE, SD_SIP_PARSE_OK, 180, NULL, "Via", "a", 2, "", 0 },
  { "multi-headers",
    "SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: NTLM realm=\"a\"\r\nWWW-Authenticate: Kerberos realm=\"a\"\r\n\r\n",
    FALSE, SD_SIP_PARSE_OK, 401, NULL, "WWW-Authenticate", "NTLM realm=\"a\"", 2, NULL, 0 },
  { "empty-reason", "SIP/2.0 200\r\n\r\n", FALSE, SD_SIP_PARSE_OK, 200, NULL, NULL, NULL, 0, NULL, 0 },
  { "garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "http-response", "HTTP/1.1 200 OK\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "bad-status", "SIP/2.0 2x0 OK\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "status-out-of-range", "SIP/2.0 999 Huh\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "no-colon", "SIP/2.0 200 OK\r\nVia x\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "fold-first", "SIP/2.0 200 OK\r\n  x: y\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "no-blank-line-datagram", "SIP/2.0 200 OK\r\nVia: x\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "bad-content-length", "SIP/2.0 200 OK\r\nContent-Length: 1x\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "huge-content-length", "SIP/2.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", TRUE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "two-content-lengths", "SIP/2.0 200 OK\r\nl: 0\r\nContent-Length: 3\r\n\r\nabc", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "control-in-value", "SIP/2.0 200 OK\r\nServer: a\x1f" "b\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "control-in-reason", "SIP/2.0 200 O\x01K\r\n\r\n", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
  { "tab-in-value", "SIP/2.0 200 OK\r\nServer: a\tb\r\n\r\n", FALSE, SD_SIP_PARSE_OK, 200, NULL, "Server", "a\tb", 1, NULL, 0 },
  { "empty", "", FALSE, SD_SIP_PARSE_ERROR, 0, NULL, NULL, NULL, 0, NULL, 0 },
};

static void
test_table (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(SdSipMessage) m = NULL;
  g_autoptr(GError) error = NULL;
  gsize consumed = 0;
  gsize len = strlen (c->input);
  SdSipParseResult r = sd_sip_message_parse (c->input, len, c->stream, &consumed, &m, &error);

  g_assert_cmpint (r, ==, c->expect);
  if (r == SD_SIP_PARSE_ERROR)
    {
      g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
      g_assert_null (m);
      return;
    }
  if (r == SD_SIP_PARSE_INCOMPLETE)
    {
      g_assert_null (m);
      return;
    }
  g_assert_no_error (error);
  g_assert_nonnull (m);
  if (c->status != 0)
    {
      g_assert_false (m->is_request);
      g_assert_cmpuint (m->status, ==, c->status);
    }
  else
    {
      g_assert_true (m->is_request);
      g_assert_cmpstr (m->method, ==, c->method);
    }
  if (c->check_header != NULL)
    g_assert_cmpstr (sd_sip_message_get_header (m, c->check_header), ==, c->check_value);
  if (c->n_headers != 0)
    g_assert_cmpuint (m->names->len, ==, c->n_headers);
  if (c->body != NULL)
    {
      g_assert_cmpuint (m->body_length, ==, strlen (c->body));
      g_assert_cmpmem (m->body, m->body_length, c->body, strlen (c->body));
    }
  if (c->stream)
    g_assert_cmpuint (consumed, ==, c->consumed != 0 ? c->consumed : len);
}

static void
test_bounds (void)
{
  /* An endless header line is refused once it passes the line bound, long
   * before the message bound: memory stays bounded. */
  GString *s = g_string_new ("SIP/2.0 200 OK\r\nVia: x\r\nX-Endless: ");
  g_autoptr(SdSipMessage) m = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < SD_SIP_MAX_LINE + 10; i++)
    g_string_append_c (s, 'a');
  g_assert_cmpint (sd_sip_message_parse (s->str, s->len, TRUE, NULL, &m, &error), ==, SD_SIP_PARSE_ERROR);
  g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Many short lines, never ending: refused at the message bound. */
  g_string_assign (s, "SIP/2.0 200 OK\r\n");
  while (s->len <= SD_SIP_MAX_MESSAGE + 100)
    g_string_append (s, "X-A: b\r\n");
  g_assert_cmpint (sd_sip_message_parse (s->str, s->len, TRUE, NULL, &m, &error), ==, SD_SIP_PARSE_ERROR);
  g_assert_error (error, SD_SIP_ERROR, SD_SIP_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Too many headers. */
  g_string_assign (s, "SIP/2.0 200 OK\r\n");
  for (guint i = 0; i < SD_SIP_MAX_HEADERS + 1; i++)
    g_string_append (s, "X: y\r\n");
  g_string_append (s, "\r\n");
  g_assert_cmpint (sd_sip_message_parse (s->str, s->len, FALSE, NULL, &m, &error), ==, SD_SIP_PARSE_ERROR);
  g_string_free (s, TRUE);
}

/* Found by the fuzzer: a NUL in a header name was taken for a token character. */
static void
test_nul_bytes (void)
{
  static const char name[] = "SIP/2.0 200 OK\r\nV\0ia: a\r\n\r\n";
  static const char value[] = "SIP/2.0 200 OK\r\nVia: a\0b\r\n\r\n";
  static const char body[] = "SIP/2.0 200 OK\r\nl: 3\r\n\r\na\0b";
  g_autoptr(SdSipMessage) m = NULL;

  g_assert_cmpint (sd_sip_message_parse (name, sizeof name - 1, FALSE, NULL, &m, NULL), ==, SD_SIP_PARSE_ERROR);
  g_assert_cmpint (sd_sip_message_parse (value, sizeof value - 1, FALSE, NULL, &m, NULL), ==, SD_SIP_PARSE_ERROR);
  /* A body may hold any bytes. */
  g_assert_cmpint (sd_sip_message_parse (body, sizeof body - 1, FALSE, NULL, &m, NULL), ==, SD_SIP_PARSE_OK);
  g_assert_cmpmem (m->body, m->body_length, "a\0b", 3);
}

static void
test_build_roundtrip (void)
{
  g_autoptr(SdSipMessage) req = sd_sip_message_new_request ("REGISTER", "sip:example.test");
  g_autoptr(SdSipMessage) back = NULL;
  g_autofree char *wire = NULL;
  gsize len;

  sd_sip_message_add_header (req, "Via", "SIP/2.0/TCP 127.0.0.1:5000;rport;branch=z9hG4bKabc");
  sd_sip_message_add_header (req, "CSeq", "7 REGISTER");
  sd_sip_message_set_body (req, "text/plain", "hi\0there", 8);
  wire = sd_sip_message_to_string (req, &len);
  g_assert_true (g_str_has_prefix (wire, "REGISTER sip:example.test SIP/2.0\r\n"));
  g_assert_nonnull (strstr (wire, "\r\nContent-Length: 8\r\n\r\n"));
  g_assert_cmpint (sd_sip_message_parse (wire, len, TRUE, NULL, &back, NULL), ==, SD_SIP_PARSE_OK);
  g_assert_cmpstr (back->method, ==, "REGISTER");
  g_assert_cmpmem (back->body, back->body_length, "hi\0there", 8);
  g_assert_cmpstr (sd_sip_message_get_header (back, "Content-Type"), ==, "text/plain");
}

static void
test_helpers (void)
{
  g_auto(GStrv) list = sd_sip_split_list ("<sip:a@b;x=1,2>;q=1, \"Bob, Jr\" <sip:c@d>,sip:e@f");
  g_autofree char *branch = sd_sip_header_param ("SIP/2.0/UDP h:1;rport;branch=z9hG4bKx;received=1.2.3.4", "branch");
  g_autofree char *rport = sd_sip_header_param ("SIP/2.0/UDP h:1;rport;branch=z9hG4bKx", "rport");
  g_autofree char *tag = sd_sip_header_param ("\"A;tag=no\" <sip:a@b;tag=no>;tag=yes", "tag");
  g_autofree char *none = sd_sip_header_param ("<sip:a@b;transport=tcp>", "transport");
  g_autofree char *uri1 = sd_sip_header_uri ("\"X\" <sip:x@y:5061;transport=tls>;expires=3");
  g_autofree char *uri2 = sd_sip_header_uri ("sip:x@y;tag=1");
  g_autofree char *method = NULL;
  g_autofree char *b1 = sd_sip_new_branch ();
  g_autofree char *b2 = sd_sip_new_branch ();
  guint32 n;

  g_assert_cmpuint (g_strv_length (list), ==, 3);
  g_assert_cmpstr (list[0], ==, "<sip:a@b;x=1,2>;q=1");
  g_assert_cmpstr (list[1], ==, "\"Bob, Jr\" <sip:c@d>");
  g_assert_cmpstr (branch, ==, "z9hG4bKx");
  g_assert_cmpstr (rport, ==, "");
  g_assert_cmpstr (tag, ==, "yes");
  g_assert_null (none);
  g_assert_cmpstr (uri1, ==, "sip:x@y:5061;transport=tls");
  g_assert_cmpstr (uri2, ==, "sip:x@y");
  g_assert_true (sd_sip_parse_cseq ("314159 INVITE", &n, &method));
  g_assert_cmpuint (n, ==, 314159);
  g_assert_cmpstr (method, ==, "INVITE");
  g_assert_false (sd_sip_parse_cseq ("x INVITE", NULL, NULL));
  g_assert_false (sd_sip_parse_cseq ("99999999999 INVITE", NULL, NULL));
  g_assert_true (g_str_has_prefix (b1, "z9hG4bK"));
  g_assert_cmpstr (b1, !=, b2);
}

/* Bytes that are not UTF-8 (a Latin-1 reason phrase, a lone 0xff, overlong
 * and truncated sequences) come out as valid UTF-8 with U+FFFD in their
 * place, so the JSON report stays valid; valid UTF-8 passes untouched. */
typedef struct {
  const char *name;
  const char *input;
  const char *reason;           /* expected, or NULL for a request */
  const char *request_uri;      /* expected, or NULL for a response */
  const char *header;           /* name to look up, or NULL */
  const char *value;            /* its expected value */
} Utf8Case;

static const Utf8Case utf8_cases[] = {
  { "lone-ff-reason", "SIP/2.0 403 Forbidd\xff" "en\r\n\r\n",
    "Forbidd\xef\xbf\xbd" "en", NULL, NULL, NULL },
  { "latin1-reason", "SIP/2.0 486 Occup\xe9\r\n\r\n", "Occup\xef\xbf\xbd", NULL, NULL, NULL },
  { "overlong-slash-reason", "SIP/2.0 500 a\xc0\xaf" "b\r\n\r\n",
    "a\xef\xbf\xbd\xef\xbf\xbd" "b", NULL, NULL, NULL },
  { "truncated-end-reason", "SIP/2.0 500 caf\xc3\r\n\r\n", "caf\xef\xbf\xbd", NULL, NULL, NULL },
  { "truncated-3-byte-header", "SIP/2.0 200 OK\r\nServer: x\xe2\x82" "y\r\n\r\n",
    "OK", NULL, "Server", "x\xef\xbf\xbd\xef\xbf\xbd" "y" },
  { "surrogate-header", "SIP/2.0 200 OK\r\nWarning: 399 h \"\xed\xa0\x80\"\r\n\r\n",
    "OK", NULL, "Warning", "399 h \"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
  { "ff-fe-header-end", "SIP/2.0 200 OK\r\nX-A: \xff\xfe\r\n\r\n",
    "OK", NULL, "X-A", "\xef\xbf\xbd\xef\xbf\xbd" },
  { "request-uri", "OPTIONS sip:\xff@h SIP/2.0\r\n\r\n", NULL, "sip:\xef\xbf\xbd@h", NULL, NULL },
  { "valid-utf8-untouched", "SIP/2.0 403 Verboten f\xc3\xbcr dich \xe2\x9c\x97\r\nServer: \xf0\x9f\x93\x9e\r\n\r\n",
    "Verboten f\xc3\xbcr dich \xe2\x9c\x97", NULL, "Server", "\xf0\x9f\x93\x9e" },
};

static void
test_utf8 (gconstpointer data)
{
  const Utf8Case *c = data;
  g_autoptr(SdSipMessage) m = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (sd_sip_message_parse (c->input, strlen (c->input), FALSE, NULL, &m, &error),
                   ==, SD_SIP_PARSE_OK);
  g_assert_no_error (error);
  g_assert_cmpstr (m->reason, ==, c->reason);
  g_assert_cmpstr (m->request_uri, ==, c->request_uri);
  if (c->header != NULL)
    g_assert_cmpstr (sd_sip_message_get_header (m, c->header), ==, c->value);
  if (m->reason != NULL)
    g_assert_true (g_utf8_validate (m->reason, -1, NULL));
  if (m->request_uri != NULL)
    g_assert_true (g_utf8_validate (m->request_uri, -1, NULL));
  for (guint i = 0; i < m->values->len; i++)
    g_assert_true (g_utf8_validate (m->values->pdata[i], -1, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sip/message/parse/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_table);
    }
  for (guint i = 0; i < G_N_ELEMENTS (utf8_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sip/message/utf8/%s", utf8_cases[i].name);
      g_test_add_data_func (path, &utf8_cases[i], test_utf8);
    }
  g_test_add_func ("/sip/message/bounds", test_bounds);
  g_test_add_func ("/sip/message/nul-bytes", test_nul_bytes);
  g_test_add_func ("/sip/message/build-roundtrip", test_build_roundtrip);
  g_test_add_func ("/sip/message/helpers", test_helpers);
  return g_test_run ();
}
