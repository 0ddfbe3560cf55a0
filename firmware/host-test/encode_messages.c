/*
 * What the gateway would publish for the shared vectors, for the platform's tests
 * (tests/integration/firmware-messages.test.ts): each valid vector becomes the advertisement a
 * tag would send, goes through the gateway's own code (scanner, relay buffer, message and topic
 * builders) as if heard over BLE and acknowledged by the broker, and is printed as
 *   message<TAB><topic><TAB><payload>
 * then the gateway's status after them as
 *   status<TAB><topic><TAB><payload>
 * Each vector is heard from its own tag address, <tag prefix>:00:<index>, written into the
 * payload's MAC field too (unless the vector's MAC is "not available"), so runs with different
 * prefixes give different readings; at RSSI -40 - index, except the first, whose RSSI the radio
 * did not measure (RUUVI_RSSI_NOT_AVAILABLE).
 *
 * Usage: encode_messages <ruuvi.json> <topic prefix> <gateway MAC> <tag prefix AA:BB:CC> <ts|->
 *   ts: the Unix seconds the clock says when the packets are heard (the message then carries
 *   "ts" and "gwts" = ts + 1); "-": the clock is not synced (the message carries "cnt").
 */
#include "mini_json.h"
#include "ruuvi_relay.h"
#include "ruuvi_scan.h"
#include "ruuvi_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VECTORS (64U)
#define ADV_MAX     (RUUVI_PACKET_MAX_ADV_LEN)

static const uint8_t NOT_AVAILABLE_MAC[RUUVI_MAC_LEN] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

static int usage (const char * argv0)
{
    fprintf (stderr, "usage: %s <ruuvi.json> <topic prefix> <gateway MAC> <tag prefix AA:BB:CC> <ts|->\n", argv0);
    return 2;
}

/* A vector's input as the advertisement a tag sends: bare payloads and manufacturer data get
 * the AD structures around them (E1: the manufacturer AD alone, as in extended advertising). */
static size_t as_advertisement (const uint8_t * bytes, size_t len, uint8_t adv[ADV_MAX])
{
    static const uint8_t flags[] = { 0x02, 0x01, 0x06 };
    const bool payload = len > 0U && ruuvi_format_length (bytes[0]) == len;
    const bool manufacturer = len > 2U && 0x99U == bytes[0] && 0x04U == bytes[1];
    if (!payload && !manufacturer)
    {
        if (len > ADV_MAX)
        {
            return 0;
        }
        memcpy (adv, bytes, len);
        return len;
    }
    const size_t data_len = (payload ? 2U : 0U) + len; /* company id + payload */
    size_t n = 0;
    if (! (payload && RUUVI_FORMAT_E1 == bytes[0]))
    {
        memcpy (adv, flags, sizeof (flags));
        n = sizeof (flags);
    }
    if (n + 2U + data_len > ADV_MAX)
    {
        return 0;
    }
    adv[n++] = (uint8_t) (1U + data_len);
    adv[n++] = RUUVI_AD_TYPE_MANUFACTURER;
    if (payload)
    {
        adv[n++] = 0x99U;
        adv[n++] = 0x04U;
    }
    memcpy (&adv[n], bytes, len);
    return n + len;
}

/* Writes mac into the payload's MAC field (format 5 and E1 whole, format 6 its low 3 bytes). */
static void set_payload_mac (uint8_t * adv, size_t len, const uint8_t mac[RUUVI_MAC_LEN])
{
    const uint8_t * payload = NULL;
    size_t payload_len = 0;
    if (RUUVI_OK != ruuvi_find_payload (adv, len, &payload, &payload_len))
    {
        return;
    }
    uint8_t * p = &adv[payload - adv];
    size_t at = 0;
    size_t n = 0;
    switch (p[0])
    {
        case RUUVI_FORMAT_5:  at = 18U; n = 6U; break;
        case RUUVI_FORMAT_E1: at = 34U; n = 6U; break;
        case RUUVI_FORMAT_6:  at = 17U; n = 3U; break;
        default:              return;
    }
    if (at + n <= payload_len && 0 != memcmp (&p[at], NOT_AVAILABLE_MAC, n))
    {
        memcpy (&p[at], &mac[RUUVI_MAC_LEN - n], n);
    }
}

