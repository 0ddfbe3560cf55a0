/**
 * @file gw.h
 * ESP-IDF glue of the iotpipe Ruuvi gateway. The portable logic (decoding, JSON, de-duplication,
 * ring buffer) lives in components/ruuvi_core and is unit-tested on the host.
 */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stdint.h>

#include "ruuvi_gateway.h"

/** Starts WiFi (station), SNTP and the MQTT client; reconnects with capped backoff. */
void gw_net_start (const uint8_t gw_mac[RUUVI_MAC_LEN]);
/** True while the MQTT session is up. */
bool gw_net_mqtt_connected (void);
/** Publishes at QoS 1; true when the client accepted the message (queued for PUBACK). */
bool gw_net_publish (const char * topic, const char * payload, int len);
/** True once SNTP has set the clock. */
bool gw_net_time_synced (void);

/** Starts the relay task: takes packets from the BLE side, buffers them, publishes them. */
void gw_relay_start (const uint8_t gw_mac[RUUVI_MAC_LEN]);
/** Hands a packet to the relay task (non-blocking; false when its queue is full). */
bool gw_relay_submit (const ruuvi_packet_t * p_packet);

/** Starts NimBLE and a continuous passive scan for RuuviTags. */
void gw_ble_start (void);

/** Delay before reconnect attempt `attempt` (0-based): initial * 2^attempt, capped. */
uint32_t gw_backoff_ms (uint32_t attempt);

#endif
