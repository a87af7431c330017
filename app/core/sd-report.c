/* sd-report.c: the report of a run: JSON (the contract), text and HTML.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-report"

#include <string.h>
#include <glib/gi18n-lib.h>
#include "sd-report.h"

gboolean
sd_report_format_for_path (const char *path, SdReportFormat *format)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".json"))
    *format = SD_REPORT_JSON;
  else if (g_str_has_suffix (lower, ".html") || g_str_has_suffix (lower, ".htm"))
    *format = SD_REPORT_HTML;
  else if (g_str_has_suffix (lower, ".txt"))
    *format = SD_REPORT_TEXT;
  else
    return FALSE;
  return TRUE;
}

static void
set_optional_string (JsonObject *o, const char *name, const char *value)
{
  if (value != NULL && *value != '\0')
    json_object_set_string_member (o, name, value);
  else
    json_object_set_null_member (o, name);
}

static JsonObject *
build_input (const SdConfig *config)
{
  JsonObject *o = json_object_new ();

  set_optional_string (o, "address", config->address);
  set_optional_string (o, "sign_in", config->sign_in);
  /* Whether a password was given; never the password. */
  json_object_set_boolean_member (o, "password_given", config->password != NULL);
  set_optional_string (o, "server", config->server);
  json_object_set_string_member (o, "transport", sd_transport_to_string (config->transport));
  json_object_set_string_member (o, "client", sd_client_profile_to_string (config->client));
  set_optional_string (o, "ca_file", config->ca_file);
  json_object_set_boolean_member (o, "strict_dns_naming", config->strict_dns_naming);
  set_optional_string (o, "dns_server", config->dns_server);
  json_object_set_int_member (o, "timeout", config->timeout_s);
  json_object_set_boolean_member (o, "allow_untrusted", config->allow_untrusted);
  json_object_set_boolean_member (o, "no_revocation", config->no_revocation);
  json_object_set_string_member (o, "auth", sd_auth_choice_to_string (config->auth));
  return o;
}

static GPtrArray *
sorted_findings (SdRun *run)
{
  GPtrArray *all = sd_run_get_findings (run);
  GPtrArray *sorted = g_ptr_array_new_full (all->len, (GDestroyNotify) sd_finding_unref);

  for (guint i = 0; i < all->len; i++)
    g_ptr_array_add (sorted, sd_finding_ref (all->pdata[i]));
  /* g_ptr_array_sort is not stable; findings of equal weight keep the order found. */
  for (guint i = 1; i < sorted->len; i++)
    for (guint j = i; j > 0 && sd_finding_compare (&sorted->pdata[j - 1], &sorted->pdata[j]) > 0; j--)
      {
        gpointer tmp = sorted->pdata[j];
        sorted->pdata[j] = sorted->pdata[j - 1];
        sorted->pdata[j - 1] = tmp;
      }
  return sorted;
}

