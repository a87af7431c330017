/* sd-dns-wire.h: DNS messages on the wire (RFC 1035, 2782, 3403, 3596).
 *
 * Builds one query and parses one response. The parser never trusts the
 * bytes: every read is bounds-checked, name compression pointers must point
 * strictly backwards (so no loop is possible), names are limited to 255
 * octets, and a count larger than the message can hold fails cleanly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SD_DNS_ERROR (sd_dns_error_quark ())
GQuark sd_dns_error_quark (void);

/**
 * SdDnsError:
 * @SD_DNS_ERROR_INVALID_NAME: the name cannot be put in a query
 * @SD_DNS_ERROR_MALFORMED: the response is not a well-formed DNS message
 */
typedef enum {
  SD_DNS_ERROR_INVALID_NAME,
  SD_DNS_ERROR_MALFORMED,
} SdDnsError;

typedef enum {
  SD_DNS_TYPE_A     = 1,
  SD_DNS_TYPE_CNAME = 5,
  SD_DNS_TYPE_SOA   = 6,   /* asked only to learn whether a domain exists */
  SD_DNS_TYPE_AAAA  = 28,
  SD_DNS_TYPE_SRV   = 33,
  SD_DNS_TYPE_NAPTR = 35,
} SdDnsType;

#define SD_DNS_CLASS_IN 1
#define SD_DNS_HEADER_SIZE 12
#define SD_DNS_MAX_NAME 255      /* octets on the wire */
#define SD_DNS_MAX_NAME_TEXT 1024 /* presentation form, escapes included */

typedef struct {
  char         *name;       /* owner, presentation form, no final dot */
  guint16       type;
  guint16       klass;
  guint32       ttl;
  GInetAddress *address;    /* A, AAAA */
  char         *target;     /* SRV target, CNAME target, NAPTR replacement ("." kept as ".") */
  guint16       priority;   /* SRV */
  guint16       weight;     /* SRV */
  guint16       port;       /* SRV */
  guint16       order;      /* NAPTR */
  guint16       preference; /* NAPTR */
  char         *flags;      /* NAPTR */
  char         *service;    /* NAPTR */
  char         *regexp;     /* NAPTR */
} SdDnsRecord;

typedef struct {
  guint16    id;
  guint16    flags;          /* the whole second header word */
  gboolean   is_response;    /* QR */
  gboolean   truncated;      /* TC */
  guint      rcode;          /* low 4 bits */
  guint      qdcount;
  char      *qname;          /* first question, or NULL */
  guint16    qtype;
  guint16    qclass;
  GPtrArray *answers;        /* SdDnsRecord*, answer section only; unknown types kept with no data */
} SdDnsMessage;

/* "SRV", "A", …; NULL for a type this parser does not know. */
const char   *sd_dns_type_to_string (guint16 type);
gboolean      sd_dns_type_from_string (const char *str, guint16 *out);
/* The RCODEs the engine tells apart (RFC 1035 4.1.1). */
typedef enum {
  SD_DNS_RCODE_NOERROR  = 0,
  SD_DNS_RCODE_FORMERR  = 1,
  SD_DNS_RCODE_SERVFAIL = 2,
  SD_DNS_RCODE_NXDOMAIN = 3,
  SD_DNS_RCODE_NOTIMP   = 4,
  SD_DNS_RCODE_REFUSED  = 5,
} SdDnsRcode;

/* "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", else "RCODE<n>" (static for 0..5). */
const char   *sd_dns_rcode_to_string (guint rcode);

/* A standard query, recursion desired. @name may end with a dot. */
GBytes       *sd_dns_build_query (guint16      id,
                                  const char  *name,
                                  guint16      type,
                                  GError     **error);

/* Reads the 12-byte header only (enough to match an ID). */
gboolean      sd_dns_peek_header (const guint8 *data,
                                  gsize         len,
                                  guint16      *id,
                                  gboolean     *is_response);

SdDnsMessage *sd_dns_message_parse (const guint8  *data,
                                    gsize          len,
                                    GError       **error);
void          sd_dns_message_free (SdDnsMessage *message);

SdDnsRecord  *sd_dns_record_copy (const SdDnsRecord *record);
void          sd_dns_record_free (SdDnsRecord *record);

/* Compares names ignoring ASCII case and a final dot. */
gboolean      sd_dns_name_equal (const char *a, const char *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdDnsMessage, sd_dns_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SdDnsRecord, sd_dns_record_free)

G_END_DECLS
