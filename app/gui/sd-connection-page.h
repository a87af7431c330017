/* sd-connection-page.h: the Connection page of the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-page.h"

G_BEGIN_DECLS

#define SD_TYPE_CONNECTION_PAGE (sd_connection_page_get_type ())
G_DECLARE_FINAL_TYPE (SdConnectionPage, sd_connection_page, SD, CONNECTION_PAGE, SdPage)

G_END_DECLS
