/* sd-test-async.h: running a diagnosis run to its end in a test, with a
 * cancel at a chosen moment and a hang guard. One copy for every test of
 * cancelling and running again (tests/tls, tests/sip).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "sipdoctor.h"

G_BEGIN_DECLS

/* The hang guard of sd_test_run_execute: generous, only against a hang. */
#define SD_TEST_HANG_GUARD_S 20

/* Runs @run up to @last on the thread's default main context. Cancels
 * @cancellable after @cancel_after_ms when that is not 0. Returns how long
 * the run took in ms, and the run's error in @error. Fails the test when
 * the run has not returned after SD_TEST_HANG_GUARD_S seconds. */
gint64  sd_test_run_execute (SdRun         *run,
                             SdStepId       last,
                             GCancellable  *cancellable,
                             guint          cancel_after_ms,
                             GError       **error);

/* Lets whatever is still queued run for @ms (after a cancel: it must not
 * touch what is finished; ASan tells). */
void    sd_test_drain (guint ms);

/* The value of the lab's @port_var, or NULL after marking the test skipped
 * when the lab is not up (run through tools/lab-up --exec). */
const char *sd_test_lab_port (const char *port_var);

G_END_DECLS
