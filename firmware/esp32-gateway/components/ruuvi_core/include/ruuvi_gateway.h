/**
 * @file ruuvi_gateway.h
 * The gateway's portable logic: Ruuvi Gateway MQTT JSON, de-duplication by MAC + measurement
 * sequence, and the bounded offline ring buffer. No allocation: callers provide storage.
 */
#ifndef RUUVI_GATEWAY_H
#define RUUVI_GATEWAY_H

#include "ruuvi_decode.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest advertisement relayed; an E1 extended advertisement is 44 bytes. */
#define RUUVI_PACKET_MAX_ADV_LEN (80U)
/** Marker for "clock not synced": no ts/gwts in the JSON. */
#define RUUVI_TIMESTAMP_NONE (-1LL)

typedef struct
{
    uint8_t   tag_mac[RUUVI_MAC_LEN];
    int8_t    rssi;
    int64_t   ts; /**< Unix seconds when received, or RUUVI_TIMESTAMP_NONE */
    uint8_t   adv_len;
    uint8_t   adv[RUUVI_PACKET_MAX_ADV_LEN];
} ruuvi_packet_t;

/**
 * Builds the Ruuvi Gateway MQTT message (docs.ruuvi.com "MQTT: Data from Bluetooth-sensors"):
 * {"gw_mac":"..","rssi":-60,"aoa":[],"gwts":"..","ts":"..","data":"<adv hex>","coords":""}
 * gwts and ts appear only when ts/gwts are not RUUVI_TIMESTAMP_NONE.
 * On success *p_written is the length without the NUL.
 */
ruuvi_err_t ruuvi_json_gateway_message (char * out, size_t cap, const uint8_t gw_mac[RUUVI_MAC_LEN],
                                        const ruuvi_packet_t * p_packet, int64_t gwts,
                                        size_t * p_written);

/** Topic "<prefix>/<GW MAC>/<TAG MAC>", e.g. "ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F". */
ruuvi_err_t ruuvi_topic (char * out, size_t cap, const char * prefix,
                         const uint8_t gw_mac[RUUVI_MAC_LEN], const uint8_t tag_mac[RUUVI_MAC_LEN]);

typedef struct
{
    uint8_t  mac[RUUVI_MAC_LEN];
    uint32_t key;
    bool     used;
} ruuvi_dedup_entry_t;

typedef struct
{
    ruuvi_dedup_entry_t * p_entries;
    size_t                capacity; /**< the tag limit, MAX_RUUVITAGS */
} ruuvi_dedup_t;

typedef enum
{
    RUUVI_DEDUP_NEW = 0, /**< first time this MAC + key is seen: relay it */
    RUUVI_DEDUP_REPEAT,  /**< same MAC + key as last time: drop */
    RUUVI_DEDUP_FULL     /**< a new MAC but the tag limit is reached: drop */
} ruuvi_dedup_result_t;

ruuvi_err_t ruuvi_dedup_init (ruuvi_dedup_t * p_dedup, ruuvi_dedup_entry_t * p_storage, size_t capacity);

/**
 * The de-duplication key of a decoded packet: its measurement sequence when the format has
 * one and it is available, otherwise a 32-bit FNV-1a hash of the payload (format 3).
 */
uint32_t ruuvi_dedup_key (const ruuvi_measurement_t * p_m, const uint8_t * payload, size_t len);

/** Records mac + key and says whether the packet is new. */
ruuvi_dedup_result_t ruuvi_dedup_check (ruuvi_dedup_t * p_dedup, const uint8_t mac[RUUVI_MAC_LEN],
                                        uint32_t key);

typedef struct
{
    ruuvi_packet_t * p_slots;
    size_t           capacity;
    size_t           head;  /**< index of the oldest packet */
    size_t           count;
    uint32_t         dropped; /**< packets overwritten because the buffer was full */
} ruuvi_ring_t;

ruuvi_err_t ruuvi_ring_init (ruuvi_ring_t * p_ring, ruuvi_packet_t * p_storage, size_t capacity);

/** Appends a copy; when full, the oldest packet is overwritten and `dropped` counts it. */
ruuvi_err_t ruuvi_ring_push (ruuvi_ring_t * p_ring, const ruuvi_packet_t * p_packet);

/** Copies the oldest packet to *p_out without removing it. RUUVI_ERR_EMPTY when empty. */
ruuvi_err_t ruuvi_ring_peek (const ruuvi_ring_t * p_ring, ruuvi_packet_t * p_out);

/** Removes the oldest packet. RUUVI_ERR_EMPTY when empty. */
ruuvi_err_t ruuvi_ring_pop (ruuvi_ring_t * p_ring);

size_t ruuvi_ring_count (const ruuvi_ring_t * p_ring);

/**
 * Reconnect delay for the 0-based attempt: initial_ms * 2^attempt, capped at max_ms
 * (never overflows; initial_ms > max_ms yields max_ms).
 */
uint32_t ruuvi_backoff_ms (uint32_t attempt, uint32_t initial_ms, uint32_t max_ms);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_GATEWAY_H */
