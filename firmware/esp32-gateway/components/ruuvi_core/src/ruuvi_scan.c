/**
 * @file ruuvi_scan.c
 * One advertisement -> a verdict, with the tag table behind de-duplication (see ruuvi_scan.h).
 */
#include "ruuvi_scan.h"

#include <math.h>
#include <string.h>

#define RUUVI_FNV_OFFSET_BASIS (2166136261UL)
#define RUUVI_FNV_PRIME        (16777619UL)
#define RUUVI_U32_MASK         (0xFFFFFFFFUL)
/** Format 6 carries the low byte of the sequence counter its E1 twin carries whole. */
#define RUUVI_F6_SEQUENCE_MASK (0xFFUL)

ruuvi_err_t ruuvi_scan_init (ruuvi_scan_t * p_scan, ruuvi_tag_entry_t * p_storage, size_t capacity,
                             const ruuvi_allowlist_t * p_allow, uint32_t forget_after_ms)
{
    if (NULL == p_scan || NULL == p_storage)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == capacity)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    memset (p_scan, 0, sizeof (*p_scan));
    memset (p_storage, 0, capacity * sizeof (p_storage[0]));
    p_scan->p_tags = p_storage;
    p_scan->capacity = capacity;
    p_scan->p_allow = p_allow;
    p_scan->forget_after_ms = forget_after_ms;
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

static bool recent (uint64_t then_ms, uint64_t now_ms, uint32_t window_ms)
{
    return now_ms >= then_ms && now_ms - then_ms < window_ms;
}

static ruuvi_tag_entry_t * find_tag (ruuvi_scan_t * p_scan, const uint8_t mac[RUUVI_MAC_LEN])
{
    for (size_t i = 0; i < p_scan->capacity; i++)
    {
        ruuvi_tag_entry_t * p_e = &p_scan->p_tags[i];
        if (p_e->used && 0 == memcmp (p_e->mac, mac, RUUVI_MAC_LEN))
        {
            return p_e;
        }
    }
    return NULL;
}

/** A free slot, else the slot of the tag silent longest if it is silent for forget_after_ms. */
static ruuvi_tag_entry_t * claim_tag (ruuvi_scan_t * p_scan, const uint8_t mac[RUUVI_MAC_LEN], uint64_t now_ms)
{
    ruuvi_tag_entry_t * p_slot = NULL;
    for (size_t i = 0; i < p_scan->capacity && NULL == p_slot; i++)
    {
        if (!p_scan->p_tags[i].used)
        {
            p_slot = &p_scan->p_tags[i];
        }
    }
    if (NULL == p_slot)
    {
        ruuvi_tag_entry_t * p_oldest = &p_scan->p_tags[0];
        for (size_t i = 1; i < p_scan->capacity; i++)
        {
            if (p_scan->p_tags[i].last_seen_ms < p_oldest->last_seen_ms)
            {
                p_oldest = &p_scan->p_tags[i];
            }
        }
        if (recent (p_oldest->last_seen_ms, now_ms, p_scan->forget_after_ms))
        {
            return NULL;
        }
        p_scan->stats.tags_forgotten++;
        p_slot = p_oldest;
    }
    memset (p_slot, 0, sizeof (*p_slot));
    memcpy (p_slot->mac, mac, RUUVI_MAC_LEN);
    p_slot->used = true;
    return p_slot;
}