JsonNode *
sd_report_build (SdRun *run)
{
  JsonObject *root = json_object_new ();
  JsonObject *tool = json_object_new ();
  JsonArray *findings = json_array_new ();
  JsonObject *steps = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(GPtrArray) sorted = sorted_findings (run);
  g_autofree char *summary = sd_run_dup_summary (run);
  GDateTime *start = sd_run_get_start_time (run);
  g_autofree char *generated = NULL;

  json_object_set_string_member (root, "schema", SD_REPORT_SCHEMA);
  json_object_set_string_member (tool, "name", PACKAGE_NAME);
  json_object_set_string_member (tool, "version", PACKAGE_VERSION);
  json_object_set_object_member (root, "tool", tool);
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    generated = g_date_time_format_iso8601 (start != NULL ? start : now);
  }
  json_object_set_string_member (root, "generated", generated);
  json_object_set_object_member (root, "input", build_input (sd_run_get_config (run)));
  json_object_set_string_member (root, "verdict", sd_verdict_to_string (sd_run_get_verdict (run)));
  json_object_set_string_member (root, "summary", summary);

  for (guint i = 0; i < sorted->len; i++)
    {
      SdFinding *f = sorted->pdata[i];
      JsonObject *o = json_object_new ();
      json_object_set_string_member (o, "code", f->code);
      json_object_set_string_member (o, "severity", sd_severity_to_string (f->severity));
      json_object_set_string_member (o, "step", sd_step_id_to_string (f->step));
      json_object_set_string_member (o, "message", f->message);
      json_object_set_string_member (o, "advice", f->advice);
      json_array_add_object_element (findings, o);
    }
  json_object_set_array_member (root, "findings", findings);

  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      JsonObject *o = json_object_new ();
      SdStatus status = sd_run_get_step_status (run, s);
      const char *reason = sd_run_get_step_reason (run, s);

      if (status == SD_STATUS_PENDING)
        {
          status = SD_STATUS_SKIP;
          if (reason == NULL)
            reason = _("Not run: the run stopped before this check (it was not asked for, "
                       "or an earlier check was cancelled).");
        }
      json_object_set_string_member (o, "title", sd_step_title (s));
      json_object_set_string_member (o, "status", sd_status_to_string (status));
      json_object_set_int_member (o, "duration_ms", sd_run_get_step_duration_ms (run, s));
      if (reason != NULL)
        json_object_set_string_member (o, "reason", reason);
      json_object_set_object_member (o, "data", json_object_ref (sd_run_get_step_data (run, s)));
      json_object_set_object_member (steps, sd_step_id_to_string (s), o);
    }
  json_object_set_object_member (root, "steps", steps);
  json_object_set_member (root, "trace", sd_trace_to_json (sd_run_get_trace (run)));

  json_node_take_object (node, root);
  return node;
}

char *
sd_report_to_json (SdRun *run, gboolean pretty)
{
  g_autoptr(JsonNode) node = sd_report_build (run);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  char *out;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, node);
  out = json_generator_to_data (gen, NULL);
  return out;
}

/* Text */

static void text_node (GString *out, JsonNode *node, guint indent);

/* Strings from the data are escaped on one line: a newline in one came
 * from a peer. The PEM of a certificate is ours (base64 lines written
 * from DER) and stays a block a person can copy. */
static void
text_scalar (GString *out, JsonNode *node, gboolean multiline)
{
  if (JSON_NODE_HOLDS_NULL (node))
    g_string_append (out, "—");
  else if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    g_string_append (out, json_node_get_boolean (node) ? _("yes") : _("no"));
  else if (json_node_get_value_type (node) == G_TYPE_INT64)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    g_string_append_printf (out, "%.1f", json_node_get_double (node));
  else
    sd_text_append_escaped (out, json_node_get_string (node), multiline);
}

static void
text_object (GString *out, JsonObject *o, guint indent)
{
  g_autoptr(GList) members = json_object_get_members (o);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *child = json_object_get_member (o, l->data);
      g_string_append_printf (out, "%*s%s:", indent, "", (const char *) l->data);
      if (JSON_NODE_HOLDS_VALUE (child) || JSON_NODE_HOLDS_NULL (child))
        {
          g_string_append_c (out, ' ');
          text_scalar (out, child, g_str_equal (l->data, "pem"));
          g_string_append_c (out, '\n');
        }
      else
        {
          g_string_append_c (out, '\n');
          text_node (out, child, indent + 2);
        }
    }
}

static void
text_node (GString *out, JsonNode *node, guint indent)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    text_object (out, json_node_get_object (node), indent);
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *el = json_array_get_element (a, i);
          if (JSON_NODE_HOLDS_OBJECT (el))
            {
              g_string_append_printf (out, "%*s- #%u\n", indent, "", i + 1);
              text_object (out, json_node_get_object (el), indent + 2);
            }
          else
            {
              g_string_append_printf (out, "%*s- ", indent, "");
              if (JSON_NODE_HOLDS_ARRAY (el))
                {
                  g_string_append_c (out, '\n');
                  text_node (out, el, indent + 2);
                }
              else
                {
                  text_scalar (out, el, FALSE);
                  g_string_append_c (out, '\n');
                }
            }
        }
    }
  else
    {
      g_string_append_printf (out, "%*s", indent, "");
      text_scalar (out, node, FALSE);
      g_string_append_c (out, '\n');
    }
}

