/**
 * @file gw_ble.c
 * NimBLE passive scan. Each advertisement is checked by ruuvi_core (Ruuvi manufacturer data,
 * known data format), the allow-list and the tag limit, de-duplicated by MAC + measurement
 * sequence, and handed to the relay task. Runs in the NimBLE host task only, so the dedup
 * table needs no lock.
 */
#include "gw.h"

#include <string.h>
#include <time.h>

#include "esp_log.h"
#include "host/ble_gap.h"
#include "host/ble_hs.h"
#include "host/util/util.h"
#include "nimble/nimble_port.h"
#include "nimble/nimble_port_freertos.h"
#include "ruuvi_util.h"
#include "sdkconfig.h"

static const char * TAG = "gw_ble";

static ruuvi_dedup_entry_t s_dedup_entries[CONFIG_MAX_RUUVITAGS];
static ruuvi_dedup_t s_dedup;
static uint8_t s_allow_storage[CONFIG_MAX_RUUVITAGS][RUUVI_MAC_LEN];
static ruuvi_allowlist_t s_allow;
static uint8_t s_own_addr_type;

static struct
{
    uint32_t relayed;
    uint32_t repeats;
    uint32_t not_allowed;
    uint32_t over_limit;
    uint32_t too_long;
} s_stats;

static int gap_event (struct ble_gap_event * event, void * arg);

static void handle_advertisement (const uint8_t addr_le[RUUVI_MAC_LEN], const uint8_t * data, uint8_t len,
                                  int8_t rssi)
{
    if (NULL == addr_le || NULL == data)
    {
        return;
    }
    const uint8_t * payload = NULL;
    size_t payload_len = 0;
    if (RUUVI_OK != ruuvi_find_payload (data, len, &payload, &payload_len))
    {
        return; /* not a RuuviTag: the common case, silently ignored */
    }
    uint8_t mac[RUUVI_MAC_LEN]; /* NimBLE stores addresses least significant byte first */
    for (size_t i = 0; i < RUUVI_MAC_LEN; i++)
    {
        mac[i] = addr_le[RUUVI_MAC_LEN - 1U - i];
    }
    ruuvi_measurement_t m;
    if (RUUVI_OK != ruuvi_decode_payload (payload, payload_len, mac, &m))
    {
        return; /* unknown data format or malformed: not relayed */
    }
    if (!ruuvi_allowlist_allows (&s_allow, mac))
    {
        s_stats.not_allowed++;
        return;
    }
    switch (ruuvi_dedup_check (&s_dedup, mac, ruuvi_dedup_key (&m, payload, payload_len)))
    {
        case RUUVI_DEDUP_REPEAT:
            s_stats.repeats++;
            return;
        case RUUVI_DEDUP_FULL:
            s_stats.over_limit++;
            return;
        default:
            break;
    }
    if (len > RUUVI_PACKET_MAX_ADV_LEN)
    {
        s_stats.too_long++;
        return;
    }
    ruuvi_packet_t pkt;
    memset (&pkt, 0, sizeof (pkt));
    memcpy (pkt.tag_mac, mac, RUUVI_MAC_LEN);
    memcpy (pkt.adv, data, len);
    pkt.adv_len = len;
    pkt.rssi = rssi;
    pkt.ts = gw_net_time_synced () ? (int64_t) time (NULL) : RUUVI_TIMESTAMP_NONE;
    if (gw_relay_submit (&pkt))
    {
        s_stats.relayed++;
    }
}

static void start_scan (void)
{
#if CONFIG_BT_NIMBLE_EXT_ADV
    /* BLE 5 chips (ESP32-C3/S3/C6): extended scanning also receives Ruuvi Air's E1 packets. */
    struct ble_gap_ext_disc_params uncoded = { .itvl = 0, .window = 0, .passive = 1 };
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
}

static int gap_event (struct ble_gap_event * event, void * arg)
{
    (void) arg;
    switch (event->type)
    {
#if CONFIG_BT_NIMBLE_EXT_ADV
        case BLE_GAP_EVENT_EXT_DISC:
            handle_advertisement (event->ext_disc.addr.val, event->ext_disc.data, event->ext_disc.length_data,
                                  event->ext_disc.rssi);
            return 0;
#else
        case BLE_GAP_EVENT_DISC:
            handle_advertisement (event->disc.addr.val, event->disc.data, event->disc.length_data, event->disc.rssi);
            return 0;
#endif
        case BLE_GAP_EVENT_DISC_COMPLETE:
            ESP_LOGI (TAG, "scan ended (reason %d); relayed %u, repeats %u, not allowed %u, over tag limit %u",
                      event->disc_complete.reason, (unsigned) s_stats.relayed, (unsigned) s_stats.repeats,
                      (unsigned) s_stats.not_allowed, (unsigned) s_stats.over_limit);
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

void gw_ble_start (void)
{
    ESP_ERROR_CHECK (RUUVI_OK == ruuvi_dedup_init (&s_dedup, s_dedup_entries, CONFIG_MAX_RUUVITAGS)
                     ? ESP_OK : ESP_FAIL);
    const ruuvi_err_t err = ruuvi_allowlist_parse (&s_allow, s_allow_storage, CONFIG_MAX_RUUVITAGS,
                                                   CONFIG_IOTPIPE_TAG_ALLOWLIST);
    if (RUUVI_OK != err)
    {
        ESP_LOGE (TAG, "CONFIG_IOTPIPE_TAG_ALLOWLIST is invalid (%s); refusing to start scanning",
                  ruuvi_err_name (err));
        return;
    }
    ESP_LOGI (TAG, "allow-list: %u MACs (0 = every RuuviTag)", (unsigned) s_allow.count);
    ESP_ERROR_CHECK (nimble_port_init ());
    ble_hs_cfg.sync_cb = on_sync;
    ble_hs_cfg.reset_cb = on_reset;
    nimble_port_freertos_init (host_task);
}
