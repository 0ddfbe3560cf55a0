/**
 * @file main.c
 * iotpipe Ruuvi gateway: scans BLE for RuuviTags and relays their advertisements over MQTT in
 * the official Ruuvi Gateway format (topic <prefix>/<gw MAC>/<tag MAC>, raw "data" hex).
 * The settings are checked before anything starts: a bad one stops the gateway with a message.
 */
#include "gw.h"

#include "esp_log.h"
#include "esp_mac.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "nvs_flash.h"
#include "ruuvi_settings.h"
#include "sdkconfig.h"

#define GW_REFUSAL_REPEAT_MS (10000U)

static const char * TAG = "iotpipe_gw";

static uint8_t s_allow_storage[CONFIG_MAX_RUUVITAGS][RUUVI_MAC_LEN];
static ruuvi_allowlist_t s_allow;

uint64_t gw_now_ms (void)
{
    return (uint64_t) esp_timer_get_time () / 1000U;
}

/** Never returns: nothing is started, and the reason is repeated for a monitor attached later. */
static void refuse_to_start (const ruuvi_settings_error_t * p_error)
{
    for (;;)
    {
        ESP_LOGE (TAG, "CONFIG_%s %s. Nothing started: fix it with idf.py menuconfig "
                  "(iotpipe Ruuvi gateway), then build and flash again.", p_error->setting, p_error->reason);
        vTaskDelay (pdMS_TO_TICKS (GW_REFUSAL_REPEAT_MS));
    }
}

void app_main (void)
{
    const ruuvi_settings_t settings = {
        .wifi_ssid = CONFIG_IOTPIPE_WIFI_SSID,
        .wifi_password = CONFIG_IOTPIPE_WIFI_PASSWORD,
        .mqtt_url = CONFIG_IOTPIPE_MQTT_URL,
        .mqtt_username = CONFIG_IOTPIPE_MQTT_USERNAME,
        .mqtt_password = CONFIG_IOTPIPE_MQTT_PASSWORD,
        .topic_prefix = CONFIG_IOTPIPE_MQTT_TOPIC_PREFIX,
        .tag_allowlist = CONFIG_IOTPIPE_TAG_ALLOWLIST,
        .backoff_initial_ms = CONFIG_IOTPIPE_BACKOFF_INITIAL_MS,
        .backoff_max_ms = CONFIG_IOTPIPE_BACKOFF_MAX_MS,
    };
    ruuvi_settings_error_t refusal;
    if (RUUVI_OK != ruuvi_settings_check (&settings, &s_allow, s_allow_storage, CONFIG_MAX_RUUVITAGS, &refusal))
    {
        refuse_to_start (&refusal);
    }

    esp_err_t err = nvs_flash_init ();
    if (ESP_ERR_NVS_NO_FREE_PAGES == err || ESP_ERR_NVS_NEW_VERSION_FOUND == err)
    {
        ESP_ERROR_CHECK (nvs_flash_erase ());
        err = nvs_flash_init ();
    }
    ESP_ERROR_CHECK (err);

    uint8_t gw_mac[RUUVI_MAC_LEN];
    ESP_ERROR_CHECK (esp_read_mac (gw_mac, ESP_MAC_WIFI_STA));
    char gw[RUUVI_MAC_STR_LEN];
    (void) ruuvi_mac_format (gw_mac, gw, sizeof (gw));
    ESP_LOGI (TAG, "gateway %s (%s), tag limit %d, allow-list %u MACs (0: every RuuviTag), offline buffer %d packets",
              gw, IDF_VER, CONFIG_MAX_RUUVITAGS, (unsigned) s_allow.count, CONFIG_IOTPIPE_OFFLINE_BUFFER_PACKETS);

    /* The relay's queues first: the scanner submits to them, the MQTT client acknowledges into
     * them. Until the others have started, the relay finds no link and no counters. */
    gw_relay_start (gw_mac);
    gw_net_start (gw_mac);
    gw_ble_start (&s_allow);
}
