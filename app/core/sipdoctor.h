/* sipdoctor.h: the engine's public header.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-types.h"
#include "sd-error.h"
#include "sd-deadline.h"
#include "sd-config.h"
#include "sd-uri.h"
#include "sd-candidate.h"
#include "sd-connect-result.h"
#include "sd-finding.h"
#include "sd-context.h"
#include "sd-trace.h"
#include "sd-run.h"
#include "sd-report.h"
