/* sd-run.h: one diagnosis run: the steps, their results, findings, verdict.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include "sd-types.h"
#include "sd-config.h"
#include "sd-finding.h"
#include "sd-context.h"
#include "sd-trace.h"

G_BEGIN_DECLS

#define SD_TYPE_RUN (sd_run_get_type ())
G_DECLARE_FINAL_TYPE (SdRun, sd_run, SD, RUN, GObject)

SdRun          *sd_run_new (const SdConfig *config);
const SdConfig *sd_run_get_config (SdRun *self);

/* Runs every step not run yet, up to and including @last. Call again with
 * a later @last to go on (the wizard runs its pages one at a time). Each
 * step turns problems into findings; the task fails only when cancelled
 * (G_IO_ERROR_CANCELLED) or on an internal error. After a cancel, steps
 * not finished are reported as skipped. Signals are emitted on the thread
 * default main context of the caller. */
void      sd_run_execute_async  (SdRun               *self,
                                 SdStepId             last,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
gboolean  sd_run_execute_finish (SdRun         *self,
                                 GAsyncResult  *result,
                                 GError       **error);
gboolean  sd_run_is_running (SdRun *self);

SdStatus    sd_run_get_step_status (SdRun *self, SdStepId step);
/* Why a step was skipped, or a short note; NULL when none. */
const char *sd_run_get_step_reason (SdRun *self, SdStepId step);
gint64      sd_run_get_step_duration_ms (SdRun *self, SdStepId step);
/* TRUE when a Cancel stopped the step (skipped; the next execute runs it again). */
gboolean    sd_run_get_step_cancelled (SdRun *self, SdStepId step);
/* The step's data object (part of the JSON report); never NULL. Steps add
 * to it as they go; views re-read it on ::step-updated. */
JsonObject *sd_run_get_step_data (SdRun *self, SdStepId step);

/* SdFinding*, in the order they were found. */
GPtrArray  *sd_run_get_findings (SdRun *self);
/* Only those of one step. Free with g_ptr_array_unref(). */
GPtrArray  *sd_run_dup_step_findings (SdRun *self, SdStepId step);
gboolean    sd_run_has_finding (SdRun *self, const char *code);
SdVerdict   sd_run_get_verdict (SdRun *self);
/* One line a caller can read out on the phone, with the finding codes. */
char       *sd_run_dup_summary (SdRun *self);
SdTrace    *sd_run_get_trace (SdRun *self);
SdContext  *sd_run_get_context (SdRun *self);
/* Wall-clock time the run started (for reports), or NULL before. */
GDateTime  *sd_run_get_start_time (SdRun *self);

/* For step implementations. */
void        sd_run_add_finding (SdRun *self, SdFinding *finding);
void        sd_run_report (SdRun       *self,
                           SdStepId     step,
                           const char  *code,
                           SdSeverity   severity,
                           const char  *message,
                           const char  *advice);
/* Overrides the status the findings would give (e.g. SD_STATUS_SKIP). */
void        sd_run_set_step_status (SdRun      *self,
                                    SdStepId    step,
                                    SdStatus    status,
                                    const char *reason);
/* Tells views that the step's data changed; @message is a short progress
 * line for a person ("Looking up _sip._tls.example.com…"), or NULL. */
void        sd_run_step_progress (SdRun *self, SdStepId step, const char *message);

G_END_DECLS
