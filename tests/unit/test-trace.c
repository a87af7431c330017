/* test-trace.c: credentials never survive into the trace.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include "sipdoctor.h"

typedef struct {
  const char *input;
  const char *must_contain;     /* NULL: nothing required */
  const char *must_not_contain;
} RedactCase;

static const RedactCase cases[] = {
  { "REGISTER sip:example.com SIP/2.0\r\n"
    "Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", "
    "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"xyz\"\r\n\r\n",
    "username=\"alice\"", "0123456789abcdef0123456789abcdef" },
  { "Proxy-Authorization: Digest username=\"bob\",response=\"feedfacefeedface\"\r\n",
    "username=\"bob\"", "feedfacefeedface" },
  { "Proxy-Authorization: Digest username=\"bob\",response=\"feedfacefeedface\"\r\n", "[redacted]", NULL },
  { "authorization  : Basic YWxpY2U6c2VjcmV0\r\n", "Basic [redacted]", "YWxpY2U6c2VjcmV0" },
  { "Authorization: NTLM qop=\"auth\", realm=\"SIP Communications Service\", opaque=\"1234\", "
    "targetname=\"lcs1.example.test\", gssapi-data=\"TlRMTVNTUAABAAAAB4IIog==\", version=3\r\n",
    "targetname=\"lcs1.example.test\"", "TlRMTVNTUAABAAAAB4IIog==" },
  { "Authorization: Digest username=\"alice\",\r\n response=\"cafebabecafebabe\"\r\n",
    "username=\"alice\"", "cafebabecafebabe" },
  { "Authorization: Digest response=\"a\\\"quoted\\\"secret\", username=\"alice\"\r\n",
    "username=\"alice\"", "quoted" },
  { "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\"\r\n", "nonce=\"n1\"", NULL },
  /* MS-SIPAE tokens: shortened, never whole */
  { "Authorization: Kerberos qop=\"auth\", gssapi-data=\"YIIFaAYJKoZIhvcSAQICAQBuggVXMIIFU6ADAgEFoQMCAQ6i\", crand=\"1\"\r\n",
    "gssapi-data=\"YIIFaAYJKoZI… (48 base64 characters)\"", "YIIFaAYJKoZIhv" },
  { "Authorization: NTLM qop=\"auth\", gssapi-data=\"\", version=4\r\n", "gssapi-data=\"\"", NULL },
  { "Subject: the password is hunter2-canary\r\n", "[redacted]", "hunter2-canary" },
  { "Authorization: Bearer eyJhbGciOi.payload.sig\r\n", "Bearer [redacted]", "payload" },
  { "Authorization: Digest username=\"alice\", response=unquotedsecret, nc=00000001\r\n",
    "nc=00000001", "unquotedsecret" },
  { "Authorization:", "Authorization:", NULL },
  { "X-Authorization-Info: keep-me\r\n", "keep-me", NULL },
};

static void
test_redact_table (void)
{
  const char *secrets[] = { "hunter2-canary", "ab", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = sd_trace_redact (cases[i].input, strlen (cases[i].input), secrets);
      g_test_message ("case %u: %s", i, out);
      if (cases[i].must_contain != NULL)
        g_assert_nonnull (strstr (out, cases[i].must_contain));
      if (cases[i].must_not_contain != NULL)
        g_assert_null (strstr (out, cases[i].must_not_contain));
    }
}

static void
test_short_secret_ignored (void)
{
  const char *secrets[] = { "ab", NULL };
  g_autofree char *out = sd_trace_redact ("about abacus", 12, secrets);

  /* A two-letter secret would shred the trace; it is not searched for. */
  g_assert_cmpstr (out, ==, "about abacus");
}

static void
test_binary_input (void)
{
  const char bytes[] = "SIP/2.0 200 OK\r\nX: \xff\xfe\x00tail";
  g_autofree char *out = sd_trace_redact (bytes, sizeof bytes - 1, NULL);

  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_nonnull (strstr (out, "SIP/2.0 200 OK"));
}

static void
on_added (SdTrace *trace, guint index, gpointer user_data)
{
  *(guint *) user_data = index + 1;
}

static void
test_trace_object (void)
{
  g_autoptr(SdTrace) trace = sd_trace_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  g_autofree char *json = NULL;
  guint seen = 0;
  const char *msg = "REGISTER sip:x SIP/2.0\r\nSubject: s3cret-pass\r\n\r\n";

  g_signal_connect (trace, "message-added", G_CALLBACK (on_added), &seen);
  sd_trace_add_secret (trace, "s3cret-pass");
  sd_trace_add (trace, SD_STEP_SIP, SD_TRACE_SENT, "udp", "127.0.0.1:5060", msg, strlen (msg));
  g_assert_cmpuint (seen, ==, 1);
  g_assert_cmpuint (sd_trace_get_n_entries (trace), ==, 1);

  node = sd_trace_to_json (trace);
  json = json_to_string (node, FALSE);
  text = sd_trace_to_text (trace);
  g_assert_null (strstr (json, "s3cret-pass"));
  g_assert_null (strstr (text, "s3cret-pass"));
  g_assert_nonnull (strstr (json, "\"direction\":\"sent\""));
  g_assert_nonnull (strstr (text, "127.0.0.1:5060"));
}

static guint
count_notes (JsonArray *array)
{
  guint notes = 0;

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (json_object_get_boolean_member_with_default (json_array_get_object_element (array, i),
                                                     "truncated", FALSE))
      notes++;
  return notes;
}

