/* sd-steps.h: the step implementations the run calls, one file each.
 *
 * A step is an async operation on the run. It reads what earlier steps
 * left in the context, writes its own results there and in its data
 * object, and turns every problem into a finding (sd_run_report). It
 * returns FALSE only when cancelled or on an internal error. A step that
 * cannot run (nothing to connect to, say) sets SD_STATUS_SKIP with a reason.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"

G_BEGIN_DECLS

typedef void     (*SdStepRunAsync)  (SdRun               *run,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
typedef gboolean (*SdStepRunFinish) (SdRun         *run,
                                     GAsyncResult  *result,
                                     GError       **error);

#define SD_DECLARE_STEP(name) \
  void     sd_step_##name##_run_async  (SdRun *run, GCancellable *cancellable, \
                                        GAsyncReadyCallback callback, gpointer user_data); \
  gboolean sd_step_##name##_run_finish (SdRun *run, GAsyncResult *result, GError **error);

/* One pair for each row of sd-step-table.h. */
#define SD_DECLARE_STEP_ROW(NAME, id, title) SD_DECLARE_STEP (id)
SD_STEP_TABLE (SD_DECLARE_STEP_ROW)
#undef SD_DECLARE_STEP_ROW

G_END_DECLS
