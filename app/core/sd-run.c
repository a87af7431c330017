/* sd-run.c: one diagnosis run, step after step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-run"

#include <glib/gi18n-lib.h>
#include "sd-run.h"
#include "sd-steps.h"
#include "sd-error.h"
#include "sd-tls-trust.h"

typedef struct {
  SdStatus    status;
  gboolean    status_forced;
  gboolean    cancelled;   /* skipped by a cancel: runs again on the next execute */
  char       *reason;
  gint64      start_us;
  gint64      duration_ms;
  JsonObject *data;
} StepState;

struct _SdRun {
  GObject     parent_instance;

  SdConfig   *config;
  SdContext  *context;
  SdTrace    *trace;
  GPtrArray  *findings;
  GDateTime  *start_time;
  StepState   steps[SD_N_STEPS];
  GTask      *task;      /* the execute_async in progress, or NULL */
  SdStepId    current;
  SdStepId    last;
  GSource    *close_source;  /* closes the connections after the last step */
};

G_DEFINE_FINAL_TYPE (SdRun, sd_run, G_TYPE_OBJECT)

enum {
  STEP_STARTED,
  STEP_UPDATED,
  STEP_FINISHED,
  FINDING_ADDED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* The step table (sd-step-table.h) made concrete: everything the engine
 * knows about a step by its id. */
static const struct {
  const char      *id;
  const char      *title;
  SdStepRunAsync   run_async;
  SdStepRunFinish  run_finish;
} step_table[SD_N_STEPS] = {
#define SD_STEP_IMPL_ROW(NAME, id_, title_) \
  [SD_STEP_##NAME] = { #id_, title_, sd_step_##id_##_run_async, sd_step_##id_##_run_finish },
  SD_STEP_TABLE (SD_STEP_IMPL_ROW)
#undef SD_STEP_IMPL_ROW
};

const char *
sd_step_id_to_string (SdStepId id)
{
  g_return_val_if_fail (id < SD_N_STEPS, NULL);
  return step_table[id].id;
}

gboolean
sd_step_id_from_string (const char *str, SdStepId *out)
{
  for (guint i = 0; str != NULL && i < SD_N_STEPS; i++)
    if (g_str_equal (str, step_table[i].id))
      {
        *out = (SdStepId) i;
        return TRUE;
      }
  return FALSE;
}

const char *
sd_step_title (SdStepId id)
{
  g_return_val_if_fail (id < SD_N_STEPS, NULL);
  return _(step_table[id].title);
}

char *
sd_step_dup_id_choices (void)
{
  g_autoptr(GString) all_but_last = g_string_new (NULL);

  for (guint i = 0; i + 1 < SD_N_STEPS; i++)
    {
      if (i > 0)
        g_string_append (all_but_last, ", ");
      g_string_append (all_but_last, step_table[i].id);
    }
  /* Translators: the end of a list of choices, "uri, dns, connect or auth" */
  return g_strdup_printf (_("%s or %s"), all_but_last->str, step_table[SD_N_STEPS - 1].id);
}

static void run_next_step (SdRun *self);

static void
sd_run_dispose (GObject *object)
{
  SdRun *self = SD_RUN (object);

  if (self->close_source != NULL)
    g_source_destroy (self->close_source);
  g_clear_pointer (&self->close_source, g_source_unref);
  g_clear_pointer (&self->context, sd_context_free);
  G_OBJECT_CLASS (sd_run_parent_class)->dispose (object);
}

static void
sd_run_finalize (GObject *object)
{
  SdRun *self = SD_RUN (object);

  for (guint i = 0; i < SD_N_STEPS; i++)
    {
      g_free (self->steps[i].reason);
      g_clear_pointer (&self->steps[i].data, json_object_unref);
    }
  g_ptr_array_unref (self->findings);
  g_clear_object (&self->trace);
  g_clear_pointer (&self->start_time, g_date_time_unref);
  sd_config_free (self->config);
  G_OBJECT_CLASS (sd_run_parent_class)->finalize (object);
}

static void
sd_run_class_init (SdRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sd_run_dispose;
  object_class->finalize = sd_run_finalize;

  /**
   * SdRun::step-started:
   * @step: the #SdStepId
   */
  signals[STEP_STARTED] = g_signal_new ("step-started", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_UINT);
  /**
   * SdRun::step-updated:
   * @step: the #SdStepId
   * @message: (nullable): a progress line for people
   */
  signals[STEP_UPDATED] = g_signal_new ("step-updated", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[STEP_FINISHED] = g_signal_new ("step-finished", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[FINDING_ADDED] = g_signal_new ("finding-added", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, SD_TYPE_FINDING);
}

static void
sd_run_init (SdRun *self)
{
  self->context = sd_context_new ();
  self->trace = sd_trace_new ();
  self->findings = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_finding_unref);
  for (guint i = 0; i < SD_N_STEPS; i++)
    {
      self->steps[i].status = SD_STATUS_PENDING;
      self->steps[i].data = json_object_new ();
    }
}

SdRun *
sd_run_new (const SdConfig *config)
{
  SdRun *self;

  g_return_val_if_fail (config != NULL, NULL);

  self = g_object_new (SD_TYPE_RUN, NULL);
  self->config = sd_config_copy (config);
  if (config->password != NULL)
    sd_trace_add_secret (self->trace, config->password);
  return self;
}

const SdConfig *
sd_run_get_config (SdRun *self)
{
  g_return_val_if_fail (SD_IS_RUN (self), NULL);
  return self->config;
}

static SdStatus
status_from_findings (SdRun *self, SdStepId step)
{
  SdStatus status = SD_STATUS_PASS;

  for (guint i = 0; i < self->findings->len; i++)
    {
      SdFinding *f = self->findings->pdata[i];
      if (f->step != step)
        continue;
      if (f->severity == SD_SEVERITY_ERROR)
        return SD_STATUS_FAIL;
      if (f->severity == SD_SEVERITY_WARNING)
        status = SD_STATUS_WARN;
    }
  return status;
}

static void
reset_step (SdRun *self, SdStepId step)
{
  StepState *st = &self->steps[step];

  for (guint i = self->findings->len; i > 0; i--)
    {
      SdFinding *f = self->findings->pdata[i - 1];
      if (f->step == step)
        g_ptr_array_remove_index (self->findings, i - 1);
    }
  st->status = SD_STATUS_PENDING;
  st->status_forced = FALSE;
  st->cancelled = FALSE;
  g_clear_pointer (&st->reason, g_free);
  st->duration_ms = 0;
  json_object_unref (st->data);
  st->data = json_object_new ();
}

static gboolean
close_connections_cb (gpointer data)
{
  SdRun *self = data;

  g_clear_pointer (&self->close_source, g_source_unref);
  sd_context_close_connections (self->context);
  return G_SOURCE_REMOVE;
}

/* Takes @task and @error (NULL: success). */
static void
return_now (SdRun *self, GTask *task, GError *error)
{
  StepState *final = &self->steps[SD_N_STEPS - 1];

  /* The parsed store (over a megabyte) is not kept past the execution
   * that needed it: the wizard keeps its run to show it. */
  g_clear_pointer (&self->context->trust_loader, sd_tls_trust_loader_unref);
  /* After the last step nothing can use the connections again (Run Again
   * makes a new run): the SIP session and the HTTP client held the store
   * and their connections for as long as the wizard showed the run. From
   * an idle: this may be called from inside a connection's own callback.
   * No reference: a program that drops the run at once (the CLI) frees
   * it, the password with it, without waiting for the idle. */
  if (final->status != SD_STATUS_PENDING && !final->cancelled && self->close_source == NULL)
    {
      self->close_source = g_idle_source_new ();
      g_source_set_priority (self->close_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->close_source, close_connections_cb, self, NULL);
      g_source_attach (self->close_source, g_main_context_get_thread_default ());
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

typedef struct {
  GTask  *task;
  GError *error;
} Ending;

static void
trust_joined_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Ending *ending = user_data;
  g_autoptr(SdTlsTrust) trust = sd_tls_trust_loader_wait_finish (result);

  return_now (SD_RUN (source), ending->task, ending->error);
  g_free (ending);
}

/* The run ends only once the trust store's thread has: a program that
 * exits after its run (the CLI) must not leave a thread inside GnuTLS
 * while GnuTLS frees its global state. The wait is one load at most, as
 * the load cannot be interrupted. Takes @task and @error (NULL: success). */
static void
finish_run (SdRun *self, GTask *task, GError *error)
{
  SdTlsTrustLoader *loader = self->context->trust_loader;
  Ending *ending;

  if (loader == NULL || sd_tls_trust_loader_is_done (loader))
    {
      return_now (self, task, error);
      return;
    }
  ending = g_new0 (Ending, 1);
  ending->task = task;
  ending->error = error;
  sd_tls_trust_loader_wait_async (loader, self, trust_joined_cb, ending);
}

static void
finish_cancelled (SdRun *self, GError *error)
{
  GTask *task = g_steal_pointer (&self->task);

  for (SdStepId s = self->current; s <= self->last; s++)
    {
      StepState *st = &self->steps[s];
      if (st->status != SD_STATUS_PENDING && s != self->current)
        continue;
      reset_step (self, s);
      st->status = SD_STATUS_SKIP;
      st->status_forced = TRUE;
      st->cancelled = TRUE;
      st->reason = g_strdup (_("Cancelled before this check finished."));
      g_signal_emit (self, signals[STEP_FINISHED], 0, (guint) s);
    }
  finish_run (self, task, error);
}

static void
step_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SdRun *self = SD_RUN (source);
  SdStepId step = self->current;
  StepState *st = &self->steps[step];
  g_autoptr(GError) error = NULL;
  gboolean ok;

  ok = step_table[step].run_finish (self, result, &error);
  st->duration_ms = (g_get_monotonic_time () - st->start_us) / 1000;

  if (!ok)
    {
      GTask *task;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          finish_cancelled (self, g_steal_pointer (&error));
          return;
        }
      g_warning ("Step %s failed internally: %s", sd_step_id_to_string (step), error->message);
      st->status = SD_STATUS_FAIL;
      st->status_forced = TRUE;
      st->reason = g_strdup (error->message);
      g_signal_emit (self, signals[STEP_FINISHED], 0, (guint) step);
      task = g_steal_pointer (&self->task);
      finish_run (self, task, g_error_new (SD_ERROR, SD_ERROR_INTERNAL,
                                           _("The %s check failed unexpectedly: %s"),
                                           sd_step_id_to_string (step), error->message));
      return;
    }

  if (!st->status_forced)
    st->status = status_from_findings (self, step);
  g_debug ("Step %s: %s in %" G_GINT64_FORMAT " ms", sd_step_id_to_string (step),
           sd_status_to_string (st->status), st->duration_ms);
  g_signal_emit (self, signals[STEP_FINISHED], 0, (guint) step);

  if (step >= self->last)
    {
      finish_run (self, g_steal_pointer (&self->task), NULL);
      return;
    }
  self->current = step + 1;
  run_next_step (self);
}

static void
run_next_step (SdRun *self)
{
  GCancellable *cancellable = g_task_get_cancellable (self->task);
  GError *error = NULL;

  /* Steps already done (the wizard runs pages one by one) stay as they are. */
  while (self->current <= self->last && self->steps[self->current].status != SD_STATUS_PENDING)
    self->current++;

  if (self->current > self->last)
    {
      finish_run (self, g_steal_pointer (&self->task), NULL);
      return;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      finish_cancelled (self, error);
      return;
    }

  self->steps[self->current].start_us = g_get_monotonic_time ();
  g_signal_emit (self, signals[STEP_STARTED], 0, (guint) self->current);
  step_table[self->current].run_async (self, cancellable, step_done_cb, NULL);
}

void
sd_run_execute_async (SdRun               *self,
                      SdStepId             last,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_return_if_fail (SD_IS_RUN (self));
  g_return_if_fail (last < SD_N_STEPS);
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, sd_run_execute_async);

  if (self->start_time == NULL)
    self->start_time = g_date_time_new_now_utc ();

  /* Steps cancelled earlier run again. */
  for (SdStepId s = 0; s <= last; s++)
    if (self->steps[s].cancelled)
      reset_step (self, s);

  /* Parsing the trust store takes longer than a frame: start it now, in a
   * thread, once for the run; DNS, connect and the handshake take longer,
   * so the tls step seldom waits for it. Only when the tls step is to run
   * in this execution (the wizard runs pages one by one). */
  if (last >= SD_STEP_TLS && self->steps[SD_STEP_TLS].status == SD_STATUS_PENDING
      && (self->config->transport == SD_TRANSPORT_AUTO || self->config->transport == SD_TRANSPORT_TLS)
      && self->context->trust_loader == NULL)
    self->context->trust_loader = sd_tls_trust_loader_new (self->config->ca_file, cancellable);

  self->current = 0;
  self->last = last;
  run_next_step (self);
}

gboolean
sd_run_execute_finish (SdRun         *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sd_run_execute_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
sd_run_is_running (SdRun *self)
{
  return self->task != NULL;
}

SdStatus
sd_run_get_step_status (SdRun *self, SdStepId step)
{
  g_return_val_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS, SD_STATUS_PENDING);
  return self->steps[step].status;
}

const char *
sd_run_get_step_reason (SdRun *self, SdStepId step)
{
  g_return_val_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS, NULL);
  return self->steps[step].reason;
}

