/*
 * Randomised / mutation fuzz test of the decoder, the scanner and the helpers: random bytes,
 * and the published vectors with bit flips, byte overwrites, truncations and insertions. Every
 * call must return a known error code or a well-formed measurement, and every input also goes
 * through the scanner as an advertisement from one of a few addresses, time moving on at
 * random; its verdicts and counters must add up. Under the sanitizer build any out-of-bounds
 * access or undefined behaviour aborts the test. Deterministic (fixed seed).
 */
#include "check.h"
#include "mini_json.h"
#include "ruuvi_gateway.h"
#include "ruuvi_scan.h"
#include "ruuvi_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES (96U)
#define MAX_SEEDS (64U)

static uint64_t s_state = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd (void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return (uint32_t) (s_state >> 16);
}

static bool finite_or_na (double x)
{
    return isnan (x) || isfinite (x);
}

static bool well_formed (const ruuvi_measurement_t * m)
{
    const bool format_ok = RUUVI_FORMAT_3 == m->data_format || RUUVI_FORMAT_5 == m->data_format
                           || RUUVI_FORMAT_6 == m->data_format || RUUVI_FORMAT_E1 == m->data_format;
    return format_ok && finite_or_na (m->temperature_c) && finite_or_na (m->humidity_rh)
           && finite_or_na (m->pressure_pa) && finite_or_na (m->acceleration_x_g) && finite_or_na (m->battery_v)
           && finite_or_na (m->luminosity_lux) && finite_or_na (m->measurement_sequence)
           && (isnan (m->temperature_c) || fabs (m->temperature_c) <= 163.84)
           && (isnan (m->pressure_pa) || (m->pressure_pa >= 50000.0 && m->pressure_pa <= 115535.0));
}

static size_t s_ok = 0;
static size_t s_err = 0;

#define SCAN_TAGS      (3U)
#define SCAN_ADDRESSES (5U)
#define SCAN_FORGET_MS (60000U)
static ruuvi_tag_entry_t s_tags[SCAN_TAGS];
static ruuvi_scan_t s_scan;
static uint64_t s_now_ms = 0;
static uint32_t s_ruuvi_heard = 0;
static uint32_t s_relayed = 0;

/* The scanner: whatever the bytes, a verdict; counters add up; the table stays bounded. */
static void scan (const uint8_t * bytes, size_t len)
{
    uint8_t addr_le[RUUVI_MAC_LEN] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0xC0 };
    addr_le[0] = (uint8_t) (rnd () % SCAN_ADDRESSES);
    s_now_ms += rnd () % 20000U;
    ruuvi_packet_t p;
    const ruuvi_scan_verdict_t v
        = ruuvi_scan_advertisement (&s_scan, addr_le, bytes, len, (int8_t) rnd (), RUUVI_TIMESTAMP_NONE, s_now_ms, &p);
    CHECK (v >= RUUVI_SCAN_RELAY && v <= RUUVI_SCAN_TABLE_FULL, "verdict %d", (int) v);
    const uint8_t * payload = NULL;
    size_t payload_len = 0;
    const bool ruuvi = RUUVI_OK == ruuvi_find_payload (bytes, len, &payload, &payload_len);
    CHECK (ruuvi == (RUUVI_SCAN_NOT_RUUVI != v), "NOT_RUUVI exactly when there is no Ruuvi data");
    s_ruuvi_heard += ruuvi ? 1U : 0U;
    if (RUUVI_SCAN_RELAY == v)
    {
        s_relayed++;
        CHECK (p.adv_len == len && len <= RUUVI_PACKET_MAX_ADV_LEN && 0 == memcmp (p.adv, bytes, len), "packet");
        CHECK (p.tag_mac[5] == addr_le[0] && p.tag_mac[0] == addr_le[5], "MAC reversed");
        if (0U == rnd () % 8U)
        {
            ruuvi_scan_not_queued (&s_scan, &p);
            s_relayed--;
        }
    }
    const ruuvi_scan_stats_t * st = &s_scan.stats;
    const uint32_t judged = st->accepted + st->repeats + st->superseded + st->not_allowed + st->unsupported
                            + st->table_full + st->too_long + st->queue_full;
    CHECK (judged == s_ruuvi_heard, "every Ruuvi advertisement counted once: %u vs %u", (unsigned) judged,
           (unsigned) s_ruuvi_heard);
    CHECK (st->accepted == s_relayed, "accepted = relayed");
    CHECK (ruuvi_scan_tags (&s_scan, s_now_ms) <= SCAN_TAGS, "bounded table");
}

static void attempt (const uint8_t * bytes, size_t len)
{
    ruuvi_measurement_t m;
    const uint8_t mac[RUUVI_MAC_LEN] = { 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF };
    const ruuvi_err_t e = ruuvi_decode_any (bytes, len, (rnd () & 1U) ? mac : NULL, &m);
    if (RUUVI_OK == e)
    {
        s_ok++;
        CHECK (well_formed (&m), "malformed measurement for format %u", m.data_format);
        /* relay path: the advertisement fits a packet and a JSON message */
        ruuvi_packet_t p;
        memset (&p, 0, sizeof (p));
        p.adv_len = (uint8_t) (len < RUUVI_PACKET_MAX_ADV_LEN ? len : RUUVI_PACKET_MAX_ADV_LEN);
        memcpy (p.adv, bytes, p.adv_len);
        p.rssi = (int8_t) (rnd () & 0x7FU);
        p.ts = (rnd () & 1U) ? RUUVI_TIMESTAMP_NONE : (int64_t) rnd ();
        char json[512];
        size_t n = 0;
        CHECK (RUUVI_OK == ruuvi_json_gateway_message (json, sizeof (json), mac, &p, p.ts, &n), "json");
        CHECK (strlen (json) == n, "json length");
    }
    else
    {
        s_err++;
        CHECK (e >= RUUVI_ERR_EMPTY && e <= RUUVI_ERR_TOO_LONG, "unexpected error %d", (int) e);
    }
}

