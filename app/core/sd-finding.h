/* sd-finding.h: one diagnosed problem (or notable fact) with a stable code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include "sd-types.h"
#include "sd-finding-codes.h"

G_BEGIN_DECLS

/* A finding is immutable once made. @code is a stable string from DESIGN.md
 * ("tls.expired"), @message says what is wrong, @advice what to do, both in
 * plain (translated) words. */
typedef struct {
  grefcount   ref_count;
  char       *code;
  SdSeverity  severity;
  SdStepId    step;
  char       *message;
  char       *advice;
} SdFinding;

#define SD_TYPE_FINDING (sd_finding_get_type ())
GType      sd_finding_get_type (void) G_GNUC_CONST;

SdFinding *sd_finding_new (const char *code,
                           SdSeverity  severity,
                           SdStepId    step,
                           const char *message,
                           const char *advice);
SdFinding *sd_finding_ref (SdFinding *finding);
void       sd_finding_unref (SdFinding *finding);
/* Orders by severity (errors first), then step order; stable for equal keys. */
gint       sd_finding_compare (gconstpointer a, gconstpointer b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdFinding, sd_finding_unref)

G_END_DECLS
