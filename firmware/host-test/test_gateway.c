/* Unit tests of the gateway logic: JSON, topic, de-duplication, ring buffer, allow-list, hex. */
#include "check.h"
#include "ruuvi_gateway.h"
#include "ruuvi_util.h"

#include <math.h>
#include <string.h>

static const char * const ADV_HEX = "0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F";
static const uint8_t GW_MAC[RUUVI_MAC_LEN] = { 0xC8, 0x25, 0x2D, 0x8E, 0x9C, 0x2C };
static const uint8_t TAG_MAC[RUUVI_MAC_LEN] = { 0xCB, 0xB8, 0x33, 0x4C, 0x88, 0x4F };

static ruuvi_packet_t make_packet (int64_t ts)
{
    ruuvi_packet_t p;
    memset (&p, 0, sizeof (p));
    size_t len = 0;
    (void) ruuvi_hex_decode (ADV_HEX, p.adv, sizeof (p.adv), &len);
    p.adv_len = (uint8_t) len;
    p.rssi = -62;
    p.ts = ts;
    memcpy (p.tag_mac, TAG_MAC, RUUVI_MAC_LEN);
    return p;
}

static void test_json (void)
{
    char buf[256];
    size_t n = 0;
    ruuvi_packet_t p = make_packet (RUUVI_TIMESTAMP_NONE);
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, RUUVI_TIMESTAMP_NONE, &n), "json");
    const char * want_unsynced = "{\"gw_mac\":\"C8:25:2D:8E:9C:2C\",\"rssi\":-62,\"aoa\":[],"
                                 "\"data\":\"0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F\","
                                 "\"coords\":\"\"}";
    CHECK (0 == strcmp (buf, want_unsynced), "unsynced json: %s", buf);
    CHECK (n == strlen (want_unsynced), "length %zu", n);

    p = make_packet (1653668027LL);
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, 1653668028LL, &n), "json ts");
    const char * want_synced = "{\"gw_mac\":\"C8:25:2D:8E:9C:2C\",\"rssi\":-62,\"aoa\":[],\"gwts\":\"1653668028\","
                               "\"ts\":\"1653668027\","
                               "\"data\":\"0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F\","
                               "\"coords\":\"\"}";
    CHECK (0 == strcmp (buf, want_synced), "synced json: %s", buf);

    /* every buffer size shorter than the message fails cleanly, never overflows */
    for (size_t cap = 0; cap <= strlen (want_synced); cap++)
    {
        char small[256];
        CHECK (RUUVI_ERR_NO_SPACE == ruuvi_json_gateway_message (small, cap, GW_MAC, &p, 1653668028LL, &n),
               "cap %zu", cap);
    }
    CHECK (RUUVI_ERR_NULL == ruuvi_json_gateway_message (NULL, 10, GW_MAC, &p, 0, &n), "null out");
    CHECK (RUUVI_ERR_NULL == ruuvi_json_gateway_message (buf, sizeof (buf), NULL, &p, 0, &n), "null mac");
    p.adv_len = RUUVI_PACKET_MAX_ADV_LEN + 1U;
    CHECK (RUUVI_ERR_TOO_LONG == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, 0, &n), "too long");
}

static void test_topic (void)
{
    char buf[64];
    CHECK (RUUVI_OK == ruuvi_topic (buf, sizeof (buf), "ruuvi", GW_MAC, TAG_MAC), "topic");
    CHECK (0 == strcmp (buf, "ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F"), "topic %s", buf);
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_topic (buf, 20, "ruuvi", GW_MAC, TAG_MAC), "short topic buffer");
    CHECK (RUUVI_ERR_NULL == ruuvi_topic (buf, sizeof (buf), NULL, GW_MAC, TAG_MAC), "null prefix");
}

