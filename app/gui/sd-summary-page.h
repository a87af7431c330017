/* sd-summary-page.h: the Summary page of the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-page.h"

G_BEGIN_DECLS

#define SD_TYPE_SUMMARY_PAGE (sd_summary_page_get_type ())
G_DECLARE_FINAL_TYPE (SdSummaryPage, sd_summary_page, SD, SUMMARY_PAGE, SdPage)

G_END_DECLS