int main (int argc, char ** argv)
{
    if (6 != argc)
    {
        return usage (argv[0]);
    }
    const char * prefix = argv[2];
    uint8_t gw_mac[RUUVI_MAC_LEN];
    uint8_t tag_prefix[3];
    size_t tag_prefix_len = 0;
    if (RUUVI_OK != ruuvi_mac_parse (argv[3], gw_mac)
        || RUUVI_OK != ruuvi_hex_decode (argv[4], tag_prefix, sizeof (tag_prefix), &tag_prefix_len)
        || sizeof (tag_prefix) != tag_prefix_len)
    {
        return usage (argv[0]);
    }
    const bool synced = 0 != strcmp (argv[5], "-");
    const int64_t ts = synced ? strtoll (argv[5], NULL, 10) : RUUVI_TIMESTAMP_NONE;

    char * text = mj_read_file (argv[1]);
    char err[128];
    mj_value_t * doc = (NULL != text) ? mj_parse (text, err, sizeof (err)) : NULL;
    const mj_value_t * valid = (NULL != doc) ? mj_get (doc, "valid") : NULL;
    if (NULL == valid || 0U == valid->count)
    {
        fprintf (stderr, "%s: no valid vectors in %s\n", argv[0], argv[1]);
        return 1;
    }

    static ruuvi_tag_entry_t tags[MAX_VECTORS];
    static ruuvi_relay_slot_t slots[MAX_VECTORS + 1U];
    static uint16_t order[MAX_VECTORS + 1U];
    ruuvi_scan_t scan;
    ruuvi_relay_t relay;
    if (RUUVI_OK != ruuvi_scan_init (&scan, tags, MAX_VECTORS, NULL, 600000U)
        || RUUVI_OK != ruuvi_relay_init (&relay, slots, order, MAX_VECTORS + 1U, MAX_VECTORS))
    {
        return 1;
    }
    char topic[RUUVI_TOPIC_MAX];
    char message[RUUVI_MESSAGE_MAX];
    int32_t msg_id = 0;
    for (size_t i = 0; i < valid->count && i < MAX_VECTORS; i++)
    {
        const mj_value_t * input = mj_get (&valid->children[i], "input");
        uint8_t bytes[ADV_MAX];
        uint8_t adv[ADV_MAX];
        size_t len = 0;
        if (NULL == input || MJ_STRING != input->type
            || RUUVI_OK != ruuvi_hex_decode (input->string, bytes, sizeof (bytes), &len))
        {
            continue;
        }
        const size_t adv_len = as_advertisement (bytes, len, adv);
        const uint8_t mac[RUUVI_MAC_LEN] = { tag_prefix[0], tag_prefix[1], tag_prefix[2], 0x00, 0x00, (uint8_t) i };
        set_payload_mac (adv, adv_len, mac);
        uint8_t addr_le[RUUVI_MAC_LEN];
        ruuvi_mac_from_ble_addr (mac, addr_le); /* the same reversal, back to how NimBLE stores it */
        ruuvi_packet_t packet;
        const ruuvi_scan_verdict_t verdict
            = ruuvi_scan_advertisement (&scan, addr_le, adv, adv_len,
                                        (int8_t) (0U == i ? RUUVI_RSSI_NOT_AVAILABLE : -40 - (int) i), ts, 1000U * i,
                                        &packet);
        if (RUUVI_SCAN_RELAY != verdict)
        {
            fprintf (stderr, "vector %zu not relayed (verdict %d)\n", i, (int) verdict);
            continue;
        }
        (void) ruuvi_relay_push (&relay, &packet);
        ruuvi_relay_handle_t handle = 0;
        const ruuvi_packet_t * p_next = NULL;
        size_t message_len = 0;
        if (RUUVI_OK != ruuvi_relay_next (&relay, &handle, &p_next)
            || RUUVI_OK != ruuvi_topic (topic, sizeof (topic), prefix, gw_mac, p_next->tag_mac)
            || RUUVI_OK != ruuvi_json_gateway_message (message, sizeof (message), gw_mac, p_next,
                                                      synced ? ts + 1 : RUUVI_TIMESTAMP_NONE, &message_len))
        {
            fprintf (stderr, "vector %zu: cannot build its message\n", i);
            return 1;
        }
        printf ("message\t%s\t%s\n", topic, message);
        (void) ruuvi_relay_sent (&relay, handle, ++msg_id);
        (void) ruuvi_relay_acked (&relay, msg_id);
    }

    ruuvi_gateway_status_t st;
    memset (&st, 0, sizeof (st));
    st.uptime_s = 60;
    ruuvi_scan_report (&scan.stats, &st);
    ruuvi_relay_report (&relay, &st);
    st.tags = (uint32_t) ruuvi_scan_tags (&scan, 1000U * valid->count);
    size_t status_len = 0;
    if (RUUVI_OK != ruuvi_status_topic (topic, sizeof (topic), prefix, gw_mac)
        || RUUVI_OK != ruuvi_json_gateway_status (message, sizeof (message), &st, &status_len))
    {
        return 1;
    }
    printf ("status\t%s\t%s\n", topic, message);
    mj_free (doc);
    free (text);
    return 0;
}