/* A peer streaming messages fills at most the entry limit, then one note
 * counts the rest; the text stays whole for the messages kept. */
static void
test_entry_limit (void)
{
  g_autoptr(SdTrace) trace = sd_trace_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  JsonObject *last;
  guint seen = 0;
  const char *msg = "OPTIONS sip:x SIP/2.0\r\n\r\n";

  g_assert_cmpuint (SD_TRACE_MAX_ENTRIES, >, 0);
  sd_trace_set_limits (trace, 5, 1024 * 1024);
  g_signal_connect (trace, "message-added", G_CALLBACK (on_added), &seen);
  for (guint i = 0; i < 1000; i++)
    sd_trace_add (trace, SD_STEP_SIP, SD_TRACE_RECEIVED, "udp", "127.0.0.1:5060", msg, strlen (msg));

  /* Five messages and the note, announced like any entry. */
  g_assert_cmpuint (sd_trace_get_n_entries (trace), ==, 6);
  g_assert_cmpuint (seen, ==, 6);
  g_assert_true (sd_trace_is_truncated (trace));
  g_assert_cmpuint (sd_trace_get_n_dropped (trace), ==, 995);

  node = sd_trace_to_json (trace);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 6);
  g_assert_cmpuint (count_notes (json_node_get_array (node)), ==, 1);
  last = json_array_get_object_element (json_node_get_array (node), 5);
  g_assert_cmpstr (json_object_get_string_member (last, "direction"), ==, "note");
  g_assert_cmpint (json_object_get_int_member (last, "dropped_messages"), ==, 995);
  g_assert_cmpint (json_object_get_int_member (last, "dropped_bytes"), ==, 995 * (gint64) strlen (msg));
  g_assert_nonnull (strstr (json_object_get_string_member (last, "text"), "995"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_node_get_array (node), 4),
                                                  "text"), ==, msg);

  text = sd_trace_to_text (trace);
  g_assert_nonnull (strstr (text, "995"));
}

static void
test_byte_limit (void)
{
  g_autoptr(SdTrace) trace = sd_trace_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *big = g_strnfill (1000, 'a');
  gsize kept = 0;
  JsonArray *array;

  sd_trace_set_limits (trace, 100000, 4500);
  for (guint i = 0; i < 50; i++)
    sd_trace_add (trace, SD_STEP_SIP, SD_TRACE_RECEIVED, "tcp", "127.0.0.1:5060", big, 1000);

  /* Four fit in 4500 bytes; the fifth would not, nor anything after it. */
  g_assert_cmpuint (sd_trace_get_n_entries (trace), ==, 5);
  g_assert_cmpuint (sd_trace_get_n_dropped (trace), ==, 46);
  node = sd_trace_to_json (trace);
  array = json_node_get_array (node);
  for (guint i = 0; i + 1 < json_array_get_length (array); i++)
    kept += strlen (json_object_get_string_member (json_array_get_object_element (array, i), "text"));
  g_assert_cmpuint (kept, <=, 4500);
  g_assert_cmpuint (count_notes (array), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 4), "dropped_bytes"),
                   ==, 46000);
}

static void
test_small_trace_not_truncated (void)
{
  g_autoptr(SdTrace) trace = sd_trace_new ();
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < 10; i++)
    sd_trace_add (trace, SD_STEP_SIP, SD_TRACE_SENT, "udp", "127.0.0.1:5060", "x", 1);
  g_assert_false (sd_trace_is_truncated (trace));
  g_assert_cmpuint (sd_trace_get_n_dropped (trace), ==, 0);
  node = sd_trace_to_json (trace);
  g_assert_cmpuint (count_notes (json_node_get_array (node)), ==, 0);
}

/* The text form is for a terminal: the message's lines stay lines, the
 * escape sequences a peer put in it do not reach the terminal. */
static void
test_text_escapes (void)
{
  g_autoptr(SdTrace) trace = sd_trace_new ();
  g_autofree char *text = NULL;
  const char *msg = "SIP/2.0 200 OK \xc2\x9b" "2J\r\nServer: a\r\n\r\n\x1b]0;t\x07\x7f\rFAKE\n";

  sd_trace_add (trace, SD_STEP_SIP, SD_TRACE_RECEIVED, "tcp", "127.0.0.1:5060", msg, strlen (msg));
  text = sd_trace_to_text (trace);
  g_assert_nonnull (strstr (text, "SIP/2.0 200 OK \\u009b2J\r\nServer: a\r\n\r\n\\x1b]0;t\\x07\\x7f\\rFAKE\n"));
  g_assert_null (strchr (text, '\x1b'));
  g_assert_null (strchr (text, '\x7f'));
  g_assert_null (strstr (text, "\xc2\x9b"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/trace/redact-table", test_redact_table);
  g_test_add_func ("/trace/short-secret", test_short_secret_ignored);
  g_test_add_func ("/trace/binary", test_binary_input);
  g_test_add_func ("/trace/object", test_trace_object);
  g_test_add_func ("/trace/limit/entries", test_entry_limit);
  g_test_add_func ("/trace/limit/bytes", test_byte_limit);
  g_test_add_func ("/trace/limit/not-reached", test_small_trace_not_truncated);
  g_test_add_func ("/trace/text-escapes", test_text_escapes);
  return g_test_run ();
}
