/*
 * Random operation sequences against the relay buffer and the link state machine, checked
 * against what must always hold:
 * - relay: every packet pushed is, at any time, exactly one of relayed, dropped as buffer_full
 *   or unformattable, or still in the buffer; never more than max_in_flight in flight;
 *   packets go out oldest first; an acknowledgement removes exactly its packet.
 * - link: the MQTT client is asked to reconnect only after it reported the session lost (it
 *   refuses otherwise: the short Wi-Fi drop defect), started once, and never while Wi-Fi is
 *   down; whenever Wi-Fi is up and the session is lost, a reconnect comes within the backoff cap.
 * Deterministic (fixed seed). Usage: test_fuzz_state <iterations>
 */
#include "check.h"
#include "ruuvi_link.h"
#include "ruuvi_relay.h"

#include <stdlib.h>
#include <string.h>

static uint64_t s_state = 0x243F6A8885A308D3ULL;

static uint32_t rnd (void)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return (uint32_t) (s_state >> 16);
}

#define RELAY_CAPACITY  (6U)
#define RELAY_IN_FLIGHT (3U)

/* The model: the packets present, oldest first, as a plain list. */
typedef struct
{
    uint32_t cnt;
    int32_t  msg_id; /* 0 waiting */
} model_packet_t;

typedef struct
{
    model_packet_t p[RELAY_CAPACITY + 1U];
    size_t         n;
} model_t;

static void model_remove (model_t * m, size_t i)
{
    memmove (&m->p[i], &m->p[i + 1U], (m->n - i - 1U) * sizeof (m->p[0]));
    m->n--;
}

static size_t model_in_flight (const model_t * m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
    {
        k += (m->p[i].msg_id > 0) ? 1U : 0U;
    }
    return k;
}

static void fuzz_relay (long iterations)
{
    ruuvi_relay_slot_t slots[RELAY_CAPACITY];
    uint16_t order[RELAY_CAPACITY];
    ruuvi_relay_t r;
    CHECK (RUUVI_OK == ruuvi_relay_init (&r, slots, order, RELAY_CAPACITY, RELAY_IN_FLIGHT), "init");
    model_t m;
    memset (&m, 0, sizeof (m));
    uint32_t pushed = 0;
    uint32_t acked = 0;
    int32_t next_id = 1;
    for (long it = 0; it < iterations; it++)
    {
        const uint32_t op = rnd () % 8U;
        if (op < 2U)
        {
            ruuvi_packet_t p;
            memset (&p, 0, sizeof (p));
            p.cnt = pushed++;
            CHECK (RUUVI_OK == ruuvi_relay_push (&r, &p), "push");
            m.p[m.n++] = (model_packet_t) { p.cnt, 0 };
            for (size_t i = 0; m.n > RELAY_CAPACITY && i < m.n; i++)
            {
                if (0 == m.p[i].msg_id)
                {
                    model_remove (&m, i); /* the oldest waiting packet makes room */
                }
            }
        }
        else if (op < 5U)
        {
            ruuvi_relay_handle_t h = 0;
            const ruuvi_packet_t * p = NULL;
            size_t oldest_waiting = m.n;
            for (size_t i = 0; i < m.n && oldest_waiting == m.n; i++)
            {
                oldest_waiting = (0 == m.p[i].msg_id) ? i : m.n;
            }
            const ruuvi_err_t e = ruuvi_relay_next (&r, &h, &p);
            if (oldest_waiting == m.n || model_in_flight (&m) >= RELAY_IN_FLIGHT)
            {
                CHECK (RUUVI_ERR_EMPTY == e, "nothing to send");
            }
            else if (RUUVI_OK != e || p->cnt != m.p[oldest_waiting].cnt)
            {
                CHECK (false, "oldest waiting first: %u, want %u", (unsigned) (RUUVI_OK == e ? p->cnt : 0U),
                       (unsigned) m.p[oldest_waiting].cnt);
            }
            else if (0U == rnd () % 32U)
            {
                CHECK (RUUVI_OK == ruuvi_relay_drop (&r, h), "drop");
                model_remove (&m, oldest_waiting);
            }
            else
            {
                CHECK (RUUVI_OK == ruuvi_relay_sent (&r, h, next_id), "sent");
                m.p[oldest_waiting].msg_id = next_id++;
            }
        }
        else
        {
            /* PUBACK (or expiry) of an id in flight, of one long gone, or of a status message */
            int32_t id = (int32_t) (rnd () % (uint32_t) next_id) + 1;
            if (m.n > 0U && 0U != rnd () % 4U)
            {
                id = m.p[rnd () % m.n].msg_id;
            }
            const bool expire = 0U == rnd () % 8U;
            const ruuvi_err_t e = expire ? ruuvi_relay_expired (&r, id) : ruuvi_relay_acked (&r, id);
            size_t found = m.n;
            for (size_t i = 0; i < m.n && found == m.n; i++)
            {
                found = (id > 0 && m.p[i].msg_id == id) ? i : m.n;
            }
            CHECK ( (found < m.n ? RUUVI_OK : RUUVI_ERR_NOT_FOUND) == e, "ack/expiry of %d", (int) id);
            if (found < m.n && expire)
            {
                m.p[found].msg_id = 0;
            }
            else if (found < m.n)
            {
                model_remove (&m, found);
                acked++;
            }
        }
        CHECK (m.n == ruuvi_relay_count (&r) && model_in_flight (&m) == ruuvi_relay_in_flight (&r),
               "buffer matches the model: %u/%u vs %u/%u", (unsigned) ruuvi_relay_count (&r),
               (unsigned) ruuvi_relay_in_flight (&r), (unsigned) m.n, (unsigned) model_in_flight (&m));
        CHECK (ruuvi_relay_in_flight (&r) <= RELAY_IN_FLIGHT, "in flight bounded");
        CHECK (pushed == r.stats.relayed + r.stats.buffer_full + r.stats.unformattable + ruuvi_relay_count (&r),
               "nothing lost uncounted");
        CHECK (acked == r.stats.relayed, "relayed = acknowledged");
    }
    printf ("fuzz relay: %u pushed, %u relayed, %u dropped (buffer full), %u resent, %u unformattable\n",
            (unsigned) pushed, (unsigned) r.stats.relayed, (unsigned) r.stats.buffer_full, (unsigned) r.stats.resent,
            (unsigned) r.stats.unformattable);
    CHECK (r.stats.relayed > 0U && r.stats.buffer_full > 0U && r.stats.resent > 0U && r.stats.unformattable > 0U,
           "every path reached");
}

