/**
 * @file ruuvi_scan.h
 * What the gateway does with one BLE advertisement: is it a RuuviTag's, is the tag allowed, is
 * the measurement new? Keeps the tag table (one slot per tag, bounded) for de-duplication:
 * - a measurement is relayed once: the same tag + data format + measurement sequence again is a
 *   repeat (format 3 has no sequence: its payload bytes are compared);
 * - Ruuvi Air sends every measurement twice, as format 6 (legacy advertising) and E1 (extended).
 *   Ruuvi's format 6 specification: a receiver that hears E1 discards format 6. So once a tag's
 *   E1 is heard, its format 6 packets are superseded (until no E1 came for forget_after_ms);
 *   an E1 carrying the sample last relayed as format 6 (same low sequence byte) is a repeat;
 * - a tag silent for forget_after_ms gives its slot to a new tag when the table is full, so a
 *   tag passing by does not hold a slot until reboot.
 * Single-threaded: the caller serialises calls. Time is the caller's monotonic milliseconds.
 */
#ifndef RUUVI_SCAN_H
#define RUUVI_SCAN_H

#include "ruuvi_gateway.h"
#include "ruuvi_util.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
    uint8_t  mac[RUUVI_MAC_LEN];
    bool     used;
    bool     has_last;      /**< a measurement of this tag was relayed */
    bool     heard_e1;
    uint8_t  last_format;   /**< data format of the last measurement relayed */
    uint32_t last_key;      /**< its de-duplication key */
    uint64_t last_seen_ms;  /**< last advertisement of any kind from this tag */
    uint64_t e1_heard_ms;   /**< last E1 advertisement, when heard_e1 */
    /* what the last relayed measurement replaced, restored by ruuvi_scan_not_queued() */
    bool     prev_has_last;
    uint8_t  prev_format;
    uint32_t prev_key;
} ruuvi_tag_entry_t;

typedef struct
{
    uint32_t accepted;
    uint32_t repeats;
    uint32_t superseded;
    uint32_t not_allowed;
    uint32_t unsupported;
    uint32_t table_full;
    uint32_t too_long;
    uint32_t queue_full;
    uint32_t tags_forgotten;
} ruuvi_scan_stats_t;

typedef struct
{
    ruuvi_tag_entry_t *       p_tags;
    size_t                    capacity; /**< MAX_RUUVITAGS */
    const ruuvi_allowlist_t * p_allow;  /**< NULL or empty: every RuuviTag */
    uint32_t                  forget_after_ms;
    uint32_t                  next_cnt;
    ruuvi_scan_stats_t        stats;
} ruuvi_scan_t;

typedef enum
{
    RUUVI_SCAN_RELAY = 0,   /**< new measurement: *p_out is the packet to relay */
    RUUVI_SCAN_NOT_RUUVI,   /**< no Ruuvi manufacturer data: every other device around */
    RUUVI_SCAN_UNSUPPORTED, /**< Ruuvi data of another format, or malformed */
    RUUVI_SCAN_NOT_ALLOWED,
    RUUVI_SCAN_TOO_LONG,
    RUUVI_SCAN_REPEAT,
    RUUVI_SCAN_SUPERSEDED,
    RUUVI_SCAN_TABLE_FULL
} ruuvi_scan_verdict_t;

ruuvi_err_t ruuvi_scan_init (ruuvi_scan_t * p_scan, ruuvi_tag_entry_t * p_storage, size_t capacity,
                             const ruuvi_allowlist_t * p_allow, uint32_t forget_after_ms);

/**
 * Judges one advertisement. addr_le is the advertiser address as the BLE stack stores it
 * (least significant byte first); adv the advertisement data. ts is the Unix time of receipt
 * or RUUVI_TIMESTAMP_NONE. Counts the verdict in p_scan->stats.
 */
ruuvi_scan_verdict_t ruuvi_scan_advertisement (ruuvi_scan_t * p_scan, const uint8_t addr_le[RUUVI_MAC_LEN],
                                               const uint8_t * adv, size_t len, int8_t rssi, int64_t ts,
                                               uint64_t now_ms, ruuvi_packet_t * p_out);

/**
 * The packet of the last RUUVI_SCAN_RELAY verdict could not be queued: counts it as
 * queue_full and forgets it was relayed, so the tag's next advertisement of that measurement
 * is relayed instead of being taken for a repeat.
 */
void ruuvi_scan_not_queued (ruuvi_scan_t * p_scan, const ruuvi_packet_t * p_packet);

/** Copies the counters into the status message's fields. */
void ruuvi_scan_report (const ruuvi_scan_stats_t * p_stats, ruuvi_gateway_status_t * p_status);

/** Tags heard within forget_after_ms. */
size_t ruuvi_scan_tags (const ruuvi_scan_t * p_scan, uint64_t now_ms);

/**
 * The de-duplication key of a decoded packet: its measurement sequence when the format has
 * one and it is available, otherwise a 32-bit FNV-1a hash of the payload (format 3).
 */
uint32_t ruuvi_dedup_key (const ruuvi_measurement_t * p_m, const uint8_t * payload, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_SCAN_H */
