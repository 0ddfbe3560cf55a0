/**
 * @file ruuvi_gateway.c
 * The Ruuvi Gateway MQTT message, topics and the status message.
 */
#include "ruuvi_gateway.h"
#include "ruuvi_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
    /* As the Ruuvi Gateway: with a synced clock both times, else its advertisement counter. */
    const bool timed = p_packet->ts >= 0;
    if (RUUVI_OK == err && timed)
    {
        const int64_t relayed = (gwts >= 0) ? gwts : p_packet->ts;
        err = append (out, cap, &pos, ",\"gwts\":%" PRId64 ",\"ts\":%" PRId64, relayed, p_packet->ts);
    }
    else if (RUUVI_OK == err)
    {
        err = append (out, cap, &pos, ",\"cnt\":%" PRIu32, p_packet->cnt);
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

static ruuvi_err_t topic_of (char * out, size_t cap, const char * prefix, const uint8_t gw_mac[RUUVI_MAC_LEN],
                             const char * last)
{
    if (0U == cap)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    char gw[RUUVI_MAC_STR_LEN];
    (void) ruuvi_mac_format (gw_mac, gw, sizeof (gw));
    size_t pos = 0;
    const ruuvi_err_t err = append (out, cap, &pos, "%s/%s/%s", prefix, gw, last);
    if (RUUVI_OK != err)
    {
        out[0] = '\0';
    }
    return err;
}

ruuvi_err_t ruuvi_topic (char * out, size_t cap, const char * prefix,
                         const uint8_t gw_mac[RUUVI_MAC_LEN], const uint8_t tag_mac[RUUVI_MAC_LEN])
{
    if (NULL == out || NULL == prefix || NULL == gw_mac || NULL == tag_mac)
    {
        return RUUVI_ERR_NULL;
    }
    char tag[RUUVI_MAC_STR_LEN];
    (void) ruuvi_mac_format (tag_mac, tag, sizeof (tag));
    return topic_of (out, cap, prefix, gw_mac, tag);
}

ruuvi_err_t ruuvi_status_topic (char * out, size_t cap, const char * prefix, const uint8_t gw_mac[RUUVI_MAC_LEN])
{
    if (NULL == out || NULL == prefix || NULL == gw_mac)
    {
        return RUUVI_ERR_NULL;
    }
    return topic_of (out, cap, prefix, gw_mac, "gw_status");
}

ruuvi_err_t ruuvi_json_gateway_status (char * out, size_t cap, const ruuvi_gateway_status_t * p_status,
                                       size_t * p_written)
{
    if (NULL == out || NULL == p_status || NULL == p_written)
    {
        return RUUVI_ERR_NULL;
    }
    if (0U == cap)
    {
        return RUUVI_ERR_NO_SPACE;
    }
    const ruuvi_gateway_status_t * s = p_status;
    size_t pos = 0;
    ruuvi_err_t err = append (out, cap, &pos,
                              "{\"state\":\"online\",\"uptime_s\":%" PRIu64 ",\"buffered\":%" PRIu32
                              ",\"in_flight\":%" PRIu32 ",\"tags\":%" PRIu32 ",\"counters\":{",
                              s->uptime_s, s->buffered, s->in_flight, s->tags);
    if (RUUVI_OK == err)
    {
        err = append (out, cap, &pos,
                      "\"accepted\":%" PRIu32 ",\"repeats\":%" PRIu32 ",\"superseded\":%" PRIu32
                      ",\"not_allowed\":%" PRIu32 ",\"unsupported\":%" PRIu32 ",\"table_full\":%" PRIu32
                      ",\"too_long\":%" PRIu32 ",\"queue_full\":%" PRIu32 ",\"tags_forgotten\":%" PRIu32,
                      s->accepted, s->repeats, s->superseded, s->not_allowed, s->unsupported, s->table_full,
                      s->too_long, s->queue_full, s->tags_forgotten);
    }
    if (RUUVI_OK == err)
    {
        err = append (out, cap, &pos,
                      ",\"relayed\":%" PRIu32 ",\"buffer_full\":%" PRIu32 ",\"resent\":%" PRIu32
                      ",\"unformattable\":%" PRIu32 ",\"acks_lost\":%" PRIu32 ",\"wifi_reconnects\":%" PRIu32
                      ",\"mqtt_reconnects\":%" PRIu32 "}}",
                      s->relayed, s->buffer_full, s->resent, s->unformattable, s->acks_lost, s->wifi_reconnects,
                      s->mqtt_reconnects);
    }
    if (RUUVI_OK != err)
    {
        out[0] = '\0';
        return err;
    }
    *p_written = pos;
    return RUUVI_OK;
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
