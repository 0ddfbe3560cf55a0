/**
 * @file ruuvi_link.c
 * Wi-Fi and MQTT session state and what to do next (see ruuvi_link.h).
 */
#include "ruuvi_link.h"
#include "ruuvi_gateway.h"

#include <stddef.h>

void ruuvi_link_init (ruuvi_link_t * p_link, uint32_t backoff_initial_ms, uint32_t backoff_max_ms)
{
    if (NULL == p_link)
    {
        return;
    }
    *p_link = (ruuvi_link_t) { 0 };
    p_link->wifi = RUUVI_LINK_WIFI_CONNECTING; /* until the station has started */
    p_link->wifi_due_ms = UINT64_MAX;
    p_link->mqtt = RUUVI_LINK_MQTT_IDLE;
    p_link->backoff_initial_ms = backoff_initial_ms;
    p_link->backoff_max_ms = backoff_max_ms;
}

/** now + the backoff of the next attempt (and counts the attempt). */
static uint64_t after_backoff (const ruuvi_link_t * p_link, uint32_t * p_attempt, uint64_t now_ms)
{
    const uint32_t delay = ruuvi_backoff_ms (*p_attempt, p_link->backoff_initial_ms, p_link->backoff_max_ms);
    if (*p_attempt < UINT32_MAX)
    {
        (*p_attempt)++;
    }
    return now_ms + delay;
}

void ruuvi_link_on_wifi_started (ruuvi_link_t * p_link, uint64_t now_ms)
{
    if (NULL == p_link)
    {
        return;
    }
    p_link->wifi = RUUVI_LINK_WIFI_DOWN;
    p_link->wifi_due_ms = now_ms;
}

void ruuvi_link_on_wifi_disconnected (ruuvi_link_t * p_link, uint64_t now_ms)
{
    if (NULL == p_link)
    {
        return;
    }
    /* The MQTT session is left as the client reports it (see the header). */
    p_link->wifi = RUUVI_LINK_WIFI_DOWN;
    p_link->wifi_due_ms = after_backoff (p_link, &p_link->wifi_attempt, now_ms);
}

void ruuvi_link_on_wifi_got_ip (ruuvi_link_t * p_link, uint64_t now_ms, bool ip_changed)
{
    if (NULL == p_link)
    {
        return;
    }
    if (p_link->wifi_was_up && RUUVI_LINK_WIFI_UP != p_link->wifi)
    {
        p_link->wifi_reconnects++;
    }
    p_link->wifi = RUUVI_LINK_WIFI_UP;
    p_link->wifi_was_up = true;
    p_link->wifi_attempt = 0;
    if (RUUVI_LINK_MQTT_DOWN == p_link->mqtt)
    {
        /* the broker is reachable again: try now rather than after the grown backoff */
        p_link->mqtt_attempt = 0;
        p_link->mqtt_due_ms = now_ms;
    }
    if (RUUVI_LINK_MQTT_UP == p_link->mqtt && ip_changed)
    {
        p_link->mqtt_stale = true;
    }
}

void ruuvi_link_on_mqtt_connected (ruuvi_link_t * p_link, uint64_t now_ms)
{
    (void) now_ms;
    if (NULL == p_link)
    {
        return;
    }
    if (p_link->mqtt_was_up && RUUVI_LINK_MQTT_UP != p_link->mqtt)
    {
        p_link->mqtt_reconnects++;
    }
    p_link->mqtt = RUUVI_LINK_MQTT_UP;
    p_link->mqtt_was_up = true;
    p_link->mqtt_attempt = 0;
    p_link->mqtt_stale = false;
}

void ruuvi_link_on_mqtt_disconnected (ruuvi_link_t * p_link, uint64_t now_ms)
{
    if (NULL == p_link)
    {
        return;
    }
    p_link->mqtt = RUUVI_LINK_MQTT_DOWN;
    p_link->mqtt_stale = false;
    p_link->mqtt_due_ms = after_backoff (p_link, &p_link->mqtt_attempt, now_ms);
}

