/**
 * @file ruuvi_gateway.c
 * Ruuvi Gateway MQTT JSON, de-duplication and the offline ring buffer.
 */
#include "ruuvi_gateway.h"
#include "ruuvi_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define RUUVI_FNV_OFFSET_BASIS (2166136261UL)
#define RUUVI_FNV_PRIME        (16777619UL)
#define RUUVI_U32_MASK         (0xFFFFFFFFUL)

/** Appends printf output at *p_pos; fails without writing past cap. */
#if defined(__GNUC__)
static ruuvi_err_t append (char * out, size_t cap, size_t * p_pos, const char * fmt, ...)
__attribute__ ( (format (printf, 4, 5)));
#endif

static ruuvi_err_t append (char * out, size_t cap, size_t * p_pos, const char * fmt, ...)
{
    if (*p_pos >= cap)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    va_list ap;
    va_start (ap, fmt);
    const int n = vsnprintf (&out[*p_pos], cap - *p_pos, fmt, ap);
    va_end (ap);
    if (n < 0 || (size_t) n >= cap - *p_pos)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    *p_pos += (size_t) n;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_json_gateway_message (char * out, size_t cap, const uint8_t gw_mac[RUUVI_MAC_LEN],
                                        const ruuvi_packet_t * p_packet, int64_t gwts,
                                        size_t * p_written)
{
    if (NULL == out || NULL == gw_mac || NULL == p_packet || NULL == p_written)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == cap)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    out[0] = '\0';
    if (p_packet->adv_len > RUUVI_PACKET_MAX_ADV_LEN)
    {
        return RUUVI_ERR_TOO_LONG;
    }
    char mac_str[RUUVI_MAC_STR_LEN];
    char hex[2U * RUUVI_PACKET_MAX_ADV_LEN + 1U];
    ruuvi_err_t err = ruuvi_mac_format (gw_mac, mac_str, sizeof (mac_str));
    if (RUUVI_OK == err)
    {
        err = ruuvi_hex_encode (p_packet->adv, p_packet->adv_len, hex, sizeof (hex));
    }
    size_t pos = 0;
    if (RUUVI_OK == err)
    {
        err = append (out, cap, &pos, "{\"gw_mac\":\"%s\",\"rssi\":%d,\"aoa\":[]", mac_str, (int) p_packet->rssi);
    }
    /* Timestamps only once the clock is synced; strings, as in the Ruuvi Gateway schema. */
    if (RUUVI_OK == err && RUUVI_TIMESTAMP_NONE != gwts && gwts >= 0)
    {
        err = append (out, cap, &pos, ",\"gwts\":\"%" PRId64 "\"", gwts);
    }
    if (RUUVI_OK == err && RUUVI_TIMESTAMP_NONE != p_packet->ts && p_packet->ts >= 0)
    {
        err = append (out, cap, &pos, ",\"ts\":\"%" PRId64 "\"", p_packet->ts);
    }
    if (RUUVI_OK == err)
    {
        err = append (out, cap, &pos, ",\"data\":\"%s\",\"coords\":\"\"}", hex);
    }
    if (RUUVI_OK != err)
    {
        out[0] = '\0';
        return err;
    }
    *p_written = pos;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_topic (char * out, size_t cap, const char * prefix,
                         const uint8_t gw_mac[RUUVI_MAC_LEN], const uint8_t tag_mac[RUUVI_MAC_LEN])
{
    if (NULL == out || NULL == prefix || NULL == gw_mac || NULL == tag_mac)
    {
        return RUUVI_ERR_NULL;
    }
    char gw[RUUVI_MAC_STR_LEN];
    char tag[RUUVI_MAC_STR_LEN];
    (void) ruuvi_mac_format (gw_mac, gw, sizeof (gw));
    (void) ruuvi_mac_format (tag_mac, tag, sizeof (tag));
    size_t pos = 0;
    if (0U == cap)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    const ruuvi_err_t err = append (out, cap, &pos, "%s/%s/%s", prefix, gw, tag);
    if (RUUVI_OK != err)
    {
        out[0] = '\0';
    }
    return err;
}

ruuvi_err_t ruuvi_dedup_init (ruuvi_dedup_t * p_dedup, ruuvi_dedup_entry_t * p_storage, size_t capacity)
{
    if (NULL == p_dedup || (NULL == p_storage && capacity > 0U))
    {
        return RUUVI_ERR_NULL;
    }
    p_dedup->p_entries = p_storage;
    p_dedup->capacity = capacity;
    for (size_t i = 0; i < capacity; i++)
    {
        p_storage[i].used = false;
    }
    return RUUVI_OK;
}

uint32_t ruuvi_dedup_key (const ruuvi_measurement_t * p_m, const uint8_t * payload, size_t len)
{
    if (NULL != p_m && RUUVI_FORMAT_3 != p_m->data_format && !isnan (p_m->measurement_sequence))
    {
        return (uint32_t) p_m->measurement_sequence;
    }
    unsigned long h = RUUVI_FNV_OFFSET_BASIS;
    if (NULL != payload)
    {
        for (size_t i = 0; i < len; i++)
        {
            h ^= payload[i];
            h = (h * RUUVI_FNV_PRIME) & RUUVI_U32_MASK;
        }
    }
    return (uint32_t) h;
}

ruuvi_dedup_result_t ruuvi_dedup_check (ruuvi_dedup_t * p_dedup, const uint8_t mac[RUUVI_MAC_LEN],
                                        uint32_t key)
{
    if (NULL == p_dedup || NULL == mac || NULL == p_dedup->p_entries)
    {
        return RUUVI_DEDUP_FULL;
    }
    ruuvi_dedup_entry_t * p_free = NULL;
    for (size_t i = 0; i < p_dedup->capacity; i++)
    {
        ruuvi_dedup_entry_t * p_e = &p_dedup->p_entries[i];
        if (!p_e->used)
        {
            if (NULL == p_free)
            {
                p_free = p_e;
            }
            continue;
        }
        if (0 == memcmp (p_e->mac, mac, RUUVI_MAC_LEN))
        {
            if (p_e->key == key)
            {
                return RUUVI_DEDUP_REPEAT;
            }
            p_e->key = key;
            return RUUVI_DEDUP_NEW;
        }
    }
    if (NULL == p_free)
    {
        return RUUVI_DEDUP_FULL;
    }
    memcpy (p_free->mac, mac, RUUVI_MAC_LEN);
    p_free->key = key;
    p_free->used = true;
    return RUUVI_DEDUP_NEW;
}

ruuvi_err_t ruuvi_ring_init (ruuvi_ring_t * p_ring, ruuvi_packet_t * p_storage, size_t capacity)
{
    if (NULL == p_ring || NULL == p_storage)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == capacity)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    p_ring->p_slots = p_storage;
    p_ring->capacity = capacity;
    p_ring->head = 0;
    p_ring->count = 0;
    p_ring->dropped = 0;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_ring_push (ruuvi_ring_t * p_ring, const ruuvi_packet_t * p_packet)
{
    if (NULL == p_ring || NULL == p_packet || NULL == p_ring->p_slots)
    {
        return RUUVI_ERR_NULL;
    }
    if (p_packet->adv_len > RUUVI_PACKET_MAX_ADV_LEN)
    {
        return RUUVI_ERR_TOO_LONG;
    }
    if (p_ring->count == p_ring->capacity)
    {
        p_ring->head = (p_ring->head + 1U) % p_ring->capacity; /* drop the oldest */
        p_ring->count--;
        p_ring->dropped++;
    }
    const size_t tail = (p_ring->head + p_ring->count) % p_ring->capacity;
    p_ring->p_slots[tail] = *p_packet;
    p_ring->count++;
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_ring_peek (const ruuvi_ring_t * p_ring, ruuvi_packet_t * p_out)
{
    if (NULL == p_ring || NULL == p_out || NULL == p_ring->p_slots)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == p_ring->count)
    {
        return RUUVI_ERR_EMPTY;
    }
    *p_out = p_ring->p_slots[p_ring->head];
    return RUUVI_OK;
}

ruuvi_err_t ruuvi_ring_pop (ruuvi_ring_t * p_ring)
{
    if (NULL == p_ring || NULL == p_ring->p_slots)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == p_ring->count)
    {
        return RUUVI_ERR_EMPTY;
    }
    p_ring->head = (p_ring->head + 1U) % p_ring->capacity;
    p_ring->count--;
    return RUUVI_OK;
}

size_t ruuvi_ring_count (const ruuvi_ring_t * p_ring)
{
    return (NULL == p_ring) ? 0U : p_ring->count;
}

uint32_t ruuvi_backoff_ms (uint32_t attempt, uint32_t initial_ms, uint32_t max_ms)
{
    uint32_t delay = (initial_ms < max_ms) ? initial_ms : max_ms;
    for (uint32_t i = 0; i < attempt && delay < max_ms; i++)
    {
        delay = (delay > max_ms / 2U) ? max_ms : delay * 2U;
    }
    return delay;
}
