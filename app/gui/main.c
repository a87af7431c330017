/* main.c: sip-doctor, the wizard.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sd-application.h"

int
main (int argc, char *argv[])
{
  return sd_application_main (argc, argv);
}