void ruuvi_link_on_action_failed (ruuvi_link_t * p_link, ruuvi_link_action_t action, uint64_t now_ms)
{
    if (NULL == p_link)
    {
        return;
    }
    switch (action)
    {
        case RUUVI_LINK_WIFI_CONNECT:
            ruuvi_link_on_wifi_disconnected (p_link, now_ms);
            break;
        case RUUVI_LINK_MQTT_START:
            /* the client never ran: start it again after the backoff */
            p_link->mqtt = RUUVI_LINK_MQTT_IDLE;
            p_link->mqtt_due_ms = after_backoff (p_link, &p_link->mqtt_attempt, now_ms);
            break;
        case RUUVI_LINK_MQTT_RECONNECT:
            /* refused when the client is not waiting to reconnect: only ever after its report */
            ruuvi_link_on_mqtt_disconnected (p_link, now_ms);
            break;
        default:
            break; /* a failed disconnect: the keepalive will end the session instead */
    }
}

static uint32_t until (uint64_t due_ms, uint64_t now_ms)
{
    if (due_ms <= now_ms)
    {
        return 0U;
    }
    const uint64_t wait = due_ms - now_ms;
    return (wait < RUUVI_LINK_IDLE_WAIT_MS) ? (uint32_t) wait : RUUVI_LINK_IDLE_WAIT_MS;
}

ruuvi_link_action_t ruuvi_link_next (ruuvi_link_t * p_link, uint64_t now_ms, uint32_t * p_wait_ms)
{
    uint32_t wait = RUUVI_LINK_IDLE_WAIT_MS;
    ruuvi_link_action_t action = RUUVI_LINK_WAIT;
    if (NULL == p_link)
    {
        wait = RUUVI_LINK_IDLE_WAIT_MS;
    }
    else if (RUUVI_LINK_WIFI_DOWN == p_link->wifi && now_ms >= p_link->wifi_due_ms)
    {
        p_link->wifi = RUUVI_LINK_WIFI_CONNECTING;
        p_link->wifi_due_ms = now_ms + RUUVI_LINK_WIFI_CONNECT_TIMEOUT_MS;
        action = RUUVI_LINK_WIFI_CONNECT;
    }
    else if (RUUVI_LINK_WIFI_CONNECTING == p_link->wifi && now_ms >= p_link->wifi_due_ms)
    {
        /* neither an address nor a failure came: count it as a failure and retry */
        ruuvi_link_on_wifi_disconnected (p_link, now_ms);
        return ruuvi_link_next (p_link, now_ms, p_wait_ms);
    }
    else if (RUUVI_LINK_WIFI_UP == p_link->wifi && RUUVI_LINK_MQTT_IDLE == p_link->mqtt
             && now_ms >= p_link->mqtt_due_ms)
    {
        p_link->mqtt = RUUVI_LINK_MQTT_CONNECTING;
        action = RUUVI_LINK_MQTT_START;
    }
    else if (RUUVI_LINK_WIFI_UP == p_link->wifi && RUUVI_LINK_MQTT_DOWN == p_link->mqtt
             && now_ms >= p_link->mqtt_due_ms)
    {
        p_link->mqtt = RUUVI_LINK_MQTT_CONNECTING;
        action = RUUVI_LINK_MQTT_RECONNECT;
    }
    else if (RUUVI_LINK_WIFI_UP == p_link->wifi && RUUVI_LINK_MQTT_UP == p_link->mqtt && p_link->mqtt_stale)
    {
        p_link->mqtt_stale = false;
        action = RUUVI_LINK_MQTT_DISCONNECT;
    }
    else
    {
        if (RUUVI_LINK_WIFI_UP != p_link->wifi)
        {
            wait = until (p_link->wifi_due_ms, now_ms);
        }
        else if (RUUVI_LINK_MQTT_DOWN == p_link->mqtt || RUUVI_LINK_MQTT_IDLE == p_link->mqtt)
        {
            wait = until (p_link->mqtt_due_ms, now_ms);
        }
    }
    if (NULL != p_wait_ms)
    {
        *p_wait_ms = (RUUVI_LINK_WAIT == action) ? wait : 0U;
    }
    return action;
}

bool ruuvi_link_can_publish (const ruuvi_link_t * p_link)
{
    return NULL != p_link && RUUVI_LINK_WIFI_UP == p_link->wifi && RUUVI_LINK_MQTT_UP == p_link->mqtt;
}

const char * ruuvi_link_action_name (ruuvi_link_action_t action)
{
    switch (action)
    {
        case RUUVI_LINK_WAIT:            return "wait";
        case RUUVI_LINK_WIFI_CONNECT:    return "wifi_connect";
        case RUUVI_LINK_MQTT_START:      return "mqtt_start";
        case RUUVI_LINK_MQTT_RECONNECT:  return "mqtt_reconnect";
        case RUUVI_LINK_MQTT_DISCONNECT: return "mqtt_disconnect";
        default:                         return "unknown";
    }
}
