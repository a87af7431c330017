/* sd-finding-row.c: one finding in a list: icon, what is wrong, what to do.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include "sd-finding-row.h"
#include "sd-gui-util.h"

struct _SdFindingRow {
  GtkListBoxRow  parent_instance;

  SdFinding     *finding;

  GtkImage      *icon;
  GtkLabel      *message_label;
  GtkLabel      *advice_label;
  GtkLabel      *code_label;
};

G_DEFINE_FINAL_TYPE (SdFindingRow, sd_finding_row, GTK_TYPE_LIST_BOX_ROW)

static void
sd_finding_row_finalize (GObject *object)
{
  SdFindingRow *self = SD_FINDING_ROW (object);

  g_clear_pointer (&self->finding, sd_finding_unref);
  G_OBJECT_CLASS (sd_finding_row_parent_class)->finalize (object);
}

static void
sd_finding_row_class_init (SdFindingRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sd_finding_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/sipdoctor/SipDoctor/sd-finding-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SdFindingRow, icon);
  gtk_widget_class_bind_template_child (widget_class, SdFindingRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, SdFindingRow, advice_label);
  gtk_widget_class_bind_template_child (widget_class, SdFindingRow, code_label);
}

static void
sd_finding_row_init (SdFindingRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

SdFindingRow *
sd_finding_row_new (SdFinding *finding)
{
  SdFindingRow *self;
  GtkStyleContext *ctx;
  g_autofree char *code = NULL;
  const char *kind;

  g_return_val_if_fail (finding != NULL, NULL);

  self = g_object_new (SD_TYPE_FINDING_ROW, NULL);
  self->finding = sd_finding_ref (finding);

  gtk_image_set_from_icon_name (self->icon, sd_gui_severity_icon_name (finding->severity),
                                GTK_ICON_SIZE_LARGE_TOOLBAR);
  ctx = gtk_widget_get_style_context (GTK_WIDGET (self->icon));
  switch (finding->severity)
    {
    case SD_SEVERITY_ERROR: gtk_style_context_add_class (ctx, "sd-error"); kind = _("Problem"); break;
    case SD_SEVERITY_WARNING: gtk_style_context_add_class (ctx, "sd-warning"); kind = _("Warning"); break;
    case SD_SEVERITY_INFO: default: gtk_style_context_add_class (ctx, "sd-info"); kind = _("Note"); break;
    }
  /* A success is a note too, but should look like one. */
  if (g_str_equal (finding->code, SD_FINDING_AUTH_OK))
    {
      gtk_image_set_from_icon_name (self->icon, "emblem-ok-symbolic", GTK_ICON_SIZE_LARGE_TOOLBAR);
      gtk_style_context_add_class (ctx, "sd-ok");
      kind = _("Success");
    }
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->icon)), kind);

  /* The engine writes instants in ISO 8601 UTC (the report keeps them);
   * a person reads them in local time, with the exact one on hover. */
  sd_gui_label_set_message (self->message_label, finding->message);
  if (finding->advice != NULL && *finding->advice != '\0')
    {
      g_autofree char *advice = sd_gui_display_text (finding->advice);
      gtk_label_set_text (self->advice_label, advice);
    }
  else
    gtk_widget_hide (GTK_WIDGET (self->advice_label));
  /* Translators: %s is a stable finding code such as tls.expired, read out to support staff */
  code = g_strdup_printf (_("Code: %s"), finding->code);
  gtk_label_set_text (self->code_label, code);
  return self;
}

SdFinding *
sd_finding_row_get_finding (SdFindingRow *self)
{
  g_return_val_if_fail (SD_IS_FINDING_ROW (self), NULL);
  return self->finding;
}
