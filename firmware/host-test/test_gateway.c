/* Unit tests of what the gateway publishes (messages, topics, status), settings, allow-list, hex. */
#include "check.h"
#include "ruuvi_gateway.h"
#include "ruuvi_settings.h"
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
    p.cnt = 338;
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, RUUVI_TIMESTAMP_NONE, &n), "json");
    /* the Ruuvi Gateway's message without timestamps: its advertisement counter instead */
    const char * want_unsynced = "{\"gw_mac\":\"C8:25:2D:8E:9C:2C\",\"rssi\":-62,\"aoa\":[],\"cnt\":338,"
                                 "\"data\":\"0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F\","
                                 "\"coords\":\"\"}";
    CHECK (0 == strcmp (buf, want_unsynced), "unsynced json: %s", buf);
    CHECK (n == strlen (want_unsynced), "length %zu", n);
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, 1653668028LL, &n)
           && 0 == strcmp (buf, want_unsynced), "received before the clock synced: still cnt");

    p = make_packet (1653668027LL);
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, 1653668028LL, &n), "json ts");
    const char * want_synced = "{\"gw_mac\":\"C8:25:2D:8E:9C:2C\",\"rssi\":-62,\"aoa\":[],\"gwts\":1653668028,"
                               "\"ts\":1653668027,"
                               "\"data\":\"0201061BFF99040512FC5394C37C0004FFFC040CAC364200CDCBB8334C884F\","
                               "\"coords\":\"\"}";
    CHECK (0 == strcmp (buf, want_synced), "synced json: %s", buf);
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, RUUVI_TIMESTAMP_NONE, &n)
           && NULL != strstr (buf, "\"gwts\":1653668027,\"ts\":1653668027,"), "no relay time: gwts = ts: %s", buf);

    /* RSSI 127 is NimBLE's "not measured": relayed as is, the platform stores it as unknown */
    p.rssi = 127;
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, 1653668028LL, &n)
           && NULL != strstr (buf, "\"rssi\":127,"), "rssi 127: %s", buf);
    p.rssi = -62;

    /* every buffer size shorter than the message fails cleanly, never overflows */
    for (size_t cap = 0; cap <= strlen (want_synced); cap++)
    {
        char small[256];
        CHECK (RUUVI_ERR_NO_SPACE == ruuvi_json_gateway_message (small, cap, GW_MAC, &p, 1653668028LL, &n),
               "cap %zu", cap);
    }
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (buf, strlen (want_synced) + 1U, GW_MAC, &p, 1653668028LL, &n),
           "exactly enough");
    ruuvi_packet_t longest = make_packet (INT64_MAX);
    longest.adv_len = RUUVI_PACKET_MAX_ADV_LEN;
    longest.rssi = -128;
    char message[RUUVI_MESSAGE_MAX];
    CHECK (RUUVI_OK == ruuvi_json_gateway_message (message, sizeof (message), GW_MAC, &longest, INT64_MAX, &n),
           "the longest message fits RUUVI_MESSAGE_MAX (%zu)", n);
    CHECK (RUUVI_ERR_NULL == ruuvi_json_gateway_message (NULL, 10, GW_MAC, &p, 0, &n), "null out");
    CHECK (RUUVI_ERR_NULL == ruuvi_json_gateway_message (buf, sizeof (buf), NULL, &p, 0, &n), "null mac");
    p.adv_len = RUUVI_PACKET_MAX_ADV_LEN + 1U;
    CHECK (RUUVI_ERR_TOO_LONG == ruuvi_json_gateway_message (buf, sizeof (buf), GW_MAC, &p, 0, &n), "too long");
}

