/* sd-deadline.h: a GCancellable that cancels itself when its time is up.
 *
 * GIO's socket timeouts are idle timeouts: every byte resets them, so a
 * peer trickling one byte a second keeps a connect, a TLS handshake or a
 * read alive for ever. Every network operation therefore takes an
 * SdDeadline made when the operation starts, and passes it where GIO
 * wants a GCancellable.
 *
 * The deadline is cancelled by its timer and by its parent (the run's
 * cancellable), and tells the two apart: sd_deadline_expired() is TRUE only
 * when the time ran out and the person did not cancel, so a timeout becomes
 * a finding and a cancel stays G_IO_ERROR_CANCELLED.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SD_TYPE_DEADLINE (sd_deadline_get_type ())
G_DECLARE_FINAL_TYPE (SdDeadline, sd_deadline, SD, DEADLINE, GCancellable)

/* Cancels itself @timeout_ms from now (on the thread-default main
 * context), or when @parent (may be NULL) is cancelled, whichever comes
 * first. Already cancelled when @parent is. */
SdDeadline *sd_deadline_new (guint timeout_ms, GCancellable *parent);

/* TRUE when the timer fired, and the parent was not cancelled. */
gboolean    sd_deadline_expired (SdDeadline *self);

/* The operation is over: the timer will not fire any more. */
void        sd_deadline_stop (SdDeadline *self);

/* Milliseconds left (0 when expired or stopped after expiry). */
guint       sd_deadline_remaining_ms (SdDeadline *self);

/* When *@error is G_IO_ERROR_CANCELLED because the deadline expired,
 * replaces it with G_IO_ERROR_TIMED_OUT and the message @format. Returns
 * TRUE when *@error is, after this, a timeout of this deadline. Leaves any
 * other error (and the person's cancel) alone. */
gboolean    sd_deadline_translate_error (SdDeadline  *self,
                                         GError     **error,
                                         const char  *format,
                                         ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
