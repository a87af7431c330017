/* sd-sip-report.h: the findings the `sip` and `auth` steps share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-run.h"
#include "sd-sip-message.h"

G_BEGIN_DECLS

/* The mapping of a final failure response to a finding (403, 404, 5xx…);
 * FALSE when @status is not one of those. */
gboolean      sd_sip_report_status (SdRun              *run,
                                    SdStepId            step,
                                    const SdSipMessage *response,
                                    const char         *aor);
/* Reports a transaction error (no answer, malformed…) as a finding. */
void          sd_sip_report_error (SdRun        *run,
                                   SdStepId      step,
                                   const char   *method,
                                   SdSipSession *session,
                                   const GError *error);

G_END_DECLS
