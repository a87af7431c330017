/* sd-error.h: the engine's error domain.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SD_ERROR (sd_error_quark ())
GQuark sd_error_quark (void);

/**
 * SdError:
 * @SD_ERROR_INVALID_INPUT: something the person typed or passed is not usable
 *   (the message says what form is expected); the CLI exits 2.
 * @SD_ERROR_FILE: a file named by the person cannot be read; the CLI exits 2.
 * @SD_ERROR_INTERNAL: a bug or an unexpected failure; the CLI exits 3.
 */
typedef enum {
  SD_ERROR_INVALID_INPUT,
  SD_ERROR_FILE,
  SD_ERROR_INTERNAL,
} SdError;

G_END_DECLS