gint64
sd_run_get_step_duration_ms (SdRun *self, SdStepId step)
{
  g_return_val_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS, 0);
  return self->steps[step].duration_ms;
}

gboolean
sd_run_get_step_cancelled (SdRun *self, SdStepId step)
{
  g_return_val_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS, FALSE);
  return self->steps[step].cancelled;
}

JsonObject *
sd_run_get_step_data (SdRun *self, SdStepId step)
{
  g_return_val_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS, NULL);
  return self->steps[step].data;
}

GPtrArray *
sd_run_get_findings (SdRun *self)
{
  g_return_val_if_fail (SD_IS_RUN (self), NULL);
  return self->findings;
}

GPtrArray *
sd_run_dup_step_findings (SdRun *self, SdStepId step)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) sd_finding_unref);

  for (guint i = 0; i < self->findings->len; i++)
    {
      SdFinding *f = self->findings->pdata[i];
      if (f->step == step)
        g_ptr_array_add (out, sd_finding_ref (f));
    }
  return out;
}

gboolean
sd_run_has_finding (SdRun *self, const char *code)
{
  for (guint i = 0; i < self->findings->len; i++)
    if (g_str_equal (((SdFinding *) self->findings->pdata[i])->code, code))
      return TRUE;
  return FALSE;
}

