/**
 * @file ruuvi_settings.c
 * Start-up check of the gateway's settings (see ruuvi_settings.h).
 */
#include "ruuvi_settings.h"
#include "ruuvi_gateway.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
static ruuvi_err_t refuse (ruuvi_settings_error_t * p_error, const char * setting, const char * fmt, ...)
__attribute__ ( (format (printf, 3, 4)));
#endif

static ruuvi_err_t refuse (ruuvi_settings_error_t * p_error, const char * setting, const char * fmt, ...)
{
    p_error->setting = setting;
    va_list ap;
    va_start (ap, fmt);
    (void) vsnprintf (p_error->reason, sizeof (p_error->reason), fmt, ap);
    va_end (ap);
    return RUUVI_ERR_INVALID_SETTING;
}

static bool all_hex (const char * s)
{
    for (; '\0' != *s; s++)
    {
        if (!isxdigit ( (unsigned char) *s))
        {
            return false;
        }
    }
    return true;
}

static bool starts_with (const char * s, const char * prefix)
{
    return 0 == strncmp (s, prefix, strlen (prefix));
}

static ruuvi_err_t check_wifi (const ruuvi_settings_t * p_s, ruuvi_settings_error_t * p_error)
{
    const size_t ssid = strlen (p_s->wifi_ssid);
    if (0U == ssid)
    {
        return refuse (p_error, "IOTPIPE_WIFI_SSID", "is empty");
    }
    if (ssid > RUUVI_WIFI_SSID_MAX)
    {
        return refuse (p_error, "IOTPIPE_WIFI_SSID", "is %u bytes; an SSID has at most %u", (unsigned) ssid,
                       (unsigned) RUUVI_WIFI_SSID_MAX);
    }
    const size_t password = strlen (p_s->wifi_password);
    const bool open = 0U == password;
    const bool passphrase = password >= RUUVI_WIFI_PASSPHRASE_MIN && password <= RUUVI_WIFI_PASSPHRASE_MAX;
    const bool psk = RUUVI_WIFI_PSK_HEX_LEN == password && all_hex (p_s->wifi_password);
    if (!open && !passphrase && !psk)
    {
        return refuse (p_error, "IOTPIPE_WIFI_PASSWORD",
                       "is %u characters; WPA2 needs 8 to 63 (or 64 hex digits), empty for an open network",
                       (unsigned) password);
    }
    return RUUVI_OK;
}

static ruuvi_err_t check_mqtt (const ruuvi_settings_t * p_s, ruuvi_settings_error_t * p_error)
{
    const char * url = p_s->mqtt_url;
    const char * host = NULL;
    if (starts_with (url, "mqtt://"))
    {
        host = url + strlen ("mqtt://");
    }
    else if (starts_with (url, "mqtts://"))
    {
        host = url + strlen ("mqtts://");
    }
    if (NULL == host)
    {
        return refuse (p_error, "IOTPIPE_MQTT_URL", "must start with mqtt:// or mqtts://");
    }
    if ('\0' == *host || ':' == *host || '/' == *host)
    {
        return refuse (p_error, "IOTPIPE_MQTT_URL", "has no host");
    }
    if ('\0' == p_s->mqtt_username[0] && '\0' != p_s->mqtt_password[0])
    {
        return refuse (p_error, "IOTPIPE_MQTT_USERNAME", "is empty while a password is set");
    }
    const char * prefix = p_s->topic_prefix;
    const size_t len = strlen (prefix);
    if (0U == len)
    {
        return refuse (p_error, "IOTPIPE_MQTT_TOPIC_PREFIX", "is empty");
    }
    if (len > RUUVI_TOPIC_PREFIX_MAX)
    {
        return refuse (p_error, "IOTPIPE_MQTT_TOPIC_PREFIX", "is %u bytes; at most %u", (unsigned) len,
                       (unsigned) RUUVI_TOPIC_PREFIX_MAX);
    }
    if (NULL != strpbrk (prefix, "+#") || '$' == prefix[0])
    {
        return refuse (p_error, "IOTPIPE_MQTT_TOPIC_PREFIX", "holds a wildcard (+ #) or starts with $");
    }
    if ('/' == prefix[0] || '/' == prefix[len - 1U] || NULL != strstr (prefix, "//"))
    {
        return refuse (p_error, "IOTPIPE_MQTT_TOPIC_PREFIX", "has an empty topic level (a leading, trailing or double /)");
    }
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_settings_check (const ruuvi_settings_t * p_settings, ruuvi_allowlist_t * p_allow,
                                  uint8_t (*p_allow_storage)[RUUVI_MAC_LEN], size_t capacity,
                                  ruuvi_settings_error_t * p_error)
{
    if (NULL == p_settings || NULL == p_allow || NULL == p_error || NULL == p_settings->wifi_ssid
        || NULL == p_settings->wifi_password || NULL == p_settings->mqtt_url || NULL == p_settings->mqtt_username
        || NULL == p_settings->mqtt_password || NULL == p_settings->topic_prefix
        || NULL == p_settings->tag_allowlist)
    {
        return RUUVI_ERR_NULL;
    }
    p_error->setting = NULL;
    p_error->reason[0] = '\0';
    ruuvi_err_t err = check_wifi (p_settings, p_error);
    if (RUUVI_OK == err)
    {
        err = check_mqtt (p_settings, p_error);
    }
    if (RUUVI_OK == err && p_settings->backoff_initial_ms > p_settings->backoff_max_ms)
    {
        err = refuse (p_error, "IOTPIPE_BACKOFF_INITIAL_MS", "(%lu) is above IOTPIPE_BACKOFF_MAX_MS (%lu)",
                      (unsigned long) p_settings->backoff_initial_ms, (unsigned long) p_settings->backoff_max_ms);
    }
    if (RUUVI_OK == err)
    {
        const ruuvi_err_t parsed = ruuvi_allowlist_parse (p_allow, p_allow_storage, capacity, p_settings->tag_allowlist);
        if (RUUVI_ERR_NO_SPACE == parsed)
        {
            err = refuse (p_error, "IOTPIPE_TAG_ALLOWLIST", "lists more tags than MAX_RUUVITAGS (%u)",
                          (unsigned) capacity);
        }
        else if (RUUVI_OK != parsed)
        {
            err = refuse (p_error, "IOTPIPE_TAG_ALLOWLIST",
                          "is not a list of MACs like AA:BB:CC:DD:EE:FF, separated by commas (%s)",
                          ruuvi_err_name (parsed));
        }
    }
    return err;
}