static const char *
severity_label (SdSeverity severity)
{
  switch (severity)
    {
    case SD_SEVERITY_ERROR: return _("Error");
    case SD_SEVERITY_WARNING: return _("Warning");
    case SD_SEVERITY_INFO: default: return _("Note");
    }
}

/* A pass with a check not run (the sign-in without a password, a step
 * after --until) found nothing wrong in what ran, which is less than
 * "no problems": the same words as the wizard's summary. */
static const char *
verdict_label (SdRun *run, SdVerdict verdict)
{
  switch (verdict)
    {
    case SD_VERDICT_FAIL: return _("Problems found");
    case SD_VERDICT_WARN: return _("Works, with warnings");
    case SD_VERDICT_PASS: default: break;
    }
  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      SdStatus status = sd_run_get_step_status (run, s);
      if (status == SD_STATUS_SKIP || status == SD_STATUS_PENDING)
        return _("No problems found so far");
    }
  return _("No problems found");
}

char *
sd_report_to_text (SdRun *run)
{
  return sd_report_to_text_with_flags (run, SD_REPORT_TEXT_FULL);
}

char *
sd_report_to_text_with_flags (SdRun *run, SdReportTextFlags flags)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GPtrArray) sorted = sorted_findings (run);
  g_autofree char *summary = sd_run_dup_summary (run);
  g_autoptr(JsonNode) report = sd_report_build (run);
  JsonObject *root = json_node_get_object (report);
  JsonObject *steps = json_object_get_object_member (root, "steps");
  /* Findings, reasons and data quote what servers sent. */
  g_autofree char *escaped_summary = sd_text_escape (summary, FALSE);

  g_string_append_printf (out, _("SIP Sign-in Doctor %s report, %s\n"), PACKAGE_VERSION,
                          json_object_get_string_member (root, "generated"));
  g_string_append_printf (out, _("Verdict: %s\n"), verdict_label (run, sd_run_get_verdict (run)));
  g_string_append_printf (out, _("Summary: %s\n\n"), escaped_summary);

  g_string_append_printf (out, "%s\n", _("Findings"));
  if (sorted->len == 0)
    g_string_append_printf (out, "  %s\n", _("None."));
  for (guint i = 0; i < sorted->len; i++)
    {
      SdFinding *f = sorted->pdata[i];
      g_autofree char *message = sd_text_escape (f->message, FALSE);
      g_autofree char *advice = sd_text_escape (f->advice, FALSE);
      g_string_append_printf (out, "  [%s] %s — %s\n", severity_label (f->severity), f->code, message);
      if (*advice != '\0')
        g_string_append_printf (out, "      %s %s\n", _("What to do:"), advice);
    }

  g_string_append_printf (out, "\n%s\n", _("Checks"));
  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      JsonObject *st = json_object_get_object_member (steps, sd_step_id_to_string (s));
      const char *raw_reason = json_object_get_string_member_with_default (st, "reason", NULL);
      g_autofree char *reason = raw_reason != NULL ? sd_text_escape (raw_reason, FALSE) : NULL;
      g_string_append_printf (out, "  %-8s %-5s %6" G_GINT64_FORMAT " ms  %s%s%s\n",
                              sd_step_id_to_string (s),
                              json_object_get_string_member (st, "status"),
                              json_object_get_int_member (st, "duration_ms"),
                              sd_step_title (s),
                              reason != NULL ? " — " : "", reason != NULL ? reason : "");
    }

  if (flags & SD_REPORT_TEXT_BRIEF)
    return g_string_free (out, FALSE);

  g_string_append_printf (out, "\n%s\n", _("Input"));
  text_object (out, json_object_get_object_member (root, "input"), 2);

  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      JsonObject *st = json_object_get_object_member (steps, sd_step_id_to_string (s));
      JsonObject *data = json_object_get_object_member (st, "data");
      if (json_object_get_size (data) == 0)
        continue;
      g_string_append_printf (out, "\n%s (%s)\n", sd_step_title (s), sd_step_id_to_string (s));
      text_object (out, data, 2);
    }

  if (sd_trace_get_n_entries (sd_run_get_trace (run)) > 0)
    {
      g_autofree char *trace = sd_trace_to_text (sd_run_get_trace (run));
      g_string_append_printf (out, "\n%s\n%s", _("Protocol trace (credentials redacted)"), trace);
    }
  return g_string_free (out, FALSE);
}

