/* test-deadline.c: SdDeadline fires after its time, tells its own expiry
 * from the parent's cancel, and leaves nothing behind when freed early.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "sipdoctor.h"

static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
}

static void
test_expires (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(SdDeadline) deadline = sd_deadline_new (50, parent);
  GError *error = NULL;

  g_assert_false (g_cancellable_is_cancelled (G_CANCELLABLE (deadline)));
  g_assert_cmpuint (sd_deadline_remaining_ms (deadline), >, 0);
  /* Bounded: the timer fires long before this gives up. */
  for (guint i = 0; i < 200 && !g_cancellable_is_cancelled (G_CANCELLABLE (deadline)); i++)
    run_for (10);
  g_assert_true (g_cancellable_is_cancelled (G_CANCELLABLE (deadline)));
  g_assert_true (sd_deadline_expired (deadline));
  g_assert_false (g_cancellable_is_cancelled (parent));
  g_assert_cmpuint (sd_deadline_remaining_ms (deadline), ==, 0);

  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_assert_true (sd_deadline_translate_error (deadline, &error, "no answer in %u s", 3));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpstr (error->message, ==, "no answer in 3 s");
  g_clear_error (&error);

  /* Other errors stay as they are. */
  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");
  g_assert_false (sd_deadline_translate_error (deadline, &error, "x"));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_clear_error (&error);
}

static void
test_parent_cancel_is_not_a_timeout (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(SdDeadline) deadline = sd_deadline_new (60000, parent);
  GError *error = NULL;

  g_cancellable_cancel (parent);
  g_assert_true (g_cancellable_is_cancelled (G_CANCELLABLE (deadline)));
  g_assert_false (sd_deadline_expired (deadline));
  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  g_assert_false (sd_deadline_translate_error (deadline, &error, "timeout"));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
}

static void
test_parent_already_cancelled (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(SdDeadline) deadline = NULL;

  g_cancellable_cancel (parent);
  deadline = sd_deadline_new (60000, parent);
  g_assert_true (g_cancellable_is_cancelled (G_CANCELLABLE (deadline)));
  g_assert_false (sd_deadline_expired (deadline));
}

/* The person cancels after the time ran out: a cancel, not a timeout. */
static void
test_parent_cancel_after_expiry (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  g_autoptr(SdDeadline) deadline = sd_deadline_new (10, parent);

  for (guint i = 0; i < 200 && !g_cancellable_is_cancelled (G_CANCELLABLE (deadline)); i++)
    run_for (10);
  g_assert_true (sd_deadline_expired (deadline));
  g_cancellable_cancel (parent);
  g_assert_false (sd_deadline_expired (deadline));
}

static void
test_stop (void)
{
  g_autoptr(SdDeadline) deadline = sd_deadline_new (20, NULL);

  sd_deadline_stop (deadline);
  run_for (100);
  g_assert_false (g_cancellable_is_cancelled (G_CANCELLABLE (deadline)));
  g_assert_false (sd_deadline_expired (deadline));
}

/* Freed before its time and before its parent: neither the timer nor the
 * parent's cancel may reach it (ASan and G_DEBUG=fatal-criticals would
 * tell). */
static void
test_freed_early (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  SdDeadline *deadline = sd_deadline_new (20, parent);
  GWeakRef ref;

  g_weak_ref_init (&ref, deadline);
  g_object_unref (deadline);
  g_assert_null (g_weak_ref_get (&ref));
  run_for (100);
  g_cancellable_cancel (parent);
  run_for (10);
  g_weak_ref_clear (&ref);
}

/* The last reference dropped from inside the parent's "cancelled"
 * emission, as a GIO callback may do. */
static void
drop_cb (GCancellable *parent, gpointer user_data)
{
  g_clear_object ((SdDeadline **) user_data);
}

static void
test_freed_in_parent_handler (void)
{
  g_autoptr(GCancellable) parent = g_cancellable_new ();
  SdDeadline *deadline = sd_deadline_new (60000, parent);

  g_signal_connect (deadline, "cancelled", G_CALLBACK (drop_cb), &deadline);
  g_cancellable_cancel (parent);
  g_assert_null (deadline);
  run_for (10);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/deadline/expires", test_expires);
  g_test_add_func ("/deadline/parent-cancel", test_parent_cancel_is_not_a_timeout);
  g_test_add_func ("/deadline/parent-already-cancelled", test_parent_already_cancelled);
  g_test_add_func ("/deadline/parent-cancel-after-expiry", test_parent_cancel_after_expiry);
  g_test_add_func ("/deadline/stop", test_stop);
  g_test_add_func ("/deadline/freed-early", test_freed_early);
  g_test_add_func ("/deadline/freed-in-parent-handler", test_freed_in_parent_handler);
  return g_test_run ();
}