static void test_topic (void)
{
    char buf[RUUVI_TOPIC_MAX];
    CHECK (RUUVI_OK == ruuvi_topic (buf, sizeof (buf), "ruuvi", GW_MAC, TAG_MAC), "topic");
    CHECK (0 == strcmp (buf, "ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F"), "topic %s", buf);
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_topic (buf, 20, "ruuvi", GW_MAC, TAG_MAC), "short topic buffer");
    CHECK (RUUVI_ERR_NULL == ruuvi_topic (buf, sizeof (buf), NULL, GW_MAC, TAG_MAC), "null prefix");
    CHECK (RUUVI_OK == ruuvi_status_topic (buf, sizeof (buf), "home/ruuvi", GW_MAC), "status topic");
    CHECK (0 == strcmp (buf, "home/ruuvi/C8:25:2D:8E:9C:2C/gw_status"), "status topic %s", buf);
    char prefix[RUUVI_TOPIC_PREFIX_MAX + 1U];
    memset (prefix, 'p', RUUVI_TOPIC_PREFIX_MAX);
    prefix[RUUVI_TOPIC_PREFIX_MAX] = '\0';
    CHECK (RUUVI_OK == ruuvi_topic (buf, sizeof (buf), prefix, GW_MAC, TAG_MAC), "the longest prefix fits");
    CHECK (RUUVI_OK == ruuvi_status_topic (buf, sizeof (buf), prefix, GW_MAC), "also for the status");
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_status_topic (buf, 0, "ruuvi", GW_MAC), "no room");
}

static void test_status (void)
{
    ruuvi_gateway_status_t st;
    memset (&st, 0, sizeof (st));
    st.uptime_s = 3600;
    st.accepted = 1;
    st.repeats = 2;
    st.superseded = 3;
    st.not_allowed = 4;
    st.unsupported = 5;
    st.table_full = 6;
    st.too_long = 7;
    st.queue_full = 8;
    st.tags_forgotten = 9;
    st.relayed = 10;
    st.buffer_full = 11;
    st.resent = 12;
    st.unformattable = 13;
    st.acks_lost = 14;
    st.wifi_reconnects = 15;
    st.mqtt_reconnects = 16;
    st.buffered = 17;
    st.in_flight = 18;
    st.tags = 19;
    char buf[RUUVI_MESSAGE_MAX];
    size_t n = 0;
    CHECK (RUUVI_OK == ruuvi_json_gateway_status (buf, sizeof (buf), &st, &n), "status");
    const char * want = "{\"state\":\"online\",\"uptime_s\":3600,\"buffered\":17,\"in_flight\":18,\"tags\":19,"
                        "\"counters\":{\"accepted\":1,\"repeats\":2,\"superseded\":3,\"not_allowed\":4,"
                        "\"unsupported\":5,\"table_full\":6,\"too_long\":7,\"queue_full\":8,\"tags_forgotten\":9,"
                        "\"relayed\":10,\"buffer_full\":11,\"resent\":12,\"unformattable\":13,\"acks_lost\":14,"
                        "\"wifi_reconnects\":15,\"mqtt_reconnects\":16}}";
    CHECK (0 == strcmp (buf, want), "status json: %s", buf);
    CHECK (n == strlen (want), "length");
    memset (&st, 0xFF, sizeof (st)); /* every counter at its maximum still fits */
    CHECK (RUUVI_OK == ruuvi_json_gateway_status (buf, sizeof (buf), &st, &n), "largest status fits (%zu)", n);
    for (size_t cap = 0; cap <= n; cap++)
    {
        char small[RUUVI_MESSAGE_MAX];
        CHECK (RUUVI_ERR_NO_SPACE == ruuvi_json_gateway_status (small, cap, &st, &n), "cap %zu", cap);
    }
    CHECK (RUUVI_ERR_NULL == ruuvi_json_gateway_status (buf, sizeof (buf), NULL, &n), "null status");
}

static ruuvi_settings_t good_settings (void)
{
    ruuvi_settings_t s = {
        .wifi_ssid = "iotpipe",
        .wifi_password = "correct horse",
        .mqtt_url = "mqtt://192.168.1.10:1883",
        .mqtt_username = "gw1",
        .mqtt_password = "secret",
        .topic_prefix = "ruuvi",
        .tag_allowlist = "",
        .backoff_initial_ms = 1000,
        .backoff_max_ms = 60000,
    };
    return s;
}

/* The setting a bad value is refused for, or "" when accepted. */
static const char * refused (ruuvi_settings_t s, size_t capacity)
{
    uint8_t storage[4][RUUVI_MAC_LEN];
    ruuvi_allowlist_t allow;
    ruuvi_settings_error_t e;
    const ruuvi_err_t err = ruuvi_settings_check (&s, &allow, storage, capacity, &e);
    if (RUUVI_OK == err)
    {
        return "";
    }
    CHECK (RUUVI_ERR_INVALID_SETTING == err && NULL != e.setting && '\0' != e.reason[0], "a named refusal");
    return (NULL != e.setting) ? e.setting : "?";
}

