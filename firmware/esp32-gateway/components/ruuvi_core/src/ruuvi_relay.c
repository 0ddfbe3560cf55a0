/**
 * @file ruuvi_relay.c
 * The relay's buffer (see ruuvi_relay.h). Packets stay in their slot; p_order lists the used
 * slots oldest first, so removing any packet moves only 16-bit indexes.
 */
#include "ruuvi_relay.h"

#include <string.h>

ruuvi_err_t ruuvi_relay_init (ruuvi_relay_t * p_relay, ruuvi_relay_slot_t * p_slots, uint16_t * p_order,
                              size_t capacity, size_t max_in_flight)
{
    if (NULL == p_relay || NULL == p_slots || NULL == p_order)
    {
        return RUUVI_ERR_NULL;
    }
    if (capacity > RUUVI_RELAY_MAX_CAPACITY || 0U == max_in_flight || max_in_flight >= capacity)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    memset (p_relay, 0, sizeof (*p_relay));
    memset (p_slots, 0, capacity * sizeof (p_slots[0]));
    p_relay->p_slots = p_slots;
    p_relay->p_order = p_order;
    p_relay->capacity = capacity;
    p_relay->max_in_flight = max_in_flight;
    return RUUVI_OK;
}

static bool ready (const ruuvi_relay_t * p_relay)
{
    return NULL != p_relay && NULL != p_relay->p_slots && NULL != p_relay->p_order;
}

/** Removes the packet at position pos of the order (0 = oldest). */
static void remove_at (ruuvi_relay_t * p_relay, size_t pos)
{
    ruuvi_relay_slot_t * p_slot = &p_relay->p_slots[p_relay->p_order[pos]];
    if (p_slot->msg_id > 0)
    {
        p_relay->in_flight--;
    }
    p_slot->used = false;
    p_slot->msg_id = 0;
    memmove (&p_relay->p_order[pos], &p_relay->p_order[pos + 1U],
             (p_relay->count - pos - 1U) * sizeof (p_relay->p_order[0]));
    p_relay->count--;
}

static bool find_msg (const ruuvi_relay_t * p_relay, int32_t msg_id, size_t * p_pos)
{
    for (size_t pos = 0; msg_id > 0 && pos < p_relay->count; pos++)
    {
        if (p_relay->p_slots[p_relay->p_order[pos]].msg_id == msg_id)
        {
            *p_pos = pos;
            return true;
        }
    }
    return false;
}

