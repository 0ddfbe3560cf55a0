/* Unit tests of the scanner: byte order, allow-list, de-duplication across formats, tag ageing. */
#include "check.h"
#include "ruuvi_scan.h"
#include "ruuvi_util.h"

#include <string.h>

/* Whole advertisements: flags + Ruuvi manufacturer data (docs.ruuvi.com vectors). */
static const char * const ADV_F5 = "0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F";
static const char * const ADV_F3 = "02010611FF990403291A1ECE1EFC18F94202CA0B53";
static const char * const ADV_F6 = "02010617FF990406170C5668C79E007000C90501D9FFCD004C884F";
/* E1 is an extended advertisement: the manufacturer AD alone. */
static const char * const ADV_E1 = "2BFF9904E1170C5668C79E0065007004BD11CA00C90A0213E0ACFFFFFFDECDEE10FFFFFFFFFFCBB8334C884F";
/* Offsets of the measurement sequence inside those advertisements. */
#define F5_SEQ_AT (7U + 16U) /* 16 bit */
#define F6_SEQ_AT (7U + 15U) /* 8 bit */
#define E1_SEQ_AT (4U + 25U) /* 24 bit */

static const uint8_t TAG_MAC[RUUVI_MAC_LEN] = { 0xCB, 0xB8, 0x33, 0x4C, 0x88, 0x4F };
/* How NimBLE stores that address: least significant byte first. */
static const uint8_t TAG_ADDR_LE[RUUVI_MAC_LEN] = { 0x4F, 0x88, 0x4C, 0x33, 0xB8, 0xCB };

#define FORGET_MS (600000U)

typedef struct
{
    uint8_t bytes[64];
    size_t  len;
} adv_t;

static adv_t adv (const char * hex)
{
    adv_t a;
    memset (&a, 0, sizeof (a));
    (void) ruuvi_hex_decode (hex, a.bytes, sizeof (a.bytes), &a.len);
    return a;
}

static adv_t f5 (uint16_t seq)
{
    adv_t a = adv (ADV_F5);
    a.bytes[F5_SEQ_AT] = (uint8_t) (seq >> 8);
    a.bytes[F5_SEQ_AT + 1U] = (uint8_t) seq;
    return a;
}

static adv_t f6 (uint8_t seq)
{
    adv_t a = adv (ADV_F6);
    a.bytes[F6_SEQ_AT] = seq;
    return a;
}

static adv_t e1 (uint32_t seq)
{
    adv_t a = adv (ADV_E1);
    a.bytes[E1_SEQ_AT] = (uint8_t) (seq >> 16);
    a.bytes[E1_SEQ_AT + 1U] = (uint8_t) (seq >> 8);
    a.bytes[E1_SEQ_AT + 2U] = (uint8_t) seq;
    return a;
}

static ruuvi_scan_verdict_t hear (ruuvi_scan_t * s, const uint8_t addr_le[RUUVI_MAC_LEN], adv_t a, uint64_t now_ms,
                                  ruuvi_packet_t * p_out)
{
    return ruuvi_scan_advertisement (s, addr_le, a.bytes, a.len, -60, RUUVI_TIMESTAMP_NONE, now_ms, p_out);
}

static void addr_of (uint8_t last, uint8_t addr_le[RUUVI_MAC_LEN])
{
    const uint8_t mac[RUUVI_MAC_LEN] = { 0xC0, 0x00, 0x00, 0x00, 0x00, last };
    for (size_t i = 0; i < RUUVI_MAC_LEN; i++)
    {
        addr_le[i] = mac[RUUVI_MAC_LEN - 1U - i];
    }
}

