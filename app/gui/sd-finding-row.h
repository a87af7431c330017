/* sd-finding-row.h: one finding in a list: icon, what is wrong, what to do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "sipdoctor.h"

G_BEGIN_DECLS

#define SD_TYPE_FINDING_ROW (sd_finding_row_get_type ())
G_DECLARE_FINAL_TYPE (SdFindingRow, sd_finding_row, SD, FINDING_ROW, GtkListBoxRow)

SdFindingRow *sd_finding_row_new (SdFinding *finding);
SdFinding    *sd_finding_row_get_finding (SdFindingRow *self);

G_END_DECLS
