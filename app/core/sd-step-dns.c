/* sd-step-dns.c: the `dns` step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-steps.h"

void
sd_step_dns_run_async (SdRun               *run,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  sd_step_not_built_async (run, SD_STEP_DNS, cancellable, callback, user_data);
}

gboolean
sd_step_dns_run_finish (SdRun         *run,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
