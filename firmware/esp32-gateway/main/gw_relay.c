/**
 * @file gw_relay.c
 * The relay task. Packets from the NimBLE host task arrive through a queue and wait in the
 * relay buffer (ruuvi_relay, in the core) until the broker acknowledged them: they are handed
 * to the MQTT client's outbox with esp_mqtt_client_enqueue() (which never blocks on the
 * network), and leave the buffer on their PUBACK. Acknowledgements and expiries come from the
 * MQTT client's task through a second queue, so only this task touches the buffer. Every
 * CONFIG_IOTPIPE_STATUS_INTERVAL_S, and on every (re)connect, it publishes the retained status
 * with the gateway's counters and logs them.
 */
#include "gw.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "esp_log.h"
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"
#include "ruuvi_relay.h"
#include "sdkconfig.h"

#define GW_RELAY_QUEUE_DEPTH (16U)
#define GW_RELAY_STACK_BYTES (6144U)
#define GW_RELAY_PRIORITY    (5U)
#define GW_RELAY_POLL_MS     (100U)
#define GW_BUFFER_PACKETS    ((size_t) CONFIG_IOTPIPE_OFFLINE_BUFFER_PACKETS)
/* Half the buffer may be in the MQTT outbox at once; the outbox's byte limit may stop it sooner. */
#define GW_MAX_IN_FLIGHT     (GW_BUFFER_PACKETS / 2U)
/* Every in-flight message (and a few status messages) gets one PUBACK or one deletion. */
#define GW_ACK_QUEUE_DEPTH   (GW_MAX_IN_FLIGHT + 8U)
#define GW_STATUS_INTERVAL_MS ((uint64_t) CONFIG_IOTPIPE_STATUS_INTERVAL_S * 1000U)

_Static_assert (GW_MAX_IN_FLIGHT >= 1U && GW_MAX_IN_FLIGHT < GW_BUFFER_PACKETS, "relay buffer too small");

static const char * TAG = "gw_relay";

typedef struct
{
    int32_t msg_id;
    bool    expired; /**< deleted unacknowledged, rather than acknowledged */
} gw_ack_t;

static QueueHandle_t s_packets;
static QueueHandle_t s_acks;
static atomic_uint s_acks_lost;
static ruuvi_relay_slot_t s_slots[GW_BUFFER_PACKETS];
static uint16_t s_order[GW_BUFFER_PACKETS];
static ruuvi_relay_t s_relay;
static uint8_t s_gw_mac[RUUVI_MAC_LEN];
static char s_status_topic[RUUVI_TOPIC_MAX];

bool gw_relay_submit (const ruuvi_packet_t * p_packet)
{
    return NULL != p_packet && NULL != s_packets && pdTRUE == xQueueSend (s_packets, p_packet, 0);
}

static void post_ack (int msg_id, bool expired)
{
    const gw_ack_t ack = { .msg_id = msg_id, .expired = expired };
    /* Never block the MQTT client's task: it holds the client's lock, which this task's
     * esp_mqtt_client_enqueue() may be waiting for. The depth makes a full queue unexpected. */
    if (NULL == s_acks || pdTRUE != xQueueSend (s_acks, &ack, 0))
    {
        atomic_fetch_add (&s_acks_lost, 1U);
    }
}

void gw_relay_acked (int msg_id)
{
    post_ack (msg_id, false);
}

void gw_relay_expired (int msg_id)
{
    post_ack (msg_id, true);
}

static void take_packets (TickType_t first_wait)
{
    ruuvi_packet_t packet;
    TickType_t wait = first_wait;
    while (pdTRUE == xQueueReceive (s_packets, &packet, wait))
    {
        (void) ruuvi_relay_push (&s_relay, &packet); /* full: the oldest waiting one is dropped, counted */
        wait = 0;
    }
}

static void take_acks (void)
{
    gw_ack_t ack;
    while (pdTRUE == xQueueReceive (s_acks, &ack, 0))
    {
        if (ack.expired && RUUVI_OK == ruuvi_relay_expired (&s_relay, ack.msg_id))
        {
            ESP_LOGW (TAG, "message %d expired unacknowledged in the MQTT outbox: sending it again", (int) ack.msg_id);
        }
        else if (!ack.expired)
        {
            (void) ruuvi_relay_acked (&s_relay, ack.msg_id); /* unknown ids: status messages */
        }
    }
}

