/* test-report.c: the run machinery and the report writers.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include "sipdoctor.h"

#define CANARY "canary-pw-7f3a9"

typedef struct {
  GError **error;
  gboolean done;
} Wait;

static void
execute_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Wait *wait = user_data;
  sd_run_execute_finish (SD_RUN (source), result, wait->error);
  wait->done = TRUE;
}

static SdRun *
run_to (SdConfig *config, SdStepId last, GCancellable *cancellable, GError **error)
{
  SdRun *run = sd_run_new (config);
  Wait wait = { error, FALSE };

  sd_run_execute_async (run, last, cancellable, execute_cb, &wait);
  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (sd_run_is_running (run));
  return run;
}

static void
test_valid_address_report (void)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(SdRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  JsonObject *root, *steps, *uri;

  config->address = g_strdup ("sip:alice@example.com");
  config->sign_in = g_strdup ("EXAMPLE\\alice");
  /* An unroutable server so no step that may run talks to a network. */
  config->server = g_strdup ("192.0.2.1");
  config->timeout_s = 1;
  sd_config_set_password (config, CANARY);
  run = run_to (config, SD_STEP_URI, NULL, &error);
  g_assert_no_error (error);

  json = sd_report_to_json (run, TRUE);
  g_assert_null (strstr (json, CANARY));
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "schema"), ==, "sip-doctor/1");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (root, "input"),
                                                 "password_given"));
  steps = json_object_get_object_member (root, "steps");
  uri = json_object_get_object_member (steps, "uri");
  g_assert_cmpstr (json_object_get_string_member (uri, "status"), ==, "pass");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (uri, "data"), "domain"),
                   ==, "example.com");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_object_get_object_member (uri, "data"), "sign_in"),
                     "style"), ==, "ntlm");
  /* Steps that did not run say so: never "pass". */
  for (SdStepId s = SD_STEP_DNS; s < SD_N_STEPS; s++)
    {
      JsonObject *st = json_object_get_object_member (steps, sd_step_id_to_string (s));
      g_assert_cmpstr (json_object_get_string_member (st, "status"), ==, "skip");
      g_assert_nonnull (json_object_get_string_member (st, "reason"));
    }
  g_assert_cmpstr (json_object_get_string_member (root, "verdict"), ==, "pass");
  g_assert_cmpint (sd_run_get_verdict (run), ==, SD_VERDICT_PASS);

  {
    g_autofree char *html = sd_report_to_html (run);
    g_autofree char *text = sd_report_to_text (run);
    g_assert_null (strstr (html, CANARY));
    g_assert_null (strstr (text, CANARY));
    g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
    g_assert_null (strstr (html, "<script"));
    g_assert_null (strstr (html, "http://"));
    g_assert_nonnull (strstr (text, "sip:alice@example.com"));
  }
  {
    /* The brief form: the start of the full one, up to the checks. */
    g_autofree char *full = sd_report_to_text_with_flags (run, SD_REPORT_TEXT_FULL);
    g_autofree char *brief = sd_report_to_text_with_flags (run, SD_REPORT_TEXT_BRIEF);
    g_autofree char *full_head = NULL;
    const char *input;

    g_assert_nonnull (strstr (brief, "\nChecks\n"));
    g_assert_nonnull (strstr (brief, "  uri      pass "));
    g_assert_null (strstr (brief, "\nInput\n"));
    g_assert_null (strstr (brief, "sip:alice@example.com"));
    input = strstr (full, "\nInput\n");
    g_assert_nonnull (input);
    full_head = g_strndup (full, (gsize) (input - full));
    /* Same run, same second: only the "generated" time may differ. */
    g_assert_cmpstr (strchr (brief, '\n'), ==, strchr (full_head, '\n'));
  }
}

static void
test_invalid_address_report (void)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(SdRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) uri_findings = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *html = NULL;
  SdFinding *f;

  config->address = g_strdup ("<script>alert(1)</script>");
  run = run_to (config, SD_STEP_URI, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sd_run_get_step_status (run, SD_STEP_URI), ==, SD_STATUS_FAIL);
  g_assert_cmpint (sd_run_get_verdict (run), ==, SD_VERDICT_FAIL);
  g_assert_true (sd_run_has_finding (run, "uri.invalid"));
  uri_findings = sd_run_dup_step_findings (run, SD_STEP_URI);
  g_assert_cmpuint (uri_findings->len, ==, 1);
  f = uri_findings->pdata[0];
  g_assert_cmpint (f->severity, ==, SD_SEVERITY_ERROR);
  g_assert_nonnull (strstr (f->advice, "alice@example.com"));
  summary = sd_run_dup_summary (run);
  g_assert_nonnull (strstr (summary, "uri.invalid"));
  html = sd_report_to_html (run);
  g_assert_null (strstr (html, "<script>"));
  g_assert_nonnull (strstr (html, "&lt;script&gt;"));
}

