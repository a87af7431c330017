/* sd-step-uri.c: the first step: the SIP address and the sign-in name.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-step-uri"

#include <glib/gi18n-lib.h>
#include "sd-steps.h"

void
sd_step_uri_run_async (SdRun               *run,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (run, cancellable, callback, user_data);
  const SdConfig *config = sd_run_get_config (run);
  SdContext *ctx = sd_run_get_context (run);
  JsonObject *data = sd_run_get_step_data (run, SD_STEP_URI);
  g_autoptr(GError) error = NULL;
  g_autoptr(SdSipUri) uri = NULL;
  g_autoptr(SdSignIn) sign_in = NULL;

  g_task_set_source_tag (task, sd_step_uri_run_async);

  json_object_set_string_member (data, "given", config->address != NULL ? config->address : "");

  uri = sd_sip_uri_parse (config->address, &error);
  if (uri == NULL)
    {
      json_object_set_string_member (data, "error", error->message);
      sd_run_report (run, SD_STEP_URI, SD_FINDING_URI_INVALID, SD_SEVERITY_ERROR, error->message,
                     _("Type the SIP address you sign in with, as your administrator gave it: "
                       "user@domain, such as alice@example.com (sip: in front is optional)."));
      g_task_return_boolean (task, TRUE);
      return;
    }

  sign_in = sd_sign_in_parse (config->sign_in, uri, &error);
  if (sign_in == NULL)
    {
      json_object_set_string_member (data, "error", error->message);
      sd_run_report (run, SD_STEP_URI, SD_FINDING_URI_INVALID, SD_SEVERITY_ERROR, error->message,
                     _("Use DOMAIN\\user for a Windows (NTLM) sign-in, user@domain for Kerberos or "
                       "Digest, or leave the sign-in name empty to use the SIP address."));
      g_task_return_boolean (task, TRUE);
      return;
    }

  {
    g_autofree char *canonical = sd_sip_uri_to_string (uri);
    g_autofree char *aor = sd_sip_uri_to_aor (uri);
    JsonObject *params = json_object_new ();
    JsonObject *si = json_object_new ();

    json_object_set_string_member (data, "address", canonical);
    json_object_set_string_member (data, "aor", aor);
    json_object_set_string_member (data, "scheme", uri->scheme);
    json_object_set_string_member (data, "user", uri->user);
    json_object_set_string_member (data, "host", uri->host);
    json_object_set_boolean_member (data, "host_is_ip", uri->host_is_ip);
    if (uri->port != 0)
      json_object_set_int_member (data, "port", uri->port);
    else
      json_object_set_null_member (data, "port");
    for (guint i = 0; uri->param_names[i] != NULL; i++)
      json_object_set_string_member (params, uri->param_names[i], uri->param_values[i]);
    json_object_set_object_member (data, "params", params);
    json_object_set_string_member (data, "domain", uri->host);

    json_object_set_string_member (si, "given", sign_in->given);
    json_object_set_string_member (si, "style", sd_sign_in_style_to_string (sign_in->style));
    json_object_set_string_member (si, "user", sign_in->user);
    if (sign_in->domain != NULL)
      json_object_set_string_member (si, "domain", sign_in->domain);
    if (sign_in->realm != NULL)
      json_object_set_string_member (si, "realm", sign_in->realm);
    json_object_set_object_member (data, "sign_in", si);
  }

  if (g_str_equal (uri->scheme, "sips") && sd_run_get_config (run)->transport != SD_TRANSPORT_AUTO
      && sd_run_get_config (run)->transport != SD_TRANSPORT_TLS)
    /* An error, not a warning: a sips: address is never signed in over
     * anything but TLS (RFC 3261, 26.2.2), so the sip and auth steps send
     * nothing for it over the transport chosen. */
    sd_run_report (run, SD_STEP_URI, SD_FINDING_URI_SIPS_NEEDS_TLS, SD_SEVERITY_ERROR,
                   _("The address starts with sips:, which requires TLS, but another transport was chosen."),
                   _("Choose TLS as the transport, or use a sip: address."));

  ctx->domain = g_strdup (uri->host);
  ctx->uri = g_steal_pointer (&uri);
  ctx->sign_in = g_steal_pointer (&sign_in);
  g_task_return_boolean (task, TRUE);
}

gboolean
sd_step_uri_run_finish (SdRun         *run,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
