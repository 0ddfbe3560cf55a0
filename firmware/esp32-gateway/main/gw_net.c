/**
 * @file gw_net.c
 * Wi-Fi station, SNTP and the MQTT client. Their events are reported to the link state machine
 * (ruuvi_link, in the core), which says what to call next: esp_wifi_connect(),
 * esp_mqtt_client_start(), _reconnect() or _disconnect(). One one-shot timer wakes it when a
 * retry falls due. Events arrive on three tasks (event loop, MQTT client, esp_timer), so the
 * state is behind a mutex, which is never held while calling Wi-Fi or MQTT.
 * The session has a retained last will "offline" on <prefix>/<gw MAC>/gw_status; the relay
 * task publishes the "online" status with the counters there.
 */
#include "gw.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "esp_event.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_netif_sntp.h"
#include "esp_timer.h"
#include "esp_wifi.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "mqtt_client.h"
#include "ruuvi_link.h"
#include "ruuvi_settings.h"
#include "sdkconfig.h"

/* A message the client's outbox deletes unacknowledged (after 30 s offline) must be sent again
 * by the relay, so the client has to say which: MQTT_EVENT_DELETED. */
#if !CONFIG_MQTT_REPORT_DELETED_MESSAGES
#error "CONFIG_MQTT_REPORT_DELETED_MESSAGES must be y (sdkconfig.defaults sets it)"
#endif

#define GW_MQTT_QOS     (1)
#define GW_CLIENT_ID_MAX (32U)
#define GW_MS_TO_US     (1000ULL)

static const char * TAG = "gw_net";

static esp_mqtt_client_handle_t s_mqtt;
static esp_timer_handle_t s_link_timer;
static SemaphoreHandle_t s_link_lock;
static ruuvi_link_t s_link;
static atomic_bool s_time_synced;
static char s_status_topic[RUUVI_TOPIC_MAX];
static char s_client_id[GW_CLIENT_ID_MAX];

bool gw_net_can_publish (void)
{
    if (NULL == s_link_lock)
    {
        return false; /* the relay task may ask before gw_net_start() ran */
    }
    xSemaphoreTake (s_link_lock, portMAX_DELAY);
    const bool up = ruuvi_link_can_publish (&s_link);
    xSemaphoreGive (s_link_lock);
    return up;
}

bool gw_net_time_synced (void)
{
    return atomic_load (&s_time_synced);
}

void gw_net_reconnects (uint32_t * p_wifi, uint32_t * p_mqtt)
{
    *p_wifi = 0;
    *p_mqtt = 0;
    if (NULL == s_link_lock)
    {
        return;
    }
    xSemaphoreTake (s_link_lock, portMAX_DELAY);
    *p_wifi = s_link.wifi_reconnects;
    *p_mqtt = s_link.mqtt_reconnects;
    xSemaphoreGive (s_link_lock);
}

int gw_net_enqueue (const char * topic, const char * payload, int len, bool retain)
{
    /* store = true: kept in the outbox while disconnected too, resent until acknowledged */
    return esp_mqtt_client_enqueue (s_mqtt, topic, payload, len, GW_MQTT_QOS, retain ? 1 : 0, true);
}

static esp_err_t perform (ruuvi_link_action_t action)
{
    switch (action)
    {
        case RUUVI_LINK_WIFI_CONNECT:
            return esp_wifi_connect ();
        case RUUVI_LINK_MQTT_START:
            return esp_mqtt_client_start (s_mqtt);
        case RUUVI_LINK_MQTT_RECONNECT:
            return esp_mqtt_client_reconnect (s_mqtt);
        case RUUVI_LINK_MQTT_DISCONNECT:
            ESP_LOGW (TAG, "new IP address: closing the MQTT session of the old one");
            return esp_mqtt_client_disconnect (s_mqtt);
        default:
            return ESP_OK;
    }
}

/** Does what the link state machine asks until it waits, then arms the timer for then. */
static void link_run (void)
{
    for (;;)
    {
        uint32_t wait_ms = 0;
        xSemaphoreTake (s_link_lock, portMAX_DELAY);
        const ruuvi_link_action_t action = ruuvi_link_next (&s_link, gw_now_ms (), &wait_ms);
        if (RUUVI_LINK_WAIT == action)
        {
            /* armed under the lock, so the last arming follows the latest state */
            (void) esp_timer_stop (s_link_timer); /* not running is fine */
            ESP_ERROR_CHECK (esp_timer_start_once (s_link_timer, (uint64_t) wait_ms * GW_MS_TO_US));
        }
        xSemaphoreGive (s_link_lock);
        if (RUUVI_LINK_WAIT == action)
        {
            return;
        }
        const esp_err_t err = perform (action);
        if (ESP_OK != err)
        {
            ESP_LOGW (TAG, "%s: %s; retrying after the backoff", ruuvi_link_action_name (action), esp_err_to_name (err));
            xSemaphoreTake (s_link_lock, portMAX_DELAY);
            ruuvi_link_on_action_failed (&s_link, action, gw_now_ms ());
            xSemaphoreGive (s_link_lock);
        }
    }
}