ruuvi_scan_verdict_t ruuvi_scan_advertisement (ruuvi_scan_t * p_scan, const uint8_t addr_le[RUUVI_MAC_LEN],
                                               const uint8_t * adv, size_t len, int8_t rssi, int64_t ts,
                                               uint64_t now_ms, ruuvi_packet_t * p_out)
{
    if (NULL == p_scan || NULL == p_scan->p_tags || NULL == addr_le || NULL == adv || NULL == p_out)
    {
        return RUUVI_SCAN_NOT_RUUVI;
    }
    const uint8_t * payload = NULL;
    size_t payload_len = 0;
    if (RUUVI_OK != ruuvi_find_payload (adv, len, &payload, &payload_len))
    {
        return RUUVI_SCAN_NOT_RUUVI; /* every other device around: not counted */
    }
    uint8_t mac[RUUVI_MAC_LEN];
    ruuvi_mac_from_ble_addr (addr_le, mac);
    ruuvi_measurement_t m;
    if (RUUVI_OK != ruuvi_decode_payload (payload, payload_len, mac, &m))
    {
        p_scan->stats.unsupported++;
        return RUUVI_SCAN_UNSUPPORTED;
    }
    if (NULL != p_scan->p_allow && !ruuvi_allowlist_allows (p_scan->p_allow, mac))
    {
        p_scan->stats.not_allowed++;
        return RUUVI_SCAN_NOT_ALLOWED;
    }
    if (len > RUUVI_PACKET_MAX_ADV_LEN)
    {
        p_scan->stats.too_long++;
        return RUUVI_SCAN_TOO_LONG;
    }
    ruuvi_tag_entry_t * p_tag = find_tag (p_scan, mac);
    if (NULL == p_tag)
    {
        p_tag = claim_tag (p_scan, mac, now_ms);
    }
    if (NULL == p_tag)
    {
        p_scan->stats.table_full++;
        return RUUVI_SCAN_TABLE_FULL;
    }
    p_tag->last_seen_ms = now_ms;
    const uint8_t format = m.data_format;
    const uint32_t key = ruuvi_dedup_key (&m, payload, payload_len);
    if (RUUVI_FORMAT_E1 == format)
    {
        p_tag->heard_e1 = true;
        p_tag->e1_heard_ms = now_ms;
    }
    else if (RUUVI_FORMAT_6 == format && p_tag->heard_e1
             && recent (p_tag->e1_heard_ms, now_ms, p_scan->forget_after_ms))
    {
        p_scan->stats.superseded++;
        return RUUVI_SCAN_SUPERSEDED;
    }
    const bool same_format_repeat = p_tag->has_last && p_tag->last_format == format && p_tag->last_key == key;
    const bool e1_of_relayed_f6 = p_tag->has_last && RUUVI_FORMAT_E1 == format
                                  && RUUVI_FORMAT_6 == p_tag->last_format
                                  && (key & RUUVI_F6_SEQUENCE_MASK) == p_tag->last_key;
    if (e1_of_relayed_f6)
    {
        /* the sample went out as format 6 already; its E1 repeats will now be recognised */
        p_tag->last_format = format;
        p_tag->last_key = key;
    }
    if (same_format_repeat || e1_of_relayed_f6)
    {
        p_scan->stats.repeats++;
        return RUUVI_SCAN_REPEAT;
    }
    p_tag->prev_has_last = p_tag->has_last;
    p_tag->prev_format = p_tag->last_format;
    p_tag->prev_key = p_tag->last_key;
    p_tag->has_last = true;
    p_tag->last_format = format;
    p_tag->last_key = key;

    memset (p_out, 0, sizeof (*p_out));
    memcpy (p_out->tag_mac, mac, RUUVI_MAC_LEN);
    memcpy (p_out->adv, adv, len);
    p_out->adv_len = (uint8_t) len;
    p_out->rssi = rssi;
    p_out->ts = ts;
    p_out->cnt = p_scan->next_cnt++;
    p_scan->stats.accepted++;
    return RUUVI_SCAN_RELAY;
}

void ruuvi_scan_not_queued (ruuvi_scan_t * p_scan, const ruuvi_packet_t * p_packet)
{
    if (NULL == p_scan || NULL == p_scan->p_tags || NULL == p_packet)
    {
        return;
    }
    p_scan->stats.queue_full++;
    if (p_scan->stats.accepted > 0U)
    {
        p_scan->stats.accepted--;
    }
    ruuvi_tag_entry_t * p_tag = find_tag (p_scan, p_packet->tag_mac);
    if (NULL != p_tag)
    {
        p_tag->has_last = p_tag->prev_has_last;
        p_tag->last_format = p_tag->prev_format;
        p_tag->last_key = p_tag->prev_key;
    }
}

size_t ruuvi_scan_tags (const ruuvi_scan_t * p_scan, uint64_t now_ms)
{
    size_t n = 0;
    if (NULL != p_scan && NULL != p_scan->p_tags)
    {
        for (size_t i = 0; i < p_scan->capacity; i++)
        {
            const ruuvi_tag_entry_t * p_e = &p_scan->p_tags[i];
            n += (p_e->used && recent (p_e->last_seen_ms, now_ms, p_scan->forget_after_ms)) ? 1U : 0U;
        }
    }
    return n;
}

void ruuvi_scan_report (const ruuvi_scan_stats_t * p_stats, ruuvi_gateway_status_t * p_status)
{
    if (NULL == p_stats || NULL == p_status)
    {
        return;
    }
    p_status->accepted = p_stats->accepted;
    p_status->repeats = p_stats->repeats;
    p_status->superseded = p_stats->superseded;
    p_status->not_allowed = p_stats->not_allowed;
    p_status->unsupported = p_stats->unsupported;
    p_status->table_full = p_stats->table_full;
    p_status->too_long = p_stats->too_long;
    p_status->queue_full = p_stats->queue_full;
    p_status->tags_forgotten = p_stats->tags_forgotten;
}