SdVerdict
sd_run_get_verdict (SdRun *self)
{
  SdVerdict verdict = SD_VERDICT_PASS;

  /* A check that failed fails the run, whether or not it left a finding. */
  for (guint i = 0; i < SD_N_STEPS; i++)
    if (self->steps[i].status == SD_STATUS_FAIL)
      return SD_VERDICT_FAIL;

  for (guint i = 0; i < self->findings->len; i++)
    {
      SdFinding *f = self->findings->pdata[i];
      if (f->severity == SD_SEVERITY_ERROR)
        return SD_VERDICT_FAIL;
      if (f->severity == SD_SEVERITY_WARNING)
        verdict = SD_VERDICT_WARN;
    }
  return verdict;
}

static void
append_codes (GString *out, GPtrArray *findings, SdSeverity severity)
{
  gboolean first = TRUE;

  for (guint i = 0; i < findings->len; i++)
    {
      SdFinding *f = findings->pdata[i];
      if (f->severity != severity)
        continue;
      g_string_append (out, first ? " (" : ", ");
      g_string_append (out, f->code);
      first = FALSE;
    }
  if (!first)
    g_string_append_c (out, ')');
}

char *
sd_run_dup_summary (SdRun *self)
{
  GString *out = g_string_new (NULL);
  g_autofree char *who = NULL;
  guint errors = 0, warnings = 0, skipped = 0, checked = 0;

  g_return_val_if_fail (SD_IS_RUN (self), NULL);

  if (self->context->uri != NULL)
    who = sd_sip_uri_to_aor (self->context->uri);
  else
    who = g_strdup (self->config->address != NULL ? self->config->address : "");

  for (guint i = 0; i < self->findings->len; i++)
    {
      SdFinding *f = self->findings->pdata[i];
      errors += f->severity == SD_SEVERITY_ERROR;
      warnings += f->severity == SD_SEVERITY_WARNING;
    }
  for (guint i = 0; i < SD_N_STEPS; i++)
    {
      /* Pending steps were never asked for (--until, a page not reached): not run either. */
      skipped += self->steps[i].status == SD_STATUS_SKIP || self->steps[i].status == SD_STATUS_PENDING;
      checked += self->steps[i].status == SD_STATUS_PASS || self->steps[i].status == SD_STATUS_WARN
                 || self->steps[i].status == SD_STATUS_FAIL;
    }

  if (errors > 0)
    {
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%s cannot sign in: %u problem",
                                                "%s cannot sign in: %u problems", errors),
                              who, errors);
      append_codes (out, self->findings, SD_SEVERITY_ERROR);
    }
  else if (sd_run_has_finding (self, SD_FINDING_AUTH_OK))
    g_string_append_printf (out, _("%s signed in"), who);
  else
    g_string_append_printf (out, _("%s: no problems found"), who);

  if (warnings > 0)
    {
      g_string_append (out, "; ");
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%u warning", "%u warnings", warnings),
                              warnings);
      append_codes (out, self->findings, SD_SEVERITY_WARNING);
    }
  if (skipped > 0)
    {
      g_string_append (out, "; ");
      g_string_append_printf (out, g_dngettext (GETTEXT_PACKAGE, "%u of %u checks not run",
                                                "%u of %u checks not run", skipped),
                              skipped, (guint) SD_N_STEPS);
    }
  g_string_append_c (out, '.');
  return g_string_free (out, FALSE);
}

