/**
 * @file ruuvi_gateway.h
 * What the gateway publishes: the Ruuvi Gateway MQTT message of one advertisement, its topic,
 * and the gateway's status message with its counters. Pure formatting, no allocation.
 */
#ifndef RUUVI_GATEWAY_H
#define RUUVI_GATEWAY_H

#include "ruuvi_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest advertisement relayed; an E1 extended advertisement is 44 bytes. */
#define RUUVI_PACKET_MAX_ADV_LEN (80U)
/** The RSSI a BLE controller reports when it could not measure one (HCI; NimBLE passes it on). */
#define RUUVI_RSSI_NOT_AVAILABLE (127)
/** Marker for "clock not synced": the message carries "cnt" instead of "ts"/"gwts". */
#define RUUVI_TIMESTAMP_NONE (-1LL)
/** Longest topic prefix: the topic "<prefix>/<gw MAC>/<tag MAC>" then fits RUUVI_TOPIC_MAX. */
#define RUUVI_TOPIC_PREFIX_MAX (64U)
/** Buffer for any topic the gateway publishes to (prefix, two MACs or "gw_status", NUL). */
#define RUUVI_TOPIC_MAX (RUUVI_TOPIC_PREFIX_MAX + 2U * 18U + 1U)
/** Buffer for any message the gateway publishes (the longest advertisement in hex fits). */
#define RUUVI_MESSAGE_MAX (640U)

/** One advertisement the gateway relays. */
typedef struct
{
    uint8_t   tag_mac[RUUVI_MAC_LEN]; /**< most significant byte first, as printed */
    int8_t    rssi;                   /**< dBm; 127 when the radio did not measure it */
    uint8_t   adv_len;
    uint32_t  cnt; /**< the gateway's count of advertisements accepted, at this one */
    int64_t   ts;  /**< Unix seconds when received, or RUUVI_TIMESTAMP_NONE */
    uint8_t   adv[RUUVI_PACKET_MAX_ADV_LEN];
} ruuvi_packet_t;

/**
 * Builds the Ruuvi Gateway MQTT message (docs.ruuvi.com "MQTT: Time-stamped data from
 * Bluetooth-sensors" / "... without timestamps"), with numbers where the current Ruuvi Gateway
 * firmware writes numbers:
 *   {"gw_mac":"..","rssi":-60,"aoa":[],"gwts":1728719836,"ts":1728719835,"data":"<adv hex>","coords":""}
 * and, for a packet received before the clock was synced (ts is RUUVI_TIMESTAMP_NONE):
 *   {"gw_mac":"..","rssi":-60,"aoa":[],"cnt":338,"data":"<adv hex>","coords":""}
 * gwts is the relay time; RUUVI_TIMESTAMP_NONE there (which a synced ts makes unlikely) uses ts.
 * On success *p_written is the length without the NUL.
 */
ruuvi_err_t ruuvi_json_gateway_message (char * out, size_t cap, const uint8_t gw_mac[RUUVI_MAC_LEN],
                                        const ruuvi_packet_t * p_packet, int64_t gwts,
                                        size_t * p_written);

/** Topic "<prefix>/<GW MAC>/<TAG MAC>", e.g. "ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F". */
ruuvi_err_t ruuvi_topic (char * out, size_t cap, const char * prefix,
                         const uint8_t gw_mac[RUUVI_MAC_LEN], const uint8_t tag_mac[RUUVI_MAC_LEN]);

/** Topic "<prefix>/<GW MAC>/gw_status" of the gateway's status and last will. */
ruuvi_err_t ruuvi_status_topic (char * out, size_t cap, const char * prefix, const uint8_t gw_mac[RUUVI_MAC_LEN]);

/** The last will: what the broker publishes (retained) when the gateway's session dies. */
#define RUUVI_STATUS_OFFLINE "{\"state\":\"offline\"}"

/**
 * What the gateway has done since it booted. Every counter only grows (until a reboot, which
 * uptime_s reveals); buffered, in_flight and tags are the current levels.
 */
typedef struct
{
    uint64_t uptime_s;
    /* advertisements from RuuviTags, by what became of them */
    uint32_t accepted;      /**< new measurements handed to the relay */
    uint32_t repeats;       /**< the same measurement heard again: de-duplicated */
    uint32_t superseded;    /**< Ruuvi Air format 6 while its E1 is heard: de-duplicated */
    uint32_t not_allowed;   /**< tags outside the allow-list */
    uint32_t unsupported;   /**< Ruuvi data of a format the gateway does not relay */
    uint32_t table_full;    /**< dropped: a new tag while every tag slot is taken and fresh */
    uint32_t too_long;      /**< dropped: advertisement longer than RUUVI_PACKET_MAX_ADV_LEN */
    uint32_t queue_full;    /**< dropped: the relay task's queue was full */
    uint32_t tags_forgotten; /**< tag slots reused after the tag went silent */
    /* the relay */
    uint32_t relayed;       /**< acknowledged by the broker (PUBACK) */
    uint32_t buffer_full;   /**< dropped: oldest waiting packet overwritten, buffer full */
    uint32_t resent;        /**< expired unacknowledged in the MQTT outbox, sent again */
    uint32_t unformattable; /**< dropped: no topic/message could be built (never expected) */
    uint32_t acks_lost;     /**< acknowledgements the relay task could not be told of */
    /* the links */
    uint32_t wifi_reconnects;
    uint32_t mqtt_reconnects;
    /* levels */
    uint32_t buffered;  /**< packets waiting or in flight */
    uint32_t in_flight; /**< packets handed to MQTT and not yet acknowledged */
    uint32_t tags;      /**< tags remembered for de-duplication */
} ruuvi_gateway_status_t;

/**
 * The status message, retained on the status topic while the gateway is up:
 *   {"state":"online","uptime_s":..,"buffered":..,"in_flight":..,"tags":..,
 *    "counters":{"accepted":..,"repeats":..,...}}
 * The counter names are the struct's field names; the platform turns them into metrics.
 */
ruuvi_err_t ruuvi_json_gateway_status (char * out, size_t cap, const ruuvi_gateway_status_t * p_status,
                                       size_t * p_written);

/**
 * Reconnect delay for the 0-based attempt: initial_ms * 2^attempt, capped at max_ms
 * (never overflows; initial_ms > max_ms yields max_ms).
 */
uint32_t ruuvi_backoff_ms (uint32_t attempt, uint32_t initial_ms, uint32_t max_ms);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_GATEWAY_H */
