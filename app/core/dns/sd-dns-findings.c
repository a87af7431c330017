/* sd-dns-findings.c: what the dns step says, and what it advises.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "sd-dns"

#include <glib/gi18n-lib.h>
#include "sd-dns-findings.h"
#include "sd-dns-profiles.h"

/* A problem that still leaves servers to try is a warning; the same
 * problem with none left is why the client cannot sign in. */
static SdSeverity
unless_found (const SdDnsFacts *f, SdSeverity otherwise)
{
  return f->have_candidates ? otherwise : SD_SEVERITY_ERROR;
}

static const char *
dot_unless_final (const char *name)
{
  return g_str_has_suffix (name, ".") ? "" : ".";
}

SdFinding *
sd_dns_finding_build (SdDnsFindingKind kind, const SdDnsFacts *f)
{
  const SdDnsProfile *profile = sd_dns_profile_get (f->client);
  const char *code = NULL;
  SdSeverity severity = SD_SEVERITY_ERROR;
  g_autofree char *message = NULL;
  g_autofree char *advice = NULL;

  switch (kind)
    {
    case SD_DNS_FINDING_TIMEOUT:
      {
        const char *who = f->server != NULL ? f->server : _("the DNS servers of this computer");

        code = SD_FINDING_DNS_SERVER_TIMEOUT;
        severity = unless_found (f, SD_SEVERITY_WARNING);
        message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                "No answer from %s within %u s for %u look-up (%s).",
                                                "No answer from %s within %u s for %u look-ups (%s).",
                                                f->count),
                                   who, f->timeout_s, f->count, f->list);
        if (f->server != NULL)
          advice = g_strdup_printf (_("The DNS server %s does not answer. Check that it is the right address, "
                                      "that it is running, and that a firewall lets DNS (UDP and TCP port 53, "
                                      "or the port given) through. Compare with another DNS server using "
                                      "the DNS server option."), who);
        else
          advice = g_strdup (_("The DNS servers of this computer do not answer. Check the network connection "
                               "and this computer's DNS settings, and that a firewall lets DNS (UDP and TCP "
                               "port 53) through. Compare with another DNS server using the DNS server option."));
        break;
      }

    case SD_DNS_FINDING_SERVER_REFUSED:
      code = SD_FINDING_DNS_SERVER_ERROR;
      severity = unless_found (f, SD_SEVERITY_WARNING);
      message = g_strdup (f->error);
      /* TRANSLATORS: the last %s is the control, e.g. "--dns-server" or "the DNS server field". */
      advice = g_strdup_printf (_("The DNS server %s refuses to answer questions about %s: it does not "
                                  "hold that zone and will not look it up for this computer. Use the "
                                  "DNS server your network gives (leave out %s), "
                                  "or ask its administrator to allow look-ups from here."),
                                f->server, f->domain, f->dns_server_control);
      break;

    case SD_DNS_FINDING_SERVER_UNREACHABLE:
      code = SD_FINDING_DNS_SERVER_ERROR;
      severity = unless_found (f, SD_SEVERITY_WARNING);
      message = g_strdup (f->error);
      /* TRANSLATORS: the second %s is the control, e.g. "--dns-server" or "the DNS server field". */
      advice = g_strdup_printf (_("No DNS server runs at %s. Check the address and port of the DNS "
                                  "server, or leave out %s to use this computer's."),
                                f->server, f->dns_server_control);
      break;

    case SD_DNS_FINDING_SERVER_ERROR:
      code = SD_FINDING_DNS_SERVER_ERROR;
      severity = unless_found (f, SD_SEVERITY_WARNING);
      message = g_strdup (f->error);
      /* TRANSLATORS: the last %s is the control, e.g. "--dns-server" or "the DNS server field". */
      advice = g_strdup_printf (_("The DNS server %s could not answer for %s. Ask the DNS administrator "
                                  "to check that server and the zone, or compare with another DNS "
                                  "server given in %s."), f->server, f->domain, f->dns_server_control);
      break;

    case SD_DNS_FINDING_SERVICE_UNAVAILABLE:
      code = SD_FINDING_DNS_SERVICE_UNAVAILABLE;
      severity = unless_found (f, SD_SEVERITY_INFO);
      message = g_strdup_printf (_("The SRV record %s says the service is not available "
                                   "in this domain (its target is \".\")."), f->name);
      advice = g_strdup_printf (_("The DNS administrator of %s has marked this service as "
                                  "switched off. If SIP should work here, replace that "
                                  "record with one naming the SIP server, such as:\n%s. "
                                  "3600 IN SRV 0 0 5061 sip.%s."), f->domain, f->name, f->domain);
      break;

    case SD_DNS_FINDING_SRV_TARGET_UNRESOLVABLE:
      code = SD_FINDING_DNS_SRV_TARGET_UNRESOLVABLE;
      severity = unless_found (f, SD_SEVERITY_WARNING);
      message = g_strdup_printf (_("The SRV record %s points to %s, but %s has no "
                                   "address (no A or AAAA record)."), f->name, f->target, f->target);
      advice = g_strdup_printf (_("Create an A record for %s with the SIP server's "
                                  "address (for example \"%s. 3600 IN A 192.0.2.10\"), "
                                  "or change the SRV record %s to name a host that has one."),
                                f->target, f->target, f->name);
      break;

    case SD_DNS_FINDING_NO_SRV:
      {
        g_autofree char *zone = sd_dns_profile_zone_example (profile, f->domain);

        code = SD_FINDING_DNS_NO_SRV;
        severity = SD_SEVERITY_WARNING;
        message = g_strdup_printf (_("%s has no SIP SRV records; a client finds the server "
                                     "only through the fallback name %s."), f->domain, f->target);
        advice = g_strdup_printf (_("Automatic configuration works here only by luck of "
                                    "the host name, and some clients do not try it. Publish "
                                    "SRV records for %s, for example:\n%s"), f->domain, zone);
        break;
      }

    case SD_DNS_FINDING_SRV_TARGET_CNAME:
      code = SD_FINDING_DNS_SRV_TARGET_CNAME;
      severity = SD_SEVERITY_WARNING;
      message = g_strdup_printf (_("The SRV record %s points to %s, which is an alias (a "
                                   "CNAME record for %s). RFC 2782 forbids this: the "
                                   "target of an SRV record must not be an alias."),
                                 f->name, f->target, f->real_name);
      advice = g_strdup_printf (_("Clients that follow the alias work, but others (and "
                                  "some DNS servers, which leave the alias's addresses "
                                  "out of their answers) find no server. Point the SRV "
                                  "record at the real name instead:\n%s"), f->record);
      break;

    case SD_DNS_FINDING_OTHER_TRANSPORTS:
      {
        const char *service = sd_dns_profile_srv_prefix (profile, f->transport);
        g_autofree char *want_name = g_ascii_strup (sd_transport_to_string (f->transport), -1);
        const char *other = sd_transport_to_string (f->other_transport);

        code = SD_FINDING_DNS_NO_RECORDS_FOR_TRANSPORT;
        severity = SD_SEVERITY_ERROR;
        message = g_strdup_printf (_("%s publishes no record for SIP over %s, the transport asked for, that a "
                                     "client (profile: %s) looks up. It publishes other transports: %s."),
                                   f->domain, want_name, sd_client_profile_title (f->client), f->list);
        if (service != NULL)
          advice = g_strdup_printf (_("If the server takes SIP over %s, ask the DNS administrator of %s to add "
                                      "this record (with the port the server listens on):\n"
                                      "%s.%s. 3600 IN SRV 0 0 %u %s%s\n"
                                      "Otherwise test with a transport that is published (transport %s)."),
                                    want_name, f->domain, service, f->domain,
                                    sd_transport_default_port (f->transport), f->target,
                                    dot_unless_final (f->target), other);
        else
          advice = g_strdup_printf (_("This client (profile: %s) never looks for SIP over %s through DNS. Test "
                                      "with a transport that is published (transport %s)."),
                                    sd_client_profile_title (f->client), want_name, other);
        break;
      }

    case SD_DNS_FINDING_DOMAIN_NOT_FOUND:
      code = SD_FINDING_DNS_DOMAIN_NOT_FOUND;
      severity = SD_SEVERITY_ERROR;
      message = g_strdup_printf (_("The domain %s does not exist in DNS: the DNS server "
                                   "answers \"no such name\" (NXDOMAIN) for the domain "
                                   "itself and for every SIP look-up."), f->domain);
      /* TRANSLATORS: the second %s is the control, e.g. "--server" or "the Server field". */
      advice = g_strdup_printf (_("Check the SIP address for a typo in the part after "
                                  "the @ (%s): a client looks up exactly that domain. If "
                                  "it is right, the domain is not registered or not "
                                  "published in DNS; ask its DNS administrator, or give "
                                  "the server's name or address in %s, "
                                  "which skips automatic configuration."), f->domain, f->server_control);
      break;

    case SD_DNS_FINDING_NO_RECORDS:
      {
        g_autofree char *zone = sd_dns_profile_zone_example (profile, f->domain);

        code = SD_FINDING_DNS_NO_RECORDS;
        severity = SD_SEVERITY_ERROR;
        message = g_strdup_printf (_("The domain %s exists, but no DNS record tells a client "
                                     "(profile: %s) where its SIP server is: every SIP "
                                     "look-up came back empty."),
                                   f->domain, sd_client_profile_title (f->client));
        /* TRANSLATORS: the last %s is the control, e.g. "--server" or "the Server field". */
        advice = g_strdup_printf (_("Either ask the DNS administrator of %s to create the "
                                    "records clients look for, such as these (with your "
                                    "server's name and address):\n%s\nor give the server's "
                                    "name or address in %s, which skips "
                                    "automatic configuration."), f->domain, zone, f->server_control);
        break;
      }

    case SD_DNS_FINDING_STRICT_NAMING:
      code = SD_FINDING_DNS_STRICT_NAMING;
      severity = f->strict_dns_naming ? SD_SEVERITY_ERROR : SD_SEVERITY_WARNING;
      if (profile->naming == SD_DNS_NAMING_IN_DOMAIN)
        message = g_strdup_printf (_("The SRV record %s points to %s, which is outside the SIP domain %s. "
                                     "With strict DNS naming a client accepts only a server inside the "
                                     "SIP domain when it finds it automatically, so it will not sign in."),
                                   f->name, f->list, f->domain);
      else
        message = g_strdup_printf (_("The SRV record %s points to %s, which is neither %s nor sip.%s. "
                                     "With strict DNS naming (High Security Mode) a client accepts only "
                                     "those two names for a TLS server found automatically, so it will "
                                     "not sign in."),
                                   f->name, f->list, f->domain, f->domain);
      advice = g_strdup_printf (_("Best fix: give the server a name inside the SIP domain, such as "
                                  "sip.%s (an A record), get it a certificate for that name, and point "
                                  "%s at it. Workaround on each client computer: enable the Group "
                                  "Policy \"Allow Additional DNS Names\" (rtclient.adm), or create the "
                                  "registry value DisableStrictDNSNaming (DWORD) = 1 under "
                                  "HKLM\\Software\\Policies\\Microsoft\\Messenger\\Client\\"
                                  "{83D4679F-B6D7-11D2-BF36-00C04FB90A03}\\_Default, then sign out and "
                                  "exit the client. That makes the client ignore the server name, which "
                                  "weakens its protection: prefer the fix."),
                                f->domain, f->name);
      break;

    case SD_DNS_FINDING_HOST_UNRESOLVABLE:
      code = SD_FINDING_DNS_NO_RECORDS;
      severity = SD_SEVERITY_ERROR;
      message = g_strdup_printf (_("The server name %s does not resolve: there is "
                                   "no A or AAAA record for it."), f->target);
      advice = g_strdup_printf (_("Check the spelling of the server name. If it is "
                                  "right, ask the DNS administrator to create an A "
                                  "record for it (for example \"%s. 3600 IN A "
                                  "192.0.2.10\"), or type the server's IP address "
                                  "instead to test without DNS."), f->target);
      break;

    case SD_DNS_FINDING_TOO_MANY_RECORDS:
      code = SD_FINDING_DNS_TOO_MANY_RECORDS;
      severity = SD_SEVERITY_WARNING;
      message = g_strdup_printf (_("The DNS records of %s name far more servers than a client would try, so "
                                   "this check kept only the first ones in the client's order: %s."),
                                 f->name, f->list);
      advice = g_strdup_printf (_("A SIP service needs a few SRV records per service and a few addresses per "
                                  "server. Ask the DNS administrator of %s to look for records created by "
                                  "mistake (a script run twice, a wildcard) and remove them: a client that must "
                                  "work through so many servers signs in slowly or gives up."), f->name);
      break;

    case SD_DNS_FINDING_LOCAL_RESOURCES:
      code = SD_FINDING_DNS_LOCAL_RESOURCES;
      severity = SD_SEVERITY_ERROR;
      message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "This computer ran out of resources, so %u DNS look-up "
                                              "could not be made (%s). This says nothing about the DNS "
                                              "server or the zone.",
                                              "This computer ran out of resources, so %u DNS look-ups "
                                              "could not be made (%s). This says nothing about the DNS "
                                              "server or the zone.", f->count),
                                 f->count, f->error);
      advice = g_strdup (_("Close programs that are not needed, or raise this computer's limit of open files "
                           "(for example \"ulimit -n 4096\" in the shell that starts the check), then run the "
                           "check again."));
      break;

    default:
      g_return_val_if_reached (NULL);
    }

  return sd_finding_new (code, severity, SD_STEP_DNS, message, advice);
}
