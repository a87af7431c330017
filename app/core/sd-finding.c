/* sd-finding.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-finding"

#include "sd-finding.h"

G_DEFINE_BOXED_TYPE (SdFinding, sd_finding, sd_finding_ref, sd_finding_unref)

SdFinding *
sd_finding_new (const char *code,
                SdSeverity  severity,
                SdStepId    step,
                const char *message,
                const char *advice)
{
  SdFinding *self;

  g_return_val_if_fail (code != NULL && *code != '\0', NULL);
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (step < SD_N_STEPS, NULL);

  self = g_new0 (SdFinding, 1);
  g_ref_count_init (&self->ref_count);
  self->code = g_strdup (code);
  self->severity = severity;
  self->step = step;
  self->message = g_strdup (message);
  self->advice = g_strdup (advice != NULL ? advice : "");
  return self;
}

SdFinding *
sd_finding_ref (SdFinding *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->ref_count);
  return self;
}

void
sd_finding_unref (SdFinding *self)
{
  g_return_if_fail (self != NULL);
  if (!g_ref_count_dec (&self->ref_count))
    return;
  g_free (self->code);
  g_free (self->message);
  g_free (self->advice);
  g_free (self);
}

gint
sd_finding_compare (gconstpointer a, gconstpointer b)
{
  const SdFinding *fa = *(SdFinding * const *) a;
  const SdFinding *fb = *(SdFinding * const *) b;

  if (fa->severity != fb->severity)
    return fa->severity > fb->severity ? -1 : 1;
  if (fa->step != fb->step)
    return fa->step < fb->step ? -1 : 1;
  return 0;
}
