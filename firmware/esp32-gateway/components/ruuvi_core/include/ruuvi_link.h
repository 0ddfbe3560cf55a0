/**
 * @file ruuvi_link.h
 * The gateway's two links, Wi-Fi and the MQTT session, as facts reported by events plus a
 * level-based decision of what to do next. The glue reports what happened (ruuvi_link_on_*),
 * then asks ruuvi_link_next() until it answers RUUVI_LINK_WAIT, does what it was told, and
 * calls again after the returned delay (or on the next event).
 *
 * The MQTT session's state is only what the MQTT client reports. A Wi-Fi outage does not end
 * it: a TCP session can outlive a short drop (same address, back before the keepalive expires),
 * and then the client never reports a disconnection, never waits to reconnect, and refuses a
 * reconnect request. So the session is reconnected only after the client reported it lost;
 * publishing pauses while Wi-Fi is down and resumes when it is back. A session that cannot have
 * survived (the address changed) is closed on purpose, so the client reports it lost at once
 * instead of after its keepalive.
 *
 * Every failure retries with capped exponential backoff; the attempt count restarts when the
 * link comes up. Single-threaded: the caller serialises calls. Time is the caller's monotonic
 * milliseconds.
 */
#ifndef RUUVI_LINK_H
#define RUUVI_LINK_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A Wi-Fi connect that neither succeeded nor failed after this long is retried. */
#define RUUVI_LINK_WIFI_CONNECT_TIMEOUT_MS (60000U)
/** ruuvi_link_next()'s wait when nothing is scheduled: check again at the latest then. */
#define RUUVI_LINK_IDLE_WAIT_MS (60000U)

typedef enum
{
    RUUVI_LINK_WIFI_DOWN = 0,   /**< not associated; a connect is scheduled */
    RUUVI_LINK_WIFI_CONNECTING, /**< connect issued, awaiting an address or a failure */
    RUUVI_LINK_WIFI_UP          /**< has an IP address */
} ruuvi_link_wifi_t;

typedef enum
{
    RUUVI_LINK_MQTT_IDLE = 0,   /**< client not started yet */
    RUUVI_LINK_MQTT_CONNECTING, /**< start/reconnect issued, awaiting connected or disconnected */
    RUUVI_LINK_MQTT_UP,         /**< the client reported connected and not since disconnected */
    RUUVI_LINK_MQTT_DOWN        /**< the client reported disconnected; a reconnect is scheduled */
} ruuvi_link_mqtt_t;

typedef enum
{
    RUUVI_LINK_WAIT = 0,           /**< nothing to do now */
    RUUVI_LINK_WIFI_CONNECT,       /**< esp_wifi_connect() */
    RUUVI_LINK_MQTT_START,         /**< esp_mqtt_client_start(), once */
    RUUVI_LINK_MQTT_RECONNECT,     /**< esp_mqtt_client_reconnect() */
    RUUVI_LINK_MQTT_DISCONNECT     /**< esp_mqtt_client_disconnect(): the session cannot be alive */
} ruuvi_link_action_t;

typedef struct
{
    ruuvi_link_wifi_t wifi;
    ruuvi_link_mqtt_t mqtt;
    bool              mqtt_stale;  /**< the address changed under a session reported up */
    bool              wifi_was_up; /**< for counting reconnects */
    bool              mqtt_was_up;
    uint32_t          wifi_attempt;
    uint32_t          mqtt_attempt;
    uint64_t          wifi_due_ms; /**< DOWN: when to connect; CONNECTING: when to give up */
    uint64_t          mqtt_due_ms; /**< DOWN: when to reconnect; IDLE: when to start */
    uint32_t          backoff_initial_ms;
    uint32_t          backoff_max_ms;
    uint32_t          wifi_reconnects;
    uint32_t          mqtt_reconnects;
} ruuvi_link_t;

void ruuvi_link_init (ruuvi_link_t * p_link, uint32_t backoff_initial_ms, uint32_t backoff_max_ms);

/** Wi-Fi station started: connect now. */
void ruuvi_link_on_wifi_started (ruuvi_link_t * p_link, uint64_t now_ms);
/** Wi-Fi disconnected, or a connect attempt failed. */
void ruuvi_link_on_wifi_disconnected (ruuvi_link_t * p_link, uint64_t now_ms);
/** An IP address was obtained; ip_changed: it differs from the previous one. */
void ruuvi_link_on_wifi_got_ip (ruuvi_link_t * p_link, uint64_t now_ms, bool ip_changed);
void ruuvi_link_on_mqtt_connected (ruuvi_link_t * p_link, uint64_t now_ms);
/** The client reported the session lost, or a connect attempt failed. */
void ruuvi_link_on_mqtt_disconnected (ruuvi_link_t * p_link, uint64_t now_ms);
/** The call an action asked for returned an error: retry it after the backoff. */
void ruuvi_link_on_action_failed (ruuvi_link_t * p_link, ruuvi_link_action_t action, uint64_t now_ms);

/**
 * The next thing to do now (the state moves on as if it was done), or RUUVI_LINK_WAIT with
 * *p_wait_ms the time until something falls due.
 */
ruuvi_link_action_t ruuvi_link_next (ruuvi_link_t * p_link, uint64_t now_ms, uint32_t * p_wait_ms);

/** Publishing makes sense: Wi-Fi has an address and the MQTT client reports a session. */
bool ruuvi_link_can_publish (const ruuvi_link_t * p_link);

const char * ruuvi_link_action_name (ruuvi_link_action_t action);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_LINK_H */
