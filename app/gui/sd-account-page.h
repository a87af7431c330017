/* sd-account-page.h: the SIP address, sign-in name, password and client.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-page.h"

G_BEGIN_DECLS

#define SD_TYPE_ACCOUNT_PAGE (sd_account_page_get_type ())
G_DECLARE_FINAL_TYPE (SdAccountPage, sd_account_page, SD, ACCOUNT_PAGE, SdPage)

void sd_account_page_set_address (SdAccountPage *self, const char *address);

G_END_DECLS