ruuvi_err_t ruuvi_relay_push (ruuvi_relay_t * p_relay, const ruuvi_packet_t * p_packet)
{
    if (!ready (p_relay) || NULL == p_packet)
    {
        return RUUVI_ERR_NULL;
    }
    if (p_packet->adv_len > RUUVI_PACKET_MAX_ADV_LEN)
    {
        return RUUVI_ERR_TOO_LONG;
    }
    if (p_relay->count == p_relay->capacity)
    {
        /* max_in_flight < capacity: a full buffer always holds a waiting packet */
        for (size_t pos = 0; pos < p_relay->count; pos++)
        {
            if (0 == p_relay->p_slots[p_relay->p_order[pos]].msg_id)
            {
                remove_at (p_relay, pos);
                p_relay->stats.buffer_full++;
                break;
            }
        }
    }
    size_t free_slot = 0;
    while (free_slot < p_relay->capacity && p_relay->p_slots[free_slot].used)
    {
        free_slot++;
    }
    if (free_slot == p_relay->capacity)
    {
        return RUUVI_ERR_NO_SPACE; /* unreachable while the invariant holds */
    }
    ruuvi_relay_slot_t * p_slot = &p_relay->p_slots[free_slot];
    p_slot->packet = *p_packet;
    p_slot->msg_id = 0;
    p_slot->used = true;
    p_relay->p_order[p_relay->count++] = (uint16_t) free_slot;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_relay_next (const ruuvi_relay_t * p_relay, ruuvi_relay_handle_t * p_handle,
                              const ruuvi_packet_t ** pp_packet)
{
    if (!ready (p_relay) || NULL == p_handle || NULL == pp_packet)
    {
        return RUUVI_ERR_NULL;
    }
    if (p_relay->in_flight >= p_relay->max_in_flight)
    {
        return RUUVI_ERR_EMPTY;
    }
    for (size_t pos = 0; pos < p_relay->count; pos++)
    {
        const uint16_t index = p_relay->p_order[pos];
        if (0 == p_relay->p_slots[index].msg_id)
        {
            *p_handle = index;
            *pp_packet = &p_relay->p_slots[index].packet;
            return RUUVI_OK;
        }
    }
    return RUUVI_ERR_EMPTY;
}

static bool waiting (const ruuvi_relay_t * p_relay, ruuvi_relay_handle_t handle)
{
    return handle < p_relay->capacity && p_relay->p_slots[handle].used && 0 == p_relay->p_slots[handle].msg_id;
}

ruuvi_err_t ruuvi_relay_sent (ruuvi_relay_t * p_relay, ruuvi_relay_handle_t handle, int32_t msg_id)
{
    if (!ready (p_relay))
    {
        return RUUVI_ERR_NULL;
    }
    size_t pos = 0;
    if (msg_id <= 0 || !waiting (p_relay, handle) || find_msg (p_relay, msg_id, &pos))
    {
        return RUUVI_ERR_NOT_FOUND;
    }
    p_relay->p_slots[handle].msg_id = msg_id;
    p_relay->in_flight++;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_relay_drop (ruuvi_relay_t * p_relay, ruuvi_relay_handle_t handle)
{
    if (!ready (p_relay))
    {
        return RUUVI_ERR_NULL;
    }
    for (size_t pos = 0; waiting (p_relay, handle) && pos < p_relay->count; pos++)
    {
        if (p_relay->p_order[pos] == handle)
        {
            remove_at (p_relay, pos);
            p_relay->stats.unformattable++;
            return RUUVI_OK;
        }
    }
    return RUUVI_ERR_NOT_FOUND;
}

ruuvi_err_t ruuvi_relay_acked (ruuvi_relay_t * p_relay, int32_t msg_id)
{
    if (!ready (p_relay))
    {
        return RUUVI_ERR_NULL;
    }
    size_t pos = 0;
    if (!find_msg (p_relay, msg_id, &pos))
    {
        p_relay->stats.unknown_acks++;
        return RUUVI_ERR_NOT_FOUND;
    }
    remove_at (p_relay, pos);
    p_relay->stats.relayed++;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_relay_expired (ruuvi_relay_t * p_relay, int32_t msg_id)
{
    if (!ready (p_relay))
    {
        return RUUVI_ERR_NULL;
    }
    size_t pos = 0;
    if (!find_msg (p_relay, msg_id, &pos))
    {
        return RUUVI_ERR_NOT_FOUND;
    }
    p_relay->p_slots[p_relay->p_order[pos]].msg_id = 0;
    p_relay->in_flight--;
    p_relay->stats.resent++;
    return RUUVI_OK;
}

void ruuvi_relay_report (const ruuvi_relay_t * p_relay, ruuvi_gateway_status_t * p_status)
{
    if (!ready (p_relay) || NULL == p_status)
    {
        return;
    }
    p_status->relayed = p_relay->stats.relayed;
    p_status->buffer_full = p_relay->stats.buffer_full;
    p_status->resent = p_relay->stats.resent;
    p_status->unformattable = p_relay->stats.unformattable;
    p_status->buffered = (uint32_t) p_relay->count;
    p_status->in_flight = (uint32_t) p_relay->in_flight;
}

size_t ruuvi_relay_count (const ruuvi_relay_t * p_relay)
{
    return ready (p_relay) ? p_relay->count : 0U;
}

size_t ruuvi_relay_in_flight (const ruuvi_relay_t * p_relay)
{
    return ready (p_relay) ? p_relay->in_flight : 0U;
}