SdTrace *
sd_run_get_trace (SdRun *self)
{
  g_return_val_if_fail (SD_IS_RUN (self), NULL);
  return self->trace;
}

SdContext *
sd_run_get_context (SdRun *self)
{
  g_return_val_if_fail (SD_IS_RUN (self), NULL);
  return self->context;
}

GDateTime *
sd_run_get_start_time (SdRun *self)
{
  g_return_val_if_fail (SD_IS_RUN (self), NULL);
  return self->start_time;
}

void
sd_run_add_finding (SdRun *self, SdFinding *finding)
{
  g_return_if_fail (SD_IS_RUN (self));
  g_return_if_fail (finding != NULL);

  g_ptr_array_add (self->findings, sd_finding_ref (finding));
  g_debug ("Finding %s (%s): %s", finding->code, sd_severity_to_string (finding->severity),
           finding->message);
  g_signal_emit (self, signals[FINDING_ADDED], 0, finding);
}

void
sd_run_report (SdRun       *self,
               SdStepId     step,
               const char  *code,
               SdSeverity   severity,
               const char  *message,
               const char  *advice)
{
  g_autoptr(SdFinding) finding = sd_finding_new (code, severity, step, message, advice);

  sd_run_add_finding (self, finding);
}

void
sd_run_set_step_status (SdRun      *self,
                        SdStepId    step,
                        SdStatus    status,
                        const char *reason)
{
  g_return_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS);

  self->steps[step].status = status;
  self->steps[step].status_forced = TRUE;
  self->steps[step].cancelled = FALSE;
  g_free (self->steps[step].reason);
  self->steps[step].reason = g_strdup (reason);
}

void
sd_run_step_progress (SdRun *self, SdStepId step, const char *message)
{
  g_return_if_fail (SD_IS_RUN (self) && step < SD_N_STEPS);
  g_signal_emit (self, signals[STEP_UPDATED], 0, (guint) step, message);
}