static void on_link_timer (void * arg)
{
    (void) arg;
    link_run ();
}

static void on_wifi_event (void * arg, esp_event_base_t base, int32_t id, void * data)
{
    (void) arg;
    const uint64_t now = gw_now_ms ();
    xSemaphoreTake (s_link_lock, portMAX_DELAY);
    if (WIFI_EVENT == base && WIFI_EVENT_STA_START == id)
    {
        ruuvi_link_on_wifi_started (&s_link, now);
    }
    else if (WIFI_EVENT == base && WIFI_EVENT_STA_DISCONNECTED == id)
    {
        const wifi_event_sta_disconnected_t * p_event = data;
        ESP_LOGW (TAG, "Wi-Fi %s: disconnected (reason %d)", CONFIG_IOTPIPE_WIFI_SSID, (int) p_event->reason);
        ruuvi_link_on_wifi_disconnected (&s_link, now);
    }
    else if (IP_EVENT == base && IP_EVENT_STA_GOT_IP == id)
    {
        const ip_event_got_ip_t * p_event = data;
        ESP_LOGI (TAG, "Wi-Fi %s: got IP " IPSTR, CONFIG_IOTPIPE_WIFI_SSID, IP2STR (&p_event->ip_info.ip));
        ruuvi_link_on_wifi_got_ip (&s_link, now, p_event->ip_changed);
    }
    xSemaphoreGive (s_link_lock);
    link_run ();
}

static void log_mqtt_error (const esp_mqtt_event_t * p_event)
{
    const esp_mqtt_error_codes_t * p_error = p_event->error_handle;
    if (NULL == p_error)
    {
        ESP_LOGW (TAG, "MQTT error");
    }
    else if (MQTT_ERROR_TYPE_CONNECTION_REFUSED == p_error->error_type)
    {
        /* 4: bad user name or password, 5: not authorised (see the broker account in the README) */
        ESP_LOGE (TAG, "MQTT broker refused the connection (CONNACK code %d)", (int) p_error->connect_return_code);
    }
    else
    {
        ESP_LOGW (TAG, "MQTT transport error: %s, socket errno %d", esp_err_to_name (p_error->esp_tls_last_esp_err),
                  p_error->esp_transport_sock_errno);
    }
}

static void on_mqtt_event (void * arg, esp_event_base_t base, int32_t id, void * data)
{
    (void) arg;
    (void) base;
    const esp_mqtt_event_t * p_event = data;
    bool link_changed = false;
    switch ( (esp_mqtt_event_id_t) id)
    {
        case MQTT_EVENT_CONNECTED:
            ESP_LOGI (TAG, "MQTT connected to %s as %s", CONFIG_IOTPIPE_MQTT_URL, s_client_id);
            xSemaphoreTake (s_link_lock, portMAX_DELAY);
            ruuvi_link_on_mqtt_connected (&s_link, gw_now_ms ());
            xSemaphoreGive (s_link_lock);
            link_changed = true;
            break;
        case MQTT_EVENT_DISCONNECTED:
            ESP_LOGW (TAG, "MQTT disconnected");
            xSemaphoreTake (s_link_lock, portMAX_DELAY);
            ruuvi_link_on_mqtt_disconnected (&s_link, gw_now_ms ());
            xSemaphoreGive (s_link_lock);
            link_changed = true;
            break;
        case MQTT_EVENT_PUBLISHED:
            gw_relay_acked (p_event->msg_id);
            break;
        case MQTT_EVENT_DELETED:
            gw_relay_expired (p_event->msg_id);
            break;
        case MQTT_EVENT_ERROR:
            log_mqtt_error (p_event);
            break;
        default:
            break;
    }
    if (link_changed)
    {
        link_run ();
    }
}

static void on_time_sync (struct timeval * tv)
{
    (void) tv;
    if (!atomic_exchange (&s_time_synced, true))
    {
        ESP_LOGI (TAG, "clock synced by SNTP: messages now carry ts/gwts");
    }
}

