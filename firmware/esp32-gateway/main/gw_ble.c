/**
 * @file gw_ble.c
 * NimBLE passive scan. Each advertisement goes to the scanner (ruuvi_scan, in the core), which
 * says whether it is a new measurement of an allowed RuuviTag; those are queued to the relay
 * task. The scanner runs in the NimBLE host task; the relay task reads its counters for the
 * status message, so both take s_scan_lock (held briefly, never while waiting on anything).
 */
#include "gw.h"

#include <string.h>
#include <time.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "host/ble_gap.h"
#include "host/ble_hs.h"
#include "host/util/util.h"
#include "nimble/nimble_port.h"
#include "nimble/nimble_port_freertos.h"
#include "sdkconfig.h"

#define GW_TAG_FORGET_MS ((uint32_t) CONFIG_IOTPIPE_TAG_FORGET_S * 1000U)
#if CONFIG_BT_NIMBLE_EXT_ADV
#define GW_SCAN_KIND "legacy and extended"
#else
#define GW_SCAN_KIND "legacy"
#endif

static const char * TAG = "gw_ble";

static ruuvi_tag_entry_t s_tags[CONFIG_MAX_RUUVITAGS];
static ruuvi_scan_t s_scan;
static SemaphoreHandle_t s_scan_lock;
static uint8_t s_own_addr_type;

static int gap_event (struct ble_gap_event * event, void * arg);

static void handle_advertisement (const uint8_t addr_le[RUUVI_MAC_LEN], const uint8_t * data, uint8_t len,
                                  int8_t rssi)
{
    const int64_t ts = gw_net_time_synced () ? (int64_t) time (NULL) : RUUVI_TIMESTAMP_NONE;
    ruuvi_packet_t packet;
    xSemaphoreTake (s_scan_lock, portMAX_DELAY);
    const ruuvi_scan_verdict_t verdict
        = ruuvi_scan_advertisement (&s_scan, addr_le, data, len, rssi, ts, gw_now_ms (), &packet);
    if (RUUVI_SCAN_RELAY == verdict && !gw_relay_submit (&packet))
    {
        ruuvi_scan_not_queued (&s_scan, &packet);
    }
    xSemaphoreGive (s_scan_lock);
}

void gw_ble_counters (ruuvi_scan_stats_t * p_stats, uint32_t * p_tags)
{
    memset (p_stats, 0, sizeof (*p_stats));
    *p_tags = 0;
    if (NULL == s_scan_lock)
    {
        return; /* asked before gw_ble_start() ran */
    }
    xSemaphoreTake (s_scan_lock, portMAX_DELAY);
    *p_stats = s_scan.stats;
    *p_tags = (uint32_t) ruuvi_scan_tags (&s_scan, gw_now_ms ());
    xSemaphoreGive (s_scan_lock);
}

static void start_scan (void)
{
#if CONFIG_BT_NIMBLE_EXT_ADV
    /* BLE 5 chips (ESP32-C3/S3/C6): extended scanning also receives Ruuvi Air's E1 packets;
     * legacy advertisements arrive as extended reports too. */
    const struct ble_gap_ext_disc_params uncoded = { .itvl = 0, .window = 0, .passive = 1 };
    const int rc = ble_gap_ext_disc (s_own_addr_type, 0, 0, 0, 0, 0, &uncoded, NULL, gap_event, NULL);
#else
    struct ble_gap_disc_params params;
    memset (&params, 0, sizeof (params));
    params.passive = 1;           /* RuuviTags need no scan requests */
    params.filter_duplicates = 0; /* every measurement, de-duplicated by ruuvi_core instead */
    const int rc = ble_gap_disc (s_own_addr_type, BLE_HS_FOREVER, &params, gap_event, NULL);
#endif
    if (0 != rc)
    {
        ESP_LOGE (TAG, "cannot start scanning: rc=%d", rc);
    }
    else
    {
        ESP_LOGI (TAG, "scanning for RuuviTags (" GW_SCAN_KIND " advertising)");
    }
}

static int gap_event (struct ble_gap_event * event, void * arg)
{
    (void) arg;
    switch (event->type)
    {
#if CONFIG_BT_NIMBLE_EXT_ADV
        case BLE_GAP_EVENT_EXT_DISC:
            /* a chained advertisement arrives in pieces; Ruuvi's fit one PDU */
            if (BLE_GAP_EXT_ADV_DATA_STATUS_COMPLETE == event->ext_disc.data_status)
            {
                handle_advertisement (event->ext_disc.addr.val, event->ext_disc.data, event->ext_disc.length_data,
                                      event->ext_disc.rssi);
            }
            return 0;
#else
        case BLE_GAP_EVENT_DISC:
            handle_advertisement (event->disc.addr.val, event->disc.data, event->disc.length_data, event->disc.rssi);
            return 0;
#endif
        case BLE_GAP_EVENT_DISC_COMPLETE:
            /* a scan "forever" ends only if the controller stops it: start it again */
            ESP_LOGW (TAG, "scan ended (reason %d); restarting", event->disc_complete.reason);
            start_scan ();
            return 0;
        default:
            return 0;
    }
}

static void on_sync (void)
{
    int rc = ble_hs_util_ensure_addr (0);
    if (0 == rc)
    {
        rc = ble_hs_id_infer_auto (0, &s_own_addr_type);
    }
    if (0 != rc)
    {
        ESP_LOGE (TAG, "no usable BLE address: rc=%d", rc);
        return;
    }
    start_scan ();
}

static void on_reset (int reason)
{
    ESP_LOGW (TAG, "BLE host reset, reason %d", reason);
}

static void host_task (void * param)
{
    (void) param;
    nimble_port_run (); /* returns only when nimble_port_stop() is called */
    nimble_port_freertos_deinit ();
}

void gw_ble_start (const ruuvi_allowlist_t * p_allow)
{
    s_scan_lock = xSemaphoreCreateMutex ();
    ESP_ERROR_CHECK (NULL != s_scan_lock ? ESP_OK : ESP_ERR_NO_MEM);
    ESP_ERROR_CHECK (RUUVI_OK == ruuvi_scan_init (&s_scan, s_tags, CONFIG_MAX_RUUVITAGS, p_allow, GW_TAG_FORGET_MS)
                     ? ESP_OK : ESP_ERR_INVALID_ARG);
    ESP_ERROR_CHECK (nimble_port_init ());
    ble_hs_cfg.sync_cb = on_sync;
    ble_hs_cfg.reset_cb = on_reset;
    nimble_port_freertos_init (host_task);
}
