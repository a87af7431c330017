/* sd-page.h: the base of every page of the wizard.
 *
 * Modelled on gnome-initial-setup's GisPage: a page is "complete" when the
 * assistant may move on, and "applying" while its async, cancellable work
 * runs (the assistant then shows progress and a working Cancel).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include "sipdoctor.h"

G_BEGIN_DECLS

#define SD_TYPE_PAGE (sd_page_get_type ())
G_DECLARE_DERIVABLE_TYPE (SdPage, sd_page, SD, PAGE, GtkBin)

/* No step: the page runs nothing on entry. */
#define SD_PAGE_NO_STEP (-1)

struct _SdPageClass
{
  GtkBinClass parent_class;

  /* Runs the page's work. The default runs the page's run up to its last
   * step (SdPage:last-step); pages without a step complete at once. */
  void     (*run_async)   (SdPage              *page,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data);
  gboolean (*run_finish)  (SdPage        *page,
                           GAsyncResult  *result,
                           GError       **error);
  /* The page's inputs into @config (Account and Server pages). */
  void     (*fill_config) (SdPage   *page,
                           SdConfig *config);
  /* Writes the page's inputs to @settings (never the password). */
  void     (*remember)    (SdPage    *page,
                           GSettings *settings);
  /* The run changed: a new one, or NULL. Forget what came from the old
   * one; refresh follows. */
  void     (*run_changed) (SdPage *page);
  /* Re-render from the run (NULL before the first): called at most once
   * per main loop iteration after the run changed, made progress or found
   * something. The page's steps and findings lists are already filled. */
  void     (*refresh)     (SdPage *page);
  /* The page became the visible one. */
  void     (*shown)       (SdPage *page);

  gpointer padding[7];
};

const char *sd_page_get_title       (SdPage *self);
void        sd_page_set_title       (SdPage *self, const char *title);
gboolean    sd_page_get_complete    (SdPage *self);
void        sd_page_set_complete    (SdPage *self, gboolean complete);
gboolean    sd_page_get_applying    (SdPage *self);
int         sd_page_get_last_step   (SdPage *self);
void        sd_page_set_last_step   (SdPage *self, int last_step);
SdRun      *sd_page_get_run         (SdPage *self);
void        sd_page_set_run         (SdPage *self, SdRun *run);

/* The lists the page shows its checks and their findings in: the steps
 * from @first_step to the page's last step. SdPage fills them on every
 * refresh and shows @findings_box only when there is a finding. */
void        sd_page_set_step_views  (SdPage     *self,
                                     SdStepId    first_step,
                                     GtkListBox *steps_list,
                                     GtkWidget  *findings_box,
                                     GtkListBox *findings_list);
/* Asks for a refresh (coalesced) for a change the run does not signal. */
void        sd_page_queue_refresh   (SdPage *self);

void        sd_page_run_async       (SdPage              *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean    sd_page_run_finish      (SdPage        *self,
                                     GAsyncResult  *result,
                                     GError       **error);
void        sd_page_fill_config     (SdPage *self, SdConfig *config);
void        sd_page_remember        (SdPage *self, GSettings *settings);
void        sd_page_shown           (SdPage *self);

G_END_DECLS
