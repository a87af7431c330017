/* sd-report.h: the report of a run, as JSON ("sip-doctor/1"), text or HTML.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-run.h"

G_BEGIN_DECLS

#define SD_REPORT_SCHEMA "sip-doctor/1"

typedef enum {
  SD_REPORT_JSON,
  SD_REPORT_TEXT,
  SD_REPORT_HTML,
} SdReportFormat;

/* The format for a file name by its extension (.json, .html/.htm, .txt);
 * FALSE when the extension is none of these. */
gboolean  sd_report_format_for_path (const char *path, SdReportFormat *format);

JsonNode *sd_report_build (SdRun *self);
char     *sd_report_to_json (SdRun *run, gboolean pretty);
char     *sd_report_to_text (SdRun *run);

typedef enum {
  SD_REPORT_TEXT_FULL  = 0,
  /* Only what a person acts on: verdict, summary, findings with advice and
   * the checks table; no input, step data or protocol trace. */
  SD_REPORT_TEXT_BRIEF = 1 << 0,
} SdReportTextFlags;

char     *sd_report_to_text_with_flags (SdRun *run, SdReportTextFlags flags);
char     *sd_report_to_html (SdRun *run);
char     *sd_report_render (SdRun *run, SdReportFormat format);

/* Writes the report asynchronously (replacing the file atomically). */
void      sd_report_save_async  (SdRun               *run,
                                 GFile               *file,
                                 SdReportFormat       format,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
gboolean  sd_report_save_finish (GAsyncResult  *result,
                                 GError       **error);

G_END_DECLS
