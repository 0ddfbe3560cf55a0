/**
 * @file gw_net.c
 * WiFi station, SNTP and the MQTT session. Both WiFi and MQTT reconnect through one-shot
 * esp_timers whose delays double up to CONFIG_IOTPIPE_BACKOFF_MAX_MS (gw_backoff_ms). The MQTT
 * session has a retained last will "offline" on <prefix>/<gw MAC>/gw_status and publishes a
 * retained "online" there on every connect.
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
#include "mqtt_client.h"
#include "ruuvi_util.h"
#include "sdkconfig.h"

#define GW_MQTT_QOS          (1)
#define GW_RETAIN            (1)
#define GW_NO_RETAIN         (0)
#define GW_STATUS_TOPIC_MAX  (96U)
#define GW_CLIENT_ID_MAX     (32U)
#define GW_MS_TO_US          (1000ULL)

static const char * TAG = "gw_net";
static const char * const STATUS_ONLINE = "{\"state\":\"online\"}";
static const char * const STATUS_OFFLINE = "{\"state\":\"offline\"}";

static esp_mqtt_client_handle_t s_mqtt;
static esp_timer_handle_t s_wifi_timer;
static esp_timer_handle_t s_mqtt_timer;
static atomic_bool s_mqtt_connected;
static atomic_bool s_time_synced;
static atomic_bool s_mqtt_started;
static uint32_t s_wifi_attempt;
static uint32_t s_mqtt_attempt;
static char s_status_topic[GW_STATUS_TOPIC_MAX];
static char s_client_id[GW_CLIENT_ID_MAX];

bool gw_net_mqtt_connected (void)
{
    return atomic_load (&s_mqtt_connected);
}

bool gw_net_time_synced (void)
{
    return atomic_load (&s_time_synced);
}

bool gw_net_publish (const char * topic, const char * payload, int len)
{
    if (NULL == s_mqtt || NULL == topic || NULL == payload || !gw_net_mqtt_connected ())
    {
        return false;
    }
    /* >= 0: accepted (QoS 1 keeps it in the outbox until PUBACK); -1 error; -2 outbox full */
    return esp_mqtt_client_publish (s_mqtt, topic, payload, len, GW_MQTT_QOS, GW_NO_RETAIN) >= 0;
}

static void schedule (esp_timer_handle_t timer, uint32_t * p_attempt, const char * what)
{
    const uint32_t delay_ms = gw_backoff_ms (*p_attempt);
    if (*p_attempt < UINT32_MAX)
    {
        (*p_attempt)++;
    }
    ESP_LOGW (TAG, "%s down; reconnecting in %u ms", what, (unsigned) delay_ms);
    (void) esp_timer_stop (timer); /* not running is fine */
    ESP_ERROR_CHECK (esp_timer_start_once (timer, (uint64_t) delay_ms * GW_MS_TO_US));
}

static void wifi_retry (void * arg)
{
    (void) arg;
    const esp_err_t err = esp_wifi_connect ();
    if (ESP_OK != err)
    {
        ESP_LOGW (TAG, "esp_wifi_connect: %s", esp_err_to_name (err));
        schedule (s_wifi_timer, &s_wifi_attempt, "WiFi");
    }
}

static void mqtt_retry (void * arg)
{
    (void) arg;
    const esp_err_t err = esp_mqtt_client_reconnect (s_mqtt);
    if (ESP_OK != err)
    {
        ESP_LOGW (TAG, "esp_mqtt_client_reconnect: %s", esp_err_to_name (err));
        schedule (s_mqtt_timer, &s_mqtt_attempt, "MQTT");
    }
}

static void on_mqtt_event (void * arg, esp_event_base_t base, int32_t id, void * data)
{
    (void) arg;
    (void) base;
    (void) data;
    switch ( (esp_mqtt_event_id_t) id)
    {
        case MQTT_EVENT_CONNECTED:
            ESP_LOGI (TAG, "MQTT connected to %s", CONFIG_IOTPIPE_MQTT_URL);
            s_mqtt_attempt = 0;
            (void) esp_mqtt_client_publish (s_mqtt, s_status_topic, STATUS_ONLINE, 0, GW_MQTT_QOS, GW_RETAIN);
            atomic_store (&s_mqtt_connected, true);
            break;
        case MQTT_EVENT_DISCONNECTED:
            atomic_store (&s_mqtt_connected, false);
            schedule (s_mqtt_timer, &s_mqtt_attempt, "MQTT");
            break;
        case MQTT_EVENT_ERROR:
            ESP_LOGW (TAG, "MQTT error event");
            break;
        default:
            break;
    }
}