static void test_packet_and_byte_order (void)
{
    ruuvi_tag_entry_t tags[4];
    ruuvi_scan_t s;
    ruuvi_packet_t p;
    CHECK (RUUVI_OK == ruuvi_scan_init (&s, tags, 4, NULL, FORGET_MS), "init");
    const adv_t a = adv (ADV_F5);
    CHECK (RUUVI_SCAN_RELAY == ruuvi_scan_advertisement (&s, TAG_ADDR_LE, a.bytes, a.len, -71, 1700000000LL, 5, &p),
           "first packet relayed");
    CHECK (0 == memcmp (p.tag_mac, TAG_MAC, RUUVI_MAC_LEN), "tag MAC most significant byte first");
    CHECK (p.adv_len == a.len && 0 == memcmp (p.adv, a.bytes, a.len), "whole advertisement kept");
    CHECK (-71 == p.rssi && 1700000000LL == p.ts && 0U == p.cnt, "rssi, ts, cnt");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (206), 6, &p) && 1U == p.cnt, "cnt counts accepted packets");
    uint8_t mac[RUUVI_MAC_LEN];
    ruuvi_mac_from_ble_addr (TAG_ADDR_LE, mac);
    CHECK (0 == memcmp (mac, TAG_MAC, RUUVI_MAC_LEN), "ruuvi_mac_from_ble_addr reverses");

    /* format 3 carries no MAC: the advertiser address is the tag's */
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, adv (ADV_F3), 7, &p), "df3 relayed");
    CHECK (0 == memcmp (p.tag_mac, TAG_MAC, RUUVI_MAC_LEN), "df3 tag MAC from the address");

    const adv_t apple = adv ("0201061BFF4C000512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F");
    CHECK (RUUVI_SCAN_NOT_RUUVI == hear (&s, TAG_ADDR_LE, apple, 8, &p), "another company's data");
    CHECK (RUUVI_SCAN_UNSUPPORTED == hear (&s, TAG_ADDR_LE, adv ("0201060FFF9904040000000000000000000000"), 8, &p),
           "Ruuvi format 4 is not relayed");
    CHECK (1U == s.stats.unsupported && 3U == s.stats.accepted, "counted: %u %u", (unsigned) s.stats.unsupported,
           (unsigned) s.stats.accepted);

    /* longer than a packet holds: counted, table untouched */
    adv_t longer = adv (ADV_F5);
    memcpy (&longer.bytes[longer.len], "\x03\x09\x41\x42", 4U);
    longer.len += 4U;
    uint8_t big[RUUVI_PACKET_MAX_ADV_LEN + 8U];
    memset (big, 0, sizeof (big));
    memcpy (big, longer.bytes, longer.len);
    CHECK (RUUVI_SCAN_TOO_LONG
           == ruuvi_scan_advertisement (&s, TAG_ADDR_LE, big, sizeof (big), -60, RUUVI_TIMESTAMP_NONE, 9, &p),
           "too long");
    CHECK (1U == s.stats.too_long, "too long counted");
}

static void test_repeats (void)
{
    ruuvi_tag_entry_t tags[2];
    ruuvi_scan_t s;
    ruuvi_packet_t p;
    (void) ruuvi_scan_init (&s, tags, 2, NULL, FORGET_MS);
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (205), 1, &p), "new");
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, f5 (205), 2, &p), "same sequence again");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (206), 3, &p), "next sequence");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (205), 4, &p), "an older sequence is new (counter wrap)");
    uint8_t other[RUUVI_MAC_LEN];
    addr_of (1, other);
    CHECK (RUUVI_SCAN_RELAY == hear (&s, other, f5 (205), 5, &p), "same sequence, other tag");

    /* format 3: no sequence, the payload bytes decide */
    ruuvi_tag_entry_t t3[1];
    (void) ruuvi_scan_init (&s, t3, 1, NULL, FORGET_MS);
    adv_t a = adv (ADV_F3);
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, a, 1, &p), "df3 new");
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, a, 2, &p), "df3 same bytes");
    a.bytes[a.len - 1U] ^= 1U;
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, a, 3, &p), "df3 other bytes");
    CHECK (1U == s.stats.repeats, "repeats counted");

    /* a packet the relay queue had no room for: its next repeat is relayed instead */
    (void) ruuvi_scan_init (&s, t3, 1, NULL, FORGET_MS);
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (7), 1, &p), "seq 7");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (8), 2, &p), "seq 8");
    ruuvi_scan_not_queued (&s, &p);
    CHECK (1U == s.stats.queue_full && 1U == s.stats.accepted, "queue_full counted, not accepted");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (8), 3, &p), "seq 8 again is relayed");
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, f5 (8), 4, &p), "then it is a repeat");
}

