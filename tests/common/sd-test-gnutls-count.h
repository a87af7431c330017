/* sd-test-gnutls-count.h: how many times GnuTLS parsed the whole system
 * trust store in this process, whoever asked (this program, or
 * glib-networking through a default database).
 *
 * A test executable gets it by adding test_gnutls_count_sources to its
 * sources and test_gnutls_count_link_args to its link arguments
 * (tests/common/meson.build): the executable then defines GnuTLS's two
 * entry points itself, exported so that every caller in the process,
 * modules loaded later included, reaches them; they count and pass on.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint sd_test_gnutls_whole_parses (void);
/* Those made while the default main context was running one of its
 * sources: a stall of the main loop. */
gint sd_test_gnutls_whole_parses_on_main_loop (void);

G_END_DECLS