/* HTML */

static void
html_escape (GString *out, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_string_append (out, escaped);
}

static void html_node (GString *out, JsonNode *node);

static void
html_scalar (GString *out, JsonNode *node)
{
  GString *tmp = g_string_new (NULL);

  /* Markup, not a terminal: lines may stay lines, in a <pre>. */
  text_scalar (tmp, node, TRUE);
  if (strchr (tmp->str, '\n') != NULL)
    {
      g_string_append (out, "<pre>");
      html_escape (out, tmp->str);
      g_string_append (out, "</pre>");
    }
  else
    html_escape (out, tmp->str);
  g_string_free (tmp, TRUE);
}

static void
html_object (GString *out, JsonObject *o)
{
  g_autoptr(GList) members = json_object_get_members (o);

  g_string_append (out, "<table class=\"kv\">");
  for (GList *l = members; l != NULL; l = l->next)
    {
      g_string_append (out, "<tr><th>");
      html_escape (out, l->data);
      g_string_append (out, "</th><td>");
      html_node (out, json_object_get_member (o, l->data));
      g_string_append (out, "</td></tr>");
    }
  g_string_append (out, "</table>");
}

/* An array of objects becomes a table with a column per member name. */
static void
html_array (GString *out, JsonArray *a)
{
  guint n = json_array_get_length (a);
  gboolean all_objects = n > 0;
  g_autoptr(GPtrArray) columns = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (a, i)))
      all_objects = FALSE;

  if (n == 0)
    {
      g_string_append (out, "—");
      return;
    }
  if (!all_objects)
    {
      g_string_append (out, "<ul>");
      for (guint i = 0; i < n; i++)
        {
          g_string_append (out, "<li>");
          html_node (out, json_array_get_element (a, i));
          g_string_append (out, "</li>");
        }
      g_string_append (out, "</ul>");
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GList) members = json_object_get_members (json_array_get_object_element (a, i));
      for (GList *l = members; l != NULL; l = l->next)
        if (!g_ptr_array_find_with_equal_func (columns, l->data, g_str_equal, NULL))
          g_ptr_array_add (columns, l->data);
    }

  g_string_append (out, "<table class=\"grid\"><thead><tr>");
  for (guint c = 0; c < columns->len; c++)
    {
      g_string_append (out, "<th>");
      html_escape (out, columns->pdata[c]);
      g_string_append (out, "</th>");
    }
  g_string_append (out, "</tr></thead><tbody>");
  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = json_array_get_object_element (a, i);
      g_string_append (out, "<tr>");
      for (guint c = 0; c < columns->len; c++)
        {
          g_string_append (out, "<td>");
          if (json_object_has_member (row, columns->pdata[c]))
            html_node (out, json_object_get_member (row, columns->pdata[c]));
          g_string_append (out, "</td>");
        }
      g_string_append (out, "</tr>");
    }
  g_string_append (out, "</tbody></table>");
}

static void
html_node (GString *out, JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    html_object (out, json_node_get_object (node));
  else if (JSON_NODE_HOLDS_ARRAY (node))
    html_array (out, json_node_get_array (node));
  else
    html_scalar (out, node);
}