int main (int argc, char ** argv)
{
    if (argc < 3)
    {
        fprintf (stderr, "usage: %s ruuvi.json iterations\n", argv[0]);
        return 2;
    }
    const long iterations = strtol (argv[2], NULL, 10);
    CHECK (RUUVI_OK == ruuvi_scan_init (&s_scan, s_tags, SCAN_TAGS, NULL, SCAN_FORGET_MS), "scanner");
    char * text = mj_read_file (argv[1]);
    mj_value_t * doc = mj_parse (text, NULL, 0);
    const mj_value_t * valid = mj_get (doc, "valid");
    CHECK (NULL != valid && valid->count > 0U, "vectors");
    static uint8_t seeds[MAX_SEEDS][MAX_BYTES];
    size_t seed_len[MAX_SEEDS];
    size_t n_seeds = 0;
    for (size_t i = 0; NULL != valid && i < valid->count && n_seeds < MAX_SEEDS; i++)
    {
        size_t len = 0;
        if (RUUVI_OK == ruuvi_hex_decode (mj_get (&valid->children[i], "input")->string, seeds[n_seeds], MAX_BYTES,
                                          &len))
        {
            seed_len[n_seeds++] = len;
        }
    }
    CHECK (n_seeds > 0U, "seeds");

    uint8_t buf[MAX_BYTES + 8U];
    for (long it = 0; it < iterations && n_seeds > 0U; it++)
    {
        size_t len;
        if (0U == it % 4U)
        {
            len = rnd () % (MAX_BYTES + 1U); /* pure random bytes */
            for (size_t i = 0; i < len; i++)
            {
                buf[i] = (uint8_t) rnd ();
            }
        }
        else
        {
            const size_t s = rnd () % n_seeds;
            len = seed_len[s];
            memcpy (buf, seeds[s], len);
            const uint32_t mutations = 1U + rnd () % 4U;
            for (uint32_t k = 0; k < mutations; k++)
            {
                const uint32_t kind = rnd () % 4U;
                const size_t at = (0U == len) ? 0U : rnd () % len;
                if (0U == kind && len > 0U)
                {
                    buf[at] ^= (uint8_t) (1U << (rnd () % 8U));
                }
                else if (1U == kind && len > 0U)
                {
                    buf[at] = (uint8_t) rnd ();
                }
                else if (2U == kind)
                {
                    len = at; /* truncate */
                }
                else if (len < MAX_BYTES)
                {
                    memmove (&buf[at + 1U], &buf[at], len - at);
                    buf[at] = (uint8_t) rnd ();
                    len++;
                }
            }
        }
        /* Exact-size heap copy so ASan sees any read past the end. */
        uint8_t * exact = malloc (len > 0U ? len : 1U);
        CHECK (NULL != exact, "malloc");
        if (NULL != exact)
        {
            memcpy (exact, buf, len);
            attempt (exact, len);
            scan (exact, len);
            free (exact);
        }

        /* hex parser on random printable strings */
        char hex[24];
        const size_t hl = rnd () % sizeof (hex);
        for (size_t i = 0; i < hl; i++)
        {
            static const char alphabet[] = "0123456789abcdefABCDEFxX :-gz";
            hex[i] = alphabet[rnd () % (sizeof (alphabet) - 1U)];
        }
        hex[hl] = '\0';
        uint8_t out[8];
        size_t olen = 0;
        const ruuvi_err_t he = ruuvi_hex_decode (hex, out, sizeof (out), &olen);
        CHECK (RUUVI_OK == he || RUUVI_ERR_EMPTY == he || RUUVI_ERR_INVALID_HEX == he || RUUVI_ERR_NO_SPACE == he,
               "hex error %d", (int) he);
        uint8_t mac[RUUVI_MAC_LEN];
        const ruuvi_err_t me = ruuvi_mac_parse (hex, mac);
        CHECK (RUUVI_OK == me || RUUVI_ERR_INVALID_MAC == me, "mac error %d", (int) me);
    }
    const ruuvi_scan_stats_t * st = &s_scan.stats;
    printf ("fuzz: %ld iterations, %zu decoded, %zu rejected; scanner: %u accepted, %u repeats, %u superseded, "
            "%u unsupported, %u table full, %u too long, %u queue full, %u tags forgotten\n",
            iterations, s_ok, s_err, (unsigned) st->accepted, (unsigned) st->repeats, (unsigned) st->superseded,
            (unsigned) st->unsupported, (unsigned) st->table_full, (unsigned) st->too_long, (unsigned) st->queue_full,
            (unsigned) st->tags_forgotten);
    CHECK (s_ok > 0U && s_err > 0U, "the fuzzer must reach both outcomes");
    CHECK (st->accepted > 0U && st->repeats > 0U && st->unsupported > 0U && st->table_full > 0U
           && st->tags_forgotten > 0U && st->queue_full > 0U,
           "the fuzzer must reach the scanner's verdicts");
    mj_free (doc);
    free (text);
    CHECK_DONE ("test_fuzz");
}
