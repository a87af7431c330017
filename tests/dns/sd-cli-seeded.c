/* sd-cli-seeded.c: sip-doctor-cli with a reproducible RFC 2782 draw, for
 * tests that count which SRV target comes first over many seeds. The seed
 * comes from SD_DNS_SRV_SEED; the shipped CLI reads no such variable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-cli-seeded"

#include <glib.h>
#include "sd-step-dns-testing.h"

/* app/cli/sd-cli.c, built with its main renamed (tests/dns/meson.build). */
int sd_cli_main (int argc, char *argv[]);

int
main (int argc, char *argv[])
{
  const char *seed = g_getenv ("SD_DNS_SRV_SEED");

  if (seed != NULL)
    sd_step_dns_set_srv_seed_for_testing ((guint32) g_ascii_strtoull (seed, NULL, 10));
  return sd_cli_main (argc, argv);
}