static const char html_style[] =
  "body{font-family:Cantarell,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em auto;max-width:60em;"
  "color:#241f31;line-height:1.45;padding:0 1em}"
  "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #deddda}"
  ".meta{color:#5e5c64}"
  ".verdict{display:inline-block;padding:.3em .8em;border-radius:.4em;font-weight:bold;color:#fff}"
  ".verdict.pass{background:#26a269}.verdict.warn{background:#c64600}.verdict.fail{background:#c01c28}"
  ".summary{font-size:1.1em;background:#f6f5f4;padding:.6em 1em;border-radius:.4em}"
  ".finding{border-left:.35em solid #9a9996;padding:.3em .9em;margin:.7em 0;background:#fafafa}"
  ".finding.error{border-color:#c01c28}.finding.warning{border-color:#e66100}.finding.info{border-color:#1c71d8}"
  ".finding code{font-weight:bold}.advice{margin-top:.3em}"
  "table{border-collapse:collapse;margin:.3em 0;font-size:.92em}"
  "th,td{border:1px solid #deddda;padding:.25em .5em;text-align:left;vertical-align:top}"
  "table.kv th{background:#f6f5f4;white-space:nowrap}table.grid th{background:#f6f5f4}"
  ".status-pass{color:#26a269}.status-warn{color:#c64600}.status-fail{color:#c01c28}.status-skip{color:#77767b}"
  "pre{white-space:pre-wrap;word-break:break-all;background:#f6f5f4;padding:.5em;margin:.2em 0;font-size:.88em}"
  "@media print{body{margin:0;max-width:none}.finding,.trace-entry{break-inside:avoid}h2{break-after:avoid}}";

