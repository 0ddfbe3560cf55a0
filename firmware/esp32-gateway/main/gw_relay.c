/**
 * @file gw_relay.c
 * The relay task: packets from the BLE host task arrive through a FreeRTOS queue, wait in the
 * bounded ring buffer (ruuvi_core) while MQTT is down, and are published oldest first.
 */
#include "gw.h"

#include <string.h>
#include <time.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "sdkconfig.h"

#define GW_RELAY_QUEUE_DEPTH   (16U)
#define GW_RELAY_STACK_BYTES   (6144U)
#define GW_RELAY_PRIORITY      (5U)
#define GW_RELAY_POLL_MS       (200U)
#define GW_TOPIC_MAX           (128U)
#define GW_JSON_MAX            (384U)
#define GW_DROP_LOG_EVERY      (100U)

static const char * TAG = "gw_relay";

static QueueHandle_t s_queue;
static ruuvi_packet_t s_slots[CONFIG_IOTPIPE_OFFLINE_BUFFER_PACKETS];
static ruuvi_ring_t s_ring;
static uint8_t s_gw_mac[RUUVI_MAC_LEN];
static uint32_t s_queue_drops;

bool gw_relay_submit (const ruuvi_packet_t * p_packet)
{
    if (NULL == p_packet || NULL == s_queue)
    {
        return false;
    }
    if (pdTRUE != xQueueSend (s_queue, p_packet, 0))
    {
        s_queue_drops++;
        return false;
    }
    return true;
}

static void drain_queue_into_ring (TickType_t first_wait)
{
    ruuvi_packet_t pkt;
    TickType_t wait = first_wait;
    while (pdTRUE == xQueueReceive (s_queue, &pkt, wait))
    {
        const uint32_t before = s_ring.dropped;
        (void) ruuvi_ring_push (&s_ring, &pkt);
        if (s_ring.dropped != before && 0U == s_ring.dropped % GW_DROP_LOG_EVERY)
        {
            ESP_LOGW (TAG, "offline buffer full: %u packets dropped so far", (unsigned) s_ring.dropped);
        }
        wait = 0;
    }
}

static void publish_buffered (void)
{
    static char topic[GW_TOPIC_MAX];
    static char json[GW_JSON_MAX];
    ruuvi_packet_t pkt;
    while (gw_net_mqtt_connected () && RUUVI_OK == ruuvi_ring_peek (&s_ring, &pkt))
    {
        const int64_t gwts = gw_net_time_synced () ? (int64_t) time (NULL) : RUUVI_TIMESTAMP_NONE;
        size_t len = 0;
        if (RUUVI_OK != ruuvi_topic (topic, sizeof (topic), CONFIG_IOTPIPE_MQTT_TOPIC_PREFIX, s_gw_mac, pkt.tag_mac)
            || RUUVI_OK != ruuvi_json_gateway_message (json, sizeof (json), s_gw_mac, &pkt, gwts, &len))
        {
            ESP_LOGE (TAG, "cannot format a packet; dropping it");
            (void) ruuvi_ring_pop (&s_ring);
            continue;
        }
        if (!gw_net_publish (topic, json, (int) len))
        {
            break; /* keep it; retry after the next (re)connect or when the outbox drains */
        }
        (void) ruuvi_ring_pop (&s_ring);
    }
}

static void relay_task (void * arg)
{
    (void) arg;
    for (;;)
    {
        drain_queue_into_ring (pdMS_TO_TICKS (GW_RELAY_POLL_MS));
        publish_buffered ();
    }
}

void gw_relay_start (const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    memcpy (s_gw_mac, gw_mac, RUUVI_MAC_LEN);
    ESP_ERROR_CHECK (RUUVI_OK == ruuvi_ring_init (&s_ring, s_slots, CONFIG_IOTPIPE_OFFLINE_BUFFER_PACKETS)
                     ? ESP_OK : ESP_FAIL);
    s_queue = xQueueCreate (GW_RELAY_QUEUE_DEPTH, sizeof (ruuvi_packet_t));
    ESP_ERROR_CHECK (NULL != s_queue ? ESP_OK : ESP_ERR_NO_MEM);
    const BaseType_t ok = xTaskCreate (relay_task, "gw_relay", GW_RELAY_STACK_BYTES, NULL, GW_RELAY_PRIORITY, NULL);
    ESP_ERROR_CHECK (pdPASS == ok ? ESP_OK : ESP_ERR_NO_MEM);
}