static void
test_cancel (void)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(SdRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(JsonNode) report = NULL;

  config->address = g_strdup ("alice@example.com");
  g_cancellable_cancel (cancellable);
  run = run_to (config, SD_STEP_AUTH, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    g_assert_cmpint (sd_run_get_step_status (run, s), ==, SD_STATUS_SKIP);
  report = sd_report_build (run);
  g_assert_nonnull (report);
}

static void
test_format_for_path (void)
{
  SdReportFormat f;

  g_assert_true (sd_report_format_for_path ("/tmp/a.JSON", &f));
  g_assert_cmpint (f, ==, SD_REPORT_JSON);
  g_assert_true (sd_report_format_for_path ("r.html", &f));
  g_assert_cmpint (f, ==, SD_REPORT_HTML);
  g_assert_true (sd_report_format_for_path ("r.htm", &f));
  g_assert_cmpint (f, ==, SD_REPORT_HTML);
  g_assert_true (sd_report_format_for_path ("r.txt", &f));
  g_assert_cmpint (f, ==, SD_REPORT_TEXT);
  g_assert_false (sd_report_format_for_path ("r.pdf", &f));
  g_assert_false (sd_report_format_for_path ("json", &f));
}

static void
saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;
  g_assert_true (sd_report_save_finish (result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_save_async (void)
{
  g_autoptr(SdConfig) config = sd_config_new ();
  g_autoptr(SdRun) run = NULL;
  g_autofree char *dir = g_dir_make_tmp ("sd-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "r.html", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *contents = NULL;
  gboolean done = FALSE;

  config->address = g_strdup ("alice@example.com");
  run = run_to (config, SD_STEP_URI, NULL, NULL);
  sd_report_save_async (run, file, SD_REPORT_HTML, NULL, saved_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_true (g_str_has_prefix (contents, "<!DOCTYPE html>"));
  g_unlink (path);
  g_rmdir (dir);
}

/* What a person's terminal gets: every control character visibly escaped,
 * printable text (any script) untouched. */
static const struct {
  const char *name;
  const char *input;
  gboolean    multiline;
  const char *expected;
} escape_cases[] = {
  { "plain", "Forbidden", FALSE, "Forbidden" },
  { "utf8-kept", "F\xc3\xbcr dich \xe2\x9c\x97 \xf0\x9f\x93\x9e", FALSE, "F\xc3\xbcr dich \xe2\x9c\x97 \xf0\x9f\x93\x9e" },
  { "esc-csi", "a\x1b[31mred\x1b[0m", FALSE, "a\\x1b[31mred\\x1b[0m" },
  { "osc-title", "\x1b]0;owned\x07", FALSE, "\\x1b]0;owned\\x07" },
  { "c1-csi", "a\xc2\x9b" "2J", FALSE, "a\\u009b2J" },
  { "c1-first-last", "\xc2\x80\xc2\x9f\xc2\xa0", FALSE, "\\u0080\\u009f\xc2\xa0" },
  { "del", "x\x7fy", FALSE, "x\\x7fy" },
  { "bare-cr", "ok\rFAKE", FALSE, "ok\\rFAKE" },
  { "newline-one-line", "a\nb\r\nc\td", FALSE, "a\\nb\\r\\nc\\td" },
  { "newline-multiline", "a\nb\r\nc\td", TRUE, "a\nb\r\nc\td" },
  { "bare-cr-multiline", "a\rb\r", TRUE, "a\\rb\\r" },
  { "esc-multiline", "l1\r\n\x1b[2Jl2\n", TRUE, "l1\r\n\\x1b[2Jl2\n" },
  { "invalid-utf8", "\xff\xc0\xaf\xe2\x82", FALSE, "\\xff\\xc0\\xaf\\xe2\\x82" },
  { "backspace-bell", "\b\a", FALSE, "\\x08\\x07" },
  { "bidi-override", "sip.\xe2\x80\xaemoc.elpmaxe", FALSE, "sip.\\u202emoc.elpmaxe" },
  { "bidi-isolates-marks", "\xe2\x81\xa6" "a\xe2\x81\xa9\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c\xe2\x80\xaa", FALSE,
    "\\u2066a\\u2069\\u200e\\u200f\\u061c\\u202a" },
  { "bidi-neighbours-kept", "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xd8\x9b", FALSE,
    "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xd8\x9b" },
  { "empty", "", FALSE, "" },
};

static void
test_escape (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (escape_cases); i++)
    {
      g_autofree char *out = sd_text_escape (escape_cases[i].input, escape_cases[i].multiline);

      g_test_message ("%s", escape_cases[i].name);
      g_assert_cmpstr (out, ==, escape_cases[i].expected);
      g_assert_true (g_utf8_validate (out, -1, NULL));
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report/valid", test_valid_address_report);
  g_test_add_func ("/report/invalid", test_invalid_address_report);
  g_test_add_func ("/report/cancel", test_cancel);
  g_test_add_func ("/report/format-for-path", test_format_for_path);
  g_test_add_func ("/report/save-async", test_save_async);
  g_test_add_func ("/report/escape", test_escape);
  return g_test_run ();
}