static void test_settings (void)
{
    ruuvi_settings_t s = good_settings ();
    CHECK (0 == strcmp ("", refused (s, 4)), "defaults accepted");
    s.wifi_password = "";
    CHECK (0 == strcmp ("", refused (s, 4)), "open network");
    s.wifi_password = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK (0 == strcmp ("", refused (s, 4)), "64 hex digits: a PSK");
    s.wifi_password = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg";
    CHECK (0 == strcmp ("IOTPIPE_WIFI_PASSWORD", refused (s, 4)), "64 characters, not hex");
    s.wifi_password = "short";
    CHECK (0 == strcmp ("IOTPIPE_WIFI_PASSWORD", refused (s, 4)), "too short for WPA2");

    s = good_settings ();
    s.wifi_ssid = "0123456789012345678901234567890123"; /* 34 bytes: would have been cut */
    CHECK (0 == strcmp ("IOTPIPE_WIFI_SSID", refused (s, 4)), "over-long SSID");
    s.wifi_ssid = "01234567890123456789012345678901";
    CHECK (0 == strcmp ("", refused (s, 4)), "32-byte SSID");
    s.wifi_ssid = "";
    CHECK (0 == strcmp ("IOTPIPE_WIFI_SSID", refused (s, 4)), "empty SSID");

    s = good_settings ();
    s.mqtt_url = "http://broker:1883";
    CHECK (0 == strcmp ("IOTPIPE_MQTT_URL", refused (s, 4)), "wrong scheme");
    s.mqtt_url = "mqtt://";
    CHECK (0 == strcmp ("IOTPIPE_MQTT_URL", refused (s, 4)), "no host");
    s.mqtt_url = "mqtts://broker.example:8883";
    CHECK (0 == strcmp ("", refused (s, 4)), "mqtts");
    s.mqtt_username = "";
    CHECK (0 == strcmp ("IOTPIPE_MQTT_USERNAME", refused (s, 4)), "password without user");
    s.mqtt_password = "";
    CHECK (0 == strcmp ("", refused (s, 4)), "anonymous");

    const char * bad_prefixes[] = { "", "ruuvi/#", "a/+/b", "$SYS", "/ruuvi", "ruuvi/", "a//b" };
    for (size_t i = 0; i < sizeof (bad_prefixes) / sizeof (bad_prefixes[0]); i++)
    {
        s = good_settings ();
        s.topic_prefix = bad_prefixes[i];
        CHECK (0 == strcmp ("IOTPIPE_MQTT_TOPIC_PREFIX", refused (s, 4)), "prefix '%s'", bad_prefixes[i]);
    }
    s = good_settings ();
    s.topic_prefix = "home/ruuvi";
    CHECK (0 == strcmp ("", refused (s, 4)), "two-level prefix");

    s = good_settings ();
    s.backoff_initial_ms = 70000;
    CHECK (0 == strcmp ("IOTPIPE_BACKOFF_INITIAL_MS", refused (s, 4)), "initial above max");

    s = good_settings ();
    s.tag_allowlist = "CB:B8:33:4C:88:4F, C6:8D:C6:26:39";
    CHECK (0 == strcmp ("IOTPIPE_TAG_ALLOWLIST", refused (s, 4)), "a malformed MAC");
    s.tag_allowlist = "CB:B8:33:4C:88:4F,C6:8D:C6:26:39:A6";
    CHECK (0 == strcmp ("IOTPIPE_TAG_ALLOWLIST", refused (s, 1)), "more MACs than tag slots");
    CHECK (0 == strcmp ("", refused (s, 2)), "two MACs, two slots");

    uint8_t storage[1][RUUVI_MAC_LEN];
    ruuvi_allowlist_t allow;
    ruuvi_settings_error_t e;
    s.wifi_ssid = NULL;
    CHECK (RUUVI_ERR_NULL == ruuvi_settings_check (&s, &allow, storage, 1, &e), "null setting");
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
    CHECK (0 == strcmp ("TRUNCATED", ruuvi_err_name (RUUVI_ERR_TRUNCATED)), "err name");
    CHECK (0 == strcmp ("UNKNOWN", ruuvi_err_name ( (ruuvi_err_t) 999)), "unknown err name");
}

int main (void)
{
    test_json ();
    test_topic ();
    test_status ();
    test_settings ();
    test_allowlist_and_mac ();
    test_backoff ();
    test_null_arguments ();
    CHECK_DONE ("test_gateway");
}
