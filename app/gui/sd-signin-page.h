/* sd-signin-page.h: the Signin page of the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sd-page.h"

G_BEGIN_DECLS

#define SD_TYPE_SIGNIN_PAGE (sd_signin_page_get_type ())
G_DECLARE_FINAL_TYPE (SdSigninPage, sd_signin_page, SD, SIGNIN_PAGE, SdPage)

G_END_DECLS