static void send_waiting (void)
{
    static char topic[RUUVI_TOPIC_MAX];
    static char message[RUUVI_MESSAGE_MAX];
    ruuvi_relay_handle_t handle = 0;
    const ruuvi_packet_t * p_packet = NULL;
    while (RUUVI_OK == ruuvi_relay_next (&s_relay, &handle, &p_packet))
    {
        const int64_t gwts = gw_net_time_synced () ? (int64_t) time (NULL) : RUUVI_TIMESTAMP_NONE;
        size_t len = 0;
        if (RUUVI_OK != ruuvi_topic (topic, sizeof (topic), CONFIG_IOTPIPE_MQTT_TOPIC_PREFIX, s_gw_mac,
                                     p_packet->tag_mac)
            || RUUVI_OK != ruuvi_json_gateway_message (message, sizeof (message), s_gw_mac, p_packet, gwts, &len))
        {
            ESP_LOGE (TAG, "cannot format a packet; dropping it");
            (void) ruuvi_relay_drop (&s_relay, handle);
            continue;
        }
        const int msg_id = gw_net_enqueue (topic, message, (int) len, false);
        if (msg_id <= 0)
        {
            return; /* -2: the outbox is full (it drains as PUBACKs come); -1: no memory. Retry later. */
        }
        (void) ruuvi_relay_sent (&s_relay, handle, msg_id);
    }
}

static void publish_status (void)
{
    static char message[RUUVI_MESSAGE_MAX];
    ruuvi_scan_stats_t scan;
    ruuvi_gateway_status_t st;
    memset (&st, 0, sizeof (st));
    gw_ble_counters (&scan, &st.tags);
    gw_net_reconnects (&st.wifi_reconnects, &st.mqtt_reconnects);
    st.uptime_s = gw_now_ms () / 1000U;
    ruuvi_scan_report (&scan, &st);
    ruuvi_relay_report (&s_relay, &st);
    st.acks_lost = atomic_load (&s_acks_lost);
    ESP_LOGI (TAG,
              "relayed %u, buffered %u (in flight %u), tags %u; dropped: table full %u, queue full %u, buffer full %u,"
              " too long %u; de-duplicated %u; reconnects: Wi-Fi %u, MQTT %u",
              (unsigned) st.relayed, (unsigned) st.buffered, (unsigned) st.in_flight, (unsigned) st.tags,
              (unsigned) st.table_full, (unsigned) st.queue_full, (unsigned) st.buffer_full, (unsigned) st.too_long,
              (unsigned) (st.repeats + st.superseded), (unsigned) st.wifi_reconnects, (unsigned) st.mqtt_reconnects);
    size_t len = 0;
    if (RUUVI_OK == ruuvi_json_gateway_status (message, sizeof (message), &st, &len)
        && gw_net_enqueue (s_status_topic, message, (int) len, true) <= 0)
    {
        ESP_LOGW (TAG, "status not queued (MQTT outbox full)");
    }
}

static void relay_task (void * arg)
{
    (void) arg;
    bool was_up = false;
    uint64_t status_due_ms = 0;
    for (;;)
    {
        take_packets (pdMS_TO_TICKS (GW_RELAY_POLL_MS));
        take_acks ();
        const bool up = gw_net_can_publish ();
        if (up && (!was_up || gw_now_ms () >= status_due_ms))
        {
            publish_status (); /* "online" at once after every (re)connect, then periodically */
            status_due_ms = gw_now_ms () + GW_STATUS_INTERVAL_MS;
        }
        was_up = up;
        if (up)
        {
            send_waiting ();
        }
    }
}

void gw_relay_start (const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    memcpy (s_gw_mac, gw_mac, RUUVI_MAC_LEN);
    ESP_ERROR_CHECK (RUUVI_OK == ruuvi_status_topic (s_status_topic, sizeof (s_status_topic),
                                                     CONFIG_IOTPIPE_MQTT_TOPIC_PREFIX, gw_mac)
                     ? ESP_OK : ESP_ERR_INVALID_SIZE);
    ESP_ERROR_CHECK (RUUVI_OK == ruuvi_relay_init (&s_relay, s_slots, s_order, GW_BUFFER_PACKETS, GW_MAX_IN_FLIGHT)
                     ? ESP_OK : ESP_ERR_INVALID_ARG);
    s_packets = xQueueCreate (GW_RELAY_QUEUE_DEPTH, sizeof (ruuvi_packet_t));
    s_acks = xQueueCreate (GW_ACK_QUEUE_DEPTH, sizeof (gw_ack_t));
    ESP_ERROR_CHECK (NULL != s_packets && NULL != s_acks ? ESP_OK : ESP_ERR_NO_MEM);
    const BaseType_t ok = xTaskCreate (relay_task, "gw_relay", GW_RELAY_STACK_BYTES, NULL, GW_RELAY_PRIORITY, NULL);
    ESP_ERROR_CHECK (pdPASS == ok ? ESP_OK : ESP_ERR_NO_MEM);
}
