/* sd-step-not-built.c: the honest placeholder for a check not built yet.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-not-built"

#include <glib/gi18n-lib.h>
#include "sd-steps.h"

void
sd_step_not_built_async (SdRun               *run,
                         SdStepId             step,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (run, cancellable, callback, user_data);

  g_task_set_source_tag (task, sd_step_not_built_async);
  sd_run_set_step_status (run, step, SD_STATUS_SKIP,
                          _("This check is not built yet in this version."));
  json_object_set_boolean_member (sd_run_get_step_data (run, step), "built", FALSE);
  g_task_return_boolean (task, TRUE);
}