static void test_ruuvi_air_formats (void)
{
    ruuvi_tag_entry_t tags[2];
    ruuvi_scan_t s;
    ruuvi_packet_t p;
    (void) ruuvi_scan_init (&s, tags, 2, NULL, FORGET_MS);
    /* a BLE 4 gateway hears only format 6: relayed like any format */
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f6 (10), 1000, &p), "f6 before any E1");
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, f6 (10), 1100, &p), "f6 repeat");
    /* the E1 twin of sample 10 (low byte 10): already relayed as format 6 */
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, e1 (0x01020AU), 1200, &p), "E1 of the relayed f6 sample");
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, e1 (0x01020AU), 1300, &p), "and its E1 repeats");
    /* from now on format 6 is discarded, E1 relayed, and they no longer alternate in one slot */
    for (uint32_t seq = 11; seq < 20; seq++)
    {
        const uint64_t t = 1000U * seq;
        CHECK (RUUVI_SCAN_SUPERSEDED == hear (&s, TAG_ADDR_LE, f6 ( (uint8_t) seq), t, &p), "f6 %u superseded",
               (unsigned) seq);
        CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, e1 (0x010200U + seq), t + 1U, &p), "E1 %u relayed",
               (unsigned) seq);
        CHECK (RUUVI_SCAN_SUPERSEDED == hear (&s, TAG_ADDR_LE, f6 ( (uint8_t) seq), t + 2U, &p), "f6 %u again",
               (unsigned) seq);
        CHECK (RUUVI_SCAN_REPEAT == hear (&s, TAG_ADDR_LE, e1 (0x010200U + seq), t + 3U, &p), "E1 %u repeat",
               (unsigned) seq);
    }
    CHECK (18U == s.stats.superseded, "superseded counted: %u", (unsigned) s.stats.superseded);
    CHECK (10U == s.stats.accepted, "one relay per sample: %u", (unsigned) s.stats.accepted);
    /* no E1 for the forget window (out of extended range): format 6 is relayed again */
    const uint64_t later = 19003U + FORGET_MS;
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f6 (40), later, &p), "f6 after E1 went silent");
}

static void test_ageing (void)
{
    ruuvi_tag_entry_t tags[2];
    ruuvi_scan_t s;
    ruuvi_packet_t p;
    uint8_t a[RUUVI_MAC_LEN];
    uint8_t b[RUUVI_MAC_LEN];
    uint8_t c[RUUVI_MAC_LEN];
    addr_of (0xA, a);
    addr_of (0xB, b);
    addr_of (0xC, c);
    (void) ruuvi_scan_init (&s, tags, 2, NULL, FORGET_MS);
    CHECK (RUUVI_SCAN_RELAY == hear (&s, a, f5 (1), 0, &p), "a");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, b, f5 (1), 100, &p), "b");
    CHECK (RUUVI_SCAN_TABLE_FULL == hear (&s, c, f5 (1), 200, &p), "c: every slot fresh");
    CHECK (1U == s.stats.table_full, "table_full counted");
    CHECK (2U == ruuvi_scan_tags (&s, 200), "two tags");
    /* a stays in range, b passes by and goes silent */
    CHECK (RUUVI_SCAN_RELAY == hear (&s, a, f5 (2), FORGET_MS, &p), "a keeps talking");
    CHECK (RUUVI_SCAN_TABLE_FULL == hear (&s, c, f5 (1), FORGET_MS + 99U, &p), "b not silent long enough yet");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, c, f5 (1), FORGET_MS + 100U, &p), "c takes b's slot");
    CHECK (1U == s.stats.tags_forgotten, "forgotten counted");
    CHECK (RUUVI_SCAN_REPEAT == hear (&s, a, f5 (2), FORGET_MS + 101U, &p), "a keeps its de-dup state");
    CHECK (RUUVI_SCAN_TABLE_FULL == hear (&s, b, f5 (1), FORGET_MS + 102U, &p), "b back: the table is full again");
    CHECK (1U == ruuvi_scan_tags (&s, 2U * FORGET_MS + 100U), "only a heard within the window");
}