static void start_mqtt (void)
{
    if (atomic_exchange (&s_mqtt_started, true))
    {
        /* already started: after a WiFi outage reconnect now rather than wait for the timer */
        (void) esp_timer_stop (s_mqtt_timer);
        s_mqtt_attempt = 0;
        mqtt_retry (NULL);
        return;
    }
    ESP_ERROR_CHECK (esp_mqtt_client_start (s_mqtt));
}

static void on_wifi_event (void * arg, esp_event_base_t base, int32_t id, void * data)
{
    (void) arg;
    (void) data;
    if (WIFI_EVENT == base && WIFI_EVENT_STA_START == id)
    {
        wifi_retry (NULL);
    }
    else if (WIFI_EVENT == base && WIFI_EVENT_STA_DISCONNECTED == id)
    {
        atomic_store (&s_mqtt_connected, false);
        schedule (s_wifi_timer, &s_wifi_attempt, "WiFi");
    }
    else if (IP_EVENT == base && IP_EVENT_STA_GOT_IP == id)
    {
        ESP_LOGI (TAG, "WiFi connected to %s", CONFIG_IOTPIPE_WIFI_SSID);
        s_wifi_attempt = 0;
        start_mqtt ();
    }
}

static void on_time_sync (struct timeval * tv)
{
    (void) tv;
    if (!atomic_exchange (&s_time_synced, true))
    {
        ESP_LOGI (TAG, "clock synced by SNTP; messages now carry ts/gwts");
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
    (void) strlcpy ( (char *) wc.sta.ssid, CONFIG_IOTPIPE_WIFI_SSID, sizeof (wc.sta.ssid));
    (void) strlcpy ( (char *) wc.sta.password, CONFIG_IOTPIPE_WIFI_PASSWORD, sizeof (wc.sta.password));
    wc.sta.threshold.authmode = (0U == strlen (CONFIG_IOTPIPE_WIFI_PASSWORD)) ? WIFI_AUTH_OPEN : WIFI_AUTH_WPA2_PSK;
    ESP_ERROR_CHECK (esp_wifi_set_mode (WIFI_MODE_STA));
    ESP_ERROR_CHECK (esp_wifi_set_config (WIFI_IF_STA, &wc));
    /* BLE and WiFi share the radio: modem sleep is required for coexistence */
    ESP_ERROR_CHECK (esp_wifi_set_ps (WIFI_PS_MIN_MODEM));
}

static void init_mqtt (const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    char mac_str[RUUVI_MAC_STR_LEN];
    (void) ruuvi_mac_format (gw_mac, mac_str, sizeof (mac_str));
    (void) snprintf (s_status_topic, sizeof (s_status_topic), "%s/%s/gw_status", CONFIG_IOTPIPE_MQTT_TOPIC_PREFIX,
                     mac_str);
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
    cfg.session.last_will.msg = STATUS_OFFLINE;
    cfg.session.last_will.qos = GW_MQTT_QOS;
    cfg.session.last_will.retain = GW_RETAIN;
    cfg.network.disable_auto_reconnect = true; /* we reconnect with capped backoff instead */
    cfg.outbox.limit = CONFIG_IOTPIPE_MQTT_OUTBOX_LIMIT;
    s_mqtt = esp_mqtt_client_init (&cfg);
    ESP_ERROR_CHECK (NULL != s_mqtt ? ESP_OK : ESP_ERR_NO_MEM);
    ESP_ERROR_CHECK (esp_mqtt_client_register_event (s_mqtt, ESP_EVENT_ANY_ID, on_mqtt_event, NULL));
}

void gw_net_start (const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    const esp_timer_create_args_t wifi_timer = { .callback = wifi_retry, .name = "wifi_retry" };
    const esp_timer_create_args_t mqtt_timer = { .callback = mqtt_retry, .name = "mqtt_retry" };
    ESP_ERROR_CHECK (esp_timer_create (&wifi_timer, &s_wifi_timer));
    ESP_ERROR_CHECK (esp_timer_create (&mqtt_timer, &s_mqtt_timer));
    init_wifi ();
    init_mqtt (gw_mac);

    esp_sntp_config_t sntp = ESP_NETIF_SNTP_DEFAULT_CONFIG (CONFIG_IOTPIPE_SNTP_SERVER);
    sntp.sync_cb = on_time_sync;
    ESP_ERROR_CHECK (esp_netif_sntp_init (&sntp)); /* starts polling once the network is up */

    ESP_ERROR_CHECK (esp_wifi_start ());
}
