/**
 * @file main.c
 * iotpipe Ruuvi gateway: scans BLE for RuuviTags and relays their advertisements over MQTT in
 * the official Ruuvi Gateway format (topic <prefix>/<gw MAC>/<tag MAC>, raw "data" hex).
 */
#include "gw.h"

#include "esp_log.h"
#include "esp_mac.h"
#include "nvs_flash.h"
#include "sdkconfig.h"

static const char * TAG = "iotpipe_gw";

uint32_t gw_backoff_ms (uint32_t attempt)
{
    return ruuvi_backoff_ms (attempt, (uint32_t) CONFIG_IOTPIPE_BACKOFF_INITIAL_MS,
                             (uint32_t) CONFIG_IOTPIPE_BACKOFF_MAX_MS);
}

void app_main (void)
{
    esp_err_t err = nvs_flash_init ();
    if (ESP_ERR_NVS_NO_FREE_PAGES == err || ESP_ERR_NVS_NEW_VERSION_FOUND == err)
    {
        ESP_ERROR_CHECK (nvs_flash_erase ());
        err = nvs_flash_init ();
    }
    ESP_ERROR_CHECK (err);

    uint8_t gw_mac[RUUVI_MAC_LEN];
    ESP_ERROR_CHECK (esp_read_mac (gw_mac, ESP_MAC_WIFI_STA));
    ESP_LOGI (TAG, "gateway %02X:%02X:%02X:%02X:%02X:%02X, tag limit %d, offline buffer %d packets", gw_mac[0],
              gw_mac[1], gw_mac[2], gw_mac[3], gw_mac[4], gw_mac[5], CONFIG_MAX_RUUVITAGS,
              CONFIG_IOTPIPE_OFFLINE_BUFFER_PACKETS);

    gw_relay_start (gw_mac);
    gw_net_start (gw_mac);
    gw_ble_start ();
}