static void test_dedup (void)
{
    ruuvi_dedup_entry_t storage[2];
    ruuvi_dedup_t d;
    CHECK (RUUVI_OK == ruuvi_dedup_init (&d, storage, 2), "init");
    const uint8_t a[RUUVI_MAC_LEN] = { 1, 2, 3, 4, 5, 6 };
    const uint8_t b[RUUVI_MAC_LEN] = { 1, 2, 3, 4, 5, 7 };
    const uint8_t c[RUUVI_MAC_LEN] = { 9, 9, 9, 9, 9, 9 };
    CHECK (RUUVI_DEDUP_NEW == ruuvi_dedup_check (&d, a, 205), "first a");
    CHECK (RUUVI_DEDUP_REPEAT == ruuvi_dedup_check (&d, a, 205), "repeat a");
    CHECK (RUUVI_DEDUP_NEW == ruuvi_dedup_check (&d, b, 205), "same seq other mac is new");
    CHECK (RUUVI_DEDUP_NEW == ruuvi_dedup_check (&d, a, 206), "next seq a");
    CHECK (RUUVI_DEDUP_REPEAT == ruuvi_dedup_check (&d, a, 206), "repeat next seq a");
    CHECK (RUUVI_DEDUP_FULL == ruuvi_dedup_check (&d, c, 1), "tag limit reached");
    CHECK (RUUVI_DEDUP_REPEAT == ruuvi_dedup_check (&d, b, 205), "b still tracked");

    ruuvi_measurement_t m;
    uint8_t adv[64];
    size_t len = 0;
    (void) ruuvi_hex_decode (ADV_HEX, adv, sizeof (adv), &len);
    CHECK (RUUVI_OK == ruuvi_decode_advertisement (adv, len, NULL, &m), "decode");
    CHECK (205U == ruuvi_dedup_key (&m, adv, len), "key is the measurement sequence");
    uint8_t f3[RUUVI_FORMAT_3_LEN];
    (void) ruuvi_hex_decode ("03291A1ECE1EFC18F94202CA0B53", f3, sizeof (f3), &len);
    CHECK (RUUVI_OK == ruuvi_decode_payload (f3, len, TAG_MAC, &m), "decode df3");
    const uint32_t k1 = ruuvi_dedup_key (&m, f3, len);
    f3[13] ^= 1U;
    CHECK (k1 != ruuvi_dedup_key (&m, f3, len), "df3 key follows the payload bytes");
}

static void test_ring (void)
{
    ruuvi_packet_t slots[3];
    ruuvi_ring_t r;
    ruuvi_packet_t out;
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_ring_init (&r, slots, 0), "zero capacity");
    CHECK (RUUVI_OK == ruuvi_ring_init (&r, slots, 3), "init");
    CHECK (RUUVI_ERR_EMPTY == ruuvi_ring_peek (&r, &out), "empty peek");
    CHECK (RUUVI_ERR_EMPTY == ruuvi_ring_pop (&r), "empty pop");
    for (int64_t i = 1; i <= 5; i++)
    {
        ruuvi_packet_t p = make_packet (i);
        CHECK (RUUVI_OK == ruuvi_ring_push (&r, &p), "push %d", (int) i);
    }
    CHECK (3U == ruuvi_ring_count (&r), "bounded at capacity");
    CHECK (2U == r.dropped, "two oldest dropped, got %u", (unsigned) r.dropped);
    for (int64_t want = 3; want <= 5; want++)
    {
        CHECK (RUUVI_OK == ruuvi_ring_peek (&r, &out) && out.ts == want, "fifo order %d", (int) want);
        CHECK (RUUVI_OK == ruuvi_ring_pop (&r), "pop");
    }
    CHECK (0U == ruuvi_ring_count (&r), "drained");
    ruuvi_packet_t big = make_packet (1);
    big.adv_len = RUUVI_PACKET_MAX_ADV_LEN + 1U;
    CHECK (RUUVI_ERR_TOO_LONG == ruuvi_ring_push (&r, &big), "oversized packet rejected");
}

