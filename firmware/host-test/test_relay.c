/* Unit tests of the relay buffer: kept until acknowledged, expiry, overflow, order. */
#include "check.h"
#include "ruuvi_relay.h"

#include <string.h>

static ruuvi_packet_t packet (uint32_t cnt)
{
    ruuvi_packet_t p;
    memset (&p, 0, sizeof (p));
    p.cnt = cnt;
    p.adv_len = 3;
    p.ts = RUUVI_TIMESTAMP_NONE;
    return p;
}

/* Hands the next waiting packet to "MQTT" under msg_id; returns its cnt, or UINT32_MAX if none. */
static uint32_t send (ruuvi_relay_t * r, int32_t msg_id)
{
    ruuvi_relay_handle_t h = 0;
    const ruuvi_packet_t * p = NULL;
    if (RUUVI_OK != ruuvi_relay_next (r, &h, &p))
    {
        return UINT32_MAX;
    }
    const uint32_t cnt = p->cnt;
    return (RUUVI_OK == ruuvi_relay_sent (r, h, msg_id)) ? cnt : UINT32_MAX - 1U;
}

static void test_kept_until_acknowledged (void)
{
    ruuvi_relay_slot_t slots[4];
    uint16_t order[4];
    ruuvi_relay_t r;
    CHECK (RUUVI_OK == ruuvi_relay_init (&r, slots, order, 4, 2), "init");
    for (uint32_t i = 0; i < 3; i++)
    {
        const ruuvi_packet_t p = packet (i);
        CHECK (RUUVI_OK == ruuvi_relay_push (&r, &p), "push %u", (unsigned) i);
    }
    CHECK (0U == send (&r, 101) && 1U == send (&r, 102), "oldest first");
    CHECK (UINT32_MAX == send (&r, 103), "no more than max_in_flight in flight");
    CHECK (3U == ruuvi_relay_count (&r) && 2U == ruuvi_relay_in_flight (&r), "sent packets stay until acked");
    /* acknowledgements may come in any order */
    CHECK (RUUVI_OK == ruuvi_relay_acked (&r, 102), "ack 102");
    CHECK (2U == ruuvi_relay_count (&r) && 1U == ruuvi_relay_in_flight (&r), "102's packet gone");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_acked (&r, 102), "a second ack of 102 finds nothing");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_acked (&r, 999), "an unknown msg_id (a status message)");
    CHECK (2U == r.stats.unknown_acks && 1U == r.stats.relayed, "counted");
    CHECK (2U == send (&r, 104), "room for one more in flight");
    CHECK (RUUVI_OK == ruuvi_relay_acked (&r, 101) && RUUVI_OK == ruuvi_relay_acked (&r, 104), "acks");
    CHECK (0U == ruuvi_relay_count (&r) && 0U == ruuvi_relay_in_flight (&r) && 3U == r.stats.relayed, "drained");
}

static void test_expired_in_the_outbox (void)
{
    ruuvi_relay_slot_t slots[4];
    uint16_t order[4];
    ruuvi_relay_t r;
    (void) ruuvi_relay_init (&r, slots, order, 4, 3);
    for (uint32_t i = 0; i < 3; i++)
    {
        const ruuvi_packet_t p = packet (i);
        (void) ruuvi_relay_push (&r, &p);
    }
    CHECK (0U == send (&r, 7) && 1U == send (&r, 8) && 2U == send (&r, 9), "three in flight");
    /* the MQTT client's outbox expired 8 while offline: it is sent again, before newer packets */
    CHECK (RUUVI_OK == ruuvi_relay_expired (&r, 8), "expired");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_expired (&r, 8), "once");
    CHECK (1U == r.stats.resent && 2U == ruuvi_relay_in_flight (&r), "resent counted");
    const ruuvi_packet_t late = packet (3);
    (void) ruuvi_relay_push (&r, &late);
    CHECK (1U == send (&r, 10), "the expired packet goes first");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_acked (&r, 8), "the old msg_id is no more");
    CHECK (RUUVI_OK == ruuvi_relay_acked (&r, 10), "the new one is");
}

