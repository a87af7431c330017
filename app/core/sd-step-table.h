/* sd-step-table.h: the steps of a run, in order, written once.
 *
 * Each row is ROW (NAME, id, title):
 *   NAME   gives the enum value SD_STEP_<NAME> (sd-types.h);
 *   id     is the step's string id in the JSON report, the CLI's --until
 *          and the trace, and names its functions sd_step_<id>_run_async
 *          and sd_step_<id>_run_finish (sd-steps.h; the step's folder);
 *   title  is what a person reads (translated where it is shown).
 *
 * Everything else (the enum, the declarations, the run's dispatch, the
 * CLI's --until and --list-steps, the report's steps, the summary) is
 * generated from this list: adding a step is one row here plus its files.
 * The ids are part of the contract (docs/contract.md): never rename one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#define SD_STEP_TABLE(ROW) \
  ROW (URI,     uri,     N_("SIP address")) \
  ROW (DNS,     dns,     N_("Automatic configuration (DNS)")) \
  ROW (CONNECT, connect, N_("Connection")) \
  ROW (TLS,     tls,     N_("Secure connection (TLS)")) \
  ROW (SIP,     sip,     N_("SIP server")) \
  ROW (AUTH,    auth,    N_("Sign-in"))