char *
sd_report_to_html (SdRun *run)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GPtrArray) sorted = sorted_findings (run);
  g_autoptr(JsonNode) report = sd_report_build (run);
  JsonObject *root = json_node_get_object (report);
  JsonObject *steps = json_object_get_object_member (root, "steps");
  SdVerdict verdict = sd_run_get_verdict (run);
  const SdConfig *config = sd_run_get_config (run);

  g_string_append (out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                        "<meta name=\"viewport\" content=\"width=device-width\"><title>");
  html_escape (out, _("SIP sign-in report"));
  g_string_append (out, " — ");
  html_escape (out, config->address != NULL ? config->address : "");
  g_string_append_printf (out, "</title><style>%s</style></head><body>\n<h1>", html_style);
  html_escape (out, _("SIP sign-in report"));
  g_string_append (out, "</h1><p class=\"meta\">");
  html_escape (out, config->address != NULL ? config->address : "");
  g_string_append (out, " · ");
  html_escape (out, json_object_get_string_member (root, "generated"));
  g_string_append_printf (out, " · SIP Sign-in Doctor %s</p>\n", PACKAGE_VERSION);

  g_string_append_printf (out, "<p><span class=\"verdict %s\">", sd_verdict_to_string (verdict));
  html_escape (out, verdict_label (run, verdict));
  g_string_append (out, "</span></p><p class=\"summary\">");
  html_escape (out, json_object_get_string_member (root, "summary"));
  g_string_append (out, "</p>\n<h2>");
  html_escape (out, _("Findings"));
  g_string_append (out, "</h2>\n");
  if (sorted->len == 0)
    {
      g_string_append (out, "<p>");
      html_escape (out, _("None."));
      g_string_append (out, "</p>\n");
    }
  for (guint i = 0; i < sorted->len; i++)
    {
      SdFinding *f = sorted->pdata[i];
      g_string_append_printf (out, "<div class=\"finding %s\"><div><strong>",
                              sd_severity_to_string (f->severity));
      html_escape (out, severity_label (f->severity));
      g_string_append (out, "</strong> <code>");
      html_escape (out, f->code);
      g_string_append (out, "</code> — ");
      html_escape (out, f->message);
      g_string_append (out, "</div>");
      if (*f->advice != '\0')
        {
          g_string_append (out, "<div class=\"advice\"><em>");
          html_escape (out, _("What to do:"));
          g_string_append (out, "</em> ");
          html_escape (out, f->advice);
          g_string_append (out, "</div>");
        }
      g_string_append (out, "</div>\n");
    }

  g_string_append (out, "<h2>");
  html_escape (out, _("Checks"));
  g_string_append (out, "</h2>\n<table class=\"grid\"><tbody>");
  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      JsonObject *st = json_object_get_object_member (steps, sd_step_id_to_string (s));
      const char *status = json_object_get_string_member (st, "status");
      const char *reason = json_object_get_string_member_with_default (st, "reason", "");
      g_string_append (out, "<tr><th>");
      html_escape (out, sd_step_title (s));
      g_string_append_printf (out, "</th><td class=\"status-%s\">%s</td><td>%" G_GINT64_FORMAT
                              " ms</td><td>", status, status,
                              json_object_get_int_member (st, "duration_ms"));
      html_escape (out, reason);
      g_string_append (out, "</td></tr>");
    }
  g_string_append (out, "</tbody></table>\n<h2>");
  html_escape (out, _("Input"));
  g_string_append (out, "</h2>\n");
  html_object (out, json_object_get_object_member (root, "input"));

  for (SdStepId s = 0; s < SD_N_STEPS; s++)
    {
      JsonObject *st = json_object_get_object_member (steps, sd_step_id_to_string (s));
      JsonObject *data = json_object_get_object_member (st, "data");
      if (json_object_get_size (data) == 0)
        continue;
      g_string_append (out, "\n<h2>");
      html_escape (out, sd_step_title (s));
      g_string_append (out, "</h2>\n");
      html_object (out, data);
    }

  {
    JsonArray *trace = json_object_get_array_member (root, "trace");
    if (json_array_get_length (trace) > 0)
      {
        g_string_append (out, "\n<h2>");
        html_escape (out, _("Protocol trace (credentials redacted)"));
        g_string_append (out, "</h2>\n");
        for (guint i = 0; i < json_array_get_length (trace); i++)
          {
            JsonObject *e = json_array_get_object_element (trace, i);
            g_string_append (out, "<div class=\"trace-entry\"><div class=\"meta\">");
            g_string_append_printf (out, "%.1f ms · ", json_object_get_double_member (e, "time_ms"));
            html_escape (out, json_object_get_string_member (e, "direction"));
            g_string_append (out, " · ");
            html_escape (out, json_object_get_string_member (e, "transport"));
            g_string_append (out, " ");
            html_escape (out, json_object_get_string_member (e, "peer"));
            g_string_append (out, "</div><pre>");
            html_escape (out, json_object_get_string_member (e, "text"));
            g_string_append (out, "</pre></div>\n");
          }
      }
  }

  g_string_append (out, "</body></html>\n");
  return g_string_free (out, FALSE);
}

char *
sd_report_render (SdRun *run, SdReportFormat format)
{
  switch (format)
    {
    case SD_REPORT_JSON:
      {
        char *json = sd_report_to_json (run, TRUE);
        char *with_nl = g_strconcat (json, "\n", NULL);
        g_free (json);
        return with_nl;
      }
    case SD_REPORT_HTML: return sd_report_to_html (run);
    case SD_REPORT_TEXT: default: return sd_report_to_text (run);
    }
}

static void
replace_contents_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
sd_report_save_async (SdRun               *run,
                      GFile               *file,
                      SdReportFormat       format,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  char *text = sd_report_render (run, format);
  g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

  g_task_set_source_tag (task, sd_report_save_async);
  /* Private from the moment it exists: a report names the user and holds
   * the trace. REPLACE_DESTINATION writes a new file rather than keeping
   * the mode of one it replaces. */
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       cancellable, replace_contents_cb, task);
}

gboolean
sd_report_save_finish (GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