#define LINK_INITIAL_MS (100U)
#define LINK_MAX_MS     (3200U)

static void fuzz_link (long iterations)
{
    ruuvi_link_t l;
    ruuvi_link_init (&l, LINK_INITIAL_MS, LINK_MAX_MS);
    uint64_t now = 0;
    /* What the simulated clients believe. */
    bool station_started = false;
    bool wifi_associated = false;
    bool client_started = false;
    bool client_waiting = false; /* esp-mqtt in WAIT_RECONNECT: the only state accepting a reconnect */
    bool client_connected = false;
    uint64_t waiting_since = UINT64_MAX; /* Wi-Fi up, client waiting, no reconnect asked since */
    uint32_t reconnects = 0;
    for (long it = 0; it < iterations; it++)
    {
        now += rnd () % 500U;
        /* something happens in the world */
        const uint32_t ev = rnd () % 12U;
        if (!station_started && 0U == ev)
        {
            station_started = true;
            ruuvi_link_on_wifi_started (&l, now);
        }
        else if (station_started && 1U == ev && wifi_associated)
        {
            wifi_associated = false; /* Wi-Fi drops; the TCP session may or may not survive */
            ruuvi_link_on_wifi_disconnected (&l, now);
        }
        else if (2U == ev && client_connected && 0U == rnd () % 2U)
        {
            client_connected = false; /* the broker or the keepalive ends the session */
            client_waiting = true;
            ruuvi_link_on_mqtt_disconnected (&l, now);
        }
        /* the glue asks the core what to do, and does it */
        for (int guard = 0; guard < 4; guard++)
        {
            uint32_t wait = 0;
            const ruuvi_link_action_t a = ruuvi_link_next (&l, now, &wait);
            if (RUUVI_LINK_WAIT == a)
            {
                CHECK (wait > 0U, "a wait is never zero");
                break;
            }
            if (RUUVI_LINK_WIFI_CONNECT == a)
            {
                CHECK (station_started, "connect only after the station started");
                if (0U == rnd () % 3U)
                {
                    ruuvi_link_on_wifi_disconnected (&l, now); /* the attempt fails */
                }
                else
                {
                    wifi_associated = true;
                    ruuvi_link_on_wifi_got_ip (&l, now, 0U == rnd () % 4U);
                }
            }
            else if (RUUVI_LINK_MQTT_START == a)
            {
                CHECK (wifi_associated && !client_started, "start only a client not running, with Wi-Fi");
                if (0U == rnd () % 4U)
                {
                    ruuvi_link_on_action_failed (&l, a, now); /* e.g. no memory for its task */
                }
                else
                {
                    client_started = true;
                    client_connected = true;
                    ruuvi_link_on_mqtt_connected (&l, now);
                }
            }
            else if (RUUVI_LINK_MQTT_RECONNECT == a)
            {
                CHECK (wifi_associated, "reconnect only with Wi-Fi");
                CHECK (client_waiting, "reconnect only when the client waits to reconnect");
                reconnects++;
                waiting_since = UINT64_MAX;
                client_waiting = false;
                if (0U == rnd () % 3U)
                {
                    client_waiting = true; /* the connect fails: the client reports it */
                    ruuvi_link_on_mqtt_disconnected (&l, now);
                }
                else
                {
                    client_connected = true;
                    ruuvi_link_on_mqtt_connected (&l, now);
                }
            }
            else if (RUUVI_LINK_MQTT_DISCONNECT == a)
            {
                CHECK (client_connected, "close only a session the client reports");
                client_connected = false;
                client_waiting = true;
                ruuvi_link_on_mqtt_disconnected (&l, now);
            }
        }
        CHECK (ruuvi_link_can_publish (&l) == (wifi_associated && client_connected), "publishing iff both up");
        if (!(wifi_associated && client_waiting))
        {
            waiting_since = UINT64_MAX;
        }
        else if (UINT64_MAX == waiting_since)
        {
            waiting_since = now;
        }
        /* steps are under 500 ms apart, so a due reconnect is asked for within 500 ms */
        CHECK (UINT64_MAX == waiting_since || now - waiting_since < LINK_MAX_MS + 500U,
               "a lost session with Wi-Fi up is retried within the backoff cap (waiting %u ms)",
               (unsigned) (now - waiting_since));
    }
    printf ("fuzz link: %ld steps, %u MQTT reconnects, %u Wi-Fi reconnects\n", iterations, (unsigned) reconnects,
            (unsigned) l.wifi_reconnects);
    CHECK (reconnects > 0U && l.wifi_reconnects > 0U && l.mqtt_reconnects > 0U, "every path reached");
}

int main (int argc, char ** argv)
{
    if (argc < 2)
    {
        fprintf (stderr, "usage: %s iterations\n", argv[0]);
        return 2;
    }
    const long iterations = strtol (argv[1], NULL, 10);
    fuzz_relay (iterations);
    fuzz_link (iterations);
    CHECK_DONE ("test_fuzz_state");
}
