/* sd-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-error"

#include "sd-error.h"

G_DEFINE_QUARK (sd-error-quark, sd_error)