static void test_allowlist_and_mac (void)
{
    uint8_t storage[3][RUUVI_MAC_LEN];
    ruuvi_allowlist_t list;
    CHECK (RUUVI_OK == ruuvi_allowlist_parse (&list, storage, 3, ""), "empty list");
    CHECK (ruuvi_allowlist_allows (&list, TAG_MAC), "empty list allows all");
    CHECK (RUUVI_OK == ruuvi_allowlist_parse (&list, storage, 3, "CB:B8:33:4C:88:4F, c6-8d-c6-26-39-a6"), "two");
    CHECK (2U == list.count, "count %zu", list.count);
    CHECK (ruuvi_allowlist_allows (&list, TAG_MAC), "listed mac allowed");
    CHECK (!ruuvi_allowlist_allows (&list, GW_MAC), "unlisted mac refused");
    CHECK (RUUVI_ERR_INVALID_MAC == ruuvi_allowlist_parse (&list, storage, 3, "CB:B8:33:4C:88"), "short mac");
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_allowlist_parse (&list, storage, 1, "aabbccddeeff,112233445566"), "cap");

    uint8_t mac[RUUVI_MAC_LEN];
    CHECK (RUUVI_OK == ruuvi_mac_parse ("cbb8334c884f", mac) && 0 == memcmp (mac, TAG_MAC, 6), "bare mac");
    CHECK (RUUVI_ERR_INVALID_MAC == ruuvi_mac_parse ("not-a-mac", mac), "garbage mac");
    CHECK (RUUVI_ERR_INVALID_MAC == ruuvi_mac_parse ("CB:B8:33:4C:88:4F:00", mac), "7 octets");
    CHECK (RUUVI_ERR_INVALID_MAC == ruuvi_mac_parse (":CB:B8:33:4C:88:4F", mac), "leading colon");

    uint8_t bytes[4];
    size_t len = 0;
    char hex[9];
    CHECK (RUUVI_OK == ruuvi_hex_decode ("0xdeAD beef", bytes, sizeof (bytes), &len) && 4U == len, "hex");
    CHECK (RUUVI_OK == ruuvi_hex_encode (bytes, len, hex, sizeof (hex)) && 0 == strcmp (hex, "DEADBEEF"), "%s",
           hex);
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_hex_encode (bytes, len, hex, 8), "hex encode cap");
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_hex_decode ("0011223344", bytes, sizeof (bytes), &len), "hex decode cap");
    CHECK (RUUVI_ERR_INVALID_HEX == ruuvi_hex_decode ("abc", bytes, sizeof (bytes), &len), "odd hex");
    CHECK (RUUVI_ERR_EMPTY == ruuvi_hex_decode ("0x", bytes, sizeof (bytes), &len), "empty hex");
}

static void test_backoff (void)
{
    CHECK (1000U == ruuvi_backoff_ms (0, 1000, 60000), "first delay");
    CHECK (2000U == ruuvi_backoff_ms (1, 1000, 60000), "doubles");
    CHECK (32000U == ruuvi_backoff_ms (5, 1000, 60000), "2^5");
    CHECK (60000U == ruuvi_backoff_ms (6, 1000, 60000), "capped");
    CHECK (60000U == ruuvi_backoff_ms (UINT32_MAX, 1000, 60000), "huge attempt stays capped");
    CHECK (UINT32_MAX == ruuvi_backoff_ms (40, 3000000000U, UINT32_MAX), "no overflow near the top");
    CHECK (500U == ruuvi_backoff_ms (3, 1000, 500), "initial above cap");
}

static void test_null_arguments (void)
{
    ruuvi_measurement_t m;
    const uint8_t * p = NULL;
    size_t len = 0;
    CHECK (RUUVI_ERR_NULL == ruuvi_decode_any (NULL, 5, NULL, &m), "null bytes");
    CHECK (RUUVI_ERR_NULL == ruuvi_decode_any ( (const uint8_t *) "x", 1, NULL, NULL), "null out");
    CHECK (RUUVI_ERR_NULL == ruuvi_find_payload (NULL, 3, &p, &len), "null adv");
    CHECK (RUUVI_ERR_NULL == ruuvi_decode_payload (NULL, 3, NULL, &m), "null payload");
    CHECK (RUUVI_ERR_NULL == ruuvi_ring_push (NULL, NULL), "null ring");
    CHECK (RUUVI_DEDUP_FULL == ruuvi_dedup_check (NULL, NULL, 0), "null dedup");
    CHECK (0 == strcmp ("TRUNCATED", ruuvi_err_name (RUUVI_ERR_TRUNCATED)), "err name");
    CHECK (0 == strcmp ("UNKNOWN", ruuvi_err_name ( (ruuvi_err_t) 999)), "unknown err name");
}

int main (void)
{
    test_json ();
    test_topic ();
    test_dedup ();
    test_ring ();
    test_allowlist_and_mac ();
    test_backoff ();
    test_null_arguments ();
    CHECK_DONE ("test_gateway");
}
