/**
 * @file ruuvi_settings.h
 * The gateway's settings (menuconfig, "iotpipe Ruuvi gateway"), checked at start before
 * anything connects: a bad value is refused with the setting's name and the reason, instead of
 * being cut short or ignored. menuconfig already bounds the numbers; the strings and the
 * relations between settings are checked here.
 */
#ifndef RUUVI_SETTINGS_H
#define RUUVI_SETTINGS_H

#include "ruuvi_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Wi-Fi limits (IEEE 802.11 and WPA2-Personal); the ESP-IDF station config has room for them. */
#define RUUVI_WIFI_SSID_MAX           (32U)
#define RUUVI_WIFI_PASSPHRASE_MIN     (8U)
#define RUUVI_WIFI_PASSPHRASE_MAX     (63U)
#define RUUVI_WIFI_PSK_HEX_LEN        (64U)

typedef struct
{
    const char * wifi_ssid;
    const char * wifi_password;
    const char * mqtt_url;
    const char * mqtt_username;
    const char * mqtt_password;
    const char * topic_prefix;
    const char * tag_allowlist;
    uint32_t     backoff_initial_ms;
    uint32_t     backoff_max_ms;
} ruuvi_settings_t;

typedef struct
{
    const char * setting; /**< e.g. "IOTPIPE_WIFI_SSID" (menuconfig shows CONFIG_<setting>) */
    char         reason[96];
} ruuvi_settings_error_t;

/**
 * Checks every setting and parses the allow-list into p_allow (storage for capacity MACs, the
 * tag limit). RUUVI_OK, or RUUVI_ERR_INVALID_SETTING with *p_error naming the first bad
 * setting and why (RUUVI_ERR_NULL for NULL arguments).
 */
ruuvi_err_t ruuvi_settings_check (const ruuvi_settings_t * p_settings, ruuvi_allowlist_t * p_allow,
                                  uint8_t (*p_allow_storage)[RUUVI_MAC_LEN], size_t capacity,
                                  ruuvi_settings_error_t * p_error);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_SETTINGS_H */
