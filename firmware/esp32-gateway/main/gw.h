/**
 * @file gw.h
 * ESP-IDF glue of the iotpipe Ruuvi gateway: only ESP-IDF calls live in main/. What the
 * gateway decides (which advertisements to relay, what to do about a lost link, which packets
 * are still owed to the broker, what it publishes, whether the settings are sound) lives in
 * components/ruuvi_core, unit-tested and fuzzed on the host.
 *
 * Tasks: the NimBLE host task judges advertisements (gw_ble.c) and queues packets to the relay
 * task (gw_relay.c), which buffers them, hands them to the MQTT client and keeps them until the
 * broker acknowledged them. Wi-Fi, timer and MQTT client events drive the link (gw_net.c).
 */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stdint.h>

#include "esp_idf_version.h"
#include "ruuvi_gateway.h"
#include "ruuvi_scan.h"
#include "ruuvi_util.h"

/* The tested range (firmware/README.md): the MQTT outbox limit (cfg.outbox.limit) came with
 * 5.1.2; ESP-IDF 6 moved the MQTT client out of ESP-IDF (espressif/mqtt), not tried here. */
#if ESP_IDF_VERSION < ESP_IDF_VERSION_VAL(5, 1, 2)
#error "the iotpipe gateway needs ESP-IDF v5.1.2 or newer (see firmware/README.md)"
#endif
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 0)
#error "the iotpipe gateway is tested on ESP-IDF v5.1.2 to v5.x; 6.0 moved the MQTT client out (see firmware/README.md)"
#endif

/** Milliseconds since boot (monotonic). */
uint64_t gw_now_ms (void);

/** Starts Wi-Fi (station), SNTP and the MQTT client, driven by the link state machine. */
void gw_net_start (const uint8_t gw_mac[RUUVI_MAC_LEN]);
/** Wi-Fi has an address and the MQTT client reports a session. */
bool gw_net_can_publish (void);
/** True once SNTP has set the clock. */
bool gw_net_time_synced (void);
/**
 * Queues a QoS 1 message in the MQTT client's outbox (sent when connected, kept until its
 * PUBACK): the message id (> 0), -1 on error, -2 when the outbox is full.
 */
int gw_net_enqueue (const char * topic, const char * payload, int len, bool retain);
/** Wi-Fi and MQTT reconnects since boot. */
void gw_net_reconnects (uint32_t * p_wifi, uint32_t * p_mqtt);

/** Starts the relay task: buffers packets, publishes them and the status message. */
void gw_relay_start (const uint8_t gw_mac[RUUVI_MAC_LEN]);
/** Hands a packet to the relay task (never blocks; false when its queue is full). */
bool gw_relay_submit (const ruuvi_packet_t * p_packet);
/** The broker acknowledged msg_id (from the MQTT client's task; never blocks). */
void gw_relay_acked (int msg_id);
/** The MQTT client deleted msg_id unacknowledged (from the MQTT client's task; never blocks). */
void gw_relay_expired (int msg_id);

/** Starts NimBLE and a continuous passive scan; p_allow empty: every RuuviTag. */
void gw_ble_start (const ruuvi_allowlist_t * p_allow);
/** A consistent copy of the scanner's counters and the number of tags heard recently. */
void gw_ble_counters (ruuvi_scan_stats_t * p_stats, uint32_t * p_tags);

#endif
