/* sd-server-page.h: the server, the transport and the advanced settings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-page.h"

G_BEGIN_DECLS

#define SD_TYPE_SERVER_PAGE (sd_server_page_get_type ())
G_DECLARE_FINAL_TYPE (SdServerPage, sd_server_page, SD, SERVER_PAGE, SdPage)

G_END_DECLS