static void test_full_buffer_drops_oldest_waiting (void)
{
    ruuvi_relay_slot_t slots[3];
    uint16_t order[3];
    ruuvi_relay_t r;
    (void) ruuvi_relay_init (&r, slots, order, 3, 1);
    for (uint32_t i = 0; i < 3; i++)
    {
        const ruuvi_packet_t p = packet (i);
        (void) ruuvi_relay_push (&r, &p);
    }
    CHECK (0U == send (&r, 1), "0 in flight");
    for (uint32_t i = 3; i < 6; i++)
    {
        const ruuvi_packet_t p = packet (i);
        CHECK (RUUVI_OK == ruuvi_relay_push (&r, &p), "push %u into a full buffer", (unsigned) i);
    }
    CHECK (3U == ruuvi_relay_count (&r) && 3U == r.stats.buffer_full, "bounded; drops counted");
    ruuvi_gateway_status_t st;
    memset (&st, 0, sizeof (st));
    ruuvi_relay_report (&r, &st);
    CHECK (3U == st.buffer_full && 3U == st.buffered && 1U == st.in_flight && 0U == st.relayed, "report");
    CHECK (RUUVI_OK == ruuvi_relay_acked (&r, 1), "the in-flight packet survived the overflow");
    CHECK (4U == send (&r, 2), "then the newest two remain, oldest first");
    CHECK (RUUVI_OK == ruuvi_relay_acked (&r, 2) && 5U == send (&r, 3), "and the last");
}

static void test_drop_and_misuse (void)
{
    ruuvi_relay_slot_t slots[3];
    uint16_t order[3];
    ruuvi_relay_t r;
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_relay_init (&r, slots, order, 3, 3), "max_in_flight must be < capacity");
    CHECK (RUUVI_ERR_NO_SPACE == ruuvi_relay_init (&r, slots, order, 3, 0), "max_in_flight >= 1");
    CHECK (RUUVI_ERR_NULL == ruuvi_relay_init (&r, NULL, order, 3, 1), "null slots");
    CHECK (RUUVI_OK == ruuvi_relay_init (&r, slots, order, 3, 2), "init");
    ruuvi_relay_handle_t h = 0;
    const ruuvi_packet_t * p = NULL;
    CHECK (RUUVI_ERR_EMPTY == ruuvi_relay_next (&r, &h, &p), "nothing to send");
    const ruuvi_packet_t a = packet (0);
    const ruuvi_packet_t b = packet (1);
    (void) ruuvi_relay_push (&r, &a);
    (void) ruuvi_relay_push (&r, &b);
    CHECK (RUUVI_OK == ruuvi_relay_next (&r, &h, &p) && 0U == p->cnt, "next");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_sent (&r, h, 0), "msg_id 0 is not a QoS 1 id");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_sent (&r, 99, 5), "bad handle");
    CHECK (RUUVI_OK == ruuvi_relay_drop (&r, h) && 1U == r.stats.unformattable, "drop an unsendable packet");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_drop (&r, h), "once");
    CHECK (1U == send (&r, 5), "the other remains");
    CHECK (RUUVI_ERR_NOT_FOUND == ruuvi_relay_sent (&r, h, 5), "a msg_id already in flight");
    ruuvi_packet_t big = packet (9);
    big.adv_len = RUUVI_PACKET_MAX_ADV_LEN + 1U;
    CHECK (RUUVI_ERR_TOO_LONG == ruuvi_relay_push (&r, &big), "oversized packet refused");
    CHECK (RUUVI_ERR_NULL == ruuvi_relay_push (NULL, &a), "null relay");
    CHECK (0U == ruuvi_relay_count (NULL) && 0U == ruuvi_relay_in_flight (NULL), "null counts");
}

int main (void)
{
    test_kept_until_acknowledged ();
    test_expired_in_the_outbox ();
    test_full_buffer_drops_oldest_waiting ();
    test_drop_and_misuse ();
    CHECK_DONE ("test_relay");
}