static void init_wifi (void)
{
    ESP_ERROR_CHECK (esp_netif_init ());
    ESP_ERROR_CHECK (esp_event_loop_create_default ());
    (void) esp_netif_create_default_wifi_sta ();
    wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT ();
    ESP_ERROR_CHECK (esp_wifi_init (&init));
    ESP_ERROR_CHECK (esp_event_handler_instance_register (WIFI_EVENT, ESP_EVENT_ANY_ID, on_wifi_event, NULL, NULL));
    ESP_ERROR_CHECK (esp_event_handler_instance_register (IP_EVENT, IP_EVENT_STA_GOT_IP, on_wifi_event, NULL, NULL));
    wifi_config_t wc;
    memset (&wc, 0, sizeof (wc));
    /* lengths checked at start (ruuvi_settings_check): nothing is cut here */
    _Static_assert (sizeof (wc.sta.ssid) >= RUUVI_WIFI_SSID_MAX, "SSID field");
    _Static_assert (sizeof (wc.sta.password) >= RUUVI_WIFI_PSK_HEX_LEN, "password field");
    memcpy (wc.sta.ssid, CONFIG_IOTPIPE_WIFI_SSID, strlen (CONFIG_IOTPIPE_WIFI_SSID));
    memcpy (wc.sta.password, CONFIG_IOTPIPE_WIFI_PASSWORD, strlen (CONFIG_IOTPIPE_WIFI_PASSWORD));
    wc.sta.threshold.authmode = (0U == strlen (CONFIG_IOTPIPE_WIFI_PASSWORD)) ? WIFI_AUTH_OPEN : WIFI_AUTH_WPA2_PSK;
    ESP_ERROR_CHECK (esp_wifi_set_mode (WIFI_MODE_STA));
    ESP_ERROR_CHECK (esp_wifi_set_config (WIFI_IF_STA, &wc));
    /* BLE and Wi-Fi share the radio: modem sleep is required for coexistence */
    ESP_ERROR_CHECK (esp_wifi_set_ps (WIFI_PS_MIN_MODEM));
}

static void init_mqtt (const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    ESP_ERROR_CHECK (RUUVI_OK == ruuvi_status_topic (s_status_topic, sizeof (s_status_topic),
                                                     CONFIG_IOTPIPE_MQTT_TOPIC_PREFIX, gw_mac)
                     ? ESP_OK : ESP_ERR_INVALID_SIZE);
    (void) snprintf (s_client_id, sizeof (s_client_id), "iotpipe-gw-%02x%02x%02x%02x%02x%02x", gw_mac[0], gw_mac[1],
                     gw_mac[2], gw_mac[3], gw_mac[4], gw_mac[5]);
    esp_mqtt_client_config_t cfg;
    memset (&cfg, 0, sizeof (cfg));
    cfg.broker.address.uri = CONFIG_IOTPIPE_MQTT_URL;
    cfg.credentials.client_id = s_client_id;
    if (strlen (CONFIG_IOTPIPE_MQTT_USERNAME) > 0U)
    {
        cfg.credentials.username = CONFIG_IOTPIPE_MQTT_USERNAME;
        cfg.credentials.authentication.password = CONFIG_IOTPIPE_MQTT_PASSWORD;
    }
    cfg.session.last_will.topic = s_status_topic;
    cfg.session.last_will.msg = RUUVI_STATUS_OFFLINE;
    cfg.session.last_will.qos = GW_MQTT_QOS;
    cfg.session.last_will.retain = 1;
    cfg.session.keepalive = CONFIG_IOTPIPE_MQTT_KEEPALIVE_S;
    cfg.network.disable_auto_reconnect = true; /* the link state machine reconnects, with backoff */
    cfg.outbox.limit = CONFIG_IOTPIPE_MQTT_OUTBOX_LIMIT;
    s_mqtt = esp_mqtt_client_init (&cfg);
    ESP_ERROR_CHECK (NULL != s_mqtt ? ESP_OK : ESP_ERR_NO_MEM);
    ESP_ERROR_CHECK (esp_mqtt_client_register_event (s_mqtt, ESP_EVENT_ANY_ID, on_mqtt_event, NULL));
}

void gw_net_start (const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    s_link_lock = xSemaphoreCreateMutex ();
    ESP_ERROR_CHECK (NULL != s_link_lock ? ESP_OK : ESP_ERR_NO_MEM);
    ruuvi_link_init (&s_link, CONFIG_IOTPIPE_BACKOFF_INITIAL_MS, CONFIG_IOTPIPE_BACKOFF_MAX_MS);
    const esp_timer_create_args_t timer = { .callback = on_link_timer, .name = "gw_link" };
    ESP_ERROR_CHECK (esp_timer_create (&timer, &s_link_timer));
    init_wifi ();
    init_mqtt (gw_mac);

    esp_sntp_config_t sntp = ESP_NETIF_SNTP_DEFAULT_CONFIG (CONFIG_IOTPIPE_SNTP_SERVER);
    sntp.sync_cb = on_time_sync;
    ESP_ERROR_CHECK (esp_netif_sntp_init (&sntp)); /* starts polling once the network is up */

    ESP_ERROR_CHECK (esp_wifi_start ());
}