static void test_allowlist (void)
{
    uint8_t storage[2][RUUVI_MAC_LEN];
    ruuvi_allowlist_t allow;
    CHECK (RUUVI_OK == ruuvi_allowlist_parse (&allow, storage, 2, "CB:B8:33:4C:88:4F"), "parse");
    ruuvi_tag_entry_t tags[1];
    ruuvi_scan_t s;
    ruuvi_packet_t p;
    (void) ruuvi_scan_init (&s, tags, 1, &allow, FORGET_MS);
    uint8_t other[RUUVI_MAC_LEN];
    addr_of (7, other);
    CHECK (RUUVI_SCAN_NOT_ALLOWED == hear (&s, other, f5 (1), 0, &p), "unlisted tag");
    CHECK (RUUVI_SCAN_RELAY == hear (&s, TAG_ADDR_LE, f5 (1), 1, &p), "listed tag, the only slot is free");
    CHECK (1U == s.stats.not_allowed && 0U == s.stats.table_full, "not_allowed counted, no slot used");
    ruuvi_gateway_status_t st;
    memset (&st, 0, sizeof (st));
    s.stats.repeats = 2;
    s.stats.superseded = 3;
    s.stats.unsupported = 4;
    s.stats.table_full = 5;
    s.stats.too_long = 6;
    s.stats.queue_full = 7;
    s.stats.tags_forgotten = 8;
    ruuvi_scan_report (&s.stats, &st);
    CHECK (1U == st.accepted && 2U == st.repeats && 3U == st.superseded && 1U == st.not_allowed
           && 4U == st.unsupported && 5U == st.table_full && 6U == st.too_long && 7U == st.queue_full
           && 8U == st.tags_forgotten, "report: every counter into its field");
}

static void test_null_arguments (void)
{
    ruuvi_tag_entry_t tags[1];
    ruuvi_scan_t s;
    ruuvi_packet_t p;
    CHECK (RUUVI_ERR_NULL == ruuvi_scan_init (NULL, tags, 1, NULL, 1), "null scan");
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_scan_init (&s, tags, 0, NULL, 1), "no slots");
    (void) ruuvi_scan_init (&s, tags, 1, NULL, 1);
    const adv_t a = adv (ADV_F5);
    CHECK (RUUVI_SCAN_NOT_RUUVI == ruuvi_scan_advertisement (&s, NULL, a.bytes, a.len, 0, 0, 0, &p), "null addr");
    CHECK (RUUVI_SCAN_NOT_RUUVI == ruuvi_scan_advertisement (&s, TAG_ADDR_LE, NULL, 3, 0, 0, 0, &p), "null adv");
    CHECK (RUUVI_SCAN_NOT_RUUVI == ruuvi_scan_advertisement (&s, TAG_ADDR_LE, a.bytes, a.len, 0, 0, 0, NULL), "null out");
    ruuvi_scan_not_queued (NULL, &p);
    CHECK (0U == ruuvi_scan_tags (NULL, 0), "null tags");
}

int main (void)
{
    test_packet_and_byte_order ();
    test_repeats ();
    test_ruuvi_air_formats ();
    test_ageing ();
    test_allowlist ();
    test_null_arguments ();
    CHECK_DONE ("test_scan");
}
