/**
 * @file ruuvi_relay.h
 * The relay's buffer: packets wait here until the broker has acknowledged them, not merely
 * until the MQTT client accepted them. Each packet is
 *   waiting   - not yet handed to the MQTT client (offline, or too many in flight), or
 *   in flight - handed over under an MQTT message id, awaiting its PUBACK.
 * A PUBACK removes its packet; a message the client deleted unacknowledged (its outbox
 * expires messages) makes its packet wait again, to be sent anew. When the buffer is full the
 * oldest waiting packet is dropped and counted; in-flight packets are never dropped, and at
 * most max_in_flight (< capacity) are in flight, so there is always a waiting one to drop.
 * Packets are handed over oldest first. Single-threaded: the caller serialises calls.
 */
#ifndef RUUVI_RELAY_H
#define RUUVI_RELAY_H

#include "ruuvi_gateway.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct
{
    ruuvi_packet_t packet;
    int32_t        msg_id; /**< > 0 in flight, 0 waiting */
    bool           used;
} ruuvi_relay_slot_t;

typedef struct
{
    uint32_t relayed;       /**< acknowledged */
    uint32_t buffer_full;   /**< waiting packets dropped to make room */
    uint32_t resent;        /**< deleted unacknowledged by the client, waiting again */
    uint32_t unformattable; /**< dropped by ruuvi_relay_drop() */
    uint32_t unknown_acks;  /**< acknowledgements of no packet here (e.g. status messages) */
} ruuvi_relay_stats_t;

typedef struct
{
    ruuvi_relay_slot_t * p_slots;
    uint16_t *           p_order; /**< slot indexes, oldest packet first */
    size_t               capacity;
    size_t               count;
    size_t               in_flight;
    size_t               max_in_flight;
    ruuvi_relay_stats_t  stats;
} ruuvi_relay_t;

/** Identifies a packet between ruuvi_relay_next() and ruuvi_relay_sent()/ruuvi_relay_drop(). */
typedef uint16_t ruuvi_relay_handle_t;

/** Largest capacity (slot indexes are 16-bit). */
#define RUUVI_RELAY_MAX_CAPACITY (4096U)

/**
 * p_slots and p_order each hold capacity entries. Needs 1 <= max_in_flight < capacity <=
 * RUUVI_RELAY_MAX_CAPACITY (RUUVI_ERR_NO_SPACE otherwise).
 */
ruuvi_err_t ruuvi_relay_init (ruuvi_relay_t * p_relay, ruuvi_relay_slot_t * p_slots, uint16_t * p_order,
                              size_t capacity, size_t max_in_flight);

/** Adds a packet as waiting; when full, first drops the oldest waiting packet (buffer_full). */
ruuvi_err_t ruuvi_relay_push (ruuvi_relay_t * p_relay, const ruuvi_packet_t * p_packet);

/**
 * The oldest waiting packet, if fewer than max_in_flight are in flight: *pp_packet points into
 * the buffer until the next call that changes it. RUUVI_ERR_EMPTY when there is none to send.
 */
ruuvi_err_t ruuvi_relay_next (const ruuvi_relay_t * p_relay, ruuvi_relay_handle_t * p_handle,
                              const ruuvi_packet_t ** pp_packet);

/** The MQTT client accepted the packet under msg_id (> 0): it is in flight. */
ruuvi_err_t ruuvi_relay_sent (ruuvi_relay_t * p_relay, ruuvi_relay_handle_t handle, int32_t msg_id);

/** Drops a packet that cannot be sent at all (counted as unformattable). */
ruuvi_err_t ruuvi_relay_drop (ruuvi_relay_t * p_relay, ruuvi_relay_handle_t handle);

/** PUBACK of msg_id: removes its packet. RUUVI_ERR_NOT_FOUND when no packet has that id. */
ruuvi_err_t ruuvi_relay_acked (ruuvi_relay_t * p_relay, int32_t msg_id);

/** The client deleted msg_id unacknowledged: its packet waits again (resent). */
ruuvi_err_t ruuvi_relay_expired (ruuvi_relay_t * p_relay, int32_t msg_id);

/** Copies the counters and the levels (buffered, in_flight) into the status message's fields. */
void ruuvi_relay_report (const ruuvi_relay_t * p_relay, ruuvi_gateway_status_t * p_status);

size_t ruuvi_relay_count (const ruuvi_relay_t * p_relay);
size_t ruuvi_relay_in_flight (const ruuvi_relay_t * p_relay);

#ifdef __cplusplus
}
#endif

#endif /* RUUVI_RELAY_H */
